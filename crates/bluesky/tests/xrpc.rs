//! The publishing client against the local reference AT Protocol network (PLC + PDS): signing
//! in, posts with facets, images and threads read back from the repository, exactly-once
//! publishing at a chosen record key (also when the network's answer is lost on the way back,
//! through a local relay that drops it), deletion, likes and reposts, the profile, and tokens
//! refreshed or renewed transparently. Limits are refused before any connection is made.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tutti_bluesky::xrpc::{MAX_POST_BYTES, MAX_POST_GRAPHEMES};
use tutti_bluesky::{NewImage, NewPost, PublishedPost, RecordRef, ReplyRef, Session, Tid, XrpcClient};
use tutti_connector::{Connector, ConnectorError, Network};
use tutti_test_support::devnet::Devnet;

const SUITE: &str = "the Bluesky publishing client against the local AT Protocol network";

/// A running network with two accounts; the client signs in as alice.
struct Net {
    devnet: Devnet,
    alice: String,
    bob: String,
    http: reqwest::Client,
}

async fn network() -> Option<Net> {
    let devnet = Devnet::start(SUITE, false).await?;
    let (alice, _) = devnet.create_account("alice.test", "alice-pass").await;
    let (bob, _) = devnet.create_account("bob.test", "bob-pass").await;
    Some(Net { devnet, alice, bob, http: reqwest::Client::new() })
}

impl Net {
    fn client(&self) -> XrpcClient {
        XrpcClient::new(&self.devnet.pds_url, "alice.test", "alice-pass", &self.devnet.outbound())
            .expect("client")
    }

    /// A query to the PDS, read straight from the wire: the status and the JSON answer.
    async fn get(&self, nsid: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let response =
            self.http.get(format!("{}/xrpc/{nsid}", self.devnet.pds_url)).query(query).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// A record of alice's repository as the PDS stores it.
    async fn record(&self, uri: &str) -> Value {
        let (collection, rkey) = collection_and_rkey(uri);
        let (status, answer) = self
            .get(
                "com.atproto.repo.getRecord",
                &[("repo", &self.alice), ("collection", collection), ("rkey", rkey)],
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["uri"], uri);
        answer
    }

    /// The records of one of alice's collections.
    async fn list(&self, collection: &str) -> Vec<Value> {
        let (status, answer) = self
            .get(
                "com.atproto.repo.listRecords",
                &[("repo", &self.alice), ("collection", collection), ("limit", "100")],
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        answer["records"].as_array().unwrap().clone()
    }
}

fn collection_and_rkey(uri: &str) -> (&str, &str) {
    let mut parts = uri.rsplit('/');
    let rkey = parts.next().unwrap();
    (parts.next().unwrap(), rkey)
}

/// A `width` × `height` PNG of one colour, made by hand: an uncompressed (stored) zlib stream.
fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    // Each row: filter type 0 (none), then the pixels.
    let row: Vec<u8> = std::iter::once(0).chain(rgb.into_iter().cycle().take(3 * width as usize)).collect();
    let raw = row.repeat(height as usize);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    let len = raw.len() as u16;
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend(len.to_le_bytes());
    zlib.extend((!len).to_le_bytes());
    zlib.extend(&raw);
    zlib.extend(((b << 16) | a).to_be_bytes());

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The text a facet covers, by its UTF-8 byte offsets.
fn covered<'t>(text: &'t str, facet: &Value) -> &'t str {
    let start = facet["index"]["byteStart"].as_u64().unwrap() as usize;
    let end = facet["index"]["byteEnd"].as_u64().unwrap() as usize;
    text.get(start..end).expect("a facet starts and ends on character boundaries")
}

