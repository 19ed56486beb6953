//! The editorial charter as a team uses it, on every backend: the SMM writes it (a bad line is
//! refused at its field, with its number, and nothing is saved), a CM reads it but cannot change
//! it, a post it blocks is refused at its text with nothing stored while a warning lets the post
//! through, the composer's live check marks each finding at its place in escaped text (and, in
//! a real headless Chromium when one is installed, as one types), and an import's rows go
//! through the same rule.

mod common;

use common::{seed, spawn, Browser, TestApp, PASSWORD, WS};
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use tutti_app::charter::{Lang, Severity};
use tutti_app::import::RowToImport;
use tutti_app::secrets::Keyring;
use tutti_app::store::publishing::{Post, PostMedia};
use tutti_app::{Actor, AppError, AuditQuery};

/// Connects the Bluesky channel `maison.test` (nothing is published in these tests).
async fn channel(t: &TestApp) -> String {
    let c = t
        .app
        .add_channel(
            &Actor::Operator,
            &Keyring::generate(),
            WS,
            &tutti_test_support::offline_bluesky("maison.test", None),
        )
        .await
        .unwrap();
    c.id.to_string()
}

/// The charter form as the SMM fills it in: `arnaque` banned, `#MaisonLumière` on every
/// channel, images described, French spelling.
fn charter_fields<'a>(pillars: &'a str, banned: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("tone_notes", "Chaleureux et précis, jamais familier."),
        ("banned", banned),
        ("severity_banned", "block"),
        ("required_hashtags", "*: #MaisonLumière"),
        ("severity_hashtags", "warn"),
        ("alt_text_required", "1"),
        ("severity_alt_text", "warn"),
        ("spelling_fr", "1"),
        ("vocabulary", ""),
        ("severity_spelling", "warn"),
        ("pillars", pillars),
    ]
}

