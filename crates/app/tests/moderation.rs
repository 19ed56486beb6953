//! Moderation on every backend: rules checked field by field, conditions, dry runs that change
//! nothing, rules applied when the inbox stores new items (local actions at once, network
//! actions queued), undo, the troll score, and roles.

use tutti_app::ingest::{item_of, Incoming};
use tutti_app::moderation::RuleToWrite;
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App, AppError};

const PASSWORD: &str = "correct horse battery";

async fn setup(db: &tutti_test_support::TestDb) -> (App, String, i64, i64) {
    let app = App::new(db.open().await, tutti_test_support::app_config());
    let op = Actor::Operator;
    let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
    for (email, role) in [
        ("smm@ml.test", "smm"),
        ("cm@ml.test", "cm"),
        ("analyst@ml.test", "analyst"),
        ("writer@ml.test", "contributor"),
    ] {
        app.add_user(&op, email, email, PASSWORD, false).await.unwrap();
        app.add_member(&op, &ws.slug, email, role).await.unwrap();
    }
    let channel = tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison"));
    let c = app.add_channel(&op, &Keyring::generate(), &ws.slug, &channel).await.unwrap();
    (app, ws.slug, ws.id, c.id)
}

async fn as_user(app: &App, email: &str) -> Actor {
    Actor::User(app.user_by_email(email).await.unwrap())
}

fn reply(id: &str, author: &str, text: &str) -> Incoming {
    Incoming {
        remote_id: id.into(),
        kind: tutti_domain::ItemKind::Reply,
        author_id: format!("did:plc:{author}"),
        author_handle: format!("{author}.test"),
        author_name: author.to_uppercase(),
        text: text.into(),
        post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), Some(format!("cid-{id}")))),
        parent: Some("at://did:plc:maison/app.bsky.feed.post/1".into()),
        root: Some("at://did:plc:maison/app.bsky.feed.post/1".into()),
        at: tutti_store::now_ms() - 60_000,
        ..Default::default()
    }
}

async fn ingest(app: &App, ws: i64, ch: i64, notes: &[Incoming]) -> Vec<i64> {
    let items: Vec<_> = notes.iter().map(|n| item_of(ws, ch, tutti_domain::Network::Bluesky, n)).collect();
    let mut tx = app.store().begin().await.unwrap();
    let (_, ids) =
        tutti_app::ingest::ingest_batch_items(&mut tx, tutti_test_support::networks(), &items).await.unwrap();
    tx.commit().await.unwrap();
    ids
}

fn field(e: AppError) -> String {
    match e {
        AppError::Invalid(i) | AppError::Conflict(i) => i.field.to_owned(),
        other => panic!("{other:?}"),
    }
}

fn rule(name: &str, words: &str, actions: &str) -> RuleToWrite {
    RuleToWrite {
        name: name.into(),
        enabled: true,
        words: words.into(),
        actions: actions.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn rules_are_checked_field_by_field_and_nothing_is_half_saved() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug, _, _) = setup(&db).await;
        let cm = as_user(&app, "cm@ml.test").await;
        let ok = rule("Arnaques", "arnaque", "tag:scam");
        for (bad, at) in [
            (RuleToWrite { name: " ".into(), ..ok.clone() }, "name"),
            (RuleToWrite { toxicity: "1.5".into(), ..ok.clone() }, "toxicity"),
            (RuleToWrite { regex: "(unclosed".into(), ..ok.clone() }, "regex"),
            (RuleToWrite { actions: "nuke".into(), ..ok.clone() }, "actions"),
            (RuleToWrite { actions: "assign:nobody@ml.test".into(), ..ok.clone() }, "assign"),
            (RuleToWrite { langs: "french".into(), ..ok.clone() }, "langs"),
            (RuleToWrite { words: String::new(), ..ok.clone() }, "words"),
        ] {
            assert_eq!(
                field(app.add_moderation_rule(&cm, &slug, &bad).await.unwrap_err()),
                at,
                "[{}]",
                db.label()
            );
        }
        assert!(app.moderation_rules(&cm, &slug).await.unwrap().is_empty(), "nothing saved");
        app.add_moderation_rule(&cm, &slug, &ok).await.unwrap();
        assert_eq!(field(app.add_moderation_rule(&cm, &slug, &ok).await.unwrap_err()), "name", "a name once");
        // Contributors and analysts do not moderate.
        for email in ["writer@ml.test", "analyst@ml.test"] {
            let who = as_user(&app, email).await;
            assert!(matches!(app.add_moderation_rule(&who, &slug, &ok).await, Err(AppError::Forbidden(_))));
            assert!(matches!(app.moderation_rules(&who, &slug).await, Err(AppError::Forbidden(_))));
            assert!(matches!(app.moderation_log(&who, &slug, 10).await, Err(AppError::Forbidden(_))));
        }
    }
}