#[tokio::test]
async fn posts_carry_facets_images_and_threads() {
    let Some(net) = network().await else { return };
    let client = net.client();
    assert_eq!(client.network(), Network::Bluesky);
    let me = client.verify().await.unwrap();
    assert_eq!((me.handle.as_str(), me.display_name.as_deref()), ("alice.test", None));
    assert!(me.account_id.starts_with("did:plc:"), "{me:?}");

    // Accented text and emoji before the facets, so that byte and character offsets differ.
    let text = "Café ☕ à Paris 🇫🇷, l'été est déjà là ! Lisez https://exemple.fr/menu?plat=crêpe. \
                #Tutti avec @bob.test et @personne.test 🎉";
    let rkey = Tid::now().to_string();
    let post = NewPost { langs: vec!["fr".into()], ..NewPost::new(text) };
    let first = client.publish(&post, &rkey).await.unwrap();
    assert_eq!(first.uri, format!("at://{}/app.bsky.feed.post/{rkey}", net.alice));
    assert_eq!(first.rkey(), rkey);

    let stored = net.record(&first.uri).await;
    assert_eq!(stored["cid"], first.cid.as_str());
    let value = &stored["value"];
    assert_eq!(value["text"], text);
    assert_eq!(value["langs"], json!(["fr"]));
    let facets = value["facets"].as_array().expect("facets");
    let spans: Vec<(&str, &Value)> = facets.iter().map(|f| (covered(text, f), &f["features"][0])).collect();
    assert_eq!(
        spans,
        vec![
            (
                "https://exemple.fr/menu?plat=crêpe",
                &json!({ "$type": "app.bsky.richtext.facet#link", "uri": "https://exemple.fr/menu?plat=crêpe" })
            ),
            ("#Tutti", &json!({ "$type": "app.bsky.richtext.facet#tag", "tag": "Tutti" })),
            ("@bob.test", &json!({ "$type": "app.bsky.richtext.facet#mention", "did": net.bob })),
        ],
        "the unresolvable @personne.test stays plain text"
    );
    let link_start = facets[0]["index"]["byteStart"].as_u64().unwrap() as usize;
    assert_ne!(link_start, text[..link_start].chars().count(), "byte and character offsets differ");

    // An image with its alt text.
    let image = png(3, 2, [200, 30, 40]);
    let with_image = NewPost {
        images: vec![NewImage {
            bytes: image.clone(),
            mime_type: "image/png".into(),
            alt: "Un rectangle rouge, trois pixels sur deux".into(),
            aspect_ratio: Some((3, 2)),
        }],
        ..NewPost::new("Une image 🖼️")
    };
    let pictured = client.publish(&with_image, &Tid::now().to_string()).await.unwrap();
    let embed = &net.record(&pictured.uri).await["value"]["embed"];
    assert_eq!(embed["$type"], "app.bsky.embed.images");
    let shown = &embed["images"][0];
    assert_eq!(shown["alt"], "Un rectangle rouge, trois pixels sur deux");
    assert_eq!(shown["aspectRatio"], json!({ "width": 3, "height": 2 }));
    assert_eq!(shown["image"]["mimeType"], "image/png");
    assert_eq!(shown["image"]["size"], image.len());
    let blob_cid = shown["image"]["ref"]["$link"].as_str().unwrap();
    let blob = net
        .http
        .get(format!("{}/xrpc/com.atproto.sync.getBlob", net.devnet.pds_url))
        .query(&[("did", net.alice.as_str()), ("cid", blob_cid)])
        .send()
        .await
        .unwrap();
    assert_eq!(blob.status(), 200);
    assert_eq!(blob.bytes().await.unwrap().as_ref(), image.as_slice(), "the PDS serves the uploaded image");

    // A thread: a reply to the first post, then a reply to the reply.
    let second = client
        .publish(
            &NewPost { reply: Some(ReplyRef::to(&first, None)), ..NewPost::new("Suite du fil (2/3)") },
            &Tid::now().to_string(),
        )
        .await
        .unwrap();
    let third = client
        .publish(
            &NewPost { reply: Some(ReplyRef::to(&second, Some(&first))), ..NewPost::new("Fin du fil (3/3)") },
            &Tid::now().to_string(),
        )
        .await
        .unwrap();
    let reply = &net.record(&third.uri).await["value"]["reply"];
    assert_eq!(reply["root"], json!({ "uri": first.uri, "cid": first.cid }));
    assert_eq!(reply["parent"], json!({ "uri": second.uri, "cid": second.cid }));
    let reply = &net.record(&second.uri).await["value"]["reply"];
    assert_eq!(reply["root"], reply["parent"]);
    assert_eq!(net.list("app.bsky.feed.post").await.len(), 4);

    // Deleting: gone from the repository, and deleting again is no error.
    client.delete(third.rkey()).await.unwrap();
    assert_eq!(client.reconcile(third.rkey()).await.unwrap(), None);
    let (collection, rkey) = collection_and_rkey(&third.uri);
    let (status, answer) = net
        .get(
            "com.atproto.repo.getRecord",
            &[("repo", &net.alice), ("collection", collection), ("rkey", rkey)],
        )
        .await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("RecordNotFound")));
    client.delete(third.rkey()).await.unwrap();
    assert_eq!(net.list("app.bsky.feed.post").await.len(), 3);

    // Likes and reposts; liking twice leaves one like.
    let like = client.like(&first.uri, &first.cid).await.unwrap();
    let again = client.like(&first.uri, &first.cid).await.unwrap();
    assert_ne!(like.uri, again.uri);
    let likes = net.list("app.bsky.feed.like").await;
    assert_eq!(likes.len(), 1, "{likes:?}");
    assert_eq!(likes[0]["uri"], again.uri.as_str());
    assert_eq!(likes[0]["value"]["subject"], json!({ "uri": first.uri, "cid": first.cid }));
    let repost = client.repost(&second.uri, &second.cid).await.unwrap();
    assert_eq!(net.record(&repost.uri).await["value"]["subject"]["uri"], second.uri.as_str());
    client.delete_record(&again.uri).await.unwrap();
    assert!(net.list("app.bsky.feed.like").await.is_empty());
    let foreign = format!("at://{}/app.bsky.feed.like/{}", net.bob, Tid::now());
    assert!(matches!(client.delete_record(&foreign).await, Err(ConnectorError::Permanent(_))));

    // The profile: the display name comes from the account's profile record.
    let session = client.session().await.expect("signed in");
    let put = net
        .http
        .post(format!("{}/xrpc/com.atproto.repo.putRecord", net.devnet.pds_url))
        .bearer_auth(&session.access_jwt)
        .json(&json!({
            "repo": net.alice,
            "collection": "app.bsky.actor.profile",
            "rkey": "self",
            "record": { "$type": "app.bsky.actor.profile", "displayName": "Alice Martin" },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let me = client.profile().await.unwrap();
    assert_eq!((me.handle.as_str(), me.display_name.as_deref()), ("alice.test", Some("Alice Martin")));
}

#[tokio::test]
async fn publishing_twice_at_one_record_key_creates_one_post() {
    let Some(net) = network().await else { return };
    let client = net.client();
    let post = NewPost::new("Une seule fois, même deux fois 🙂");
    let rkey = Tid::now().to_string();

    assert_eq!(client.reconcile(&rkey).await.unwrap(), None, "nothing at a fresh record key");
    let first = client.publish(&post, &rkey).await.unwrap();
    let second = client.publish(&post, &rkey).await.unwrap();
    assert_eq!(second, first, "the second call returns the post the first made");
    // A restarted worker with a client of its own.
    let restarted = net.client().publish(&post, &rkey).await.unwrap();
    assert_eq!(restarted, first);
    assert_eq!(client.reconcile(&rkey).await.unwrap(), Some(first.clone()));

    let posts = net.list("app.bsky.feed.post").await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0]["uri"], first.uri.as_str());
    assert_eq!(posts[0]["cid"], first.cid.as_str());

    // Another post at a used key is refused, and the key keeps its post.
    match client.publish(&NewPost::new("Un autre texte"), &rkey).await {
        Err(ConnectorError::Permanent(why)) => assert!(why.contains("different post"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(net.list("app.bsky.feed.post").await.len(), 1);

    assert_eq!(client.reconcile(&Tid::now().to_string()).await.unwrap(), None);
    match client.publish(&post, "not-a-tid").await {
        Err(ConnectorError::Permanent(why)) => assert!(why.contains("TID"), "{why}"),
        other => panic!("{other:?}"),
    }

    // The limits hold at their edge: 300 graphemes of accents and emoji are accepted.
    let longest = "é👍".repeat(MAX_POST_GRAPHEMES / 2);
    assert!(longest.len() <= MAX_POST_BYTES && longest.chars().count() == MAX_POST_GRAPHEMES);
    client.publish(&NewPost::new(longest.clone()), &Tid::now().to_string()).await.unwrap();
    let too_long = format!("{longest}!");
    let refused = Tid::now().to_string();
    match client.publish(&NewPost::new(too_long), &refused).await {
        Err(ConnectorError::Permanent(why)) => assert!(why.contains("at most 300"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(client.reconcile(&refused).await.unwrap(), None);
    assert_eq!(net.list("app.bsky.feed.post").await.len(), 2);
}

/// What the relay does to the next `createRecord` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lose {
    /// Forward it, then close the connection instead of answering: the post exists, the client
    /// cannot know.
    Answer,
    /// Close the connection without forwarding it: nothing was created.
    Request,
}

/// A local HTTP relay in front of the PDS that can lose one `createRecord` exchange.
struct Relay {
    url: String,
    lose: Arc<Mutex<Option<Lose>>>,
    lost: Arc<Mutex<u32>>,
}

impl Relay {
    async fn start(upstream: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (lose, lost) = (Arc::new(Mutex::new(None)), Arc::new(Mutex::new(0)));
        let upstream = upstream.to_owned();
        let http = reqwest::Client::new();
        let (task_lose, task_lost) = (lose.clone(), lost.clone());
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (upstream, http, lose, lost) =
                    (upstream.clone(), http.clone(), task_lose.clone(), task_lost.clone());
                tokio::spawn(async move { relay(conn, &upstream, &http, &lose, &lost).await });
            }
        });
        Relay { url, lose, lost }
    }

    fn lose_next_create(&self, what: Lose) {
        *self.lose.lock().unwrap() = Some(what);
    }

    fn lost(&self) -> u32 {
        *self.lost.lock().unwrap()
    }
}

/// Relays the requests of one connection; returns when it closes or an exchange is lost.
async fn relay(
    conn: TcpStream,
    upstream: &str,
    http: &reqwest::Client,
    lose: &Mutex<Option<Lose>>,
    lost: &Mutex<u32>,
) -> Option<()> {
    let mut conn = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if conn.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
        let mut headers = reqwest::header::HeaderMap::new();
        let mut length = 0;
        loop {
            let mut header = String::new();
            conn.read_line(&mut header).await.ok()?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':')?;
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            match name.as_str() {
                "content-length" => length = value.parse().ok()?,
                "host" | "connection" | "keep-alive" => {}
                _ => {
                    headers.append(
                        reqwest::header::HeaderName::from_bytes(name.as_bytes()).ok()?,
                        value.parse().ok()?,
                    );
                }
            }
        }
        let mut body = vec![0; length];
        conn.read_exact(&mut body).await.ok()?;

        let losing =
            if path.contains("com.atproto.repo.createRecord") { lose.lock().unwrap().take() } else { None };
        if losing == Some(Lose::Request) {
            *lost.lock().unwrap() += 1;
            return None;
        }
        let answer = http
            .request(method.parse().ok()?, format!("{upstream}{path}"))
            .headers(headers)
            .body(body)
            .send()
            .await
            .ok()?;
        let status = answer.status();
        let content_type =
            answer.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = answer.bytes().await.ok()?;
        if losing == Some(Lose::Answer) {
            *lost.lock().unwrap() += 1;
            return None;
        }
        let mut head =
            format!("HTTP/1.1 {} {}\r\n", status.as_u16(), status.canonical_reason().unwrap_or(""));
        if let Some(content_type) = content_type {
            head.push_str(&format!("content-type: {content_type}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", bytes.len()));
        conn.get_mut().write_all(head.as_bytes()).await.ok()?;
        conn.get_mut().write_all(&bytes).await.ok()?;
    }
}

#[tokio::test]
async fn a_lost_answer_is_reconciled_into_the_post_it_made() {
    let Some(net) = network().await else { return };
    let relay = Relay::start(&net.devnet.pds_url).await;
    let client = XrpcClient::new(
        &relay.url,
        "alice.test",
        "alice-pass",
        &net.devnet.outbound().with_urls([relay.url.as_str()]),
    )
    .unwrap();
    client.sign_in().await.unwrap();

    // The post is made but its answer never arrives: publish finds it at its key.
    let post = NewPost::new("Réponse perdue en route 📮 #tutti");
    let rkey = Tid::now().to_string();
    relay.lose_next_create(Lose::Answer);
    let published = client.publish(&post, &rkey).await.unwrap();
    assert_eq!(relay.lost(), 1, "the answer was lost");
    assert_eq!(published.rkey(), rkey);
    let posts = net.list("app.bsky.feed.post").await;
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["cid"], published.cid.as_str());

    // The request never reaches the PDS: a transient failure, nothing at the key, and the retry
    // with the same key publishes once.
    let post = NewPost::new("Requête perdue, puis réessayée");
    let rkey = Tid::now().to_string();
    relay.lose_next_create(Lose::Request);
    match client.publish(&post, &rkey).await {
        Err(e @ ConnectorError::Transient(_)) => assert!(e.is_retryable()),
        other => panic!("{other:?}"),
    }
    assert_eq!(relay.lost(), 2);
    assert_eq!(client.reconcile(&rkey).await.unwrap(), None);
    let retried: PublishedPost = client.publish(&post, &rkey).await.unwrap();
    assert_eq!(client.reconcile(&rkey).await.unwrap(), Some(retried));
    assert_eq!(net.list("app.bsky.feed.post").await.len(), 2);
}

