//! Bulk operations on both backends (issue #13): the demo city's assigned control measures
//! activated in one operation from the API and from the measures page; progress read while
//! and after it runs; records refused with their reasons while the others go on; one
//! `bulk.start` audit entry naming every record and each record's own entry under the
//! operation's id; bad requests, other users and roles without the permission refused; an
//! operation left running by a stopped process reads as interrupted. Co-investigation items
//! assigned and fed back in bulk from a task's page, each item checked for the county.

use std::time::{Duration, Instant};

use fangkong_api_types::{BulkCreate, BulkOperation};
use fangkong_app::Actor;
use fangkong_store::audit::AuditFilter;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::{Method, StatusCode};

use crate::dashboard::seed_demo;
use crate::web::{csrf_of, Browser};

/// The operation id of the page `POST /bulk` redirects to (`/bulk/{id}?back=...`).
fn operation_of(location: &str) -> i64 {
    location
        .trim_start_matches("/bulk/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn finished(app: &TestApp, id: i64) -> BulkOperation {
    finished_for(&app.client, id).await
}

async fn finished_for(client: &fangkong_client::Client, id: i64) -> BulkOperation {
    let start = Instant::now();
    loop {
        let (status, body) = client
            .get_json(&format!("/api/v1/bulk/{id}"))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        let op: BulkOperation = serde_json::from_value(body).unwrap();
        if op.status != "running" {
            return op;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{op:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_action_changes_every_selected_record_as_one_audited_operation() {
    each_backend(|app| async move {
        seed_demo(&app, 2_000).await;
        // 300 arrivals from abroad today: 300 measures assigned to the community.
        let community = app.client.measures(true).await.unwrap()[0]
            .community_code
            .clone();
        let mut list = String::from(
            "name,id_number,community_code,origin,departed_on,arrived_at,route,vaccination\n",
        );
        for k in 0..300u16 {
            let born = chrono::NaiveDate::from_ymd_opt(
                1960 + i32::from(k % 40),
                1 + u32::from(k % 12),
                1 + u32::from(k % 28),
            )
            .unwrap();
            let id = crate::id("411702", &born.to_string(), 500 + k);
            list.push_str(&format!(
                "旅客{k},{id},{community},JP,2026-11-29,2026-11-30 08:00,NH{k},full\n"
            ));
        }
        let s = app
            .client
            .import_travel("arrivals.csv", list.into_bytes())
            .await
            .unwrap();
        assert_eq!(s.measures_created, 300);
        let open = app.client.measures(true).await.unwrap();
        // 300 of the assigned measures are selected.
        let assigned: Vec<i64> = open
            .iter()
            .filter(|m| m.status == "assigned")
            .map(|m| m.id)
            .take(300)
            .collect();
        let active = open.iter().find(|m| m.status == "active").unwrap().id;
        assert_eq!(assigned.len(), 300);
        // Every assigned measure, one already active and one that does not exist; the same
        // id twice counts once.
        let mut ids = assigned.clone();
        ids.extend([active, 999_999_999, assigned[0]]);
        let started = Instant::now();
        let (status, body) = app
            .client
            .send_json(
                Method::POST,
                "/api/v1/bulk",
                &serde_json::to_value(BulkCreate {
                    kind: "measure.activate".into(),
                    ids,
                    target: None,
                    note: None,
                })
                .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let op: BulkOperation = serde_json::from_value(body).unwrap();
        assert_eq!(op.total, assigned.len() as i64 + 2);
        let op = finished(&app, op.id).await;
        println!(
            "bulk: {} measures activated in {:.2} s",
            op.done,
            started.elapsed().as_secs_f64()
        );
        assert_eq!(
            (op.status.as_str(), op.done, op.failed),
            ("finished", assigned.len() as i64, 2)
        );
        assert_eq!(
            op.errors.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![active, 999_999_999]
        );
        assert!(op.errors.iter().all(|e| !e.reason.is_empty()));
        let now: Vec<_> = app.client.measures(true).await.unwrap();
        for id in &assigned {
            let m = now.iter().find(|m| m.id == *id).unwrap();
            assert_eq!(m.status, "active", "measure {id}");
        }
        // One operation in the audit log: its start names every record; each record's own
        // entry carries the operation's id.
        let system = Actor::system("test");
        let search = |action: &str| AuditFilter {
            action: Some(action.into()),
            limit: 1000,
            ..AuditFilter::default()
        };
        let starts = app
            .app
            .search_audit(&system, &search("bulk.start"))
            .await
            .unwrap();
        assert_eq!(starts.len(), 1);
        assert_eq!(
            starts[0].object_id.as_deref(),
            Some(op.id.to_string().as_str())
        );
        let named: serde_json::Value = serde_json::from_str(&starts[0].detail).unwrap();
        assert_eq!(named["ids"].as_array().unwrap().len() as i64, op.total);
        let each = app
            .app
            .search_audit(&system, &search("inbound.measure_activate"))
            .await
            .unwrap();
        let ours = each
            .iter()
            .filter(|e| e.operation_id == format!("bulk-{}", op.id))
            .count();
        assert_eq!(ours as i64, op.done);
        assert_eq!(
            app.app
                .search_audit(&system, &search("bulk.finish"))
                .await
                .unwrap()
                .len(),
            1
        );

        // Bad requests, other users, roles without the permission.
        for (body, field) in [
            (
                serde_json::json!({"kind": "measure.escalate", "ids": [1]}),
                "reason",
            ),
            (
                serde_json::json!({"kind": "measure.activate", "ids": []}),
                "ids",
            ),
            (
                serde_json::json!({"kind": "measure.delete", "ids": [1]}),
                "kind",
            ),
            (
                serde_json::json!({"kind": "alert.transition", "ids": [1]}),
                "status",
            ),
        ] {
            let (status, problem) = app
                .client
                .send_json(Method::POST, "/api/v1/bulk", &body)
                .await
                .unwrap();
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(problem.to_string().contains(field), "{problem}");
        }
        let too_many: Vec<i64> = (1..=5_001).collect();
        let (status, _) = app
            .client
            .send_json(
                Method::POST,
                "/api/v1/bulk",
                &serde_json::json!({"kind": "measure.activate", "ids": too_many}),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let reporter = app.client_for("reporter", "sentinel-reporter", None).await;
        let (status, _) = reporter
            .send_json(
                Method::POST,
                "/api/v1/bulk",
                &serde_json::json!({"kind": "measure.activate", "ids": [active]}),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);
        let other = app.client_for("other", "admin", None).await;
        let (status, _) = other
            .get_json(&format!("/api/v1/bulk/{}", op.id))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The measures page: a select-all box and the bulk action; the operation's page
        // shows its progress until it ends, then the refusals.
        let mut b = Browser::new(&app);
        b.login("admin", "admin-password", "/inbound/measures")
            .await;
        let (status, page, _) = b.get("/inbound/measures").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("data-select-all"));
        assert!(page.contains("formaction=\"/bulk\""));
        let (status, _, location) = b
            .post(
                "/bulk",
                &[
                    ("csrf", csrf_of(&page).as_str()),
                    ("kind", "measure.escalate"),
                    ("target", "转为病例"),
                    ("back", "/inbound/measures"),
                    ("id", &assigned[0].to_string()),
                    ("id", &assigned[1].to_string()),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = location.unwrap();
        let id = operation_of(&location);
        assert_eq!(location, format!("/bulk/{id}?back=/inbound/measures"));
        let op = finished(&app, id).await;
        assert_eq!((op.done, op.failed), (2, 0));
        let (status, html, _) = b.get(&location).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("data-status=\"finished\""), "{html}");
        assert!(html.contains("id=\"bulk-done\">2</strong>"));
        // The way back (the template escapes the path's slashes).
        assert!(
            html.contains("href=\"&#x2f;inbound&#x2f;measures\">返回列表</a>"),
            "{html}"
        );
        let (status, fragment, _) = b.get(&format!("/bulk/{id}/progress")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            fragment.starts_with("<div id=\"bulk-progress\""),
            "{fragment}"
        );
        assert!(
            !fragment.contains("hx-trigger"),
            "a finished operation stops polling"
        );
        // Without a CSRF token nothing starts.
        let (status, _, _) = b
            .post("/bulk", &[("kind", "measure.activate"), ("id", "1")])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // An operation this process is not running (its process stopped) is interrupted.
        let stale = app
            .store
            .operations()
            .create("measure.activate", "user:admin", app.app.now_ms(), 3)
            .await
            .unwrap();
        let (_, body) = app
            .client
            .get_json(&format!("/api/v1/bulk/{stale}"))
            .await
            .unwrap();
        assert_eq!(body["status"], "interrupted");
        app
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn co_investigation_items_are_assigned_and_fed_back_in_bulk() {
    each_backend(|app| async move {
        let (a, _) = crate::co_investigation::setup(&app).await;
        let unknown = crate::id("110105", "1990-01-01", 13);
        let created = app
            .client
            .create_co_task(&crate::co_investigation::task(&a, &unknown))
            .await
            .unwrap();
        let task_id = created.task.id;
        let path = format!("/co-investigations/{task_id}");
        // The city holds items 3 and 4 (unresolved); 1 went to 411702, 2 to 411721.
        let items = app.client.co_items(task_id, "").await.unwrap();
        let waiting = app.client.co_items(task_id, "here=true").await.unwrap();
        assert_eq!(waiting.iter().map(|i| i.seq).collect::<Vec<_>>(), vec![3, 4]);

        // The city ticks both on the task page and assigns them to 411702 in one operation.
        let mut hq = Browser::new(&app);
        hq.login("admin", "admin-password", &path).await;
        let (status, page, _) = hq.get(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"bulk-items\""), "{page}");
        assert!(page.contains("form=\"bulk-items\""));
        let csrf = csrf_of(&page);
        let (status, _, location) = hq
            .post(
                "/bulk",
                &[
                    ("csrf", csrf.as_str()),
                    ("kind", "co_item.assign"),
                    ("code", "411702"),
                    ("outcome", "controlled"),
                    ("back", &path),
                    ("id", &waiting[0].id.to_string()),
                    ("id", &waiting[1].id.to_string()),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let id = operation_of(&location.unwrap());
        let op = finished(&app, id).await;
        assert_eq!((op.kind.as_str(), op.done, op.failed), ("co_item.assign", 2, 0));
        let east = app
            .client_for("east", "county-operator", Some("411702"))
            .await;
        let held = east.co_items(task_id, "").await.unwrap();
        assert_eq!(held.iter().map(|i| i.seq).collect::<Vec<_>>(), vec![1, 3, 4]);
        // Item 1 went to its resident's community on arrival; 3 and 4 are the county's now.
        assert_eq!(
            held.iter()
                .map(|i| (i.assigned_code.as_str(), i.assigned_how.as_str()))
                .collect::<Vec<_>>(),
            vec![
                ("411702001001", "auto"),
                ("411702", "manual"),
                ("411702", "manual")
            ]
        );

        // The county feeds back its three items and, by mistake, the other county's one:
        // that one is refused with its reason, the three are done.
        let mut ids: Vec<i64> = held.iter().map(|i| i.id).collect();
        ids.push(items[1].id);
        let (status, body) = east
            .send_json(
                Method::POST,
                "/api/v1/bulk",
                &serde_json::to_value(BulkCreate {
                    kind: "co_item.feedback".into(),
                    ids,
                    target: Some("not_found".into()),
                    note: Some("多方核查无此人".into()),
                })
                .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let op: BulkOperation = serde_json::from_value(body).unwrap();
        let op = finished_for(&east, op.id).await;
        assert_eq!((op.done, op.failed), (3, 1));
        assert_eq!(op.errors[0].id, items[1].id);
        let done = east.co_items(task_id, "status=done").await.unwrap();
        assert_eq!(done.len(), 3);
        assert!(done
            .iter()
            .all(|i| i.outcome.as_deref() == Some("not_found")
                && i.outcome_note == "多方核查无此人"));
        let tasks = app.client.co_tasks().await.unwrap();
        assert_eq!((tasks[0].total, tasks[0].done), (4, 3));

        // Forwarding names a jurisdiction per item: refused in bulk; an unknown outcome too;
        // the assignment needs its code.
        for (kind, target, field) in [
            ("co_item.feedback", Some("forwarded"), "outcome"),
            ("co_item.feedback", Some("fixed"), "outcome"),
            ("co_item.feedback", None, "outcome"),
            ("co_item.assign", None, "code"),
        ] {
            let (status, body) = app
                .client
                .send_json(
                    Method::POST,
                    "/api/v1/bulk",
                    &serde_json::json!({"kind": kind, "ids": [items[1].id], "target": target}),
                )
                .await
                .unwrap();
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind} {target:?}");
            assert!(body.to_string().contains(field), "{body}");
        }
        // Without co_investigation.operate nothing starts.
        let lab = app.client_for("lab", "supplies-staff", None).await;
        let (status, _) = lab
            .send_json(
                Method::POST,
                "/api/v1/bulk",
                &serde_json::json!({"kind": "co_item.assign", "ids": [items[1].id], "target": "411702"}),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);
        app
    })
    .await;
}
