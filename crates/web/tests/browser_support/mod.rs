//! The browser harness of the end-to-end suites: a chromedriver on a free port, a headless
//! Chromium session with the flags CI uses, screenshots that also check the Content-Security-
//! Policy refused nothing, and the few actions the tests repeat.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

pub const WIDE: (u32, u32) = (1440, 1000);
pub const NARROW: (u32, u32) = (390, 844);

/// A chromedriver process, stopped when dropped.
pub struct Driver {
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

pub fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Starts chromedriver on a free port, waiting for its "started" line (no sleeps).
pub fn start_driver() -> Option<Driver> {
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

pub async fn open_browser(driver: &Driver) -> Client {
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

pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
    assert_no_policy_violation(c, name).await;
}

/// Chromium's console since the last call: `POST /session/{id}/se/log`, chromedriver's own
/// command (W3C WebDriver has none for the console).
#[derive(Debug)]
pub struct BrowserLog;

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
pub async fn assert_no_policy_violation(c: &Client, page: &str) {
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

pub async fn fill(c: &Client, css: &str, text: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("field {css}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

pub async fn click(c: &Client, css: &str) {
    match c.find(Locator::Css(css)).await {
        Ok(e) => e.click().await.unwrap(),
        Err(_) => {
            shot(c, "failure").await;
            panic!("no element {css} on {}:\n{}", path(c).await, c.source().await.unwrap_or_default());
        }
    }
}

/// Clicks a submit button and waits for the next page to load.
pub async fn submit(c: &Client, css: &str) {
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

pub async fn path(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    format!("{}{}", url.path(), url.query().map(|q| format!("?{q}")).unwrap_or_default())
}

pub async fn text(c: &Client) -> String {
    c.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
}

/// The elements that reach past the right edge of the window, when the document is wider than
/// the window (`None` when it fits): what a person on a phone would have to scroll sideways to.
pub async fn overflow(c: &Client) -> Option<String> {
    let found = c
        .execute(
            "const w = window.innerWidth; \
             if (document.documentElement.scrollWidth <= w) return null; \
             const wide = Array.from(document.querySelectorAll('body *')) \
               .filter(e => e.getBoundingClientRect().right > w + 1) \
               .slice(-6) \
               .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + \
                    (typeof e.className === 'string' && e.className ? '.' + e.className.trim().replace(/\\s+/g, '.') : '') + \
                    ' (' + Math.round(e.getBoundingClientRect().right) + ' px)'); \
             return 'document ' + document.documentElement.scrollWidth + ' px wide in ' + w + ' px: ' + wide.join(', ');",
            vec![],
        )
        .await
        .expect("measure the page");
    found.as_str().map(str::to_owned)
}

/// Signs in through the login page (signing out first when a session is open); where it lands
/// (a page, a second step, an error) is the caller's to check.
pub async fn sign_in(c: &Client, base: &str, email: &str, password: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    if c.find(Locator::Css(".usermenu summary")).await.is_ok() {
        click(c, ".usermenu summary").await;
        submit(c, ".usermenu button[type=submit]").await;
        c.goto(&format!("{base}/login")).await.unwrap();
    }
    fill(c, "#email", email).await;
    fill(c, "#password", password).await;
    submit(c, "button[type=submit]").await;
}

/// At a narrow size the page does not scroll sideways: the document is no wider than the
/// window. On failure, names the elements that stick out.
pub async fn assert_fits(c: &Client, name: &str) {
    if let Some(wide) = overflow(c).await {
        panic!("{name} scrolls sideways: {wide}");
    }
}
