//! Every route × every role: the access rules of the route table hold over HTTP, on every
//! backend. The expected rights are written out here as a table, independently of the policy.

mod common;

use common::{seed, spawn, WS};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::Method;
use tutti_domain::{Action, Role};
use tutti_web::Access;

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    Anonymous,
    Outsider,
    InstanceAdmin,
    Member(Role),
}

/// The rights the product promises, role by role.
fn member_may(action: Action, role: Role) -> bool {
    use Role::*;
    let allowed: &[Role] = match action {
        Action::ViewWorkspace | Action::ViewMembers => &[Admin, Smm, Cm, Analyst, Contributor, Product],
        Action::ManageTeam | Action::ViewAudit => &[Admin, Smm],
        Action::ManageAdmins | Action::ManageWorkspace => &[Admin],
        Action::ViewListening => &[Admin, Smm, Cm, Analyst, Product],
        Action::ManageListening => &[Admin, Smm, Cm],
        Action::ManageAlerting | Action::ManageCrisis => &[Admin, Smm],
        Action::ManageChannels | Action::ApprovePosts => &[Admin, Smm],
        Action::WritePosts => &[Admin, Smm, Cm, Contributor],
        Action::PublishWithoutReview | Action::HandleInbox => &[Admin, Smm, Cm],
        Action::ManageModeration | Action::ManageCommunity | Action::ManageFeedback => &[Admin, Smm, Cm],
        Action::ViewInbox | Action::ViewCommunity => &[Admin, Smm, Cm, Analyst],
        Action::ViewFeedback => &[Admin, Smm, Cm, Analyst, Product],
        Action::ViewAnalytics => &[Admin, Smm, Cm, Analyst, Product],
        Action::CollectAnalytics => &[Admin, Smm],
        Action::CreateWorkspace | Action::ManageUsers => &[],
    };
    allowed.contains(&role)
}

/// How a caller proves who they are.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Credential {
    /// An API token (`Authorization: Bearer`), or nothing for anonymous callers.
    Bearer,
    /// A browser's session cookie with its CSRF token.
    Cookie,
}

fn allowed(access: Access, caller: Caller, credential: Credential) -> bool {
    match (access, caller) {
        (Access::Public, _) => true,
        (_, Caller::Anonymous) => false,
        (Access::SignedIn, _) => true,
        // Credentials (password, tokens, two-factor) are managed from a browser session only:
        // a stolen API token cannot mint tokens or change the password.
        (Access::Session, _) => credential == Credential::Cookie,
        (_, Caller::InstanceAdmin) => true,
        (Access::Instance(_), _) => false,
        (Access::Workspace(_), Caller::Outsider) => false,
        (Access::Workspace(action), Caller::Member(role)) => member_may(action, role),
    }
}

const PUBLIC: Access = Access::Public;
const SIGNED_IN: Access = Access::SignedIn;
const SESSION: Access = Access::Session;
const fn ws(action: Action) -> Access {
    Access::Workspace(action)
}
const fn inst(action: Action) -> Access {
    Access::Instance(action)
}

