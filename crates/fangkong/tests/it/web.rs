//! The web UI as a browser without JavaScript sees it: login, pages, language switch, CSRF.

use fangkong_test_support::TestApp;
use reqwest::{redirect::Policy, StatusCode};

pub(crate) struct Browser {
    http: reqwest::Client,
    base: String,
    pub(crate) cookies: Vec<String>,
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: app.base_url.clone(),
            cookies: Vec::new(),
        }
    }

    fn keep_cookies(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap().to_string();
            let name = pair.split('=').next().unwrap().to_string();
            self.cookies.retain(|c| !c.starts_with(&format!("{name}=")));
            self.cookies.push(pair);
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> (StatusCode, String, Option<String>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookies.join("; "))
            .send()
            .await
            .unwrap();
        self.keep_cookies(&r);
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (r.status(), r.text().await.unwrap(), location)
    }

    pub(crate) async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookies.join("; "))
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&r);
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (r.status(), r.text().await.unwrap(), location)
    }
}

impl Browser {
    /// A browser signed in as a new user of `role` (in `jurisdiction` when given).
    pub(crate) async fn signed_in(
        app: &TestApp,
        user: &str,
        role: &str,
        jurisdiction: Option<&str>,
    ) -> Browser {
        app.app
            .create_user(user, "password", role, jurisdiction)
            .await
            .unwrap();
        let mut b = Browser::new(app);
        let (status, _, _) = b.login(user, "password", "/").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        b
    }

    /// Posts a `multipart/form-data` upload of one file with the page's CSRF token.
    pub(crate) async fn upload(
        &mut self,
        path: &str,
        csrf: &str,
        file_name: &str,
        content: impl AsRef<[u8]>,
    ) -> (StatusCode, String) {
        let boundary = "----fangkongUploadBoundary7";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(content.as_ref());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookies.join("; "))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&r);
        (r.status(), r.text().await.unwrap())
    }

    /// Opens the login page (which sets the login form's CSRF cookie) and posts the form.
    pub(crate) async fn login(
        &mut self,
        username: &str,
        password: &str,
        next: &str,
    ) -> (StatusCode, String, Option<String>) {
        let (_, html, _) = self.get(&format!("/login?next={next}")).await;
        let token = field_of(&html, "login_csrf");
        self.post(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("next", next),
                ("login_csrf", &token),
            ],
        )
        .await
    }
}

fn field_of(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).unwrap() + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// The text of the element with `id`, up to its first `<`.
pub(crate) fn figure(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{id} not on the page"))
        + marker.len();
    html[at..].split('<').next().unwrap().to_string()
}

