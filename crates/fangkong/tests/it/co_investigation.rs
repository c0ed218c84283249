//! Co-investigation tasks on both backends: a list split by residence through the registry's
//! blind indexes, unresolved items waiting at the receiving level for assignment by hand,
//! per-level inboxes, feedback batches (all or none), escalation of overdue items and the
//! statistics with a controlled clock; directives and the duty roster with their overdue
//! counters.

use fangkong_api_types::{
    CoFeedback, CoItemInput, CoTaskCreate, DirectiveCreate, DutyShiftCreate, PersonCreate,
};
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

use crate::id;

const JURISDICTIONS: &str = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
     411702001,顺河街道\n411702001001,一号社区\n411721001,柏城街道\n411721001001,西平一社区\n";

/// Jurisdictions and two residents: one in each county. Returns their ID numbers.
pub(crate) async fn setup(app: &TestApp) -> (String, String) {
    app.client
        .import_jurisdictions("d.csv", JURISDICTIONS.as_bytes().to_vec())
        .await
        .unwrap();
    let a = id("411702", "1980-05-01", 11);
    let b = id("411721", "1975-02-03", 12);
    for (doc, phone, community) in [
        (&a, "13800000001", "411702001001"),
        (&b, "13800000002", "411721001001"),
    ] {
        app.client
            .create_person(&PersonCreate {
                id_number: Some(doc.clone()),
                name: "居民".into(),
                phone: Some(phone.into()),
                community_code: community.into(),
                ..PersonCreate::default()
            })
            .await
            .unwrap();
    }
    (a, b)
}

pub(crate) fn task(a: &str, unknown: &str) -> CoTaskCreate {
    CoTaskCreate {
        title: "省协查〔2026〕12号".into(),
        reason: "11月28日到过风险场所".into(),
        source: "省疫情防控指挥部".into(),
        // 18:00 China time today (the clock stands at 10:00).
        deadline: "2026-11-30 18:00".into(),
        target_code: Some("4117".into()),
        items: vec![
            CoItemInput {
                id_number: Some(a.into()),
                note: "11月28日 人民路菜市场".into(),
                ..CoItemInput::default()
            },
            CoItemInput {
                phone: Some("13800000002".into()),
                ..CoItemInput::default()
            },
            CoItemInput {
                id_number: Some(unknown.into()),
                ..CoItemInput::default()
            },
            CoItemInput {
                place: Some("西平县某冷库".into()),
                ..CoItemInput::default()
            },
        ],
    }
}

