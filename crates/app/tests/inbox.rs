//! The inbox on every backend: notifications become conversations once each, linked to their
//! person; replies are posts answering the network post; two people never reply at once; a
//! crisis sends replies to the SMM first; hostile text is cleaned.

use tutti_app::inbox::ReplyToWrite;
use tutti_app::ingest::{item_of, Incoming};
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App, AppError};
use tutti_store::inbox::Filter;

const PASSWORD: &str = "correct horse battery";

async fn setup(db: &tutti_test_support::TestDb) -> (App, String, i64) {
    let app = App::new(db.open().await, tutti_test_support::app_config());
    let op = Actor::Operator;
    let ws = app.create_workspace(&op, "Maison Lumière", "Europe/Paris").await.unwrap();
    for (email, role) in
        [("smm@ml.test", "smm"), ("cm@ml.test", "cm"), ("cm2@ml.test", "cm"), ("analyst@ml.test", "analyst")]
    {
        app.add_user(&op, email, email, PASSWORD, false).await.unwrap();
        app.add_member(&op, &ws.slug, email, role).await.unwrap();
    }
    let channel = tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison"));
    let c = app.add_channel(&op, &Keyring::generate(), &ws.slug, &channel).await.unwrap();
    (app, ws.slug, c.id)
}

async fn as_user(app: &App, email: &str) -> Actor {
    Actor::User(app.user_by_email(email).await.unwrap())
}

fn note(id: &str, kind: &str, author: &str, text: &str, at: i64) -> Incoming {
    Incoming {
        remote_id: id.into(),
        kind: kind.parse().unwrap(),
        author_id: format!("did:plc:{author}"),
        author_handle: format!("{author}.test"),
        author_name: author.to_uppercase(),
        text: text.into(),
        post: (kind != "follow" && kind != "like")
            .then(|| (format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), Some(format!("cid-{id}")))),
        parent: (kind == "reply").then(|| "at://did:plc:maison/app.bsky.feed.post/1".to_owned()),
        root: (kind == "reply").then(|| "at://did:plc:maison/app.bsky.feed.post/1".to_owned()),
        subject: (kind == "like").then(|| "at://did:plc:maison/app.bsky.feed.post/1".to_owned()),
        at,
        ..Default::default()
    }
}

async fn ingest(app: &App, slug: &str, channel: i64, notes: &[Incoming]) -> Vec<i64> {
    let ws = app
        .list_workspaces(&Actor::Operator)
        .await
        .unwrap()
        .into_iter()
        .find(|(w, _)| w.slug == slug)
        .unwrap()
        .0;
    let items: Vec<_> =
        notes.iter().map(|n| item_of(ws.id, channel, tutti_domain::Network::Bluesky, n)).collect();
    let mut tx = app.store().begin().await.unwrap();
    let moved =
        tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &items).await.unwrap();
    tx.commit().await.unwrap();
    moved
}

