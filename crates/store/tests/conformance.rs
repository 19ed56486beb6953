//! Conformance of the two backends: the same schema after migration, and the same answers to
//! the rules the schema enforces (an append-only audit log, unique e-mails, atomic
//! transactions), on SQLite and, when `TUTTI_TEST_POSTGRES_URL` is set, PostgreSQL.

use std::collections::BTreeMap;

use sqlx::Row;
use tutti_domain::{QueryKind, Sentiment};
use tutti_store::audit::{self, AuditFilter, NewAuditEntry};
use tutti_store::users::{self, NewUser};
use tutti_store::{Backend, Store, StoreError};

/// Table name → column names, both sorted, of a migrated database (without sqlx's own table).
async fn schema(store: &Store) -> BTreeMap<String, Vec<String>> {
    let mut conn = store.conn().await.expect("a connection");
    let rows =
        match store.backend() {
            Backend::Sqlite => {
                sqlx::query(
                    "SELECT m.name AS table_name, p.name AS column_name \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
                )
                .fetch_all(&mut *conn)
                .await
            }
            Backend::Postgres => sqlx::query(
                "SELECT CAST(table_name AS TEXT) AS table_name, CAST(column_name AS TEXT) AS column_name \
                 FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(&mut *conn)
            .await,
        }
        .expect("read the schema");
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        let table: String = row.try_get("table_name").expect("table_name");
        let column: String = row.try_get("column_name").expect("column_name");
        tables.entry(table).or_default().push(column);
    }
    for columns in tables.values_mut() {
        columns.sort();
    }
    tables
}

#[tokio::test]
async fn both_backends_migrate_to_the_same_tables_and_columns() {
    let Some(pg) = tutti_test_support::postgres().await else { return };
    let sqlite = tutti_test_support::sqlite();
    let (sqlite, pg) = (sqlite.open().await, pg.open().await);
    let (sqlite_schema, pg_schema) = (schema(&sqlite).await, schema(&pg).await);
    for table in ["users", "workspaces", "memberships", "audit_log", "jobs"] {
        assert!(sqlite_schema.contains_key(table), "the SQLite schema has {table}: {sqlite_schema:?}");
    }
    assert_eq!(
        sqlite_schema.get("audit_log").map(Vec::len),
        Some(9),
        "columns are read, not just tables: {sqlite_schema:?}"
    );
    assert_eq!(sqlite_schema, pg_schema, "SQLite (left) and PostgreSQL (right) differ");
}

#[tokio::test]
async fn the_audit_log_refuses_update_and_delete() {
    for db in tutti_test_support::every_backend().await {
        let store = db.open().await;
        let mut conn = store.conn().await.expect("a connection");
        audit::append(
            &mut conn,
            &NewAuditEntry {
                actor_user_id: None,
                actor: "cli",
                workspace_id: None,
                action: "user.add",
                target: "claire@example.fr",
                before: None,
                after: Some(serde_json::json!({"email": "claire@example.fr"})),
            },
        )
        .await
        .expect("append");
        let filter = AuditFilter { limit: 10, ..Default::default() };
        let written = audit::list(&mut conn, &filter).await.expect("list");
        assert_eq!(written.len(), 1, "[{}] {written:?}", db.label());

        let update = sqlx::query("UPDATE audit_log SET actor = 'x'").execute(&mut *conn).await;
        assert!(update.is_err(), "[{}] UPDATE was accepted: {update:?}", db.label());
        let delete = sqlx::query("DELETE FROM audit_log").execute(&mut *conn).await;
        assert!(delete.is_err(), "[{}] DELETE was accepted: {delete:?}", db.label());

        assert_eq!(audit::list(&mut conn, &filter).await.expect("list"), written, "[{}]", db.label());
    }
}

fn user(email: &str) -> NewUser<'_> {
    NewUser { email, name: "Claire Dubois", password_hash: None, is_admin: false, timezone: "Europe/Paris" }
}

#[tokio::test]
async fn a_taken_email_is_a_conflict_and_a_failed_transaction_leaves_nothing() {
    for db in tutti_test_support::every_backend().await {
        let store = db.open().await;
        {
            let mut tx = store.begin().await.expect("begin");
            users::insert(&mut tx, &user("claire@example.fr")).await.expect("first insert");
            tx.commit().await.expect("commit");
        }
        let mut tx = store.begin().await.expect("begin");
        let again = users::insert(&mut tx, &user("claire@example.fr")).await;
        assert!(matches!(again, Err(StoreError::Conflict { .. })), "[{}] {again:?}", db.label());
        drop(tx);

        let mut tx = store.begin().await.expect("begin");
        users::insert(&mut tx, &user("marc@example.fr")).await.expect("insert in the transaction");
        let duplicate = users::insert(&mut tx, &user("marc@example.fr")).await;
        assert!(matches!(duplicate, Err(StoreError::Conflict { .. })), "[{}] {duplicate:?}", db.label());
        drop(tx);

        let mut conn = store.conn().await.expect("a connection");
        let left = users::by_email(&mut conn, "marc@example.fr").await;
        assert!(
            matches!(left, Err(StoreError::NotFound)),
            "[{}] the rolled-back insert stayed: {left:?}",
            db.label()
        );
        let emails: Vec<String> =
            users::list(&mut conn).await.expect("list").into_iter().map(|u| u.email).collect();
        assert_eq!(emails, ["claire@example.fr"], "[{}]", db.label());
    }
}

