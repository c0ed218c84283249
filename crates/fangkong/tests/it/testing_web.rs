//! The testing pages as a signed-in browser sees them, over a small known city on both
//! backends: exact coverage of a community, the positive pool with its members, an overdue
//! member shown masked, XLSX exports that read back, and no page without `testing.read`.

use std::collections::BTreeSet;

use fangkong_app::Actor;
use fangkong_domain::mask::mask_name;
use fangkong_domain::{JurisdictionCode, Scope};
use fangkong_store::persons::Person;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

use crate::web::{csrf_of, Browser};

/// A community of the demo city and what was collected there.
struct Known {
    community: String,
    /// Residents of the community (the round's target there).
    residents: Vec<Person>,
    /// Full ID numbers of the residents, in the same order.
    ids: Vec<String>,
    /// The registered lab that tested both tubes.
    lab: String,
}

/// Loads the city, creates round `R1` over it and samples four residents of one community:
/// three in a pool `P1` that tests positive, one alone in `S1` that tests negative, at a
/// sampling site of the community's county, both tested by a registered lab.
async fn known_city(app: &TestApp) -> Known {
    app.load_city(1_000).await;
    // The community with the most residents (the smallest code among equals).
    let everyone = app
        .store
        .persons()
        .search(&Scope::system(), "", None, 10_000, 0)
        .await
        .unwrap();
    let mut sizes: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for p in &everyone {
        *sizes.entry(p.community_code.as_str()).or_default() += 1;
    }
    let community = sizes
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(c, _)| c.to_string())
        .unwrap();
    let within = JurisdictionCode::parse(&community).unwrap();
    let residents = app
        .store
        .persons()
        .search(&Scope::system(), "", Some(&within), 10_000, 0)
        .await
        .unwrap();
    assert!(
        residents.len() >= 6,
        "the community has {} residents",
        residents.len()
    );
    let mut ids = Vec::new();
    for p in &residents {
        ids.push(
            app.store
                .persons()
                .reveal_document(&Scope::system(), p.id)
                .await
                .unwrap(),
        );
    }
    let county = &community[..6];
    let testing = app.store.testing();
    let site = testing
        .testing_facilities("sampling_site", (county, &format!("{county}:")))
        .await
        .unwrap()
        .remove(0)
        .code;
    let lab = testing
        .testing_facilities("lab", ("", ":"))
        .await
        .unwrap()
        .remove(0)
        .code;
    let system = Actor::system("test");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    app.app
        .create_round(&system, "R1", "全员核酸第一轮", "4117", (day, day), None)
        .await
        .unwrap();
    let samples = format!(
        "tube_id,id_number,site_code,collected_at,pool_size,round_code\n\
         P1,{a},{site},2026-11-30 08:00,3,R1\nP1,{b},{site},2026-11-30 08:00,3,R1\n\
         P1,{c},{site},2026-11-30 08:00,3,R1\nS1,{d},{site},2026-11-30 08:05,1,R1\n",
        a = ids[0],
        b = ids[1],
        c = ids[2],
        d = ids[3],
    );
    let r = app
        .app
        .ingest_samples(&system, "samples.csv", samples.as_bytes())
        .await
        .unwrap();
    assert_eq!((r.stored, r.refused.len()), (4, 0));
    let results = format!(
        "tube_id,result,ct_orf1ab,ct_n,lab_code,tested_at,reported_at\n\
         P1,positive,28.5,30.1,{lab},2026-11-30 09:00,2026-11-30 09:30\n\
         S1,negative,,,{lab},2026-11-30 09:00,2026-11-30 09:45\n"
    );
    let r = app
        .app
        .ingest_results(&system, "results.csv", results.as_bytes())
        .await
        .unwrap();
    assert_eq!((r.stored, r.retest_tasks_created), (2, 3));
    Known {
        community,
        residents,
        ids,
        lab,
    }
}

/// Communities with a target in round `R1`, as the app counts them.
async fn coverage_areas(app: &TestApp) -> usize {
    let level = fangkong_app::testing::coverage::CoverageLevel::Community;
    let c = app
        .app
        .round_coverage(&Actor::system("t"), "R1", level)
        .await
        .unwrap();
    c.areas.len()
}

