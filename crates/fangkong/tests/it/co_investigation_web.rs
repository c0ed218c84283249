//! The co-investigation and command pages as a signed-in browser sees them, on both
//! backends: a county's inbox with its progress, an item fed back through the form, the
//! directives board with acknowledgement and completion, the duty roster with who is on duty.

use fangkong_test_support::each_backend;
use reqwest::StatusCode;

use crate::web::{csrf_of, figure, Browser};

#[tokio::test]
async fn county_works_its_inbox_and_directives_through_the_pages() {
    each_backend(|app| async move {
        let (a, _) = crate::co_investigation::setup(&app).await;
        let created = app
            .client
            .create_co_task(&crate::co_investigation::task(
                &a,
                &crate::id("110105", "1990-01-01", 13),
            ))
            .await
            .unwrap();
        let mut east = Browser::signed_in(&app, "east", "county-operator", Some("411702")).await;
        let (status, html, _) = east.get("/co-investigations").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("省协查〔2026〕12号"));
        assert!(html.contains(&format!("href=\"/co-investigations/{}\"", created.task.id)));
        let path = format!("/co-investigations/{}", created.task.id);
        let (status, html, _) = east.get(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            figure(&html, "task-progress").trim(),
            "0 / 1 · 逾期 0 · 待本级分派 0"
        );
        let item = app.client.co_items(created.task.id, "").await.unwrap()[0].id;
        let csrf = csrf_of(&html);
        let (status, _, location) = east
            .post(
                &format!("{path}/feedback"),
                &[
                    ("csrf", &csrf),
                    ("item_id", &item.to_string()),
                    ("outcome", "controlled"),
                    ("note", "居家隔离"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some(format!("{path}#item-{item}").as_str())
        );
        let (_, html, _) = east.get(&path).await;
        assert_eq!(
            figure(&html, "task-progress").trim(),
            "1 / 1 · 逾期 0 · 待本级分派 0"
        );
        assert!(html.contains("已落地管控"));

        // The city issues a directive on the board; the county acknowledges and completes it.
        let mut city = Browser::signed_in(&app, "hq", "commander", None).await;
        let (_, html, _) = city.get("/command").await;
        let csrf = csrf_of(&html);
        let (status, _, _) = city
            .post(
                "/command/directives",
                &[
                    ("csrf", &csrf),
                    ("target_code", "411702"),
                    ("title", "加强核酸检测"),
                    ("body", "今日内完成"),
                    ("due", "2026-11-30T20:00"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _, _) = city
            .post(
                "/command/shifts",
                &[
                    ("csrf", &csrf),
                    ("unit_code", "4117"),
                    ("unit_name", "市指挥部办公室"),
                    ("starts", "2026-11-30T08:00"),
                    ("ends", "2026-11-30T20:00"),
                    ("leader", "张主任"),
                    ("officer", "王科员"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, html, _) = city.get("/command").await;
        assert_eq!(figure(&html, "directive-count"), "1");
        assert_eq!(figure(&html, "on-duty-count"), "1");
        assert!(html.contains("张主任"));
        let id = app.client.directives().await.unwrap()[0].id;
        let (_, html, _) = east.get("/command").await;
        let csrf = csrf_of(&html);
        let (status, _, _) = east
            .post(
                &format!("/command/directives/{id}/acknowledge"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _, _) = east
            .post(
                &format!("/command/directives/{id}/complete"),
                &[("csrf", &csrf), ("text", "已完成")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, html, _) = city.get("/command").await;
        assert!(html.contains("已办结"));
        assert!(html.contains("已完成"));
        // Without the read permission there is no page.
        let mut lab = Browser::signed_in(&app, "lab", "supplies-staff", None).await;
        let (status, _, _) = lab.get("/co-investigations").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        app
    })
    .await;
}
