//! A post with images sent as a multipart form without JavaScript: the CSRF token travels as a
//! form field, and a form without it is refused.

mod common;

use common::{seed, spawn, PASSWORD, WS};
use reqwest::header::COOKIE;
use tutti_app::secrets::Keyring;
use tutti_app::Actor;

#[tokio::test]
async fn a_multipart_form_carries_its_csrf_token_in_a_field() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        seed(&t.app).await;
        let channel = tutti_test_support::offline_bluesky("maison.test", None);
        t.app.add_channel(&Actor::Operator, &Keyring::generate(), WS, &channel).await.unwrap();
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        t.get(&mut cm, &format!("/w/{WS}/compose")).await;
        let send = |with_token: bool| {
            let boundary = "tuttiboundary7MA4YWxkTrZu0gW";
            let mut fields = vec![
                ("channel", "maison.test".to_owned()),
                ("text", "Sans JavaScript".into()),
                ("at", String::new()),
                ("langs", "fr".into()),
            ];
            if with_token {
                fields.push(("csrf", cm.csrf.clone()));
            }
            let mut body = String::new();
            for (name, value) in fields {
                body.push_str(&format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                ));
            }
            body.push_str(&format!("--{boundary}--\r\n"));
            t.client
                .post(t.url(&format!("/w/{WS}/compose")))
                .header(COOKIE, cm.cookie_header())
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body)
                .send()
        };
        assert_eq!(send(false).await.unwrap().status(), 403, "[{}] no token, no post", t.db.label());
        let r = send(true).await.unwrap();
        assert!(r.status().is_redirection(), "[{}] {}", t.db.label(), r.status());
        assert_eq!(t.app.posts(&Actor::Operator, WS, 10).await.unwrap().len(), 1);
    }
}
