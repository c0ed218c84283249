//! Web security against the real server, on every backend: SQL injection in every query
//! parameter of the API (read from the OpenAPI document) and of the web pages (read from the
//! web router and each handler's query struct), stored XSS through free text rendered on
//! pages, CSRF on every web form, session fixation, path traversal, malformed and deeply
//! nested JSON, oversized bodies and slow clients.
//!
//! The route lists are read from the server's own sources and document, so a route added
//! tomorrow is covered without touching this file.

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use fangkong_api_types::PersonCreate;
use fangkong_server::ServerConfig;
use fangkong_test_support::{backends, TestApp};
use reqwest::{Method, StatusCode};

use crate::authz::{request_for, setup, Secrets};
use crate::id;
use crate::web::{csrf_of, Browser};

/// Payloads that change the meaning of a query built by string concatenation.
const SQLI: [&str; 6] = [
    "' OR '1'='1",
    "1 OR 1=1",
    "'; DROP TABLE persons; --",
    "%' UNION SELECT NULL, NULL, NULL --",
    "\" OR \"\"=\"",
    "41') OR ('a'='a",
];

/// Text that would show the SQL behind an answer.
/// Text that would show the SQL behind an answer (the page footer names the backend, and a
/// search box shows the payload back escaped, so neither the backend's name nor the
/// payload's words are in this list).
const SQL_LEAKS: [&str; 9] = [
    "syntax error",
    "SQLSTATE",
    "near \"",
    "unrecognized token",
    "sqlx",
    "error returned from database",
    "no such column",
    "no such table",
    "does not exist",
];

/// How many records an answer holds: the length of a top-level array, or of the first array
/// member of a top-level object (`items`, `rows`, ...), else 0.
fn rows_in(json: &serde_json::Value) -> usize {
    match json {
        serde_json::Value::Array(a) => a.len(),
        serde_json::Value::Object(o) => o
            .values()
            .find_map(|v| v.as_array().map(Vec::len))
            .unwrap_or(0),
        _ => 0,
    }
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, String) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", app.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The SQL text an answer shows, with what surrounds it.
fn leaks_sql(text: &str) -> Option<String> {
    SQL_LEAKS.into_iter().find_map(|l| {
        let at = text.find(l)?;
        let mut from = at.saturating_sub(80);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        let mut to = (at + 80).min(text.len());
        while !text.is_char_boundary(to) {
            to += 1;
        }
        Some(text[from..to].to_string())
    })
}

/// Every GET route of the OpenAPI document with its query parameters.
async fn api_queries(app: &TestApp) -> Vec<(String, Vec<String>)> {
    let (_, doc) = app.client.get_json("/api/openapi.json").await.unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        let params: Vec<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        if !params.is_empty() {
            routes.push((path.clone(), params));
        }
    }
    routes
}

#[tokio::test]
async fn sql_injection_in_every_api_query_parameter_is_inert() {
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        let s = setup(&app).await;
        let token = app
            .app
            .create_api_token("admin", "security", None)
            .await
            .unwrap();
        let routes = api_queries(&app).await;
        assert!(
            routes.len() >= 20,
            "the OpenAPI document lists query parameters: {routes:?}"
        );
        let mut found = Vec::new();
        let mut tried = 0;
        for (template, params) in &routes {
            let (path, _, _) = request_for(&Method::GET, template, &s);
            let (base_status, base_text) = get(&app, &token, &path).await;
            let base_rows = serde_json::from_str(&base_text).map_or(0, |v| rows_in(&v));
            for param in params {
                for payload in SQLI {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    let query = format!("{path}{sep}{param}={}", urlencode(payload));
                    let (status, text) = get(&app, &token, &query).await;
                    tried += 1;
                    if status.is_server_error() {
                        found.push(format!("GET {query}: {status}"));
                    }
                    if let Some(leak) = leaks_sql(&text) {
                        found.push(format!("GET {query}: answer shows {leak:?}"));
                    }
                    if status.is_success() && base_status.is_success() {
                        let rows = serde_json::from_str(&text).map_or(0, |v| rows_in(&v));
                        if rows > base_rows {
                            found.push(format!(
                                "GET {query}: {rows} records, {base_rows} without the parameter"
                            ));
                        }
                    }
                }
            }
        }
        assert!(tried >= 100, "{tried} requests");
        assert!(
            found.is_empty(),
            "injection findings:\n{}",
            found.join("\n")
        );
        // The tables are all still there and consistent.
        app.verify().await;
    }
}

