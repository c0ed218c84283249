//! The inbound-control pages as a signed-in browser sees them, on both backends: the pocket
//! board after a traveller upload, a bad upload named line by line, designating and lifting
//! an area through the forms, a measure's blockers and its release once the criteria hold,
//! notices with the name revealed and audited, the personal link page without a session,
//! and no page without `inbound.read`.

use fangkong_app::inbound::DEFAULT_POLICY;
use fangkong_app::Actor;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::{Method, StatusCode};

use crate::web::{csrf_of, figure, Browser};

const A: &str = "411702001001";
const C: &str = "411721001001";

/// Jurisdictions of a small city and the default policy.
async fn setup(app: &TestApp) {
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
               411702001,顺河街道\n411702001001,一号社区\n411702001002,二号社区\n\
               411721001,柏城街道\n411721001001,西平一社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    app.client
        .load_policy("inbound-default.toml", DEFAULT_POLICY)
        .await
        .unwrap();
}

async fn admin(app: &TestApp) -> Browser {
    let mut b = Browser::new(app);
    let (status, _, _) = b.login("admin", "admin-password", "/inbound").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    b
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts a form with the session cookie (none when `b` is `None`); returns status, body and
/// location.
async fn post_form(
    app: &TestApp,
    b: Option<&Browser>,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let mut r = client().post(format!("{}{path}", app.base_url)).form(form);
    if let Some(b) = b {
        r = r.header("cookie", b.cookies.join("; "));
    }
    let r = r.send().await.unwrap();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (r.status(), r.text().await.unwrap(), location)
}

/// Uploads a file as `multipart/form-data` with the session's CSRF token.
async fn upload(
    app: &TestApp,
    b: &Browser,
    path: &str,
    csrf: &str,
    file_name: &str,
    content: &str,
) -> (StatusCode, String) {
    let boundary = "----fangkongInboundBoundary3";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    let r = client()
        .post(format!("{}{path}", app.base_url))
        .header("cookie", b.cookies.join("; "))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The table row holding `marker`.
fn row_with<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not on the page"));
    let start = html[..at].rfind("<tr").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

/// The part of the page inside the element with `id` (up to the next `</table>`).
fn table<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} not on the page"));
    let end = at + html[at..].find("</table>").unwrap();
    &html[at..end]
}