/// Sends the compose form without images, as a browser without htmx does.
async fn compose(t: &TestApp, b: &Browser, fields: &[(&str, &str)]) -> reqwest::Response {
    let boundary = "----tutti-charter-boundary-Zx81";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    t.client
        .post(t.url(&format!("/w/{WS}/compose")))
        .header(COOKIE, b.cookie_header())
        .header("x-csrf-token", &b.csrf)
        .header(CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Asks for the composer's live check, as htmx does.
async fn live_check(t: &TestApp, b: &Browser, channel: &str, text: &str) -> (u16, String) {
    let r = t
        .client
        .post(t.url(&format!("/w/{WS}/compose/check")))
        .header(COOKIE, b.cookie_header())
        .header("x-csrf-token", &b.csrf)
        .header("hx-request", "true")
        .form(&[("channel", channel), ("text", text), ("langs", "fr"), ("images", "0000")])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn posts(t: &TestApp) -> Vec<Post> {
    t.app.posts(&Actor::Operator, WS, 1000).await.unwrap()
}

#[tokio::test]
async fn an_smm_writes_the_charter_and_a_bad_line_is_refused_at_its_field_with_nothing_saved() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let page = t.get(&mut smm, &format!("/w/{WS}/charter")).await;
        assert_eq!(page.status(), 200, "[{label}]");
        let html = page.text().await.unwrap();
        assert!(html.contains(">Save the charter</button>"), "[{label}] an SMM may change it");
        assert!(
            html.contains(&format!("href=\"/w/{WS}/charter\" aria-current=\"page\"")),
            "[{label}] in the nav"
        );

        let path = format!("/w/{WS}/charter");
        let good =
            charter_fields("Produits: pain, croissant* = 40%\nSavoir-faire: four, levain = 30%", "arnaque");
        let r = t.post_form(&mut smm, &path, &good).await;
        assert_eq!(r.status(), 200, "[{label}] saved");
        let html = r.text().await.unwrap();
        assert!(html.contains("The charter was saved"), "[{label}] said");
        assert!(
            html.contains("name=\"hashtag_tags\" value=\"#MaisonLumière\""),
            "[{label}] shown as saved, in its row"
        );
        let saved = t.app.charter(&Actor::Operator, WS).await.unwrap();
        assert_eq!(saved.banned, ["arnaque"], "[{label}]");
        assert_eq!(saved.required_hashtags["*"], ["MaisonLumière"], "[{label}]");
        assert_eq!(saved.spelling, [Lang::Fr], "[{label}]");
        assert_eq!(saved.severity.banned, Severity::Block, "[{label}]");
        assert_eq!(saved.pillars[1].name, "Savoir-faire", "[{label}]");
        assert!((saved.pillars[0].target_share - 0.4).abs() < 1e-6, "[{label}]");

        // Line 2 of the pillars has no percentage: refused there, and nothing of the form kept.
        let bad = charter_fields("Produits: pain = 40%\nSavoir-faire: four = beaucoup", "arnaque\nnul");
        let r = t.post_form(&mut smm, &path, &bad).await;
        assert_eq!(r.status(), 422, "[{label}]");
        let html = r.text().await.unwrap();
        let at =
            html.find("id=\"ch-pillars-error\"").unwrap_or_else(|| panic!("[{label}] no error at pillars"));
        let message = &html[at..at + html[at..].find("</p>").unwrap()];
        assert!(message.contains("line 2: the target must be a percentage"), "[{label}] {message}");
        assert!(
            html.contains("value=\"Savoir-faire\"")
                && html.contains("name=\"pillar_target\" value=\"beaucoup\""),
            "[{label}] what was typed is kept, in its row"
        );
        assert_eq!(t.app.charter(&Actor::Operator, WS).await.unwrap(), saved, "[{label}] nothing saved");

        let smm_actor = Actor::User(t.app.user_by_email("smm@acme.test").await.unwrap());
        let audit = t
            .app
            .audit_log(&smm_actor, WS, &AuditQuery { action: Some("charter.".into()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(audit.len(), 1, "[{label}] one change audited");
        assert_eq!(audit[0].action, "charter.update");
        let after: serde_json::Value = serde_json::from_str(audit[0].after.as_deref().unwrap()).unwrap();
        assert_eq!(after["charter"]["banned"], serde_json::json!(["arnaque"]), "[{label}]");
        let before: serde_json::Value = serde_json::from_str(audit[0].before.as_deref().unwrap()).unwrap();
        assert_eq!(before["charter"]["banned"], serde_json::json!([]), "[{label}] the default before");
    }
}

#[tokio::test]
async fn a_cm_reads_the_charter_but_cannot_change_it() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let path = format!("/w/{WS}/charter");
        assert_eq!(t.post_form(&mut smm, &path, &charter_fields("", "arnaque")).await.status(), 200);

        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let page = t.get(&mut cm, &path).await;
        assert_eq!(page.status(), 200, "[{label}] a CM reads the charter");
        let html = page.text().await.unwrap();
        assert!(html.contains(">arnaque</textarea>") && html.contains("readonly"), "[{label}] read-only");
        assert!(!html.contains("Save the charter"), "[{label}] no button to save");
        let home = t.get(&mut cm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(!home.contains(&format!("href=\"/w/{WS}/charter\"")), "[{label}] not in a CM's nav");

        let r = t.post_form(&mut cm, &path, &charter_fields("", "rien")).await;
        assert_eq!(r.status(), 403, "[{label}] a CM cannot save the charter");
        let charter = t.app.charter(&Actor::Operator, WS).await.unwrap();
        assert_eq!(charter.banned, ["arnaque"], "[{label}] unchanged");
    }
}

#[tokio::test]
async fn a_banned_word_refuses_the_post_at_its_text_and_a_missing_hashtag_only_warns() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let ch = channel(&t).await;
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let path = format!("/w/{WS}/charter");
        assert_eq!(t.post_form(&mut smm, &path, &charter_fields("", "arnaque")).await.status(), 200);

        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let page = t.get(&mut cm, &format!("/w/{WS}/compose")).await.text().await.unwrap();
        assert!(
            page.contains("Chaleureux et précis, jamais familier."),
            "[{label}] the tone beside the composer"
        );
        assert!(
            page.contains(&format!("hx-post=\"/w/{WS}/compose/check\"")),
            "[{label}] the live check is wired"
        );

        let r = compose(&t, &cm, &[("channel", &ch), ("text", "C'est une arnaque"), ("langs", "fr")]).await;
        assert_eq!(r.status(), 422, "[{label}] refused");
        let html = r.text().await.unwrap();
        let at = html.find("id=\"c-text-error\"").unwrap_or_else(|| panic!("[{label}] no error at text"));
        let message = &html[at..at + html[at..].find("</p>").unwrap()];
        assert!(message.contains("The editorial charter blocks this post:"), "[{label}] {message}");
        assert!(message.contains("“arnaque” is banned by the charter (column 11)."), "[{label}] {message}");
        assert!(!message.contains("MaisonLumière"), "[{label}] a warning does not refuse: {message}");
        assert!(html.contains("C&#39;est une <mark class=\"finding-block\""), "[{label}] marked in the form");
        assert!(html.contains("C&#39;est une arnaque</textarea>"), "[{label}] the text is kept");
        assert!(posts(&t).await.is_empty(), "[{label}] nothing stored");

        // The same refusal from the use case, in English, for the API and the CLI.
        let cm_actor = Actor::User(t.app.user_by_email("cm@acme.test").await.unwrap());
        let post = tutti_app::publishing::PostToWrite {
            channel: "maison.test".into(),
            text: "Pas d’ARNAQUE ici".into(),
            ..Default::default()
        };
        match t.app.create_post(&cm_actor, WS, &post, tutti_app::store::now_ms()).await {
            Err(AppError::Invalid(e)) => {
                assert_eq!((e.field, e.code), ("text", "charter_blocked"), "[{label}]");
                assert!(e.message.contains("\"ARNAQUE\" is banned (col 7)"), "[{label}] {}", e.message);
            }
            other => panic!("[{label}] {other:?}"),
        }

        // Without the hashtag: a warning the live check lists, and the post goes through.
        let (status, check) = live_check(&t, &cm, &ch, "Bonjour à tous").await;
        assert_eq!(status, 200, "[{label}]");
        assert!(check.contains("The hashtag #MaisonLumière is missing"), "[{label}] {check}");
        assert!(check.contains("<span class=\"severity severity-warn\">Warning</span>"), "[{label}] {check}");
        assert!(check.contains("One warning from the editorial charter."), "[{label}] the summary");
        let r = compose(&t, &cm, &[("channel", &ch), ("text", "Bonjour à tous"), ("langs", "fr")]).await;
        assert_eq!(r.status(), 303, "[{label}] a warning does not block");
        assert!(r.headers()[LOCATION].to_str().unwrap().contains("notice=scheduled"), "[{label}]");
        let stored = posts(&t).await;
        assert_eq!(stored.len(), 1, "[{label}]");
        assert_eq!(stored[0].text, "Bonjour à tous");
    }
}

#[tokio::test]
async fn the_live_check_marks_each_finding_at_its_place_in_escaped_text() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let ch = channel(&t).await;
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let path = format!("/w/{WS}/charter");
        assert_eq!(t.post_form(&mut smm, &path, &charter_fields("", "arnaque")).await.status(), 200);
        let cm = t.sign_in("cm@acme.test", PASSWORD).await;

        // `demainn` starts at byte 35 but is the 34th character: the place is said as people count.
        let text = "Nos croissants sont délicieux. À demainn ! #MaisonLumière";
        let (status, html) = live_check(&t, &cm, &ch, text).await;
        assert_eq!(status, 200, "[{label}]");
        assert!(
            html.contains("<div id=\"charter-check\" hx-swap-oob=\"innerHTML\">"),
            "[{label}] swapped in place"
        );
        let marked = "<p class=\"charter-marked break\" dir=\"auto\" data-charter-marked>Nos croissants sont délicieux. À \
                      <mark class=\"finding-warn\" data-finding=\"1\" title=\"“demainn” is not in the dictionary\">demainn</mark> \
                      ! #MaisonLumière</p>";
        assert!(html.contains(marked), "[{label}] the word is marked at its place:\n{html}");
        assert!(
            html.contains("“demainn” is not in the dictionary <span class=\"muted\">(column 34)</span>"),
            "[{label}]"
        );
        assert!(html.contains("<strong class=\"suggestion\">demain</strong>"), "[{label}] the suggestion");
        assert!(!html.contains("MaisonLumière is missing"), "[{label}] the hashtag is there");

        // Hostile text comes back escaped, its banned word still marked.
        let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> arnaque";
        let (status, html) = live_check(&t, &cm, &ch, hostile).await;
        assert_eq!(status, 200, "[{label}]");
        assert!(!html.contains("<script") && !html.contains("<img"), "[{label}] nothing hostile:\n{html}");
        assert!(html.contains("data-charter-marked>&#60;script&#62;<mark"), "[{label}] escaped:\n{html}");
        assert!(html.contains("\">arnaque</mark></p>"), "[{label}] the banned word is marked:\n{html}");
        assert!(html.contains("<span class=\"severity severity-block\">Blocks</span>"), "[{label}]");

        // An empty draft is not checked; a workspace the reader is not in is not found.
        let (status, html) = live_check(&t, &cm, &ch, "  ").await;
        assert_eq!(status, 200);
        assert!(html.contains("checked against the editorial charter as you write"), "[{label}]");
        let mut outsider = t.sign_in("outsider@acme.test", PASSWORD).await;
        let r = t.post_form(&mut outsider, &format!("/w/{WS}/compose/check"), &[("text", "arnaque")]).await;
        assert_eq!(r.status(), 404, "[{label}]");
    }
}