/// A route of the web router: path, handler (`module::function`) per method, and whether
/// it reads a multipart upload.
#[derive(Debug, Clone)]
struct WebRoute {
    path: String,
    get: Option<String>,
    post: Option<String>,
    upload: bool,
}

const WEB_MOD: &str = include_str!("../../../fangkong-server/src/web/mod.rs");

/// The routes of `fangkong_server::web::routes`, read from its source.
fn web_routes() -> Vec<WebRoute> {
    let start = WEB_MOD.find("pub fn routes()").unwrap();
    let body = &WEB_MOD[start..];
    let body = &body[..body.find("\n}\n").unwrap()];
    let mut routes = Vec::new();
    for chunk in body.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap().to_string();
        let handler = |method: &str| {
            chunk
                .find(&format!("{method}("))
                .map(|at| &chunk[at + method.len() + 1..])
                .and_then(|rest| rest.split(')').next())
                .map(str::to_string)
        };
        routes.push(WebRoute {
            path,
            get: handler("get"),
            post: handler("post"),
            upload: chunk.contains("DefaultBodyLimit"),
        });
    }
    routes
}

/// The source of a web module by name.
fn web_source(module: &str) -> Option<&'static str> {
    Some(match module {
        "audit" => include_str!("../../../fangkong-server/src/web/audit.rs"),
        "coldchain" => include_str!("../../../fangkong-server/src/web/coldchain.rs"),
        "facilities" => include_str!("../../../fangkong-server/src/web/facilities.rs"),
        "fever" => include_str!("../../../fangkong-server/src/web/fever.rs"),
        "home" => include_str!("../../../fangkong-server/src/web/home.rs"),
        "immunization" => include_str!("../../../fangkong-server/src/web/immunization.rs"),
        "inbound" => include_str!("../../../fangkong-server/src/web/inbound.rs"),
        "isolation" => include_str!("../../../fangkong-server/src/web/isolation.rs"),
        "jurisdictions" => include_str!("../../../fangkong-server/src/web/jurisdictions.rs"),
        "persons" => include_str!("../../../fangkong-server/src/web/persons.rs"),
        "sentinels" => include_str!("../../../fangkong-server/src/web/sentinels.rs"),
        "supplies" => include_str!("../../../fangkong-server/src/web/supplies.rs"),
        "testing" => include_str!("../../../fangkong-server/src/web/testing.rs"),
        "tracing" => include_str!("../../../fangkong-server/src/web/tracing.rs"),
        "treatment" => include_str!("../../../fangkong-server/src/web/treatment.rs"),
        _ => return None,
    })
}

/// The query fields of a web handler: the fields of the struct in its `Query<..>`.
fn query_fields(handler: &str) -> Vec<String> {
    extractor_fields(handler, "Query<")
}

/// The fields of the struct a web handler extracts with `extractor` (`Query<`, `Form<`).
fn extractor_fields(handler: &str, extractor: &str) -> Vec<String> {
    let Some((module, function)) = handler.split_once("::") else {
        return Vec::new();
    };
    let Some(source) = web_source(module) else {
        return Vec::new();
    };
    let Some(at) = source.find(&format!("fn {function}(")) else {
        return Vec::new();
    };
    let signature = &source[at..];
    let signature = &signature[..signature.find('{').unwrap_or(signature.len())];
    let Some(q) = signature.find(extractor) else {
        return Vec::new();
    };
    let name = signature[q + extractor.len()..].split('>').next().unwrap();
    let Some(def) = source.find(&format!("struct {name} {{")) else {
        return Vec::new();
    };
    let body = &source[def..];
    let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//") && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(name, _)| {
            name.trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ")
                .trim()
                .to_string()
        })
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect()
}

