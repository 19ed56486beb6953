//! `tutti demo`: loaded twice on each backend, it holds the same number of everything after
//! the second run as after the first, and every working page of both workspaces lists rows of
//! the story, fetched over HTTP by the people of the demo.

mod common;

use std::collections::BTreeMap;

use tutti_app::demo::DEMO_PASSWORD;
use tutti_app::Actor;
use tutti_worker::connectors::Connectors;

/// What the demo holds, by kind.
async fn counts(t: &common::TestApp) -> BTreeMap<&'static str, i64> {
    let kinds: [(&str, &str); 27] = [
        ("accounts", "SELECT COUNT(*) FROM users"),
        ("workspaces", "SELECT COUNT(*) FROM workspaces"),
        ("memberships", "SELECT COUNT(*) FROM memberships"),
        ("channels", "SELECT COUNT(*) FROM channels"),
        ("published posts", "SELECT COUNT(*) FROM posts WHERE status = 'published'"),
        ("scheduled posts", "SELECT COUNT(*) FROM posts WHERE status = 'scheduled'"),
        ("posts in review", "SELECT COUNT(*) FROM posts WHERE status = 'in_review'"),
        ("failed posts", "SELECT COUNT(*) FROM posts WHERE status = 'failed'"),
        ("short links", "SELECT COUNT(*) FROM short_links"),
        ("clicks", "SELECT CAST(COALESCE(SUM(clicks), 0) AS BIGINT) FROM short_links"),
        ("inbox items", "SELECT COUNT(*) FROM inbox_items"),
        ("conversations", "SELECT COUNT(*) FROM conversations"),
        ("closed conversations", "SELECT COUNT(*) FROM conversations WHERE status = 'closed'"),
        ("assigned conversations", "SELECT COUNT(*) FROM conversations WHERE assignee_user_id IS NOT NULL"),
        ("people", "SELECT COUNT(*) FROM people"),
        ("tagged people", "SELECT COUNT(*) FROM people WHERE tags <> ''"),
        ("person notes", "SELECT COUNT(*) FROM person_notes"),
        ("conversation notes", "SELECT COUNT(*) FROM inbox_notes"),
        ("moderation rules", "SELECT COUNT(*) FROM moderation_rules"),
        ("moderation hits", "SELECT COUNT(*) FROM moderation_hits"),
        ("network actions done", "SELECT COUNT(*) FROM inbox_actions WHERE status = 'done'"),
        ("listening queries", "SELECT COUNT(*) FROM listening_queries"),
        ("mentions", "SELECT COUNT(*) FROM mentions"),
        ("alert rules", "SELECT COUNT(*) FROM alert_rules"),
        ("alerts", "SELECT COUNT(*) FROM alerts"),
        ("confirmed feedback", "SELECT COUNT(*) FROM inbox_items WHERE category_confirmed = 1"),
        ("crises", "SELECT COUNT(*) FROM crisis_mode"),
    ];
    let mut conn = t.app.store().conn().await.unwrap();
    let mut out = BTreeMap::new();
    for (kind, sql) in kinds {
        let n: i64 =
            sqlx::query_scalar(sql).fetch_one(&mut *conn).await.unwrap_or_else(|e| panic!("{kind}: {e}"));
        out.insert(kind, n);
    }
    out
}