fn field(e: AppError) -> (String, String) {
    match e {
        AppError::Invalid(i) | AppError::Conflict(i) => (i.field.to_owned(), i.message),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn notifications_become_conversations_once_with_their_person() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug, ch) = setup(&db).await;
        let t0 = tutti_store::now_ms() - 60_000;
        let notes = [
            note("r1", "reply", "alice", "Ma commande est arrivée cassée, c'est vraiment nul", t0),
            note("l1", "like", "bob", "", t0 + 1),
            note("f1", "follow", "bob", "", t0 + 2),
            note("m1", "mention", "carol", "J'adore @maison.test, merci !", t0 + 3),
            note("r2", "reply", "alice", "Toujours pas de réponse, service nul, je suis très déçue", t0 + 4),
        ];
        ingest(&app, &slug, ch, &notes).await;
        // Read twice: stored once.
        assert!(ingest(&app, &slug, ch, &notes).await.is_empty(), "[{}] nothing new", db.label());
        let cm = as_user(&app, "cm@ml.test").await;
        let all = app.inbox(&cm, &slug, &Filter::default(), None, 50).await.unwrap();
        assert_eq!(
            all.len(),
            4,
            "[{}] alice's thread, the likes of the post, the mention, the follow: {all:#?}",
            db.label()
        );
        let thread = all.iter().find(|c| c.root_ref.ends_with(".post/1") && c.kind == "reply").unwrap();
        assert_eq!((thread.items, thread.kind.as_str(), thread.sentiment.as_str()), (2, "reply", "neg"));
        assert_eq!(thread.author_id, "did:plc:alice");
        let likes = all.iter().find(|c| c.root_ref.ends_with(".post/1") && c.kind == "like").unwrap();
        assert_eq!(
            (likes.author_id.as_str(), likes.status.as_str(), likes.unanswered),
            ("", "closed", false)
        );
        assert_eq!(thread.person_name, "ALICE");
        assert!(thread.unanswered && thread.status == "open");
        let open = app
            .inbox(
                &cm,
                &slug,
                &Filter { status: Some(tutti_domain::ConversationStatus::Open), ..Default::default() },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(open.len(), 2, "a follow alone has nothing to answer");
        let neg = app
            .inbox(
                &cm,
                &slug,
                &Filter { sentiment: Some(tutti_domain::Sentiment::Neg), ..Default::default() },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(neg.iter().map(|c| c.id).collect::<Vec<_>>(), vec![thread.id]);
        // Paging: the second page starts after the first.
        let first = app.inbox(&cm, &slug, &Filter::default(), None, 2).await.unwrap();
        let last = first.last().unwrap();
        let rest =
            app.inbox(&cm, &slug, &Filter::default(), Some((last.last_item_at, last.id)), 2).await.unwrap();
        assert_eq!(first.len() + rest.len(), 4);
        assert!(rest.iter().all(|c| !first.iter().any(|f| f.id == c.id)));
        let (_, items, _) = app.conversation(&cm, &slug, thread.id).await.unwrap();
        assert_eq!(items.iter().map(|i| i.kind.as_str()).collect::<Vec<_>>(), vec!["reply", "reply"]);
        assert_eq!(items[0].person_id, items[1].person_id, "one person behind alice's two replies");
        let analyst = as_user(&app, "analyst@ml.test").await;
        assert!(
            app.inbox(&analyst, &slug, &Filter::default(), None, 5).await.is_ok(),
            "analysts read the inbox"
        );
        assert!(matches!(
            app.set_conversation_status(&analyst, &slug, thread.id, "closed").await,
            Err(AppError::Forbidden(_))
        ));
        assert_eq!(
            field(app.set_conversation_status(&cm, &slug, thread.id, "done").await.unwrap_err()).0,
            "status"
        );
        app.set_conversation_status(&cm, &slug, thread.id, "closed").await.unwrap();
        app.assign_conversation(&cm, &slug, thread.id, "cm2@ml.test").await.unwrap();
        assert_eq!(
            field(app.assign_conversation(&cm, &slug, thread.id, "nobody@ml.test").await.unwrap_err()).0,
            "assignee"
        );
        assert_eq!(
            field(app.tag_conversation(&cm, &slug, thread.id, "livraison, <b>").await.unwrap_err()).0,
            "tags"
        );
        app.tag_conversation(&cm, &slug, thread.id, "Livraison, SAV").await.unwrap();
        let tagged = app
            .inbox(&cm, &slug, &Filter { tag: Some("sav".into()), ..Default::default() }, None, 5)
            .await
            .unwrap();
        assert_eq!(tagged.len(), 1);
        assert_eq!(tagged[0].assignee_user_id, app.user_by_email("cm2@ml.test").await.ok().map(|u| u.id));
        // A new reply reopens a closed conversation.
        ingest(&app, &slug, ch, &[note("r3", "reply", "alice", "Allô ?", t0 + 10)]).await;
        assert_eq!(app.conversation(&cm, &slug, thread.id).await.unwrap().0.status, "open");
    }
}

#[tokio::test]
async fn a_reply_is_a_post_answering_the_item_and_two_people_never_reply_at_once() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug, ch) = setup(&db).await;
        let t0 = tutti_store::now_ms() - 60_000;
        ingest(&app, &slug, ch, &[note("r1", "reply", "alice", "Où est ma commande ?", t0)]).await;
        let cm = as_user(&app, "cm@ml.test").await;
        let cm2 = as_user(&app, "cm2@ml.test").await;
        let c = app.inbox(&cm, &slug, &Filter::default(), None, 5).await.unwrap().remove(0);
        assert_eq!(app.start_reply(&cm, &slug, c.id).await.unwrap(), None);
        assert_eq!(
            app.start_reply(&cm2, &slug, c.id).await.unwrap(),
            Some("cm@ml.test".into()),
            "cm2 is told"
        );
        let r = ReplyToWrite {
            text: "Bonjour Alice, nous regardons !".into(),
            seen_items: Some(1),
            ..Default::default()
        };
        let (f, m) = field(app.reply(&cm2, &slug, c.id, &r).await.unwrap_err());
        assert_eq!(f, "text");
        assert!(m.contains("cm@ml.test is replying"), "{m}");
        let post = app.reply(&cm, &slug, c.id, &r).await.unwrap();
        assert_eq!(post.status, "scheduled", "[{}]", db.label());
        assert_eq!(post.reply_ref.as_deref(), Some("at://did:plc:alice/app.bsky.feed.post/r1"));
        assert_eq!(post.reply_cid.as_deref(), Some("cid-r1"));
        assert_eq!(post.conversation_id, Some(c.id));
        let (after, items, posts) = app.conversation(&cm, &slug, c.id).await.unwrap();
        assert!(!after.unanswered && after.status == "pending" && after.first_response_at.is_some());
        assert_eq!(items.last().unwrap().kind, "sent");
        assert_eq!(posts[0].id, post.id);
        // cm2 opened the form before cm answered: refused before anything is sent.
        app.start_reply(&cm2, &slug, c.id).await.unwrap();
        let late = ReplyToWrite { text: "Bonjour !".into(), seen_items: Some(1), ..Default::default() };
        let (f, m) = field(app.reply(&cm2, &slug, c.id, &late).await.unwrap_err());
        assert!(f == "text" && m.contains("since you opened it"), "{m}");
        assert_eq!(app.posts(&cm, &slug, 10).await.unwrap().len(), 1, "one reply");
        assert_eq!(
            field(
                app.reply(&cm, &slug, c.id, &ReplyToWrite { text: " ".into(), ..Default::default() })
                    .await
                    .unwrap_err()
            )
            .0,
            "text"
        );
        let long = ReplyToWrite { text: "é".repeat(301), ..Default::default() };
        assert_eq!(field(app.reply(&cm, &slug, c.id, &long).await.unwrap_err()).0, "text");
        let ambassador = ReplyToWrite { text: "Moi-même".into(), as_ambassador: true, ..Default::default() };
        assert_eq!(
            field(app.reply(&cm, &slug, c.id, &ambassador).await.unwrap_err()).0,
            "as",
            "no account of their own"
        );
        // Likes are asked once, as a job for the worker.
        let item = items[0].id;
        let a = app.act_on_item(&cm, &slug, item, "like").await.unwrap();
        let b = app.act_on_item(&cm, &slug, item, "like").await.unwrap();
        assert_eq!((a.id, a.status.as_str()), (b.id, "pending"));
        assert_eq!(field(app.act_on_item(&cm, &slug, item, "nuke").await.unwrap_err()).0, "action");
    }
}

