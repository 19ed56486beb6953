//! Attacks on the HTTP surface: headers, operations endpoints, files and secrets at rest.

use reqwest::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
};
use tutti_web::WebConfig;

use crate::common::{spawn, spawn_with, PASSWORD};

/// A page that an attacker frames, or into which a missed escape injects a script, runs
/// nothing: the policy allows only Tutti's own files and no framing.
#[tokio::test]
async fn injected_script_and_framing_are_refused_by_the_content_security_policy() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        for path in ["/login", "/healthz", "/static/app.js", "/no-such-page"] {
            let r = t.client.get(t.url(path)).send().await.unwrap();
            let h = r.headers();
            let csp =
                h.get(CONTENT_SECURITY_POLICY).unwrap_or_else(|| panic!("{path}: no CSP")).to_str().unwrap();
            for directive in
                ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]
            {
                assert!(csp.contains(directive), "{path}: {csp}");
            }
            assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
            assert_eq!(h[X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
            assert_eq!(h[REFERRER_POLICY], "same-origin", "{path}");
            assert!(h.get(STRICT_TRANSPORT_SECURITY).is_none(), "{path}: HSTS over plain HTTP");
        }
    }
}

#[tokio::test]
async fn a_downgrade_to_plain_http_is_refused_by_hsts_when_tutti_is_served_over_https() {
    let t = spawn_with(
        tutti_test_support::sqlite(),
        tutti_test_support::app_config(),
        WebConfig { hsts: true, ..Default::default() },
    )
    .await;
    let r = t.client.get(t.url("/login")).send().await.unwrap();
    let hsts = r.headers()[STRICT_TRANSPORT_SECURITY].to_str().unwrap();
    assert!(hsts.starts_with("max-age=") && hsts.contains("includeSubDomains"), "{hsts}");
}

/// htmx is configured never to evaluate code from attributes, and no page carries script in
/// an attribute, a `javascript:` link, an inline script or an inline style for the policy to
/// refuse (a page that needs one would break under the policy).
#[test]
fn no_template_carries_inline_script_or_style() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let base = std::fs::read_to_string(dir.join("base.html")).unwrap();
    assert!(base.contains(r#""allowEval":false"#), "htmx may evaluate code");
    let event_handler = regex_lite_on_attribute();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let html = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let lower = html.to_lowercase();
        for forbidden in
            ["javascript:", "hx-on", "hx-vals='js:", "hx-vals=\"js:", " style=\"", " style='", "<style"]
        {
            assert!(!lower.contains(forbidden), "{name} contains {forbidden}");
        }
        let mut rest = lower.as_str();
        while let Some(at) = rest.find("<script") {
            let tag_end = rest[at..].find('>').map(|e| at + e).unwrap_or(rest.len());
            assert!(rest[at..tag_end].contains(" src="), "{name} has an inline script");
            rest = &rest[tag_end..];
        }
        assert!(!event_handler(&lower), "{name} has an inline event handler");
    }
}

/// True when an HTML text has an `on…=` attribute (onclick, onload, …).
fn regex_lite_on_attribute() -> impl Fn(&str) -> bool {
    |html: &str| {
        let bytes = html.as_bytes();
        html.match_indices(" on").any(|(i, _)| {
            let name: String =
                bytes[i + 1..].iter().take_while(|b| b.is_ascii_alphabetic()).map(|&b| b as char).collect();
            name.len() > 2 && bytes.get(i + 1 + name.len()) == Some(&b'=')
        })
    }
}

/// Metrics tell an outsider the routes, the traffic and the database pool: they are served
/// only with the operator's token.
#[tokio::test]
async fn metrics_are_not_served_to_anyone_without_the_operator_token() {
    for db in tutti_test_support::every_backend().await {
        let open = spawn(db).await;
        assert_eq!(open.client.get(open.url("/metrics")).send().await.unwrap().status(), 404);
        drop(open);
    }
    let config = WebConfig { metrics_token: Some("s3cret-scraper".into()), ..Default::default() };
    let t = spawn_with(tutti_test_support::sqlite(), tutti_test_support::app_config(), config).await;
    assert_eq!(t.client.get(t.url("/metrics")).send().await.unwrap().status(), 401);
    let wrong = t
        .client
        .get(t.url("/metrics"))
        .basic_auth("prometheus", Some("s3cret-scrapeR"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // A signed-in person's API token is not the scraper's token either, however it is sent.
    let admin =
        t.app.add_user(&tutti_app::Actor::Operator, "a@acme.test", "A Dmin", PASSWORD, true).await.unwrap();
    let token =
        t.app.create_token(&tutti_app::Actor::User(admin.into()), "a@acme.test", "t").await.unwrap().secret;
    assert_eq!(t.client.get(t.url("/metrics")).bearer_auth(&token).send().await.unwrap().status(), 401);
    let as_password =
        t.client.get(t.url("/metrics")).basic_auth("a@acme.test", Some(&token)).send().await.unwrap();
    assert_eq!(as_password.status(), 401);
    let ok = t
        .client
        .get(t.url("/metrics"))
        .basic_auth("prometheus", Some("s3cret-scraper"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

/// The readiness probe says that the database is down, not why: the error names hosts, users
/// and files.
#[tokio::test]
async fn readiness_probe_does_not_echo_the_database_error() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        t.app.store().close().await;
        let r = t.client.get(t.url("/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(r.text().await.unwrap(), "database unavailable\n");
    }
}

/// Another account on the machine cannot read the database (sessions, sealed credentials, the
/// community's messages) nor list the data directory.
#[cfg(unix)]
#[tokio::test]
async fn database_files_are_not_readable_by_other_accounts() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("tutti.db");
    let store = tutti_store::Store::open(&format!("sqlite://{}", db.display())).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&db), 0o600, "database");
    let wal = data.join("tutti.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600, "write-ahead log");
    }
    store.close().await;

    // A database made world-readable by an earlier version is tightened when it is opened.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = tutti_store::Store::open(&format!("sqlite://{}", db.display())).await.unwrap();
    assert_eq!(mode(&db), 0o600, "database after reopening");
    store.close().await;
}