/// Every route of Tutti and the access it must have, written out here rather than read from
/// the route table under test: a route registered with the wrong action, or as merely signed
/// in, or a route added without a line here, fails `the_route_table_is_the_one_written_here`.
#[rustfmt::skip]
const EXPECTED: &[(&str, &str, Access)] = {
    use Action::*;
    &[
        ("GET", "/healthz", PUBLIC),
        ("GET", "/readyz", PUBLIC),
        ("GET", "/metrics", PUBLIC),
        ("GET", "/static/app.css", PUBLIC),
        ("GET", "/static/htmx.min.js", PUBLIC),
        ("GET", "/static/app.js", PUBLIC),
        ("GET", "/login", PUBLIC),
        ("POST", "/login", PUBLIC),
        ("GET", "/login/two-factor", PUBLIC),
        ("POST", "/login/two-factor", PUBLIC),
        ("POST", "/logout", SIGNED_IN),
        ("GET", "/setup", PUBLIC),
        ("POST", "/setup", PUBLIC),
        ("GET", "/invite/{token}", PUBLIC),
        ("POST", "/invite/{token}", PUBLIC),
        ("GET", "/", SIGNED_IN),
        ("GET", "/workspaces", SIGNED_IN),
        ("POST", "/workspaces", inst(CreateWorkspace)),
        ("GET", "/w/{workspace}", ws(ViewWorkspace)),
        ("POST", "/w/{workspace}/notices/read", ws(ViewWorkspace)),
        ("GET", "/w/{workspace}/notices/events", ws(ViewWorkspace)),
        ("GET", "/w/{workspace}/analytics", ws(ViewAnalytics)),
        ("GET", "/w/{workspace}/analytics/days.csv", ws(ViewAnalytics)),
        ("GET", "/w/{workspace}/analytics/audience.csv", ws(ViewAnalytics)),
        ("GET", "/w/{workspace}/analytics/posts", ws(ViewAnalytics)),
        ("GET", "/w/{workspace}/analytics/posts.csv", ws(ViewAnalytics)),
        ("GET", "/w/{workspace}/analytics/posts/{post}", ws(ViewAnalytics)),
        ("GET", "/w/{workspace}/analytics/team", ws(ViewAnalytics)),
        ("GET", "/w/{workspace}/analytics/team.csv", ws(ViewAnalytics)),
        ("GET", "/w/{workspace}/team", ws(ManageTeam)),
        ("POST", "/w/{workspace}/team", ws(ManageTeam)),
        ("POST", "/w/{workspace}/team/{user}/role", ws(ManageTeam)),
        ("POST", "/w/{workspace}/team/{user}/remove", ws(ManageTeam)),
        ("POST", "/w/{workspace}/team/two-factor", ws(ManageWorkspace)),
        ("GET", "/w/{workspace}/audit", ws(ViewAudit)),
        ("GET", "/w/{workspace}/listening", ws(ViewListening)),
        ("POST", "/w/{workspace}/listening", ws(ManageListening)),
        ("GET", "/w/{workspace}/listening/{query}", ws(ViewListening)),
        ("GET", "/w/{workspace}/listening/{query}/live", ws(ViewListening)),
        ("GET", "/w/{workspace}/listening/{query}/events", ws(ViewListening)),
        ("POST", "/w/{workspace}/listening/{query}/rules", ws(ManageListening)),
        ("POST", "/w/{workspace}/listening/{query}/rules/{rule}/delete", ws(ManageListening)),
        ("GET", "/w/{workspace}/alerts", ws(ViewListening)),
        ("GET", "/w/{workspace}/listening-settings", ws(ManageAlerting)),
        ("POST", "/w/{workspace}/listening-settings", ws(ManageAlerting)),
        ("POST", "/w/{workspace}/crisis", ws(ManageCrisis)),
        // Start of the day: search, alert acknowledgement, the crisis switch's confirmation.
        ("GET", "/w/{workspace}/search", ws(ViewWorkspace)),
        ("POST", "/w/{workspace}/alerts/{alert}/acknowledge", ws(ManageListening)),
        ("GET", "/w/{workspace}/crisis", ws(ManageCrisis)),
        ("GET", "/w/{workspace}/compose", ws(WritePosts)),
        ("POST", "/w/{workspace}/compose", ws(WritePosts)),
        ("POST", "/w/{workspace}/compose/check", ws(WritePosts)),
        ("GET", "/w/{workspace}/calendar", ws(WritePosts)),
        ("GET", "/w/{workspace}/calendar/events", ws(WritePosts)),
        ("POST", "/w/{workspace}/posts/{post}/reschedule", ws(WritePosts)),
        ("GET", "/w/{workspace}/charter", ws(WritePosts)),
        ("POST", "/w/{workspace}/charter", ws(ApprovePosts)),
        ("GET", "/w/{workspace}/posts/{post}", ws(WritePosts)),
        ("POST", "/w/{workspace}/posts/{post}/approve", ws(ApprovePosts)),
        ("POST", "/w/{workspace}/posts/{post}/send-back", ws(ApprovePosts)),
        ("GET", "/w/{workspace}/review", ws(WritePosts)),
        ("GET", "/w/{workspace}/review/count", ws(WritePosts)),
        ("GET", "/w/{workspace}/channels", ws(WritePosts)),
        ("POST", "/w/{workspace}/channels/{channel}/slots", ws(ManageChannels)),
        ("POST", "/w/{workspace}/review-rule", ws(ApprovePosts)),
        ("GET", "/w/{workspace}/inbox", ws(ViewInbox)),
        ("GET", "/w/{workspace}/inbox/events", ws(ViewInbox)),
        ("GET", "/w/{workspace}/inbox/{conversation}", ws(ViewInbox)),
        ("POST", "/w/{workspace}/inbox/{conversation}/status", ws(HandleInbox)),
        ("POST", "/w/{workspace}/inbox/{conversation}/assign", ws(HandleInbox)),
        ("POST", "/w/{workspace}/inbox/{conversation}/tags", ws(HandleInbox)),
        ("POST", "/w/{workspace}/inbox/{conversation}/reply/start", ws(HandleInbox)),
        ("POST", "/w/{workspace}/inbox/{conversation}/reply", ws(HandleInbox)),
        ("POST", "/w/{workspace}/inbox/items/{item}/category", ws(ManageFeedback)),
        ("POST", "/w/{workspace}/inbox/items/{item}/{action}", ws(HandleInbox)),
        ("POST", "/w/{workspace}/inbox-sla", ws(ApprovePosts)),
        ("POST", "/w/{workspace}/inbox/{conversation}/notes", ws(HandleInbox)),
        ("POST", "/w/{workspace}/inbox/{conversation}/escalate", ws(HandleInbox)),
        ("POST", "/w/{workspace}/inbox/{conversation}/priority", ws(HandleInbox)),
        ("GET", "/w/{workspace}/inbox/{conversation}/saved/{saved}", ws(HandleInbox)),
        ("POST", "/w/{workspace}/inbox-saved-replies", ws(HandleInbox)),
        ("POST", "/w/{workspace}/inbox-views", ws(ViewInbox)),
        ("POST", "/w/{workspace}/inbox-assignment", ws(ApprovePosts)),
        ("GET", "/w/{workspace}/inbox-settings", ws(ApprovePosts)),
        ("GET", "/w/{workspace}/feedback", ws(ViewFeedback)),
        ("GET", "/w/{workspace}/feedback/report.md", ws(ViewFeedback)),
        ("GET", "/w/{workspace}/feedback/report.csv", ws(ViewFeedback)),
        ("POST", "/w/{workspace}/feedback/items/{item}/category", ws(ManageFeedback)),
        ("GET", "/w/{workspace}/community", ws(ViewCommunity)),
        ("POST", "/w/{workspace}/community/segments", ws(ManageCommunity)),
        ("POST", "/w/{workspace}/community/segments/{segment}/delete", ws(ManageCommunity)),
        ("GET", "/w/{workspace}/community/segments/{segment}/export", ws(ViewCommunity)),
        ("GET", "/w/{workspace}/people/{person}", ws(ViewCommunity)),
        ("POST", "/w/{workspace}/people/{person}/tags", ws(ManageCommunity)),
        ("POST", "/w/{workspace}/people/{person}/notes", ws(ManageCommunity)),
        ("POST", "/w/{workspace}/people/{person}/fields", ws(ManageCommunity)),
        ("POST", "/w/{workspace}/people/{person}/merge", ws(ManageCommunity)),
        ("POST", "/w/{workspace}/people/{person}/split", ws(ManageCommunity)),
        ("GET", "/w/{workspace}/moderation", ws(ManageModeration)),
        ("POST", "/w/{workspace}/moderation/rules", ws(ManageModeration)),
        ("POST", "/w/{workspace}/moderation/rules/{rule}/enabled", ws(ManageModeration)),
        ("POST", "/w/{workspace}/moderation/rules/{rule}/dry-run", ws(ManageModeration)),
        ("POST", "/w/{workspace}/moderation/actions/{id}/undo", ws(ManageModeration)),
        ("POST", "/w/{workspace}/moderation/items/{id}", ws(ManageModeration)),
        ("GET", "/settings", SESSION),
        ("POST", "/settings", SIGNED_IN),
        ("POST", "/settings/password", SESSION),
        ("POST", "/settings/tokens", SESSION),
        ("POST", "/settings/tokens/{id}/revoke", SESSION),
        ("GET", "/settings/two-factor", SESSION),
        ("POST", "/settings/two-factor/start", SESSION),
        ("POST", "/settings/two-factor/confirm", SESSION),
        ("POST", "/settings/two-factor/disable", SESSION),
        ("GET", "/api/v1/me", SIGNED_IN),
        ("GET", "/api/v1/workspaces", SIGNED_IN),
        ("GET", "/api/v1/workspaces/{workspace}/members", ws(ViewMembers)),
        ("POST", "/api/v1/workspaces/{workspace}/members", ws(ManageTeam)),
        ("PATCH", "/api/v1/workspaces/{workspace}/members/{user}", ws(ManageTeam)),
        ("DELETE", "/api/v1/workspaces/{workspace}/members/{user}", ws(ManageTeam)),
        ("GET", "/api/v1/workspaces/{workspace}/listening/queries", ws(ViewListening)),
        ("POST", "/api/v1/workspaces/{workspace}/listening/queries", ws(ManageListening)),
        ("GET", "/api/v1/workspaces/{workspace}/listening/queries/{query}/mentions", ws(ViewListening)),
        ("GET", "/api/v1/workspaces/{workspace}/listening/queries/{query}/report", ws(ViewListening)),
        ("POST", "/api/v1/workspaces/{workspace}/listening/queries/{query}/alert-rules", ws(ManageListening)),
        ("GET", "/api/v1/workspaces/{workspace}/alerts", ws(ViewListening)),
        ("PUT", "/api/v1/workspaces/{workspace}/crisis", ws(ManageCrisis)),
        ("DELETE", "/api/v1/workspaces/{workspace}/crisis", ws(ManageCrisis)),
        ("GET", "/api/v1/workspaces/{workspace}/posts", ws(WritePosts)),
        ("POST", "/api/v1/workspaces/{workspace}/posts", ws(WritePosts)),
        ("GET", "/api/v1/workspaces/{workspace}/posts/{post}", ws(WritePosts)),
        ("POST", "/api/v1/workspaces/{workspace}/posts/{post}/approve", ws(ApprovePosts)),
        ("POST", "/api/v1/workspaces/{workspace}/posts/{post}/send-back", ws(ApprovePosts)),
        ("GET", "/api/v1/workspaces/{workspace}/inbox", ws(ViewInbox)),
        ("GET", "/api/v1/workspaces/{workspace}/inbox/{conversation}", ws(ViewInbox)),
        ("POST", "/api/v1/workspaces/{workspace}/inbox/{conversation}/reply", ws(HandleInbox)),
        ("POST", "/api/v1/workspaces/{workspace}/inbox/{conversation}/status", ws(HandleInbox)),
        ("GET", "/api/v1/workspaces/{workspace}/moderation/rules", ws(ManageModeration)),
        ("POST", "/api/v1/workspaces/{workspace}/moderation/rules", ws(ManageModeration)),
        ("POST", "/api/v1/workspaces/{workspace}/moderation/rules/{id}/enabled", ws(ManageModeration)),
        ("POST", "/api/v1/workspaces/{workspace}/moderation/dry-run", ws(ManageModeration)),
        ("GET", "/api/v1/workspaces/{workspace}/moderation/log", ws(ManageModeration)),
        ("POST", "/api/v1/workspaces/{workspace}/moderation/log/{id}/undo", ws(ManageModeration)),
        ("POST", "/api/v1/workspaces/{workspace}/moderation/items/{id}", ws(ManageModeration)),
        ("GET", "/api/v1/workspaces/{workspace}/moderation/offenders", ws(ManageModeration)),
        ("GET", "/api/v1/workspaces/{workspace}/people", ws(ViewCommunity)),
        ("GET", "/api/v1/workspaces/{workspace}/people/{id}", ws(ViewCommunity)),
        ("POST", "/api/v1/workspaces/{workspace}/people/{id}/tags", ws(ManageCommunity)),
        ("POST", "/api/v1/workspaces/{workspace}/people/{id}/notes", ws(ManageCommunity)),
        ("POST", "/api/v1/workspaces/{workspace}/people/{id}/fields", ws(ManageCommunity)),
        ("POST", "/api/v1/workspaces/{workspace}/people/{id}/merge", ws(ManageCommunity)),
        ("POST", "/api/v1/workspaces/{workspace}/people/{id}/split", ws(ManageCommunity)),
        ("GET", "/api/v1/workspaces/{workspace}/segments", ws(ViewCommunity)),
        ("POST", "/api/v1/workspaces/{workspace}/segments", ws(ManageCommunity)),
        ("GET", "/api/v1/workspaces/{workspace}/segments/{id}/export", ws(ViewCommunity)),
        ("GET", "/api/v1/workspaces/{workspace}/feedback", ws(ViewFeedback)),
        ("POST", "/api/v1/workspaces/{workspace}/feedback/items/{id}/category", ws(ManageFeedback)),
        ("GET", "/api/v1/workspaces/{workspace}/feedback/report", ws(ViewFeedback)),
        ("GET", "/api/v1/workspaces/{workspace}/analytics/summary", ws(ViewAnalytics)),
        ("GET", "/api/v1/workspaces/{workspace}/analytics/posts", ws(ViewAnalytics)),
        ("GET", "/api/v1/workspaces/{workspace}/analytics/posts/{post}", ws(ViewAnalytics)),
        ("GET", "/api/v1/workspaces/{workspace}/analytics/channels", ws(ViewAnalytics)),
        ("GET", "/api/v1/workspaces/{workspace}/analytics/team", ws(ViewAnalytics)),
        ("GET", "/api/v1/workspaces/{workspace}/analytics/best-times", ws(ViewAnalytics)),
        ("GET", "/ical/{token}", PUBLIC),
        ("GET", "/l/{code}", PUBLIC),
        ("GET", "/api/openapi.json", PUBLIC),
    ]
};