/// The trial's scenario: two customers and a troll answer the same post of the brand. Each is a
/// conversation of their own; the apology written in the customer's conversation lands under
/// the customer's message, never under the troll's (the newest); the CM can choose another of
/// the customer's messages, never someone else's.
#[tokio::test]
async fn two_customers_and_a_troll_under_one_post_are_three_conversations_and_the_apology_lands_under_the_customer(
) {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let (app, slug, ch) = setup(&db).await;
        let t0 = tutti_store::now_ms() - 60_000;
        ingest(
            &app,
            &slug,
            ch,
            &[
                note("r1", "reply", "alice", "Ma lampe est arrivée cassée, je suis très déçue", t0),
                note("r2", "reply", "bruno", "Toujours pas reçu ma commande, c'est nul", t0 + 1),
                note("r3", "reply", "alice", "Et le service client ne répond pas", t0 + 2),
            ],
        )
        .await;
        // The troll answers last, in a batch of its own.
        ingest(&app, &slug, ch, &[note("r4", "reply", "troll", "Marque de nuls, arnaque, boycott", t0 + 3)])
            .await;
        let cm = as_user(&app, "cm@ml.test").await;
        let all = app.inbox(&cm, &slug, &Filter::default(), None, 50).await.unwrap();
        assert_eq!(all.len(), 3, "[{label}] one conversation per person: {all:#?}");
        assert!(all.iter().all(|c| c.root_ref == "at://did:plc:maison/app.bsky.feed.post/1"));
        let of = |who: &str| all.iter().find(|c| c.author_id == format!("did:plc:{who}")).unwrap().clone();
        let (alice, bruno, troll) = (of("alice"), of("bruno"), of("troll"));
        assert_eq!((alice.items, alice.person_name.as_str()), (2, "ALICE"));
        assert_eq!((bruno.items, troll.items), (1, 1));
        assert!(alice.unanswered && bruno.unanswered && troll.unanswered);
        // Each has its own assignee.
        app.assign_conversation(&cm, &slug, alice.id, "me").await.unwrap();
        assert_eq!(app.conversation(&cm, &slug, bruno.id).await.unwrap().0.assignee_user_id, None);

        // The apology answers Alice's latest message, not the troll's newer one.
        let (c, items, _) = app.conversation(&cm, &slug, alice.id).await.unwrap();
        let target = tutti_app::inbox::default_target(&c, &items).unwrap();
        assert_eq!(target.post_ref.as_deref(), Some("at://did:plc:alice/app.bsky.feed.post/r3"));
        let r = ReplyToWrite {
            text: "Toutes nos excuses, Alice : nous vous écrivons.".into(),
            ..Default::default()
        };
        let post = app.reply(&cm, &slug, alice.id, &r).await.unwrap();
        assert_eq!(post.reply_ref.as_deref(), Some("at://did:plc:alice/app.bsky.feed.post/r3"), "[{label}]");
        assert_eq!(post.reply_cid.as_deref(), Some("cid-r3"));
        assert_eq!(post.conversation_id, Some(alice.id));
        let (after, items, _) = app.conversation(&cm, &slug, alice.id).await.unwrap();
        let sent = items.iter().find(|i| i.kind == "sent").unwrap();
        assert_eq!(sent.answers_item_id, Some(target.id), "[{label}] the answered message is stored");
        assert!(!after.unanswered && after.status == "pending");
        assert!(
            app.conversation(&cm, &slug, troll.id).await.unwrap().0.unanswered,
            "[{label}] the troll's conversation is not answered by it"
        );

        // The CM chooses Alice's first message instead.
        let first = items
            .iter()
            .find(|i| i.post_ref.as_deref() == Some("at://did:plc:alice/app.bsky.feed.post/r1"))
            .unwrap();
        let r = ReplyToWrite {
            text: "Pour la lampe : un échange part demain.".into(),
            item_id: Some(first.id),
            ..Default::default()
        };
        let post = app.reply(&cm, &slug, alice.id, &r).await.unwrap();
        assert_eq!(post.reply_ref.as_deref(), Some("at://did:plc:alice/app.bsky.feed.post/r1"), "[{label}]");
        // Never someone else's message: the troll's item is not one of Alice's conversation.
        let (_, troll_items, _) = app.conversation(&cm, &slug, troll.id).await.unwrap();
        let r = ReplyToWrite { text: "Non.".into(), item_id: Some(troll_items[0].id), ..Default::default() };
        assert_eq!(field(app.reply(&cm, &slug, alice.id, &r).await.unwrap_err()).0, "item", "[{label}]");
        let like = ReplyToWrite {
            text: "Non.".into(),
            item_id: Some(items.iter().find(|i| i.kind == "sent").unwrap().id),
            ..Default::default()
        };
        assert_eq!(
            field(app.reply(&cm, &slug, alice.id, &like).await.unwrap_err()).0,
            "item",
            "[{label}] not the brand's own"
        );

        // Alice answers the brand's reply: her thread goes on in her conversation.
        let mut again = note("r5", "reply", "alice", "Merci, j'attends l'échange", t0 + 10);
        again.parent = post.remote_id.clone().or(Some("at://did:plc:maison/app.bsky.feed.post/reply".into()));
        ingest(&app, &slug, ch, &[again]).await;
        let (c, items, _) = app.conversation(&cm, &slug, alice.id).await.unwrap();
        assert!(c.unanswered && items.len() == 5, "[{label}] her three messages and two replies: {items:#?}");
        assert_eq!(app.inbox(&cm, &slug, &Filter::default(), None, 50).await.unwrap().len(), 3);
        // The inbox's replies are not the editorial calendar's.
        let smm = as_user(&app, "smm@ml.test").await;
        let calendar = app.calendar_posts(&smm, &slug, t0 - 86_400_000, t0 + 86_400_000, None).await.unwrap();
        assert!(calendar.is_empty(), "[{label}] {calendar:#?}");
    }
}