/// A concrete web path for a route template, the records of `setup` filling its holes.
fn web_path(template: &str, s: &Secrets) -> String {
    let id = if template.starts_with("/tracing/cases/") {
        s.case_id
    } else if template.starts_with("/isolation/sites/") {
        s.site_id
    } else if template.starts_with("/isolation/stays/") {
        s.stay_id
    } else if template.starts_with("/inbound/measures/") {
        s.measure_id
    } else if template.starts_with("/treatment/admissions/") {
        s.admission_id
    } else if template.starts_with("/sentinels/alerts/") {
        s.alert_id
    } else if template.starts_with("/sentinels/") {
        2
    } else if template.starts_with("/supplies/warehouses/") {
        s.warehouse_id
    } else {
        s.person_id
    };
    let code = if template.starts_with("/testing/rounds/") {
        "R-matrix"
    } else if template.starts_with("/testing/key-groups/") {
        "G-matrix"
    } else {
        "411702"
    };
    let mut path = template
        .replace("{id}", &id.to_string())
        .replace("{code}", code)
        .replace("{room_id}", &s.room_id.to_string())
        .replace("{entry_id}", &s.itinerary_entry_id.to_string())
        .replace("{link_id}", &s.link_id.to_string())
        .replace("{lang}", "en");
    // Holes of routes added later: a number that names no record.
    while let (Some(a), Some(b)) = (path.find('{'), path.find('}')) {
        path.replace_range(a..=b, "1");
    }
    path
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn sql_injection_in_every_web_query_parameter_is_inert() {
    let routes = web_routes();
    assert!(routes.len() >= 100, "{} web routes", routes.len());
    let with_queries: Vec<(WebRoute, Vec<String>)> = routes
        .into_iter()
        .filter_map(|r| {
            let fields = query_fields(r.get.as_deref()?);
            (!fields.is_empty()).then_some((r, fields))
        })
        .collect();
    // The search of persons reads `q`; the audit search its filters.
    let names: BTreeSet<&str> = with_queries
        .iter()
        .flat_map(|(_, f)| f.iter().map(String::as_str))
        .collect();
    assert!(names.contains("q"), "{names:?}");
    assert!(with_queries.len() >= 15, "{with_queries:?}");
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        let s = setup(&app).await;
        let mut b = Browser::new(&app);
        let (status, _, _) = b.login("admin", "admin-password", "/").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let mut found = Vec::new();
        for (route, fields) in &with_queries {
            if route.path == "/login" || route.path.starts_with("/lang/") {
                continue;
            }
            let path = web_path(&route.path, &s);
            for field in fields {
                for payload in &SQLI[..3] {
                    let query = format!("{path}?{field}={}", urlencode(payload));
                    let (status, html, _) = b.get(&query).await;
                    if status.is_server_error() {
                        found.push(format!("GET {query}: {status}"));
                    }
                    if let Some(leak) = leaks_sql(&html) {
                        found.push(format!("GET {query}: page shows {leak:?}"));
                    }
                    // The payload is shown back (in the search box) escaped, never raw.
                    if html.contains(payload) && payload.contains(['\'', '"']) {
                        found.push(format!("GET {query}: payload shown unescaped"));
                    }
                }
            }
        }
        assert!(
            found.is_empty(),
            "injection findings:\n{}",
            found.join("\n")
        );
        // A search by name that injects finds what a search for nonsense finds: nobody.
        let links = |html: &str| html.matches("href=\"/persons/").count();
        let (status, nonsense, _) = b.get("/persons?q=zzzz").await;
        assert_eq!(status, StatusCode::OK);
        for payload in SQLI {
            let (status, html, _) = b.get(&format!("/persons?q={}", urlencode(payload))).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(links(&html), links(&nonsense), "{payload} found persons");
        }
        app.verify().await;
    }
}

const XSS_SCRIPT: &str = "<script>alert('fk')</script>";
const XSS_IMG: &str = "\"><img src=x onerror=alert(1)>";

/// The raw markup is not on the page, and its escaped form is.
fn assert_escaped(html: &str, raw: &str, page: &str) {
    assert!(!html.contains(raw), "{page} shows {raw} unescaped");
    assert!(
        !html.contains("<script>alert") && !html.contains("<img src=x"),
        "{page} carries live markup"
    );
}

