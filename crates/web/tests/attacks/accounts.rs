//! Attacks on accounts: invitations, sign-in limits, redirects after sign-in, tokens, sessions,
//! and the second factor that stands behind a stolen password.

use std::time::Duration;

use reqwest::header::{COOKIE, HOST, LOCATION, RETRY_AFTER};
use reqwest::{Method, Response};
use serde_json::{json, Value};
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, AppConfig, Clock};
use tutti_domain::Role;
use tutti_web::WebConfig;

use crate::common::{csrf_of, seed, spawn, spawn_with, totp, Browser, TestApp, PASSWORD, WS};

/// A server whose sign-in clock the test moves, and which can seal two-factor secrets.
async fn spawn_clocked(db: tutti_test_support::TestDb, web: WebConfig) -> (TestApp, Clock) {
    let clock = Clock::default();
    let config = AppConfig {
        clock: clock.clone(),
        keys: Some(Keyring::generate()),
        ..tutti_test_support::app_config()
    };
    (spawn_with(db, config, web).await, clock)
}

fn location(r: &Response) -> String {
    r.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// A browser that opened the sign-in page (it has the pre-session CSRF pair).
async fn at_login(t: &TestApp) -> Browser {
    let mut b = Browser::default();
    let page = t.get(&mut b, "/login").await.text().await.unwrap();
    b.csrf = csrf_of(&page);
    b
}

/// Posts the sign-in form from a fresh browser.
async fn login(t: &TestApp, email: &str, password: &str, next: &str) -> (Browser, Response) {
    let mut b = at_login(t).await;
    let r = t.post_form(&mut b, "/login", &[("email", email), ("password", password), ("next", next)]).await;
    (b, r)
}

/// Refreshes a signed-in browser's CSRF token from its settings page.
async fn refresh_csrf(t: &TestApp, b: &mut Browser) {
    let page = t.get(b, "/settings").await.text().await.unwrap();
    b.csrf = csrf_of(&page);
}

async fn add_member_api(t: &TestApp, token: &str, ws: &str, email: &str) -> Value {
    let r = t
        .bearer(Method::POST, &format!("/api/v1/workspaces/{ws}/members"), token)
        .json(&json!({"email": email, "role": "cm"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "adding {email} to {ws}");
    r.json().await.unwrap()
}

/// Accepts an invitation through its page; returns the status and the browser.
async fn accept(t: &TestApp, path: &str, password: &str) -> (u16, Browser) {
    let mut b = Browser::default();
    let page = t.get(&mut b, path).await;
    if page.status() != 200 {
        return (page.status().as_u16(), b);
    }
    b.csrf = csrf_of(&page.text().await.unwrap());
    let r = t.post_form(&mut b, path, &[("name", "Someone"), ("password", password)]).await;
    (r.status().as_u16(), b)
}

async fn me_status(t: &TestApp, token: &str) -> u16 {
    t.bearer(Method::GET, "/api/v1/me", token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn invitation_from_another_workspace_cannot_take_over_an_account() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let op = Actor::Operator;
        let smm_a = s.members[&Role::Smm].1.clone();
        // The attacker is the social media manager of another brand on the same instance.
        t.app.create_workspace(&op, "Brand B", "Europe/Paris").await.unwrap();
        t.app.add_user(&op, "attacker@b.test", "At Tacker", PASSWORD, false).await.unwrap();
        t.app.add_member(&op, "brand-b", "attacker@b.test", "smm").await.unwrap();
        let attacker = t.app.create_token(&op, "attacker@b.test", "x").await.unwrap().secret;

        // Workspace A invites a person who has not chosen a password yet.
        let invited = add_member_api(&t, &smm_a, WS, "victim@acme.test").await;
        let link_a = invited["invitation_path"].as_str().expect("a link for A").to_owned();
        // B adds the same person: they join B, but B gets no link that would set their password.
        let added = add_member_api(&t, &attacker, "brand-b", "victim@acme.test").await;
        assert_eq!(added["invitation_path"], Value::Null, "[{label}] B must not get a link to A's invitee");
        // Through the team page too: no link, a notice instead.
        add_member_api(&t, &smm_a, WS, "victim2@acme.test").await;
        let mut b = t.sign_in("attacker@b.test", PASSWORD).await;
        let page = t
            .post_form(&mut b, "/w/brand-b/team", &[("email", "victim2@acme.test"), ("role", "cm")])
            .await
            .text()
            .await
            .unwrap();
        assert!(!page.contains("/invite/"), "[{label}] the team page shows no link");
        assert!(page.contains("victim2@acme.test joined the team"), "[{label}] the notice says why");

        // The person accepts A's invitation; it works once.
        let (status, mut victim) = accept(&t, &link_a, "victim's own password").await;
        assert_eq!(status, 303, "[{label}] the invitation is accepted");
        assert_eq!(accept(&t, &link_a, "attacker's password").await.0, 404, "[{label}] not twice");
        assert_eq!(t.get(&mut victim, "/settings").await.status(), 200, "[{label}] the session works");
        assert_eq!(login(&t, "victim@acme.test", "victim's own password", "/").await.1.status(), 303);

        // Two live links for one account (an instance admin may issue them in two workspaces):
        // once a password is set, the other link can no longer reset it.
        t.app.create_workspace(&op, "Brand C", "Europe/Paris").await.unwrap();
        let first = add_member_api(&t, &s.root.1, WS, "v2@acme.test").await;
        let second = add_member_api(&t, &s.root.1, "brand-c", "v2@acme.test").await;
        let first = first["invitation_path"].as_str().unwrap().to_owned();
        let second = second["invitation_path"].as_str().expect("an admin of every workspace may").to_owned();
        let (status, mut v2) = accept(&t, &first, "v2's own password!").await;
        assert_eq!(status, 303);
        assert_eq!(accept(&t, &second, "attacker's password").await.0, 404, "[{label}] the other link died");
        assert_eq!(t.get(&mut v2, "/settings").await.status(), 200, "[{label}] v2's session survives");
        assert_eq!(login(&t, "v2@acme.test", "v2's own password!", "/").await.1.status(), 303);
        assert_eq!(login(&t, "v2@acme.test", "attacker's password", "/").await.1.status(), 401);

        // Whatever was issued before the person chose a password ends when they accept.
        let third = add_member_api(&t, &smm_a, WS, "v3@acme.test").await;
        let third = third["invitation_path"].as_str().unwrap().to_owned();
        let early = t.app.create_token(&op, "v3@acme.test", "made before").await.unwrap().secret;
        assert_eq!(me_status(&t, &early).await, 200);
        assert_eq!(accept(&t, &third, "v3's own password!").await.0, 303);
        assert_eq!(me_status(&t, &early).await, 401, "[{label}] tokens made before acceptance are revoked");
    }
}

#[tokio::test]
async fn parallel_wrong_passwords_cannot_exceed_the_sign_in_limit() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (t, clock) = spawn_clocked(db, WebConfig::default()).await;
        seed(&t.app).await;
        let limit = tutti_test_support::app_config().max_failures_per_email as usize;
        let b = at_login(&t).await;
        let attempts = (0..60).map(|i| {
            let mut b = b.clone();
            let t = &t;
            async move {
                let password = format!("wrong password {i}");
                let fields = [("email", "cm@acme.test"), ("password", password.as_str()), ("next", "/")];
                t.post_form(&mut b, "/login", &fields).await.status().as_u16()
            }
        });
        let statuses = futures_util::future::join_all(attempts).await;
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let held = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!(
            (checked, held),
            (limit, 60 - limit),
            "[{label}] exactly the limit reaches the password check"
        );

        // The right password waits too, but only for a delay, not a lockout.
        let (_, r) = login(&t, "cm@acme.test", PASSWORD, "/").await;
        assert_eq!(r.status(), 429, "[{label}] during the delay");
        let first_wait: i64 = r.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((1..=10).contains(&first_wait), "[{label}] first delay {first_wait} s");
        clock.advance(first_wait * 1000);
        assert_eq!(login(&t, "cm@acme.test", "wrong again", "/").await.1.status(), 401);
        let (_, r) = login(&t, "cm@acme.test", PASSWORD, "/").await;
        assert_eq!(r.status(), 429);
        let second_wait: i64 = r.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!(
            second_wait > first_wait && second_wait <= 2 * 10,
            "[{label}] the delay doubles: {second_wait} s"
        );
        clock.advance(second_wait * 1000);
        let (_, r) = login(&t, "cm@acme.test", PASSWORD, "/").await;
        assert_eq!(r.status(), 303, "[{label}] the right password signs in after the delay");
        // A success forgets the failures: the next mistake is not delayed.
        assert_eq!(login(&t, "cm@acme.test", "one typo", "/").await.1.status(), 401);
    }
}

/// Four wrong sign-ins for four e-mails, each claiming to come from another address (or all
/// from the same one); the statuses.
async fn wrong_sign_ins_forwarded_for(t: &TestApp, same: bool) -> Vec<u16> {
    let mut out = Vec::new();
    for i in 0..4 {
        let b = at_login(t).await;
        let email = format!("nobody{i}@acme.test");
        let xff =
            if same { "198.51.100.7".to_owned() } else { format!("203.0.113.9, 198.51.100.{}", 10 + i) };
        let r = t
            .client
            .post(t.url("/login"))
            .header(COOKIE, b.cookie_header())
            .header("x-forwarded-for", xff)
            .form(&[("csrf", b.csrf.as_str()), ("email", &email), ("password", "wrong"), ("next", "/")])
            .send()
            .await
            .unwrap();
        out.push(r.status().as_u16());
    }
    out
}

#[tokio::test]
async fn forged_forwarded_for_does_not_escape_the_client_limit() {
    let config = AppConfig {
        max_failures_per_client: 3,
        max_failures_per_email: 100,
        ..tutti_test_support::app_config()
    };
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        // Not behind a trusted proxy: the header is the client's own claim and is ignored.
        let t = spawn_with(db, config.clone(), WebConfig::default()).await;
        assert_eq!(wrong_sign_ins_forwarded_for(&t, false).await, [401, 401, 401, 429], "[{label}]");
    }
    // Behind a trusted proxy (here, the test itself): each forwarded client has its own count.
    let proxies = vec![tutti_web::parse_trusted_proxy("127.0.0.1").unwrap(), "::1/128".parse().unwrap()];
    let web = WebConfig { trusted_proxies: proxies, ..WebConfig::default() };
    let t = spawn_with(tutti_test_support::sqlite(), config, web).await;
    assert_eq!(wrong_sign_ins_forwarded_for(&t, false).await, [401, 401, 401, 401], "clients told apart");
    assert_eq!(
        wrong_sign_ins_forwarded_for(&t, true).await,
        [401, 401, 401, 429],
        "one client is one client"
    );
}

