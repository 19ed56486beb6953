//! End to end in a real headless Chromium: first-run setup → sign in → create a workspace →
//! invite a CM → the CM joins and is refused the team settings. Screenshots of each page, in
//! English and French, wide and narrow, go to `target/screenshots/`.

mod browser_support;
mod common;

use browser_support::{
    assert_fits, click, fill, open_browser, path, shot, start_driver, submit, text, Driver, NARROW, WIDE,
};
use fantoccini::{Client, Locator};
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

#[tokio::test]
async fn the_inbox_is_worked_from_the_keyboard_in_a_real_browser() {
    use tutti_app::ingest::{item_of, Incoming};
    use tutti_app::secrets::Keyring;
    use tutti_app::Actor;

    let Some(driver) = start_driver() else { return };
    let t = common::spawn(tutti_test_support::sqlite()).await;
    common::seed(&t.app).await;
    let ws = common::WS;
    let channel = tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison"));
    let ch = t.app.add_channel(&Actor::Operator, &Keyring::generate(), ws, &channel).await.unwrap();
    let now = tutti_store::now_ms();
    let notes = [
        (
            "r1",
            "reply",
            "alice",
            "Alice Martin",
            "Ma lampe est arrivée cassée, et le service client ne répond pas. Très déçue.",
            1,
        ),
        (
            "m1",
            "mention",
            "bob",
            "Bob",
            "Quelqu'un a testé @maison.test ? Leurs lampes ont l'air superbes ✨",
            2,
        ),
        (
            "r2",
            "reply",
            "carla",
            "<b>Carla</b>\u{202E}",
            "<script>alert(1)</script> Livraison en retard… 😡😡😡",
            3,
        ),
        ("f1", "follow", "dan", "Dan", "", 4),
    ];
    let items: Vec<_> = notes
        .iter()
        .map(|(id, kind, author, name, text, i)| {
            let n = Incoming {
                remote_id: (*id).into(),
                kind: kind.parse().unwrap(),
                author_id: format!("did:plc:{author}"),
                author_handle: format!("{author}.test"),
                author_name: (*name).into(),
                text: (*text).into(),
                post: (*kind != "follow")
                    .then(|| (format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), None)),
                parent: (*kind == "reply").then(|| format!("at://did:plc:maison/app.bsky.feed.post/{id}")),
                at: now - 3_600_000 * 3 + i * 600_000,
                ..Default::default()
            };
            item_of(ch.workspace_id, ch.id, tutti_domain::Network::Bluesky, &n)
        })
        .collect();
    let mut tx = t.app.store().begin().await.unwrap();
    tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &items).await.unwrap();
    tx.commit().await.unwrap();
    // Inbox per person: two customers and a troll under one post of the brand (published by
    // Tutti, shown above each conversation), and enough conversations to fill a screen.
    let (brand_post, trial, lea_first) = inbox_trial(&t, ch.workspace_id, ch.id, now).await;

    let c = open_browser(&driver).await;
    c.goto(&t.url("/login")).await.unwrap();
    fill(&c, "#email", "cm@acme.test").await;
    fill(&c, "#password", common::PASSWORD).await;
    submit(&c, "button[type=submit]").await;
    c.goto(&t.url(&format!("/w/{ws}/inbox"))).await.unwrap();
    let page = text(&c).await;
    assert!(
        page.contains("Alice Martin") && page.contains("<b>Carla</b>"),
        "hostile names shown as text: {page}"
    );
    shot(&c, "en-1440-inbox").await;

    // j opens the first conversation (the latest), j again the next one.
    let body = c.find(Locator::Css("body")).await.unwrap();
    body.send_keys("j").await.unwrap();
    c.wait().for_element(Locator::Css("[data-conversation]")).await.unwrap();
    let first =
        c.find(Locator::Css("[data-conversation]")).await.unwrap().attr("data-conversation").await.unwrap();
    c.find(Locator::Css("body")).await.unwrap().send_keys("j").await.unwrap();
    let mut second = first.clone();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        second = c
            .find(Locator::Css("[data-conversation]"))
            .await
            .unwrap()
            .attr("data-conversation")
            .await
            .unwrap();
        if second != first {
            break;
        }
    }
    assert_ne!(first, second, "j moves to the next conversation");
    assert!(
        path(&c).await.starts_with(&format!("/w/{ws}/inbox/")),
        "the address follows: {}",
        path(&c).await
    );
    // r writes a reply; it is sent without leaving the page.
    c.find(Locator::Css("body")).await.unwrap().send_keys("r").await.unwrap();
    let active = c.active_element().await.unwrap();
    assert_eq!(active.attr("id").await.unwrap().as_deref(), Some("reply-text"));
    // The second latest is Léa's, whose latest message is older than the troll's: the reply box
    // answers her, and says so.
    let page = text(&c).await;
    assert!(page.contains(brand_post), "the brand's post above the conversation: {page}");
    let answering = c
        .execute("return document.querySelector('#reply-to option:checked').textContent", vec![])
        .await
        .unwrap();
    assert!(answering.as_str().unwrap_or_default().contains("Léa Rousseau"), "{answering}");
    active.send_keys("Bonjour, nous sommes désolés : nous vous écrivons en privé.").await.unwrap();
    click(&c, "#reply-form button[type=submit]").await;
    let notice = c.wait().for_element(Locator::Css(".conversation .banner-ok")).await.unwrap();
    assert!(notice.text().await.unwrap().contains("Reply sent"));
    let apology = t
        .app
        .posts(&Actor::Operator, ws, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.text.starts_with("Bonjour, nous sommes désolés"))
        .expect("the apology is written");
    assert_eq!(
        apology.reply_ref.as_deref(),
        Some(trial.as_str()),
        "the apology lands under the customer's latest message, not under the troll's newer one"
    );
    shot(&c, "en-1440-inbox-conversation").await;
    // e closes it.
    c.find(Locator::Css("body")).await.unwrap().send_keys("e").await.unwrap();
    let mut closed = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if text(&c).await.contains("Conversation marked “Closed”") {
            closed = true;
            break;
        }
    }
    assert!(closed, "e closes the conversation");
    assert_eq!(
        t.app.posts(&Actor::Operator, ws, 10).await.unwrap().len(),
        2,
        "the brand's post and one reply were written"
    );
    // Choosing the message to answer, from the keyboard: "Answer this message" on her first one.
    let lea_first_id = lea_first;
    let pick = c.find(Locator::Css(&format!("[data-answer-item='{lea_first_id}']"))).await.unwrap();
    pick.send_keys("\u{E007}").await.unwrap();
    let chosen = c.execute("return document.querySelector('#reply-to').value", vec![]).await.unwrap();
    assert_eq!(chosen.as_str(), Some(lea_first_id.to_string().as_str()), "Enter on the button chooses it");
    let active = c.active_element().await.unwrap();
    assert_eq!(
        active.attr("id").await.unwrap().as_deref(),
        Some("reply-text"),
        "and the reply box has the focus"
    );
    assert!(
        c.find(Locator::Css(&format!("#item-{lea_first_id}.item-target"))).await.is_ok(),
        "the message answered is marked"
    );
    active.send_keys("Pour l'abat-jour : un nouveau part aujourd'hui.").await.unwrap();
    shot(&c, "en-1440-inbox-answer-choice").await;
    click(&c, "#reply-form button[type=submit]").await;
    let mut second = None;
    for _ in 0..100 {
        second = t
            .app
            .posts(&Actor::Operator, ws, 10)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.text == "Pour l'abat-jour : un nouveau part aujourd'hui.");
        if second.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let second = second.expect("the second reply is written");
    assert_eq!(
        second.reply_ref.as_deref(),
        Some("at://did:plc:lea/app.bsky.feed.post/lea1"),
        "under the message chosen"
    );
    // Density: at 1440 × 900, twelve conversations or more are in sight.
    let chrome = c.execute("return window.outerHeight - window.innerHeight", vec![]).await.unwrap();
    c.set_window_size(WIDE.0, 900 + chrome.as_u64().unwrap_or_default() as u32).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/inbox?status=all"))).await.unwrap();
    let seen = c
        .execute(
            "return Array.from(document.querySelectorAll('[data-row]')).filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length",
            vec![],
        )
        .await
        .unwrap();
    let height = c.execute("return window.innerHeight", vec![]).await.unwrap();
    assert_eq!(height.as_i64(), Some(900));
    assert!(seen.as_i64().unwrap_or_default() >= 12, "{seen} conversations in sight at 1440 × 900");
    shot(&c, "en-1440-inbox-900").await;
    // At 390 px: the list alone, then the conversation alone with a way back.
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/inbox"))).await.unwrap();
    assert_inbox_fits(&c, "en-390-inbox").await;
    shot(&c, "en-390-inbox").await;
    c.find(Locator::Css("[data-row-link]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("[data-conversation]")).await.unwrap();
    assert_inbox_fits(&c, "en-390-inbox-conversation").await;
    shot(&c, "en-390-inbox-conversation").await;

    // Moderation: a rule tried on what came in before it is switched on.
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/moderation"))).await.unwrap();
    fill(&c, "#mr-name", "Livraisons").await;
    fill(&c, "#mr-words", "livraison, déçue").await;
    submit(&c, "button[name=op][value=dry]").await;
    let page = text(&c).await;
    assert!(
        page.contains("Alice Martin") || page.contains("alice.test"),
        "the dry run lists what it would hit: {page}"
    );
    shot(&c, "en-1440-moderation-dry-run").await;
    // The person behind a conversation, and the feedback report.
    let list = t
        .app
        .inbox(&Actor::Operator, ws, &tutti_app::store::inbox::Filter::default(), None, 50)
        .await
        .unwrap();
    let alice = list.iter().find(|c| c.person_name == "Alice Martin").and_then(|c| c.person_id).unwrap();
    c.goto(&t.url(&format!("/w/{ws}/people/{alice}"))).await.unwrap();
    assert!(text(&c).await.contains("Alice Martin"));
    shot(&c, "en-1440-person").await;
    c.goto(&t.url(&format!("/w/{ws}/feedback"))).await.unwrap();
    shot(&c, "en-1440-feedback").await;

    // In French.
    c.goto(&t.url("/settings")).await.unwrap();
    c.find(Locator::Css("#s-locale option[value=fr]")).await.unwrap().click().await.unwrap();
    submit(&c, "form[action='/settings'] button[type=submit]").await;
    c.goto(&t.url(&format!("/w/{ws}/inbox?status=all"))).await.unwrap();
    assert!(text(&c).await.contains("Boîte de réception"));
    shot(&c, "fr-1440-inbox").await;
    // A conversation in French, with the feedback category to confirm.
    let alice_conversation = list.iter().find(|c| c.person_name == "Alice Martin").unwrap().id;
    c.goto(&t.url(&format!("/w/{ws}/inbox/{alice_conversation}"))).await.unwrap();
    let page = text(&c).await;
    assert!(
        page.contains("En réponse à") && page.contains("modifier"),
        "the reply box and the category speak French"
    );
    shot(&c, "fr-1440-inbox-conversation").await;
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/inbox?status=all"))).await.unwrap();
    assert_inbox_fits(&c, "fr-390-inbox").await;
    shot(&c, "fr-390-inbox").await;
    c.goto(&t.url(&format!("/w/{ws}/inbox/{alice_conversation}"))).await.unwrap();
    assert!(text(&c).await.contains("Toutes les conversations"), "the way back to the list");
    assert_inbox_fits(&c, "fr-390-inbox-conversation").await;
    shot(&c, "fr-390-inbox-conversation").await;
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    // A person in French: the sentiment by month fits its card.
    c.goto(&t.url(&format!("/w/{ws}/people/{alice}"))).await.unwrap();
    assert!(text(&c).await.contains("Mois"), "the person page speaks French");
    shot(&c, "fr-1440-person").await;
    c.close().await.unwrap();
}

// Inbox per person (browser test helpers).

/// The trial's scenario, stored as the inbox reader stores notifications: the brand's post
/// (published through Tutti), Léa's two messages and Bruno's under it, then a troll's, the
/// newest; and twelve mentions, so that the list fills a screen. Returns the brand post's
/// text, the network id of Léa's latest message and the id of her first item.
async fn inbox_trial(t: &common::TestApp, ws: i64, ch: i64, now: i64) -> (&'static str, String, i64) {
    use tutti_app::ingest::{item_of, Incoming};
    let brand = "at://did:plc:maison/app.bsky.feed.post/aube";
    let text = "Notre lampe Aube est arrivée : lumière chaude, variateur tactile.";
    let p = tutti_app::publishing::PostToWrite {
        channel: "maison.test".into(),
        text: text.into(),
        ..Default::default()
    };
    let post = t.app.create_post(&tutti_app::Actor::Operator, common::WS, &p, now).await.unwrap();
    sqlx::query("UPDATE posts SET status = 'published', remote_id = $1, published_at = $2 WHERE id = $3")
        .bind(brand)
        .bind(now - 3_600_000)
        .bind(post.id)
        .execute(&mut *t.app.store().conn().await.unwrap())
        .await
        .unwrap();
    let under = |id: &str, author: &str, name: &str, text: &str, minutes: i64| Incoming {
        remote_id: id.into(),
        kind: tutti_domain::ItemKind::Reply,
        author_id: format!("did:plc:{author}"),
        author_handle: format!("{author}.test"),
        author_name: name.into(),
        text: text.into(),
        post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), Some(format!("cid-{id}")))),
        parent: Some(brand.into()),
        root: Some(brand.into()),
        at: now - minutes * 60_000,
        ..Default::default()
    };
    let mut notes = vec![
        under(
            "lea1",
            "lea",
            "Léa Rousseau",
            "Ma lampe Aube est arrivée avec l'abat-jour fendu. Très déçue.",
            50,
        ),
        under("bruno1", "bruno", "Bruno Petit", "Toujours pas reçu ma commande, c'est long.", 45),
        under(
            "lea2",
            "lea",
            "Léa Rousseau",
            "Photo envoyée au service client hier, toujours aucune réponse.",
            40,
        ),
        under("troll1", "troll", "xXtrollXx", "LOL des nuls, arnaque, boycott !!!", 35),
    ];
    let texts = [
        "Quelqu'un a essayé la lampe Aube de @maison.test ? Elle a l'air superbe",
        "@maison.test livraison rapide, merci, j'adore",
        "@maison.test le variateur grésille, c'est normal ?",
        "Hésite entre Aube et Lune chez @maison.test, des avis ?",
    ];
    for k in 0..12 {
        let author = format!("fan{k:02}");
        notes.push(Incoming {
            remote_id: format!("m{k}"),
            kind: tutti_domain::ItemKind::Mention,
            author_id: format!("did:plc:{author}"),
            author_handle: format!("{author}.test"),
            author_name: format!("Fan {k}"),
            text: texts[k % texts.len()].into(),
            post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/m{k}"), None)),
            at: now - 5 * 3_600_000 - k as i64 * 60_000,
            ..Default::default()
        });
    }
    let items: Vec<_> = notes.iter().map(|n| item_of(ws, ch, tutti_domain::Network::Bluesky, n)).collect();
    let mut tx = t.app.store().begin().await.unwrap();
    tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &items).await.unwrap();
    tx.commit().await.unwrap();
    let list =
        t.app.inbox(&tutti_app::Actor::Operator, common::WS, &Default::default(), None, 50).await.unwrap();
    let lea = list.iter().find(|c| c.author_id == "did:plc:lea").unwrap();
    let first = t.app.conversation(&tutti_app::Actor::Operator, common::WS, lea.id).await.unwrap().1[0].id;
    (text, "at://did:plc:lea/app.bsky.feed.post/lea2".into(), first)
}