/// The access a route must have, from the table above.
fn expected(method: &Method, path: &str) -> Access {
    EXPECTED
        .iter()
        .find(|(m, p, _)| *m == method.as_str() && *p == path)
        .map(|(_, _, a)| *a)
        .unwrap_or_else(|| panic!("{method} {path} is not in the expected table"))
}

#[test]
fn the_route_table_is_the_one_written_here() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let t = spawn(tutti_test_support::sqlite()).await;
        for spec in &t.specs {
            assert_eq!(spec.access, expected(&spec.method, spec.path), "{} {}", spec.method, spec.path);
        }
        for (method, path, _) in EXPECTED {
            assert!(
                t.specs.iter().any(|s| s.method.as_str() == *method && s.path == *path),
                "{method} {path} is expected but not registered"
            );
        }
        assert_eq!(t.specs.len(), EXPECTED.len(), "a route is registered twice");
    });
}

/// A route's path with its parameters filled in.
fn concrete(path: &str, target: i64) -> String {
    path.replace("{workspace}", WS)
        .replace("{user}", &target.to_string())
        .replace("{token}", &"0".repeat(64))
        .replace("{id}", "999999")
        .replace("{post}", "999999")
        .replace("{query}", "999999")
        .replace("{rule}", "999999")
        .replace("{alert}", "999999")
}