#[tokio::test]
async fn a_dry_run_shows_what_a_rule_would_hit_and_changes_nothing() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (app, slug, ws, ch) = setup(&db).await;
        let smm = as_user(&app, "smm@ml.test").await;
        ingest(
            &app,
            ws,
            ch,
            &[
                reply("a", "alice", "Quelle ARNÂQUE, jamais remboursée"),
                reply("b", "bob", "Super lampe, merci"),
                reply("c", "carol", "promo ici https://deals.spam.example/x"),
                reply("d", "dan", "Livraison lente mais ça va"),
            ],
        )
        .await;
        let words = rule("w", "arnaque", "tag:scam");
        let hits = app.dry_run_conditions(&smm, &slug, &words, None).await.unwrap();
        assert_eq!(
            hits.iter().map(|h| h.author_handle.as_str()).collect::<Vec<_>>(),
            ["alice.test"],
            "[{label}]"
        );
        let links = RuleToWrite { words: String::new(), domains: "spam.example".into(), ..words.clone() };
        let hits = app.dry_run_conditions(&smm, &slug, &links, Some(500)).await.unwrap();
        assert_eq!(hits.iter().map(|h| h.author_handle.as_str()).collect::<Vec<_>>(), ["carol.test"]);
        let regex = RuleToWrite { words: String::new(), regex: r"\blivr\w+".into(), ..words.clone() };
        assert_eq!(app.dry_run_conditions(&smm, &slug, &regex, None).await.unwrap().len(), 1);
        let authors =
            RuleToWrite { words: String::new(), authors: "@bob.test, did:plc:dan".into(), ..words.clone() };
        assert_eq!(app.dry_run_conditions(&smm, &slug, &authors, None).await.unwrap().len(), 2);
        // Last 1: only the latest item is read.
        assert!(app.dry_run_conditions(&smm, &slug, &words, Some(1)).await.unwrap().is_empty());
        // A saved rule, disabled: its dry run hits, and nothing changed.
        let saved =
            app.add_moderation_rule(&smm, &slug, &RuleToWrite { enabled: false, ..words }).await.unwrap();
        assert_eq!(app.dry_run_rule(&smm, &slug, saved.id, None).await.unwrap().len(), 1);
        assert!(app.moderation_log(&smm, &slug, 50).await.unwrap().is_empty(), "[{label}] nothing done");
        let all = app.inbox(&smm, &slug, &Default::default(), None, 50).await.unwrap();
        assert!(all.iter().all(|c| c.tags.is_empty()));
    }
}

