//! The isolation and treatment pages as a signed-in browser sees them, on both backends: the
//! site board with its counts and the room forecast, the queue, a placement through the
//! proposal form with a room of the staff's choosing (refused without a reason, placed with
//! one), the site's room grid and check-in, the stay's release blockers, a transfer to a
//! full ward refused with nothing changed and to a free ward done, the admission form, teams
//! created and deployed (on duty at the site), a release with its printed certificate, the
//! English switch, and no page without the read permission.
//!
//! The proposal's own rooms and the forecast's days are the allocator's and the forecast's
//! business (tested in `isolation.rs` and the pure crates): these tests place through an
//! explicit room and read the forecast's figures and container, not its days.

use fangkong_api_types::PersonCreate;
use fangkong_store::facilities::{Facility, Room};
use fangkong_test_support::{each_backend, TestApp};
use reqwest::{Method, StatusCode};

use crate::web::{csrf_of, figure, Browser};

const A: &str = "411702001001";
/// The quarantine hotel (rooms 101–104, ids 1–4) and the designated hospital (one ICU bed,
/// two isolation-ward beds).
const SITE: i64 = 1;
const HOSPITAL: i64 = 2;

fn facility(id: i64, kind: &str, subtype: &str, name: &str) -> Facility {
    let hospital = kind == "hospital";
    Facility {
        id,
        kind: kind.into(),
        subtype: subtype.into(),
        name: name.into(),
        community_code: A.into(),
        place_code: None,
        capacity: 0,
        beds_general: if hospital { 2 } else { 0 },
        beds_icu: if hospital { 1 } else { 0 },
        beds_isolation: if hospital { 2 } else { 0 },
        lon: Some(114.03),
        lat: Some(32.99),
        synthetic: false,
    }
}

fn room(id: i64, number: &str, beds: i64, accessible: bool) -> Room {
    Room {
        id,
        facility_id: SITE,
        number: number.into(),
        beds,
        accessible,
    }
}

/// Jurisdictions, the default policy, the hotel with four rooms and the hospital.
async fn setup(app: &TestApp) {
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n\
               411702001,顺河街道\n411702001001,一号社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    app.execute_sql(&format!(
        "UPDATE jurisdictions SET lon = 114.02, lat = 32.98 WHERE code = '{A}'"
    ))
    .await
    .unwrap();
    app.client
        .load_policy(
            "inbound-default.toml",
            fangkong_app::inbound::DEFAULT_POLICY,
        )
        .await
        .unwrap();
    app.store
        .bulk()
        .insert(&fangkong_store::bulk::BulkRows {
            facilities: &[
                facility(SITE, "quarantine_site", "hotel", "天中隔离酒店"),
                facility(HOSPITAL, "hospital", "designated", "驻马店市定点医院"),
            ],
            rooms: &[
                room(1, "101", 2, true),
                room(2, "102", 1, false),
                room(3, "103", 1, false),
                room(4, "104", 3, false),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    app.store.sync_id_sequences().await.unwrap();
}

/// A person of community A (`seq` makes the ID number).
async fn person(app: &TestApp, name: &str, birth: &str, seq: u16) -> (i64, String) {
    let number = crate::id("411702", birth, seq);
    let (_, p) = app
        .client
        .create_person(&PersonCreate {
            id_number: Some(number.clone()),
            name: name.into(),
            community_code: A.into(),
            ..PersonCreate::default()
        })
        .await
        .unwrap();
    (p.id, number)
}

/// A person under an international-arrival measure from today (7 days centralised, 3 of
/// monitoring; tests on days 1, 2, 3, 5, 7 and 10). Returns (person, measure, ID number).
async fn arrival(app: &TestApp, name: &str, birth: &str, seq: u16) -> (i64, i64, String) {
    let (id, number) = person(app, name, birth, seq).await;
    let (status, m) = app
        .client
        .send_json(
            Method::POST,
            "/api/v1/inbound/measures",
            &serde_json::json!({"person_id": id, "pocket": "international",
                                "source_ref": format!("arrival:{seq}")}),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::CREATED, "{m}");
    (id, m["id"].as_i64().unwrap(), number)
}

async fn login(app: &TestApp, user: &str, password: &str) -> Browser {
    let mut b = Browser::new(app);
    let (status, _, _) = b.login(user, password, "/isolation").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    b
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

/// The part of the page from the element with `id` to the next `end`.
fn part<'a>(html: &'a str, id: &str, end: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} not on the page"));
    let stop = at + html[at..].find(end).unwrap();
    &html[at..stop]
}

fn table<'a>(html: &'a str, id: &str) -> &'a str {
    part(html, id, "</table>")
}