fn changes_state(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

/// Where a refused caller must end up: API callers get 401 when anonymous, the sign-in page
/// otherwise; outsiders do not learn that a workspace exists; members get 403.
fn assert_outcome(
    what: &str,
    (access, caller, credential): (Access, Caller, Credential),
    path: &str,
    r: &reqwest::Response,
) {
    let status = r.status().as_u16();
    let to_login = r
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .is_some_and(|l| l.starts_with("/login?next="));
    let what = format!("{what}: {status}");
    if allowed(access, caller, credential) {
        assert!(status != 401 && status != 403 && !to_login, "{what} should be allowed");
        return;
    }
    match caller {
        Caller::Anonymous if path.starts_with("/api/") => assert_eq!(status, 401, "{what}"),
        Caller::Anonymous => assert!(status == 303 && to_login, "{what} should send to sign-in"),
        Caller::Outsider if matches!(access, Access::Workspace(_)) => assert_eq!(status, 404, "{what}"),
        _ => assert_eq!(status, 403, "{what} should be forbidden"),
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_policy_says() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let mut callers: Vec<(Caller, Option<String>)> = vec![
            (Caller::Anonymous, None),
            (Caller::Outsider, Some(s.outsider.1.clone())),
            (Caller::InstanceAdmin, Some(s.root.1.clone())),
        ];
        for role in Role::ALL {
            callers.push((Caller::Member(role), Some(s.members[&role].1.clone())));
        }
        // A double-submit CSRF pair, so that anonymous form posts reach their handler.
        let csrf = "ab".repeat(32);
        let mut checked = 0;
        for spec in &t.specs {
            let access = expected(&spec.method, spec.path);
            let path = concrete(spec.path, s.target_id);
            for (caller, token) in &callers {
                let mut req = t.client.request(spec.method.clone(), t.url(&path));
                if let Some(token) = token {
                    req = req.bearer_auth(token);
                } else {
                    req = req.header(COOKIE, format!("tutti_csrf={csrf}"));
                }
                if changes_state(&spec.method) {
                    req = if path.starts_with("/api/") {
                        req.header(CONTENT_TYPE, "application/json").body("{}")
                    } else if path == "/login" {
                        req.form(&[
                            ("csrf", csrf.as_str()),
                            ("email", "admin@acme.test"),
                            ("password", common::PASSWORD),
                        ])
                    } else {
                        req.form(&[("csrf", csrf.as_str())])
                    };
                }
                let r = req.send().await.unwrap();
                let what = format!("[{label}] bearer {} {} as {caller:?}", spec.method, spec.path);
                assert_outcome(&what, (access, *caller, Credential::Bearer), &path, &r);
                checked += 1;
            }
        }
        assert!(checked >= t.specs.len() * 9, "walked {checked} route × caller pairs");
    }
}

/// The same walk with the session cookie a browser holds, its CSRF token sent as htmx sends it
/// (and as a form field); and every state-changing route refuses a cookie request whose CSRF
/// token is missing or wrong.
#[tokio::test]
async fn every_route_answers_every_signed_in_browser_as_the_policy_says() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let s = seed(&t.app).await;
        let mut callers: Vec<(Caller, String)> =
            vec![(Caller::Outsider, s.outsider.0.clone()), (Caller::InstanceAdmin, s.root.0.clone())];
        for role in Role::ALL {
            callers.push((Caller::Member(role), s.members[&role].0.clone()));
        }
        // Signing out ends the session the rest of the walk needs: it goes last.
        let mut specs = t.specs.clone();
        specs.sort_by_key(|spec| spec.path == "/logout");
        let mut checked = 0;
        for (caller, email) in &callers {
            let b = t.sign_in(email, common::PASSWORD).await;
            for spec in &specs {
                let access = expected(&spec.method, spec.path);
                if access == Access::Public {
                    continue;
                }
                let path = concrete(spec.path, s.target_id);
                let request = |csrf: &str| {
                    let mut req = t
                        .client
                        .request(spec.method.clone(), t.url(&path))
                        .header(COOKIE, b.cookie_header())
                        .header("x-csrf-token", csrf);
                    if changes_state(&spec.method) {
                        req = if path.starts_with("/api/") {
                            req.header(CONTENT_TYPE, "application/json").body("{}")
                        } else {
                            req.form(&[("csrf", csrf)])
                        };
                    }
                    req
                };
                if changes_state(&spec.method) {
                    let forged = "cd".repeat(32);
                    let r = request(&forged).send().await.unwrap();
                    assert_eq!(
                        r.status().as_u16(),
                        403,
                        "[{label}] {} {} as {caller:?} with a forged CSRF token",
                        spec.method,
                        spec.path
                    );
                }
                let r = request(&b.csrf).send().await.unwrap();
                let what = format!("[{label}] cookie {} {} as {caller:?}", spec.method, spec.path);
                assert_outcome(&what, (access, *caller, Credential::Cookie), &path, &r);
                checked += 1;
            }
        }
        let private = t.specs.iter().filter(|s| expected(&s.method, s.path) != Access::Public).count();
        assert_eq!(checked, private * callers.len(), "walked every private route with every browser");
    }
}

#[test]
fn only_the_expected_routes_are_public() {
    let public_ok = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/static/",
        "/login",
        "/setup",
        "/invite/{token}",
        "/api/openapi.json",
        "/ical/{token}",
        "/l/{code}",
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let t = spawn(tutti_test_support::sqlite()).await;
        for spec in &t.specs {
            if spec.access == Access::Public {
                assert!(
                    public_ok.iter().any(|p| spec.path.starts_with(p)),
                    "{} {} is public",
                    spec.method,
                    spec.path
                );
            }
        }
        for (method, path) in [
            ("GET", "/api/v1/me"),
            ("PATCH", "/api/v1/workspaces/{workspace}/members/{user}"),
            ("GET", "/w/{workspace}/team"),
            ("GET", "/w/{workspace}/audit"),
            ("GET", "/w/{workspace}/posts/{post}"),
            ("GET", "/w/{workspace}/review"),
            ("POST", "/api/v1/workspaces/{workspace}/posts/{post}/approve"),
        ] {
            assert!(
                t.specs.iter().any(|s| s.method.as_str() == method && s.path == path),
                "{method} {path} is registered"
            );
        }
    });
}