#[tokio::test]
async fn the_board_counts_an_uploaded_list_and_a_bad_row_is_named() {
    each_backend(|app| async move {
        setup(&app).await;
        let mut b = admin(&app).await;
        let (status, html, _) = b.get("/inbound").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("href=\"/inbound\" aria-current=\"page\">入境及来驻返驻管控"));
        assert_eq!(figure(&html, "total-centralised"), "0");

        let (_, html, _) = b.get("/inbound/travel").await;
        let csrf = csrf_of(&html);
        // Two international arrivals (7 days centralised) in two communities, one from a
        // place that is no risk area (no measure).
        let list = format!(
            "name,id_number,community_code,origin,departed_on,arrived_at\n\
             张一,{},{A},JP,2026-11-29,2026-11-30 08:00\n\
             李二,{},{C},US,2026-11-28,2026-11-30 09:00\n\
             王三,{},{A},411702001002,,2026-11-30 07:00\n",
            crate::id("411702", "1980-01-01", 101),
            crate::id("411721", "1985-05-05", 102),
            crate::id("411702", "1990-09-09", 103),
        );
        let (status, html) =
            upload(&app, &b, "/inbound/travel/import", &csrf, "list.csv", &list).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("list.csv: 已导入"), "{html}");
        assert!(html.contains("新增管控措施: <strong>2</strong>"), "{html}");
        assert!(
            html.contains("<code>international</code>: <strong>2</strong>"),
            "{html}"
        );
        assert!(
            html.contains("<code>other</code>: <strong>1</strong>"),
            "{html}"
        );
        let arrivals = table(&html, "arrivals");
        assert_eq!(arrivals.matches("<tr><td>").count(), 3);
        assert!(
            arrivals.contains("张*") && !arrivals.contains("张一"),
            "masked"
        );

        let (_, html, _) = b.get("/inbound").await;
        for (id, n) in [
            ("total-centralised", "2"),
            ("total-home", "0"),
            ("total-monitoring", "0"),
            ("total-not-active", "2"),
            ("total-tests-due", "2"),
            ("total-overdue", "0"),
            ("total-releases-due", "0"),
            ("pending-reviews", "0"),
        ] {
            assert_eq!(figure(&html, id), n, "{id}");
        }
        let international = row_with(&html, "data-pocket=\"international\"");
        assert!(
            international.contains("<td class=\"num\">2</td>"),
            "{international}"
        );
        let community = row_with(&html, &format!("data-code=\"{C}\""));
        assert!(
            community.contains(&format!(">{C}</a></td>\n      <td class=\"num\">1</td>")),
            "{community}"
        );
        assert!(html.contains("href=\"/coldchain\"") && html.contains("href=\"/fever\""));

        // A bad row: nothing stored, the line named.
        let bad = format!(
            "name,id_number,community_code,origin,departed_on,arrived_at\n\
             赵四,{},{A},US,2026-11-29,2026-11-30 08:00\n\
             钱五,{},{A},US,2026-12-01,2026-11-30 08:00\n",
            crate::id("411702", "1970-01-01", 201),
            crate::id("411702", "1970-01-01", 202),
        );
        let (status, html) =
            upload(&app, &b, "/inbound/travel/import", &csrf, "bad.csv", &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            html.contains("bad.csv:3: departed_on: is after the arrival"),
            "{html}"
        );
        assert_eq!(
            table(&html, "arrivals").matches("<tr><td>").count(),
            3,
            "nothing stored"
        );

        // One arrival reported at a checkpoint.
        let (status, html, _) = post_form(
            &app,
            Some(&b),
            "/inbound/travel",
            &[
                ("csrf", &csrf),
                ("name", "孙六"),
                ("id_number", &crate::id("411702", "1971-02-02", 301)),
                ("community_code", A),
                ("origin", "KR"),
                ("arrived_at", "2026-11-30 09:30"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            html.contains("已登记")
                && html.contains("<code>international</code>: <strong>1</strong>")
        );
        let (status, html, _) = post_form(
            &app,
            Some(&b),
            "/inbound/travel",
            &[
                ("csrf", &csrf),
                ("name", "孙七"),
                ("id_number", &crate::id("411702", "1972-02-02", 302)),
                ("community_code", A),
                ("origin", "KR"),
                ("arrived_at", "2027-01-01 09:30"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            html.contains("arrived_at: is in the future") && html.contains("value=\"孙七\""),
            "{html}"
        );
        let (status, _, _) = post_form(
            &app,
            Some(&b),
            "/inbound/travel",
            &[
                ("csrf", "forged"),
                ("name", "孙七"),
                ("community_code", A),
                ("origin", "KR"),
                ("arrived_at", "2026-11-30 09:30"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, html, _) = b.get("/inbound").await;
        assert_eq!(figure(&html, "total-centralised"), "3");
        app
    })
    .await;
}

#[tokio::test]
async fn areas_are_designated_and_lifted_through_the_forms() {
    each_backend(|app| async move {
        setup(&app).await;
        let mut b = admin(&app).await;
        let (status, html, _) = b.get("/inbound/risk-areas").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let csrf = csrf_of(&html);
        assert!(html.contains("暂无风险区域"));

        let (status, html, _) = post_form(
            &app,
            Some(&b),
            "/inbound/risk-areas",
            &[
                ("csrf", &csrf),
                ("code", "411702001"),
                ("name", "顺河街道"),
                ("level", "high"),
                ("lift_after_days", "99"),
                ("addresses", ""),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            html.contains("lift_after_days: must be between 1 and 60")
                && html.contains("value=\"顺河街道\"")
        );

        let (status, _, location) = post_form(
            &app,
            Some(&b),
            "/inbound/risk-areas",
            &[
                ("csrf", &csrf),
                ("code", "411702001"),
                ("name", "顺河街道"),
                ("level", "high"),
                ("lift_after_days", "14"),
                ("addresses", ""),
            ],
        )
        .await;
        assert_eq!(
            (status, location.as_deref()),
            (
                StatusCode::SEE_OTHER,
                Some("/inbound/risk-areas?done=designated")
            )
        );
        let (status, _, _) = post_form(
            &app,
            Some(&b),
            "/inbound/risk-areas",
            &[
                ("csrf", &csrf),
                ("code", "411721001"),
                ("name", "柏城街道两栋楼"),
                ("level", "medium"),
                ("lift_after_days", ""),
                ("addresses", "幸福小区1号楼\n\n幸福小区2号楼\n"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);

        let (_, html, _) = b.get("/inbound/risk-areas?done=designated").await;
        assert!(html.contains("已划定风险区域"));
        let in_force = table(&html, "in-force");
        let row = row_with(in_force, "data-code=\"411702001\"");
        assert!(
            row.contains("高风险区") && row.contains("<td class=\"num\">14</td>"),
            "{row}"
        );
        let set = row_with(in_force, "data-code=\"411721001\"");
        assert!(set.contains("幸福小区1号楼、幸福小区2号楼"), "{set}");
        // The map is asked to colour both (they lie in the city) over its subdivisions.
        assert!(
            html.contains("data-background=\"[&quot;4117&quot;]\""),
            "{html}"
        );
        assert!(html.contains("&quot;code&quot;:&quot;411702001&quot;"));

        let areas = app
            .app
            .risk_areas(&Actor::system("t"), true, Some("411702001"))
            .await
            .unwrap();
        let id = areas[0].id;
        let (status, _, _) = post_form(
            &app,
            Some(&b),
            &format!("/inbound/risk-areas/{id}/lift"),
            &[("csrf", &csrf), ("reason", "")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _, location) = post_form(
            &app,
            Some(&b),
            &format!("/inbound/risk-areas/{id}/lift"),
            &[("csrf", &csrf), ("reason", "连续14天无新增")],
        )
        .await;
        assert_eq!(
            (status, location.as_deref()),
            (
                StatusCode::SEE_OTHER,
                Some("/inbound/risk-areas?done=lifted")
            )
        );
        let (_, html, _) = b.get("/inbound/risk-areas").await;
        let in_force = table(&html, "in-force");
        assert!(
            !in_force.contains("data-code=\"411702001\"")
                && in_force.contains("data-code=\"411721001\"")
        );
        let history = row_with(&html, &format!("<tr data-id=\"{id}\">"));
        assert!(
            history.contains("连续14天无新增") && history.contains("2026-11-30 10:00"),
            "{history}"
        );

        // An imported list, and the lifting rule run by hand (nothing due yet).
        let (status, html) = upload(
            &app,
            &b,
            "/inbound/risk-areas/import",
            &csrf,
            "areas.csv",
            "code,name,level,lift_after_days\n110105,朝阳区,medium,7\n",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("新划定: <strong>1</strong>"), "{html}");
        assert!(table(&html, "in-force").contains("data-code=\"110105\""));
        let (status, html) = upload(
            &app,
            &b,
            "/inbound/risk-areas/import",
            &csrf,
            "areas.csv",
            "code,name,level\n11x,朝阳区,medium\n",
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("areas.csv:2: code: "), "{html}");
        let (status, html, _) = post_form(
            &app,
            Some(&b),
            "/inbound/risk-areas/sweep",
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("已按规则解除： 0"), "{html}");
        app
    })
    .await;
}

#[tokio::test]
async fn a_measure_shows_its_blockers_and_is_released_once_they_clear() {
    each_backend(|app| async move {
        setup(&app).await;
        let number = crate::id("411702", "1975-03-03", 301);
        let (_, person) = app
            .client
            .create_person(&fangkong_api_types::PersonCreate {
                id_number: Some(number.clone()),
                name: "周七".into(),
                community_code: A.into(),
                ..fangkong_api_types::PersonCreate::default()
            })
            .await
            .unwrap();
        // A fever-clinic patient: one day of monitoring, tested on day 1.
        let (status, m) = app.client.send_json(Method::POST, "/api/v1/inbound/measures",
            &serde_json::json!({"person_id": person.id, "pocket": "fever", "source_ref": "fever:1"})).await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{m}");
        let id = m["id"].as_i64().unwrap();
        let page = format!("/inbound/measures/{id}");

        let mut b = admin(&app).await;
        let (status, html, _) = b.get("/inbound/measures").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let row = row_with(&html, &format!("data-id=\"{id}\""));
        assert!(row.contains("周*") && !row.contains("周七") && row.contains("待落实"), "{row}");
        assert!(row.contains("应解除"), "the last day is today: {row}");

        let (status, html, _) = b.get(&page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let csrf = csrf_of(&html);
        assert!(html.contains("居家健康监测1天，第1天核酸检测"));
        assert!(html.contains("id=\"explanation\">政策default-2022-06版规则"), "{html}");
        for blocker in [
            "<li>管控状态为assigned，未在管控中</li>",
            "<li>第1天（2026-11-30）核酸检测今日待检</li>",
            "<li>末日（2026-11-30）未报健康监测</li>",
        ] {
            assert!(html.contains(blocker), "{blocker}");
        }
        let release = format!("{page}/release");
        let (status, html, _) = post_form(&app, Some(&b), &release, &[("csrf", &csrf)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains(&format!("measure {id} cannot be released: the measure is assigned, not active")));
        assert!(html.contains("<li>末日（2026-11-30）未报健康监测</li>"));

        let (status, _, location) = post_form(&app, Some(&b), &format!("{page}/activate"), &[("csrf", &csrf)]).await;
        assert_eq!((status, location), (StatusCode::SEE_OTHER, Some(format!("{page}?done=activated"))));

        // Staff record a fever with a cough; it blocks the release.
        let (status, _, _) = post_form(&app, Some(&b), &format!("{page}/checks"), &[
            ("csrf", &csrf), ("day", ""), ("temperature", "38.0"), ("symptoms", "cough"), ("symptoms", "fever"),
        ]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, html, _) = post_form(&app, Some(&b), &format!("{page}/checks"), &[
            ("csrf", &csrf), ("day", ""), ("temperature", "55"),
        ]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("temperature: must be between 34 and 43 °C"));
        let (_, html, _) = b.get(&page).await;
        assert!(html.contains("<li>2026-11-30体温38.0℃</li>") && html.contains("<li>2026-11-30报告症状：cough,fever</li>"), "{html}");

        // A personal link for the household: its full address to copy.
        let (status, html, _) = post_form(&app, Some(&b), &format!("{page}/link"), &[("csrf", &csrf)]).await;
        assert_eq!(status, StatusCode::OK);
        let marker = "id=\"link-url\" readonly value=\"";
        let at = html.find(marker).unwrap() + marker.len();
        // Attribute values escape the slash; a browser reads it back as `/`.
        let url = html[at..].split('"').next().unwrap().replace("&#x2f;", "/");
        let prefix = format!("{}/h/m{id}.", app.base_url);
        assert!(url.starts_with(&prefix), "{url}");
        let path = url.strip_prefix(&app.base_url).unwrap().to_string();

        // Without a session: the page, then today's check, which replaces the fever.
        let r = client().get(format!("{}{path}", app.base_url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("周*") && !html.contains("周七") && !html.contains("href=\"/inbound\""), "{html}");
        assert!(html.contains("name=\"symptoms\" value=\"loss_of_taste_smell\""));
        let (status, html, _) = post_form(&app, None, &path, &[("measure_id", &id.to_string()), ("temperature", "36.6")]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("已收到今日健康监测报告") && html.contains("今日已报告： 36.6 ℃"), "{html}");
        let (status, html, _) = post_form(&app, None, &path, &[("measure_id", &id.to_string()), ("temperature", "50")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("temperature: must be between 34 and 43 °C"));
        let forged = path.replacen('.', "x.", 1);
        let (status, html, _) = post_form(&app, None, &forged, &[("measure_id", &id.to_string()), ("temperature", "36.6")]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(html.contains("该链接无效或已过期"));
        let r = client().get(format!("{}{forged}", app.base_url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no redirect to the login page");

        // The day-1 test, negative, through the testing module; then the release holds.
        let actor = Actor::system("test");
        app.app.ingest_samples(&actor, "s.csv",
            format!("tube_id,id_number,site_code,collected_at\nF1,{number},S1,2026-11-30 09:30\n").as_bytes())
            .await.unwrap();
        app.app.ingest_results(&actor, "r.csv",
            b"tube_id,result,lab_code,tested_at,reported_at\nF1,negative,L1,2026-11-30 09:50,2026-11-30 09:55\n")
            .await.unwrap();
        let (_, html, _) = b.get(&page).await;
        assert!(html.contains("id=\"blockers-none\"") && html.contains("<code>F1</code>"), "{html}");
        assert!(html.contains("本人") && html.contains("link:m"), "the link's check is listed");
        let (status, _, location) = post_form(&app, Some(&b), &release, &[("csrf", &csrf)]).await;
        assert_eq!((status, location), (StatusCode::SEE_OTHER, Some(format!("{page}?done=released"))));
        let (_, html, _) = b.get(&format!("{page}?done=released")).await;
        assert!(html.contains("已解除管控。") && html.contains("<span class=\"badge\">已解除</span>"));
        app
    })
    .await;
}

#[tokio::test]
async fn notices_reveal_the_name_and_are_audited_and_reviews_are_decided() {
    each_backend(|app| async move {
        setup(&app).await;
        let mut b = admin(&app).await;
        let (_, html, _) = b.get("/inbound/travel").await;
        let csrf = csrf_of(&html);
        let list = format!(
            "name,id_number,community_code,origin,departed_on,arrived_at\n\
             张一,{},{A},110105001001,2026-11-29,2026-11-30 08:00\n",
            crate::id("411702", "1980-01-01", 101),
        );
        // Arriving from a low-risk area: monitored at home.
        let (status, _, _) = post_form(
            &app,
            Some(&b),
            "/inbound/risk-areas",
            &[
                ("csrf", &csrf),
                ("code", "110105"),
                ("name", "朝阳区"),
                ("level", "low"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) =
            upload(&app, &b, "/inbound/travel/import", &csrf, "list.csv", &list).await;
        assert_eq!(status, StatusCode::OK);
        let id = app
            .app
            .measures(&Actor::system("t"), None, true, 10)
            .await
            .unwrap()[0]
            .measure
            .id;

        let (_, html, _) = b.get("/inbound/measures").await;
        assert!(html.contains(&format!("name=\"id\" value=\"{id}\"")));
        let (status, _, _) = post_form(
            &app,
            Some(&b),
            "/inbound/notices",
            &[("csrf", &csrf), ("id", &id.to_string()), ("purpose", "")],
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a purpose is needed"
        );
        let (status, html, _) = post_form(
            &app,
            Some(&b),
            "/inbound/notices",
            &[
                ("csrf", &csrf),
                ("id", &id.to_string()),
                ("purpose", "入户送达"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            html.contains("<strong class=\"notice-name\">张一</strong>"),
            "revealed"
        );
        assert!(html.contains("管控措施告知书") && html.contains("居家健康监测3天"));
        assert!(
            html.contains(
                "<strong>2026-11-30</strong>（第1天）起至<strong>2026-12-02</strong>（第3天）止"
            ),
            "{html}"
        );
        assert!(
            html.contains("<li>第1天：2026-11-30</li>")
                && html.contains("<li>第3天：2026-12-02</li>"),
            "{html}"
        );
        assert!(html.contains("驿城区顺河街道一号社区"), "{html}");
        assert!(html.contains("被告知人（签字）"));
        let filter = fangkong_store::audit::AuditFilter {
            action: Some("inbound.notices_print".into()),
            limit: 10,
            ..Default::default()
        };
        let audited = app.store.audit().search(&filter).await.unwrap();
        assert_eq!(audited.len(), 1);
        assert_eq!(audited[0].purpose.as_deref(), Some("入户送达"));

        // Chaoyang becomes high risk: the change waits on the reviews page.
        let (status, _, _) = post_form(
            &app,
            Some(&b),
            "/inbound/risk-areas",
            &[
                ("csrf", &csrf),
                ("code", "110105"),
                ("name", "朝阳区"),
                ("level", "high"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, html, _) = b.get("/inbound").await;
        assert_eq!(figure(&html, "pending-reviews"), "1");
        let (status, html, _) = b.get("/inbound/reviews").await;
        assert_eq!(status, StatusCode::OK);
        let review = app
            .app
            .measure_reviews(&Actor::system("t"), true)
            .await
            .unwrap()[0]
            .id;
        let row = row_with(&html, &format!("data-id=\"{review}\""));
        assert!(
            row.contains("居家健康监测3天") && row.contains("集中隔离7天") && row.contains("张*"),
            "{row}"
        );
        let (status, _, location) = post_form(
            &app,
            Some(&b),
            &format!("/inbound/reviews/{review}"),
            &[("csrf", &csrf), ("decision", "apply")],
        )
        .await;
        assert_eq!(
            (status, location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/inbound/reviews?done=applied"))
        );
        let (_, html, _) = b.get(&format!("/inbound/measures/{id}")).await;
        assert!(html.contains("id=\"plan\">集中隔离7天"), "{html}");
        app
    })
    .await;
}

#[tokio::test]
async fn policy_versions_are_listed_and_a_bad_file_is_refused_with_its_rule_and_field() {
    each_backend(|app| async move {
        setup(&app).await;
        let mut b = admin(&app).await;
        let (status, html, _) = b.get("/inbound/policies").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("data-version=\"default-2022-06\""), "{html}");
        assert!(html.contains("今日生效"));
        assert!(html.contains("集中隔离7天+居家健康监测3天，第1、2、3、5、7、10天核酸检测"));
        let csrf = csrf_of(&html);
        // A rule without its measure: refused, the default stays in force.
        let bad = DEFAULT_POLICY
            .replace("version = \"default-2022-06\"", "version = \"bad\"")
            .replacen("measure = {", "measures = {", 1);
        let (status, html) = upload(&app, &b, "/inbound/policies", &csrf, "bad.toml", &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(
            html.contains("bad.toml:"),
            "the file and line are named: {html}"
        );
        assert!(!html.contains("data-version=\"bad\""));
        let good = DEFAULT_POLICY.replace(
            "version = \"default-2022-06\"",
            "version = \"city-2026-12\"",
        );
        let (status, html) = upload(&app, &b, "/inbound/policies", &csrf, "city.toml", &good).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("city.toml: city-2026-12 已载入"), "{html}");
        assert!(html.contains("data-version=\"city-2026-12\""));
        app
    })
    .await;
}

#[tokio::test]
async fn without_inbound_read_every_inbound_page_is_forbidden() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    app.app
        .create_user("auditor", "password", "auditor", None)
        .await
        .unwrap();
    let mut b = Browser::new(&app);
    b.login("auditor", "password", "/").await;
    for path in [
        "/inbound",
        "/inbound/risk-areas",
        "/inbound/travel",
        "/inbound/measures",
        "/inbound/measures/1",
        "/inbound/reviews",
        "/inbound/policies",
    ] {
        let (status, html, _) = b.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("403"), "{path}: the error page");
    }
    let (_, html, _) = b.get("/").await;
    assert!(!html.contains("href=\"/inbound\""), "no nav entry");
    let (status, _, _) = post_form(
        &app,
        Some(&b),
        "/inbound/notices",
        &[("csrf", &csrf_of(&html)), ("id", "1"), ("purpose", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.verify().await;
}

#[test]
fn every_inbound_key_is_in_both_locales() {
    let zh: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../fangkong-server/locales/zh-CN.json")).unwrap();
    let en: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../fangkong-server/locales/en.json")).unwrap();
    let templates = [
        include_str!("../../../fangkong-server/templates/inbound/board.html"),
        include_str!("../../../fangkong-server/templates/inbound/risk_areas.html"),
        include_str!("../../../fangkong-server/templates/inbound/travel.html"),
        include_str!("../../../fangkong-server/templates/inbound/measures.html"),
        include_str!("../../../fangkong-server/templates/inbound/measure.html"),
        include_str!("../../../fangkong-server/templates/inbound/reviews.html"),
        include_str!("../../../fangkong-server/templates/inbound/notices.html"),
        include_str!("../../../fangkong-server/templates/inbound/link.html"),
        include_str!("../../../fangkong-server/templates/inbound/link_refused.html"),
        include_str!("../../../fangkong-server/templates/inbound/_tabs.html"),
        include_str!("../../../fangkong-server/templates/inbound/_notice.html"),
    ];
    for t in templates {
        for part in t.split("t(\"").skip(1) {
            let key = part.split('"').next().unwrap();
            if !key.ends_with('.') {
                assert!(
                    zh.contains_key(key) && en.contains_key(key),
                    "{key} missing"
                );
            }
        }
    }
    for s in fangkong_app::measures::SYMPTOMS {
        assert!(zh.contains_key(&format!("symptom.{s}")), "symptom.{s}");
    }
}