fn row(line: usize, text: &str) -> RowToImport {
    RowToImport {
        line,
        date: "2027-02-01".into(),
        time: "09:30".into(),
        channel: "maison.test".into(),
        text: text.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_import_reports_the_rows_the_charter_blocks_and_stores_nothing() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        channel(&t).await;
        let smm = Actor::User(t.app.user_by_email("smm@acme.test").await.unwrap());
        let mut form = tutti_app::charter::CharterForm::of(&tutti_app::charter::Charter::default());
        form.banned = "arnaque".into();
        form.severity_alt_text = "block".into();
        t.app.set_charter(&smm, WS, &form).await.unwrap();

        let cm = Actor::User(t.app.user_by_email("cm@acme.test").await.unwrap());
        let now = chrono::DateTime::parse_from_rfc3339("2027-01-10T12:00:00Z").unwrap().timestamp_millis();
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
        let image =
            |alt: &str| Some(Ok(PostMedia { mime: "image/png".into(), bytes: png.clone(), alt: alt.into() }));
        let rows = vec![
            row(2, "Bonne année à tous"),
            row(3, "C'est une arnaque"),
            RowToImport { image: image(""), ..row(4, "Notre nouvelle vitrine") },
            RowToImport { image: image("La vitrine illuminée"), ..row(5, "La vitrine, décrite") },
        ];
        let report = match t.app.import_posts(&cm, WS, &rows, now).await {
            Err(AppError::Invalid(e)) => {
                assert_eq!(e.field, "file", "[{label}]");
                e.message
            }
            other => panic!("[{label}] {other:?}"),
        };
        assert_eq!(
            report,
            "row 3, column text: \"arnaque\" is banned (col 11)\nrow 4, column alt: the image has no alt text",
            "[{label}]"
        );
        assert!(posts(&t).await.is_empty(), "[{label}] nothing half-imported");

        // Fixed, the file lands whole.
        let rows = vec![
            row(2, "Bonne année à tous"),
            row(3, "C'est une belle surprise"),
            RowToImport { image: image("La vitrine illuminée"), ..row(4, "Notre nouvelle vitrine") },
        ];
        assert_eq!(t.app.import_posts(&cm, WS, &rows, now).await.unwrap(), 3, "[{label}]");
    }
}

