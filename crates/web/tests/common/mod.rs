//! Test helpers: a real Tutti server on port 0 over a fresh database, a seeded team, and typed
//! request helpers that carry cookies and CSRF tokens like a browser would.

#![allow(dead_code)]

use std::collections::HashMap;

use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use reqwest::{Client, Response};
use tutti_app::{Actor, App, AppConfig};
use tutti_domain::Role;
use tutti_test_support::TestDb;
use tutti_web::{AppState, RouteSpec, WebConfig};

/// A running server.
pub struct TestApp {
    pub base: String,
    pub app: App,
    pub specs: Vec<RouteSpec>,
    pub client: Client,
    pub db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub const PASSWORD: &str = "correct horse battery";
pub const WS: &str = "acme-studio";

/// Starts Tutti on a free port over `db`.
pub async fn spawn(db: TestDb) -> TestApp {
    spawn_with(db, tutti_test_support::app_config(), WebConfig::default()).await
}

/// Starts Tutti with these settings; the public address is the server's own unless `web`
/// names another.
pub async fn spawn_with(db: TestDb, config: AppConfig, mut web: WebConfig) -> TestApp {
    let store = db.open().await;
    let app = App::new(store, config);
    // Secrets the web saves (webhook secrets, two-factor secrets) are sealed with a key ring.
    let app = if app.has_keys() { app } else { app.with_keys(tutti_app::secrets::Keyring::generate()) };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().unwrap().port();
    if web.public_url == WebConfig::default().public_url {
        web.public_url = format!("http://localhost:{port}");
    }
    let state = AppState::new(app.clone(), web);
    let (_, specs) = tutti_web::router(state.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(tutti_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { base: format!("http://localhost:{port}"), app, specs, client, db, stop: Some(stop) }
}

/// The people of the seeded workspace.
pub struct Seed {
    /// E-mail and API token per workspace role.
    pub members: HashMap<Role, (String, String)>,
    /// An instance administrator who is not a member.
    pub root: (String, String),
    /// A signed-up person in no workspace.
    pub outsider: (String, String),
    /// The account id of a contributor that routes with `{user}` act on.
    pub target_id: i64,
}

/// Creates the workspace `acme-studio` with one member per role, an instance admin, an outsider.
pub async fn seed(app: &App) -> Seed {
    let op = Actor::Operator;
    let root = app.add_user(&op, "root@acme.test", "Root Admin", PASSWORD, true).await.unwrap();
    let root_actor = Actor::User(root.clone().into());
    app.create_workspace(&op, "Acme Studio", "Europe/Paris").await.unwrap();
    let mut members = HashMap::new();
    for role in Role::ALL {
        let email = format!("{}@acme.test", role.as_str());
        app.add_user(&op, &email, &format!("{} Person", role.as_str()), PASSWORD, false).await.unwrap();
        app.add_member(&op, WS, &email, role.as_str()).await.unwrap();
        let token = app.create_token(&op, &email, "tests").await.unwrap().secret;
        members.insert(role, (email, token));
    }
    app.add_user(&op, "outsider@acme.test", "Out Sider", PASSWORD, false).await.unwrap();
    let outsider_token = app.create_token(&op, "outsider@acme.test", "tests").await.unwrap().secret;
    let root_token = app.create_token(&root_actor, "root@acme.test", "tests").await.unwrap().secret;
    app.add_user(&op, "target@acme.test", "Tar Get", PASSWORD, false).await.unwrap();
    let target = app.add_member(&op, WS, "target@acme.test", "contributor").await.unwrap();
    Seed {
        members,
        root: ("root@acme.test".into(), root_token),
        outsider: ("outsider@acme.test".into(), outsider_token),
        target_id: target.member.user_id,
    }
}

/// A browser-like session: its cookies and the CSRF token of its pages.
#[derive(Debug, Clone, Default)]
pub struct Browser {
    pub cookies: HashMap<String, String>,
    pub csrf: String,
}

impl Browser {
    /// The `Cookie` header.
    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// Keeps the cookies a response sets.
    pub fn absorb(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
    }
}

/// The value of the first `name="csrf"` hidden field of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..start + 64].to_owned()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET with a browser's cookies.
    pub async fn get(&self, b: &mut Browser, path: &str) -> Response {
        let r = self.client.get(self.url(path)).header(COOKIE, b.cookie_header()).send().await.unwrap();
        b.absorb(r.headers());
        r
    }

    /// POST a form with a browser's cookies; the CSRF field is added unless `fields` has one.
    pub async fn post_form(&self, b: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            form.push(("csrf", &b.csrf));
        }
        let r = self
            .client
            .post(self.url(path))
            .header(COOKIE, b.cookie_header())
            .form(&form)
            .send()
            .await
            .unwrap();
        b.absorb(r.headers());
        r
    }

    /// Signs in through the login form and returns the browser with its session.
    pub async fn sign_in(&self, email: &str, password: &str) -> Browser {
        let mut b = Browser::default();
        let page = self.get(&mut b, "/login").await.text().await.unwrap();
        b.csrf = csrf_of(&page);
        let r = self
            .post_form(&mut b, "/login", &[("email", email), ("password", password), ("next", "/")])
            .await;
        assert_eq!(r.status(), 303, "sign-in of {email} failed");
        assert!(b.cookies.contains_key("tutti_session"));
        let settings = self.get(&mut b, "/settings").await.text().await.unwrap();
        b.csrf = csrf_of(&settings);
        b
    }

    /// A request with a bearer token.
    pub fn bearer(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(token)
    }
}

/// Adds the brand's Bluesky channel `maison.test` to the seeded workspace (its network is not
/// reached: these tests store notifications themselves); returns (workspace id, channel id).
pub async fn brand_channel(t: &TestApp) -> (i64, i64) {
    let channel = tutti_test_support::offline_bluesky("maison.test", Some("did:plc:maison"));
    let keys = tutti_app::secrets::Keyring::generate();
    let c = t.app.add_channel(&Actor::Operator, &keys, WS, &channel).await.unwrap();
    (c.workspace_id, c.id)
}

/// A reply from `author` (handle `author.test`, display name `name`) to the brand's post
/// `at://did:plc:maison/app.bsky.feed.post/{thread}`, received five seconds ago.
pub fn reply(thread: &str, id: &str, author: &str, name: &str, text: &str) -> tutti_app::ingest::Incoming {
    let brand_post = format!("at://did:plc:maison/app.bsky.feed.post/{thread}");
    tutti_app::ingest::Incoming {
        remote_id: id.into(),
        kind: tutti_domain::ItemKind::Reply,
        author_id: format!("did:plc:{author}"),
        author_handle: format!("{author}.test"),
        author_name: name.into(),
        text: text.into(),
        post: Some((format!("at://did:plc:{author}/app.bsky.feed.post/{id}"), Some(format!("cid{id}")))),
        parent: Some(brand_post.clone()),
        root: Some(brand_post),
        at: tutti_store::now_ms() - 5_000,
        ..Default::default()
    }
}

/// Stores notifications of the channel `ch` as the inbox reader does, in one transaction
/// (moderation rules run on them) and announces them on the change feed; returns the
/// conversations they moved.
pub async fn ingest(t: &TestApp, ws: i64, ch: i64, items: &[tutti_app::ingest::Incoming]) -> Vec<i64> {
    let batch: Vec<_> =
        items.iter().map(|n| tutti_app::ingest::item_of(ws, ch, tutti_domain::Network::Bluesky, n)).collect();
    let mut tx = t.app.store().begin().await.unwrap();
    let moved =
        tutti_app::ingest::ingest_batch(&mut tx, tutti_test_support::networks(), &batch).await.unwrap();
    t.app.store().announce(&mut tx, ws, tutti_store::changes::Topic::Inbox).await.unwrap();
    tx.commit().await.unwrap();
    moved
}

/// RFC 6238 with HMAC-SHA1 and six digits, written here independently of Tutti's.
pub fn totp(secret_base32: &str, unix_ms: i64) -> String {
    let key = data_encoding::BASE32_NOPAD.decode(secret_base32.as_bytes()).expect("base32 secret");
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&((unix_ms / 30_000) as u64).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = usize::from(h[19] & 0x0f);
    let v = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]) % 1_000_000;
    format!("{v:06}")
}