#[tokio::test]
async fn during_a_crisis_a_community_managers_reply_waits_for_the_smm() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug, ch) = setup(&db).await;
        let t0 = tutti_store::now_ms() - 60_000;
        ingest(
            &app,
            &slug,
            ch,
            &[note("r1", "reply", "alice", "Rappel produit ? Mon enfant a été malade", t0)],
        )
        .await;
        ingest(&app, &slug, ch, &[note("m1", "mention", "dan", "Alors @maison.test ?", t0 + 1)]).await;
        let cm = as_user(&app, "cm@ml.test").await;
        let smm = as_user(&app, "smm@ml.test").await;
        let list = app.inbox(&cm, &slug, &Filter::default(), None, 5).await.unwrap();
        let (thread, mention) = (
            list.iter().find(|c| c.kind == "reply").unwrap(),
            list.iter().find(|c| c.kind == "mention").unwrap(),
        );
        app.tag_conversation(&cm, &slug, thread.id, "crisis").await.unwrap();
        let r = ReplyToWrite {
            text: "Nous sommes désolés, écrivez-nous en privé.".into(),
            ..Default::default()
        };
        let held = app.reply(&cm, &slug, thread.id, &r).await.unwrap();
        assert_eq!(held.status, "in_review", "[{}] a crisis conversation", db.label());
        let plain = app.reply(&cm, &slug, mention.id, &r).await.unwrap();
        assert_eq!(plain.status, "scheduled");
        app.set_crisis(&smm, &slug, true, "rappel").await.unwrap();
        ingest(&app, &slug, ch, &[note("m2", "mention", "erin", "@maison.test ???", t0 + 2)]).await;
        let other = app
            .inbox(
                &cm,
                &slug,
                &Filter {
                    kind: Some(tutti_domain::ItemKind::Mention),
                    unanswered: true,
                    ..Default::default()
                },
                None,
                5,
            )
            .await
            .unwrap()
            .remove(0);
        assert_eq!(app.reply(&cm, &slug, other.id, &r).await.unwrap().status, "in_review", "crisis mode on");
        assert_eq!(
            app.reply(&smm, &slug, other.id, &r).await.unwrap().status,
            "scheduled",
            "the SMM's own reply goes"
        );
        // The SMM edits the held reply, then approves it: one move, audited with both texts.
        let long = "é".repeat(301);
        assert_eq!(
            field(app.edit_and_approve_post(&smm, &slug, held.id, &long).await.unwrap_err()).0,
            "text"
        );
        assert!(matches!(
            app.edit_and_approve_post(&cm, &slug, held.id, "Non").await,
            Err(AppError::Forbidden(_))
        ));
        let approved = app
            .edit_and_approve_post(
                &smm,
                &slug,
                held.id,
                "Nous sommes désolés : écrivez-nous en privé, nous vous répondons vite.",
            )
            .await
            .unwrap();
        assert_eq!(approved.status, "scheduled", "the SMM edits and approves, Tutti sends");
        assert!(approved.text.starts_with("Nous sommes désolés : écrivez-nous"));
        let edits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'post.edit'")
            .fetch_one(&mut *app.store().conn().await.unwrap())
            .await
            .unwrap();
        assert_eq!(edits, 1);
    }
}

