//! End to end in a real headless Chromium: first-run setup → sign in → create a workspace →
//! invite a CM → the CM joins and is refused the team settings; then a post composed, planned
//! and moved on the calendar. Screenshots of each page, in English and French, wide and narrow,
//! go to `target/screenshots/`. The inbox, the start of the day and the polish of every page
//! are in `browser_inbox.rs`, `browser_desk.rs` and `browser_polish.rs`.

mod browser_support;
mod common;

use browser_support::{
    assert_fits, click, fill, open_browser, path, shot, start_driver, submit, text, NARROW, WIDE,
};
use fantoccini::Locator;
use serde_json::json;

#[tokio::test]
async fn setup_invite_and_role_refusal_in_a_real_browser() {
    let Some(driver) = start_driver() else { return };
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = common::spawn(db).await;
        let c = open_browser(&driver).await;
        let secret = t.app.issue_setup_token().await.unwrap().unwrap();

        // Without its link, /setup says where the link is printed.
        c.goto(&t.url("/setup")).await.unwrap();
        assert!(text(&c).await.contains("Look in the terminal"), "[{label}] /setup explains");
        shot(&c, &format!("{label}-00-setup-help")).await;

        // First run: the setup page creates the administrator and signs them in.
        c.goto(&t.url(&format!("/setup?token={secret}"))).await.unwrap();
        shot(&c, &format!("{label}-01-setup")).await;
        fill(&c, "#name", "Camille Martin").await;
        fill(&c, "#email", "camille@maison-lumiere.fr").await;
        fill(&c, "#password", "short").await;
        submit(&c, "button[type=submit]").await;
        assert!(
            text(&c).await.contains("at least 10 characters"),
            "[{label}] the password error is shown at its field"
        );
        shot(&c, &format!("{label}-02-setup-error")).await;
        fill(&c, "#password", common::PASSWORD).await;
        submit(&c, "button[type=submit]").await;
        assert_eq!(path(&c).await, "/workspaces", "[{label}] after setup");

        // Sign out, and sign in again through the login page.
        click(&c, ".usermenu summary").await;
        submit(&c, ".usermenu button[type=submit]").await;
        assert!(path(&c).await.starts_with("/login"));
        shot(&c, &format!("{label}-03-login")).await;
        fill(&c, "#email", "camille@maison-lumiere.fr").await;
        fill(&c, "#password", common::PASSWORD).await;
        submit(&c, "button[type=submit]").await;
        assert_eq!(
            path(&c).await,
            "/workspaces",
            "[{label}] an admin without a workspace lands on the switcher"
        );
        // Right after setup the first workspace is offered there: name, a zone from the list,
        // the team's language.
        assert!(text(&c).await.contains("Your first workspace"), "[{label}] the first-run form");
        assert_fits(&c, "first run, wide").await;
        shot(&c, &format!("{label}-04-first-run")).await;
        if label == "sqlite" {
            c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
            c.refresh().await.unwrap();
            assert_fits(&c, "first run, narrow").await;
            shot(&c, "en-390-first-run").await;
            // The same page in French, wide and narrow.
            let me = t.app.user_by_email("camille@maison-lumiere.fr").await.unwrap();
            t.app.update_preferences(&me, &me.name, "fr", &me.timezone).await.unwrap();
            c.refresh().await.unwrap();
            assert!(text(&c).await.contains("Votre premier espace"));
            assert_fits(&c, "first run, French, narrow").await;
            shot(&c, "fr-390-first-run").await;
            c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
            c.refresh().await.unwrap();
            shot(&c, "fr-1440-first-run").await;
            t.app.update_preferences(&me, &me.name, "", &me.timezone).await.unwrap();
            c.refresh().await.unwrap();
        }

        // Create the workspace: its overview opens, with the first steps.
        fill(&c, "#ws-name", "Maison Lumière").await;
        click(&c, "#ws-tz option[value='Europe/Paris']").await;
        click(&c, "#ws-lang option[value=en]").await;
        submit(&c, "form[action='/workspaces'] button[type=submit]").await;
        assert_eq!(path(&c).await, "/w/maison-lumiere", "[{label}] after creating the first workspace");
        assert!(text(&c).await.contains("First steps"), "[{label}] the overview says what comes next");
        shot(&c, &format!("{label}-04b-first-overview")).await;
        c.goto(&t.url("/w/maison-lumiere/team")).await.unwrap();

        // Invite a CM: the invitation link is shown to share.
        fill(&c, "#invite-email", "lucas@maison-lumiere.fr").await;
        c.find(Locator::Css("#invite-role option[value=cm]")).await.unwrap().click().await.unwrap();
        submit(&c, "form[action='/w/maison-lumiere/team'] button[type=submit]").await;
        let link = c.find(Locator::Css("#invite-link")).await.unwrap().prop("value").await.unwrap().unwrap();
        assert!(link.contains("/invite/"), "[{label}] invitation link {link}");
        assert!(text(&c).await.contains("lucas@maison-lumiere.fr"));
        shot(&c, &format!("{label}-05-team-invited")).await;
        c.goto(&t.url("/w/maison-lumiere/audit")).await.unwrap();
        assert!(text(&c).await.contains("Added a member"));
        shot(&c, &format!("{label}-06-audit")).await;

        // Sign out; the CM follows the link, joins, and lands in the workspace.
        click(&c, ".usermenu summary").await;
        submit(&c, ".usermenu button[type=submit]").await;
        c.goto(&link).await.unwrap();
        shot(&c, &format!("{label}-07-invitation")).await;
        fill(&c, "#name", "Lucas Bernard").await;
        fill(&c, "#password", common::PASSWORD).await;
        submit(&c, "button[type=submit]").await;
        assert_eq!(path(&c).await, "/w/maison-lumiere", "[{label}] the CM lands in the workspace");
        let home = text(&c).await;
        assert!(
            home.contains("Inbox") && home.contains("Calendar") && !home.contains("Audit log"),
            "[{label}] the CM's navigation"
        );
        shot(&c, &format!("{label}-08-cm-overview")).await;

        // Team settings are refused to a CM.
        c.goto(&t.url("/w/maison-lumiere/team")).await.unwrap();
        assert!(
            text(&c).await.contains("have access to this page"),
            "[{label}] the CM is refused the team page"
        );
        shot(&c, &format!("{label}-09-cm-refused")).await;

        if label == "sqlite" {
            // The same pages in French, wide and narrow, for review.
            c.goto(&t.url("/settings")).await.unwrap();
            c.find(Locator::Css("#s-locale option[value=fr]")).await.unwrap().click().await.unwrap();
            submit(&c, "form[action='/settings'] button[type=submit]").await;
            assert!(text(&c).await.contains("Vos paramètres ont été enregistrés."));
            shot(&c, "fr-10-settings").await;
            for (size, tag) in [(WIDE, "1440"), (NARROW, "390")] {
                c.set_window_size(size.0, size.1).await.unwrap();
                for (page, name) in [
                    ("/w/maison-lumiere", "overview"),
                    ("/w/maison-lumiere/inbox", "inbox"),
                    ("/w/maison-lumiere/team", "refused"),
                ] {
                    c.goto(&t.url(page)).await.unwrap();
                    shot(&c, &format!("fr-{tag}-{name}")).await;
                }
            }
            // And the administrator's pages, narrow.
            c.goto(&t.url("/settings")).await.unwrap();
            click(&c, ".usermenu summary").await;
            submit(&c, ".usermenu button[type=submit]").await;
            shot(&c, "fr-390-login").await;
            fill(&c, "#email", "camille@maison-lumiere.fr").await;
            fill(&c, "#password", common::PASSWORD).await;
            submit(&c, "button[type=submit]").await;
            for (page, name) in [
                ("/w/maison-lumiere/team", "team"),
                ("/w/maison-lumiere/audit", "audit"),
                ("/settings", "settings"),
            ] {
                c.goto(&t.url(page)).await.unwrap();
                shot(&c, &format!("en-390-{name}")).await;
            }
            c.find(Locator::Css("[data-menu-toggle]")).await.unwrap().click().await.unwrap();
            shot(&c, "en-390-menu-open").await;

            // Two-factor sign-in: enrolled with a code computed here, then asked at sign-in.
            c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
            c.goto(&t.url("/settings/two-factor")).await.unwrap();
            submit(&c, "form[action='/settings/two-factor/start'] button[type=submit]").await;
            let secret =
                c.find(Locator::Css("#totp-secret")).await.unwrap().prop("value").await.unwrap().unwrap();
            shot(&c, "en-1440-two-factor-setup").await;
            fill(&c, "#confirm-code", &common::totp(&secret, tutti_store::now_ms())).await;
            submit(&c, "form[action='/settings/two-factor/confirm'] button[type=submit]").await;
            let codes = c.find_all(Locator::Css(".recovery-codes li")).await.unwrap();
            assert_eq!(codes.len(), 10, "ten recovery codes are shown once");
            shot(&c, "en-1440-two-factor-recovery").await;
            click(&c, ".usermenu summary").await;
            submit(&c, ".usermenu button[type=submit]").await;
            fill(&c, "#email", "camille@maison-lumiere.fr").await;
            fill(&c, "#password", common::PASSWORD).await;
            submit(&c, "button[type=submit]").await;
            assert!(c.current_url().await.unwrap().path().starts_with("/login/two-factor"));
            shot(&c, "en-1440-login-two-factor").await;
            // The code of the next step: the one used to confirm is not accepted twice.
            fill(&c, "#code", &common::totp(&secret, tutti_store::now_ms() + 30_000)).await;
            submit(&c, "form[action='/login/two-factor'] button[type=submit]").await;
            assert!(
                !c.current_url().await.unwrap().path().starts_with("/login"),
                "signed in with the second factor"
            );
            c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
            c.goto(&t.url("/settings/two-factor")).await.unwrap();
            let wider: Vec<String> = serde_json::from_value(
                c.execute(
                    "return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className)",
                    vec![],
                )
                .await
                .unwrap(),
            )
            .unwrap();
            assert!(wider.is_empty(), "the two-factor page is wider than 390 px: {wider:?}");
            shot(&c, "en-390-two-factor").await;
            c.set_window_size(WIDE.0, WIDE.1).await.unwrap();

            // Listening: a malformed query shows a caret under the column at fault.
            c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
            c.goto(&t.url("/w/maison-lumiere/listening")).await.unwrap();
            fill(&c, "#q-name", "Maison Lumière").await;
            fill(&c, "#q-query", "\"maison lumière\" OR lampe NEAR/3").await;
            submit(&c, "form[action='/w/maison-lumiere/listening'] button[type=submit]").await;
            assert!(c.find(Locator::Css("pre.caret")).await.is_ok(), "the caret points at the error");
            shot(&c, "en-1440-listening-error").await;
            fill(&c, "#q-query", "\"maison lumière\" OR (lampe NEAR/3 lumière) OR #luminaire").await;
            submit(&c, "form[action='/w/maison-lumiere/listening'] button[type=submit]").await;
            let mentions_path = path(&c).await;
            let query_id: i64 = mentions_path.rsplit('/').next().unwrap().parse().unwrap();
            let op = tutti_app::Actor::Operator;
            let rival =
                t.app.add_query(&op, "maison-lumiere", "Lumina", "lumina", "competitor").await.unwrap();
            let now = tutti_app::store::now_ms();
            let samples = [
                ("did:plc:claire", "Ma lampe Maison Lumière est arrivée cassée, et le service client ne répond pas. Très déçue. #livraison", "neg", "fr"),
                ("did:plc:tom", "Just got the Maison Lumière desk lamp, the warm light is lovely #luminaire", "pos", "en"),
                ("did:plc:ines", "Quelqu'un connaît la lampe Maison Lumière ? Elle vaut le coup ?", "neu", "fr"),
                ("did:plc:marc", "Livraison Maison Lumière encore en retard, troisième fois ce mois-ci #livraison", "neg", "fr"),
                ("did:plc:sofia", "La nouvelle lampe de chevet Maison Lumière est superbe, lumière très douce", "pos", "fr"),
            ];
            let mut tx = t.app.store().begin().await.unwrap();
            for i in 0..60usize {
                let (author, text, sentiment, lang) = samples[(i * 7) % samples.len()];
                // Spread over the week, busier in the last two days.
                let ago =
                    if i < 30 { (i as i64) * 1_700_000 } else { (i as i64 - 30) * 17_000_000 + 172_800_000 };
                for (q, kind) in [(query_id, "brand"), (rival.id, "competitor")] {
                    if kind == "competitor" && i % 3 != 0 {
                        continue;
                    }
                    let m = tutti_app::store::listening::Mention {
                        id: 0,
                        query_id: q,
                        source: if i % 4 == 0 { "mastodon".into() } else { "firehose".into() },
                        external_id: format!("at://{author}/app.bsky.feed.post/{kind}{i}"),
                        url: Some(format!("https://bsky.app/profile/{author}/post/{i}")),
                        author: Some(author.into()),
                        text: if kind == "brand" {
                            text.into()
                        } else {
                            text.replace("Maison Lumière", "Lumina")
                        },
                        lang: Some(lang.into()),
                        sentiment: Some(sentiment.parse().unwrap()),
                        sentiment_score: Some(0.0),
                        toxicity: Some(0.0),
                        published_at: Some(now - ago),
                    };
                    tutti_app::store::listening::insert_mention(&mut tx, &m).await.unwrap();
                }
            }
            tx.commit().await.unwrap();
            c.goto(&t.url(&mentions_path)).await.unwrap();
            let page = text(&c).await;
            assert!(page.contains("le service client ne répond pas") && page.contains("Share of voice"));
            shot(&c, "en-1440-listening-report").await;

            // An alert rule with a malformed keyword is refused at its field; a good one is kept.
            click(&c, "input[name=kind][value=keyword]").await;
            fill(&c, "#r-keyword", "cassée AND").await;
            submit(&c, "form[action$='/rules'] button[type=submit]").await;
            assert!(
                c.find(Locator::Css("#r-keyword-error")).await.is_ok(),
                "the keyword error is shown at its field"
            );
            click(&c, "input[name=kind][value=keyword]").await;
            fill(&c, "#r-keyword", "cassée OR remboursement").await;
            click(&c, "input[name=webhook]").await;
            submit(&c, "form[action$='/rules'] button[type=submit]").await;
            assert!(text(&c).await.contains("Keywords: cassée OR remboursement"));

            // A spike alert on the brand offers crisis mode; the admin turns it on.
            let ws = t.app.list_workspaces(&op).await.unwrap()[0].0.id;
            let mut tx = t.app.store().begin().await.unwrap();
            tutti_app::store::alerts::insert_alert(
                &mut tx,
                &tutti_app::store::alerts::Alert {
                    id: 0,
                    workspace_id: ws,
                    query_id,
                    rule_id: None,
                    kind: "negative_share".into(),
                    observed: 0.82,
                    expected: 0.12,
                    window_start: now - 900_000,
                    window_end: now,
                    samples: vec![tutti_app::store::alerts::AlertSample {
                        author: "did:plc:claire".into(),
                        text: "Ma lampe Maison Lumière est arrivée cassée <script>alert(1)</script>".into(),
                        url: None,
                    }],
                    crisis_suggested: true,
                    created_at: now,
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            c.goto(&t.url("/w/maison-lumiere/alerts")).await.unwrap();
            assert!(text(&c).await.contains("82% negative (usually 12%)"));
            shot(&c, "en-1440-alerts").await;
            // Turning crisis mode on asks first; the reason offered is the alert's.
            submit(&c, ".alert a.button.danger").await;
            assert!(text(&c).await.contains("Turn on crisis mode?"), "a confirmation");
            shot(&c, "en-1440-crisis-confirm").await;
            submit(&c, ".crisis-confirm button[type=submit]").await;
            assert!(text(&c).await.contains("Crisis mode is on."), "the banner shows");
            assert!(text(&c).await.contains("Publishing is paused"), "and says publishing is paused");
            shot(&c, "en-1440-crisis-on").await;
            c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
            c.goto(&t.url(&mentions_path)).await.unwrap();
            shot(&c, "en-390-listening-report").await;
            c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
            c.goto(&t.url("/w/maison-lumiere/listening-settings")).await.unwrap();
            shot(&c, "en-1440-listening-settings").await;
            submit(&c, ".crisis-banner a.button").await;
            submit(&c, ".crisis-confirm button[type=submit]").await;
            assert!(!text(&c).await.contains("Crisis mode is on."), "crisis mode ended");

            // The CM reads the same report in French.
            click(&c, ".usermenu summary").await;
            submit(&c, ".usermenu button[type=submit]").await;
            fill(&c, "#email", "lucas@maison-lumiere.fr").await;
            fill(&c, "#password", common::PASSWORD).await;
            submit(&c, "button[type=submit]").await;
            c.goto(&t.url(&mentions_path)).await.unwrap();
            assert!(text(&c).await.contains("Part de voix"));
            shot(&c, "fr-1440-listening-report").await;
        }
        c.close().await.unwrap();
    }
}

#[tokio::test]
async fn compose_then_plan_and_move_posts_on_the_calendar_in_a_real_browser() {
    use chrono::TimeZone;
    use tutti_app::publishing::ChannelToAdd;
    use tutti_app::secrets::Keyring;
    use tutti_app::Actor;

    let Some(driver) = start_driver() else { return };
    let t = common::spawn(tutti_test_support::sqlite()).await;
    common::seed(&t.app).await;
    let ws = common::WS;
    let keys = Keyring::generate();
    for (network, handle, ambassador) in [
        ("bluesky", "maison.test", None),
        ("mastodon", "@maison@mastodon.test", None),
        ("bluesky", "lea-cm.test", Some("cm@acme.test")),
    ] {
        let channel = ChannelToAdd {
            network: network.into(),
            handle: handle.into(),
            service: "http://127.0.0.1:9".into(),
            account_id: None,
            secret: "x".into(),
            ambassador: ambassador.map(str::to_owned),
        };
        t.app.add_channel(&Actor::Operator, &keys, ws, &channel).await.unwrap();
    }
    // A day three weeks ahead, so that the month and the week have room to move the post.
    let paris = chrono_tz::Europe::Paris;
    let day = chrono::Utc::now().with_timezone(&paris).date_naive() + chrono::Duration::days(21);
    let ymd = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();

    let c = open_browser(&driver).await;
    c.goto(&t.url("/login")).await.unwrap();
    fill(&c, "#email", "smm@acme.test").await;
    fill(&c, "#password", common::PASSWORD).await;
    submit(&c, "button[type=submit]").await;

    // Compose: the counter follows the text as Bluesky counts it, and turns red past 300.
    c.goto(&t.url(&format!("/w/{ws}/compose"))).await.unwrap();
    fill(&c, "#c-text", &"é".repeat(305)).await;
    let counter = c.find(Locator::Css("#c-count")).await.unwrap();
    assert_eq!(counter.text().await.unwrap(), "305 / 300");
    assert!(counter.attr("class").await.unwrap().unwrap_or_default().contains("over"));
    // Sent anyway: htmx swaps the form back in with the server's message at the text.
    click(&c, "#compose-form button[type=submit]").await;
    let error = c.wait().for_element(Locator::Css("#c-text-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("5 characters over Bluesky's limit (300)"));
    assert_eq!(path(&c).await, format!("/w/{ws}/compose"), "the form stays");
    let counter = c.find(Locator::Css("#c-count")).await.unwrap();
    let words = "Nouvelle collection Lumière d'hiver : 12 lampes en verre soufflé, fabriquées à Lyon. \
                Découvrez-les en boutique dès samedi ✨ #luminaire #fabricationfrançaise";
    fill(&c, "#c-text", words).await;
    assert!(!counter.attr("class").await.unwrap().unwrap_or_default().contains("over"));
    c.execute(
        "document.getElementById('c-at').value = arguments[0];",
        vec![json!(format!("{}T10:30", ymd(day)))],
    )
    .await
    .unwrap();
    click(&c, ".images-box summary").await;
    fill(&c, "#c-alt1", "Trois lampes en verre soufflé sur une table en chêne").await;
    shot(&c, "en-1440-compose").await;
    submit(&c, "#compose-form button[type=submit]").await;
    assert!(path(&c).await.starts_with(&format!("/w/{ws}/calendar?view=week")), "{}", path(&c).await);
    shot(&c, "en-1440-calendar-week").await;
    let page = text(&c).await;
    assert!(page.contains("The post is scheduled.") && page.contains("Nouvelle collection"), "{page}");
    let id = t.app.posts(&Actor::Operator, ws, 10).await.unwrap()[0].id;
    let card = format!("#post-{id}");
    let cell = |d: chrono::NaiveDate| format!("[data-drop-date='{}'] {card}", ymd(d));
    assert!(c.find(Locator::Css(&cell(day))).await.is_ok(), "the post is on its day in the week");
    shot(&c, "en-1440-calendar-week").await;

    // More of the plan around it, so that the month reads like a month.
    let smm = Actor::User(t.app.user_by_email("smm@acme.test").await.unwrap());
    let contributor = Actor::User(t.app.user_by_email("contributor@acme.test").await.unwrap());
    for (who, offset, hour, channel, words) in [
        (&smm, -2, 9, "maison.test", "Coulisses de l'atelier : le souffleur de verre au travail 🔥"),
        (
            &smm,
            1,
            18,
            "@maison@mastodon.test",
            "Live ce soir à 19 h : nos conseils pour bien éclairer un salon.",
        ),
        (&contributor, 3, 12, "maison.test", "Proposition : jeu-concours pour gagner la lampe Aube."),
        (
            &smm,
            6,
            8,
            "@maison@mastodon.test",
            "Bon dimanche ! Et vous, quelle lumière pour vos soirées d'hiver ?",
        ),
        (&smm, -9, 11, "maison.test", "Merci pour vos 10 000 abonnés ! 💛"),
    ] {
        let at = paris
            .from_local_datetime(&(day + chrono::Duration::days(offset)).and_hms_opt(hour, 0, 0).unwrap())
            .unwrap()
            .to_rfc3339();
        let post = tutti_app::publishing::PostToWrite {
            channel: channel.into(),
            text: words.into(),
            at: Some(at),
            langs: vec!["fr".into()],
            images: vec![],
            reply_to: None,
            queue: false,
        };
        t.app.create_post(who, ws, &post, tutti_app::store::now_ms()).await.unwrap();
    }
    let mut tx = t.app.store().begin().await.unwrap();
    sqlx::query(
        "UPDATE posts SET status = 'published', remote_url = 'https://bsky.app/profile/maison.test/post/3kabc' \
         WHERE text LIKE 'Coulisses%'",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=month&date={}", ymd(day)))).await.unwrap();
    assert!(c.find(Locator::Css(&cell(day))).await.is_ok(), "the post is on its day in the month");
    shot(&c, "en-1440-calendar-month").await;

    // From the keyboard: open the post's Move form, type a new time, press Enter.
    let next = day + chrono::Duration::days(1);
    let summary = c.find(Locator::Css(&format!("{card} .cal-move summary"))).await.unwrap();
    summary.send_keys("\u{E007}").await.unwrap();
    let field = c.find(Locator::Css(&format!("#move-{id}"))).await.unwrap();
    c.execute(
        "arguments[0].value = arguments[1];",
        vec![json!(field), json!(format!("{}T16:15", ymd(next)))],
    )
    .await
    .unwrap();
    submit(&c, &format!("{card} .move-form button[type=submit]")).await;
    assert!(text(&c).await.contains("The post was moved."));
    assert!(c.find(Locator::Css(&cell(next))).await.is_ok(), "the post moved to the next day");
    let moved =
        t.app.posts(&Actor::Operator, ws, 10).await.unwrap().into_iter().find(|p| p.id == id).unwrap();
    let expected =
        paris.from_local_datetime(&next.and_hms_opt(16, 15, 0).unwrap()).unwrap().timestamp_millis();
    assert_eq!(moved.scheduled_at, Some(expected));

    // By drag and drop: the browser's own drag events, htmx swaps the calendar in.
    let target = next + chrono::Duration::days(1);
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=month&date={}", ymd(day)))).await.unwrap();
    c.execute(
        "const card = document.querySelector(arguments[0]);
         const day = document.querySelector(arguments[1]);
         const dt = new DataTransfer();
         card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt}));
         day.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
         day.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
         card.dispatchEvent(new DragEvent('dragend', {bubbles: true, dataTransfer: dt}));",
        vec![json!(card), json!(format!("[data-drop-date='{}']", ymd(target)))],
    )
    .await
    .unwrap();
    c.wait().for_element(Locator::Css("#calendar-body .banner-ok")).await.unwrap();
    assert!(c.find(Locator::Css(&cell(target))).await.is_ok(), "the post was dropped on its new day");
    let dropped =
        t.app.posts(&Actor::Operator, ws, 10).await.unwrap().into_iter().find(|p| p.id == id).unwrap();
    let expected =
        paris.from_local_datetime(&target.and_hms_opt(16, 15, 0).unwrap()).unwrap().timestamp_millis();
    assert_eq!(dropped.scheduled_at, Some(expected), "the time of day is kept");

    // A failed post is impossible to miss, with the network's words.
    let mut tx = t.app.store().begin().await.unwrap();
    sqlx::query(
        "UPDATE posts SET status = 'failed', error = 'Record/text must not be longer than 300 graphemes' \
         WHERE text LIKE 'Live ce soir%'",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=month&date={}", ymd(day)))).await.unwrap();
    let page = text(&c).await;
    assert!(page.contains("One post failed to publish") && page.contains("longer than 300 graphemes"));
    shot(&c, "en-1440-calendar-failed").await;
    // The failed post's own page: the network's words, and what to do.
    let failed = t
        .app
        .posts(&Actor::Operator, ws, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.status == "failed")
        .unwrap();
    c.goto(&t.url(&format!("/w/{ws}/posts/{}", failed.id))).await.unwrap();
    assert!(text(&c).await.contains("longer than 300 graphemes"));
    shot(&c, "en-1440-post-failed").await;
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=month&date={}", ymd(day)))).await.unwrap();
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    let to_calendar = "document.getElementById('calendar-body').scrollIntoView();";
    c.execute(to_calendar, vec![]).await.unwrap();
    shot(&c, "en-390-calendar-month").await;
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=week&date={}", ymd(day)))).await.unwrap();
    c.execute(to_calendar, vec![]).await.unwrap();
    shot(&c, "en-390-calendar-week").await;

    // Channels: weekly queue slots set from the page, then "add to queue" in the composer.
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/channels"))).await.unwrap();
    let brand = t
        .app
        .channels(&Actor::Operator, ws)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.handle == "maison.test")
        .unwrap();
    fill(&c, &format!("#slots-{}", brand.id), "mon 09:00, wed 12:30, fri 17:00").await;
    submit(&c, &format!("#channel-{} form button[type=submit]", brand.id)).await;
    let page = text(&c).await;
    assert!(
        page.contains("The queue slots are saved.") && page.contains("mon 09:00, wed 12:30, fri 17:00"),
        "{page}"
    );
    shot(&c, "en-1440-channels").await;
    c.goto(&t.url(&format!("/w/{ws}/compose"))).await.unwrap();
    let utm = c.find(Locator::Css("[data-utm-fields]")).await.unwrap();
    assert!(!utm.is_displayed().await.unwrap(), "the UTM fields wait for their checkbox");
    click(&c, "input[name=utm]").await;
    assert!(utm.is_displayed().await.unwrap());
    click(&c, "input[name=utm]").await;
    fill(&c, "#c-text", "Dans la file d'attente").await;
    click(&c, "input[name=queue]").await;
    assert!(
        !c.find(Locator::Css("#c-at")).await.unwrap().is_enabled().await.unwrap(),
        "a queued post takes no date"
    );
    submit(&c, "#compose-form button[type=submit]").await;
    let queued = t
        .app
        .posts(&Actor::Operator, ws, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.text == "Dans la file d'attente")
        .unwrap();
    assert!(queued.scheduled_at.is_some(), "the post took a slot");

    // The same pages in French.
    c.goto(&t.url("/settings")).await.unwrap();
    c.find(Locator::Css("#s-locale option[value=fr]")).await.unwrap().click().await.unwrap();
    submit(&c, "form[action='/settings'] button[type=submit]").await;
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=week&date={}", ymd(day)))).await.unwrap();
    assert!(text(&c).await.contains("Calendrier éditorial"));
    shot(&c, "fr-1440-calendar-week").await;
    c.goto(&t.url(&format!("/w/{ws}/compose"))).await.unwrap();
    shot(&c, "fr-1440-compose").await;
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    shot(&c, "fr-390-compose").await;
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=list&date={}", ymd(day)))).await.unwrap();
    let page = text(&c).await;
    assert!(page.contains("Le réseau a répondu") && page.contains("Programmée"), "{page}");
    shot(&c, "fr-390-calendar-list").await;
    c.execute(to_calendar, vec![]).await.unwrap();
    shot(&c, "fr-390-calendar-list-days").await;
    c.goto(&t.url(&format!("/w/{ws}/channels"))).await.unwrap();
    shot(&c, "fr-390-channels").await;
    c.close().await.unwrap();
}