/// Loads the demo and brings it to life at `now`, as `tutti demo` does.
async fn load(t: &common::TestApp, now: i64) -> tutti_worker::demo::Life {
    let summary = t.app.load_demo(&t.base, now).await.unwrap();
    // The demo network needs no address: no outbound call is allowed.
    let connectors =
        Connectors::new(tutti_app::secrets::Keyring::generate(), tutti_test_support::allowing(&[]));
    tutti_worker::demo::bring_to_life(&t.app, &connectors, &summary, "demo-test", now).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_loaded_twice_holds_the_same_and_fills_every_page() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = common::spawn(db).await;
        // The story moves on at whole quarter-hours (the alert evaluation judges each closed
        // quarter; messages and posts fall on the hour): both runs happen inside one quarter,
        // so that the second has nothing new to find. Close to the next quarter, the runs take
        // place just after it.
        let quarter = 15 * 60_000;
        let real = tutti_app::store::now_ms();
        let next = (real / quarter + 1) * quarter;
        let now = if next - real < 2 * 60_000 { next + 30_000 } else { real };
        let first_life = load(&t, now).await;
        let first = counts(&t).await;
        let second_life = load(&t, now).await;
        let second = counts(&t).await;
        assert_eq!(first, second, "[{label}] the second run changed what the demo holds");
        assert_eq!(
            (second_life.published, second_life.notifications, second_life.mentions, second_life.alerts),
            (0, 0, 0, 0),
            "[{label}] the second run found nothing new to do: {second_life:?}"
        );
        assert_eq!(first_life.published, 2, "[{label}] the failing post of each workspace was sent");

        // Every kind is there, in both workspaces' numbers.
        let at_least = [
            ("accounts", 9),
            ("workspaces", 2),
            ("channels", 4),
            ("published posts", 28),
            ("scheduled posts", 14),
            ("posts in review", 6),
            ("failed posts", 2),
            ("short links", 10),
            ("clicks", 1_000),
            ("inbox items", 40),
            ("conversations", 12),
            ("closed conversations", 4),
            ("assigned conversations", 6),
            ("people", 16),
            ("tagged people", 12),
            ("person notes", 10),
            ("conversation notes", 2),
            ("moderation rules", 8),
            ("moderation hits", 8),
            ("network actions done", 4),
            ("listening queries", 4),
            ("mentions", 100),
            ("alert rules", 4),
            ("alerts", 2),
            ("confirmed feedback", 6),
        ];
        for (kind, min) in at_least {
            assert!(second[kind] >= min, "[{label}] {kind}: {} < {min}\n{second:#?}", second[kind]);
        }
        assert_eq!(second["crises"], 0, "[{label}] no crisis is on");

        // The failed post says what the network said.
        let emma = Actor::User(t.app.user_by_email("emma.walker@demo.tutti.test").await.unwrap());
        let posts = t.app.posts(&emma, "northwind-coffee", 500).await.unwrap();
        let failed = posts.iter().find(|p| p.status == "failed").expect("a failed post");
        assert!(failed.error.as_deref().unwrap_or_default().contains("Invalid link"), "[{label}] {failed:?}");
        assert!(t.app.crisis(&emma, "northwind-coffee").await.unwrap().is_none());

        for (email, slug, words) in [
            ("camille.martin@demo.tutti.test", "maison-lumiere", FR),
            ("emma.walker@demo.tutti.test", "northwind-coffee", EN),
        ] {
            pages_list_the_story(&t, email, slug, words, label).await;
        }
    }
}

/// Words of the story each page must show (any one of its list).
struct Words {
    calendar: &'static [&'static str],
    review: &'static str,
    inbox: &'static [&'static str],
    community: &'static str,
    person_note: &'static str,
    moderation: &'static str,
    listening: &'static str,
    mention: &'static str,
    alerts: &'static str,
    feedback: &'static [&'static str],
    channel: &'static str,
    failed: &'static str,
}

const FR: Words = Words {
    calendar: &["Atelier ouvert samedi", "lumière douce au bureau", "collection d'hiver arrive"],
    review: "Concours : partagez une photo",
    inbox: &["Karim Benali", "Thomas Roux", "Julien Faure"],
    community: "Sophie Garnier",
    person_note: "Commande 48213",
    moderation: "Insultes : masquer",
    listening: "Lumen Paris",
    mention: "pied fendu",
    alerts: "Maison Lumière",
    feedback: &["applique Lueur", "commande 48377", "remboursée"],
    channel: "maisonlumiere.example",
    failed: "Invalid link",
};

const EN: Words = Words {
    calendar: &["Open roastery on Saturday", "better coffee at the office", "Winter blend lands Monday"],
    review: "Contest: share a photo",
    inbox: &["Daniel Kim", "Ben Carter", "Liam Wright"],
    community: "Maya Patel",
    person_note: "Order 58213",
    moderation: "Insults: hide",
    listening: "Bluebird Roasters",
    mention: "cracked hopper",
    alerts: "Northwind Coffee",
    feedback: &["loyalty points", "order 58377", "refund"],
    channel: "northwindcoffee.example",
    failed: "Invalid link",
};