#[tokio::test]
async fn open_redirect_after_sign_in_goes_home_instead() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        // As typed in a link: percent-encoded in the query string.
        let raw = [
            "//evil.example",
            "/%2Fevil.example",
            "%2F%2Fevil.example",
            "/%5Cevil.example",
            "%5C%5Cevil.example",
            "/%5C/evil.example",
            "/%09/evil.example",
            "/%0A/evil.example",
            "/%0D%0A/evil.example",
            "/%20/evil.example",
            "/%00/evil.example",
            "/%C2%A0/evil.example",
            "/%E2%80%A8/evil.example",
            "https://evil.example",
            "https:evil.example",
            "javascript:alert(1)",
            "evil.example",
        ];
        let mut b = t.sign_in("cm@acme.test", PASSWORD).await;
        for next in raw {
            let r = t.get(&mut b, &format!("/login?next={next}")).await;
            assert_eq!((r.status().as_u16(), location(&r)), (303, "/".into()), "[{label}] GET next={next}");
        }
        let mut anonymous = Browser::default();
        let page = t.get(&mut anonymous, "/login?next=/%09/evil.example").await.text().await.unwrap();
        assert!(!page.contains("evil.example"), "[{label}] the form does not carry the evil target");
        // As posted by a forged form: the decoded values.
        for next in [
            "/\t/evil.example",
            "/\\evil.example",
            "//evil.example",
            "/\r\n/evil.example",
            "https://evil.example",
        ] {
            let (_, r) = login(&t, "cm@acme.test", PASSWORD, next).await;
            assert_eq!(
                (r.status().as_u16(), location(&r)),
                (303, "/".into()),
                "[{label}] POST next={next:?}"
            );
        }
        let (_, r) = login(&t, "cm@acme.test", PASSWORD, "/w/acme-studio/inbox?view=mine").await;
        assert_eq!(location(&r), "/w/acme-studio/inbox?view=mine", "[{label}] a local path is kept");
    }
}