/// A post published on the channel `ch` at `at` by `author`, then measured once at `at + 1 h`
/// with `(likes, reposts, replies, quotes)` and the channel's `followers` at publication, in
/// `pillar`; returns its id.
pub async fn measured_post(
    t: &TestApp,
    (ws, ch, author): (i64, i64, Option<i64>),
    text: &str,
    at: i64,
    counts: (i64, i64, i64, i64),
    followers: i64,
    pillar: Option<&str>,
) -> i64 {
    use tutti_store::analytics::{record_snapshot, Snapshot, SnapshotContext};
    use tutti_store::publishing::{claim_due, insert_post, mark_published, NewPost};
    let store = t.app.store();
    let mut tx = store.begin().await.unwrap();
    let key = format!("measured-{at}-{}", text.len());
    let post = NewPost {
        workspace_id: ws,
        channel_id: ch,
        author_user_id: author,
        text,
        langs: "fr",
        status: tutti_domain::PostStatus::Scheduled,
        scheduled_at: Some(tutti_store::now_ms() - 1_000),
        idempotency_key: &key,
        reply_to_post_id: None,
    };
    let id = insert_post(&mut tx, &post, &[]).await.unwrap().id;
    let claimed =
        claim_due(&mut tx, store.backend(), "tests", tutti_store::now_ms(), 60_000, 100).await.unwrap();
    assert!(claimed.iter().any(|c| c.post.id == id), "the post is claimed");
    let url = format!("https://bsky.app/profile/maison.test/post/{id}");
    assert!(mark_published(
        &mut tx,
        id,
        "tests",
        &format!("at://did:plc:maison/app.bsky.feed.post/{id}"),
        &url,
        at
    )
    .await
    .unwrap());
    let (likes, reposts, replies, quotes) = counts;
    let ctx = SnapshotContext {
        next: None,
        followers_at_publish: Some(followers),
        pillar: pillar.map(str::to_owned),
        campaign: None,
    };
    let s = Snapshot { taken_at: at + 3_600_000, step: 1, likes, reposts, replies, quotes };
    record_snapshot(&mut tx, id, &s, &ctx).await.unwrap();
    tx.commit().await.unwrap();
    id
}
