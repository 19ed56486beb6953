//! Conversations became per person (migration 0031): a database made by the previous schema,
//! with one conversation mixing two customers, a troll and a like, is migrated without losing
//! anything, on SQLite and, when `TUTTI_TEST_POSTGRES_URL` is set, PostgreSQL.

use sqlx::Row;
use tutti_domain::{ItemKind, Network, Sentiment};
use tutti_store::inbox::{self, NewItem};
use tutti_store::{Backend, Db, Store};

/// The last migration of the schema where a conversation was every item under one root.
const BEFORE: i64 = 30;

const ROOT: &str = "at://did:plc:maison/app.bsky.feed.post/lampe";
const T: i64 = 1_790_000_000_000;

async fn exec(db: &mut Db, sql: &str) {
    sqlx::query(sql).execute(&mut *db).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// What the previous schema held: Alice and Bruno complain under the brand's post, Dora likes
/// it, a troll insults; the brand answered Alice's second message; the conversation is
/// assigned, tagged, prioritised, pending, with a note, a like asked on Bruno's message and its
/// history. Alice also has a mention of her own, which must not change.
async fn old_rows(db: &mut Db) {
    for sql in [
        "INSERT INTO organisations (id, name, created_at) VALUES (1, 'Maison', 0)",
        "INSERT INTO workspaces (id, organisation_id, slug, name, timezone, created_at) \
         VALUES (1, 1, 'maison', 'Maison', 'Europe/Paris', 0)",
        "INSERT INTO users (id, email, name, created_at) VALUES (1, 'cm@ml.test', 'Camille', 0)",
        "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (1, 1, 'cm', 0)",
        "INSERT INTO channels (id, workspace_id, network, handle, service, credentials, key_id, created_at) \
         VALUES (1, 1, 'bluesky', 'maison.test', 'http://127.0.0.1:9', 'x', 'k', 0)",
    ] {
        exec(db, sql).await;
    }
    for (id, name, author) in
        [(1, "Alice", "alice"), (2, "Bruno", "bruno"), (3, "Troll", "troll"), (4, "Dora", "dora")]
    {
        exec(
            db,
            &format!(
                "INSERT INTO people (id, workspace_id, display_name, interactions, first_seen_at, last_seen_at, created_at) \
                 VALUES ({id}, 1, '{name}', 1, {T}, {T}, {T})"
            ),
        )
        .await;
        exec(
            db,
            &format!(
                "INSERT INTO person_identities (workspace_id, person_id, network, author_id, handle) \
                 VALUES (1, {id}, 'bluesky', 'did:plc:{author}', '{author}.test')"
            ),
        )
        .await;
    }
    exec(
        db,
        &format!(
            "INSERT INTO conversations (id, workspace_id, channel_id, root_ref, person_id, kind, excerpt, sentiment, lang, \
               toxicity, status, priority, assignee_user_id, tags, unanswered, items, first_item_at, last_item_at, \
               first_response_at, resolved_at, replying_user_id, replying_until, touched_at) \
             VALUES (10, 1, 1, '{ROOT}', 3, 'reply', 'Nul nul nul', 'neg', 'fr', 0.9, 'pending', 2, 1, ',livraison,sav,', \
               1, 6, {T}, {}, {}, NULL, 1, {}, {})",
            T + 6_000,
            T + 5_000,
            T + 9_000,
            T + 6_000
        ),
    )
    .await;
    exec(
        db,
        &format!(
            "INSERT INTO conversations (id, workspace_id, channel_id, root_ref, person_id, kind, excerpt, sentiment, lang, \
               toxicity, status, priority, tags, unanswered, items, first_item_at, last_item_at, touched_at) \
             VALUES (11, 1, 1, 'at://did:plc:alice/app.bsky.feed.post/m1', 1, 'mention', 'Qui connaît @maison.test ?', \
               'neu', 'fr', 0.1, 'open', 0, '', 1, 1, {T}, {T}, {T})"
        ),
    )
    .await;
    // The post that carried the brand's answer to Alice.
    exec(
        db,
        &format!(
            "INSERT INTO posts (id, workspace_id, channel_id, text, status, idempotency_key, remote_id, created_at, \
               updated_at, reply_ref, reply_cid, conversation_id) \
             VALUES (50, 1, 1, 'Toutes nos excuses Alice', 'published', 'k50', 'at://did:plc:maison/app.bsky.feed.post/r50', \
               {}, {}, 'at://did:plc:alice/app.bsky.feed.post/a2', 'cid-a2', 10)",
            T + 5_000,
            T + 5_000
        ),
    )
    .await;
    // id, conversation, kind, author, person, text, toxicity, post, carrying post
    type OldItem<'a> = (i64, i64, &'a str, &'a str, i64, &'a str, f64, Option<&'a str>, Option<i64>);
    let items: [OldItem; 7] = [
        (1, 10, "reply", "alice", 1, "Ma lampe est arrivée cassée", 0.1, Some("a1"), None),
        (2, 10, "reply", "bruno", 2, "Toujours pas reçu ma commande", 0.1, Some("b1"), None),
        (3, 10, "like", "dora", 4, "", 0.0, None, None),
        (4, 10, "reply", "alice", 1, "Et personne ne répond au téléphone", 0.2, Some("a2"), None),
        (5, 10, "sent", "", 0, "Toutes nos excuses Alice", 0.0, None, Some(50)),
        (6, 10, "reply", "troll", 3, "Nul nul nul", 0.9, Some("t1"), None),
        (7, 11, "mention", "alice", 1, "Qui connaît @maison.test ?", 0.1, Some("m1"), None),
    ];
    for (id, conversation, kind, author, person, text, toxicity, post, post_id) in items {
        let at = T + (id - 1) * 1_000;
        let post_ref =
            post.map(|p| format!("'at://did:plc:{author}/app.bsky.feed.post/{p}'")).unwrap_or("NULL".into());
        let parent = match kind {
            "reply" => format!("'{ROOT}'"),
            "sent" => "'at://did:plc:alice/app.bsky.feed.post/a2'".into(),
            _ => "NULL".into(),
        };
        let subject = if kind == "like" { format!("'{ROOT}'") } else { "NULL".into() };
        let person = if person == 0 { "NULL".into() } else { person.to_string() };
        let author_id = if author.is_empty() { String::new() } else { format!("did:plc:{author}") };
        let name = if kind == "sent" { "maison.test" } else { author };
        exec(
            db,
            &format!(
                "INSERT INTO inbox_items (id, workspace_id, channel_id, conversation_id, remote_id, kind, person_id, \
                   author_id, author_handle, author_name, text, lang, sentiment, toxicity, post_ref, parent_ref, \
                   subject_ref, post_id, created_at, received_at, category) \
                 VALUES ({id}, 1, 1, {conversation}, 'n{id}', '{kind}', {person}, '{author_id}', '{author}', '{name}', \
                   '{}', 'fr', 'neg', {toxicity}, {post_ref}, {parent}, {subject}, {}, {at}, {at}, 'complaint')",
                text.replace('\'', "''"),
                post_id.map(|p| p.to_string()).unwrap_or("NULL".into()),
            ),
        )
        .await;
    }
    exec(
        db,
        &format!(
            "INSERT INTO inbox_notes (workspace_id, conversation_id, author_user_id, body, created_at) \
             VALUES (1, 10, 1, 'Commande 1234 : lampe remplacée', {T})"
        ),
    )
    .await;
    exec(
        db,
        &format!(
            "INSERT INTO inbox_actions (workspace_id, item_id, channel_id, action, status, created_by, created_at) \
             VALUES (1, 2, 1, 'like', 'done', 1, {T})"
        ),
    )
    .await;
    exec(
        db,
        &format!(
            "INSERT INTO audit_log (at, actor_user_id, actor, workspace_id, action, target, before_state, after_state) \
             VALUES ({T}, 1, 'cm@ml.test', 1, 'inbox.assign', 'conversation 10', NULL, '{{\"assignee\":1}}')"
        ),
    )
    .await;
}

async fn count(db: &mut Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&mut *db).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn notes_of(db: &mut Db, conversation: i64) -> Vec<(String, Option<i64>)> {
    sqlx::query("SELECT body, author_user_id FROM inbox_notes WHERE conversation_id = $1 ORDER BY id")
        .bind(conversation)
        .fetch_all(&mut *db)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("body"), r.get("author_user_id")))
        .collect()
}