#[tokio::test]
async fn the_desk_saved_replies_notes_escalation_views_and_round_robin() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug, ch) = setup(&db).await;
        let t0 = tutti_store::now_ms() - 60_000;
        ingest(&app, &slug, ch, &[note("r1", "reply", "alice", "Où est ma commande ?", t0)]).await;
        let cm = as_user(&app, "cm@ml.test").await;
        let smm = as_user(&app, "smm@ml.test").await;
        let c = app.inbox(&cm, &slug, &Filter::default(), None, 5).await.unwrap().remove(0);

        // Saved replies: only {prenom} and {handle} are variables; filled for the person.
        let (f, _) =
            field(app.add_saved_reply(&cm, &slug, "Retard", "fr", "Bonjour {nom}").await.unwrap_err());
        assert_eq!(f, "body", "[{}]", db.label());
        let id = app
            .add_saved_reply(&cm, &slug, "Retard", "fr", "Bonjour {prenom} ({handle}), désolés du retard !")
            .await
            .unwrap();
        assert_eq!(
            field(app.add_saved_reply(&cm, &slug, "Retard", "fr", "Autre").await.unwrap_err()).0,
            "name"
        );
        let filled = app.fill_saved_reply(&cm, &slug, c.id, id).await.unwrap();
        assert_eq!(filled, "Bonjour ALICE (@alice.test), désolés du retard !");

        // A note that @mentions a colleague tells them, and only them.
        let n = app.add_note(&cm, &slug, c.id, "@cm2 tu peux regarder ? <b>urgent</b>").await.unwrap();
        assert_eq!(n, 1, "[{}]", db.label());
        let cm2 = as_user(&app, "cm2@ml.test").await;
        let told = app.notices(&cm2, &slug).await.unwrap();
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].link, format!("/w/{slug}/inbox/{}", c.id));
        assert!(app.notices(&smm, &slug).await.unwrap().is_empty());
        assert_eq!(
            app.notes(&cm, &slug, c.id).await.unwrap()[0].body,
            "@cm2 tu peux regarder ? <b>urgent</b>"
        );
        assert_eq!(field(app.add_note(&cm, &slug, c.id, "  ").await.unwrap_err()).0, "note");

        // Escalation: urgent, tagged, assigned to the SMM, who is told.
        app.escalate(&cm, &slug, c.id).await.unwrap();
        let (after, ..) = app.conversation(&cm, &slug, c.id).await.unwrap();
        assert_eq!(after.priority, 3);
        assert!(after.tags.contains(&"escalated".to_owned()));
        assert_eq!(after.assignee_user_id, app.user_by_email("smm@ml.test").await.ok().map(|u| u.id));
        assert_eq!(app.notices(&smm, &slug).await.unwrap().len(), 1);
        assert_eq!(
            field(app.set_conversation_priority(&cm, &slug, c.id, "9").await.unwrap_err()).0,
            "priority"
        );

        // Saved views are the caller's own.
        app.save_inbox_view(&cm, &slug, "Négatifs", "sentiment=neg&unanswered=1").await.unwrap();
        assert_eq!(app.inbox_views(&cm, &slug).await.unwrap()[0].query, "sentiment=neg&unanswered=1");
        assert!(app.inbox_views(&cm2, &slug).await.unwrap().is_empty());

        // Round robin: new conversations go to the community managers in turn.
        assert!(matches!(
            app.set_assignment_rule(&cm, &slug, "round_robin").await,
            Err(AppError::Forbidden(_))
        ));
        app.set_assignment_rule(&smm, &slug, "round_robin").await.unwrap();
        let ws_id = app.conversation(&cm, &slug, c.id).await.unwrap().0.workspace_id;
        let moved = ingest(
            &app,
            &slug,
            ch,
            &[
                note("m1", "mention", "bob", "Hello @maison.test", t0 + 1),
                note("m2", "mention", "carol", "Coucou @maison.test", t0 + 2),
            ],
        )
        .await;
        let mut tx = app.store().begin().await.unwrap();
        let n = tutti_app::inbox_desk::auto_assign(&mut tx, ws_id, &moved).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(n, 2, "[{}]", db.label());
        let list = app
            .inbox(
                &cm,
                &slug,
                &Filter { kind: Some(tutti_domain::ItemKind::Mention), ..Default::default() },
                None,
                5,
            )
            .await
            .unwrap();
        let mut who: Vec<_> = list.iter().map(|c| c.assignee_user_id.unwrap()).collect();
        who.sort_unstable();
        who.dedup();
        assert_eq!(who.len(), 2, "[{}] one each", db.label());
    }
}