#[tokio::test]
async fn api_tokens_cannot_manage_tokens_or_credentials() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let token = &s.members[&Role::Cm].1;
        for (method, path) in [
            (Method::GET, "/settings"),
            (Method::POST, "/settings/tokens"),
            (Method::POST, "/settings/tokens/1/revoke"),
            (Method::POST, "/settings/password"),
            (Method::GET, "/settings/two-factor"),
            (Method::POST, "/settings/two-factor/start"),
            (Method::POST, "/settings/two-factor/disable"),
        ] {
            let r = t
                .bearer(method.clone(), path, token)
                .form(&[
                    ("token_name", "minted"),
                    ("current_password", PASSWORD),
                    ("new_password", "x".repeat(12).as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403, "[{label}] {method} {path} with an API token");
        }
        let tokens = t.app.list_tokens(&t.app.user_by_email("cm@acme.test").await.unwrap()).await.unwrap();
        assert_eq!(tokens.len(), 1, "[{label}] no token was minted");
        // The browser session still manages tokens.
        let mut b = t.sign_in("cm@acme.test", PASSWORD).await;
        let r = t.post_form(&mut b, "/settings/tokens", &[("token_name", "script")]).await;
        assert_eq!(r.status(), 200, "[{label}] a session creates tokens");
    }
}

