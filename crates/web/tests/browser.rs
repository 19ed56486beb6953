//! End to end in a real headless Chromium: first-run setup → sign in → create a workspace →
//! invite a CM → the CM joins and is refused the team settings. Screenshots of each page, in
//! English and French, wide and narrow, go to `target/screenshots/`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

const WIDE: (u32, u32) = (1440, 1000);
const NARROW: (u32, u32) = (390, 844);

/// A chromedriver process, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Starts chromedriver on a free port, waiting for its "started" line (no sleeps).
fn start_driver() -> Option<Driver> {
    let driver = find("chromedriver");
    let browser = find("chromium").or_else(|| find("chromium-browser"));
    let (Some(driver), Some(_)) = (driver, browser) else {
        tutti_test_support::peer_missing(
            "browser tests",
            "chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)",
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("started successfully") => break,
            Some(Ok(_)) => continue,
            _ => panic!("chromedriver exited before it started"),
        }
    }
    // Keep draining its output so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Some(Driver { child, port, _profile: tempfile::tempdir().unwrap() })
}

async fn open_browser(driver: &Driver) -> Client {
    let binary = find("chromium").or_else(|| find("chromium-browser")).unwrap();
    let caps = json!({
        "goog:chromeOptions": {
            "binary": binary,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", driver._profile.path().display()),
                format!("--window-size={},{}", WIDE.0, WIDE.1), "--lang=en-US", "--hide-scrollbars"
            ],
            "prefs": {"intl.accept_languages": "en-US,en"}
        },
        "goog:loggingPrefs": {"browser": "ALL"}
    });
    let serde_json::Value::Object(caps) = caps else { unreachable!() };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("open a Chromium session")
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
    assert_no_policy_violation(c, name).await;
}

/// Chromium's console since the last call: `POST /session/{id}/se/log`, chromedriver's own
/// command (W3C WebDriver has none for the console).
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"type": "browser"}).to_string()))
    }
}

/// Every page works under the Content-Security-Policy: the browser refused nothing on it (an
/// inline script, style or `eval` would be refused and logged).
async fn assert_no_policy_violation(c: &Client, page: &str) {
    let log = c.issue_cmd(BrowserLog).await.expect("read the browser's console");
    let refused: Vec<String> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["message"].as_str())
        .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
        .map(str::to_owned)
        .collect();
    assert!(refused.is_empty(), "{page}: the browser refused {refused:#?}");
}

async fn fill(c: &Client, css: &str, text: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("field {css}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    match c.find(Locator::Css(css)).await {
        Ok(e) => e.click().await.unwrap(),
        Err(_) => {
            shot(c, "failure").await;
            panic!("no element {css} on {}:\n{}", path(c).await, c.source().await.unwrap_or_default());
        }
    }
}

/// Clicks a submit button and waits for the next page to load.
async fn submit(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    click(c, css).await;
    // The old document's root goes stale once the browser has navigated.
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    c.wait().for_element(Locator::Css("body")).await.unwrap();
}

async fn path(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    format!("{}{}", url.path(), url.query().map(|q| format!("?{q}")).unwrap_or_default())
}