/// The rows a batch leaves behind, in a form two workspaces can be compared by.
async fn snapshot(app: &App, workspace_id: i64) -> (Vec<String>, Vec<String>, i64) {
    use sqlx::Row;
    let mut db = app.store().conn().await.unwrap();
    let conversations = sqlx::query(
        "SELECT c.root_ref, c.author_id, c.kind, c.excerpt, c.sentiment, c.status, c.unanswered, c.items, \
           c.first_item_at, c.last_item_at, c.toxicity, p.display_name FROM conversations c \
           JOIN people p ON p.id = c.person_id \
         WHERE c.workspace_id = $1 ORDER BY c.root_ref, c.author_id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *db)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        format!(
            "{} {} {} {:?} {} {} {} {} {} {} {:.3} {}",
            r.get::<String, _>(0),
            r.get::<String, _>(1),
            r.get::<String, _>(2),
            r.get::<String, _>(3),
            r.get::<String, _>(4),
            r.get::<String, _>(5),
            r.get::<i64, _>(6),
            r.get::<i64, _>(7),
            r.get::<i64, _>(8),
            r.get::<i64, _>(9),
            r.get::<f64, _>(10),
            r.get::<String, _>(11),
        )
    })
    .collect();
    let people = sqlx::query(
        "SELECT p.display_name, p.interactions, p.first_seen_at, p.last_seen_at, i.handle FROM people p \
         JOIN person_identities i ON i.person_id = p.id WHERE p.workspace_id = $1 ORDER BY i.author_id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *db)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        format!(
            "{} {} {} {} {}",
            r.get::<String, _>(0),
            r.get::<i64, _>(1),
            r.get::<i64, _>(2),
            r.get::<i64, _>(3),
            r.get::<String, _>(4)
        )
    })
    .collect();
    let items: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox_items WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_one(&mut *db)
        .await
        .unwrap();
    (conversations, people, items)
}