pub(crate) fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn login_browse_switch_language_and_logout() {
    let app = TestApp::spawn().await;
    app.load_city(2_000).await;
    let mut b = Browser::new(&app);

    let (status, _, location) = b.get("/persons").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/login?next=/persons"));

    // Without the login form's CSRF token, a cross-site post is refused.
    let (status, _, _) = b
        .post(
            "/login",
            &[
                ("username", "admin"),
                ("password", "admin-password"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, location) = b.login("admin", "wrong", "/persons").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.unwrap().starts_with("/login?failed=1"));
    let (_, html, _) = b.get("/login?failed=1").await;
    assert!(html.contains("用户名或密码错误"));

    let (status, _, location) = b.login("admin", "admin-password", "/persons").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/persons"));
    assert!(b.cookies.iter().any(|c| c.starts_with("fk_session=")));

    let (status, html, _) = b.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("全市概览") && html.contains("2,000"),
        "overview shows the registered residents"
    );
    assert!(!html.contains("<script>"), "no inline script");

    let (status, html, _) = b.get("/jurisdictions").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (status, html, _) = b.get("/jurisdictions/4117").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("驻马店市") && html.contains("驿城区") && html.contains("data-points"));

    let (_, html, _) = b.get("/persons?q=").await;
    assert!(html.contains("********"), "ID numbers are masked in lists");
    let first_id = html
        .split("href=\"/persons/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .find(|s| s.chars().all(|c| c.is_ascii_digit()))
        .unwrap()
        .to_string();
    let (status, html, _) = b.get(&format!("/persons/{first_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("驻马店市"), "breadcrumb of the residence");
    let (status, html, _) = b.get("/facilities?kind=hospital").await;
    assert_eq!(status, StatusCode::OK);
    for kind in fangkong_app::facilities::KINDS {
        let (_, html, _) = b.get(&format!("/facilities?kind={kind}")).await;
        assert!(
            !html.contains("subtype."),
            "untranslated facility type on /facilities?kind={kind}"
        );
    }
    assert!(html.contains("医院") || html.contains("hospital"));
    let (status, html, _) = b.get("/api/docs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("persons:import") && html.contains("jurisdictions:import"));

    let (status, _, location) = b.get("/lang/en?next=/").await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/"))
    );
    let (_, html, _) = b.get("/").await;
    assert!(html.contains("City overview") && html.contains("lang=\"en\""));
    let (_, html, _) = b.get("/lang/zh-CN?next=//evil.example").await;
    let _ = html;
    let (_, html, _) = b.get("/").await;
    assert!(html.contains("全市概览"));

    // Logout needs the session's CSRF token.
    let (status, _, _) = b.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let csrf = csrf_of(&html);
    let (status, _, location) = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    let (status, _, _) = b.get("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    app.verify().await;
}

#[tokio::test]
async fn static_assets_are_embedded() {
    let app = TestApp::spawn().await;
    for (path, kind) in [
        ("/assets/app.css", "text/css"),
        ("/assets/vendor/htmx.min.js", "javascript"),
        ("/assets/vendor/echarts.min.js", "javascript"),
        ("/assets/js/jurisdiction.js", "javascript"),
    ] {
        let r = reqwest::get(format!("{}{path}", app.base_url))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(
            r.headers()["content-type"].to_str().unwrap().contains(kind),
            "{path}"
        );
    }
    let r = reqwest::get(format!("{}/assets/../Cargo.toml", app.base_url))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.verify().await;
}

#[tokio::test]
async fn merging_duplicates_from_the_web_needs_csrf() {
    let app = TestApp::spawn().await;
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411702001,顺河街道\n411702001001,一号社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    for (kind, number) in [
        ("mainland_id", crate::id("411702", "1990-03-07", 123)),
        ("passport", "E7654321".to_string()),
    ] {
        let body = fangkong_api_types::PersonCreate {
            document_kind: Some(kind.into()),
            document_number: Some(number),
            nationality: Some("CHN".into()),
            name: "张三".into(),
            sex: Some("male".into()),
            birth_date: Some("1990-03-07".into()),
            community_code: "411702001001".into(),
            ..Default::default()
        };
        app.client.create_person(&body).await.unwrap();
    }
    let mut b = Browser::new(&app);
    b.login("admin", "admin-password", "/").await;
    let (status, html, _) = b.get("/persons/duplicates").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("姓名与出生日期相同"));
    let (status, _, _) = b
        .post(
            "/persons/merge",
            &[("csrf", "x"), ("keep", "1"), ("duplicate", "2")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let csrf = csrf_of(&html);
    let (status, _, location) = b
        .post(
            "/persons/merge",
            &[("csrf", &csrf), ("keep", "1"), ("duplicate", "2")],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/persons/duplicates?merged=1"))
    );
    let (_, html, _) = b.get("/persons/duplicates?merged=1").await;
    assert!(html.contains("已合并") && html.contains("没有发现疑似重复"));
    app.verify().await;
}

#[tokio::test]
async fn reveal_from_the_person_page_and_the_auditor_sees_it() {
    let app = TestApp::spawn().await;
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411702001,顺河街道\n411702001001,一号社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    let full = crate::id("411702", "1990-03-07", 123);
    let body = fangkong_api_types::PersonCreate {
        id_number: Some(full.clone()),
        name: "张三".into(),
        phone: Some("13812345678".into()),
        community_code: "411702001001".into(),
        ..Default::default()
    };
    let (_, p) = app.client.create_person(&body).await.unwrap();
    let mut b = Browser::new(&app);
    b.login("admin", "admin-password", "/").await;
    let (_, html, _) = b.get(&format!("/persons/{}", p.id)).await;
    assert!(!html.contains(&full) && html.contains("查看完整信息"));
    let csrf = csrf_of(&html);
    let path = format!("/persons/{}/reveal", p.id);
    let (status, _, _) = b
        .post(
            &path,
            &[("csrf", &csrf), ("purpose", "ab"), ("id_number", "1")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a purpose is required"
    );
    let (status, html, _) = b
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("purpose", "arrange a retest"),
                ("id_number", "1"),
                ("phone", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&full) && html.contains("13812345678") && html.contains("已记入审计日志")
    );

    // The admin has no audit.read: no audit page. The auditor has it.
    let (status, _, _) = b.get("/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.app
        .create_user("aud", "auditor-password", "auditor", None)
        .await
        .unwrap();
    let mut a = Browser::new(&app);
    a.login("aud", "auditor-password", "/").await;
    let (status, html, _) = a.get("/audit?action=person.reveal").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("审计链完整")
            && html.contains("arrange a retest")
            && html.contains("user:admin")
    );
    assert!(!html.contains(&full));
    app.verify().await;
}