#[tokio::test]
async fn opening_a_url_with_an_unknown_scheme_fails_naming_the_url() {
    let url = "mysql://tutti@127.0.0.1/tutti";
    let err = Store::open(url).await.expect_err("an unknown scheme must be refused");
    assert!(matches!(err, StoreError::Open(_)), "{err:?}");
    assert!(err.to_string().contains(url), "{err}");
}

#[tokio::test]
async fn listening_state_round_trips_and_mentions_are_stored_once_per_query() {
    use tutti_store::listening::{self, Mention};
    let mut dbs = vec![tutti_test_support::sqlite()];
    dbs.extend(tutti_test_support::postgres().await);
    for db in dbs {
        let store = db.open().await;
        let mut tx = store.begin().await.unwrap();
        let org = tutti_store::workspaces::default_organisation(&mut tx, "Tutti").await.unwrap();
        let ws = tutti_store::workspaces::insert(&mut tx, org, "acme", "Acme", "Europe/Paris").await.unwrap();
        let q = listening::insert_query(&mut tx, ws.id, "Acme", "acme OR \"acme studio\"", QueryKind::Brand)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // A failed statement aborts a PostgreSQL transaction: the conflict gets one of its own.
        let mut tx = store.begin().await.unwrap();
        assert!(matches!(
            listening::insert_query(&mut tx, ws.id, "Acme", "x", QueryKind::Brand).await,
            Err(tutti_store::StoreError::Conflict { .. })
        ));
        drop(tx);

        let mut tx = store.begin().await.unwrap();
        listening::save_progress(&mut tx, "jetstream", "wss://j.example", "100", Some(5), 3).await.unwrap();
        listening::save_progress(&mut tx, "jetstream", "wss://j.example", "200", Some(7), 2).await.unwrap();
        listening::save_error(&mut tx, "jetstream", "wss://j.example", "connection reset").await.unwrap();
        let mut mention = Mention {
            id: 0,
            query_id: q.id,
            source: "jetstream".into(),
            external_id: "at://did:plc:a/app.bsky.feed.post/1".into(),
            url: None,
            author: Some("did:plc:a".into()),
            text: "J'adore acme".into(),
            lang: Some("fr".into()),
            sentiment: Some(Sentiment::Pos),
            sentiment_score: Some(0.5),
            toxicity: Some(0.0),
            published_at: None,
        };
        assert!(listening::insert_mention(&mut tx, &mention).await.unwrap());
        assert!(
            !listening::insert_mention(&mut tx, &mention).await.unwrap(),
            "a mention is stored once per query"
        );
        tx.commit().await.unwrap();

        let mut conn = store.conn().await.unwrap();
        let state = listening::source(&mut conn, "jetstream", "wss://j.example").await.unwrap().unwrap();
        assert_eq!(
            (state.cursor.as_deref(), state.lag_ms, state.delivered, state.errors),
            (Some("200"), Some(7), 5, 1)
        );
        assert_eq!(state.last_error.as_deref(), Some("connection reset"));
        let stored = listening::mentions_of(&mut conn, q.id, &Default::default(), 10).await.unwrap();
        assert!(stored[0].id > 0, "a stored mention has an id");
        mention.id = stored[0].id;
        assert_eq!(stored, vec![mention]);
        assert_eq!(listening::active_queries(&mut conn).await.unwrap(), vec![q]);
    }
}

#[tokio::test]
async fn a_stored_word_the_product_does_not_know_is_an_error_naming_its_column_and_value() {
    use tutti_domain::{ChannelStatus, ChannelVoice, Network};
    use tutti_store::publishing::{self, NewChannel};
    let mut dbs = vec![tutti_test_support::sqlite()];
    dbs.extend(tutti_test_support::postgres().await);
    for db in dbs {
        let store = db.open().await;
        let mut tx = store.begin().await.unwrap();
        let org = tutti_store::workspaces::default_organisation(&mut tx, "Tutti").await.unwrap();
        let ws = tutti_store::workspaces::insert(&mut tx, org, "acme", "Acme", "Europe/Paris").await.unwrap();
        let channel = publishing::insert_channel(
            &mut tx,
            &NewChannel {
                workspace_id: ws.id,
                network: Network::Mastodon,
                handle: "@acme@social.example",
                service: "https://social.example",
                account_id: None,
                voice: ChannelVoice::Brand,
                owner_user_id: None,
                credentials: "sealed",
                key_id: "k1",
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            (channel.network, channel.voice, channel.status),
            (Network::Mastodon, ChannelVoice::Brand, ChannelStatus::Ok),
            "the words read back as written"
        );

        // A value written by hand (or by a later version) is refused by name, not a panic.
        sqlx::query("UPDATE channels SET status = 'asleep' WHERE id = $1")
            .bind(channel.id)
            .execute(&mut *store.conn().await.unwrap())
            .await
            .unwrap();
        let err = publishing::channels_of(&mut store.conn().await.unwrap(), ws.id).await.unwrap_err();
        let said = err.to_string();
        assert!(said.contains("status") && said.contains("\"asleep\""), "{said}");
        assert!(said.contains("needs_reconnect"), "the expected values are listed: {said}");
        store.close().await;
    }
}