#[tokio::test]
async fn a_batch_is_stored_as_if_its_items_came_one_by_one() {
    for db in tutti_test_support::every_backend().await {
        let (app, slug, channel) = setup(&db).await;
        let op = Actor::Operator;
        let ws_a =
            app.list_workspaces(&op).await.unwrap().into_iter().find(|(w, _)| w.slug == slug).unwrap().0.id;
        let other = app.create_workspace(&op, "Maison Lumière bis", "Europe/Paris").await.unwrap();
        let channel_b = app
            .add_channel(
                &op,
                &Keyring::generate(),
                &other.slug,
                &tutti_test_support::offline_bluesky("maison-bis.test", Some("did:plc:maisonbis")),
            )
            .await
            .unwrap()
            .id;
        let t0 = 1_700_000_000_000;
        let first = note("r0", "reply", "alice", "Bonjour, une question sur ma commande", t0);
        let mut renamed = note("r5", "reply", "alice", "Toujours rien reçu, c'est nul", t0 + 5_000);
        renamed.author_name = "Alice M.".into();
        renamed.author_handle = "alice-m.test".into();
        let batch = vec![
            first.clone(),
            note("l1", "like", "carol", "", t0 + 1_000),
            note("r1", "reply", "bob", "Vous êtes des idiots, arnaque totale", t0 + 2_000),
            note("f1", "follow", "dave", "", t0 + 3_000),
            note("r1", "reply", "bob", "Vous êtes des idiots, arnaque totale", t0 + 2_000),
            note("m1", "mention", "bob", "@maison.test merci pour la réponse rapide", t0 + 4_000),
            note("l2", "like", "alice", "", t0 + 4_500),
            renamed,
        ];
        // Workspace A: the first item alone, then the batch (which holds it again).
        // Workspace B: the same items one by one.
        ingest(&app, &slug, channel, std::slice::from_ref(&first)).await;
        let moved = ingest(&app, &slug, channel, &batch).await;
        assert_eq!(
            moved.len(),
            5,
            "{}: alice's thread, the likes of the post, bob's thread, the follow and the mention moved",
            db.label()
        );
        for n in std::iter::once(&first).chain(&batch) {
            ingest(&app, &other.slug, channel_b, std::slice::from_ref(n)).await;
        }
        // Counts and last sightings of known people come with the community refresh.
        app.refresh_community(&op, &slug).await.unwrap();
        app.refresh_community(&op, &other.slug).await.unwrap();
        let a = snapshot(&app, ws_a).await;
        let b = snapshot(&app, other.id).await;
        assert_eq!(a, b, "{}: a batch and the same items one by one", db.label());
        assert_eq!(a.2, 7, "{}: r0, l1, r1, f1, m1, l2 and r5 once each: {:?}", db.label(), a);
        let thread =
            a.0.iter()
                .find(|c| c.starts_with("at://did:plc:maison/app.bsky.feed.post/1 did:plc:alice "))
                .unwrap();
        assert!(thread.contains("Toujours rien reçu") && thread.ends_with("Alice M."), "{thread}");
        assert!(
            a.1.iter().any(|p| p == &format!("Alice M. 3 {t0} {} alice-m.test", t0 + 5_000)),
            "{:?}",
            a.1
        );
    }
}