#[tokio::test]
async fn a_password_change_revokes_api_tokens_and_other_sessions() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let token = s.members[&Role::Cm].1.clone();
        let mut here = t.sign_in("cm@acme.test", PASSWORD).await;
        let mut elsewhere = t.sign_in("cm@acme.test", PASSWORD).await;
        assert_eq!(me_status(&t, &token).await, 200);
        let page = t.get(&mut here, "/settings").await.text().await.unwrap();
        assert!(page.contains("revokes all your API tokens"), "[{label}] the form says so");
        let r = t
            .post_form(
                &mut here,
                "/settings/password",
                &[("current_password", PASSWORD), ("new_password", "a brand new passphrase")],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("API tokens revoked"), "[{label}] and confirms it");
        assert_eq!(me_status(&t, &token).await, 401, "[{label}] the API token is revoked");
        assert_eq!(t.get(&mut elsewhere, "/settings").await.status(), 303, "[{label}] other sessions end");
        assert_eq!(t.get(&mut here, "/settings").await.status(), 200, "[{label}] this one stays");
    }
}

#[tokio::test]
async fn inbox_event_stream_ends_after_sign_out() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let mut b = t.sign_in("cm@acme.test", PASSWORD).await;
        let mut stream = t
            .client
            .get(t.url(&format!("/w/{WS}/inbox/events")))
            .header(COOKIE, b.cookie_header())
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), 200);
        let r = t.post_form(&mut b, "/logout", &[]).await;
        assert_eq!(r.status(), 303);
        let ended = tokio::time::timeout(Duration::from_secs(30), async {
            while stream.chunk().await.unwrap_or(None).is_some() {}
        })
        .await;
        assert!(ended.is_ok(), "[{label}] the stream ends once the session is gone");
    }
}