async fn page(t: &common::TestApp, b: &mut common::Browser, path: &str, label: &str) -> String {
    let r = t.get(b, path).await;
    assert_eq!(r.status(), 200, "[{label}] {path}");
    r.text().await.unwrap()
}

fn shows(html: &str, any: &[&str], what: &str) {
    // Templates escape apostrophes; compare on the escaped text too.
    let found = any.iter().any(|w| {
        html.contains(w)
            || html.contains(&w.replace('\'', "&#x27;"))
            || html.contains(&w.replace('\'', "&#39;"))
    });
    assert!(found, "{what} shows none of {any:?}");
}

async fn pages_list_the_story(t: &common::TestApp, email: &str, slug: &str, w: Words, label: &str) {
    let mut b = t.sign_in(email, DEMO_PASSWORD).await;
    let base = format!("/w/{slug}");
    let at = |p: &str| format!("{base}{p}");
    page(t, &mut b, &base, label).await;
    shows(&page(t, &mut b, &at("/calendar"), label).await, w.calendar, &format!("[{label}] {slug} calendar"));
    shows(&page(t, &mut b, &at("/review"), label).await, &[w.review], &format!("[{label}] {slug} review"));
    let inbox = page(t, &mut b, &at("/inbox"), label).await;
    shows(&inbox, w.inbox, &format!("[{label}] {slug} inbox"));
    shows(
        &page(t, &mut b, &at("/community"), label).await,
        &[w.community],
        &format!("[{label}] {slug} community"),
    );
    shows(
        &page(t, &mut b, &at("/moderation"), label).await,
        &[w.moderation],
        &format!("[{label}] {slug} moderation"),
    );
    let listening = page(t, &mut b, &at("/listening"), label).await;
    shows(&listening, &[w.listening], &format!("[{label}] {slug} listening"));
    shows(&page(t, &mut b, &at("/alerts"), label).await, &[w.alerts], &format!("[{label}] {slug} alerts"));
    shows(&page(t, &mut b, &at("/feedback"), label).await, w.feedback, &format!("[{label}] {slug} feedback"));
    shows(
        &page(t, &mut b, &at("/channels"), label).await,
        &[w.channel],
        &format!("[{label}] {slug} channels"),
    );

    // A conversation, a person, a query's mentions and the failed post, by their ids.
    let actor = Actor::User(t.app.user_by_email(email).await.unwrap());
    let all = tutti_app::store::inbox::Filter { status: None, ..Default::default() };
    let conversations = t.app.inbox(&actor, slug, &all, None, 100).await.unwrap();
    let conversation =
        conversations.iter().find(|c| !c.excerpt.is_empty()).expect("a conversation with words");
    let html = page(t, &mut b, &at(&format!("/inbox/{}", conversation.id)), label).await;
    shows(&html, &[&conversation.person_name], &format!("[{label}] {slug} conversation"));
    let people = t.app.people(&actor, slug, &Default::default(), Default::default(), 0, 100).await.unwrap();
    let sophie = people.iter().find(|p| p.display_name == w.community).expect("the complaining customer");
    shows(
        &page(t, &mut b, &at(&format!("/people/{}", sophie.id)), label).await,
        &[w.person_note],
        &format!("[{label}] {slug} person"),
    );
    let queries = t.app.list_queries(&actor, slug).await.unwrap();
    let brand = queries.iter().find(|q| q.kind == "brand").unwrap();
    shows(
        &page(t, &mut b, &at(&format!("/listening/{}", brand.id)), label).await,
        &[w.mention],
        &format!("[{label}] {slug} mentions"),
    );
    let posts = t.app.posts(&actor, slug, 500).await.unwrap();
    let failed = posts.iter().find(|p| p.status == "failed").unwrap();
    shows(
        &page(t, &mut b, &at(&format!("/posts/{}", failed.id)), label).await,
        &[w.failed],
        &format!("[{label}] {slug} failed post"),
    );
}