#[tokio::test]
async fn list_is_split_by_residence_fed_back_escalated_and_counted() {
    each_backend(|app| async move {
        let (a, _b) = setup(&app).await;
        let unknown = id("110105", "1990-01-01", 13);
        let created = app
            .client
            .create_co_task(&task(&a, &unknown))
            .await
            .unwrap();
        assert!(!created.replayed);
        assert_eq!(created.resolved, 2);
        assert_eq!(created.task.n_items, 4);
        let task_id = created.task.id;
        // The same list again changes nothing.
        let again = app
            .client
            .create_co_task(&task(&a, &unknown))
            .await
            .unwrap();
        assert!(again.replayed);
        assert_eq!(again.task.id, task_id);

        let items = app.client.co_items(task_id, "").await.unwrap();
        let placed: Vec<(i64, &str, &str, &str)> = items
            .iter()
            .map(|i| {
                (
                    i.seq,
                    i.kind.as_str(),
                    i.assigned_code.as_str(),
                    i.assigned_how.as_str(),
                )
            })
            .collect();
        assert_eq!(
            placed,
            vec![
                (1, "person_id", "411702001001", "auto"),
                (2, "phone", "411721001001", "auto"),
                (3, "person_id", "4117", "receiving"),
                (4, "place", "4117", "receiving"),
            ]
        );
        // Identifiers are masked.
        assert!(!items[0].subject_masked.contains(&a[6..14]));
        assert_eq!(items[1].subject_masked, "138****0002");

        // Each county sees its own items only.
        let east = app
            .client_for("east", "county-operator", Some("411702"))
            .await;
        let west = app
            .client_for("west", "county-operator", Some("411721"))
            .await;
        let inbox = east.co_tasks().await.unwrap();
        assert_eq!((inbox.len(), inbox[0].total, inbox[0].done), (1, 1, 0));
        assert_eq!(east.co_items(task_id, "").await.unwrap().len(), 1);
        // The city assigns the unresolved ones by hand.
        let waiting = app.client.co_items(task_id, "here=true").await.unwrap();
        assert_eq!(
            waiting.iter().map(|i| i.seq).collect::<Vec<_>>(),
            vec![3, 4]
        );
        let city = app.client.co_tasks().await.unwrap();
        assert_eq!((city[0].total, city[0].waiting_here), (4, 2));
        assert_eq!(
            app.client
                .assign_co_items(&[waiting[1].id], "411721001")
                .await
                .unwrap(),
            1
        );
        // A county cannot assign what it does not hold, nor outside itself.
        let e = east
            .assign_co_items(&[waiting[0].id], "411702001")
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
        let e = east
            .assign_co_items(&[items[0].id], "411721001")
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(west.co_items(task_id, "").await.unwrap().len(), 2);

        // A bad batch is refused whole, naming each bad entry.
        let west_items = west.co_items(task_id, "").await.unwrap();
        let e = west
            .feed_back_co_items(&[
                CoFeedback {
                    item_id: west_items[0].id,
                    outcome: "left_area".into(),
                    note: "11月29日已返回郑州".into(),
                    ..CoFeedback::default()
                },
                CoFeedback {
                    item_id: west_items[1].id,
                    outcome: "forwarded".into(),
                    ..CoFeedback::default()
                },
            ])
            .await
            .unwrap_err();
        let problem = e.problem().unwrap();
        assert_eq!(problem.status, 422);
        assert!(
            problem.detail.contains("entries[1].forwarded_to"),
            "{}",
            problem.detail
        );
        assert_eq!(
            west.co_items(task_id, "status=done").await.unwrap().len(),
            0
        );
        // Feedback on another county's item is refused.
        let e = west
            .feed_back_co_items(&[CoFeedback {
                item_id: items[0].id,
                outcome: "not_found".into(),
                ..CoFeedback::default()
            }])
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
        assert_eq!(
            west.feed_back_co_items(&[CoFeedback {
                item_id: west_items[0].id,
                outcome: "left_area".into(),
                note: "11月29日已返回郑州".into(),
                ..CoFeedback::default()
            }])
            .await
            .unwrap(),
            1
        );
        // The east county's resident is put under control on time (16:00).
        app.clock.advance(chrono::Duration::hours(6));
        // "Located and controlled" opens the control measure through the measures code.
        app.app.ensure_default_policy().await.unwrap();
        east.feed_back_co_items(&[CoFeedback {
            item_id: items[0].id,
            outcome: "controlled".into(),
            note: "居家隔离".into(),
            open_measure: true,
            ..CoFeedback::default()
        }])
        .await
        .unwrap();
        let controlled = east.co_items(task_id, "status=done").await.unwrap();
        let measure_id = controlled[0].measure_id.expect("a measure was opened");
        let (status, measure) = east
            .get_json(&format!("/api/v1/inbound/measures/{measure_id}"))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(measure["person_id"], items[0].person_id.unwrap());
        // The same feedback again opens no second measure.
        east.feed_back_co_items(&[CoFeedback {
            item_id: items[0].id,
            outcome: "controlled".into(),
            note: "居家隔离".into(),
            open_measure: true,
            ..CoFeedback::default()
        }])
        .await
        .unwrap();
        let again = east.co_items(task_id, "status=done").await.unwrap();
        assert_eq!(again[0].measure_id, Some(measure_id));

        // Before the deadline nothing escalates.
        assert_eq!(app.client.escalate_co_items().await.unwrap(), 0);
        // 19:00: two open items are overdue; each moves up one level once, with a notice.
        app.clock.advance(chrono::Duration::hours(3));
        assert_eq!(
            app.client
                .overdue("4117")
                .await
                .unwrap()
                .co_investigation_items,
            2
        );
        assert_eq!(
            app.client
                .overdue("411702")
                .await
                .unwrap()
                .co_investigation_items,
            0
        );
        assert_eq!(app.client.escalate_co_items().await.unwrap(), 2);
        assert_eq!(app.client.escalate_co_items().await.unwrap(), 0);
        let after = app.client.co_items(task_id, "status=open").await.unwrap();
        let escalated: Vec<(i64, Option<&str>)> = after
            .iter()
            .map(|i| (i.seq, i.escalated_to.as_deref()))
            .collect();
        assert_eq!(escalated, vec![(3, Some("41")), (4, Some("411721"))]);
        let notices = app.client.co_notices().await.unwrap();
        let mut n: Vec<(&str, i64)> = notices
            .iter()
            .map(|n| (n.jurisdiction_code.as_str(), n.n_items))
            .collect();
        n.sort_unstable();
        assert_eq!(n, vec![("41", 1), ("411721", 1)]);
        assert_eq!(west.co_notices().await.unwrap().len(), 1);
        assert_eq!(east.co_notices().await.unwrap().len(), 0);

        // Late feedback counts as late.
        west.feed_back_co_items(&[CoFeedback {
            item_id: west_items[1].id,
            outcome: "not_found".into(),
            ..CoFeedback::default()
        }])
        .await
        .unwrap();
        let stats = app.client.co_stats(Some(task_id)).await.unwrap();
        let row = |key: &str| {
            let r = stats.by_county.iter().find(|r| r.key == key).unwrap();
            (
                r.total,
                r.done,
                r.open,
                r.overdue,
                r.on_time,
                r.late,
                r.escalated,
            )
        };
        assert_eq!(stats.by_county.len(), 3);
        assert_eq!(row("4117"), (1, 0, 1, 1, 0, 0, 1));
        assert_eq!(row("411702"), (1, 1, 0, 0, 1, 0, 0));
        assert_eq!(row("411721"), (2, 2, 0, 0, 1, 1, 1));
        let by_day = &stats.by_deadline[0];
        assert_eq!(
            (
                by_day.key.as_str(),
                by_day.total,
                by_day.done,
                by_day.overdue
            ),
            ("2026-11-30", 4, 3, 1)
        );
        assert_eq!(
            (by_day.controlled, by_day.not_found, by_day.left_area),
            (1, 1, 1)
        );
        app
    })
    .await;
}

