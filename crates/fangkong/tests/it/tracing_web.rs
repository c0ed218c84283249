//! The tracing pages as a signed-in browser sees them, on both backends: venue and check-in
//! uploads with their summary, a case registered through the form, an itinerary entry at a
//! venue, the overlapping check-in proposed as a candidate, confirmed with its measure, the
//! chain and its downloads, a venue-time search, a candidate outside a county user's
//! jurisdiction badged, the language switch, and no page without `tracing.read`.

use fangkong_app::inbound::DEFAULT_POLICY;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

use crate::web::{csrf_of, figure, Browser};

const A: &str = "411702001001";
const VENUE: &str = "P4117020010010001";
const VENUE_C: &str = "P4117210010010001";

/// Jurisdictions of a small city, the default policy, four residents (three in A, one in
/// the other county) and their ID numbers.
async fn setup(app: &TestApp) -> [String; 4] {
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
    let ids = [
        crate::id("411702", "1980-01-01", 101),
        crate::id("411702", "1985-05-05", 102),
        crate::id("411702", "1990-09-09", 103),
        crate::id("411721", "1975-03-03", 104),
    ];
    let persons = format!(
        "name,id_number,phone,community_code\n张一,{},,{A}\n李二,{},,{A}\n赵四,{},,{A}\n\
         王三,{},,411721001001\n",
        ids[0], ids[1], ids[2], ids[3]
    );
    app.client
        .import_persons("persons.csv", persons.into_bytes())
        .await
        .unwrap();
    ids
}

