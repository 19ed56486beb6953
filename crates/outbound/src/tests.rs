//! Tests of the outbound client: real connections to local servers under the policy.

use super::*;

// ---- Over the network, against local servers ----

async fn local_server(app: axum::Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

fn redirecting(to: String) -> axum::Router {
    use axum::routing::get;
    axum::Router::new()
        .route("/", get(|| async { "reached" }))
        .route("/inside", get(|| async { axum::response::Redirect::temporary("/") }))
        .route("/away", get(move || async move { axum::response::Redirect::temporary(&to) }))
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_when_connecting() {
    let port = local_server(redirecting(String::new())).await;
    // The address itself is allowed; the name `localhost` is not, and resolves to it.
    let policy = Outbound::allowing([format!("127.0.0.1:{port}").parse().unwrap()]);
    let client = policy.client().build().unwrap();
    let err = client.get(format!("http://localhost:{port}/")).send().await.unwrap_err();
    assert!(
        matches!(&err, Error::Refused(Refused::Resolved { host, reason: Reserved::Loopback, .. }) if host == "localhost"),
        "{err:?}"
    );
    let strict = Outbound::strict().client().build().unwrap();
    let err = strict.get(format!("http://127.0.0.1:{port}/")).send().await.unwrap_err();
    assert!(matches!(err, Error::Refused(Refused::Address { reason: Reserved::Loopback, .. })), "{err:?}");
}

#[tokio::test]
async fn an_allowed_private_host_is_reached_and_its_own_redirects_followed() {
    let port = local_server(redirecting(String::new())).await;
    for allowance in [format!("localhost:{port}"), "localhost".to_owned(), format!("127.0.0.1:{port}")] {
        let host = allowance.split(':').next().unwrap().to_owned();
        let policy = Outbound::allowing([allowance.parse().unwrap()]);
        let client = policy.client().build().unwrap();
        let r = client.get(format!("http://{host}:{port}/inside")).send().await.unwrap();
        assert_eq!(r.text().await.unwrap(), "reached", "{allowance}");
    }
}

#[tokio::test]
async fn a_redirect_to_another_host_is_refused() {
    let target = local_server(redirecting(String::new())).await;
    for to in [
        format!("http://127.0.0.1:{target}/"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://localhost:{target}/"),
    ] {
        let port = local_server(redirecting(to.clone())).await;
        // Everything local is allowed: only the redirect rule stands in the way.
        let policy = Outbound::allowing(Outbound::parse_list("localhost,127.0.0.1").unwrap());
        let client = policy.client().build().unwrap();
        let from = if to.contains("localhost") { "127.0.0.1" } else { "localhost" };
        let err = client.get(format!("http://{from}:{port}/away")).send().await.unwrap_err();
        assert!(matches!(err, Error::Refused(Refused::Redirect { .. })), "{to}: {err:?}");
    }
    // With redirects off, the redirect is the answer.
    let port = local_server(redirecting("http://169.254.169.254/".into())).await;
    let policy = Outbound::allowing(Outbound::parse_list("localhost").unwrap());
    let client = policy.client().redirects(0).build().unwrap();
    let r = client.get(format!("http://localhost:{port}/away")).send().await.unwrap();
    assert_eq!(r.status(), 307);
}

#[tokio::test]
async fn bodies_are_read_up_to_their_limit() {
    use axum::routing::get;
    let app = axum::Router::new().route("/big", get(|| async { "x".repeat(10_000) }));
    let port = local_server(app).await;
    let client = Outbound::allowing(Outbound::parse_list("127.0.0.1").unwrap()).client().build().unwrap();
    let url = format!("http://127.0.0.1:{port}/big");
    let mut r = client.get(&url).send().await.unwrap();
    assert!(matches!(read_limited(&mut r, 9_999).await, Err(BodyError::TooLarge(9_999))));
    let mut r = client.get(&url).send().await.unwrap();
    assert_eq!(read_limited(&mut r, 10_000).await.unwrap().len(), 10_000);
}