/// The inbox at a narrow width: no sideways scrolling, and the list or the conversation, never
/// both.
async fn assert_inbox_fits(c: &Client, page: &str) {
    let v = c
        .execute(
            "const shown = s => { const e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none'; }; \
             return [document.documentElement.scrollWidth, window.innerWidth, shown('.inbox-side'), shown('.inbox-main'), \
             Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className).slice(0, 8)]",
            vec![],
        )
        .await
        .unwrap();
    let (width, viewport) = (v[0].as_i64().unwrap(), v[1].as_i64().unwrap());
    assert!(width <= viewport, "{page}: the document is {width} px wide in {viewport} px: {}", v[4]);
    assert!(
        v[2] != v[3],
        "{page}: the list or the conversation, never both (list {}, conversation {})",
        v[2],
        v[3]
    );
}
// ---- Start of the day: the overview as an SMM and as a CM, the search, at both widths and in
// both languages, with no sideways scrolling on the narrow screen. ----

/// Signs in as `email` (a seeded member: the common password), signing out whoever was in.
async fn sign_in_as(c: &Client, t: &common::TestApp, email: &str) {
    browser_support::sign_in(c, &t.base, email, common::PASSWORD).await;
}

#[tokio::test]
async fn the_start_of_the_day_in_a_real_browser() {
    let Some(driver) = start_driver() else { return };
    let db = tutti_test_support::sqlite();
    let t = common::spawn(db).await;
    common::seed(&t.app).await;
    let (ws, ch) = common::brand_channel(&t).await;
    let op = tutti_app::Actor::Operator;
    let now = tutti_store::now_ms();
    let smm_id = t.app.user_by_email("smm@acme.test").await.unwrap().id;
    let cm_id = t.app.user_by_email("cm@acme.test").await.unwrap().id;
    let posts = [
        (Some(smm_id), "Notre nouvelle lampe de chevet Aurore est arrivée : lumière douce, variateur intégré. #luminaire", "scheduled", now + 60_000),
        (Some(cm_id), "Atelier en direct jeudi à 18 h : montez votre propre suspension avec notre designer.", "scheduled", now + 120_000),
        (Some(cm_id), "Les coulisses de l'atelier : chaque abat-jour est cousu à la main à Lyon.", "failed", now - 3_600_000),
        (Some(cm_id), "Concours de Noël : partagez votre coin lecture et gagnez une lampe Aurore.", "in_review", now + 2 * 86_400_000),
        (Some(cm_id), "Soldes d'hiver : -20 % sur les suspensions jusqu'à dimanche.", "draft", now + 3 * 86_400_000),
    ];
    let mut tx = t.app.store().begin().await.unwrap();
    for (i, (author, text, status, at)) in posts.iter().enumerate() {
        let p = tutti_app::store::publishing::insert_post(
            &mut tx,
            &tutti_app::store::publishing::NewPost {
                workspace_id: ws,
                channel_id: ch,
                author_user_id: *author,
                text,
                langs: "fr",
                status: if *status == "failed" { "scheduled" } else { status }.parse().unwrap(),
                scheduled_at: Some(*at),
                idempotency_key: &format!("browser-desk-{i}"),
                reply_to_post_id: None,
            },
            &[],
        )
        .await
        .unwrap();
        let error = match *status {
            "failed" => Some("Invalid identifier or password"),
            "draft" => Some("Le pourcentage doit figurer dans le visuel aussi."),
            _ => None,
        };
        if let Some(error) = error {
            sqlx::query("UPDATE posts SET status = $1, error = $2 WHERE id = $3")
                .bind(status)
                .bind(error)
                .bind(p.id)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
    common::ingest(
        &t,
        ws,
        ch,
        &[
            common::reply(
                "p1",
                "r1",
                "claire",
                "Claire Dubois",
                "Ma lampe Aurore est arrivée cassée, le pied est fendu. Que faire ?",
            ),
            common::reply("p2", "r2", "tom", "Tom Becker", "Do you ship the Aurore lamp to Canada?"),
            common::reply(
                "p3",
                "r3",
                "ines",
                "Inès Moreau",
                "Superbe lampe, la lumière est parfaite pour lire !",
            ),
            common::reply(
                "p4",
                "r4",
                "marc",
                "Marc Petit",
                "Toujours pas de nouvelles de ma commande #4521…",
            ),
        ],
    )
    .await;
    let convs = t.app.inbox(&op, common::WS, &Default::default(), None, 10).await.unwrap();
    t.app.assign_conversation(&op, common::WS, convs[0].id, "cm@acme.test").await.unwrap();
    let q = t.app.add_query(&op, common::WS, "Maison Lumière", "lampe OR aurore", "brand").await.unwrap();
    let mut tx = t.app.store().begin().await.unwrap();
    for (i, (author, text, sentiment)) in [
        ("did:plc:julie", "La lampe Aurore de Maison Lumière, coup de cœur de l'année", "pos"),
        ("did:plc:paul", "Ma lampe Aurore clignote depuis hier, quelqu'un d'autre ?", "neg"),
        ("did:plc:nora", "Aurore lamp in my reading corner, so cozy", "pos"),
    ]
    .iter()
    .enumerate()
    {
        let m = tutti_app::store::listening::Mention {
            id: 0,
            query_id: q.id,
            source: "firehose".into(),
            external_id: format!("at://{author}/app.bsky.feed.post/m{i}"),
            url: None,
            author: Some((*author).into()),
            text: (*text).into(),
            lang: Some("fr".into()),
            sentiment: Some(sentiment.parse().unwrap()),
            sentiment_score: Some(0.0),
            toxicity: Some(0.0),
            published_at: Some(now - 600_000),
        };
        tutti_app::store::listening::insert_mention(&mut tx, &m).await.unwrap();
    }
    tutti_app::store::alerts::insert_alert(
        &mut tx,
        &tutti_app::store::alerts::Alert {
            id: 0,
            workspace_id: ws,
            query_id: q.id,
            rule_id: None,
            kind: "volume".into(),
            observed: 38.0,
            expected: 4.2,
            window_start: now - 900_000,
            window_end: now,
            samples: vec![tutti_app::store::alerts::AlertSample {
                author: "did:plc:paul".into(),
                text: "Ma lampe Aurore clignote depuis hier".into(),
                url: None,
            }],
            crisis_suggested: true,
            created_at: now,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let c = open_browser(&driver).await;
    let home = format!("/w/{}", common::WS);
    let search = format!("/w/{}/search?q=aurore", common::WS);
    for (email, who) in [("smm@acme.test", "smm"), ("cm@acme.test", "cm")] {
        sign_in_as(&c, &t, email).await;
        let me = t.app.user_by_email(email).await.unwrap();
        for lang in ["en", "fr"] {
            t.app.update_preferences(&me, &me.name, lang, &me.timezone).await.unwrap();
            for (size, tag) in [(WIDE, "1440"), (NARROW, "390")] {
                c.set_window_size(size.0, size.1).await.unwrap();
                c.goto(&t.url(&home)).await.unwrap();
                let page = text(&c).await;
                let waiting = if lang == "en" { "Waiting for you" } else { "Ce qui vous attend" };
                assert!(page.contains(waiting), "{who} {lang}: the overview");
                let approve =
                    if lang == "en" { "Posts waiting for your approval" } else { "Publications à valider" };
                assert_eq!(page.contains(approve), who == "smm", "{who} {lang}: approvals are the SMM's");
                assert_fits(&c, &format!("overview {who} {lang} {tag}")).await;
                shot(&c, &format!("{lang}-{tag}-overview-{who}")).await;
                c.goto(&t.url(&search)).await.unwrap();
                assert!(text(&c).await.contains("Claire"), "{who} {lang}: the search finds the conversation");
                assert_fits(&c, &format!("search {who} {lang} {tag}")).await;
                if who == "smm" {
                    shot(&c, &format!("{lang}-{tag}-search")).await;
                    for (page, name) in [("alerts", "alerts"), ("crisis?on=1", "crisis-confirm")] {
                        c.goto(&t.url(&format!("/w/{}/{page}", common::WS))).await.unwrap();
                        assert_fits(&c, &format!("{name} {lang} {tag}")).await;
                        shot(&c, &format!("{lang}-{tag}-{name}")).await;
                    }
                }
            }
        }
        t.app.update_preferences(&me, &me.name, "", &me.timezone).await.unwrap();
    }

    // The search from the keyboard: "/" focuses the top bar's box, Enter searches.
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    c.goto(&t.url(&home)).await.unwrap();
    c.execute("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: '/', bubbles: true}))", vec![])
        .await
        .unwrap();
    let focused: String =
        serde_json::from_value(c.execute("return document.activeElement.id", vec![]).await.unwrap()).unwrap();
    assert_eq!(focused, "top-search", "/ focuses the search");
    let field = c.find(Locator::Css("#top-search")).await.unwrap();
    let old = c.find(Locator::Css("html")).await.unwrap();
    field.send_keys("tom\u{E007}").await.unwrap();
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    c.wait().for_element(Locator::Css(".search-results")).await.unwrap();
    assert!(path(&c).await.starts_with(&format!("/w/{}/search?q=tom", common::WS)));
    assert!(text(&c).await.contains("Tom Becker"));

    // The CM acknowledges nothing here (it is on the alerts page); the SMM acknowledges the alert
    // from the overview, and the sidebar's count goes.
    sign_in_as(&c, &t, "smm@acme.test").await;
    c.goto(&t.url(&home)).await.unwrap();
    assert!(c.find(Locator::Css(".nav-list a[href$='/alerts'] .nav-count")).await.is_ok());
    submit(&c, ".alert form[action$='/acknowledge'] button[type=submit]").await;
    assert!(c.find(Locator::Css(".nav-list a[href$='/alerts'] .nav-count")).await.is_err(), "no alert left");
    c.close().await.unwrap();
}
// ---- end of start of the day ----

// ---- Page polish: every page this covers, read in both languages, wide and on a phone ----

/// Switches the signed-in person's language from the settings page.
/// Scrolls `css` into view and takes a screenshot there (a page's lower part).
async fn shot_at(c: &Client, css: &str, name: &str) {
    let found = c
        .execute(
            "const e = document.querySelector(arguments[0]); if (!e) { return false; } e.scrollIntoView(); window.scrollBy(0, -90); return true;",
            vec![json!(css)],
        )
        .await
        .unwrap();
    assert_eq!(found, json!(true), "{name}: no {css} on the page");
    shot(c, name).await;
}

async fn speak(c: &Client, t: &common::TestApp, lang: &str) {
    c.goto(&t.url("/settings")).await.unwrap();
    c.find(Locator::Css(&format!("#s-locale option[value={lang}]"))).await.unwrap().click().await.unwrap();
    submit(c, "form[action='/settings'] button[type=submit]").await;
}

#[tokio::test]
async fn pages_read_well_in_both_languages_and_on_a_phone() {
    let Some(driver) = start_driver() else { return };
    for db in tutti_test_support::every_backend().await {
        polish_pages(&driver, db).await;
    }
}

/// The pages of [`pages_read_well_in_both_languages_and_on_a_phone`] on one database.
async fn polish_pages(driver: &Driver, db: tutti_test_support::TestDb) {
    use chrono::TimeZone;
    use tutti_app::ingest::{item_of, Incoming};
    use tutti_app::publishing::{ChannelToAdd, PostToWrite};
    use tutti_app::secrets::Keyring;
    use tutti_app::Actor;

    let label = db.label();
    let t = common::spawn(db).await;
    common::seed(&t.app).await;
    let ws = common::WS;
    let op = Actor::Operator;
    let admin = Actor::User(t.app.user_by_email("admin@acme.test").await.unwrap());
    let keys = Keyring::generate();
    let mut channels = Vec::new();
    for (network, handle) in [("bluesky", "maison.test"), ("mastodon", "@maison@mastodon.test")] {
        let channel = ChannelToAdd {
            network: network.into(),
            handle: handle.into(),
            service: "http://127.0.0.1:9".into(),
            account_id: None,
            secret: "x".into(),
            ambassador: None,
        };
        channels.push(t.app.add_channel(&op, &keys, ws, &channel).await.unwrap());
    }

    // The plan of this week and the next, at different hours, and one post moved (its old and
    // new times go to the audit log).
    let paris = chrono_tz::Europe::Paris;
    let now = tutti_store::now_ms();
    let today = chrono::Utc::now().with_timezone(&paris).date_naive();
    let day = today + chrono::Duration::days(8);
    let ymd = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut moved = 0;
    for (offset, hour, channel, words) in [
        (0, 10, "maison.test", "Nouvelle collection Lumière d'hiver : 12 lampes en verre soufflé ✨"),
        (0, 18, "@maison@mastodon.test", "Live ce soir à 19 h : bien éclairer un salon."),
        (1, 9, "maison.test", "Coulisses de l'atelier : le souffleur de verre au travail 🔥"),
        (3, 12, "maison.test", "Jeu-concours : gagnez la lampe Aube."),
        (5, 21, "@maison@mastodon.test", "Bonne soirée ! Quelle lumière pour vos soirées d'hiver ?"),
    ] {
        let at = paris
            .from_local_datetime(&(day + chrono::Duration::days(offset)).and_hms_opt(hour, 0, 0).unwrap())
            .unwrap()
            .to_rfc3339();
        let post = PostToWrite {
            channel: channel.into(),
            text: words.into(),
            at: Some(at),
            langs: vec!["fr".into()],
            images: vec![],
            reply_to: None,
            queue: false,
        };
        moved = t.app.create_post(&admin, ws, &post, now).await.unwrap().id;
    }
    let later = paris
        .from_local_datetime(&(day + chrono::Duration::days(6)).and_hms_opt(11, 30, 0).unwrap())
        .unwrap()
        .to_rfc3339();
    t.app.reschedule_post(&admin, ws, moved, &later, now).await.unwrap();

    // A charter whose pillar share is stored as a float (0.4000000059604645 in JSON).
    let charter = tutti_app::charter::CharterForm {
        tone_notes: "Chaleureux, précis, jamais familier.".into(),
        banned: "arnaque\ncheap".into(),
        required_hashtags: "*: #MaisonLumière".into(),
        alt_text_required: true,
        spelling: "fr".into(),
        pillars: "Produits: lampe, verre soufflé = 40%\nCoulisses: atelier, artisan = 30%".into(),
        vocabulary: "Lumière".into(),
        ..Default::default()
    };
    t.app.set_charter(&admin, ws, &charter).await.unwrap();

    // Customers writing to the brand: people for the community, items for the feedback
    // report; Alice also wrote two months ago, so her sentiment has a line.
    let brand = &channels[0];
    let notes = [
        (
            "r1",
            "reply",
            "alice",
            "Alice Martin",
            "Ma lampe est arrivée cassée, et le service client ne répond pas. Très déçue.",
            0,
        ),
        ("r0", "reply", "alice", "Alice Martin", "J'adore ma lampe Aube, merci, elle est superbe !", 62),
        (
            "m1",
            "mention",
            "bob",
            "Bob Durand",
            "Quelqu'un a testé @maison.test ? Leurs lampes ont l'air superbes, j'adore ✨",
            0,
        ),
        (
            "r2",
            "reply",
            "carla",
            "Carla Petit",
            "Livraison en retard, deuxième fois ce mois-ci. Bug sur le suivi de commande.",
            0,
        ),
        (
            "m2",
            "mention",
            "bob2",
            "Bob Durand",
            "Vous pourriez ajouter une option de gravure ? Ce serait génial.",
            0,
        ),
    ];
    let items: Vec<_> = notes
        .iter()
        .enumerate()
        .map(|(i, (id, kind, author, name, text, days))| {
            let n = Incoming {
                remote_id: (*id).into(),
                kind: kind.parse().unwrap(),
                author_id: format!("did:plc:{author}"),
                author_handle: format!("{author}.test"),
                author_name: (*name).into(),
                text: (*text).into(),
                post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), None)),
                parent: (*kind == "reply").then(|| format!("at://did:plc:maison/app.bsky.feed.post/p{id}")),
                at: now - days * 86_400_000 - 3_600_000 + i as i64 * 60_000,
                ..Default::default()
            };
            item_of(brand.workspace_id, brand.id, tutti_domain::Network::Bluesky, &n)
        })
        .collect();
    let mut tx = t.app.store().begin().await.unwrap();
    tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &items).await.unwrap();
    tx.commit().await.unwrap();
    t.app.refresh_community(&admin, ws).await.unwrap();

    // Listening: a week of mentions, busiest on the latest days.
    let query =
        t.app.add_query(&admin, ws, "Maison Lumière", "\"maison lumière\" OR lampe", "brand").await.unwrap();
    let samples = [
        ("did:plc:claire", "Ma lampe Maison Lumière est arrivée cassée. Très déçue.", "neg"),
        ("did:plc:tom", "Just got the Maison Lumière desk lamp, the warm light is lovely", "pos"),
        ("did:plc:ines", "Quelqu'un connaît la lampe Maison Lumière ?", "neu"),
    ];
    let mut tx = t.app.store().begin().await.unwrap();
    for i in 0..42i64 {
        let (author, text, sentiment) = samples[(i % 3) as usize];
        let m = tutti_app::store::listening::Mention {
            id: 0,
            query_id: query.id,
            source: "firehose".into(),
            external_id: format!("at://{author}/app.bsky.feed.post/m{i}"),
            url: None,
            author: Some(author.into()),
            text: text.into(),
            lang: Some("fr".into()),
            sentiment: Some(sentiment.parse().unwrap()),
            sentiment_score: Some(0.0),
            toxicity: Some(0.0),
            published_at: Some(now - (i * i) * 3_000_000),
        };
        tutti_app::store::listening::insert_mention(&mut tx, &m).await.unwrap();
    }
    tx.commit().await.unwrap();

    let c = open_browser(driver).await;
    sign_in_as(&c, &t, "admin@acme.test").await;
    eprintln!("[{label}] pages read well");

    // Moderation, built with pickers: kinds ticked, the threshold on a slider shown as a
    // percentage, the assignee chosen among the members.
    c.goto(&t.url(&format!("/w/{ws}/moderation"))).await.unwrap();
    let kind_box = c.find(Locator::Css("input[name=kind_reply]")).await.unwrap();
    let width: f64 = serde_json::from_value(
        c.execute("return arguments[0].getBoundingClientRect().width;", vec![json!(kind_box)]).await.unwrap(),
    )
    .unwrap();
    assert!(width < 30.0, "a checkbox keeps its own size beside its label ({width} px)");
    fill(&c, "#mr-name", "Trolls").await;
    fill(&c, "#mr-words", "arnaque, nul").await;
    click(&c, "input[name=kind_reply]").await;
    click(&c, "input[name=kind_mention]").await;
    c.execute(
        "const r = document.getElementById('mr-toxicity'); r.value = 70; r.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![],
    )
    .await
    .unwrap();
    let shown = c.find(Locator::Css("#mr-toxicity-value")).await.unwrap().text().await.unwrap();
    assert_eq!(shown, "70%", "the slider shows its value as a percentage");
    let assignees = c.find(Locator::Css("#mr-assign")).await.unwrap().text().await.unwrap();
    assert!(assignees.contains("cm Person"), "members to assign to, by name: {assignees}");
    c.find(Locator::Css("#mr-assign option[value='cm@acme.test']")).await.unwrap().click().await.unwrap();
    click(&c, "input[name=hide]").await;
    submit(&c, "button[name=op][value=save]").await;
    let page = text(&c).await;
    assert!(
        page.contains("toxicity ≥ 70%")
            && page.contains("Reply, Mention")
            && page.contains("Assign “cm Person”"),
        "the rule reads as people write it: {page}"
    );
    // A threshold outside 0–1 is still refused at its field (the API's form).
    let refused = t
        .app
        .add_moderation_rule(
            &admin,
            ws,
            &tutti_app::moderation::RuleToWrite {
                name: "x".into(),
                toxicity: "7".into(),
                actions: "hide".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(format!("{refused:?}").contains("toxicity"), "{refused:?}");

    // The charter's hashtags and pillars as rows: one more pillar added from the page.
    c.goto(&t.url(&format!("/w/{ws}/charter"))).await.unwrap();
    let names = c.find_all(Locator::Css("input[name=pillar_name]")).await.unwrap();
    assert_eq!(names.len(), 4, "two pillars and two empty rows");
    assert_eq!(
        c.find(Locator::Css("#ch-pillar-target-1")).await.unwrap().prop("value").await.unwrap().as_deref(),
        Some("40")
    );
    fill(&c, "#ch-pillar-name-3", "Conseils").await;
    fill(&c, "#ch-pillar-keywords-3", "éclairage, astuce").await;
    fill(&c, "#ch-pillar-target-3", "20").await;
    fill(&c, "#ch-tag-tags-2", "Artisanat").await;
    c.find(Locator::Css("#ch-tag-channel-2 option[value='maison.test']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&c, ".charter-form button[type=submit]").await;
    shot(&c, "polish-en-1440-charter-saved").await;
    let page = text(&c).await;
    assert!(page.contains("The charter was saved"), "{page}");
    let saved = t.app.charter(&admin, ws).await.unwrap();
    assert_eq!(saved.pillars.len(), 3);
    assert_eq!(saved.required_hashtags.get("maison.test").map(Vec::len), Some(1), "{saved:?}");

    // The person page: merge a duplicate found by name, not by number.
    let people = t.app.people(&admin, ws, &Default::default(), Default::default(), 0, 50).await.unwrap();
    let bob = people.iter().find(|p| p.handles.iter().any(|h| h == "bob.test")).unwrap().id;
    let alice = people.iter().find(|p| p.display_name == "Alice Martin").unwrap().id;
    let carla = people.iter().find(|p| p.display_name == "Carla Petit").unwrap().id;
    c.goto(&t.url(&format!("/w/{ws}/people/{bob}"))).await.unwrap();
    fill(&c, "#merge-q", "bob2").await;
    submit(&c, ".merge-search button[type=submit]").await;
    let results = c.find(Locator::Css(".merge-results")).await.unwrap().text().await.unwrap();
    assert!(results.contains("@bob2.test"), "{results}");
    shot(&c, "en-1440-person-merge-search").await;
    submit(&c, ".merge-results form button[type=submit]").await;
    let merged = t.app.person_profile(&admin, ws, bob, 0).await.unwrap();
    assert_eq!(merged.identities.len(), 2, "bob2 was merged into Bob");

    // A person with one month of history: a sentence instead of an empty chart.
    c.goto(&t.url(&format!("/w/{ws}/people/{carla}"))).await.unwrap();
    assert!(c.find(Locator::Css("svg.sentiment-chart")).await.is_err(), "no chart for one month");
    assert!(text(&c).await.contains("One month so far"));

    // A CM who opens Channels is told what they cannot do and who can.
    // A second Chromium (its own profile) for the CM.
    let cm_driver = start_driver().expect("chromedriver");
    let cm = open_browser(&cm_driver).await;
    sign_in_as(&cm, &t, "cm@acme.test").await;
    cm.goto(&t.url(&format!("/w/{ws}/channels"))).await.unwrap();
    let page = text(&cm).await;
    assert!(
        page.contains("Only an administrator or the social media manager") && !page.contains("Uncheck"),
        "{page}"
    );
    shot(&cm, "en-1440-channels-cm").await;
    cm.close().await.unwrap();

    let report = format!("/w/{ws}/listening/{}", query.id);
    // Each page, and the parts further down it worth seeing.
    let pages: Vec<(String, &str, Vec<&str>)> = vec![
        (report.clone(), "listening-report", vec!["#mention-list"]),
        (format!("/w/{ws}/listening"), "listening", vec![]),
        (format!("/w/{ws}/community"), "community", vec![".people-table"]),
        (format!("/w/{ws}/people/{alice}"), "person", vec![".history-list"]),
        (format!("/w/{ws}/feedback"), "feedback", vec![".feedback-list"]),
        (format!("/w/{ws}/moderation"), "moderation", vec![".toxicity-field", "#log-h"]),
        (format!("/w/{ws}/charter"), "charter", vec![".hashtag-row", ".pillar-row"]),
        (format!("/w/{ws}/calendar?view=week&date={}", ymd(day)), "calendar-week", vec!["#calendar-body"]),
        (format!("/w/{ws}/calendar?view=month&date={}", ymd(day)), "calendar-month", vec![]),
        (format!("/w/{ws}/compose"), "compose", vec![]),
        (format!("/w/{ws}/channels"), "channels", vec!["#review-rule"]),
        (format!("/w/{ws}/team"), "team", vec![]),
        (format!("/w/{ws}/audit"), "audit", vec![]),
        ("/settings".to_owned(), "settings", vec![]),
    ];
    for lang in ["en", "fr"] {
        speak(&c, &t, lang).await;
        for (size, tag) in [(WIDE, "1440"), (NARROW, "390")] {
            c.set_window_size(size.0, size.1).await.unwrap();
            for (url, name, parts) in &pages {
                c.goto(&t.url(url)).await.unwrap();
                shot(&c, &format!("polish-{lang}-{tag}-{name}")).await;
                if tag == "390" {
                    assert_fits(&c, &format!("{lang} {name}")).await;
                }
                for (i, css) in parts.iter().enumerate() {
                    shot_at(&c, css, &format!("polish-{lang}-{tag}-{name}-{}", i + 2)).await;
                }
            }
        }
        c.set_window_size(WIDE.0, WIDE.1).await.unwrap();

        // Listening: chips with words readable on their background; the axis in the reader's
        // order; the latest day labelled.
        c.goto(&t.url(&report)).await.unwrap();
        let chips: Vec<(String, String)> = serde_json::from_value(
            c.execute(
                "return Array.from(document.querySelectorAll('.mention .sentiment')).map(e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]);",
                vec![],
            )
            .await
            .unwrap(),
        )
        .unwrap();
        assert!(!chips.is_empty() && chips.iter().all(|(fg, bg)| fg != bg), "{lang}: chips {chips:?}");
        let ticks: Vec<String> = serde_json::from_value(
            c.execute(
                "return Array.from(document.querySelectorAll('.chart svg > g .tick')).map(e => e.textContent);",
                vec![],
            )
            .await
            .unwrap(),
        )
        .unwrap();
        let latest: bool = serde_json::from_value(
            c.execute("const bars = document.querySelectorAll('.chart svg > g'); return bars.length > 0 && bars[bars.length - 1].querySelector('.tick') !== null;", vec![])
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(latest, "{lang}: the latest day has its label: {ticks:?}");
        let ordered = match lang {
            "en" => ticks.iter().all(|t| t.chars().next().is_some_and(char::is_alphabetic)),
            _ => ticks.iter().all(|t| t.chars().next().is_some_and(|c| c.is_ascii_digit())),
        };
        assert!(ordered, "{lang}: days in the reader's order (Dec 7, 7 déc.): {ticks:?}");
        assert!(!ticks.iter().any(|t| t.contains('/')), "{lang}: no dd/mm on the axis: {ticks:?}");
        let title =
            c.find(Locator::Css(".mention time")).await.unwrap().attr("title").await.unwrap().unwrap();
        assert!(
            title.contains("Europe/Paris") && !title.contains('T'),
            "{lang}: exact local time on hover: {title}"
        );

        // The audit log: dates, rounded numbers and keys in the reader's language.
        c.goto(&t.url(&format!("/w/{ws}/audit"))).await.unwrap();
        let page = text(&c).await;
        for raw in ["1797", "0.4000000059604645", "target_share", "scheduled_at", "\"name\""] {
            assert!(!page.contains(raw), "{lang}: the audit log shows {raw}: {page}");
        }
        let (scheduled, share) = match lang {
            "en" => ("Scheduled for", "40%"),
            _ => ("Programmée pour", "40\u{202F}%"),
        };
        assert!(page.contains(scheduled) && page.contains(share), "{lang}: {page}");

        // Community: sentiment in words; French decimals with a comma; "Advocacy" is not the
        // ambassador's word in French.
        c.goto(&t.url(&format!("/w/{ws}/community"))).await.unwrap();
        let page = text(&c).await;
        match lang {
            "en" => assert!(page.contains("Negative") || page.contains("Positive"), "{page}"),
            _ => {
                assert!(page.contains("Négatif") || page.contains("Positif"), "{page}");
                assert!(page.contains("Recommandation") && !page.contains("Ambassadeur"), "{page}");
            }
        }
        c.goto(&t.url(&format!("/w/{ws}/moderation"))).await.unwrap();
        let page = text(&c).await;
        match lang {
            "en" => assert!(!page.contains('«'), "no French quotes in English: {page}"),
            _ => assert!(
                page.contains("toxicité ≥ 70\u{202F}%") && page.contains("Réponse, Mention"),
                "{page}"
            ),
        }

        // The week as a time grid: each post in the row of its hour.
        c.goto(&t.url(&format!("/w/{ws}/calendar?view=week&date={}", ymd(day)))).await.unwrap();
        assert!(c.find(Locator::Css(".cal-gutter .cal-h10")).await.is_ok(), "hours down the side");
        let at_ten = c
            .find(Locator::Css(&format!("[data-drop-date='{}'] .cal-slot.cal-h10 .cal-post", ymd(day))))
            .await;
        assert!(at_ten.is_ok(), "{lang}: the 10 o'clock post is in the 10 o'clock row");
    }
    c.set_window_size(NARROW.0, NARROW.1).await.unwrap();
    c.goto(&t.url(&format!("/w/{ws}/calendar?view=week&date={}", ymd(day)))).await.unwrap();
    c.execute("document.getElementById('calendar-body').scrollIntoView();", vec![]).await.unwrap();
    shot(&c, "polish-fr-390-calendar-week-days").await;
    c.close().await.unwrap();
}
// ---- end of page polish ----