#[tokio::test]
async fn refused_tokens_are_renewed_transparently() {
    let Some(net) = network().await else { return };
    let signed_in = net.client().sign_in().await.unwrap();
    assert_eq!((signed_in.did.as_str(), signed_in.handle.as_str()), (net.alice.as_str(), "alice.test"));

    // A garbage access token: refreshed with the refresh token, no password needed.
    let corrupted = Session { access_jwt: "garbage".into(), ..signed_in.clone() };
    let resumed = XrpcClient::from_session(&net.devnet.pds_url, corrupted, &net.devnet.outbound()).unwrap();
    let published = resumed.publish(&NewPost::new("Jeton rafraîchi"), &Tid::now().to_string()).await.unwrap();
    let refreshed = resumed.session().await.unwrap();
    assert_ne!(refreshed.access_jwt, "garbage");
    assert_ne!(refreshed.refresh_jwt, signed_in.refresh_jwt, "the refresh token rotated");
    assert_eq!(refreshed.did, net.alice);
    assert_eq!(resumed.reconcile(published.rkey()).await.unwrap(), Some(published));

    // Several tasks meeting a refused token at once all succeed.
    let corrupted = Session { access_jwt: "garbage".into(), ..refreshed.clone() };
    let shared =
        Arc::new(XrpcClient::from_session(&net.devnet.pds_url, corrupted, &net.devnet.outbound()).unwrap());
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let shared = shared.clone();
            tokio::spawn(async move {
                shared.publish(&NewPost::new(format!("Ensemble {i}")), &Tid::now().to_string()).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    // Both tokens refused and no password: someone must reconnect the account.
    let dead = Session { access_jwt: "garbage".into(), refresh_jwt: "garbage".into(), ..signed_in.clone() };
    let orphan = XrpcClient::from_session(&net.devnet.pds_url, dead.clone(), &net.devnet.outbound()).unwrap();
    let before = net.list("app.bsky.feed.post").await.len();
    match orphan.publish(&NewPost::new("Jamais publié"), &Tid::now().to_string()).await {
        Err(e @ ConnectorError::Unauthorized(_)) => assert!(!e.is_retryable()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(orphan.verify().await, Err(ConnectorError::Unauthorized(_))));
    assert_eq!(net.list("app.bsky.feed.post").await.len(), before);

    // Both tokens refused, the password known: it signs in again.
    let renewed = net.client().with_session(dead);
    renewed.publish(&NewPost::new("Reconnecté"), &Tid::now().to_string()).await.unwrap();
    assert_eq!(net.list("app.bsky.feed.post").await.len(), before + 1);

    // A wrong password.
    let wrong =
        XrpcClient::new(&net.devnet.pds_url, "alice.test", "not-her-password", &net.devnet.outbound())
            .unwrap();
    match wrong.verify().await {
        Err(ConnectorError::Unauthorized(why)) => {
            assert!(why.contains("Invalid identifier or password"), "{why}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn posts_over_a_limit_are_refused_before_any_connection() {
    // A listener that would see any connection attempt; it never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let client =
        XrpcClient::new(&url, "alice.test", "alice-pass", &tutti_test_support::allowing(&[&url])).unwrap();
    let rkey = Tid::now().to_string();

    let image = NewImage {
        bytes: png(1, 1, [0, 0, 0]),
        mime_type: "image/png".into(),
        alt: String::new(),
        aspect_ratio: None,
    };
    let reply = ReplyRef::to(
        &RecordRef { uri: "at://did:plc:x/app.bsky.feed.post/3ke6kg42cm2k3".into(), cid: "bafy".into() },
        None,
    );
    let cases = [
        (
            NewPost::new("a".repeat(MAX_POST_GRAPHEMES + 1)),
            "301 characters (graphemes) long; Bluesky allows at most 300",
        ),
        (NewPost::new("€".repeat(1001)), "3003 bytes long; Bluesky allows at most 3000 bytes"),
        (
            NewPost {
                langs: vec!["fr".into(), "en".into(), "de".into(), "es".into()],
                ..NewPost::new("Bonjour")
            },
            "at most 3",
        ),
        (NewPost { images: vec![image; 5], reply: Some(reply), ..NewPost::new("Cinq images") }, "at most 4"),
    ];
    for (post, message) in cases {
        match client.publish(&post, &rkey).await {
            Err(ConnectorError::Permanent(why)) => {
                assert!(why.contains(message), "{why:?} names {message:?}")
            }
            other => panic!("{message}: {other:?}"),
        }
    }
    assert!(
        listener.accept().is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
        "no connection was made"
    );
    assert_eq!(client.session().await, None, "not even signed in");
}

/// A DID document is the network's word: a PDS it names on a private or metadata address is
/// not called, even when the service that signed the account in is allowed.
#[tokio::test]
async fn a_pds_named_by_the_did_document_on_a_metadata_address_is_not_called() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = json!({
        "did": "did:plc:attacker", "handle": "alice.test", "accessJwt": "a", "refreshJwt": "r",
        "didDoc": {"id": "did:plc:attacker", "service": [
            {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "http://169.254.169.254"}
        ]}
    })
    .to_string();
    let requests = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let mut conn = BufReader::new(conn);
            let mut line = String::new();
            conn.read_line(&mut line).await.unwrap();
            seen.lock().unwrap().push(line.trim().to_owned());
            let mut length = 0;
            loop {
                let mut header = String::new();
                conn.read_line(&mut header).await.unwrap();
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if header.trim().is_empty() {
                    break;
                }
            }
            let mut body = vec![0; length];
            conn.read_exact(&mut body).await.unwrap();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                answer.len()
            );
            conn.get_mut().write_all(head.as_bytes()).await.unwrap();
            conn.get_mut().write_all(answer.as_bytes()).await.unwrap();
        }
    });
    let client =
        XrpcClient::new(&url, "alice.test", "alice-pass", &tutti_test_support::allowing(&[&url])).unwrap();
    match client.profile().await {
        Err(ConnectorError::Permanent(why)) => {
            assert!(why.contains("outbound policy") && why.contains("169.254.169.254"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    let requests = requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].contains("createSession"), "{requests:?}");
}