#[tokio::test]
async fn invitation_link_ignores_a_forged_host_header() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let web = WebConfig { public_url: "https://tutti.example/".into(), ..WebConfig::default() };
        let t = spawn_with(db, tutti_test_support::app_config(), web).await;
        seed(&t.app).await;
        let b = t.sign_in("smm@acme.test", PASSWORD).await;
        let page = t
            .client
            .post(t.url(&format!("/w/{WS}/team")))
            .header(HOST, "evil.example")
            .header(COOKIE, b.cookie_header())
            .form(&[("csrf", b.csrf.as_str()), ("email", "new@acme.test"), ("role", "cm")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("value=\"https://tutti.example/invite/"),
            "[{label}] the link uses --public-url"
        );
        assert!(!page.contains("evil.example"), "[{label}] never the Host header");
    }
}

#[test]
fn the_test_totp_matches_rfc_6238() {
    // Appendix B: secret "12345678901234567890"; the six last digits of the eight-digit codes.
    let secret = data_encoding::BASE32_NOPAD.encode(b"12345678901234567890");
    for (seconds, code) in
        [(59_i64, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")]
    {
        assert_eq!(totp(&secret, seconds * 1000), code);
    }
}

/// The value of the read-only input `id` of a page.
fn input_value(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}"));
    let start = html[..at].rfind("value=\"").unwrap() + 7;
    html[start..].split('"').next().unwrap().replace("&#x2f;", "/").replace("&amp;", "&")
}

/// Turns two-factor sign-in on for a signed-in browser; returns the secret and the recovery codes.
async fn enrol(t: &TestApp, b: &mut Browser, clock: &Clock) -> (String, Vec<String>) {
    let r = t.post_form(b, "/settings/two-factor/start", &[]).await;
    assert_eq!(r.status(), 303);
    let page = t.get(b, "/settings/two-factor").await.text().await.unwrap();
    let secret = input_value(&page, "totp-secret");
    let uri = input_value(&page, "totp-uri");
    assert!(uri.starts_with("otpauth://totp/Tutti:") && uri.contains(&format!("secret={secret}")), "{uri}");
    let r = t.post_form(b, "/settings/two-factor/confirm", &[("code", "000000")]).await;
    assert_eq!(r.status(), 422, "a wrong first code is refused");
    let code = totp(&secret, clock.now_ms());
    let page = t.post_form(b, "/settings/two-factor/confirm", &[("code", &code)]).await.text().await.unwrap();
    let list =
        page.split("recovery-codes\">").nth(1).expect("recovery codes shown").split("</ul>").next().unwrap();
    let codes: Vec<String> =
        list.split("<li>").skip(1).map(|c| c.split("</li>").next().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10);
    // The next code comes from a later time step: a code is accepted once.
    clock.advance(30_000);
    (secret, codes)
}

/// Signs in with a password, then answers the second step with `code`.
async fn login_with_code(t: &TestApp, email: &str, code: &str) -> (Browser, Response) {
    let (mut b, r) = login(t, email, PASSWORD, "/settings").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/login/two-factor"), "the password alone is not enough");
    assert!(!b.cookies.contains_key("tutti_session"), "no session before the code");
    let page = t.get(&mut b, &location(&r)).await.text().await.unwrap();
    b.csrf = csrf_of(&page);
    let r = t.post_form(&mut b, "/login/two-factor", &[("code", code), ("next", "/settings")]).await;
    (b, r)
}

#[tokio::test]
async fn a_stolen_password_is_not_enough_with_two_factor_sign_in() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (t, clock) = spawn_clocked(db, WebConfig::default()).await;
        seed(&t.app).await;
        let mut b = t.sign_in("cm@acme.test", PASSWORD).await;
        let (secret, recovery) = enrol(&t, &mut b, &clock).await;

        let (_, r) = login_with_code(&t, "cm@acme.test", "123456").await;
        assert_eq!(r.status(), 401, "[{label}] a wrong code is refused");
        let code = totp(&secret, clock.now_ms());
        let (mut b, r) = login_with_code(&t, "cm@acme.test", &code).await;
        assert_eq!(
            (r.status().as_u16(), location(&r)),
            (303, "/settings".into()),
            "[{label}] the right code"
        );
        assert!(!b.cookies.contains_key("tutti_2fa"), "[{label}] the challenge is cleared");
        assert_eq!(t.get(&mut b, "/settings").await.status(), 200, "[{label}] signed in");
        let (_, r) = login_with_code(&t, "cm@acme.test", &code).await;
        assert_eq!(r.status(), 401, "[{label}] the same code does not work twice");

        // A recovery code works once.
        let (_, r) = login_with_code(&t, "cm@acme.test", &recovery[0].to_uppercase()).await;
        assert_eq!(r.status(), 303, "[{label}] a recovery code signs in");
        let (_, r) = login_with_code(&t, "cm@acme.test", &recovery[0]).await;
        assert_eq!(r.status(), 401, "[{label}] but only once");
        // Without the challenge cookie the second step leads back to the password.
        let mut bare = at_login(&t).await;
        let r = t.post_form(&mut bare, "/login/two-factor", &[("code", &recovery[1])]).await;
        assert_eq!(location(&r), "/login", "[{label}] no challenge, no session");
        assert!(!bare.cookies.contains_key("tutti_session"));

        // Turning it off takes a code.
        refresh_csrf(&t, &mut b).await;
        let r = t.post_form(&mut b, "/settings/two-factor/disable", &[("code", "999999")]).await;
        assert_eq!(r.status(), 422, "[{label}] not without a right code");
        let r = t.post_form(&mut b, "/settings/two-factor/disable", &[("code", &recovery[2])]).await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            login(&t, "cm@acme.test", PASSWORD, "/").await.1.status(),
            303,
            "[{label}] password alone again"
        );
    }
}