#[tokio::test]
async fn stored_markup_in_names_addresses_and_notes_is_rendered_escaped() {
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        let s = setup(&app).await;
        // A person whose name and address are markup, revealed in full on the person page.
        let (status, person) = app
            .client
            .create_person(&PersonCreate {
                id_number: Some(id("411702", "1971-05-05", 31)),
                name: XSS_SCRIPT.into(),
                address: Some(XSS_IMG.into()),
                community_code: "411702001001".into(),
                tags: vec![XSS_SCRIPT.into()],
                ..PersonCreate::default()
            })
            .await
            .unwrap();
        assert_eq!(status, StatusCode::CREATED);
        // A case note and an itinerary address and note.
        let (status, body) = app
            .client
            .send_json(
                Method::PATCH,
                &format!("/api/v1/tracing/cases/{}", s.case_id),
                &serde_json::json!({"severity": "mild", "note": XSS_SCRIPT}),
            )
            .await
            .unwrap();
        assert!(status.is_success(), "{status} {body}");
        let (status, body) = app
            .client
            .send_json(
                Method::POST,
                &format!("/api/v1/tracing/cases/{}/itinerary", s.case_id),
                &serde_json::json!({"entries": [{
                    "start_at": "2026-11-27T08:00:00+08:00",
                    "end_at": "2026-11-27T09:00:00+08:00",
                    "address": XSS_IMG,
                    "note": XSS_SCRIPT,
                }]}),
            )
            .await
            .unwrap();
        assert!(status.is_success(), "{status} {body}");

        let mut b = Browser::new(&app);
        b.login("admin", "admin-password", "/").await;
        let (status, html, _) = b.get(&format!("/persons/{}", person.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert_escaped(&html, XSS_SCRIPT, "the person page");
        assert_escaped(&html, XSS_IMG, "the person page");
        assert!(
            html.contains("&lt;script&gt;alert(&#x27;fk&#x27;)&lt;&#x2f;script&gt;"),
            "the name is shown escaped"
        );
        assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
        // The page of the revealed identifiers too.
        let csrf = csrf_of(&html);
        let (status, html, _) = b
            .post(
                &format!("/persons/{}/reveal", person.id),
                &[
                    ("csrf", csrf.as_str()),
                    ("purpose", "security test"),
                    ("id_number", "on"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_escaped(&html, XSS_SCRIPT, "the revealed person");
        assert_escaped(&html, XSS_IMG, "the revealed person");

        let (status, html, _) = b.get(&format!("/tracing/cases/{}", s.case_id)).await;
        assert_eq!(status, StatusCode::OK);
        assert_escaped(&html, XSS_SCRIPT, "the case page");
        assert_escaped(&html, XSS_IMG, "the case page");
        assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("&lt;script&gt;alert(&#x27;fk&#x27;)&lt;&#x2f;script&gt;"));

        for page in ["/persons?q=%3Cscript%3E", "/tracing", "/persons/duplicates"] {
            let (status, html, _) = b.get(page).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert_escaped(&html, XSS_SCRIPT, page);
        }
        app.verify().await;
    }
}

#[tokio::test]
async fn every_web_form_refuses_a_missing_or_wrong_csrf_token() {
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        let s = setup(&app).await;
        let mut b = Browser::new(&app);
        b.login("admin", "admin-password", "/").await;
        let before = app.store.table_digests().await.unwrap();
        let mut found = Vec::new();
        let mut tried = 0;
        let mut forbidden = 0;
        for route in web_routes() {
            // The login form has its own double-submit token (below); a personal link is
            // its own credential and carries no session.
            if route.post.is_none() || route.path == "/login" || route.path.starts_with("/h/") {
                continue;
            }
            let path = web_path(&route.path, &s);
            // Every field of the form's struct, so that the form gets past its extractor
            // and the token is what decides.
            let fields = extractor_fields(route.post.as_deref().unwrap(), "Form<");
            for token in [None, Some("not-the-token")] {
                tried += 1;
                let status = if route.upload {
                    b.upload(&path, token.unwrap_or(""), "x.csv", "code\n1\n")
                        .await
                        .0
                } else {
                    let mut form: Vec<(&str, &str)> = fields
                        .iter()
                        .filter(|f| *f != "csrf")
                        .map(|f| (f.as_str(), "1"))
                        .collect();
                    if let Some(t) = token {
                        form.push(("csrf", t));
                    }
                    b.post(&path, &form).await.0
                };
                // 403 from the token check, or an extractor's refusal of the form before
                // any handler code ran (a missing required field, a multipart form posted
                // as a plain one).
                let refused = matches!(
                    status,
                    StatusCode::FORBIDDEN
                        | StatusCode::BAD_REQUEST
                        | StatusCode::UNSUPPORTED_MEDIA_TYPE
                        | StatusCode::UNPROCESSABLE_ENTITY
                );
                if !refused {
                    found.push(format!("POST {path} with csrf {token:?}: {status}"));
                }
                if token.is_some() && status == StatusCode::FORBIDDEN {
                    forbidden += 1;
                }
            }
        }
        assert!(tried >= 100, "{tried} posts");
        assert!(found.is_empty(), "CSRF findings:\n{}", found.join("\n"));
        // The token check is reached and refuses on most forms.
        assert!(
            forbidden >= 30,
            "{forbidden} forms answered 403 to a wrong token"
        );
        // A complete form with a wrong token.
        let (status, _, _) = b
            .post(
                &format!("/sentinels/alerts/{}/note", s.alert_id),
                &[("csrf", "not-the-token"), ("note", "跨站")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Nothing was written by the refused forms (sessions and the audit of page views
        // aside, nothing may differ).
        let after = app.store.table_digests().await.unwrap();
        let changed: Vec<&str> = before
            .iter()
            .zip(&after)
            .filter(|(x, y)| x != y)
            .map(|(x, _)| x.table.as_str())
            .filter(|t| !["sessions", "audit_log", "meta"].contains(t))
            .collect();
        assert!(changed.is_empty(), "refused forms changed {changed:?}");

        // Cookie-authenticated API writes need the header token too.
        let cookies = b.cookies.join("; ");
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/persons", app.base_url))
            .header("cookie", &cookies)
            .json(&serde_json::json!({"name": "跨站", "id_number": id("411702", "1980-01-01", 9), "community_code": "411702001001"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        app.verify().await;
    }
}

/// The value of `name` in the response's `Set-Cookie` headers.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get_all("set-cookie").iter().find_map(|v| {
        let pair = v.to_str().ok()?.split(';').next()?;
        pair.strip_prefix(&format!("{name}=")).map(str::to_string)
    })
}

#[tokio::test]
async fn login_rotates_the_session_and_a_planted_cookie_never_authenticates() {
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        setup(&app).await;
        app.app
            .create_user(
                "mallory",
                "mallory-password",
                "county-operator",
                Some("411721"),
            )
            .await
            .unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let login = |planted: Option<String>, user: &'static str, password: &'static str| {
            let http = http.clone();
            let base = app.base_url.clone();
            async move {
                let r = http.get(format!("{base}/login")).send().await.unwrap();
                let login_csrf = set_cookie(&r, "fk_login_csrf").unwrap();
                let mut cookie = format!("fk_login_csrf={login_csrf}");
                if let Some(p) = &planted {
                    cookie.push_str(&format!("; fk_session={p}"));
                }
                let r = http
                    .post(format!("{base}/login"))
                    .header("cookie", cookie)
                    .form(&[
                        ("username", user),
                        ("password", password),
                        ("next", "/"),
                        ("login_csrf", login_csrf.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::SEE_OTHER);
                set_cookie(&r, "fk_session").unwrap()
            }
        };
        let page = |session: String| {
            let http = http.clone();
            let base = app.base_url.clone();
            async move {
                http.get(format!("{base}/persons"))
                    .header("cookie", format!("fk_session={session}"))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        // A value the attacker made up is not a session before or after the login.
        let planted = "attacker-chosen-session-id".to_string();
        assert_eq!(page(planted.clone()).await, StatusCode::SEE_OTHER);
        let issued = login(Some(planted.clone()), "admin", "admin-password").await;
        assert_ne!(issued, planted);
        assert!(
            issued.len() >= 32,
            "a session id of {} characters",
            issued.len()
        );
        assert_eq!(page(planted).await, StatusCode::SEE_OTHER);
        assert_eq!(page(issued.clone()).await, StatusCode::OK);

        // The attacker's own valid session planted in the victim's browser: the victim's
        // login issues a new id, and the attacker's id stays the attacker's.
        let mallory = login(None, "mallory", "mallory-password").await;
        let victim = login(Some(mallory.clone()), "admin", "admin-password").await;
        assert_ne!(victim, mallory);
        assert_ne!(victim, issued);
        let who = |session: String| {
            let http = http.clone();
            let base = app.base_url.clone();
            async move {
                let html = http
                    .get(format!("{base}/"))
                    .header("cookie", format!("fk_session={session}"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let at = html.find("<span class=\"who\">").unwrap() + 18;
                html[at..].split(' ').next().unwrap().to_string()
            }
        };
        assert_eq!(who(victim).await, "admin");
        assert_eq!(who(mallory).await, "mallory");

        // Logging out ends the session on the server, not only in the browser.
        let mut b = Browser::new(&app);
        b.login("admin", "admin-password", "/").await;
        let (_, html, _) = b.get("/").await;
        let token = b
            .cookies
            .iter()
            .find_map(|c| c.strip_prefix("fk_session="))
            .unwrap()
            .to_string();
        let csrf = csrf_of(&html);
        let (status, _, _) = b.post("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(page(token).await, StatusCode::SEE_OTHER);
        app.verify().await;
    }
}

#[tokio::test]
async fn path_traversal_reaches_no_file() {
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        let http = reqwest::Client::new();
        for path in [
            "/assets/../Cargo.toml",
            "/assets/..%2f..%2fCargo.toml",
            "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
            "/assets/..%5c..%5cCargo.toml",
            "/assets/css/../../../../../../etc/passwd",
            "/assets//etc/passwd",
        ] {
            let r = http
                .get(format!("{}{path}", app.base_url))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let text = r.text().await.unwrap();
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(
                !text.contains("root:") && !text.contains("[workspace]"),
                "{path}"
            );
        }
        // A file name is only a label in messages: a traversal in it writes nothing and
        // reads nothing, and is shown back as given.
        let listing = |dir: &std::path::Path| {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let data_dir = app.dir().to_path_buf();
        let before = listing(&data_dir);
        let (status, body) = app
            .client
            .post_bytes(
                "/api/v1/jurisdictions:import?file_name=..%2F..%2F..%2Fetc%2Fpasswd",
                "text/csv",
                b"code,name\n41,\n".to_vec(),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            body["detail"].as_str().unwrap(),
            "../../../etc/passwd has 1 bad value(s); nothing was imported"
        );
        assert_eq!(listing(&data_dir), before);
        app.verify().await;
    }
}

/// A JSON body for each JSON write route of the API.
async fn json_routes(app: &TestApp) -> Vec<(Method, String)> {
    let (_, doc) = app.client.get_json("/api/openapi.json").await.unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch"] {
            let Some(op) = item.get(method) else { continue };
            if op["requestBody"]["content"]
                .get("application/json")
                .is_some()
            {
                routes.push((
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    path.clone(),
                ));
            }
        }
    }
    routes
}

#[tokio::test]
async fn malformed_nested_and_huge_json_is_a_client_error_on_every_route() {
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let nested_object = format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    let nested_known = format!(
        "{{\"name\":{}1{},\"note\":{}1{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000),
        "{\"a\":".repeat(50_000),
        "}".repeat(50_000)
    );
    let huge_string = format!("{{\"name\":\"{}\"}}", "郑".repeat(3 * 1024 * 1024 / 3 + 1));
    let bodies: [(&str, &[u8]); 9] = [
        ("truncated", b"{\"name\":"),
        ("not json", b"name=x"),
        ("empty", b""),
        ("null", b"null"),
        ("array", b"[]"),
        ("string", b"\"x\""),
        ("number", b"1"),
        ("nested arrays", nested.as_bytes()),
        ("over the limit", huge_string.as_bytes()),
    ];
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        let s = setup(&app).await;
        let routes = json_routes(&app).await;
        assert!(routes.len() >= 40, "{} JSON routes", routes.len());
        let token = app
            .app
            .create_api_token("admin", "security", None)
            .await
            .unwrap();
        let http = reqwest::Client::new();
        let before = app.store.table_digests().await.unwrap();
        let mut found = Vec::new();
        for (method, template) in &routes {
            let (path, _, _) = request_for(method, template, &s);
            for (what, body) in &bodies {
                let r = http
                    .request(method.clone(), format!("{}{path}", app.base_url))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body.to_vec())
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let kind = r
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                let text = r.text().await.unwrap();
                let expected = if *what == "over the limit" {
                    // 413 on JSON routes. A batch route that takes files as well, a
                    // co-investigation task (10 000 items from the province) and a
                    // federation message carrying one have the import limit and refuse
                    // the body's content instead.
                    let import_limit = template.ends_with(":batch")
                        || ["/api/v1/co-investigations", "/api/v1/federation/messages"]
                            .contains(&template.as_str());
                    status == StatusCode::PAYLOAD_TOO_LARGE
                        || (import_limit && status == StatusCode::UNPROCESSABLE_ENTITY)
                } else {
                    matches!(
                        status,
                        StatusCode::BAD_REQUEST
                            | StatusCode::UNPROCESSABLE_ENTITY
                            | StatusCode::UNSUPPORTED_MEDIA_TYPE
                    )
                };
                if !expected || kind != "application/problem+json" {
                    found.push(format!("{method} {template} ({what}): {status} {kind}"));
                }
                let problem: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                if problem["detail"].as_str().is_none_or(str::is_empty) {
                    found.push(format!(
                        "{method} {template} ({what}): no detail: {text:.200}"
                    ));
                }
            }
        }
        assert!(found.is_empty(), "JSON findings:\n{}", found.join("\n"));
        let after = app.store.table_digests().await.unwrap();
        let changed: Vec<&str> = before
            .iter()
            .zip(&after)
            .filter(|(x, y)| x != y)
            .map(|(x, _)| x.table.as_str())
            .filter(|t| !["audit_log", "meta"].contains(t))
            .collect();
        assert!(changed.is_empty(), "refused bodies changed {changed:?}");
        // Objects nested 50 000 deep, in a field the route knows or not: whatever the route
        // makes of them, never a server error.
        for (method, template) in &routes {
            let (path, _, _) = request_for(method, template, &s);
            for body in [&nested_object, &nested_known] {
                let r = http
                    .request(method.clone(), format!("{}{path}", app.base_url))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert!(
                    !r.status().is_server_error(),
                    "{method} {template}: {}",
                    r.status()
                );
            }
        }
        app.verify().await;
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        let token = app
            .app
            .create_api_token("admin", "security", None)
            .await
            .unwrap();
        let http = reqwest::Client::new();
        // A JSON body over the 2 MiB limit of JSON routes.
        let body = vec![b' '; fangkong_server::api::JSON_BODY_LIMIT + 1];
        let r = http
            .post(format!("{}/api/v1/persons", app.base_url))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let problem: serde_json::Value = r.json().await.unwrap();
        assert_eq!(problem["status"], 413);
        // A web form over the default 2 MiB of form routes.
        let mut b = Browser::new(&app);
        b.login("admin", "admin-password", "/").await;
        let (_, html, _) = b.get("/persons/duplicates").await;
        let csrf = csrf_of(&html);
        let big = "x".repeat(2 * 1024 * 1024 + 1);
        let (status, _, _) = b
            .post("/persons/merge", &[("csrf", &csrf), ("keep", &big)])
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        // A declared length over the limit is refused before the body is read.
        let addr = app.base_url.trim_start_matches("http://").to_string();
        let answer = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            write!(
                stream,
                "POST /api/v1/persons HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{{"
            )
            .unwrap();
            let mut answer = vec![0u8; 512];
            let n = stream.read(&mut answer).unwrap();
            String::from_utf8_lossy(&answer[..n]).into_owned()
        })
        .await
        .unwrap();
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        app.verify().await;
    }
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    for backend in backends() {
        let config = ServerConfig {
            request_timeout: Duration::from_secs(2),
            header_read_timeout: Duration::from_secs(1),
            ..ServerConfig::default()
        };
        let app = TestApp::spawn_with(backend, config).await;
        let addr = app.base_url.trim_start_matches("http://").to_string();

        // Headers sent one byte at a time, slower than the header timeout: the connection
        // is closed.
        let slow_headers = {
            let addr = addr.clone();
            tokio::task::spawn_blocking(move || {
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let started = Instant::now();
                let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
                for byte in request {
                    if stream.write_all(&[*byte]).is_err() {
                        break;
                    }
                }
                // Keep trickling a header value until the server gives up.
                let mut closed = false;
                for _ in 0..40 {
                    std::thread::sleep(Duration::from_millis(200));
                    if stream.write_all(b"a").is_err() {
                        closed = true;
                        break;
                    }
                    let mut probe = [0u8; 256];
                    stream.set_nonblocking(true).unwrap();
                    let read = stream.read(&mut probe);
                    stream.set_nonblocking(false).unwrap();
                    if read.is_ok() {
                        closed = true;
                        break;
                    }
                }
                (closed, started.elapsed())
            })
        };
        let (closed, took) = slow_headers.await.unwrap();
        assert!(
            closed,
            "the slow-header connection stayed open for {took:?}"
        );
        assert!(took < Duration::from_secs(5), "{took:?}");

        // A body sent slower than the request timeout: 408 with a problem document.
        let token = app
            .app
            .create_api_token("admin", "security", None)
            .await
            .unwrap();
        let answer = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let started = Instant::now();
            write!(
                stream,
                "POST /api/v1/persons HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
            )
            .unwrap();
            let mut answer = Vec::new();
            let mut buf = [0u8; 1024];
            for _ in 0..20 {
                std::thread::sleep(Duration::from_millis(250));
                let _ = stream.write_all(b" ");
                stream.set_nonblocking(true).unwrap();
                let read = stream.read(&mut buf);
                stream.set_nonblocking(false).unwrap();
                if let Ok(n) = read {
                    answer.extend_from_slice(&buf[..n]);
                    break;
                }
            }
            (
                String::from_utf8_lossy(&answer).into_owned(),
                started.elapsed(),
            )
        })
        .await
        .unwrap();
        let (answer, took) = answer;
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "{answer:?} after {took:?}"
        );
        assert!(answer.contains("/problems/timeout"), "{answer}");
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(5),
            "{took:?}"
        );

        // A normal request is unaffected.
        let (status, _) = app.client.get_json("/healthz").await.unwrap();
        assert_eq!(status, StatusCode::OK);
        app.verify().await;
    }
}

#[tokio::test]
async fn a_cli_export_never_overwrites_or_follows_a_link() {
    use crate::cli::{fangkong, text};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = fangkong(&data, &["migrate"]);
    assert!(o.status.success(), "{}", text(&o));
    // An existing file, named directly or through `..`, is left as it was.
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let traversal = data.join("..").join("victim.txt");
    for target in [&victim, &traversal] {
        let o = fangkong(
            &data,
            &["export", "jurisdictions", "--out", target.to_str().unwrap()],
        );
        assert!(!o.status.success());
        assert_eq!(
            text(&o).lines().next().unwrap(),
            format!(
                "fangkong: error: {} exists; an export never overwrites a file, choose another name",
                target.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    }
    // A link planted where the export goes is not followed.
    #[cfg(unix)]
    {
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let o = fangkong(
            &data,
            &["export", "jurisdictions", "--out", link.to_str().unwrap()],
        );
        assert!(!o.status.success(), "{}", text(&o));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    }
    // A new file is written.
    let fresh = dir.path().join("j.csv");
    let o = fangkong(
        &data,
        &["export", "jurisdictions", "--out", fresh.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read_to_string(&fresh)
        .unwrap()
        .starts_with("\u{feff}code,name"));
}
