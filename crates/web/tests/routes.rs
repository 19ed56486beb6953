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
        Action::CreateWorkspace | Action::ManageUsers => &[],
    };
    allowed.contains(&role)
}

fn allowed(access: Access, caller: Caller) -> bool {
    match (access, caller) {
        (Access::Public, _) => true,
        (_, Caller::Anonymous) => false,
        (Access::SignedIn, _) => true,
        // Managing credentials needs a browser session; every caller here uses an API token.
        (Access::Session, _) => false,
        (_, Caller::InstanceAdmin) => true,
        (Access::Instance(_), _) => false,
        (Access::Workspace(_), Caller::Outsider) => false,
        (Access::Workspace(action), Caller::Member(role)) => member_may(action, role),
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
            let path = spec
                .path
                .replace("{workspace}", WS)
                .replace("{user}", &s.target_id.to_string())
                .replace("{token}", &"0".repeat(64))
                .replace("{id}", "999999")
                .replace("{post}", "999999")
                .replace("{query}", "999999")
                .replace("{rule}", "999999");
            for (caller, token) in &callers {
                let mut req = t.client.request(spec.method.clone(), t.url(&path));
                if let Some(token) = token {
                    req = req.bearer_auth(token);
                } else {
                    req = req.header(COOKIE, format!("tutti_csrf={csrf}"));
                }
                if matches!(spec.method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE) {
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
                let status = r.status().as_u16();
                let to_login = r
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .is_some_and(|l| l.starts_with("/login?next="));
                let what = format!("[{label}] {} {} as {caller:?}: {status}", spec.method, spec.path);
                if allowed(spec.access, *caller) {
                    assert!(status != 401 && status != 403 && !to_login, "{what} should be allowed");
                } else {
                    match caller {
                        Caller::Anonymous if path.starts_with("/api/") => assert_eq!(status, 401, "{what}"),
                        Caller::Anonymous => {
                            assert!(status == 303 && to_login, "{what} should send to sign-in")
                        }
                        Caller::Outsider if matches!(spec.access, Access::Workspace(_)) => {
                            assert_eq!(status, 404, "{what}")
                        }
                        _ => assert_eq!(status, 403, "{what} should be forbidden"),
                    }
                }
                checked += 1;
            }
        }
        assert!(checked >= t.specs.len() * 9, "walked {checked} route × caller pairs");
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