#[tokio::test]
async fn rules_apply_when_items_are_stored_and_can_be_undone() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (app, slug, ws, ch) = setup(&db).await;
        let cm = as_user(&app, "cm@ml.test").await;
        app.add_moderation_rule(
            &cm,
            &slug,
            &RuleToWrite {
                toxicity: "0.5".into(),
                ..rule("Trolls", "", "hide,mute,tag:troll,priority:3,assign:smm@ml.test")
            },
        )
        .await
        .unwrap();
        let off = app.add_moderation_rule(&cm, &slug, &rule("Off", "lampe", "block")).await.unwrap();
        app.set_moderation_rule_enabled(&cm, &slug, off.id, false).await.unwrap();
        let ids = ingest(
            &app,
            ws,
            ch,
            &[
                reply("t1", "troll", "Espèce d'idiot, ta lampe est une merde, connard"),
                reply("n1", "nice", "Jolie lampe, merci beaucoup"),
            ],
        )
        .await;
        assert_eq!(ids.len(), 2);
        let log = app.moderation_log(&cm, &slug, 50).await.unwrap();
        let mut kinds: Vec<_> = log.iter().map(|e| (e.action.as_str(), e.status.as_str())).collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [
                ("assign", "done"),
                ("hide", "pending"),
                ("mute", "pending"),
                ("priority", "done"),
                ("tag:troll", "done")
            ],
            "[{label}] the disabled rule did nothing; {log:#?}"
        );
        assert!(log.iter().all(|e| e.item_id == ids[0] && e.rule_name == "Trolls"));
        let convs = app.inbox(&cm, &slug, &Default::default(), None, 50).await.unwrap();
        assert_eq!(convs.len(), 2, "[{label}] the troll and the nice customer are two conversations");
        let nice = convs.iter().find(|c| c.author_id == "did:plc:nice").unwrap();
        assert!(
            nice.tags.is_empty() && nice.assignee_user_id.is_none(),
            "[{label}] untouched by the troll's rule"
        );
        let c = convs.iter().find(|c| c.author_id == "did:plc:troll").unwrap();
        let smm = app.user_by_email("smm@ml.test").await.unwrap();
        assert_eq!(
            (c.tags.clone(), c.priority, c.assignee_user_id),
            (vec!["troll".to_owned()], 3, Some(smm.id))
        );
        // Stored again: no second hit.
        ingest(&app, ws, ch, &[reply("t1", "troll", "x")]).await;
        assert_eq!(app.moderation_log(&cm, &slug, 50).await.unwrap().len(), 5);
        // Two jobs for the worker.
        let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE queue = 'inbox.action'")
            .fetch_one(&mut *app.store().conn().await.unwrap())
            .await
            .unwrap();
        assert_eq!(jobs, 2, "[{label}]");
        // The troll leads the offenders.
        let top = app.repeat_offenders(&cm, &slug, 10).await.unwrap();
        assert_eq!(top[0].name, "TROLL", "[{label}] {top:?}");
        assert!(top[0].score >= 1.0 && top[0].hits == 1);
        // Undo: local actions at once; a pending network action cannot be undone yet.
        for e in &log {
            match e.action.as_str() {
                "hide" | "mute" => {
                    assert_eq!(field(app.undo_moderation(&cm, &slug, e.id).await.unwrap_err()), "action")
                }
                _ => assert_eq!(app.undo_moderation(&cm, &slug, e.id).await.unwrap().status, "undone"),
            }
        }
        let convs = app.inbox(&cm, &slug, &Default::default(), None, 50).await.unwrap();
        let c = convs.iter().find(|c| c.author_id == "did:plc:troll").unwrap();
        assert_eq!((c.tags.len(), c.priority, c.assignee_user_id), (0, 0, None), "[{label}] reverted");
        // A done network action is undone by the worker.
        let hide = log.iter().find(|e| e.action == "hide").unwrap();
        {
            let mut tx = app.store().begin().await.unwrap();
            tutti_store::inbox::settle_action(&mut tx, hide.id, Some("x"), None).await.unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(app.undo_moderation(&cm, &slug, hide.id).await.unwrap().status, "undoing");
        let writer = as_user(&app, "writer@ml.test").await;
        assert!(matches!(app.undo_moderation(&writer, &slug, hide.id).await, Err(AppError::Forbidden(_))));
        // Audited.
        let entries: Vec<String> =
            sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'moderation.%' ORDER BY id")
                .fetch_all(&mut *app.store().conn().await.unwrap())
                .await
                .unwrap();
        assert!(
            entries.contains(&"moderation.hit".to_owned()) && entries.contains(&"moderation.undo".to_owned())
        );
    }
}

#[tokio::test]
async fn an_automatic_reply_is_a_post_answering_the_item_and_waits_for_review_in_a_crisis() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (app, slug, ws, ch) = setup(&db).await;
        let smm = as_user(&app, "smm@ml.test").await;
        app.add_moderation_rule(
            &smm,
            &slug,
            &RuleToWrite {
                reply: "Écrivez-nous en privé, nous regardons.".into(),
                ..rule("SAV", "remboursement", "")
            },
        )
        .await
        .unwrap();
        ingest(&app, ws, ch, &[reply("r1", "alice", "Je veux un remboursement")]).await;
        let log = app.moderation_log(&smm, &slug, 50).await.unwrap();
        assert_eq!(log.len(), 1, "[{label}]");
        let post_id: i64 = log[0].result_ref.as_deref().unwrap().parse().unwrap();
        let post = tutti_store::publishing::post_by_id(&mut app.store().conn().await.unwrap(), post_id)
            .await
            .unwrap();
        assert_eq!(post.status, "scheduled", "[{label}]");
        app.set_crisis(&smm, &slug, true, "test").await.unwrap();
        ingest(&app, ws, ch, &[reply("r2", "bob", "remboursement svp")]).await;
        let log = app.moderation_log(&smm, &slug, 50).await.unwrap();
        let post_id: i64 = log[0].result_ref.as_deref().unwrap().parse().unwrap();
        let post = tutti_store::publishing::post_by_id(&mut app.store().conn().await.unwrap(), post_id)
            .await
            .unwrap();
        assert_eq!(post.status, "in_review", "[{label}] a crisis sends it to review");
    }
}