#[tokio::test]
async fn bad_list_file_is_refused_whole_naming_line_and_field() {
    each_backend(|app| async move {
        setup(&app).await;
        let header = [
            ("title", "大数据协查"),
            ("reason", "时空伴随"),
            ("source", "省大数据局"),
            ("deadline", "2026-12-01 12:00"),
            ("target_code", "4117"),
        ];
        let bad = format!(
            "id_number,phone,place,note\n{},,,\n,12345,,\n,13800000001,某地,\n",
            &id("411702", "1980-05-01", 11)[..17]
        );
        let e = app
            .client
            .import_co_task(&header, "list.csv", bad.into_bytes())
            .await
            .unwrap_err();
        let problem = e.problem().unwrap();
        assert_eq!(problem.status, 422);
        let fields: Vec<(Option<u64>, String)> = problem
            .errors
            .iter()
            .map(|f| (f.line, f.field.clone()))
            .collect();
        assert_eq!(
            fields,
            vec![
                (Some(2), "id_number".to_string()),
                (Some(3), "phone".to_string()),
                (Some(4), "id_number".to_string()),
            ]
        );
        assert!(app.client.co_tasks().await.unwrap().is_empty());
        let good = "phone,note\n13800000001,伴随时长30分钟\n13900000009,\n";
        let c = app
            .client
            .import_co_task(&header, "list.csv", good.as_bytes().to_vec())
            .await
            .unwrap();
        assert_eq!((c.task.n_items, c.resolved), (2, 1));
        let again = app
            .client
            .import_co_task(&header, "list.csv", good.as_bytes().to_vec())
            .await
            .unwrap();
        assert!(again.replayed);
        assert_eq!(app.client.co_tasks().await.unwrap().len(), 1);
        app
    })
    .await;
}

