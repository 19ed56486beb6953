//! The benchmarks' bulk loader on SQLite and, when `TUTTI_TEST_POSTGRES_URL` is set,
//! PostgreSQL: rows written with their ids read back through the store's own queries, ids
//! handed out after them, texts with quotes kept as they were, and the publishing reads.

use tutti_store::bulk::{self, Conversation, Identity, Item, Person};
use tutti_store::inbox::{self, Filter};
use tutti_store::publishing::{self, NewPost};
use tutti_store::{people, workspaces, Store};

async fn workspace_and_channel(store: &Store) -> (i64, i64) {
    let mut tx = store.begin().await.expect("tx");
    let org = workspaces::default_organisation(&mut tx, "Bench").await.expect("organisation");
    let ws = workspaces::insert(&mut tx, org, "bench", "Bench", "Europe/Paris").await.expect("workspace");
    let channel =
        publishing::insert_channel(&mut tx, &tutti_test_support::store_channel(ws.id, "maison.bench.test"))
            .await
            .expect("channel");
    tx.commit().await.expect("commit");
    (ws.id, channel.id)
}

#[tokio::test]
async fn bulk_rows_read_back_through_the_store() {
    for db in tutti_test_support::every_backend().await {
        let store = db.open().await;
        assert!(bulk::has_no_workspace(&mut store.conn().await.expect("conn")).await.expect("count"));
        let (ws, channel) = workspace_and_channel(&store).await;
        assert!(!bulk::has_no_workspace(&mut store.conn().await.expect("conn")).await.expect("count"));
        let ids = bulk::next_ids(&store).await.expect("next ids");
        let now = tutti_store::now_ms();
        // More rows than one statement holds, to cross a statement's end.
        let n = 1_203;
        let written = bulk::insert_people(
            &store,
            (0..n).map(|p| Person {
                id: ids.people + p,
                workspace_id: ws,
                display_name: format!("L'ami {p}"),
                seen_at: now,
            }),
        )
        .await
        .expect("people");
        assert_eq!(written, n as usize, "{}", db.label());
        bulk::insert_identities(
            &store,
            (0..n).map(|p| Identity {
                id: ids.identities + p,
                workspace_id: ws,
                person_id: ids.people + p,
                network: "bluesky".into(),
                author_id: format!("did:plc:bulk{p:09}"),
                handle: format!("user{p}.bsky.social"),
            }),
        )
        .await
        .expect("identities");
        // Two conversations: one of three items, one of one.
        let conversation = |j: i64, items: i64| Conversation {
            id: ids.conversations + j,
            workspace_id: ws,
            channel_id: channel,
            root_ref: format!("at://did:plc:brand/app.bsky.feed.post/b{j}"),
            author_id: format!("did:plc:bulk{j:09}"),
            person_id: ids.people + j,
            kind: "reply".into(),
            excerpt: "C'est l'été".into(),
            sentiment: "pos".into(),
            lang: "fr".into(),
            toxicity: 0.125,
            status: "open".into(),
            priority: 1,
            assignee_user_id: None,
            tags: ",vip,".into(),
            unanswered: true,
            items,
            first_item_at: now - 1_000,
            last_item_at: now - j,
            first_response_at: None,
            resolved_at: None,
            touched_at: now,
        };
        bulk::insert_conversations(&store, [conversation(0, 3), conversation(1, 1)].into_iter())
            .await
            .expect("conversations");
        let item = |k: i64, j: i64| Item {
            id: ids.items + k,
            workspace_id: ws,
            channel_id: channel,
            conversation_id: ids.conversations + j,
            remote_id: format!("at://did:plc:bulk{j:09}/app.bsky.notification/n{k}"),
            kind: "reply".into(),
            person_id: ids.people + j,
            author_id: format!("did:plc:bulk{j:09}"),
            author_handle: format!("user{j}.bsky.social"),
            author_name: format!("L'ami {j}"),
            text: format!("Réponse n°{k}, l'été"),
            lang: "fr".into(),
            sentiment: "pos".into(),
            toxicity: 0.125,
            post: Some((format!("at://did:plc:bulk{j:09}/app.bsky.feed.post/p{k}"), format!("bafy{k}"))),
            parent_ref: Some(format!("at://did:plc:brand/app.bsky.feed.post/b{j}")),
            subject_ref: None,
            created_at: now - 1_000 + k,
            received_at: now,
        };
        let items = bulk::insert_items(&store, [item(0, 0), item(1, 0), item(2, 0), item(3, 1)].into_iter())
            .await
            .expect("items");
        assert_eq!(items, 4);
        bulk::finish(&store).await.expect("finish");
        bulk::analyse(&store).await.expect("analyse");

        let mut conn = store.conn().await.expect("conn");
        let listed = inbox::list(
            &mut conn,
            ws,
            &Filter { status: Some(tutti_domain::ConversationStatus::Open), ..Filter::default() },
            None,
            50,
        )
        .await
        .expect("list");
        assert_eq!(listed.len(), 2, "{}", db.label());
        let first = inbox::conversation_by_id(&mut conn, ids.conversations).await.expect("conversation");
        assert_eq!((first.items, first.excerpt.as_str()), (3, "C'est l'été"));
        let thread = inbox::items_of(&mut conn, ids.conversations).await.expect("items");
        assert_eq!(thread.len(), 3);
        assert!(thread.iter().any(|i| i.text == "Réponse n°1, l'été"), "{thread:?}");
        let person = people::person_by_id(&mut conn, ws, ids.people + 7).await.expect("a person");
        assert_eq!(person.display_name, "L'ami 7");
        let identities = people::identities_of(&mut conn, person.id).await.expect("identities");
        assert_eq!(identities.len(), 1);
        drop(conn);

        // New rows get ids after the loaded ones (PostgreSQL's sequences were moved).
        let after = bulk::next_ids(&store).await.expect("next ids");
        assert_eq!(after.people, ids.people + n);
        assert_eq!(after.items, ids.items + 4);

        // The publishing reads: two posts due a second ago, one published 250 ms after.
        let mut tx = store.begin().await.expect("tx");
        for i in 0..2 {
            let key = format!("key{i}");
            publishing::insert_post(
                &mut tx,
                &NewPost {
                    workspace_id: ws,
                    channel_id: channel,
                    author_user_id: None,
                    text: "Bonjour",
                    langs: "",
                    status: tutti_domain::PostStatus::Scheduled,
                    scheduled_at: Some(now - 1_000),
                    idempotency_key: &key,
                    reply_to_post_id: None,
                },
                &[],
            )
            .await
            .expect("post");
        }
        tx.commit().await.expect("commit");
        let mut tx = store.begin().await.expect("tx");
        let claimed =
            publishing::claim_due(&mut tx, store.backend(), "w", now, 60_000, 1).await.expect("claim");
        assert_eq!(claimed.len(), 1);
        let due = claimed[0].post.scheduled_at.expect("due");
        assert!(publishing::mark_published(
            &mut tx,
            claimed[0].post.id,
            "w",
            "at://x",
            "https://x",
            due + 250
        )
        .await
        .expect("published"));
        tx.commit().await.expect("commit");
        let mut conn = store.conn().await.expect("conn");
        assert_eq!(bulk::count_posts(&mut conn, ws, "published").await.expect("count"), 1);
        assert_eq!(bulk::count_posts(&mut conn, ws, "scheduled").await.expect("count"), 1);
        assert_eq!(bulk::publish_times(&mut conn, ws).await.expect("times"), vec![(due, due + 250)]);
        drop(conn);
        store.close().await;
    }
}