async fn login(app: &TestApp, user: &str, password: &str) -> Browser {
    let mut b = Browser::new(app);
    let (status, _, _) = b.login(user, password, "/tracing").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    b
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts a form with the session cookie; returns status, body and location.
async fn post_form(
    app: &TestApp,
    b: &Browser,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let r = client()
        .post(format!("{}{path}", app.base_url))
        .header("cookie", b.cookies.join("; "))
        .form(form)
        .send()
        .await
        .unwrap();
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
    let boundary = "----fangkongTracingBoundary6";
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

/// A download: status, content type, content disposition and body.
async fn download(app: &TestApp, b: &Browser, path: &str) -> (StatusCode, String, String, String) {
    let r = client()
        .get(format!("{}{path}", app.base_url))
        .header("cookie", b.cookies.join("; "))
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    (
        r.status(),
        content_type,
        disposition,
        r.text().await.unwrap(),
    )
}

/// The part of the page inside the element with `id` (up to the next `</table>`).
fn table<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} not on the page"));
    let end = at + html[at..].find("</table>").unwrap();
    &html[at..end]
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

/// The value of the first input named `name` in `html`.
fn value_of(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} not in {html}"))
        + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Registers a case through the form; returns its page's path.
async fn register(app: &TestApp, b: &Browser, csrf: &str, id_number: &str, onset: &str) -> String {
    let (status, html, location) = post_form(
        app,
        b,
        "/tracing/cases",
        &[
            ("csrf", csrf),
            ("id_number", id_number),
            ("classification", "confirmed"),
            ("detection", "fever_clinic"),
            ("onset_at", onset),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let location = location.unwrap();
    assert!(location.ends_with("?done=registered"), "{location}");
    location.trim_end_matches("?done=registered").to_string()
}

#[tokio::test]
async fn a_case_is_traced_through_the_pages_and_its_contact_put_under_control() {
    each_backend(|app| async move {
        let ids = setup(&app).await;
        let mut b = login(&app, "admin", "admin-password").await;
        let (status, html, _) = b.get("/tracing").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("href=\"/tracing\" aria-current=\"page\">流调溯源"));
        assert!(html.contains("暂无病例。") && html.contains("没有待登记的疑似病例。"));
        let csrf = csrf_of(&html);

        // A venue list, then check-ins: the case, an overlapping visitor, a later visitor,
        // an unknown person and a check-out before the check-in.
        let venues = format!("place_code,name,kind\n{VENUE},老地方餐馆,餐馆\n");
        let (status, html) =
            upload(&app, &b, "/tracing/venues/import", &csrf, "venues.csv", &venues).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("venues.csv: 已导入"), "{html}");
        assert!(html.contains("新增场所: <strong>1</strong>"), "{html}");
        assert!(table(&html, "venues").contains(&format!("<code>{VENUE}</code>")));
        let checkins = format!(
            "身份证号,场所码,进入时间,离开时间\n\
             {},{VENUE},2026-11-28 12:00,2026-11-28 13:00\n\
             {},{VENUE},2026-11-28 12:30,2026-11-28 14:00\n\
             {},{VENUE},2026-11-28 15:00,2026-11-28 16:00\n\
             {},{VENUE},2026-11-28 12:00,2026-11-28 13:00\n\
             {},{VENUE},2026-11-28 12:00,2026-11-28 11:00\n",
            ids[0],
            ids[1],
            ids[2],
            crate::id("411702", "1999-09-09", 109),
            ids[2],
        );
        let (status, html) =
            upload(&app, &b, "/tracing/checkins/import", &csrf, "scans.csv", &checkins).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        for (label, n) in [("总行数", 5), ("入库", 3), ("重复", 0), ("拒收", 2)] {
            assert!(
                html.contains(&format!("{label}: <strong>{n}</strong>")),
                "{label} {n}: {html}"
            );
        }
        let refused = table(&html, "refused-rows");
        assert!(
            refused.contains("<td class=\"num\">5</td><td><code>national_id</code></td><td>no registered person</td>"),
            "{refused}"
        );
        assert!(
            refused.contains("<td class=\"num\">6</td><td><code>time_out</code></td><td>is before time_in</td>"),
            "{refused}"
        );
        let (_, html) =
            upload(&app, &b, "/tracing/checkins/import", &csrf, "scans.csv", &checkins).await;
        assert!(html.contains("入库: <strong>0</strong>") && html.contains("重复: <strong>3</strong>"), "{html}");

        // A bad ID number is named; the form keeps what was typed but not the number.
        let (status, html, _) = post_form(
            &app,
            &b,
            "/tracing/cases",
            &[("csrf", &csrf), ("id_number", "41170219800101123"), ("classification", "confirmed"), ("detection", "fever_clinic"), ("source_alert", "F-77")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(figure(&html, "notice-error").starts_with("id_number: "), "{html}");
        assert!(html.contains("value=\"F-77\"") && !html.contains("value=\"411702198001011234\""));
        let (status, _, _) = post_form(
            &app,
            &b,
            "/tracing/cases",
            &[("csrf", "forged"), ("id_number", &ids[0]), ("classification", "confirmed"), ("detection", "fever_clinic")],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let case = register(&app, &b, &csrf, &ids[0], "2026-11-28 20:00").await;
        let (status, html, _) = b.get(&format!("{case}?done=registered")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("病例已登记。"));
        assert!(html.contains("id=\"classification\">确诊病例</span>"), "{html}");
        assert!(html.contains("张*") && !html.contains("张一") && !html.contains(&ids[0]));
        assert!(row_with(&html, "data-kind=\"registered\"").contains("<td>登记</td>"));
        assert!(html.contains("尚未记录活动轨迹。") && html.contains("没有新的疑似密接。"));

        // The itinerary: a refused entry names its field, then the venue visit.
        let (status, html, _) = post_form(
            &app,
            &b,
            &format!("{case}/itinerary"),
            &[("csrf", &csrf), ("start_at", "2026-11-28 13:00"), ("end_at", "2026-11-28 12:00"), ("place_code", VENUE), ("note", "午餐")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(figure(&html, "notice-error"), "end_at: must be after start_at");
        assert!(html.contains("value=\"午餐\""));
        let (status, _, location) = post_form(
            &app,
            &b,
            &format!("{case}/itinerary"),
            &[("csrf", &csrf), ("start_at", "2026-11-28 12:00"), ("end_at", "2026-11-28 13:00"), ("place_code", VENUE), ("note", "午餐")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), format!("{case}?done=itinerary_added"));

        // The overlapping visitor is the one candidate: 12:30–13:30 (the case's hour widened
        // by the default 30 minutes), the later visitor is not.
        let (_, html, _) = b.get(&case).await;
        let itinerary = table(&html, "itinerary");
        assert!(itinerary.contains("老地方餐馆") && itinerary.contains("2026-11-28 12:00"));
        let candidates = table(&html, "candidates");
        assert_eq!(candidates.matches("<tr data-person=").count(), 1, "{candidates}");
        let row = row_with(candidates, "李*");
        assert!(
            row.contains("<td class=\"num\">60</td><td>2026-11-28 12:30</td><td>2026-11-28 13:30</td>"),
            "{row}"
        );
        assert!(!row.contains("辖区外"));
        assert_eq!(value_of(row, "last_exposure_at"), "2026-11-28T13:30:00+08:00");
        assert_eq!(value_of(row, "overlap_minutes"), "60");
        let (_, html, _) = b.get(&format!("{case}?margin=0")).await;
        let row = row_with(table(&html, "candidates"), "李*");
        assert!(row.contains("<td class=\"num\">30</td>"), "{row}");
        let (status, html, _) = b.get(&format!("{case}?margin=2000")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(figure(&html, "notice-error"), "margin: must be between 0 and 1440 minutes");

        // Confirmed as a close contact: the measure of the policy follows.
        let (_, html, _) = b.get(&case).await;
        let row = row_with(table(&html, "candidates"), "李*").to_string();
        let fields: Vec<(&str, String)> = ["person_id", "setting", "venue_id", "last_exposure_at", "overlap_minutes"]
            .into_iter()
            .map(|n| (n, value_of(&row, n)))
            .collect();
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("degree", "close")];
        form.extend(fields.iter().map(|(n, v)| (*n, v.as_str())));
        let (status, html, location) =
            post_form(&app, &b, &format!("{case}/contacts/confirm"), &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
        assert_eq!(location.unwrap(), format!("{case}?done=contact_confirmed"));
        let (_, html, _) = b.get(&format!("{case}?done=contact_confirmed")).await;
        assert!(html.contains("已判定密接并分配管控措施。"));
        assert!(html.contains("没有新的疑似密接。"));
        let contacts = table(&html, "contacts");
        let row = row_with(contacts, "李*");
        assert!(row.contains("<td>密切接触者</td>"), "{row}");
        assert!(row.contains("<td>2026-11-28 13:30</td><td class=\"num\">60</td>"), "{row}");
        assert!(row.contains("<span class=\"badge measure-assigned\">待落实</span>"), "{row}");
        let measure = row.split("href=\"/inbound/measures/").nth(1).unwrap().split('"').next().unwrap();
        let (status, measure_page, _) = b.get(&format!("/inbound/measures/{measure}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(measure_page.contains("李*") && measure_page.contains("close-contact"));

        // Both milestones at once: reported at 10:00, completed at 10:00.
        for (path, done) in [("itinerary/complete", "itinerary_completed"), ("contacts/complete", "contacts_completed")] {
            let (status, _, location) = post_form(&app, &b, &format!("{case}/{path}"), &[("csrf", &csrf)]).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(location.unwrap(), format!("{case}?done={done}"));
        }
        let (_, html, _) = b.get(&case).await;
        assert_eq!(figure(&html, "itinerary-hours"), "0.0");
        assert_eq!(figure(&html, "contacts-hours"), "0.0");
        assert!(html.contains("id=\"itinerary-complete\">已完成 2026-11-30 10:00"));

        // The contact falls ill: a second case linked to the first.
        let second = register(&app, &b, &csrf, &ids[1], "2026-11-29 20:00").await;
        let first_id = case.rsplit('/').next().unwrap();
        let (status, html, _) = post_form(
            &app,
            &b,
            &format!("{second}/links"),
            &[("csrf", &csrf), ("infector_case_id", "999999"), ("confidence", "confirmed"), ("setting", "venue")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains("no case has this id in your jurisdiction"), "{html}");
        let (status, _, location) = post_form(
            &app,
            &b,
            &format!("{second}/links"),
            &[("csrf", &csrf), ("infector_case_id", first_id), ("confidence", "probable"), ("setting", "venue")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), format!("{second}?done=linked"));
        let (_, html, _) = b.get(&second).await;
        assert!(
            html.contains(&format!("<p id=\"infected-by\"><a href=\"{case}\">#{first_id}</a> · <span class=\"badge link-probable\">很可能</span> · 公共场所")),
            "{html}"
        );
        let (_, html, _) = b.get(&case).await;
        assert!(table_free(&html, "infected").contains(&format!("href=\"{second}\"")));

        // The overview: two cases, one with both milestones in 0 hours.
        let (_, html, _) = b.get("/tracing").await;
        let total = row_with(table(&html, "timeliness"), "data-code=\"total\"");
        assert!(
            total.contains("<td class=\"num\">2</td>\n        <td class=\"num\">1</td>\n        <td class=\"num\">0.0</td>\n        <td class=\"num\">1 (100%)</td>"),
            "{total}"
        );
        assert!(row_with(&html, "data-code=\"411702\"").contains("驿城区"));
        assert_eq!(table(&html, "cases").matches("<tr data-case=").count(), 2);
        let (_, html, _) = b.get("/tracing?classification=suspected").await;
        assert!(html.contains("暂无病例。"));

        // The chain: one cluster of two, a serial interval of one day.
        let (status, html, _) = b.get("/tracing/chains").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("id=\"chain-graph\" data-graph=\""));
        assert!(html.contains("/assets/js/tracing.js"));
        let clusters = table(&html, "clusters");
        assert_eq!(clusters.matches("<tr data-cluster=").count(), 1);
        assert!(clusters.contains(&format!("<td class=\"num\">2</td><td><a href=\"{case}\">张*</a></td><td class=\"num\">2</td><td>2026-11-30</td><td>2026-11-30</td>")), "{clusters}");
        assert_eq!(figure(&html, "serial-n"), "1");
        assert_eq!(figure(&html, "serial-mean"), "1.0");
        assert_eq!(figure(&html, "serial-range"), "1 – 1");
        let (status, content_type, disposition, body) = download(&app, &b, "/tracing/chains.graphml").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "application/graphml+xml");
        assert_eq!(disposition, "attachment; filename=\"chains-2026-11-30.graphml\"");
        assert!(body.contains("<graphml") && body.contains("张*") && !body.contains("张一"));
        let (status, content_type, disposition, body) = download(&app, &b, "/tracing/chains.csv").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "text/csv; charset=utf-8");
        assert_eq!(disposition, "attachment; filename=\"chains-2026-11-30.csv\"");
        assert!(body.contains("李*"), "{body}");
        let (status, content_type, disposition, body) = download(&app, &b, "/tracing/chains.xlsx").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        assert_eq!(disposition, "attachment; filename=\"chains-2026-11-30.xlsx\"");
        assert!(body.starts_with("PK"), "a workbook");

        // Who was at the venue from 12:00 to 13:00: the case and the visitor.
        let (status, html, _) = b
            .get(&format!("/tracing/venues?venue={VENUE}&from=2026-11-28+12:00&to=2026-11-28+13:00&margin=0"))
            .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert_eq!(figure(&html, "searched-venue"), "老地方餐馆 ");
        let exposed = table(&html, "exposed");
        assert_eq!(exposed.matches("<tr data-person=").count(), 2, "{exposed}");
        assert!(row_with(exposed, "张*").contains("<td class=\"num\">60</td>"));
        assert!(row_with(exposed, "李*").contains("<td class=\"num\">30</td>"));
        let (status, html, _) = b
            .get("/tracing/venues?venue=P4117020010019999&from=2026-11-28+12:00&to=2026-11-28+13:00")
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(figure(&html, "notice-error"), "venue: no venue in your jurisdiction has this place code");

        // The English switch.
        b.get("/lang/en?next=/tracing").await;
        let (_, html, _) = b.get("/tracing").await;
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("href=\"/tracing\" aria-current=\"page\">Tracing</a>"));
        assert!(html.contains("<h2>Tracing timeliness</h2>"));
        assert!(row_with(&html, "data-case=").contains("confirmed case"));
        app
    })
    .await;
}

/// The part of the page inside the element with `id` (up to the next `</ul>`).
fn table_free<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} not on the page"));
    let end = at + html[at..].find("</ul>").unwrap();
    &html[at..end]
}

#[tokio::test]
async fn a_candidate_from_another_county_is_badged_for_a_county_investigator() {
    each_backend(|app| async move {
        let ids = setup(&app).await;
        app.app
            .create_user("xiping", "password-xiping", "tracing-staff", Some("411721"))
            .await
            .unwrap();
        let mut admin = login(&app, "admin", "admin-password").await;
        let (_, html, _) = admin.get("/tracing/venues").await;
        let csrf = csrf_of(&html);
        // A venue in 西平县 where 王三 (西平) and 张一 (驿城区) met.
        let venues = format!("场所码,场所名称,场所类型\n{VENUE_C},西平超市,超市\n");
        let (status, html) = upload(&app, &admin, "/tracing/venues/import", &csrf, "v.csv", &venues).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let checkins = format!(
            "id_number,place_code,time_in,time_out\n{},{VENUE_C},2026-11-29 09:00,2026-11-29 10:00\n\
             {},{VENUE_C},2026-11-29 09:10,2026-11-29 09:40\n",
            ids[3], ids[0]
        );
        let (status, html) = upload(&app, &admin, "/tracing/checkins/import", &csrf, "c.csv", &checkins).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("入库: <strong>2</strong>"), "{html}");

        let mut b = login(&app, "xiping", "password-xiping").await;
        let (_, html, _) = b.get("/tracing").await;
        let csrf = csrf_of(&html);
        // 张一 lives outside the county: not registrable here.
        let (status, _, _) = post_form(
            &app,
            &b,
            "/tracing/cases",
            &[("csrf", &csrf), ("id_number", &ids[0]), ("classification", "confirmed"), ("detection", "other")],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let case = register(&app, &b, &csrf, &ids[3], "2026-11-29 20:00").await;
        let (status, _, location) = post_form(&app, &b, &format!("{case}/itinerary/checkins"), &[("csrf", &csrf)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), format!("{case}?done=checkins_added"));
        let (_, html, _) = b.get(&format!("{case}?done=checkins_added")).await;
        assert!(html.contains("已导入本人扫码记录。"));
        let itinerary = table(&html, "itinerary");
        assert!(itinerary.contains("西平超市") && itinerary.contains("<td>check-in</td>"), "{itinerary}");
        let row = row_with(table(&html, "candidates"), "张*");
        assert!(row.contains("<span class=\"badge outside\">辖区外</span>"), "{row}");
        assert!(row.contains("<td class=\"num\">30</td>"), "{row}");
        app
    })
    .await;
}

#[tokio::test]
async fn a_suspected_case_from_testing_is_registered_from_the_overview() {
    each_backend(|app| async move {
        let ids = setup(&app).await;
        // A single tube of 赵四 found positive: a suspected case waiting to be registered.
        let system = fangkong_app::Actor::system("test");
        let samples = format!(
            "tube_id,id_number,site_code,collected_at,pool_size\nT7,{},S1,2026-11-30 06:00,1\n",
            ids[2]
        );
        app.app
            .ingest_samples(&system, "round.csv", samples.as_bytes())
            .await
            .unwrap();
        let results = "{\"tube_id\":\"T7\",\"result\":\"positive\",\"lab_code\":\"L1\",\"tested_at\":\"2026-11-30 08:00\",\"reported_at\":\"2026-11-30 08:30\"}\n";
        let r = app
            .app
            .ingest_results(&system, "lab.ndjson", results.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.suspected_cases_created, 1);

        let mut b = login(&app, "admin", "admin-password").await;
        let (_, html, _) = b.get("/tracing").await;
        let pending = table(&html, "pending");
        assert_eq!(pending.matches("<tr data-person=").count(), 1);
        let row = row_with(pending, "赵*");
        assert!(row.contains("<td><code>T7</code></td>"), "{row}");
        assert!(!row.contains(&ids[2]), "masked");
        assert!(row.contains("<option value=\"testing_round\" selected>核酸筛查</option>"), "{row}");
        let person_id = value_of(row, "person_id");
        let (status, _, location) = post_form(
            &app,
            &b,
            "/tracing/cases",
            &[
                ("csrf", &csrf_of(&html)),
                ("person_id", &person_id),
                ("source_tube", "T7"),
                ("classification", "suspected"),
                ("detection", "testing_round"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let case = location.unwrap().trim_end_matches("?done=registered").to_string();
        let (_, html, _) = b.get(&case).await;
        assert!(html.contains("<dd><code>T7</code></dd>") && html.contains("<dd>核酸筛查</dd>"), "{html}");
        assert!(html.contains("id=\"classification\">疑似病例</span>"));
        let (_, html, _) = b.get("/tracing").await;
        assert!(html.contains("没有待登记的疑似病例。"));

        // Confirmed later: the history keeps the reclassification.
        let (status, _, location) = post_form(
            &app,
            &b,
            &format!("{case}/update"),
            &[("csrf", &csrf_of(&html)), ("classification", "confirmed"), ("severity", "mild"), ("note", "复核阳性")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), format!("{case}?done=updated"));
        let (_, html, _) = b.get(&case).await;
        let row = row_with(&html, "data-kind=\"reclassified\"");
        assert!(row.contains("<td>订正分类</td>") && row.contains("疑似病例 → 确诊病例"), "{row}");
        assert!(row.contains("复核阳性"), "{row}");
        // Back is not allowed: the refusal names the field.
        let (status, html, _) = post_form(
            &app,
            &b,
            &format!("{case}/update"),
            &[("csrf", &csrf_of(&html)), ("classification", "suspected")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(figure(&html, "notice-error"), "classification: a case confirmed cannot become suspected");
        app
    })
    .await;
}

#[tokio::test]
async fn without_tracing_read_every_tracing_page_is_forbidden() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    app.app
        .create_user("auditor", "password", "auditor", None)
        .await
        .unwrap();
    let mut b = Browser::new(&app);
    b.login("auditor", "password", "/").await;
    for path in [
        "/tracing",
        "/tracing/cases/1",
        "/tracing/chains",
        "/tracing/chains.graphml",
        "/tracing/chains.csv",
        "/tracing/chains.xlsx",
        "/tracing/venues",
    ] {
        let (status, html, _) = b.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("403"), "{path}: the error page");
    }
    let (_, html, _) = b.get("/").await;
    assert!(!html.contains("href=\"/tracing\""), "no nav entry");
    let (status, _, _) = post_form(
        &app,
        &b,
        "/tracing/cases",
        &[
            ("csrf", &csrf_of(&html)),
            ("person_id", "1"),
            ("classification", "confirmed"),
            ("detection", "other"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Without a session: the login page.
    let (status, _, location) = Browser::new(&app).get("/tracing").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.unwrap().starts_with("/login?next="));
    app.verify().await;
}

#[test]
fn every_tracing_key_is_in_both_locales() {
    let zh: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../fangkong-server/locales/zh-CN.json")).unwrap();
    let en: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../fangkong-server/locales/en.json")).unwrap();
    let templates = [
        include_str!("../../../fangkong-server/templates/tracing/overview.html"),
        include_str!("../../../fangkong-server/templates/tracing/case.html"),
        include_str!("../../../fangkong-server/templates/tracing/chains.html"),
        include_str!("../../../fangkong-server/templates/tracing/venues.html"),
        include_str!("../../../fangkong-server/templates/tracing/_tabs.html"),
        include_str!("../../../fangkong-server/templates/tracing/_notice.html"),
    ];
    let mut keys: Vec<String> = Vec::new();
    for t in templates {
        for part in t.split("t(\"").skip(1) {
            let key = part.split('"').next().unwrap();
            if !key.ends_with('.') {
                keys.push(key.to_string());
            }
        }
    }
    for kind in [
        "registered",
        "reclassified",
        "severity",
        "onset",
        "isolated",
        "admitted",
        "outcome",
        "itinerary_completed",
        "contacts_completed",
    ] {
        keys.push(format!("tracing.event.{kind}"));
    }
    for done in [
        "registered",
        "updated",
        "itinerary_added",
        "checkins_added",
        "checkins_none",
        "itinerary_removed",
        "itinerary_completed",
        "contact_confirmed",
        "contact_dismissed",
        "contacts_completed",
        "linked",
        "unlinked",
    ] {
        keys.push(format!("tracing.done.{done}"));
    }
    for key in keys {
        assert!(
            zh.contains_key(&key) && en.contains_key(&key),
            "{key} missing"
        );
    }
}