#[tokio::test]
async fn directives_are_acknowledged_completed_and_overdue_counted() {
    each_backend(|app| async move {
        setup(&app).await;
        let d = app
            .client
            .issue_directive(&DirectiveCreate {
                target_code: "411702".into(),
                target_unit: "流调溯源组".into(),
                title: "完成顺河街道密接排查".into(),
                body: "24小时内完成并报告".into(),
                due: "2026-11-30 20:00".into(),
            })
            .await
            .unwrap();
        assert_eq!((d.status.as_str(), d.overdue), ("issued", false));
        let east = app
            .client_for("east", "county-operator", Some("411702"))
            .await;
        let west = app
            .client_for("west", "county-operator", Some("411721"))
            .await;
        assert!(west.directives().await.unwrap().is_empty());
        let e = west.acknowledge_directive(d.id).await.unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
        // Completing before acknowledging is a conflict.
        let e = east.complete_directive(d.id, "已完成").await.unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::CONFLICT));
        let acked = east.acknowledge_directive(d.id).await.unwrap();
        assert_eq!(acked.status, "acknowledged");
        assert!(acked
            .acknowledged_by
            .unwrap()
            .starts_with("user:east/token:"));
        // 21:00: overdue until completed.
        app.clock.advance(chrono::Duration::hours(11));
        assert_eq!(app.client.overdue("4117").await.unwrap().directives, 1);
        assert!(app.client.directives().await.unwrap()[0].overdue);
        let done = east
            .complete_directive(d.id, "已排查密接32人，全部落实管控")
            .await
            .unwrap();
        assert_eq!((done.status.as_str(), done.overdue), ("completed", false));
        assert_eq!(app.client.overdue("4117").await.unwrap().directives, 0);
        // A bad directive names its fields.
        let e = app
            .client
            .issue_directive(&DirectiveCreate {
                target_code: "9".into(),
                title: String::new(),
                body: "x".into(),
                due: "2026-11-29 08:00".into(),
                ..DirectiveCreate::default()
            })
            .await
            .unwrap_err();
        let fields: Vec<String> = e
            .problem()
            .unwrap()
            .errors
            .iter()
            .map(|f| f.field.clone())
            .collect();
        assert_eq!(fields, vec!["title", "due", "target_code"]);
        app
    })
    .await;
}

#[tokio::test]
async fn duty_roster_shows_who_is_on_duty_with_log_and_handover() {
    each_backend(|app| async move {
        setup(&app).await;
        let shift = |starts: &str, ends: &str, leader: &str| DutyShiftCreate {
            unit_code: "4117".into(),
            unit_name: "市指挥部办公室".into(),
            starts: starts.into(),
            ends: ends.into(),
            leader: leader.into(),
            officer: "值班员".into(),
        };
        let day = app
            .client
            .add_shift(&shift("2026-11-30 08:00", "2026-11-30 20:00", "张主任"))
            .await
            .unwrap();
        let night = app
            .client
            .add_shift(&shift("2026-11-30 20:00", "2026-12-01 08:00", "李主任"))
            .await
            .unwrap();
        let e = app
            .client
            .add_shift(&shift("2026-11-30 19:00", "2026-11-30 21:00", "王主任"))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::CONFLICT));
        let now = app.client.on_duty().await.unwrap();
        assert_eq!(now.iter().map(|s| s.id).collect::<Vec<_>>(), vec![day.id]);
        app.client
            .log_shift_event(day.id, "14:00 接省指挥部电话通知")
            .await
            .unwrap();
        app.client
            .hand_over(day.id, "协查任务3项未完成，已交李主任")
            .await
            .unwrap();
        app.clock.advance(chrono::Duration::hours(11));
        let now = app.client.on_duty().await.unwrap();
        assert_eq!(now.iter().map(|s| s.id).collect::<Vec<_>>(), vec![night.id]);
        let detail = app.client.shift(day.id).await.unwrap();
        assert_eq!(detail.log.len(), 1);
        assert_eq!(detail.log[0].text, "14:00 接省指挥部电话通知");
        assert_eq!(
            detail.shift.handover_note.as_deref(),
            Some("协查任务3项未完成，已交李主任")
        );
        app
    })
    .await;
}
