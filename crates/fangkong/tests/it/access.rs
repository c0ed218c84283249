//! Identity, access control, audit and privacy: lockout, CSRF, token scopes, masking and
//! reveal with purpose, the audit chain, and purge keeping the aggregates.

use chrono::Duration;
use fangkong_api_types::{PersonCreate, PersonUpdate};
use fangkong_app::Error;
use fangkong_client::PersonSearch;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::{Method, StatusCode};

use crate::id;
use crate::web::Browser;

const DIVISIONS: &str = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
    411702001,顺河街道\n411702001001,一号社区\n411721001,柏城街道\n411721001001,西平一社区\n";

async fn seed(app: &TestApp) -> fangkong_api_types::Person {
    app.client
        .import_jurisdictions("d.csv", DIVISIONS.as_bytes().to_vec())
        .await
        .unwrap();
    let body = PersonCreate {
        id_number: Some(id("411702", "1990-03-07", 123)),
        name: "张三".into(),
        phone: Some("13812345678".into()),
        community_code: "411702001001".into(),
        ..PersonCreate::default()
    };
    app.client.create_person(&body).await.unwrap().1
}

#[tokio::test]
async fn five_failed_logins_lock_the_account_for_fifteen_minutes() {
    each_backend(|app| async move {
        app.app
            .create_user("op", "right-password", "county-operator", None)
            .await
            .unwrap();
        for attempt in 1..=4 {
            let e = app.app.login("op", "hunter2-guess", "t").await.unwrap_err();
            assert!(
                matches!(e, Error::Unauthenticated),
                "attempt {attempt}: {e:?}"
            );
        }
        let e = app.app.login("op", "wrong", "t").await.unwrap_err();
        assert!(
            matches!(e, Error::Locked { .. }),
            "fifth failure locks: {e:?}"
        );
        // Even the right password is refused while locked.
        let e = app
            .app
            .login("op", "right-password", "t")
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Locked { .. }));
        app.clock.advance(Duration::minutes(14));
        assert!(matches!(
            app.app.login("op", "right-password", "t").await,
            Err(Error::Locked { .. })
        ));
        app.clock.advance(Duration::minutes(2));
        app.app.login("op", "right-password", "t").await.unwrap();
        // A success resets the count: four more failures do not lock.
        for _ in 0..4 {
            assert!(matches!(
                app.app.login("op", "wrong", "t").await,
                Err(Error::Unauthenticated)
            ));
        }
        app.app.login("op", "right-password", "t").await.unwrap();
        let failures = app
            .store
            .audit()
            .search(&fangkong_store::audit::AuditFilter {
                action: Some("session.login_failed".into()),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(failures.len(), 9);
        assert!(
            failures.iter().all(|e| !e.detail.contains("hunter2")),
            "no password in the audit log"
        );
        app
    })
    .await;
}

#[tokio::test]
async fn the_web_login_shows_the_lockout_and_throttles_by_address() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        b.login("admin", "wrong", "/").await;
    }
    let (_, _, location) = b.login("admin", "admin-password", "/").await;
    assert!(location.unwrap().starts_with("/login?failed=locked"));
    let (_, html, _) = b.get("/login?failed=locked").await;
    assert!(html.contains("账号已临时锁定"));
    // 20 attempts a minute from one address; the rest are turned away unchecked.
    for _ in 0..14 {
        b.login("nobody", "x", "/").await;
    }
    let (_, _, location) = b.login("nobody", "x", "/").await;
    assert!(location.unwrap().starts_with("/login?failed=throttled"));
    app.verify().await;
}

#[tokio::test]
async fn cookie_authenticated_api_writes_need_the_csrf_header() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let mut b = Browser::new(&app);
    b.login("admin", "admin-password", "/").await;
    let (_, html, _) = b.get("/").await;
    let csrf = crate::web::csrf_of(&html);
    let body = serde_json::json!({"id_number": id("411702", "1980-01-01", 3), "name": "李四", "community_code": "411702001001"});
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/persons", app.base_url);
    let cookie = b.cookies.join("; ");
    let r = http
        .post(&url)
        .header("cookie", &cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF header");
    let r = http
        .post(&url)
        .header("cookie", &cookie)
        .header("x-csrf-token", "forged")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "wrong CSRF header");
    let r = http
        .post(&url)
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // Reads need no CSRF header; a forged session cookie is a 401.
    let r = http
        .get(&url)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = http
        .get(&url)
        .header("cookie", "fk_session=fks_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.verify().await;
}