#[tokio::test]
async fn new_accounts_are_caught_and_direct_messages_answered_privately() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug, ws, ch) = setup(&db).await;
        let smm = as_user(&app, "smm@ml.test").await;
        let fresh = RuleToWrite {
            name: "Fresh accounts".into(),
            enabled: true,
            new_account_days: "7".into(),
            actions: "tag:new-account".into(),
            ..Default::default()
        };
        app.add_moderation_rule(&smm, &slug, &fresh).await.unwrap();
        let hours = RuleToWrite {
            name: "Opening hours".into(),
            enabled: true,
            words: "horaires".into(),
            kinds: "dm".into(),
            actions: "reply".into(),
            reply: "Nous sommes ouverts de 9 h à 18 h.".into(),
            ..Default::default()
        };
        app.add_moderation_rule(&smm, &slug, &hours).await.unwrap();
        let aged = |id: &str, author: &str, days: Option<i64>| {
            let n = reply(id, author, "Bonjour");
            Incoming { author_since: days.map(|d| n.at - d * 86_400_000), ..n }
        };
        let dm = Incoming {
            kind: tutti_domain::ItemKind::Dm,
            text: "Quels sont vos horaires ?".into(),
            parent: None,
            root: None,
            ..reply("d1", "ana", "")
        };
        ingest(
            &app,
            ws,
            ch,
            &[aged("a1", "newbie", Some(2)), aged("a2", "veteran", Some(400)), aged("a3", "ghost", None), dm],
        )
        .await;

        let tagged = app
            .inbox(
                &smm,
                &slug,
                &tutti_store::inbox::Filter { tag: Some("new-account".into()), ..Default::default() },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(tagged.len(), 1, "{}: one thread holds the new account's reply", db.label());
        let items = app.conversation(&smm, &slug, tagged[0].id).await.unwrap().1;
        assert!(items.iter().any(|i| i.author_handle == "newbie.test"));
        let log = app.moderation_log(&smm, &slug, 100).await.unwrap();
        let hit_authors: Vec<_> =
            log.iter().filter(|e| e.action == "tag:new-account").map(|e| e.item_id).collect();
        assert_eq!(hit_authors.len(), 1, "{}: only the account opened two days before: {log:?}", db.label());

        // The direct message: its own conversation, answered privately and addressed to its author.
        let dms = app
            .inbox(
                &smm,
                &slug,
                &tutti_store::inbox::Filter { kind: Some(tutti_domain::ItemKind::Dm), ..Default::default() },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(dms.len(), 1, "{}", db.label());
        assert_eq!((dms[0].kind.as_str(), dms[0].unanswered), ("dm", false), "answered by the rule");
        let (_, _, posts) = app.conversation(&smm, &slug, dms[0].id).await.unwrap();
        assert_eq!(posts.len(), 1, "{}: the automatic answer", db.label());
        assert!(posts[0].direct, "{}: a direct message is answered privately", db.label());
        assert_eq!(posts[0].text, "@ana.test Nous sommes ouverts de 9 h à 18 h.");
        assert_eq!(posts[0].reply_ref.as_deref(), Some("at://did:plc:ana/app.bsky.feed.post/d1"));

        // A community manager's answer to it is private too.
        let cm = as_user(&app, "cm@ml.test").await;
        let reply =
            tutti_app::inbox::ReplyToWrite { text: "Et le samedi aussi.".into(), ..Default::default() };
        app.reply(&cm, &slug, dms[0].id, &reply).await.unwrap();
        let (_, _, posts) = app.conversation(&smm, &slug, dms[0].id).await.unwrap();
        let mine = posts.iter().find(|p| p.text.ends_with("Et le samedi aussi.")).unwrap();
        assert!(mine.direct && mine.text.starts_with("@ana.test "), "{mine:?}");
    }
}