/// The table row (or list item) holding `marker`.
fn row_with<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in {html}"));
    let tr = html[..at].rfind("<tr").unwrap_or(0);
    let li = html[..at].rfind("<li").unwrap_or(0);
    let start = tr.max(li);
    let close = if start == tr { "</tr>" } else { "</li>" };
    let end = at + html[at..].find(close).unwrap();
    &html[start..end]
}

/// The first `data-<name>="…"` value in `html`.
fn data_of(html: &str, name: &str) -> String {
    let marker = format!("data-{name}=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("data-{name} not in {html}"))
        + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_person_is_placed_checked_in_and_transferred_through_the_pages() {
    each_backend(|app| async move {
        setup(&app).await;
        let (_, m1, n1) = arrival(&app, "周七", "1975-03-03", 21).await;
        let (_, _m2, _) = arrival(&app, "吴八", "1956-04-04", 22).await;
        let (patient, _) = person(&app, "郑一", "1960-01-01", 31).await;
        let mut b = login(&app, "admin", "admin-password").await;

        // The board: one site with four empty rooms, two people waiting.
        let (status, html, _) = b.get("/isolation").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("href=\"/isolation\" aria-current=\"page\">隔离管控</a>"));
        assert!(html.contains("<a href=\"/treatment\" >医疗救治</a>"), "nav");
        let row = row_with(table(&html, "sites"), "data-site=\"1\"");
        assert!(row.contains("天中隔离酒店") && row.contains("<td>隔离酒店</td>"), "{row}");
        assert!(
            row.contains("<td class=\"num\">4</td><td class=\"num\">7</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">4</td><td class=\"num\">0</td><td class=\"num\">0</td>"),
            "rooms, beds, occupied, occupants, free, cleaning, out of service: {row}"
        );
        assert!(row.contains("<rect class=\"seg-free\" x=\"0.00%\" y=\"0\" width=\"100.00%\""), "{row}");
        assert_eq!(figure(&html, "queue-count"), "2");
        assert!(html.contains("id=\"room-forecast\" data-forecast=\""), "the chart container");
        assert!(html.contains("/assets/js/isolation.js"));
        assert_eq!(figure(&html, "room-forecast-capacity"), "4");
        assert_eq!(figure(&html, "room-forecast-occupied"), "0");
        assert_eq!(figure(&html, "room-forecast-free"), "4");

        // The queue: both, masked, with their centralised days.
        let (status, html, _) = b.get("/isolation/queue").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let queue = table(&html, "queue");
        assert_eq!(queue.matches("<tr data-measure=").count(), 2, "{queue}");
        let row = row_with(queue, &format!("data-measure=\"{m1}\""));
        assert!(row.contains("<td>周*</td>") && !row.contains("周七") && !row.contains(&n1), "{row}");
        assert!(row.contains("<td>入境人员</td>") && row.contains("<td>2026-11-30 – 2026-12-06</td>"), "{row}");
        assert!(row.contains("<td>51</td>"), "{row}");
        assert!(row_with(queue, "吴*").contains("70 <span class=\"badge need-elderly\">老人</span>"));
        let csrf = csrf_of(&html);

        // The proposal for 周七: a row with every free room to choose from.
        let (status, html, _) = post_form(
            &app,
            &b,
            "/isolation/queue/propose",
            &[("csrf", &csrf), ("measure", &m1.to_string())],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let proposal = table(&html, "proposal");
        assert_eq!(proposal.matches("<tr data-measure=").count(), 1, "{proposal}");
        let select = part(proposal, "proposal", "</select>");
        assert!(select.contains(&format!("name=\"room.{m1}\"")));
        assert!(select.contains("<optgroup label=\"天中隔离酒店\">"), "{select}");
        assert!(select.contains("<option value=\"4\"") && select.contains("天中隔离酒店 104 · 3 床"), "{select}");
        assert!(select.contains("101 · 2 床 · 无障碍"), "{select}");

        // Room 104 is not the proposal's: refused without a reason, nothing placed.
        let room_field = format!("room.{m1}");
        let reason_field = format!("reason.{m1}");
        let m1_text = m1.to_string();
        let (status, html, _) = post_form(
            &app,
            &b,
            "/isolation/queue/place",
            &[("csrf", &csrf), ("measure", &m1_text), (&room_field, "4"), (&reason_field, "")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert_eq!(
            figure(&html, "notice-error"),
            format!("周* (#{m1}): the room differs from the proposal: give override_reason")
        );
        assert!(
            part(&html, "proposal", "</select>").contains("<option value=\"4\" selected>"),
            "the choice is kept"
        );
        // With the reason: placed.
        let (status, _, location) = post_form(
            &app,
            &b,
            "/isolation/queue/place",
            &[("csrf", &csrf), ("measure", &m1_text), (&room_field, "4"), (&reason_field, "家属要求同层")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = location.unwrap();
        assert_eq!(location, "/isolation/queue?done=placed&n=1");
        let (_, html, _) = b.get(&location).await;
        assert_eq!(figure(&html, "notice-done"), "已分配房间。");
        assert!(html.contains("已分配人数: <strong>1</strong>"));
        assert_eq!(table(&html, "queue").matches("<tr data-measure=").count(), 1);

        // The site: room 104 occupied, the stay placed and waiting for check-in.
        let (status, html, _) = b.get("/isolation/sites/1").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(row_with(&html, "data-room=\"4\"").contains("data-status=\"occupied\""));
        assert!(row_with(&html, "data-room=\"4\"").contains("<span class=\"badge room-occupied\">在住</span>"));
        assert!(row_with(&html, "data-room=\"2\"").contains("data-status=\"free\""));
        assert_eq!(figure(&html, "site-occupants"), "1");
        assert_eq!(figure(&html, "site-free"), "3");
        let stays = table(&html, "stays");
        let sid = data_of(stays, "stay");
        let row = row_with(stays, &format!("data-stay=\"{sid}\""));
        assert!(row.contains("周*") && row.contains("<span class=\"badge overridden\">人工调整</span>"), "{row}");
        assert!(row.contains("<td>104</td><td><span class=\"badge stay-placed\">已分配待入住</span></td><td>2026-12-06</td>"), "{row}");
        let csrf = csrf_of(&html);

        // Check-in from the site's page.
        let (status, _, location) = post_form(
            &app,
            &b,
            &format!("/isolation/stays/{sid}/check-in"),
            &[("csrf", &csrf), ("back", "site")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/isolation/sites/1?done=checked_in"));
        let (_, html, _) = b.get("/isolation/sites/1?done=checked_in").await;
        assert_eq!(figure(&html, "notice-done"), "已办理入住。");
        let row = row_with(table(&html, "stays"), &format!("data-stay=\"{sid}\""));
        assert!(row.contains("<span class=\"badge stay-in\">在住</span>") && row.contains("2026-11-30 10:00"), "{row}");

        // The stay: what still blocks the release; a release is refused with every reason.
        let stay = format!("/isolation/stays/{sid}");
        let (status, html, _) = b.get(&stay).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("id=\"stay-status\">在住</span>"));
        assert_eq!(figure(&html, "planned-release"), "2026-12-06");
        assert!(html.contains("<span class=\"badge overridden\">人工调整</span> 家属要求同层"));
        let blockers = part(&html, "blockers", "</ul>");
        assert!(blockers.contains("<li>管控期至2026-12-06</li>"), "{blockers}");
        assert!(blockers.contains("<li>第1天（2026-11-30）核酸检测今日待检</li>"), "{blockers}");
        assert!(blockers.contains("<li>末日（2026-12-06）未报健康监测</li>"), "{blockers}");
        assert!(!html.contains("id=\"blockers-none\""));
        assert!(table(&html, "tests").contains("<tr data-day=\"7\"><td>7</td><td>2026-12-06</td>"));
        let (status, html, _) = post_form(&app, &b, &format!("{stay}/release"), &[("csrf", &csrf), ("back", "stay")]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{html}");
        assert!(figure(&html, "notice-error").starts_with(&format!("conflict: stay {sid} cannot be released: the measure runs until 2026-12-06")));

        // The treatment board: the hospital's beds, then an admission through the form that
        // takes the only ICU bed.
        let (status, html, _) = b.get("/treatment").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("href=\"/treatment\" aria-current=\"page\">医疗救治</a>"));
        let row = row_with(table(&html, "hospitals"), "data-hospital=\"2\"");
        assert!(row.contains("<span class=\"badge designated\">定点医院</span>"), "{row}");
        assert!(row.contains("<td class=\"num\" data-bed=\"icu\">1</td><td class=\"num\">0</td><td class=\"num\">1</td>"), "{row}");
        assert_eq!(figure(&html, "free-icu"), "1");
        assert!(html.contains("id=\"bed-forecast-icu\" data-forecast=\""));
        assert_eq!(figure(&html, "bed-forecast-icu-capacity"), "1");
        assert!(html.contains("暂无在院患者。"));
        let (status, html, location) = post_form(
            &app,
            &b,
            "/treatment/admissions",
            &[("csrf", &csrf), ("person_id", "abc"), ("hospital_id", "2"), ("bed_type", "icu"), ("severity", "severe")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{location:?}");
        assert_eq!(figure(&html, "notice-error"), "person_id: must be a whole number");
        let (status, _, location) = post_form(
            &app,
            &b,
            "/treatment/admissions",
            &[("csrf", &csrf), ("person_id", &patient.to_string()), ("hospital_id", "2"), ("bed_type", "icu"), ("severity", "severe")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let admission = location.unwrap();
        assert!(admission.ends_with("?done=admitted"), "{admission}");
        let (_, html, _) = b.get(&admission).await;
        assert_eq!(figure(&html, "notice-done"), "已收治入院。");
        assert_eq!(figure(&html, "bed-type"), "重症监护床位");
        assert!(row_with(table(&html, "events"), "data-kind=\"admitted\"").contains("<td>入院</td><td>重症监护床位 重型</td>"));
        let admission = admission.trim_end_matches("?done=admitted").to_string();
        let (status, _, location) = post_form(&app, &b, &format!("{admission}/severity"), &[("csrf", &csrf), ("severity", "critical")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), format!("{admission}?done=severity_set"));
        let (_, html, _) = b.get(&admission).await;
        assert!(html.contains("id=\"severity\">危重型</span>"));
        assert!(row_with(table(&html, "events"), "data-kind=\"severity\"").contains("<td>病情变化</td><td>重型 → 危重型</td>"));

        // The stay to the full ICU: refused, the form kept, nothing changed.
        let (status, html, _) = post_form(
            &app,
            &b,
            &format!("{stay}/transfer"),
            &[("csrf", &csrf), ("back", "stay"), ("hospital_id", "2"), ("bed_type", "icu"), ("severity", "critical"), ("note", "呼吸困难")],
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{html}");
        assert_eq!(
            figure(&html, "notice-error"),
            format!("conflict: hospital {HOSPITAL} has no free icu bed (or is not a hospital)")
        );
        assert!(html.contains("value=\"呼吸困难\"") && html.contains("<details class=\"transfer\" open>"));
        assert!(html.contains("id=\"stay-status\">在住</span>"));
        let (_, html, _) = b.get("/isolation/sites/1").await;
        assert!(row_with(&html, "data-room=\"4\"").contains("data-status=\"occupied\""));
        let (_, html, _) = b.get("/treatment").await;
        assert_eq!(table(&html, "admissions").matches("<tr data-admission=").count(), 1);
        // To the isolation ward instead: the stay ends, the admission opens.
        let (status, _, location) = post_form(
            &app,
            &b,
            &format!("{stay}/transfer"),
            &[("csrf", &csrf), ("back", "stay"), ("hospital_id", "2"), ("bed_type", "isolation"), ("severity", "moderate"), ("note", "发热")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), format!("{stay}?done=transferred"));
        let (_, html, _) = b.get(&format!("{stay}?done=transferred")).await;
        assert!(html.contains("id=\"stay-status\">已离开</span>") && html.contains("id=\"stay-outcome\">转院救治</span>"));
        assert!(!html.contains("id=\"certificate-link\""));
        let (_, html, _) = b.get("/treatment").await;
        let admissions = table(&html, "admissions");
        assert_eq!(admissions.matches("<tr data-admission=").count(), 2);
        assert!(row_with(admissions, "周*").contains("<td>隔离病房</td><td><span class=\"badge severity-moderate\">普通型</span></td>"));
        let (_, html, _) = b.get("/isolation/sites/1").await;
        assert!(row_with(&html, "data-room=\"4\"").contains("data-status=\"cleaning\""));
        assert!(row_with(&html, "data-room=\"4\"").contains("可用时间 2026-12-01 10:00"));

        // 郑一 improves: from the ICU to a general bed (a new admission naming the old), then
        // home.
        let (status, html, location) = post_form(
            &app,
            &b,
            &format!("{admission}/transfer"),
            &[("csrf", &csrf), ("hospital_id", "2"), ("bed_type", "general"), ("severity", "moderate")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
        let moved = location.unwrap().trim_end_matches("?done=transferred").to_string();
        assert_ne!(moved, admission);
        let (_, html, _) = b.get(&moved).await;
        assert_eq!(figure(&html, "bed-type"), "普通床位");
        assert!(html.contains(&format!("<a href=\"{admission}\">#")), "names the ICU admission");
        let (status, _, location) = post_form(&app, &b, &format!("{moved}/discharge"), &[("csrf", &csrf), ("outcome", "recovered"), ("note", "痊愈")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), format!("{moved}?done=discharged"));
        let (_, html, _) = b.get(&moved).await;
        assert_eq!(figure(&html, "discharged"), "2026-11-30 10:00 · 治愈出院 ");
        assert!(row_with(table(&html, "events"), "data-kind=\"discharged\"").contains("<td>出院</td><td>治愈出院 痊愈</td>"));
        assert!(!html.contains("id=\"discharge-form\""), "closed: no more forms");
        let (_, html, _) = b.get("/treatment").await;
        assert_eq!(figure(&html, "free-icu"), "1");
        assert_eq!(table(&html, "admissions").matches("<tr data-admission=").count(), 1);

        // Teams: a refused member line, a team, a deployment to the site.
        let (status, html, _) = b.get("/treatment/teams").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("暂无医疗队。") && html.contains("未来28天暂无派驻安排。"));
        let (status, html, _) = post_form(
            &app,
            &b,
            "/treatment/teams",
            &[("csrf", &csrf), ("name", "第一医疗队"), ("jurisdiction_code", "4117"), ("members", "张医生,重症医学\n李护士,针灸")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(figure(&html, "notice-error").starts_with("members[1].specialty: must be one of respiratory"));
        assert!(html.contains("李护士,针灸</textarea>"), "the lines are kept");
        let (status, _, location) = post_form(
            &app,
            &b,
            "/treatment/teams",
            &[("csrf", &csrf), ("name", "第一医疗队"), ("jurisdiction_code", "4117"), ("members", "张医生,重症医学\n李护士，nursing\n")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), "/treatment/teams?done=team_created");
        let (_, html, _) = b.get("/treatment/teams?done=team_created").await;
        assert_eq!(figure(&html, "notice-done"), "已组建医疗队。");
        let team = data_of(table(&html, "teams"), "team");
        let row = row_with(table(&html, "teams"), &format!("data-team=\"{team}\""));
        assert!(row.contains("张医生 <small class=\"muted\">重症医学</small> <span class=\"badge leader\">队长</span>"), "{row}");
        assert!(row.contains("李护士 <small class=\"muted\">护理</small>"), "{row}");
        let deploy = part(&html, "deploy-form", "</form>");
        assert!(deploy.contains("<optgroup label=\"隔离点\"><option value=\"1\">天中隔离酒店</option></optgroup>"), "{deploy}");
        assert!(deploy.contains("value=\"2026-11-30\"") && deploy.contains("value=\"2026-12-13\""), "{deploy}");
        let (status, _, location) = post_form(
            &app,
            &b,
            "/treatment/deployments",
            &[("csrf", &csrf), ("team_id", &team), ("facility_id", "1"), ("starts_on", "2026-11-30"), ("ends_on", "2026-12-13"), ("rotate_out", "")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), "/treatment/teams?done=deployed");
        let (_, html, _) = b.get("/treatment/teams").await;
        let row = row_with(table(&html, "teams"), &format!("data-team=\"{team}\""));
        assert!(row.contains("<td class=\"current\">天中隔离酒店 <small class=\"muted\">2026-11-30 – 2026-12-13</small></td>"), "{row}");
        let plan = row_with(table(&html, "plan"), "data-facility=\"1\"");
        assert!(plan.contains("<rect class=\"dep\" x=\"0.00%\" y=\"2\" width=\"50.00%\""), "14 of 28 days: {plan}");
        // The same team elsewhere in that period: a conflict.
        let (status, html, _) = post_form(
            &app,
            &b,
            "/treatment/deployments",
            &[("csrf", &csrf), ("team_id", &team), ("facility_id", "2"), ("starts_on", "2026-12-10"), ("ends_on", "2026-12-20")],
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            figure(&html, "notice-error"),
            "conflict: the team is deployed to 天中隔离酒店 from 2026-11-30 to 2026-12-13"
        );
        let (_, html, _) = b.get("/isolation/sites/1").await;
        let duty = part(&html, "on-duty", "</ul>");
        assert!(duty.contains("<strong>第一医疗队</strong>") && duty.contains("张医生"), "{duty}");

        // English.
        b.get("/lang/en?next=/isolation").await;
        let (_, html, _) = b.get("/isolation").await;
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("href=\"/isolation\" aria-current=\"page\">Isolation</a>"));
        assert!(html.contains("<h2>Quarantine sites (1)</h2>"));
        assert!(row_with(table(&html, "sites"), "data-site=\"1\"").contains("<td>quarantine hotel</td>"));
        assert_eq!(figure(&html, "room-forecast-capacity"), "4");
        let (_, html, _) = b.get(&stay).await;
        assert!(html.contains("id=\"stay-outcome\">transferred to hospital</span>"));
        let (_, html, _) = b.get("/treatment/teams").await;
        assert!(html.contains("<h2>Treatment teams (1)</h2>"));
        assert!(html.contains("张医生 <small class=\"muted\">critical care</small> <span class=\"badge leader\">leader</span>"));
        app
    })
    .await;
}

#[tokio::test]
async fn a_released_stay_prints_its_certificate() {
    each_backend(|app| async move {
        setup(&app).await;
        let (_, m, number) = arrival(&app, "周七", "1975-03-03", 21).await;
        let mut b = login(&app, "admin", "admin-password").await;
        let (_, html, _) = b.get("/isolation/queue").await;
        let csrf = csrf_of(&html);
        let (room, reason) = (format!("room.{m}"), format!("reason.{m}"));
        let (status, _, _) = post_form(
            &app,
            &b,
            "/isolation/queue/place",
            &[("csrf", &csrf), ("measure", &m.to_string()), (&room, "2"), (&reason, "按楼层安排")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, html, _) = b.get("/isolation/sites/1").await;
        let sid = data_of(table(&html, "stays"), "stay");
        let stay = format!("/isolation/stays/{sid}");
        let (status, _, location) = post_form(&app, &b, &format!("{stay}/check-in"), &[("csrf", &csrf), ("back", "stay")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), format!("{stay}?done=checked_in"));
        // A certificate exists only for a released stay.
        let (status, _, _) = b.get(&format!("{stay}/certificate")).await;
        assert_eq!(status, StatusCode::CONFLICT);

        // Negative tests on days 1, 2, 3, 5 and 7, a health check on day 7.
        let actor = fangkong_app::Actor::system("test");
        for (k, day) in [(1, "2026-11-30"), (2, "2026-12-01"), (3, "2026-12-02"), (5, "2026-12-04"), (7, "2026-12-06")] {
            app.app
                .ingest_samples(&actor, "s.csv", format!("tube_id,id_number,site_code,collected_at\nQ{k},{number},S1,{day} 09:30\n").as_bytes())
                .await
                .unwrap();
            app.app
                .ingest_results(&actor, "r.csv", format!("tube_id,result,lab_code,tested_at,reported_at\nQ{k},negative,L1,{day} 11:00,{day} 11:30\n").as_bytes())
                .await
                .unwrap();
        }
        app.clock.advance(chrono::Duration::days(6));
        // A session lasts 12 hours: sign in again. The site's staff record the last day's
        // health check on the stay's page.
        let mut b = login(&app, "admin", "admin-password").await;
        let (_, html, _) = b.get(&stay).await;
        let csrf = csrf_of(&html);
        assert!(html.contains("id=\"check-form\""));
        let (status, _, location) = post_form(&app, &b, &format!("{stay}/checks"), &[("csrf", &csrf), ("temperature", "36.4")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), format!("{stay}?done=checked"));
        let (_, html, _) = b.get(&format!("{stay}?done=checked")).await;
        assert_eq!(figure(&html, "notice-done"), "已录入健康监测。");
        assert!(part(&html, "checks", "</table>").contains("36.4 ℃"));
        assert!(html.contains("<p id=\"blockers-none\"><strong>可解除隔离</strong></p>"), "{}", part(&html, "release-card", "</section>"));
        assert!(html.contains("居家健康监测 2026-12-07 – 2026-12-09"), "the measure goes on at home");
        let (status, _, location) = post_form(&app, &b, &format!("{stay}/release"), &[("csrf", &csrf), ("back", "stay")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), format!("{stay}?done=released"));
        let (_, html, _) = b.get(&format!("{stay}?done=released")).await;
        assert_eq!(figure(&html, "notice-done"), "已解除隔离。");
        let certificate_no = format!("JC2026-0001-{:06}", sid.parse::<i64>().unwrap());
        assert_eq!(figure(&html, "certificate-no"), certificate_no);
        assert!(html.contains(&format!("href=\"{stay}/certificate\" id=\"certificate-link\">解除隔离告知书</a>")));

        let (status, html, _) = b.get(&format!("{stay}/certificate")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert_eq!(figure(&html, "certificate-no"), certificate_no);
        assert_eq!(figure(&html, "certificate-name"), "周*");
        assert_eq!(figure(&html, "certificate-id"), fangkong_domain::NationalId::parse(&number).unwrap().masked());
        assert!(!html.contains("周七") && !html.contains(&number));
        assert_eq!(figure(&html, "certificate-site"), "天中隔离酒店 · 房间 102");
        assert_eq!(figure(&html, "certificate-period"), "2026-11-30 – 2026-12-06");
        assert!(figure(&html, "certificate-statement").contains("符合解除隔离条件"));
        assert!(table(&html, "certificate-after").contains("<td>居家健康监测</td><td>2026-12-07 – 2026-12-09</td>"));
        assert!(html.contains("id=\"print-page\""));
        // The printing is audited as a disclosure.
        let audited = app
            .store
            .audit()
            .search(&fangkong_store::audit::AuditFilter {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "isolation.certificate")
            .count();
        assert_eq!(audited, 1);
        // The room is cleaned before it is free again.
        let (_, html, _) = b.get("/isolation").await;
        let row = row_with(table(&html, "sites"), "data-site=\"1\"");
        assert!(row.contains("<rect class=\"seg-cleaning\""), "{row}");
        app
    })
    .await;
}

#[tokio::test]
async fn without_the_read_permissions_the_pages_are_forbidden_and_readers_see_no_forms() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    app.app
        .create_user("auditor", "password", "auditor", None)
        .await
        .unwrap();
    app.app
        .create_user("chief", "password-chief", "commander", None)
        .await
        .unwrap();
    let mut b = Browser::new(&app);
    b.login("auditor", "password", "/").await;
    for path in [
        "/isolation",
        "/isolation/queue",
        "/isolation/sites/1",
        "/isolation/stays/1",
        "/isolation/stays/1/certificate",
        "/treatment",
        "/treatment/admissions/1",
        "/treatment/teams",
    ] {
        let (status, html, _) = b.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("403"), "{path}: the error page");
    }
    let (_, html, _) = b.get("/").await;
    assert!(
        !html.contains("href=\"/isolation\"") && !html.contains("href=\"/treatment\""),
        "no nav entries"
    );
    let (status, _, _) = post_form(
        &app,
        &b,
        "/isolation/queue/place",
        &[
            ("csrf", &csrf_of(&html)),
            ("measure", "1"),
            ("room.1", "1"),
            ("reason.1", "x"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A commander reads every page but acts on none.
    let mut chief = login(&app, "chief", "password-chief").await;
    let (status, html, _) = chief.get("/isolation/sites/1").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(!html.contains("/service\"") && !html.contains("turnaround-form"));
    let (status, html, _) = chief.get("/treatment").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(!html.contains("admit-form"));
    let (status, html, _) = chief.get("/treatment/teams").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(!html.contains("team-form") && !html.contains("deploy-form"));
    let (status, _, _) = post_form(
        &app,
        &chief,
        "/treatment/teams",
        &[
            ("csrf", &csrf_of(&html)),
            ("name", "x"),
            ("jurisdiction_code", "4117"),
            ("members", "a,nursing"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.verify().await;
}

#[test]
fn every_isolation_and_treatment_key_is_in_both_locales() {
    let zh: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../fangkong-server/locales/zh-CN.json")).unwrap();
    let en: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../fangkong-server/locales/en.json")).unwrap();
    let templates = [
        include_str!("../../../fangkong-server/templates/isolation/board.html"),
        include_str!("../../../fangkong-server/templates/isolation/queue.html"),
        include_str!("../../../fangkong-server/templates/isolation/site.html"),
        include_str!("../../../fangkong-server/templates/isolation/stay.html"),
        include_str!("../../../fangkong-server/templates/isolation/certificate.html"),
        include_str!("../../../fangkong-server/templates/isolation/_tabs.html"),
        include_str!("../../../fangkong-server/templates/isolation/_notice.html"),
        include_str!("../../../fangkong-server/templates/isolation/_forecast.html"),
        include_str!("../../../fangkong-server/templates/isolation/_stay_actions.html"),
        include_str!("../../../fangkong-server/templates/isolation/_person.html"),
        include_str!("../../../fangkong-server/templates/treatment/board.html"),
        include_str!("../../../fangkong-server/templates/treatment/admission.html"),
        include_str!("../../../fangkong-server/templates/treatment/teams.html"),
        include_str!("../../../fangkong-server/templates/treatment/_tabs.html"),
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
    for k in ["occupied", "free", "cleaning", "out_of_service"] {
        keys.push(format!("capacity.{k}"));
    }
    for k in ["admitted", "transferred", "discharged", "severity"] {
        keys.push(format!("treatment.event.{k}"));
    }
    for done in [
        "placed",
        "checked_in",
        "cancelled",
        "released",
        "transferred",
        "turnaround_set",
        "room_taken_out",
        "room_returned",
    ] {
        keys.push(format!("isolation.done.{done}"));
    }
    for done in [
        "admitted",
        "transferred",
        "severity_set",
        "discharged",
        "team_created",
        "deployed",
    ] {
        keys.push(format!("treatment.done.{done}"));
    }
    keys.push("isolation.placed_people".into());
    keys.push("isolation.choose_a_room".into());
    for key in keys {
        assert!(
            zh.contains_key(&key) && en.contains_key(&key),
            "{key} missing"
        );
    }
}