#[tokio::test]
async fn tokens_are_scoped_expire_and_can_be_revoked() {
    each_backend(|app| async move {
        let p = seed(&app).await;
        let request = |perms: Option<Vec<&str>>, jurisdiction: Option<&str>, days| {
            fangkong_app::auth::TokenRequest {
                name: "t".into(),
                expires_days: days,
                permissions: perms.map(|p| p.into_iter().map(str::to_string).collect()),
                jurisdiction: jurisdiction.map(str::to_string),
            }
        };
        app.app
            .create_user("op", "pw", "county-operator", Some("4117"))
            .await
            .unwrap();
        // Read-only token: reads, cannot write.
        let ro = app
            .app
            .create_scoped_token(
                "op",
                &request(Some(vec!["persons.read", "jurisdictions.read"]), None, None),
            )
            .await
            .unwrap();
        let ro = app.client.with_token(Some(&ro));
        assert_eq!(ro.person(p.id).await.unwrap().id, p.id);
        let err = ro
            .update_person(
                p.id,
                &PersonUpdate {
                    address: Some(Some("x".into())),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::FORBIDDEN));
        // A token narrowed to Xiping does not see a person in Yicheng.
        let xp = app
            .app
            .create_scoped_token("op", &request(None, Some("411721"), None))
            .await
            .unwrap();
        let xp = app.client.with_token(Some(&xp));
        assert_eq!(
            xp.person(p.id).await.unwrap_err().status(),
            Some(StatusCode::NOT_FOUND)
        );
        // A token can never exceed its user.
        let e = app
            .app
            .create_scoped_token("op", &request(Some(vec!["audit.read"]), None, None))
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("the user's role has no audit.read"),
            "{e}"
        );
        let e = app
            .app
            .create_scoped_token("op", &request(None, Some("4101"), None))
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("outside the user's jurisdiction"),
            "{e}"
        );
        // Expiry and revocation.
        let short = app
            .app
            .create_scoped_token("op", &request(None, None, Some(1)))
            .await
            .unwrap();
        let short = app.client.with_token(Some(&short));
        short.person(p.id).await.unwrap();
        app.clock.advance(Duration::days(2));
        assert_eq!(
            short.person(p.id).await.unwrap_err().status(),
            Some(StatusCode::UNAUTHORIZED)
        );
        let user = app
            .store
            .users()
            .find_by_username("op")
            .await
            .unwrap()
            .unwrap();
        let tokens = app.store.users().tokens_of(user.id).await.unwrap();
        let ro_id = tokens.iter().find(|t| t.permissions.is_some()).unwrap().id;
        app.app.revoke_api_token(ro_id).await.unwrap();
        assert_eq!(
            ro.person(p.id).await.unwrap_err().status(),
            Some(StatusCode::UNAUTHORIZED)
        );
        // A disabled user's tokens stop working.
        app.store.users().set_disabled(user.id, true).await.unwrap();
        assert_eq!(
            xp.jurisdictions(None, None).await.unwrap_err().status(),
            Some(StatusCode::UNAUTHORIZED)
        );
        app
    })
    .await;
}

#[tokio::test]
async fn revealing_needs_the_permission_and_a_purpose_and_is_audited() {
    each_backend(|app| async move {
        let p = seed(&app).await;
        let full = id("411702", "1990-03-07", 123);
        let reveal = |purpose: &str| serde_json::json!({"purpose": purpose, "fields": ["id_number", "phone"]});
        let path = format!("/api/v1/persons/{}/reveal", p.id);
        // The commander reads everything but may not reveal.
        let commander = app.client_for("boss", "commander", None).await;
        let (status, body) = commander.send_json(Method::POST, &path, &reveal("checking a case")).await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(!body.to_string().contains(&full));
        let op = app.client_for("op", "county-operator", Some("411702")).await;
        let (status, body) = op.send_json(Method::POST, &path, &reveal("")).await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["field"], "purpose");
        let (status, body) = op.send_json(Method::POST, &path, &reveal("call to arrange a retest")).await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["id_number"], full);
        assert_eq!(body["phone"], "13812345678");
        // Views are audited too, and an auditor finds both.
        op.person(p.id).await.unwrap();
        let auditor = app.client_for("aud", "auditor", None).await;
        let (status, log) = auditor.get_json(&format!("/api/v1/audit?object_type=person&object_id={}", p.id)).await.unwrap();
        assert_eq!(status, StatusCode::OK);
        let actions: Vec<(&str, &str, Option<&str>)> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap(), e["purpose"].as_str()))
            .filter(|(actor, _, _)| actor.starts_with("user:op"))
            .collect();
        assert_eq!(actions.len(), 2);
        assert_eq!((actions[0].1, actions[0].2), ("person.view", None));
        assert_eq!((actions[1].1, actions[1].2), ("person.reveal", Some("call to arrange a retest")));
        assert!(!log.to_string().contains(&full) && !log.to_string().contains("13812345678"), "no personal data in the audit log");
        // Others may not read the audit log.
        let (status, _) = op.get_json("/api/v1/audit").await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);
        app
    })
    .await;
}

