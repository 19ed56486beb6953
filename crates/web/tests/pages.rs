//! The web pages as a browser uses them: first-run setup, sign-in and its rate limit, CSRF,
//! invitations, hostile text, languages and the audit log.

mod common;

use common::{csrf_of, seed, spawn, Browser, PASSWORD, WS};
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};

#[tokio::test]
async fn first_run_setup_creates_the_admin_once() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        let secret = t.app.issue_setup_token().await.unwrap().expect("an empty instance gets a setup link");
        let mut b = Browser::default();
        assert_eq!(t.get(&mut b, "/setup?token=wrong").await.status(), 404);
        let page = t.get(&mut b, &format!("/setup?token={secret}")).await.text().await.unwrap();
        b.csrf = csrf_of(&page);

        let r = t
            .post_form(
                &mut b,
                "/setup",
                &[
                    ("token", &secret),
                    ("email", "chef@maison.fr"),
                    ("name", "Camille"),
                    ("password", "short"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(
            html.contains(r#"id="password-error""#) && html.contains("at least 10 characters"),
            "the error sits at the password field"
        );
        assert!(t.app.setup_needed().await.unwrap(), "nothing was created");

        let r = t
            .post_form(
                &mut b,
                "/setup",
                &[
                    ("token", &secret),
                    ("email", "chef@maison.fr"),
                    ("name", "Camille"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert!(b.cookies.contains_key("tutti_session"), "the new admin is signed in");
        let me = t.app.user_by_email("chef@maison.fr").await.unwrap();
        assert!(me.is_admin);
        assert_eq!(t.app.issue_setup_token().await.unwrap(), None, "no setup link once an account exists");

        let mut other = Browser::default();
        let page = t.get(&mut other, "/login").await.text().await.unwrap();
        other.csrf = csrf_of(&page);
        let r = t
            .post_form(
                &mut other,
                "/setup",
                &[
                    ("token", &secret),
                    ("email", "intruder@evil.test"),
                    ("name", "Mallory"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "the setup link works once");
        assert!(t.app.user_by_email("intruder@evil.test").await.is_err());
    }
}

#[tokio::test]
async fn session_cookies_are_httponly_samesite_and_secure() {
    let t = spawn(tutti_test_support::sqlite()).await;
    seed(&t.app).await;
    let mut b = Browser::default();
    let page = t.get(&mut b, "/login").await.text().await.unwrap();
    b.csrf = csrf_of(&page);
    let r = t
        .client
        .post(t.url("/login"))
        .header(COOKIE, b.cookie_header())
        .form(&[("csrf", b.csrf.as_str()), ("email", "cm@acme.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("tutti_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
}

#[tokio::test]
async fn state_changing_forms_need_the_session_csrf_token() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        seed(&t.app).await;
        let mut b = t.sign_in("admin@acme.test", PASSWORD).await;
        let path = format!("/w/{WS}/team");
        let r = t
            .post_form(&mut b, &path, &[("csrf", "f00d"), ("email", "csrf@acme.test"), ("role", "cm")])
            .await;
        assert_eq!(r.status(), 403);
        let r = t
            .client
            .post(t.url(&path))
            .header(COOKIE, b.cookie_header())
            .form(&[("email", "csrf@acme.test"), ("role", "cm")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(t.app.user_by_email("csrf@acme.test").await.is_err(), "nothing was written");
        let r = t.post_form(&mut b, &path, &[("email", "csrf@acme.test"), ("role", "cm")]).await;
        assert_eq!(r.status(), 200);
        // htmx sends the token as a header.
        let r = t
            .client
            .post(t.url(&format!("/w/{WS}/team/csrf@acme.test/role")))
            .header(COOKIE, b.cookie_header())
            .header("x-csrf-token", &b.csrf)
            .header("hx-request", "true")
            .form(&[("role", "analyst")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().starts_with("<tr id=\"member-"), "htmx gets the row back");
    }
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_refused_for_a_while() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        seed(&t.app).await;
        let mut b = Browser::default();
        let page = t.get(&mut b, "/login").await.text().await.unwrap();
        b.csrf = csrf_of(&page);
        for _ in 0..5 {
            let r = t
                .post_form(&mut b, "/login", &[("email", "cm@acme.test"), ("password", "not the password")])
                .await;
            assert_eq!(r.status(), 401);
            assert!(r.text().await.unwrap().contains("Wrong e-mail address or password."));
        }
        let r = t.post_form(&mut b, "/login", &[("email", "cm@acme.test"), ("password", PASSWORD)]).await;
        assert_eq!(r.status(), 429, "even the right password waits");
        let wait: u64 = r.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!(wait > 0 && wait <= 15 * 60, "Retry-After {wait}");
        assert!(!b.cookies.contains_key("tutti_session"));
        // Another account from the same place is not locked out by these five failures.
        let r = t.post_form(&mut b, "/login", &[("email", "smm@acme.test"), ("password", PASSWORD)]).await;
        assert_eq!(r.status(), 303);
    }
}

#[tokio::test]
async fn an_invited_person_joins_and_hostile_names_render_inert() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        seed(&t.app).await;
        let mut admin = t.sign_in("admin@acme.test", PASSWORD).await;
        let html = t
            .post_form(
                &mut admin,
                &format!("/w/{WS}/team"),
                &[("email", "nouvelle@acme.test"), ("role", "cm")],
            )
            .await
            .text()
            .await
            .unwrap();
        let start = html.find("/invite/").expect("the invitation link is shown");
        let link = html[start..start + 8 + 64].to_owned();

        let mut guest = Browser::default();
        let page = t.get(&mut guest, &link).await.text().await.unwrap();
        assert!(page.contains("nouvelle@acme.test"));
        guest.csrf = csrf_of(&page);
        let hostile = "<script>alert(1)</script> \"Zoé\" & <img src=x onerror=alert(2)>";
        let r = t.post_form(&mut guest, &link, &[("name", hostile), ("password", PASSWORD)]).await;
        assert_eq!(r.status(), 303);
        assert_eq!(t.get(&mut guest, &link).await.status(), 404, "an invitation works once");

        let team = t.get(&mut admin, &format!("/w/{WS}/team")).await.text().await.unwrap();
        assert!(
            !team.contains("<script>alert(1)") && !team.contains("<img src=x"),
            "hostile markup is never rendered"
        );
        assert!(
            team.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "it is shown as text: {}",
            &team[team.find("alert(1)").map(|i| i - 40).unwrap_or(0)..][..200]
        );

        // Invisible and bidi characters are refused with a message at the field.
        let mut other = Browser::default();
        let html = t
            .post_form(&mut admin, &format!("/w/{WS}/team"), &[("email", "autre@acme.test"), ("role", "cm")])
            .await
            .text()
            .await
            .unwrap();
        let start = html.find("/invite/").unwrap();
        let link = html[start..start + 8 + 64].to_owned();
        other.csrf = csrf_of(&t.get(&mut other, &link).await.text().await.unwrap());
        let r =
            t.post_form(&mut other, &link, &[("name", "Eve\u{202E}gnp.exe"), ("password", PASSWORD)]).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(r#"id="name-error""#));
    }
}

#[tokio::test]
async fn pages_speak_the_readers_language() {
    let t = spawn(tutti_test_support::sqlite()).await;
    seed(&t.app).await;
    let fr = t
        .client
        .get(t.url("/login"))
        .header(ACCEPT_LANGUAGE, "fr-FR,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fr.contains(r#"<html lang="fr">"#) && fr.contains("Connexion"));
    let en = t
        .client
        .get(t.url("/login"))
        .header(ACCEPT_LANGUAGE, "en-US")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains(r#"<html lang="en">"#) && en.contains("Sign in"));

    // A saved preference wins over the browser.
    let mut b = t.sign_in("cm@acme.test", PASSWORD).await;
    let r = t
        .post_form(
            &mut b,
            "/settings",
            &[("name", "Lucas Bernard"), ("locale", "fr"), ("timezone", "Europe/Paris")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = t
        .client
        .get(t.url(&format!("/w/{WS}")))
        .header(COOKIE, b.cookie_header())
        .header(ACCEPT_LANGUAGE, "en-US")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<html lang="fr">"#) && page.contains("Boîte de réception"));
    // French typography: a narrow no-break space before the colon.
    let settings = t.get(&mut b, "/settings").await.text().await.unwrap();
    assert!(settings.contains("Paramètres"));
    let r = t
        .post_form(
            &mut b,
            "/settings",
            &[("name", "Lucas Bernard"), ("locale", "fr"), ("timezone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Fuseau horaire inconnu\u{202F}:"));
}

#[tokio::test]
async fn a_cm_is_refused_team_settings_and_sees_no_link_to_them() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        seed(&t.app).await;
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let home = t.get(&mut cm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(!home.contains(&format!("/w/{WS}/team")) && !home.contains(&format!("/w/{WS}/audit")));
        for area in ["calendar", "inbox", "listening", "community", "analytics"] {
            assert_eq!(t.get(&mut cm, &format!("/w/{WS}/{area}")).await.status(), 200, "{area}");
        }
        let r = t.get(&mut cm, &format!("/w/{WS}/team")).await;
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("have access to this page"));
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let home = t.get(&mut smm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(home.contains(&format!("/w/{WS}/team")) && home.contains(&format!("/w/{WS}/audit")));
        let r = t.get(&mut smm, "/nowhere").await;
        assert_eq!(r.status(), 404);
        let r = t.client.get(t.url(&format!("/w/{WS}/team"))).send().await.unwrap();
        assert_eq!(r.headers()[LOCATION], format!("/login?next=%2Fw%2F{WS}%2Fteam"));
    }
}

#[tokio::test]
async fn the_audit_log_filters_by_action_actor_and_date() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        seed(&t.app).await;
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        t.post_form(&mut smm, &format!("/w/{WS}/team/target@acme.test/role"), &[("role", "analyst")]).await;
        let all = t.get(&mut smm, &format!("/w/{WS}/audit")).await.text().await.unwrap();
        assert!(all.contains("Created the workspace") && all.contains("Changed a role"));
        let roles =
            t.get(&mut smm, &format!("/w/{WS}/audit?action=member.&actor=smm")).await.text().await.unwrap();
        assert!(
            roles.contains("Changed a role")
                && !roles.contains("Created the workspace")
                && !roles.contains("Added a member")
        );
        assert!(
            roles.contains(">Contributor</del>") && roles.contains(">Analyst</ins>"),
            "roles in the reader's words"
        );
        let future = t.get(&mut smm, &format!("/w/{WS}/audit?from=2999-01-01")).await.text().await.unwrap();
        assert!(future.contains("No entry matches these filters."));
        let r = t.get(&mut smm, &format!("/w/{WS}/audit?from=yesterday")).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("The “From” date is not a valid date"));
        // htmx asks for the rows only.
        let rows = t
            .client
            .get(t.url(&format!("/w/{WS}/audit?action=member.")))
            .header(COOKIE, smm.cookie_header())
            .header("hx-request", "true")
            .header("hx-target", "audit-rows")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(rows.trim_start().starts_with("<tr>") && !rows.contains("<html"));
    }
}

#[tokio::test]
async fn listening_queries_show_the_column_at_fault_and_mentions_render_inert() {
    use tutti_app::store::listening::{self, Mention};
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        seed(&t.app).await;
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let path = format!("/w/{WS}/listening");
        let r = t
            .post_form(&mut cm, &path, &[("name", "Marque"), ("query", "acme AND"), ("kind", "brand")])
            .await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(
            html.contains(r#"id="q-query-error""#) && html.contains("col "),
            "the error names the column"
        );
        assert!(
            html.contains("<pre class=\"caret\" aria-hidden=\"true\">acme AND\n"),
            "the query is shown with a caret under the column"
        );

        let r = t
            .post_form(
                &mut cm,
                &path,
                &[("name", "Marque"), ("query", "acme OR \"acme studio\""), ("kind", "brand")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let mentions_path = r.headers()[LOCATION].to_str().unwrap().to_owned();
        let query_id: i64 = mentions_path.rsplit('/').next().unwrap().parse().unwrap();

        let mut tx = t.app.store().begin().await.unwrap();
        for (i, (text, sentiment)) in
            [("<script>alert(1)</script> acme c'est nul", "neg"), ("J'adore Acme Studio", "pos")]
                .into_iter()
                .enumerate()
        {
            let m = Mention {
                id: 0,
                query_id,
                source: "jetstream".into(),
                external_id: format!("at://did:plc:x/app.bsky.feed.post/{i}"),
                url: Some(format!("https://bsky.app/profile/did:plc:x/post/{i}")),
                author: Some("did:plc:x".into()),
                text: text.into(),
                lang: Some("fr".into()),
                sentiment: Some(sentiment.parse().unwrap()),
                sentiment_score: Some(0.5),
                toxicity: Some(0.0),
                published_at: Some(tutti_app::store::now_ms() - 3_600_000),
            };
            listening::insert_mention(&mut tx, &m).await.unwrap();
        }
        tx.commit().await.unwrap();
        let page = t.get(&mut cm, &mentions_path).await.text().await.unwrap();
        assert!(page.contains("J&#39;adore Acme Studio") || page.contains("J'adore Acme Studio"));
        assert!(!page.contains("<script>alert(1)"), "hostile text is escaped");
        let negative = t.get(&mut cm, &format!("{mentions_path}?sentiment=neg")).await.text().await.unwrap();
        assert!(negative.contains("alert(1)") && !negative.contains("adore"));

        // A contributor does not listen; an analyst reads but cannot add.
        let mut contributor = t.sign_in("contributor@acme.test", PASSWORD).await;
        assert_eq!(t.get(&mut contributor, &path).await.status(), 403);
        let mut analyst = t.sign_in("analyst@acme.test", PASSWORD).await;
        let page = t.get(&mut analyst, &path).await.text().await.unwrap();
        assert!(page.contains("Marque") && !page.contains(r#"action="/w/acme-studio/listening""#));
    }
}