async fn admin(app: &TestApp) -> Browser {
    let mut b = Browser::new(app);
    let (status, _, _) = b.login("admin", "admin-password", "/testing").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    b
}

/// Downloads an XLSX export and reads its first sheet back: (header, rows).
async fn xlsx(app: &TestApp, b: &Browser, path: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", app.base_url))
        .header("cookie", b.cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename="));
    let bytes = r.bytes().await.unwrap();
    let table = fangkong_ingest::read_table("export.xlsx", &bytes).unwrap();
    let header = table.headers().iter().map(ToString::to_string).collect();
    let rows = table
        .rows()
        .map(|r| r.cells().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// Posts a form with the session cookie; returns status, body and location.
async fn post_form(
    app: &TestApp,
    b: &Browser,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
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

/// The table row of `id`'s element holding `marker`, as the text between `<tr` and `</tr>`.
fn row_with<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not on the page"));
    let start = html[..at].rfind("<tr").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn round_positives_and_labs_pages_show_the_app_numbers_and_export_xlsx() {
    each_backend(|app| async move {
        let k = known_city(&app).await;
        let mut b = admin(&app).await;
        let n = k.residents.len();

        // The overview lists the round with its target.
        let (status, html, _) = b.get("/testing").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("href=\"/testing/rounds/R1\"")
                && html.contains("全员核酸第一轮")
                && html.contains("全体居民")
        );
        // The latest uploads: the results file with its three retest tasks.
        let upload = row_with(&html, "<code>results.csv</code>");
        assert!(
            upload.contains("检测结果") && upload.contains("<td class=\"num\">3</td>"),
            "{upload}"
        );
        assert!(
            html.contains("href=\"/testing\" aria-current=\"page\""),
            "the nav entry is current"
        );

        // Coverage by community: 4 of the community's residents sampled, worst first.
        let (status, html, _) = b.get("/testing/rounds/R1?level=community").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let row = row_with(&html, &format!("data-code=\"{}\"", k.community));
        let cells: Vec<&str> = row
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| c.split('<').next().unwrap())
            .collect();
        let share = format!("{:.1}%", 400.0 / n as f64);
        assert_eq!(
            cells,
            [n.to_string(), "4".to_string(), (n - 4).to_string(), share],
            "target, sampled, missing, share"
        );
        assert!(
            html.contains("id=\"coverage-map\" data-points=\"["),
            "map data"
        );
        let table = &html
            [html.find("id=\"coverage-table\"").unwrap()..html.find("id=\"not-sampled\"").unwrap()];
        let shares: Vec<f64> = table
            .split("<tr ")
            .skip(1)
            .map(|row| {
                let cell = row.split("<td class=\"num\">").nth(4).unwrap();
                cell.split('%').next().unwrap().parse().unwrap()
            })
            .collect();
        assert_eq!(
            shares.len(),
            coverage_areas(&app).await,
            "one row per community"
        );
        assert!(
            shares.windows(2).all(|w| w[0] <= w[1]),
            "worst first: {shares:?}"
        );
        // Turnaround of the lab: 90 and 100 minutes; nearest-rank P50 is 90, P90 100.
        let lab = row_with(&html, &format!("<small class=\"muted\">{}</small>", k.lab));
        assert!(
            lab.contains(
                "<td class=\"num\">2</td><td class=\"num\">90</td><td class=\"num\">100</td>"
            ),
            "{lab}"
        );

        // The residents not yet sampled in the community, masked, paginated by 50.
        let (status, html, _) = b
            .get(&format!(
                "/testing/rounds/R1?level=community&within={}",
                k.community
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        let unsampled = &k.residents[4];
        assert!(html.contains(&format!(
            "href=\"/persons/{}\">{}</a>",
            unsampled.id,
            mask_name(&unsampled.name)
        )));
        assert!(
            !html.contains(&format!(">{}<", k.residents[0].name)),
            "a full name is never listed"
        );
        assert!(
            !k.ids.iter().any(|id| html.contains(id.as_str())),
            "nor a full document number"
        );

        let (header, rows) =
            xlsx(&app, &b, "/testing/rounds/R1/coverage.xlsx?level=community").await;
        assert_eq!(
            header,
            ["代码", "名称", "应检人数", "已采样", "未采样", "覆盖率"]
        );
        let mine: Vec<_> = rows.iter().filter(|r| r[0] == k.community).collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(
            (mine[0][2].as_str(), mine[0][3].as_str()),
            (n.to_string().as_str(), "4")
        );
        assert_eq!(
            rows.len(),
            coverage_areas(&app).await,
            "one row per community"
        );

        let (header, rows) = xlsx(
            &app,
            &b,
            &format!("/testing/rounds/R1/not-sampled.xlsx?within={}", k.community),
        )
        .await;
        assert_eq!(
            header,
            [
                "人员编号",
                "名称",
                "证件类型",
                "证件号码",
                "性别",
                "出生日期",
                "所属社区",
                "户号"
            ]
        );
        assert_eq!(rows.len(), n - 4);
        assert!(
            rows.iter()
                .all(|r| r[1].chars().skip(1).all(|c| c == '*') && r[3].contains('*')),
            "masked"
        );
        let filter = fangkong_store::audit::AuditFilter {
            action: Some("testing.not_sampled_list".into()),
            limit: 100,
            ..Default::default()
        };
        let audited = app.store.audit().search(&filter).await.unwrap();
        assert_eq!(audited.len(), 2, "the listing and the export are audited");

        // The positives queue: the pool with its three members and open retests.
        let (status, html, _) = b.get("/testing/positives").await;
        assert_eq!(status, StatusCode::OK);
        let row = row_with(&html, "data-tube=\"P1\"");
        assert!(
            row.contains("<td class=\"num members\">3</td>")
                && row.contains("阳性")
                && row.contains("28.5"),
            "{row}"
        );
        assert!(
            row.contains("<strong class=\"warn\">3</strong>"),
            "three retests open: {row}"
        );
        assert!(
            !html.contains("data-tube=\"S1\""),
            "a negative tube is not in the queue"
        );
        assert_eq!(
            html.matches("混管阳性").count(),
            3,
            "three open retest tasks"
        );
        let (header, rows) = xlsx(&app, &b, "/testing/positives.xlsx").await;
        assert_eq!(header.len(), 14);
        assert_eq!((header[0].as_str(), header[10].as_str()), ("管码", "人数"));
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (
                rows[0][0].as_str(),
                rows[0][1].as_str(),
                rows[0][10].as_str(),
                rows[0][11].as_str()
            ),
            ("P1", "3", "3", "3")
        );

        // Labs: today's load of the lab (two tubes), turnaround and pool advice for the county.
        let (status, html, _) = b.get("/testing/labs").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"lab-load\" data-load=\""));
        let county = &k.community[..6];
        let advice = app
            .app
            .pool_advice(&Actor::system("t"), 7, 1.0, 1.0)
            .await
            .unwrap();
        let mine = advice.iter().find(|a| a.county_code == county).unwrap();
        assert_eq!((mine.tubes, mine.positive_tubes), (2, 1));
        let row = row_with(&html, &format!("href=\"/jurisdictions/{county}\">"));
        assert!(
            row.contains(&format!("<strong>{}</strong>", mine.optimal_pool_size)),
            "{row}"
        );
        let (header, rows) = xlsx(&app, &b, "/testing/labs.xlsx").await;
        assert_eq!(header[..3], ["代码", "名称", "容量"]);
        assert_eq!(header.len(), 3 + 7 + 1, "seven days and the utilization");
        let l1 = rows.iter().find(|r| r[0] == k.lab).unwrap();
        assert_eq!(l1[3 + 6], "2", "two tubes tested today");
        let loads = app.app.lab_load(&Actor::system("t"), 7).await.unwrap();
        assert_eq!(rows.len(), loads.len());

        // In English.
        let (_, _, _) = b.get("/lang/en?next=/testing").await;
        let (_, html, _) = b.get("/testing/positives").await;
        assert!(html.contains("Positive tubes") && html.contains("Pool positive"));
        app
    })
    .await;
}

/// A `multipart/form-data` body with a CSRF field and one file.
fn multipart(csrf: &str, file_name: &str, content: &str) -> (String, String) {
    let boundary = "----fangkongTestBoundary7";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn key_group_pages_create_import_and_list_overdue_members_masked() {
    each_backend(|app| async move {
        let k = known_city(&app).await;
        let mut b = admin(&app).await;
        let (_, html, _) = b.get("/testing/key-groups").await;
        let csrf = csrf_of(&html);
        assert!(html.contains("name=\"occupations\" value=\"cold_chain\""));

        // A bad form comes back with the reason and the values typed.
        let (status, html, _) = post_form(
            &app,
            &b,
            "/testing/key-groups",
            &[
                ("csrf", &csrf),
                ("code", "KG1"),
                ("name", "冷链"),
                ("jurisdiction_code", "4117"),
                ("frequency", "custom"),
                ("interval_days", ""),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            html.contains("interval_days: a custom frequency needs 1 to 366 days")
                && html.contains("value=\"冷链\"")
        );
        let (status, _, _) = post_form(
            &app,
            &b,
            "/testing/key-groups",
            &[
                ("csrf", "forged"),
                ("code", "KG1"),
                ("name", "x"),
                ("jurisdiction_code", "4117"),
                ("frequency", "daily"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let (status, _, location) = post_form(
            &app,
            &b,
            "/testing/key-groups",
            &[
                ("csrf", &csrf),
                ("code", "KG1"),
                ("name", "冷链从业人员"),
                ("jurisdiction_code", "4117"),
                ("frequency", "daily"),
                ("interval_days", ""),
                ("occupations", "cold_chain"),
                ("occupations", "delivery"),
            ],
        )
        .await;
        assert_eq!(
            (status, location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/testing/key-groups/KG1"))
        );
        let group = app.app.key_group(&Actor::system("t"), "KG1").await.unwrap();
        assert_eq!(
            group.rule.as_deref(),
            Some(r#"{"occupations":["cold_chain","delivery"]}"#)
        );
        let by_rule = group.members;

        // Upload a member list: a sampled resident (P1) and one never sampled.
        let never = &k.residents[5];
        let (content_type, body) = multipart(
            &csrf,
            "members.csv",
            &format!("id_number\n{}\n{}\n", k.ids[0], k.ids[5]),
        );
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}/testing/key-groups/KG1/members", app.base_url))
            .header("cookie", b.cookies.join("; "))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let location = r.headers()["location"].to_str().unwrap().to_string();
        let added = app
            .app
            .key_group(&Actor::system("t"), "KG1")
            .await
            .unwrap()
            .members
            - by_rule;
        assert_eq!(
            location,
            format!("/testing/key-groups/KG1?rows=2&added={added}")
        );
        assert!((1..=2).contains(&added));

        // A bad file: nothing added, every bad line named.
        let (content_type, body) = multipart(&csrf, "bad.csv", "id_number\n410102199003071234\n");
        let r = reqwest::Client::new()
            .post(format!("{}/testing/key-groups/KG1/members", app.base_url))
            .header("cookie", b.cookies.join("; "))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("bad.csv:2: id_number: "));

        // On 1 December the never-sampled member is a day overdue, masked; the resident
        // sampled on 30 November is due that day.
        let (status, html, _) = b.get("/testing/key-groups/KG1?day=2026-12-01").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            html.contains(&format!(
                "href=\"/persons/{}\">{}</a>",
                never.id,
                mask_name(&never.name)
            )),
            "masked overdue member"
        );
        assert!(
            !html.contains(&format!(">{}<", never.name)),
            "never the full name"
        );
        assert!(!html.contains(k.ids[5].as_str()), "nor the full document");
        let schedule = app
            .app
            .group_schedule(
                &Actor::system("t"),
                "KG1",
                None,
                chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                100_000,
            )
            .await
            .unwrap();
        assert!(schedule.overdue.iter().any(|m| m.person.id == never.id));
        assert!(
            schedule
                .overdue
                .iter()
                .all(|m| m.person.id != k.residents[0].id),
            "sampled yesterday: due today"
        );
        let row = row_with(
            &html,
            &format!("href=\"/jurisdictions/{}\">", never.community_code),
        );
        assert!(
            row.contains("<td class=\"num\">"),
            "compliance row of the member's community"
        );

        let (header, rows) = xlsx(
            &app,
            &b,
            "/testing/key-groups/KG1/overdue.xlsx?day=2026-12-01",
        )
        .await;
        assert_eq!(
            header,
            [
                "人员编号",
                "名称",
                "证件号码",
                "所属社区",
                "最近采样",
                "应检日期",
                "逾期天数"
            ]
        );
        assert_eq!(rows.len() as u64, schedule.overdue_total);
        let mine = rows.iter().find(|r| r[0] == never.id.to_string()).unwrap();
        assert_eq!(
            (mine[1].clone(), mine[5].as_str(), mine[6].as_str()),
            (mask_name(&never.name), "2026-11-30", "1")
        );

        // The refresh button adds nobody new; the person page shows the schedule.
        let (status, _, location) = post_form(
            &app,
            &b,
            "/testing/key-groups/KG1/refresh",
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(
            (status, location.as_deref()),
            (
                StatusCode::SEE_OTHER,
                Some("/testing/key-groups/KG1?refreshed=0")
            )
        );
        let (_, html, _) = b.get(&format!("/persons/{}", k.residents[0].id)).await;
        assert!(
            html.contains("id=\"testing\"")
                && html.contains("2026-11-30 08:00")
                && html.contains("冷链从业人员"),
            "testing section"
        );

        // A round over the key group, from the overview form.
        let (status, _, location) = post_form(
            &app,
            &b,
            "/testing/rounds",
            &[
                ("csrf", &csrf),
                ("code", "KG1-R1"),
                ("name", "冷链专项"),
                ("jurisdiction_code", "4117"),
                ("starts_on", "2026-11-30"),
                ("ends_on", "2026-12-01"),
                ("key_group", "KG1"),
            ],
        )
        .await;
        assert_eq!(
            (status, location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/testing/rounds/KG1-R1"))
        );
        let (status, html, _) = post_form(
            &app,
            &b,
            "/testing/rounds",
            &[
                ("csrf", &csrf),
                ("code", "KG1-R1"),
                ("name", "again"),
                ("jurisdiction_code", "4117"),
                ("starts_on", "2026-11-30"),
                ("ends_on", "2026-12-01"),
                ("key_group", ""),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a code in use");
        assert!(html.contains("class=\"alert\""));
        let (_, html, _) = b.get("/testing").await;
        assert!(html.contains("重点人群: 冷链从业人员"));
        app
    })
    .await;
}

#[tokio::test]
async fn without_testing_read_every_testing_page_is_forbidden() {
    let app = TestApp::spawn().await;
    app.load_city(1_000).await;
    app.app
        .create_user("auditor", "password", "auditor", None)
        .await
        .unwrap();
    let mut b = Browser::new(&app);
    b.login("auditor", "password", "/").await;
    for path in [
        "/testing",
        "/testing/rounds/R1",
        "/testing/positives",
        "/testing/positives.xlsx",
        "/testing/key-groups",
        "/testing/labs",
        "/testing/labs.xlsx",
    ] {
        let (status, html, _) = b.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("403"), "{path}: the error page");
    }
    let (_, html, _) = b.get("/").await;
    assert!(!html.contains("href=\"/testing\""), "no nav entry");
    app.verify().await;
}

#[test]
fn locales_have_the_same_keys_and_every_testing_key() {
    let zh: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../fangkong-server/locales/zh-CN.json")).unwrap();
    let en: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../fangkong-server/locales/en.json")).unwrap();
    let zk: BTreeSet<_> = zh.keys().collect();
    let ek: BTreeSet<_> = en.keys().collect();
    assert_eq!(zk, ek);
    let templates = [
        include_str!("../../../fangkong-server/templates/testing/overview.html"),
        include_str!("../../../fangkong-server/templates/testing/round.html"),
        include_str!("../../../fangkong-server/templates/testing/positives.html"),
        include_str!("../../../fangkong-server/templates/testing/key_groups.html"),
        include_str!("../../../fangkong-server/templates/testing/key_group.html"),
        include_str!("../../../fangkong-server/templates/testing/labs.html"),
        include_str!("../../../fangkong-server/templates/testing/_tabs.html"),
        include_str!("../../../fangkong-server/templates/testing/_percentiles.html"),
    ];
    for t in templates {
        for part in t.split("t(\"").skip(1) {
            let key = part.split('"').next().unwrap();
            if !key.ends_with('.') {
                assert!(zh.contains_key(key), "{key} missing");
            }
        }
    }
}