#[tokio::test]
async fn an_altered_or_removed_audit_entry_breaks_the_chain_at_that_entry() {
    each_backend(|app| async move {
        let p = seed(&app).await;
        for _ in 0..3 {
            app.client.person(p.id).await.unwrap();
        }
        let before = app.app.verify_audit().await.unwrap();
        assert_eq!(before.first_broken, None);
        assert!(before.entries >= 4);
        // The log refuses updates through SQL…
        let refused = app
            .execute_sql("UPDATE audit_log SET detail = '{}' WHERE id = 2")
            .await;
        assert!(refused.unwrap_err().contains("append-only"));
        let refused = app.execute_sql("DELETE FROM audit_log WHERE id = 3").await;
        assert!(refused.unwrap_err().contains("append-only"));
        // …so someone with database access drops the trigger first.
        let drop_trigger = match app.store.backend() {
            fangkong_store::BackendKind::Sqlite => "DROP TRIGGER audit_log_no_update",
            fangkong_store::BackendKind::Postgres => {
                "DROP TRIGGER audit_log_no_update ON audit_log"
            }
        };
        app.execute_sql(drop_trigger).await.unwrap();
        app.execute_sql("UPDATE audit_log SET detail = '{\"forged\":true}' WHERE id = 2")
            .await
            .unwrap();
        let v = app.app.verify_audit().await.unwrap();
        assert_eq!(v.first_broken.as_ref().map(|b| b.0), Some(2), "{v:?}");
        assert!(v.first_broken.unwrap().1.contains("altered"));
        // Restore the entry, then remove one: the chain names the missing entry.
        app.execute_sql("UPDATE audit_log SET detail = '{}' WHERE id = 2")
            .await
            .unwrap();
        let v = app.app.verify_audit().await.unwrap();
        assert_eq!(v.first_broken, None, "restored");
        let drop_delete = match app.store.backend() {
            fangkong_store::BackendKind::Sqlite => "DROP TRIGGER audit_log_no_delete",
            fangkong_store::BackendKind::Postgres => "SELECT 1",
        };
        app.execute_sql(drop_delete).await.unwrap();
        app.execute_sql("DELETE FROM audit_log WHERE id = 3")
            .await
            .unwrap();
        let v = app.app.verify_audit().await.unwrap();
        assert_eq!(v.first_broken.as_ref().map(|b| b.0), Some(3), "{v:?}");
        assert!(v.first_broken.unwrap().1.contains("missing"));
        // Put the chain back in order so the closing check of the test passes.
        app.execute_sql("DELETE FROM audit_log").await.unwrap();
        app.execute_sql("DELETE FROM meta WHERE key = 'audit.head'")
            .await
            .unwrap();
        app
    })
    .await;
}

#[tokio::test]
async fn purge_removes_personal_data_of_closed_records_and_keeps_the_aggregates() {
    each_backend(|app| async move {
        let p = seed(&app).await;
        let (_, q) = app
            .client
            .create_person(&PersonCreate {
                id_number: Some(id("411702", "1950-05-05", 8)),
                name: "王五".into(),
                community_code: "411702001001".into(),
                ..PersonCreate::default()
            })
            .await
            .unwrap();
        let actor = fangkong_app::Actor::system("test");
        let before = app.app.population_profile(&actor, "4117").await.unwrap();
        let closed = app
            .client
            .update_person(
                p.id,
                &PersonUpdate {
                    closed: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(closed.closed_at.is_some());
        app.clock.advance(Duration::days(40));
        let cutoff = app.app.today() - Duration::days(30);
        let n = app
            .app
            .purge_closed_persons(&actor, cutoff, "retention period elapsed")
            .await
            .unwrap();
        assert_eq!(n, 1);
        let purged = app.client.person(p.id).await.unwrap();
        assert!(purged.purged);
        assert_eq!(
            (
                purged.name.as_str(),
                purged.id_number.as_str(),
                purged.phone.as_deref()
            ),
            ("", "******", None)
        );
        assert_eq!(
            app.client.person(q.id).await.unwrap().name,
            "王五",
            "open records stay"
        );
        let after = app.app.population_profile(&actor, "4117").await.unwrap();
        let counts = |p: &fangkong_app::jurisdictions::PopulationProfile| {
            p.bands
                .iter()
                .map(|b| (b.male, b.female))
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(&before), counts(&after), "aggregates intact");
        assert_eq!(
            app.client
                .jurisdiction("4117")
                .await
                .unwrap()
                .registered_persons,
            2
        );
        // The document no longer matches; nothing is left to reveal; the purge is audited.
        let hits = app
            .client
            .search_persons(&PersonSearch {
                id_number: Some(id("411702", "1990-03-07", 123)),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(hits.is_empty());
        let (status, _) = app
            .client
            .send_json(
                Method::POST,
                &format!("/api/v1/persons/{}/reveal", p.id),
                &serde_json::json!({"purpose": "check", "fields": ["id_number"]}),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND);
        let purges = app
            .store
            .audit()
            .search(&fangkong_store::audit::AuditFilter {
                action: Some("persons.purge".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(purges.len(), 1);
        assert_eq!(
            purges[0].purpose.as_deref(),
            Some("retention period elapsed")
        );
        // A second run purges nothing more.
        assert_eq!(
            app.app
                .purge_closed_persons(&actor, cutoff, "retention period elapsed")
                .await
                .unwrap(),
            0
        );
        app
    })
    .await;
}