#[tokio::test]
async fn a_mixed_conversation_is_split_per_person_and_nothing_is_lost() {
    for test_db in tutti_test_support::every_backend().await {
        let label = test_db.label();
        let old =
            Store::open_at_version(&test_db.url, BEFORE).await.expect("a database of the previous schema");
        {
            let mut tx = old.begin().await.unwrap();
            old_rows(&mut tx).await;
            if old.backend() == Backend::Postgres {
                // Rows were given their ids: the sequences go on after them.
                for table in [
                    "organisations",
                    "workspaces",
                    "users",
                    "channels",
                    "people",
                    "conversations",
                    "inbox_items",
                    "posts",
                ] {
                    exec(
                        &mut tx,
                        &format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"),
                    )
                    .await;
                }
            }
            tx.commit().await.unwrap();
        }
        old.close().await;

        let store = Store::open(&test_db.url).await.expect("migrated to the latest schema");
        let mut db = store.conn().await.unwrap();
        assert_eq!(count(&mut db, "SELECT COUNT(*) FROM inbox_items").await, 7, "[{label}] every item kept");
        assert_eq!(count(&mut db, "SELECT COUNT(*) FROM conversations").await, 5, "[{label}] 2 + 3 new");
        assert_eq!(count(&mut db, "SELECT COUNT(*) FROM inbox_actions WHERE item_id = 2").await, 1);
        assert_eq!(count(&mut db, "SELECT COUNT(*) FROM people").await, 4);

        let all = inbox::list(&mut db, 1, &Default::default(), None, 50).await.unwrap();
        let on_root: Vec<_> = all.iter().filter(|c| c.root_ref == ROOT).collect();
        let of = |author: &str| {
            on_root
                .iter()
                .find(|c| c.author_id == author)
                .unwrap_or_else(|| panic!("[{label}] {author}: {on_root:#?}"))
        };
        let item_ids = |id: i64| {
            let store = store.clone();
            async move {
                tutti_store::inbox::items_of(&mut store.conn().await.unwrap(), id)
                    .await
                    .unwrap()
                    .iter()
                    .map(|i| i.id)
                    .collect::<Vec<_>>()
            }
        };

        // Alice started it: she keeps the conversation, its id, its state and history.
        let alice = of("did:plc:alice");
        assert_eq!(alice.id, 10, "[{label}]");
        assert_eq!(item_ids(10).await, vec![1, 4, 5], "[{label}] her messages and the brand's answer to her");
        assert_eq!((alice.person_name.as_str(), alice.kind.as_str()), ("Alice", "reply"));
        assert_eq!(alice.excerpt, "Et personne ne répond au téléphone");
        assert_eq!((alice.status.as_str(), alice.unanswered), ("pending", false), "[{label}] answered");
        assert_eq!((alice.assignee_user_id, alice.priority), (Some(1), 2));
        assert_eq!(alice.tags, vec!["livraison", "sav"]);
        assert_eq!(alice.first_response_at, Some(T + 4_000));
        assert_eq!((alice.items, alice.first_item_at, alice.last_item_at), (3, T, T + 4_000));
        assert!(alice.replying.is_some(), "[{label}] whoever was writing to her still is");
        assert_eq!(
            notes_of(&mut db, 10).await,
            vec![("Commande 1234 : lampe remplacée".to_owned(), Some(1))]
        );
        let sent = tutti_store::inbox::item_by_id(&mut db, 5).await.unwrap();
        assert_eq!(
            sent.answers_item_id,
            Some(4),
            "[{label}] the brand's reply names the message it answered"
        );
        let post = tutti_store::publishing::post_by_id(&mut db, 50).await.unwrap();
        assert_eq!(post.conversation_id, Some(10));
        assert_eq!(
            count(
                &mut db,
                "SELECT COUNT(*) FROM audit_log WHERE target = 'conversation 10' AND action = 'inbox.assign'"
            )
            .await,
            1,
            "[{label}] its history"
        );

        // Bruno and the troll get conversations of their own, copying its state; waiting for an
        // answer, they are open.
        for (author, item, name, toxic) in
            [("did:plc:bruno", 2, "Bruno", false), ("did:plc:troll", 6, "Troll", true)]
        {
            let c = of(author);
            assert_ne!(c.id, 10);
            assert_eq!(item_ids(c.id).await, vec![item], "[{label}] {author}");
            assert_eq!(c.person_name, name);
            assert_eq!(
                (c.status.as_str(), c.unanswered, c.resolved_at),
                ("open", true, None),
                "[{label}] {author}"
            );
            assert_eq!((c.assignee_user_id, c.priority), (Some(1), 2), "[{label}] {author}");
            assert_eq!(c.tags, vec!["livraison", "sav"]);
            assert_eq!((c.items, c.first_response_at, c.replying), (1, None, None));
            assert_eq!(c.toxicity >= 0.5, toxic);
            assert_eq!(notes_of(&mut db, c.id).await.len(), 1, "[{label}] the notes are copied");
            assert_eq!(
                count(
                    &mut db,
                    &format!(
                        "SELECT COUNT(*) FROM audit_log WHERE action = 'inbox.split' AND target = 'conversation {}' \
                         AND before_state = '{{\"conversation\":10}}'",
                        c.id
                    )
                )
                .await,
                1,
                "[{label}] its history says where it came from"
            );
        }
        // Dora's like joins the likes of the post: nothing to answer.
        let likes = of("");
        assert_eq!(item_ids(likes.id).await, vec![3]);
        assert_eq!((likes.status.as_str(), likes.unanswered, likes.kind.as_str()), ("closed", false, "like"));

        // Alice's mention was one person's already: unchanged.
        let mention = all.iter().find(|c| c.id == 11).unwrap();
        assert_eq!(mention.author_id, "did:plc:alice");
        assert_eq!(
            (mention.status.as_str(), mention.items, mention.excerpt.as_str(), mention.unanswered),
            ("open", 1, "Qui connaît @maison.test ?", true)
        );
        assert_eq!(count(&mut db, "SELECT COUNT(*) FROM audit_log WHERE action = 'inbox.split'").await, 3);

        // Ingestion after the migration finds the same conversations: Alice's next message
        // joins hers, Bruno's his.
        drop(db);
        let next = |id: &str, author: &str, at: i64| NewItem {
            workspace_id: 1,
            channel_id: 1,
            network: Network::Bluesky,
            remote_id: id.into(),
            kind: ItemKind::Reply,
            root_ref: ROOT.into(),
            author_id: format!("did:plc:{author}"),
            author_handle: format!("{author}.test"),
            text: "Alors ?".into(),
            sentiment: Sentiment::Neg,
            post_ref: Some(format!("at://did:plc:{author}/app.bsky.feed.post/{id}")),
            parent_ref: Some(ROOT.into()),
            created_at: at,
            author_name: String::new(),
            author_since: None,
            lang: String::new(),
            toxicity: 0.0,
            post_cid: None,
            subject_ref: None,
            category: String::new(),
        };
        let mut tx = store.begin().await.unwrap();
        let stored =
            inbox::ingest_many(&mut tx, &[next("a3", "alice", T + 20_000), next("b2", "bruno", T + 21_000)])
                .await
                .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(stored[0].conversation_id, 10, "[{label}]");
        assert_eq!(stored[1].conversation_id, of("did:plc:bruno").id, "[{label}]");
        let alice = inbox::conversation_by_id(&mut store.conn().await.unwrap(), 10).await.unwrap();
        assert_eq!((alice.status.as_str(), alice.unanswered, alice.items), ("open", true, 4));
        store.close().await;
    }
}