/// A chromedriver process, stopped when dropped.
struct Driver {
    child: std::process::Child,
    port: u16,
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Starts chromedriver on a free port and opens a headless Chromium, or says what is missing.
async fn browser() -> Option<(Driver, Client)> {
    use std::io::{BufRead, BufReader};
    let (Some(driver), Some(chromium)) =
        (find("chromedriver"), find("chromium").or_else(|| find("chromium-browser")))
    else {
        tutti_test_support::peer_missing(
            "browser tests",
            "chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)",
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("started successfully") => break,
            Some(Ok(_)) => continue,
            _ => panic!("chromedriver exited before it started"),
        }
    }
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let driver = Driver { child, port, profile: tempfile::tempdir().unwrap() };
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", driver.profile.path().display()),
                "--window-size=1440,1000", "--lang=en-US"
            ],
            "prefs": {"intl.accept_languages": "en-US,en"}
        }
    });
    let serde_json::Value::Object(caps) = caps else { unreachable!() };
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("open a Chromium session");
    Some((driver, client))
}

/// The text of the first element `css` matches, once it exists.
async fn text_of(c: &Client, css: &str) -> String {
    c.wait().for_element(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}")).text().await.unwrap()
}

#[tokio::test]
async fn the_composer_checks_the_post_as_it_is_typed_in_a_real_browser() {
    let Some((_driver, c)) = browser().await else { return };
    let t = spawn(tutti_test_support::sqlite()).await;
    seed(&t.app).await;
    channel(&t).await;
    let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
    let path = format!("/w/{WS}/charter");
    assert_eq!(t.post_form(&mut smm, &path, &charter_fields("", "arnaque")).await.status(), 200);

    c.goto(&t.url("/login")).await.unwrap();
    c.find(Locator::Css("#email")).await.unwrap().send_keys("cm@acme.test").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    c.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css(".usermenu")).await.expect("signed in");
    c.goto(&t.url(&format!("/w/{WS}/compose"))).await.unwrap();
    assert!(text_of(&c, ".charter-tone").await.contains("jamais familier"), "the tone beside the composer");

    // Typing is enough: the check comes back a moment later, the word marked where it is.
    let text = c.find(Locator::Css("#c-text")).await.unwrap();
    text.send_keys("C'est une arnaque").await.unwrap();
    assert_eq!(text_of(&c, "#charter-check mark.finding-block").await, "arnaque");
    assert!(text_of(&c, "#charter-check .findings").await.contains("The hashtag #MaisonLumière is missing"));
    let focused = c.active_element().await.unwrap().attr("id").await.unwrap();
    assert_eq!(focused.as_deref(), Some("c-text"), "the writer keeps typing where they were");

    // Sent anyway: refused at the text, the form and its text kept.
    c.find(Locator::Css("#compose-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let error = text_of(&c, "#c-text-error").await;
    assert!(error.contains("“arnaque” is banned by the charter (column 11)."), "{error}");
    assert!(posts(&t).await.is_empty(), "nothing stored");
    c.close().await.unwrap();
}
