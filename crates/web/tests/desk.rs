//! The start of the day over HTTP, on every backend: the overview for each role with its
//! counts in the sidebar, the search (what the reader may see, escaped, bounded), alerts
//! acknowledged once and audited, crisis mode switched through a confirmation with held posts
//! said so, and the first run (the first workspace made right after setup; `/setup` without
//! its link).

mod common;

use common::{brand_channel, csrf_of, ingest, reply, seed, spawn, Browser, PASSWORD, WS};
use reqwest::header::LOCATION;
use tutti_app::store::alerts::{Alert, AlertSample};
use tutti_app::store::publishing::{insert_post, NewPost};
use tutti_app::Actor;

/// Stores a post of the brand channel in `status`, due `at`, written by `author`.
async fn post(
    t: &common::TestApp,
    ws: i64,
    ch: i64,
    author: Option<i64>,
    text: &str,
    status: &str,
    at: i64,
) -> i64 {
    let mut tx = t.app.store().begin().await.unwrap();
    let key = format!("k-{text}");
    let p = insert_post(
        &mut tx,
        &NewPost {
            workspace_id: ws,
            channel_id: ch,
            author_user_id: author,
            text,
            langs: "fr",
            status: if status == "failed" { "scheduled" } else { status }.parse().unwrap(),
            scheduled_at: Some(at),
            idempotency_key: &key,
            reply_to_post_id: None,
        },
        &[],
    )
    .await
    .unwrap();
    if status == "failed" {
        sqlx::query("UPDATE posts SET status = 'failed', error = $1 WHERE id = $2")
            .bind("Invalid app password <b>refused</b>")
            .bind(p.id)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    p.id
}

async fn alert(t: &common::TestApp, ws: i64, query_id: i64, crisis: bool) -> i64 {
    let now = tutti_app::store::now_ms();
    let mut tx = t.app.store().begin().await.unwrap();
    let id = tutti_app::store::alerts::insert_alert(
        &mut tx,
        &Alert {
            id: 0,
            workspace_id: ws,
            query_id,
            rule_id: None,
            kind: "volume".into(),
            observed: 42.0,
            expected: 3.0,
            window_start: now - 900_000,
            window_end: now,
            samples: vec![AlertSample {
                author: "did:plc:claire".into(),
                text: "Lampe cassée".into(),
                url: None,
            }],
            crisis_suggested: crisis,
            created_at: now,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn user_id(t: &common::TestApp, email: &str) -> i64 {
    t.app.user_by_email(email).await.unwrap().id
}

/// The number shown in the sidebar entry whose link is `href`, if it shows one.
fn nav_count(html: &str, href: &str) -> Option<i64> {
    let start = html.find(&format!("<a href=\"{href}\""))?;
    let entry = &html[start..start + html[start..].find("</a>")?];
    let at = entry.find("class=\"nav-count")?;
    let n = &entry[at..];
    let n = &n[n.find("aria-hidden=\"true\">")? + "aria-hidden=\"true\">".len()..];
    n[..n.find('<')?].parse().ok()
}

#[tokio::test]
async fn the_overview_is_the_start_of_the_day_for_each_role() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        let now = tutti_app::store::now_ms();
        let cm_id = user_id(&t, "cm@acme.test").await;
        let contributor_id = user_id(&t, "contributor@acme.test").await;
        post(&t, ws, ch, Some(cm_id), "Nouvelle collection <script>x</script>", "scheduled", now).await;
        post(&t, ws, ch, Some(cm_id), "Lampe du mois", "failed", now - 3_600_000).await;
        post(&t, ws, ch, Some(contributor_id), "Brouillon à valider", "in_review", now + 86_400_000 * 3)
            .await;
        // Three people under three brand posts: three open conversations, one assigned to the CM.
        ingest(
            &t,
            ws,
            ch,
            &[
                reply("p1", "r1", "claire", "Claire", "Ma lampe est arrivée cassée"),
                reply("p2", "r2", "tom", "Tom", "Where is my order?"),
                reply("p3", "r3", "ines", "Inès", "Superbe lampe"),
            ],
        )
        .await;
        let convs = t.app.inbox(&Actor::Operator, WS, &Default::default(), None, 10).await.unwrap();
        assert_eq!(convs.len(), 3, "[{label}] three conversations");
        t.app.assign_conversation(&Actor::Operator, WS, convs[0].id, "cm@acme.test").await.unwrap();
        let q = t.app.add_query(&Actor::Operator, WS, "Marque", "lampe", "brand").await.unwrap();
        alert(&t, ws, q.id, true).await;

        // The CM: what waits, today's schedule, the failure; no approvals, no alerts block.
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let home = t.get(&mut cm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(
            home.contains("Waiting for you") && home.contains("conversations assigned to you"),
            "[{label}]"
        );
        assert!(home.contains(&format!("href=\"/w/{WS}/inbox?assignee=me\"")), "[{label}] acts in the inbox");
        assert!(home.contains(&format!("href=\"/w/{WS}/inbox?assignee=none\"")), "[{label}]");
        assert!(home.contains("id=\"today-h\"") && home.contains("Nouvelle collection"), "[{label}]");
        assert!(
            home.contains("&#60;script&#62;x") && !home.contains("<script>x"),
            "[{label}] the post's text is escaped"
        );
        assert!(home.contains("Failed posts and channels") && home.contains("Lampe du mois"), "[{label}]");
        assert!(home.contains("&#60;b&#62;refused"), "[{label}] the network's words, inert");
        assert!(home.contains("Your posts in review"), "[{label}] the CM's own review block");
        assert!(!home.contains("Posts waiting for your approval"), "[{label}] approvals are the SMM's");
        assert!(!home.contains("Alerts and crisis") && !home.contains("This week"), "[{label}]");
        assert!(!home.contains("Areas of the workspace"), "[{label}] no brochure");
        // Sidebar counts: two conversations wait for the CM (theirs and the unassigned ones).
        assert_eq!(nav_count(&home, &format!("/w/{WS}/inbox")), Some(3), "[{label}] 1 mine + 2 unassigned");
        assert_eq!(nav_count(&home, &format!("/w/{WS}/review")), Some(1), "[{label}]");
        assert_eq!(nav_count(&home, &format!("/w/{WS}/calendar")), Some(1), "[{label}] one failed post");
        assert_eq!(nav_count(&home, &format!("/w/{WS}/alerts")), Some(1), "[{label}] one alert");

        // The SMM: the same plus approvals, alerts and crisis, the week's numbers.
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let home = t.get(&mut smm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(home.contains("Posts waiting for your approval") && home.contains("Brouillon à valider"));
        assert!(
            home.contains("Alerts and crisis") && home.contains("42 mentions in 15 minutes"),
            "[{label}]"
        );
        assert!(home.contains(&format!("href=\"/w/{WS}/crisis?on=1\"")), "[{label}] the crisis control");
        assert!(home.contains("This week") && home.contains("posts published"), "[{label}]");
        assert!(home.contains("Waiting for you") && home.contains("id=\"today-h\""), "[{label}]");

        // An analyst reads the inbox but writes nothing: no schedule, no failures, no review.
        let mut analyst = t.sign_in("analyst@acme.test", PASSWORD).await;
        let home = t.get(&mut analyst, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(home.contains("Waiting for you"), "[{label}]");
        assert!(!home.contains("id=\"today-h\"") && !home.contains(&format!("href=\"/w/{WS}/calendar")));
        assert_eq!(nav_count(&home, &format!("/w/{WS}/review")), None, "[{label}]");
        // The product team sees none of the inbox.
        let mut product = t.sign_in("product@acme.test", PASSWORD).await;
        let home = t.get(&mut product, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(!home.contains("conversations assigned to you") && !home.contains("/inbox"), "[{label}]");
    }
}

#[tokio::test]
async fn an_empty_overview_says_what_to_do() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let home = t.get(&mut smm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(home.contains("First steps") && home.contains("Connect a channel"), "[{label}]");
        assert!(home.contains("Nothing is planned today."), "[{label}]");
        assert!(home.contains("Every post went out and every channel is connected."), "[{label}]");
        assert!(home.contains("Nothing to approve"), "[{label}]");
        assert!(home.contains("Inbox zero"), "[{label}]");
        assert_eq!(
            nav_count(&home, &format!("/w/{WS}/inbox")),
            None,
            "[{label}] no count when nothing waits"
        );
    }
}

#[tokio::test]
async fn search_finds_what_the_reader_may_see_escaped_and_bounded() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        let now = tutti_app::store::now_ms();
        for i in 0..20 {
            post(&t, ws, ch, None, &format!("Aurore n°{i}"), "draft", now).await;
        }
        // The newest change comes first: this one, then eight of the twenty.
        post(&t, ws, ch, None, "La lampe <i>Aurore</i> arrive", "scheduled", now).await;
        ingest(&t, ws, ch, &[reply("p1", "r1", "claire", "Claire Aurore", "Ma lampe Aurore est cassée")])
            .await;
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let page = t.get(&mut smm, &format!("/w/{WS}/search?q=aurore")).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        for group in ["People", "Conversations", "Posts", "Mentions"] {
            assert!(html.contains(&format!("{group} <span class=\"count-chip\">")), "[{label}] {group}");
        }
        assert!(html.contains("Claire Aurore") && html.contains("Ma lampe Aurore"), "[{label}]");
        assert!(html.contains("&#60;i&#62;Aurore") && !html.contains("<i>Aurore"), "[{label}] escaped");
        let posts = html.matches(&format!("href=\"/w/{WS}/posts/")).count();
        assert_eq!(posts, tutti_app::desk::SEARCH_ROWS as usize, "[{label}] a group is bounded");
        // Wildcards are words: nothing has "%_" in it.
        let none = t.get(&mut smm, &format!("/w/{WS}/search?q=%25_")).await.text().await.unwrap();
        assert!(none.contains("Nothing found for"), "[{label}]");
        // A very long query is cut, not refused.
        let long = "a".repeat(5_000);
        assert_eq!(t.get(&mut smm, &format!("/w/{WS}/search?q={long}")).await.status(), 200);

        // A contributor sees posts only; the product team sees none of these.
        let mut contributor = t.sign_in("contributor@acme.test", PASSWORD).await;
        let html = t.get(&mut contributor, &format!("/w/{WS}/search?q=aurore")).await.text().await.unwrap();
        assert!(html.contains("La lampe"), "[{label}]");
        assert!(!html.contains("Claire Aurore") && !html.contains("Conversations <span"), "[{label}]");
        let mut product = t.sign_in("product@acme.test", PASSWORD).await;
        let html = t.get(&mut product, &format!("/w/{WS}/search?q=aurore")).await.text().await.unwrap();
        assert!(!html.contains("La lampe") && !html.contains("Claire Aurore"), "[{label}]");
        // The top bar carries the search box, with its key.
        assert!(html.contains("role=\"search\"") && html.contains("aria-keyshortcuts=\"/\""), "[{label}]");
    }
}

#[tokio::test]
async fn alerts_are_acknowledged_once_and_audited() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let (ws, _) = brand_channel(&t).await;
        let q = t.app.add_query(&Actor::Operator, WS, "Marque", "lampe", "brand").await.unwrap();
        let first = alert(&t, ws, q.id, false).await;
        alert(&t, ws, q.id, false).await;
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let page = t.get(&mut cm, &format!("/w/{WS}/alerts")).await.text().await.unwrap();
        assert_eq!(nav_count(&page, &format!("/w/{WS}/alerts")), Some(2), "[{label}]");
        cm.csrf = csrf_of(&page);
        let ack = format!("/w/{WS}/alerts/{first}/acknowledge");
        let r = t.post_form(&mut cm, &ack, &[]).await;
        assert_eq!(r.status(), 303, "[{label}]");
        let page = t.get(&mut cm, &format!("/w/{WS}/alerts")).await.text().await.unwrap();
        assert!(page.contains("Acknowledged by cm Person"), "[{label}] who, and when");
        assert_eq!(nav_count(&page, &format!("/w/{WS}/alerts")), Some(1), "[{label}] one left");
        // Once only: a second acknowledgement changes nothing.
        assert_eq!(t.post_form(&mut cm, &ack, &[]).await.status(), 303);
        let log = t
            .app
            .audit_log(&Actor::Operator, WS, &tutti_app::AuditQuery { limit: 100, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(log.iter().filter(|e| e.action == "alert.acknowledge").count(), 1, "[{label}]");
        // Refused to those who only read listening; another workspace's alert is not found.
        let mut analyst = t.sign_in("analyst@acme.test", PASSWORD).await;
        let page = t.get(&mut analyst, &format!("/w/{WS}/alerts")).await.text().await.unwrap();
        assert!(!page.contains("/acknowledge"), "[{label}] no button for an analyst");
        analyst.csrf = csrf_of(&page);
        assert_eq!(t.post_form(&mut analyst, &ack, &[]).await.status(), 403);
        let r = t.post_form(&mut cm, &format!("/w/{WS}/alerts/999999/acknowledge"), &[]).await;
        assert_eq!(r.status(), 404, "[{label}]");
    }
}

#[tokio::test]
async fn crisis_mode_is_switched_with_a_confirmation_and_held_posts_say_so() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let (ws, ch) = brand_channel(&t).await;
        let now = tutti_app::store::now_ms();
        let id = post(&t, ws, ch, None, "Soldes d'hiver", "scheduled", now + 86_400_000).await;
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let confirm = t.get(&mut smm, &format!("/w/{WS}/crisis?on=1")).await;
        assert_eq!(confirm.status(), 200);
        let html = confirm.text().await.unwrap();
        assert!(html.contains("Turn on crisis mode?") && html.contains("will not go out"), "[{label}]");
        assert!(
            t.app.crisis(&Actor::Operator, WS).await.unwrap().is_none(),
            "[{label}] asking changes nothing"
        );
        smm.csrf = csrf_of(&html);
        let r = t
            .post_form(&mut smm, &format!("/w/{WS}/crisis"), &[("on", "1"), ("reason", "Rappel produit")])
            .await;
        assert_eq!(r.status(), 303);
        let home = t.get(&mut smm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(home.contains("Publishing is paused"), "[{label}] the banner says it");
        assert!(home.contains(&format!("href=\"/w/{WS}/crisis?on=0\"")), "[{label}] and offers to end it");
        let cal = t.get(&mut smm, &format!("/w/{WS}/calendar?view=list")).await.text().await.unwrap();
        assert!(cal.contains("chip-held") && cal.contains("Held (crisis)"), "[{label}] held, not scheduled");
        assert!(!cal.contains("chip-scheduled"), "[{label}]");
        let page = t.get(&mut smm, &format!("/w/{WS}/posts/{id}")).await.text().await.unwrap();
        assert!(page.contains("Held (crisis)"), "[{label}] on the post's page too");
        // A CM sees the banner, not the switch.
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        assert_eq!(t.get(&mut cm, &format!("/w/{WS}/crisis")).await.status(), 403, "[{label}]");
        let home = t.get(&mut cm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(home.contains("Publishing is paused") && !home.contains("/crisis?on=0"), "[{label}]");
        // Ending it asks first, too.
        let html = t.get(&mut smm, &format!("/w/{WS}/crisis?on=0")).await.text().await.unwrap();
        assert!(html.contains("End crisis mode?") && html.contains("Rappel produit"), "[{label}]");
        let r = t.post_form(&mut smm, &format!("/w/{WS}/crisis"), &[("on", "0")]).await;
        assert_eq!(r.status(), 303);
        let cal = t.get(&mut smm, &format!("/w/{WS}/calendar?view=list")).await.text().await.unwrap();
        assert!(cal.contains("chip-scheduled") && !cal.contains("Held (crisis)"), "[{label}]");
        let log = t
            .app
            .audit_log(&Actor::Operator, WS, &tutti_app::AuditQuery { limit: 100, ..Default::default() })
            .await
            .unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"crisis.on") && actions.contains(&"crisis.off"), "[{label}] {actions:?}");
    }
}

#[tokio::test]
async fn first_run_offers_the_first_workspace_and_setup_without_its_link_explains() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        let secret = t.app.issue_setup_token().await.unwrap().unwrap();
        let mut b = Browser::default();
        // Without its link, /setup says where the link is.
        let r = t.get(&mut b, "/setup").await;
        assert_eq!(r.status(), 200, "[{label}]");
        let html = r.text().await.unwrap();
        assert!(html.contains("/setup?token=") && html.contains("terminal"), "[{label}] {html}");
        assert!(!html.contains("name=\"password\""), "[{label}] no form without the link");
        let r = t.get(&mut b, "/setup?token=wrong").await;
        assert_eq!(r.status(), 404, "[{label}]");
        assert!(r.text().await.unwrap().contains("wrong or was already used"), "[{label}]");

        let page = t.get(&mut b, &format!("/setup?token={secret}")).await.text().await.unwrap();
        b.csrf = csrf_of(&page);
        let fields = [
            ("token", secret.as_str()),
            ("email", "chef@maison.fr"),
            ("name", "Camille"),
            ("password", PASSWORD),
        ];
        assert_eq!(t.post_form(&mut b, "/setup", &fields).await.status(), 303);
        // Right after setup: the first workspace is offered, with a list of zones and a language.
        let page = t.get(&mut b, "/workspaces").await.text().await.unwrap();
        assert!(page.contains("Your first workspace"), "[{label}]");
        assert!(!page.contains("Ask an administrator to invite you"), "[{label}] no dead end");
        assert!(page.contains("<select id=\"ws-tz\"") && page.contains("<option value=\"America/Montreal\""));
        assert!(page.contains("<optgroup label=\"Europe\">") && page.contains("<select id=\"ws-lang\""));
        b.csrf = csrf_of(&page);
        // A zone that is not IANA's is refused at its field.
        let r = t
            .post_form(
                &mut b,
                "/workspaces",
                &[("name", "Maison Lumière"), ("timezone", "Mars/Olympus"), ("language", "fr")],
            )
            .await;
        assert_eq!(r.status(), 422, "[{label}]");
        assert!(r.text().await.unwrap().contains("id=\"ws-tz-error\""), "[{label}]");
        let r = t
            .post_form(
                &mut b,
                "/workspaces",
                &[("name", "Maison Lumière"), ("timezone", "America/Montreal"), ("language", "fr")],
            )
            .await;
        assert_eq!(r.status(), 303, "[{label}]");
        assert_eq!(r.headers()[LOCATION], "/w/maison-lumiere", "[{label}] the new workspace opens");
        let ws = &t.app.list_workspaces(&Actor::Operator).await.unwrap()[0].0;
        assert_eq!((ws.name.as_str(), ws.timezone.as_str()), ("Maison Lumière", "America/Montreal"));
        let me = t.app.user_by_email("chef@maison.fr").await.unwrap();
        let actor = Actor::User(me.clone());
        assert_eq!(
            t.app.workspace_language(&actor, "maison-lumiere").await.unwrap(),
            Some(tutti_domain::Locale::Fr)
        );
        assert_eq!(
            me.locale.as_deref(),
            Some("fr"),
            "[{label}] the admin's interface follows the team's language"
        );
        let home = t.get(&mut b, "/w/maison-lumiere").await.text().await.unwrap();
        assert!(home.contains("Premiers pas"), "[{label}] the overview says what comes next, in French");
        // Once setup is done, /setup says so.
        let mut other = Browser::default();
        let html = t.get(&mut other, "/setup").await.text().await.unwrap();
        assert!(html.contains("already set up"), "[{label}]");
    }
}