#[tokio::test]
async fn a_workspace_that_requires_two_factor_sign_in_forces_enrolment() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (t, clock) = spawn_clocked(db, WebConfig::default()).await;
        let s = seed(&t.app).await;
        let mut admin = t.sign_in("admin@acme.test", PASSWORD).await;
        let path = format!("/w/{WS}/team/two-factor");
        let r = t.post_form(&mut admin, &path, &[("required", "1")]).await;
        assert_eq!(r.status(), 422, "[{label}] not before the admin has it");
        enrol(&t, &mut admin, &clock).await;
        refresh_csrf(&t, &mut admin).await;
        let r = t.post_form(&mut admin, &path, &[("required", "1")]).await;
        assert_eq!(r.status(), 303, "[{label}] required");

        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let r = t.get(&mut cm, &format!("/w/{WS}/inbox")).await;
        assert_eq!(location(&r), "/settings/two-factor?required=1", "[{label}] a page leads to enrolment");
        let r = t.bearer(Method::GET, &format!("/api/v1/workspaces/{WS}/members"), &s.members[&Role::Cm].1);
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 403, "[{label}] the API refuses");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "two_factor_required");
        let page = t.get(&mut cm, "/settings/two-factor?required=1").await.text().await.unwrap();
        assert!(page.contains("requires two-factor sign-in"), "[{label}] the page says why");
        enrol(&t, &mut cm, &clock).await;
        assert_eq!(t.get(&mut cm, &format!("/w/{WS}/inbox")).await.status(), 200, "[{label}] enrolled");
    }
}
