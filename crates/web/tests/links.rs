//! Links in posts, on every backend: composed with UTM tagging and short links, stored
//! rewritten, followed through `/l/{code}` (a redirect that counts), refused when the rewritten
//! text no longer fits, and no redirect for a code that is unknown or not a code at all.

mod common;

use common::{seed, spawn, Browser, TestApp, PASSWORD, WS};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use tutti_app::secrets::Keyring;
use tutti_app::store::publishing::Post;
use tutti_app::Actor;

/// Connects the Bluesky channel `maison.test` (nothing is published in these tests).
async fn channel(t: &TestApp) -> String {
    t.app
        .add_channel(
            &Actor::Operator,
            &Keyring::generate(),
            WS,
            &tutti_test_support::offline_bluesky("maison.test", None),
        )
        .await
        .unwrap()
        .id
        .to_string()
}

/// Sends the compose form (multipart, text fields only) as htmx does, without following.
async fn compose(t: &TestApp, b: &Browser, fields: &[(&str, &str)]) -> reqwest::Response {
    let boundary = "----tutti-links-boundary-Qm9uam91cg";
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

async fn posts(t: &TestApp) -> Vec<Post> {
    t.app.posts(&Actor::Operator, WS, 1000).await.unwrap()
}

/// A GET of a short link, not followed.
async fn follow(t: &TestApp, path: &str) -> reqwest::Response {
    t.client.get(t.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn a_composed_link_is_tagged_shortened_and_counts_its_clicks() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let ch = channel(&t).await;
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;

        let page = t.get(&mut smm, &format!("/w/{WS}/compose")).await.text().await.unwrap();
        assert!(page.contains("name=\"utm\"") && page.contains("name=\"shorten\""), "[{label}] the options");
        assert!(page.contains("name=\"utm_medium\" value=\"social\""), "[{label}] medium defaults to social");
        assert!(page.contains("placeholder=\"bluesky\""), "[{label}] source defaults to the network");

        let text = "Soldes : https://shop.example/soldes?ref=home#haut ! Et (https://shop.example/soldes?ref=home#haut).";
        let r = compose(
            &t,
            &smm,
            &[
                ("channel", &ch),
                ("text", text),
                ("langs", "fr"),
                ("utm", "1"),
                ("utm_source", ""),
                ("utm_medium", "social"),
                ("utm_campaign", "soldes d'été"),
                ("shorten", "1"),
            ],
        )
        .await;
        assert_eq!(r.status(), 303, "[{label}] {}", r.text().await.unwrap_or_default());

        let stored = posts(&t).await;
        assert_eq!(stored.len(), 1, "[{label}]");
        let post = &stored[0];
        let start = post.text.find("/l/").unwrap_or_else(|| panic!("[{label}] no short link: {}", post.text));
        let code: String = post.text[start + 3..].chars().take_while(char::is_ascii_alphanumeric).collect();
        assert_eq!(code.len(), 7, "[{label}] {}", post.text);
        let short = format!("{}/l/{code}", t.base);
        assert_eq!(
            post.text,
            format!("Soldes : {short} ! Et ({short})."),
            "[{label}] the same link twice is one short link, the sentence around it kept"
        );

        let target = "https://shop.example/soldes?ref=home&utm_source=bluesky&utm_medium=social\
                      &utm_campaign=soldes%20d%27%C3%A9t%C3%A9#haut";
        for _ in 0..2 {
            let r = follow(&t, &format!("/l/{code}")).await;
            assert_eq!(r.status(), 302, "[{label}]");
            assert_eq!(r.headers()[LOCATION].to_str().unwrap(), target, "[{label}]");
        }
        let clicks = t.app.link_clicks(&Actor::Operator, WS).await.unwrap();
        assert_eq!(clicks, vec![(code.clone(), target.to_owned(), 2, Some(post.id))], "[{label}]");

        // Only the stored codes lead anywhere; anything else is not looked up.
        let other = if code == "Zz9Zz9Z" { "Yy8Yy8Y" } else { "Zz9Zz9Z" };
        for path in [
            format!("/l/{other}"),
            "/l/..%2Fx".to_owned(),
            "/l/..%2F..%2Fhealthz".to_owned(),
            format!("/l/{code}%2F"),
            format!("/l/{}", "a".repeat(17)),
            "/l/https:%2F%2Fevil.example".to_owned(),
        ] {
            let r = follow(&t, &path).await;
            assert_eq!(r.status(), 404, "[{label}] {path}");
            assert!(r.headers().get(LOCATION).is_none(), "[{label}] {path}");
        }
        let clicks = t.app.link_clicks(&Actor::Operator, WS).await.unwrap();
        assert_eq!(clicks[0].2, 2, "[{label}] refused codes count nothing");
        assert!(t.app.link_clicks(&Actor::Operator, "nowhere").await.is_err(), "[{label}]");
    }
}

#[tokio::test]
async fn the_rewritten_text_must_fit_the_network() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let ch = channel(&t).await;
        let smm = t.sign_in("smm@acme.test", PASSWORD).await;

        // Exactly 300 graphemes as typed; the short link is longer than the link.
        let link = "https://ex.org/a";
        let text = format!("{} {link}", "é".repeat(300 - link.len() - 1));
        for options in [
            &[("utm", "1"), ("utm_campaign", "x")][..],
            &[("shorten", "1")][..],
            &[("utm", "1"), ("shorten", "1")][..],
        ] {
            let mut fields = vec![("channel", ch.as_str()), ("text", text.as_str())];
            fields.extend_from_slice(options);
            let r = compose(&t, &smm, &fields).await;
            assert_eq!(r.status(), 422, "[{label}] {options:?}");
            let html = r.text().await.unwrap();
            let at = html.find("id=\"c-text-error\"").unwrap_or_else(|| panic!("[{label}] no error at text"));
            assert!(html[at..].contains("With its links rewritten"), "[{label}] {options:?}");
            let kept =
                html.contains("name=\"shorten\" value=\"1\" aria-describedby=\"c-shorten-hint\" checked");
            assert_eq!(kept, options.contains(&("shorten", "1")), "[{label}] the options are kept");
        }
        assert!(posts(&t).await.is_empty(), "[{label}] nothing was stored");
        assert!(t.app.link_clicks(&Actor::Operator, WS).await.unwrap().is_empty(), "[{label}] no short link");

        // The same text as typed fits, and its link is left as it is.
        let r = compose(&t, &smm, &[("channel", &ch), ("text", &text)]).await;
        assert_eq!(r.status(), 303, "[{label}]");
        assert_eq!(posts(&t).await[0].text, text, "[{label}]");
        assert!(t.app.link_clicks(&Actor::Operator, WS).await.unwrap().is_empty(), "[{label}]");
    }
}