async fn text(c: &Client) -> String {
    c.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn setup_invite_and_role_refusal_in_a_real_browser() {
    let Some(driver) = start_driver() else { return };
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = common::spawn(db).await;
        let c = open_browser(&driver).await;
        let secret = t.app.issue_setup_token().await.unwrap().unwrap();

        // First run: the setup page creates the administrator and signs them in.
        c.goto(&t.url(&format!("/setup?token={secret}"))).await.unwrap();
        shot(&c, &format!("{label}-01-setup")).await;
        fill(&c, "#name", "Camille Martin").await;
        fill(&c, "#email", "camille@maison-lumiere.fr").await;
        fill(&c, "#password", "short").await;
        submit(&c, "button[type=submit]").await;
        assert!(
            text(&c).await.contains("at least 10 characters"),
            "[{label}] the password error is shown at its field"
        );
        shot(&c, &format!("{label}-02-setup-error")).await;
        fill(&c, "#password", common::PASSWORD).await;
        submit(&c, "button[type=submit]").await;
        assert_eq!(path(&c).await, "/workspaces", "[{label}] after setup");

        // Sign out, and sign in again through the login page.
        click(&c, ".usermenu summary").await;
        submit(&c, ".usermenu button[type=submit]").await;
        assert!(path(&c).await.starts_with("/login"));
        shot(&c, &format!("{label}-03-login")).await;
        fill(&c, "#email", "camille@maison-lumiere.fr").await;
        fill(&c, "#password", common::PASSWORD).await;
        submit(&c, "button[type=submit]").await;
        assert_eq!(
            path(&c).await,
            "/workspaces",
            "[{label}] an admin without a workspace lands on the switcher"
        );
        shot(&c, &format!("{label}-04-workspaces")).await;

        // Create a workspace: its team page opens.
        fill(&c, "#ws-name", "Maison Lumière").await;
        fill(&c, "#ws-tz", "Europe/Paris").await;
        submit(&c, "#ws-name ~ button[type=submit], form[action='/workspaces'] button[type=submit]").await;
        assert_eq!(path(&c).await, "/w/maison-lumiere/team", "[{label}] after creating the workspace");

        // Invite a CM: the invitation link is shown to share.
        fill(&c, "#invite-email", "lucas@maison-lumiere.fr").await;
        c.find(Locator::Css("#invite-role option[value=cm]")).await.unwrap().click().await.unwrap();
        submit(&c, "form[action='/w/maison-lumiere/team'] button[type=submit]").await;
        let link = c.find(Locator::Css("#invite-link")).await.unwrap().prop("value").await.unwrap().unwrap();
        assert!(link.contains("/invite/"), "[{label}] invitation link {link}");
        assert!(text(&c).await.contains("lucas@maison-lumiere.fr"));
        shot(&c, &format!("{label}-05-team-invited")).await;
        c.goto(&t.url("/w/maison-lumiere/audit")).await.unwrap();
        assert!(text(&c).await.contains("Added a member"));
        shot(&c, &format!("{label}-06-audit")).await;

        // Sign out; the CM follows the link, joins, and lands in the workspace.
        click(&c, ".usermenu summary").await;
        submit(&c, ".usermenu button[type=submit]").await;
        c.goto(&link).await.unwrap();
        shot(&c, &format!("{label}-07-invitation")).await;
        fill(&c, "#name", "Lucas Bernard").await;
        fill(&c, "#password", common::PASSWORD).await;
        submit(&c, "button[type=submit]").await;
        assert_eq!(path(&c).await, "/w/maison-lumiere", "[{label}] the CM lands in the workspace");
        let home = text(&c).await;
        assert!(
            home.contains("Inbox") && home.contains("Calendar") && !home.contains("Audit log"),
            "[{label}] the CM's navigation"
        );
        shot(&c, &format!("{label}-08-cm-overview")).await;

        // Team settings are refused to a CM.
        c.goto(&t.url("/w/maison-lumiere/team")).await.unwrap();
        assert!(
            text(&c).await.contains("have access to this page"),
            "[{label}] the CM is refused the team page"
        );
        shot(&c, &format!("{label}-09-cm-refused")).await;

        if label == "sqlite" {
            // The same pages in French, wide and narrow, for review.
            c.goto(&t.url("/settings")).await.unwrap();
            c.find(Locator::Css("#s-locale option[value=fr]")).await.unwrap().click().await.unwrap();
            submit(&c, "form[action='/settings'] button[type=submit]").await;
            assert!(text(&c).await.contains("Vos paramètres ont été enregistrés."));
            shot(&c, "fr-10-settings").await;
            for (size, tag) in [(WIDE, "1440"), (NARROW, "390")] {
                c.set_window_size(size.0, size.1).await.unwrap();
                for (page, name) in [
                    ("/w/maison-lumiere", "overview"),
                    ("/w/maison-lumiere/inbox", "inbox"),
                    ("/w/maison-lumiere/team", "refused"),
                ] {
                    c.goto(&t.url(page)).await.unwrap();
                    shot(&c, &format!("fr-{tag}-{name}")).await;
                }
            }
            // And the administrator's pages, narrow.
            c.goto(&t.url("/settings")).await.unwrap();
            click(&c, ".usermenu summary").await;
            submit(&c, ".usermenu button[type=submit]").await;
            shot(&c, "fr-390-login").await;
            fill(&c, "#email", "camille@maison-lumiere.fr").await;
            fill(&c, "#password", common::PASSWORD).await;
            submit(&c, "button[type=submit]").await;
            for (page, name) in [
                ("/w/maison-lumiere/team", "team"),
                ("/w/maison-lumiere/audit", "audit"),
                ("/settings", "settings"),
            ] {
                c.goto(&t.url(page)).await.unwrap();
                shot(&c, &format!("en-390-{name}")).await;
            }
            c.find(Locator::Css("[data-menu-toggle]")).await.unwrap().click().await.unwrap();
            shot(&c, "en-390-menu-open").await;

            // Two-factor sign-in: enrolled with a code computed here, then asked at sign-in.
            c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
            c.goto(&t.url("/settings/two-factor")).await.unwrap();
            submit(&c, "form[action='/settings/two-factor/start'] button[type=submit]").await;
            let secret =
                c.find(Locator::Css("#totp-secret")).await.unwrap().prop("value").await.unwrap().unwrap();
            shot(&c, "en-1440-two-factor-setup").await;
            fill(&c, "#confirm-code", &common::totp(&secret, tutti_store::now_ms())).await;
            submit(&c, "form[action='/settings/two-factor/confirm'] button[type=submit]").await;
            let codes = c.find_all(Locator::Css(".recovery-codes li")).await.unwrap();
            assert_eq!(codes.len(), 10, "ten recovery codes are shown once");
            shot(&c, "en-1440-two-factor-recovery").await;
            click(&c, ".usermenu summary").await;
            submit(&c, ".usermenu button[type=submit]").await;
            fill(&c, "#email", "camille@maison-lumiere.fr").await;
            fill(&c, "#password", common::PASSWORD).await;
            submit(&c, "button[type=submit]").await;
            assert!(c.current_url().await.unwrap().path().starts_with("/login/two-factor"));
            shot(&c, "en-1440-login-two-factor").await;
            // The code of the next step: the one used to confirm is not accepted twice.
            fill(&c, "#code", &common::totp(&secret, tutti_store::now_ms() + 30_000)).await;
            submit(&c, "form[action='/login/two-factor'] button[type=submit]").await;
            assert!(
                !c.current_url().await.unwrap().path().starts_with("/login"),
                "signed in with the second factor"
            );
            c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
            c.goto(&t.url("/settings/two-factor")).await.unwrap();
            let wider: Vec<String> = serde_json::from_value(
                c.execute(
                    "return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className)",
                    vec![],
                )
                .await
                .unwrap(),
            )
            .unwrap();
            assert!(wider.is_empty(), "the two-factor page is wider than 390 px: {wider:?}");
            shot(&c, "en-390-two-factor").await;
            c.set_window_size(WIDE.0, WIDE.1).await.unwrap();

            // Listening: a malformed query shows a caret under the column at fault.
            c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
            c.goto(&t.url("/w/maison-lumiere/listening")).await.unwrap();
            fill(&c, "#q-name", "Maison Lumière").await;
            fill(&c, "#q-query", "\"maison lumière\" OR lampe NEAR/3").await;
            submit(&c, "form[action='/w/maison-lumiere/listening'] button[type=submit]").await;
            assert!(c.find(Locator::Css("pre.caret")).await.is_ok(), "the caret points at the error");
            shot(&c, "en-1440-listening-error").await;
            fill(&c, "#q-query", "\"maison lumière\" OR (lampe NEAR/3 lumière) OR #luminaire").await;
            submit(&c, "form[action='/w/maison-lumiere/listening'] button[type=submit]").await;
            let mentions_path = path(&c).await;
            let query_id: i64 = mentions_path.rsplit('/').next().unwrap().parse().unwrap();
            let op = tutti_app::Actor::Operator;
            let rival =
                t.app.add_query(&op, "maison-lumiere", "Lumina", "lumina", "competitor").await.unwrap();
            let now = tutti_app::store::now_ms();
            let samples = [
                ("did:plc:claire", "Ma lampe Maison Lumière est arrivée cassée, et le service client ne répond pas. Très déçue. #livraison", "neg", "fr"),
                ("did:plc:tom", "Just got the Maison Lumière desk lamp, the warm light is lovely #luminaire", "pos", "en"),
                ("did:plc:ines", "Quelqu'un connaît la lampe Maison Lumière ? Elle vaut le coup ?", "neu", "fr"),
                ("did:plc:marc", "Livraison Maison Lumière encore en retard, troisième fois ce mois-ci #livraison", "neg", "fr"),
                ("did:plc:sofia", "La nouvelle lampe de chevet Maison Lumière est superbe, lumière très douce", "pos", "fr"),
            ];
            let mut tx = t.app.store().begin().await.unwrap();
            for i in 0..60usize {
                let (author, text, sentiment, lang) = samples[(i * 7) % samples.len()];
                // Spread over the week, busier in the last two days.
                let ago =
                    if i < 30 { (i as i64) * 1_700_000 } else { (i as i64 - 30) * 17_000_000 + 172_800_000 };
                for (q, kind) in [(query_id, "brand"), (rival.id, "competitor")] {
                    if kind == "competitor" && i % 3 != 0 {
                        continue;
                    }
                    let m = tutti_app::store::listening::Mention {
                        id: 0,
                        query_id: q,
                        source: if i % 4 == 0 { "mastodon".into() } else { "firehose".into() },
                        external_id: format!("at://{author}/app.bsky.feed.post/{kind}{i}"),
                        url: Some(format!("https://bsky.app/profile/{author}/post/{i}")),
                        author: Some(author.into()),
                        text: if kind == "brand" {
                            text.into()
                        } else {
                            text.replace("Maison Lumière", "Lumina")
                        },
                        lang: Some(lang.into()),
                        sentiment: Some(sentiment.into()),
                        sentiment_score: Some(0.0),
                        toxicity: Some(0.0),
                        published_at: Some(now - ago),
                    };
                    tutti_app::store::listening::insert_mention(&mut tx, &m).await.unwrap();
                }
            }
            tx.commit().await.unwrap();
            c.goto(&t.url(&mentions_path)).await.unwrap();
            let page = text(&c).await;
            assert!(page.contains("le service client ne répond pas") && page.contains("Share of voice"));
            shot(&c, "en-1440-listening-report").await;

            // An alert rule with a malformed keyword is refused at its field; a good one is kept.
            click(&c, "input[name=kind][value=keyword]").await;
            fill(&c, "#r-keyword", "cassée AND").await;
            submit(&c, "form[action$='/rules'] button[type=submit]").await;
            assert!(
                c.find(Locator::Css("#r-keyword-error")).await.is_ok(),
                "the keyword error is shown at its field"
            );
            click(&c, "input[name=kind][value=keyword]").await;
            fill(&c, "#r-keyword", "cassée OR remboursement").await;
            click(&c, "input[name=webhook]").await;
            submit(&c, "form[action$='/rules'] button[type=submit]").await;
            assert!(text(&c).await.contains("Keywords: cassée OR remboursement"));

            // A spike alert on the brand offers crisis mode; the admin turns it on.
            let ws = t.app.list_workspaces(&op).await.unwrap()[0].0.id;
            let mut tx = t.app.store().begin().await.unwrap();
            tutti_app::store::alerts::insert_alert(
                &mut tx,
                &tutti_app::store::alerts::Alert {
                    id: 0,
                    workspace_id: ws,
                    query_id,
                    rule_id: None,
                    kind: "negative_share".into(),
                    observed: 0.82,
                    expected: 0.12,
                    window_start: now - 900_000,
                    window_end: now,
                    samples: vec![tutti_app::store::alerts::AlertSample {
                        author: "did:plc:claire".into(),
                        text: "Ma lampe Maison Lumière est arrivée cassée <script>alert(1)</script>".into(),
                        url: None,
                    }],
                    crisis_suggested: true,
                    created_at: now,
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            c.goto(&t.url("/w/maison-lumiere/alerts")).await.unwrap();
            assert!(text(&c).await.contains("82 % negative (usually 12 %)"));
            shot(&c, "en-1440-alerts").await;
            submit(&c, ".alert form button[type=submit]").await;
            assert!(text(&c).await.contains("Crisis mode is on."), "the banner shows");
            shot(&c, "en-1440-crisis-on").await;
            c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
            c.goto(&t.url(&mentions_path)).await.unwrap();
            shot(&c, "en-390-listening-report").await;
            c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
            c.goto(&t.url("/w/maison-lumiere/listening-settings")).await.unwrap();
            shot(&c, "en-1440-listening-settings").await;
            submit(&c, ".crisis-banner button[type=submit]").await;
            assert!(!text(&c).await.contains("Crisis mode is on."), "crisis mode ended");

            // The CM reads the same report in French.
            click(&c, ".usermenu summary").await;
            submit(&c, ".usermenu button[type=submit]").await;
            fill(&c, "#email", "lucas@maison-lumiere.fr").await;
            fill(&c, "#password", common::PASSWORD).await;
            submit(&c, "button[type=submit]").await;
            c.goto(&t.url(&mentions_path)).await.unwrap();
            assert!(text(&c).await.contains("Part de voix"));
            shot(&c, "fr-1440-listening-report").await;
        }
        c.close().await.unwrap();
    }
}

#[tokio::test]
async fn compose_then_plan_and_move_posts_on_the_calendar_in_a_real_browser() {
    use chrono::TimeZone;
    use tutti_app::publishing::ChannelToAdd;
    use tutti_app::secrets::Keyring;
    use tutti_app::Actor;

    let Some(driver) = start_driver() else { return };
    let t = common::spawn(tutti_test_support::sqlite()).await;
    common::seed(&t.app).await;
    let ws = common::WS;
    let keys = Keyring::generate();
    for (network, handle, ambassador) in [
        ("bluesky", "maison.test", None),
        ("mastodon", "@maison@mastodon.test", None),
        ("bluesky", "lea-cm.test", Some("cm@acme.test")),
    ] {
        let channel = ChannelToAdd {
            network: network.into(),
            handle: handle.into(),
            service: "http://127.0.0.1:9".into(),
            account_id: None,
            secret: "x".into(),
            ambassador: ambassador.map(str::to_owned),
        };
        t.app.add_channel(&Actor::Operator, &keys, ws, &channel).await.unwrap();
    }
    // A day three weeks ahead, so that the month and the week have room to move the post.
    let paris = chrono_tz::Europe::Paris;
    let day = chrono::Utc::now().with_timezone(&paris).date_naive() + chrono::Duration::days(21);
    let ymd = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();

    let c = open_browser(&driver).await;
    c.goto(&t.url("/login")).await.unwrap();
    fill(&c, "#email", "smm@acme.test").await;
    fill(&c, "#password", common::PASSWORD).await;
    submit(&c, "button[type=submit]").await;

    // Compose: the counter follows the text as Bluesky counts it, and turns red past 300.
    c.goto(&t.url(&format!("/w/{ws}/compose"))).await.unwrap();
    fill(&c, "#c-text", &"é".repeat(305)).await;
    let counter = c.find(Locator::Css("#c-count")).await.unwrap();
    assert_eq!(counter.text().await.unwrap(), "305 / 300");
    assert!(counter.attr("class").await.unwrap().unwrap_or_default().contains("over"));
    // Sent anyway: htmx swaps the form back in with the server's message at the text.
    click(&c, "#compose-form button[type=submit]").await;
    let error = c.wait().for_element(Locator::Css("#c-text-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("5 characters over Bluesky's limit (300)"));
    assert_eq!(path(&c).await, format!("/w/{ws}/compose"), "the form stays");
    let counter = c.find(Locator::Css("#c-count")).await.unwrap();
    let words = "Nouvelle collection Lumière d'hiver : 12 lampes en verre soufflé, fabriquées à Lyon. \
                Découvrez-les en boutique dès samedi ✨ #luminaire #fabricationfrançaise";
    fill(&c, "#c-text", words).await;
    assert!(!counter.attr("class").await.unwrap().unwrap_or_default().contains("over"));
    c.execute(
        "document.getElementById('c-at').value = arguments[0];",
        vec![json!(format!("{}T10:30", ymd(day)))],
    )
    .await
    .unwrap();
    click(&c, ".images-box summary").await;
    fill(&c, "#c-alt1", "Trois lampes en verre soufflé sur une table en chêne").await;
    shot(&c, "en-1440-compose").await;
    submit(&c, "#compose-form button[type=submit]").await;
    assert!(path(&c).await.starts_with(&format!("/w/{ws}/calendar?view=week")), "{}", path(&c).await);
    shot(&c, "en-1440-calendar-week").await;
    let page = text(&c).await;
    assert!(page.contains("The post is scheduled.") && page.contains("Nouvelle collection"), "{page}");
    let id = t.app.posts(&Actor::Operator, ws, 10).await.unwrap()[0].id;
    let card = format!("#post-{id}");
    let cell = |d: chrono::NaiveDate| format!("[data-drop-date='{}'] {card}", ymd(d));
    assert!(c.find(Locator::Css(&cell(day))).await.is_ok(), "the post is on its day in the week");
    shot(&c, "en-1440-calendar-week").await;

    // More of the plan around it, so that the month reads like a month.
    let smm = Actor::User(t.app.user_by_email("smm@acme.test").await.unwrap());
    let contributor = Actor::User(t.app.user_by_email("contributor@acme.test").await.unwrap());
    for (who, offset, hour, channel, words) in [
        (&smm, -2, 9, "maison.test", "Coulisses de l'atelier : le souffleur de verre au travail 🔥"),
        (
            &smm,
            1,
            18,
            "@maison@mastodon.test",
            "Live ce soir à 19 h : nos conseils pour bien éclairer un salon.",
        ),
        (&contributor, 3, 12, "maison.test", "Proposition : jeu-concours pour gagner la lampe Aube."),
        (
            &smm,
            6,
            8,
            "@maison@mastodon.test",
            "Bon dimanche ! Et vous, quelle lumière pour vos soirées d'hiver ?",
        ),
        (&smm, -9, 11, "maison.test", "Merci pour vos 10 000 abonnés ! 💛"),
    ] {
        let at = paris
            .from_local_datetime(&(day + chrono::Duration::days(offset)).and_hms_opt(hour, 0, 0).unwrap())
            .unwrap()
            .to_rfc3339();
        let post = tutti_app::publishing::PostToWrite {
            channel: channel.into(),
            text: words.into(),
            at: Some(at),
            langs: vec!["fr".into()],
            images: vec![],
            reply_to: None,
            queue: false,
        };
        t.app.create_post(who, ws, &post, tutti_app::store::now_ms()).await.unwrap();
    }
    let mut tx = t.app.store().begin().await.unwrap();
    sqlx::query(
        "UPDATE posts SET status = 'published', remote_url = 'https://bsky.app/profile/maison.test/post/3kabc' \
         WHERE text LIKE 'Coulisses%'",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=month&date={}", ymd(day)))).await.unwrap();
    assert!(c.find(Locator::Css(&cell(day))).await.is_ok(), "the post is on its day in the month");
    shot(&c, "en-1440-calendar-month").await;

    // From the keyboard: open the post's Move form, type a new time, press Enter.
    let next = day + chrono::Duration::days(1);
    let summary = c.find(Locator::Css(&format!("{card} .cal-move summary"))).await.unwrap();
    summary.send_keys("\u{E007}").await.unwrap();
    let field = c.find(Locator::Css(&format!("#move-{id}"))).await.unwrap();
    c.execute(
        "arguments[0].value = arguments[1];",
        vec![json!(field), json!(format!("{}T16:15", ymd(next)))],
    )
    .await
    .unwrap();
    submit(&c, &format!("{card} .move-form button[type=submit]")).await;
    assert!(text(&c).await.contains("The post was moved."));
    assert!(c.find(Locator::Css(&cell(next))).await.is_ok(), "the post moved to the next day");
    let moved =
        t.app.posts(&Actor::Operator, ws, 10).await.unwrap().into_iter().find(|p| p.id == id).unwrap();
    let expected =
        paris.from_local_datetime(&next.and_hms_opt(16, 15, 0).unwrap()).unwrap().timestamp_millis();
    assert_eq!(moved.scheduled_at, Some(expected));

    // By drag and drop: the browser's own drag events, htmx swaps the calendar in.
    let target = next + chrono::Duration::days(1);
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=month&date={}", ymd(day)))).await.unwrap();
    c.execute(
        "const card = document.querySelector(arguments[0]);
         const day = document.querySelector(arguments[1]);
         const dt = new DataTransfer();
         card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt}));
         day.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
         day.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
         card.dispatchEvent(new DragEvent('dragend', {bubbles: true, dataTransfer: dt}));",
        vec![json!(card), json!(format!("[data-drop-date='{}']", ymd(target)))],
    )
    .await
    .unwrap();
    c.wait().for_element(Locator::Css("#calendar-body .banner-ok")).await.unwrap();
    assert!(c.find(Locator::Css(&cell(target))).await.is_ok(), "the post was dropped on its new day");
    let dropped =
        t.app.posts(&Actor::Operator, ws, 10).await.unwrap().into_iter().find(|p| p.id == id).unwrap();
    let expected =
        paris.from_local_datetime(&target.and_hms_opt(16, 15, 0).unwrap()).unwrap().timestamp_millis();
    assert_eq!(dropped.scheduled_at, Some(expected), "the time of day is kept");

    // A failed post is impossible to miss, with the network's words.
    let mut tx = t.app.store().begin().await.unwrap();
    sqlx::query(
        "UPDATE posts SET status = 'failed', error = 'Record/text must not be longer than 300 graphemes' \
         WHERE text LIKE 'Live ce soir%'",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=month&date={}", ymd(day)))).await.unwrap();
    let page = text(&c).await;
    assert!(page.contains("One post failed to publish") && page.contains("longer than 300 graphemes"));
    shot(&c, "en-1440-calendar-failed").await;
    // The failed post's own page: the network's words, and what to do.
    let failed = t
        .app
        .posts(&Actor::Operator, ws, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.status == "failed")
        .unwrap();
    c.goto(&t.url(&format!("/w/{ws}/posts/{}", failed.id))).await.unwrap();
    assert!(text(&c).await.contains("longer than 300 graphemes"));
    shot(&c, "en-1440-post-failed").await;
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=month&date={}", ymd(day)))).await.unwrap();
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    let to_calendar = "document.getElementById('calendar-body').scrollIntoView();";
    c.execute(to_calendar, vec![]).await.unwrap();
    shot(&c, "en-390-calendar-month").await;
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=week&date={}", ymd(day)))).await.unwrap();
    c.execute(to_calendar, vec![]).await.unwrap();
    shot(&c, "en-390-calendar-week").await;

    // Channels: weekly queue slots set from the page, then "add to queue" in the composer.
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/channels"))).await.unwrap();
    let brand = t
        .app
        .channels(&Actor::Operator, ws)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.handle == "maison.test")
        .unwrap();
    fill(&c, &format!("#slots-{}", brand.id), "mon 09:00, wed 12:30, fri 17:00").await;
    submit(&c, &format!("#channel-{} form button[type=submit]", brand.id)).await;
    let page = text(&c).await;
    assert!(
        page.contains("The queue slots are saved.") && page.contains("mon 09:00, wed 12:30, fri 17:00"),
        "{page}"
    );
    shot(&c, "en-1440-channels").await;
    c.goto(&t.url(&format!("/w/{ws}/compose"))).await.unwrap();
    let utm = c.find(Locator::Css("[data-utm-fields]")).await.unwrap();
    assert!(!utm.is_displayed().await.unwrap(), "the UTM fields wait for their checkbox");
    click(&c, "input[name=utm]").await;
    assert!(utm.is_displayed().await.unwrap());
    click(&c, "input[name=utm]").await;
    fill(&c, "#c-text", "Dans la file d'attente").await;
    click(&c, "input[name=queue]").await;
    assert!(
        !c.find(Locator::Css("#c-at")).await.unwrap().is_enabled().await.unwrap(),
        "a queued post takes no date"
    );
    submit(&c, "#compose-form button[type=submit]").await;
    let queued = t
        .app
        .posts(&Actor::Operator, ws, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.text == "Dans la file d'attente")
        .unwrap();
    assert!(queued.scheduled_at.is_some(), "the post took a slot");

    // The same pages in French.
    c.goto(&t.url("/settings")).await.unwrap();
    c.find(Locator::Css("#s-locale option[value=fr]")).await.unwrap().click().await.unwrap();
    submit(&c, "form[action='/settings'] button[type=submit]").await;
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=week&date={}", ymd(day)))).await.unwrap();
    assert!(text(&c).await.contains("Calendrier éditorial"));
    shot(&c, "fr-1440-calendar-week").await;
    c.goto(&t.url(&format!("/w/{ws}/compose"))).await.unwrap();
    shot(&c, "fr-1440-compose").await;
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    shot(&c, "fr-390-compose").await;
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=list&date={}", ymd(day)))).await.unwrap();
    let page = text(&c).await;
    assert!(page.contains("Le réseau a répondu") && page.contains("Programmée"), "{page}");
    shot(&c, "fr-390-calendar-list").await;
    c.execute(to_calendar, vec![]).await.unwrap();
    shot(&c, "fr-390-calendar-list-days").await;
    c.goto(&t.url(&format!("/w/{ws}/channels"))).await.unwrap();
    shot(&c, "fr-390-channels").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_inbox_is_worked_from_the_keyboard_in_a_real_browser() {
    use tutti_app::inbox::{item_of, Incoming};
    use tutti_app::secrets::Keyring;
    use tutti_app::Actor;

    let Some(driver) = start_driver() else { return };
    let t = common::spawn(tutti_test_support::sqlite()).await;
    common::seed(&t.app).await;
    let ws = common::WS;
    let channel = tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison"));
    let ch = t.app.add_channel(&Actor::Operator, &Keyring::generate(), ws, &channel).await.unwrap();
    let now = tutti_store::now_ms();
    let notes = [
        (
            "r1",
            "reply",
            "alice",
            "Alice Martin",
            "Ma lampe est arrivée cassée, et le service client ne répond pas. Très déçue.",
            1,
        ),
        (
            "m1",
            "mention",
            "bob",
            "Bob",
            "Quelqu'un a testé @maison.test ? Leurs lampes ont l'air superbes ✨",
            2,
        ),
        (
            "r2",
            "reply",
            "carla",
            "<b>Carla</b>\u{202E}",
            "<script>alert(1)</script> Livraison en retard… 😡😡😡",
            3,
        ),
        ("f1", "follow", "dan", "Dan", "", 4),
    ];
    let items: Vec<_> = notes
        .iter()
        .map(|(id, kind, author, name, text, i)| {
            let n = Incoming {
                remote_id: (*id).into(),
                kind: (*kind).into(),
                author_id: format!("did:plc:{author}"),
                author_handle: format!("{author}.test"),
                author_name: (*name).into(),
                text: (*text).into(),
                post: (*kind != "follow")
                    .then(|| (format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), None)),
                parent: (*kind == "reply").then(|| format!("at://did:plc:maison/app.bsky.feed.post/{id}")),
                at: now - 3_600_000 * 3 + i * 600_000,
                ..Default::default()
            };
            item_of(ch.workspace_id, ch.id, "bluesky", &n)
        })
        .collect();
    let mut tx = t.app.store().begin().await.unwrap();
    tutti_app::inbox::ingest_batch(&mut tx, &items).await.unwrap();
    tx.commit().await.unwrap();
    // Inbox per person: two customers and a troll under one post of the brand (published by
    // Tutti, shown above each conversation), and enough conversations to fill a screen.
    let (brand_post, trial, lea_first) = inbox_trial(&t, ch.workspace_id, ch.id, now).await;

    let c = open_browser(&driver).await;
    c.goto(&t.url("/login")).await.unwrap();
    fill(&c, "#email", "cm@acme.test").await;
    fill(&c, "#password", common::PASSWORD).await;
    submit(&c, "button[type=submit]").await;
    c.goto(&t.url(&format!("/w/{ws}/inbox"))).await.unwrap();
    let page = text(&c).await;
    assert!(
        page.contains("Alice Martin") && page.contains("<b>Carla</b>"),
        "hostile names shown as text: {page}"
    );
    shot(&c, "en-1440-inbox").await;

    // j opens the first conversation (the latest), j again the next one.
    let body = c.find(Locator::Css("body")).await.unwrap();
    body.send_keys("j").await.unwrap();
    c.wait().for_element(Locator::Css("[data-conversation]")).await.unwrap();
    let first =
        c.find(Locator::Css("[data-conversation]")).await.unwrap().attr("data-conversation").await.unwrap();
    c.find(Locator::Css("body")).await.unwrap().send_keys("j").await.unwrap();
    let mut second = first.clone();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        second = c
            .find(Locator::Css("[data-conversation]"))
            .await
            .unwrap()
            .attr("data-conversation")
            .await
            .unwrap();
        if second != first {
            break;
        }
    }
    assert_ne!(first, second, "j moves to the next conversation");
    assert!(
        path(&c).await.starts_with(&format!("/w/{ws}/inbox/")),
        "the address follows: {}",
        path(&c).await
    );
    // r writes a reply; it is sent without leaving the page.
    c.find(Locator::Css("body")).await.unwrap().send_keys("r").await.unwrap();
    let active = c.active_element().await.unwrap();
    assert_eq!(active.attr("id").await.unwrap().as_deref(), Some("reply-text"));
    // The second latest is Léa's, whose latest message is older than the troll's: the reply box
    // answers her, and says so.
    let page = text(&c).await;
    assert!(page.contains(brand_post), "the brand's post above the conversation: {page}");
    let answering = c
        .execute("return document.querySelector('#reply-to option:checked').textContent", vec![])
        .await
        .unwrap();
    assert!(answering.as_str().unwrap_or_default().contains("Léa Rousseau"), "{answering}");
    active.send_keys("Bonjour, nous sommes désolés : nous vous écrivons en privé.").await.unwrap();
    click(&c, "#reply-form button[type=submit]").await;
    let notice = c.wait().for_element(Locator::Css(".conversation .banner-ok")).await.unwrap();
    assert!(notice.text().await.unwrap().contains("Reply sent"));
    let apology = t
        .app
        .posts(&Actor::Operator, ws, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.text.starts_with("Bonjour, nous sommes désolés"))
        .expect("the apology is written");
    assert_eq!(
        apology.reply_ref.as_deref(),
        Some(trial.as_str()),
        "the apology lands under the customer's latest message, not under the troll's newer one"
    );
    shot(&c, "en-1440-inbox-conversation").await;
    // e closes it.
    c.find(Locator::Css("body")).await.unwrap().send_keys("e").await.unwrap();
    let mut closed = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if text(&c).await.contains("Conversation marked “Closed”") {
            closed = true;
            break;
        }
    }
    assert!(closed, "e closes the conversation");
    assert_eq!(
        t.app.posts(&Actor::Operator, ws, 10).await.unwrap().len(),
        2,
        "the brand's post and one reply were written"
    );
    // Choosing the message to answer, from the keyboard: "Answer this message" on her first one.
    let lea_first_id = lea_first;
    let pick = c.find(Locator::Css(&format!("[data-answer-item='{lea_first_id}']"))).await.unwrap();
    pick.send_keys("\u{E007}").await.unwrap();
    let chosen = c.execute("return document.querySelector('#reply-to').value", vec![]).await.unwrap();
    assert_eq!(chosen.as_str(), Some(lea_first_id.to_string().as_str()), "Enter on the button chooses it");
    let active = c.active_element().await.unwrap();
    assert_eq!(
        active.attr("id").await.unwrap().as_deref(),
        Some("reply-text"),
        "and the reply box has the focus"
    );
    assert!(
        c.find(Locator::Css(&format!("#item-{lea_first_id}.item-target"))).await.is_ok(),
        "the message answered is marked"
    );
    active.send_keys("Pour l'abat-jour : un nouveau part aujourd'hui.").await.unwrap();
    shot(&c, "en-1440-inbox-answer-choice").await;
    click(&c, "#reply-form button[type=submit]").await;
    let mut second = None;
    for _ in 0..100 {
        second = t
            .app
            .posts(&Actor::Operator, ws, 10)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.text == "Pour l'abat-jour : un nouveau part aujourd'hui.");
        if second.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let second = second.expect("the second reply is written");
    assert_eq!(
        second.reply_ref.as_deref(),
        Some("at://did:plc:lea/app.bsky.feed.post/lea1"),
        "under the message chosen"
    );
    // Density: at 1440 × 900, twelve conversations or more are in sight.
    let chrome = c.execute("return window.outerHeight - window.innerHeight", vec![]).await.unwrap();
    c.set_window_size(WIDE.0, 900 + chrome.as_u64().unwrap_or_default() as u32).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/inbox?status=all"))).await.unwrap();
    let seen = c
        .execute(
            "return Array.from(document.querySelectorAll('[data-row]')).filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length",
            vec![],
        )
        .await
        .unwrap();
    let height = c.execute("return window.innerHeight", vec![]).await.unwrap();
    assert_eq!(height.as_i64(), Some(900));
    assert!(seen.as_i64().unwrap_or_default() >= 12, "{seen} conversations in sight at 1440 × 900");
    shot(&c, "en-1440-inbox-900").await;
    // At 390 px: the list alone, then the conversation alone with a way back.
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/inbox"))).await.unwrap();
    assert_inbox_fits(&c, "en-390-inbox").await;
    shot(&c, "en-390-inbox").await;
    c.find(Locator::Css("[data-row-link]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("[data-conversation]")).await.unwrap();
    assert_inbox_fits(&c, "en-390-inbox-conversation").await;
    shot(&c, "en-390-inbox-conversation").await;

    // Moderation: a rule tried on what came in before it is switched on.
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/moderation"))).await.unwrap();
    fill(&c, "#mr-name", "Livraisons").await;
    fill(&c, "#mr-words", "livraison, déçue").await;
    submit(&c, "button[name=op][value=dry]").await;
    let page = text(&c).await;
    assert!(
        page.contains("Alice Martin") || page.contains("alice.test"),
        "the dry run lists what it would hit: {page}"
    );
    shot(&c, "en-1440-moderation-dry-run").await;
    // The person behind a conversation, and the feedback report.
    let list = t
        .app
        .inbox(&Actor::Operator, ws, &tutti_app::store::inbox::Filter::default(), None, 50)
        .await
        .unwrap();
    let alice = list.iter().find(|c| c.person_name == "Alice Martin").and_then(|c| c.person_id).unwrap();
    c.goto(&t.url(&format!("/w/{ws}/people/{alice}"))).await.unwrap();
    assert!(text(&c).await.contains("Alice Martin"));
    shot(&c, "en-1440-person").await;
    c.goto(&t.url(&format!("/w/{ws}/feedback"))).await.unwrap();
    shot(&c, "en-1440-feedback").await;

    // In French.
    c.goto(&t.url("/settings")).await.unwrap();
    c.find(Locator::Css("#s-locale option[value=fr]")).await.unwrap().click().await.unwrap();
    submit(&c, "form[action='/settings'] button[type=submit]").await;
    c.goto(&t.url(&format!("/w/{ws}/inbox?status=all"))).await.unwrap();
    assert!(text(&c).await.contains("Boîte de réception"));
    shot(&c, "fr-1440-inbox").await;
    // A conversation in French, with the feedback category to confirm.
    let alice_conversation = list.iter().find(|c| c.person_name == "Alice Martin").unwrap().id;
    c.goto(&t.url(&format!("/w/{ws}/inbox/{alice_conversation}"))).await.unwrap();
    let page = text(&c).await;
    assert!(
        page.contains("En réponse à") && page.contains("modifier"),
        "the reply box and the category speak French"
    );
    shot(&c, "fr-1440-inbox-conversation").await;
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/inbox?status=all"))).await.unwrap();
    assert_inbox_fits(&c, "fr-390-inbox").await;
    shot(&c, "fr-390-inbox").await;
    c.goto(&t.url(&format!("/w/{ws}/inbox/{alice_conversation}"))).await.unwrap();
    assert!(text(&c).await.contains("Toutes les conversations"), "the way back to the list");
    assert_inbox_fits(&c, "fr-390-inbox-conversation").await;
    shot(&c, "fr-390-inbox-conversation").await;
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    // A person in French: the sentiment by month fits its card.
    c.goto(&t.url(&format!("/w/{ws}/people/{alice}"))).await.unwrap();
    assert!(text(&c).await.contains("Mois"), "the person page speaks French");
    shot(&c, "fr-1440-person").await;
    c.close().await.unwrap();
}

// Inbox per person (browser test helpers).

/// The trial's scenario, stored as the inbox reader stores notifications: the brand's post
/// (published through Tutti), Léa's two messages and Bruno's under it, then a troll's, the
/// newest; and twelve mentions, so that the list fills a screen. Returns the brand post's
/// text, the network id of Léa's latest message and the id of her first item.
async fn inbox_trial(t: &common::TestApp, ws: i64, ch: i64, now: i64) -> (&'static str, String, i64) {
    use tutti_app::inbox::{item_of, Incoming};
    let brand = "at://did:plc:maison/app.bsky.feed.post/aube";
    let text = "Notre lampe Aube est arrivée : lumière chaude, variateur tactile.";
    let p = tutti_app::publishing::PostToWrite {
        channel: "maison.test".into(),
        text: text.into(),
        ..Default::default()
    };
    let post = t.app.create_post(&tutti_app::Actor::Operator, common::WS, &p, now).await.unwrap();
    sqlx::query("UPDATE posts SET status = 'published', remote_id = $1, published_at = $2 WHERE id = $3")
        .bind(brand)
        .bind(now - 3_600_000)
        .bind(post.id)
        .execute(&mut *t.app.store().conn().await.unwrap())
        .await
        .unwrap();
    let under = |id: &str, author: &str, name: &str, text: &str, minutes: i64| Incoming {
        remote_id: id.into(),
        kind: "reply".into(),
        author_id: format!("did:plc:{author}"),
        author_handle: format!("{author}.test"),
        author_name: name.into(),
        text: text.into(),
        post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), Some(format!("cid-{id}")))),
        parent: Some(brand.into()),
        root: Some(brand.into()),
        at: now - minutes * 60_000,
        ..Default::default()
    };
    let mut notes = vec![
        under(
            "lea1",
            "lea",
            "Léa Rousseau",
            "Ma lampe Aube est arrivée avec l'abat-jour fendu. Très déçue.",
            50,
        ),
        under("bruno1", "bruno", "Bruno Petit", "Toujours pas reçu ma commande, c'est long.", 45),
        under(
            "lea2",
            "lea",
            "Léa Rousseau",
            "Photo envoyée au service client hier, toujours aucune réponse.",
            40,
        ),
        under("troll1", "troll", "xXtrollXx", "LOL des nuls, arnaque, boycott !!!", 35),
    ];
    let texts = [
        "Quelqu'un a essayé la lampe Aube de @maison.test ? Elle a l'air superbe",
        "@maison.test livraison rapide, merci, j'adore",
        "@maison.test le variateur grésille, c'est normal ?",
        "Hésite entre Aube et Lune chez @maison.test, des avis ?",
    ];
    for k in 0..12 {
        let author = format!("fan{k:02}");
        notes.push(Incoming {
            remote_id: format!("m{k}"),
            kind: "mention".into(),
            author_id: format!("did:plc:{author}"),
            author_handle: format!("{author}.test"),
            author_name: format!("Fan {k}"),
            text: texts[k % texts.len()].into(),
            post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/m{k}"), None)),
            at: now - 5 * 3_600_000 - k as i64 * 60_000,
            ..Default::default()
        });
    }
    let items: Vec<_> = notes.iter().map(|n| item_of(ws, ch, "bluesky", n)).collect();
    let mut tx = t.app.store().begin().await.unwrap();
    tutti_app::inbox::ingest_batch(&mut tx, &items).await.unwrap();
    tx.commit().await.unwrap();
    let list =
        t.app.inbox(&tutti_app::Actor::Operator, common::WS, &Default::default(), None, 50).await.unwrap();
    let lea = list.iter().find(|c| c.author_id == "did:plc:lea").unwrap();
    let first = t.app.conversation(&tutti_app::Actor::Operator, common::WS, lea.id).await.unwrap().1[0].id;
    (text, "at://did:plc:lea/app.bsky.feed.post/lea2".into(), first)
}

/// The inbox at a narrow width: no sideways scrolling, and the list or the conversation, never
/// both.
async fn assert_inbox_fits(c: &Client, page: &str) {
    let v = c
        .execute(
            "const shown = s => { const e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none'; }; \
             return [document.documentElement.scrollWidth, window.innerWidth, shown('.inbox-side'), shown('.inbox-main'), \
             Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className).slice(0, 8)]",
            vec![],
        )
        .await
        .unwrap();
    let (width, viewport) = (v[0].as_i64().unwrap(), v[1].as_i64().unwrap());
    assert!(width <= viewport, "{page}: the document is {width} px wide in {viewport} px: {}", v[4]);
    assert!(
        v[2] != v[3],
        "{page}: the list or the conversation, never both (list {}, conversation {})",
        v[2],
        v[3]
    );
}
