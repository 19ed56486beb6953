//! `tutti bench inbox`: the inbox list of a workspace with many conversations, served by the
//! real web server, and the ingestion of notifications through the worker's path.
//!
//! 1. Setup, **not** through Tutti's paths: a fresh database gets a workspace, four members
//!    and three channels (through the use cases), then `N` conversations loaded in bulk by
//!    [`tutti_store::bulk`] (multi-row inserts in large transactions): their people and network
//!    identities, one to eight items each (threads going back and forth, likes gathering on a
//!    post), a mix of statuses, kinds, sentiments, languages, channels, assignees and tags,
//!    spread over a year. The tables are analysed afterwards.
//! 2. The web server starts in this process; a community manager signs in through the login
//!    form and asks each view of `/w/{workspace}/inbox` `M` times, one request after the other.
//!    Each request is timed by the client (the round trip over loopback HTTP, so the server's
//!    time plus a little) and by the server itself (its latency histogram on `/metrics`). The
//!    store's list query alone is timed too, and the process's resident memory is read.
//! 3. `K` notifications of generated French and English texts go through the worker's path:
//!    the channel's lease claimed, each notification enriched (language, sentiment, toxicity),
//!    then stored with the worker's own `store_batch` (items into their conversations, the
//!    workspace's round-robin assignment of new conversations, the cursor saved, in one
//!    transaction of `--batch`, by default the worker's largest, 1,000), with four moderation
//!    rules on (words, a toxicity threshold, a new account with links, a regular expression).
//!    As in the worker, a batch is stored in the background while the next one is enriched;
//!    the rate is the items over the time from the first enrichment to the last commit. Only
//!    the network read is left out: the notifications are generated in this process.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tutti_app::ingest::{item_of, Incoming};
use tutti_app::moderation::RuleToWrite;
use tutti_app::publishing::ChannelToAdd;
use tutti_app::secrets::Keyring;
use tutti_app::{Actor, App, AppConfig};
use tutti_domain::{ItemKind, Network};
use tutti_listen::bench::{generate_posts, Rng};
use tutti_store::bulk;
use tutti_store::inbox::Filter;
use tutti_store::{Backend, Store};
use tutti_web::{AppState, WebConfig};
use tutti_worker::inbox::Stored;

const PASSWORD: &str = "correct horse battery";
/// The member who signs in: a community manager.
const ME: &str = "cm@bench.test";
/// The server's route whose latency histogram is read.
const ROUTE: &str = "route=\"/w/{workspace}/inbox\"";
const DAY_MS: i64 = 86_400_000;

const FIRST_NAMES: [&str; 24] = [
    "Camille", "Léa", "Lucas", "Hugo", "Chloé", "Emma", "Noah", "Jade", "Louis", "Inès", "Olivia", "Liam",
    "Amelia", "Jack", "Sophie", "Thomas", "Manon", "Arthur", "Zoé", "Nathan", "Aïcha", "Mehdi", "Grace",
    "Oscar",
];
const LAST_NAMES: [&str; 20] = [
    "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Smith", "Johnson", "Brown", "Taylor", "Wilson",
    "Nguyen", "Lefèvre", "Garcia", "Roux", "Fontaine", "Clark", "Lewis", "Walker", "Mercier", "Girard",
];
const TAGS: [&str; 8] =
    ["livraison", "sav", "remboursement", "bug", "crisis", "vip", "presse", "facturation"];

/// A view of the inbox: its query string and the same filter for the store's query.
struct View {
    name: &'static str,
    query: String,
    filter: Filter,
}

/// Timings of one view, ms.
#[derive(Debug, Default)]
struct Timed {
    name: &'static str,
    query: String,
    rows: usize,
    round_trip: Vec<f64>,
    server_mean_ms: f64,
    /// `(p, upper bound of the histogram bucket that holds it, ms)`.
    server_buckets: Vec<(f64, f64)>,
    server_within_50ms: f64,
    store_only: Vec<f64>,
}

/// Runs the benchmark; `database_url` is SQLite in a fresh directory unless a PostgreSQL URL
/// is given (its database must be dedicated to the benchmark: one with a workspace is refused).
pub async fn run(
    database_url: Option<String>,
    conversations: usize,
    requests: usize,
    ingest: usize,
    batch: usize,
    as_json: bool,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("tutti.db").display()));
    let store = Store::open(&url).await?;
    if !bulk::has_no_workspace(&mut *store.conn().await?).await? {
        bail!("the benchmark fills the database: give it an empty one of its own, not {}", store.location());
    }
    let backend = if store.backend() == Backend::Postgres { "postgres" } else { "sqlite" };
    let app = App::new(
        store.clone(),
        AppConfig { networks: tutti_networks::registry().clone(), ..AppConfig::default() },
    );
    let say = |s: String| {
        if !as_json {
            eprintln!("{s}");
        }
    };

    // The workspace, its team and its channels.
    let op = Actor::Operator;
    let name = format!("Bench Inbox {}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let ws = app.create_workspace(&op, &name, "Europe/Paris").await?;
    let mut members = Vec::new();
    for (email, role) in
        [(ME, "cm"), ("smm@bench.test", "smm"), ("cm2@bench.test", "cm"), ("cm3@bench.test", "cm")]
    {
        let user =
            app.add_user(&op, email, &email.replace("@bench.test", " Bench"), PASSWORD, false).await?.id;
        app.add_member(&op, &ws.slug, email, role).await?;
        members.push(user);
    }
    let keys = Keyring::generate();
    let mut channels = Vec::new();
    let mut channel_rows = Vec::new();
    for handle in ["maison.bench.test", "support.bench.test", "careers.bench.test"] {
        let c = app
            .add_channel(
                &op,
                &keys,
                &ws.slug,
                &ChannelToAdd {
                    network: "bluesky".into(),
                    handle: handle.into(),
                    service: "http://127.0.0.1:9".into(),
                    account_id: Some(format!("did:plc:{}", handle.replace('.', ""))),
                    secret: "bench".into(),
                    ambassador: None,
                },
            )
            .await?;
        channels.push(c.id);
        channel_rows.push(c);
    }

    // The bulk load.
    say(format!("loading {conversations} conversations into {backend}…"));
    let now = tutti_store::now_ms();
    let started = Instant::now();
    let loaded = load(&store, ws.id, &channels, &members, conversations, now).await?;
    let load_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    bulk::analyse(&store).await?;
    let analyse_secs = started.elapsed().as_secs_f64();
    say(format!(
        "loaded in {load_secs:.1} s ({:.0} conversations/s), analysed in {analyse_secs:.1} s",
        conversations as f64 / load_secs.max(0.001)
    ));

    // The server, in this process; its peak memory is counted from here.
    let hwm_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let rss_before = memory("VmRSS:");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(app.clone(), WebConfig::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tutti_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let cookies = sign_in(addr, ME, PASSWORD).await?;
    let me = members[0];
    let open = || Filter { status: Some(tutti_domain::ConversationStatus::Open), ..Filter::default() };
    let views = [
        View { name: "default (open, latest first)", query: String::new(), filter: open() },
        View {
            name: "negative, unanswered, one channel",
            query: format!("?sentiment=neg&unanswered=1&channel={}", channels[1]),
            filter: Filter {
                channel_id: Some(channels[1]),
                sentiment: Some(tutti_domain::Sentiment::Neg),
                unanswered: true,
                ..open()
            },
        },
        View {
            name: "assigned to me",
            query: "?assignee=me".into(),
            filter: Filter { assignee: Some(Some(me)), ..open() },
        },
        View {
            name: "every status",
            query: "?status=all".into(),
            filter: Filter { status: None, ..Filter::default() },
        },
        View {
            name: "tag, every status",
            query: "?status=all&tag=livraison".into(),
            filter: Filter { status: None, tag: Some("livraison".into()), ..Filter::default() },
        },
    ];
    let mut timed = Vec::new();
    for v in &views {
        say(format!("{requests} requests: {}", v.name));
        timed.push(time_view(&store, addr, &cookies, &ws.slug, ws.id, v, requests).await?);
    }
    let rss_peak = memory("VmHWM:");
    let rss_after = memory("VmRSS:");
    let _ = stop.send(());
    let _ = server.await;

    // Ingestion with enrichment, under the moderation rules a brand would have on.
    for rule in [
        RuleToWrite {
            name: "Insults".into(),
            enabled: true,
            words: "idiot, arnaque, escroc, scam, nul".into(),
            actions: "tag:moderation,priority:2".into(),
            ..RuleToWrite::default()
        },
        RuleToWrite {
            name: "Toxic".into(),
            enabled: true,
            toxicity: "0.8".into(),
            actions: "hide,tag:toxic".into(),
            ..RuleToWrite::default()
        },
        RuleToWrite {
            name: "New accounts with links".into(),
            enabled: true,
            new_account_days: "7".into(),
            domains: "bit.ly, tinyurl.com".into(),
            actions: "tag:spam".into(),
            ..RuleToWrite::default()
        },
        RuleToWrite {
            name: "Refunds".into(),
            enabled: true,
            regex: r"rembours\w*|refund\w*".into(),
            actions: "tag:remboursement".into(),
            ..RuleToWrite::default()
        },
    ] {
        app.add_moderation_rule(&op, &ws.slug, &rule).await?;
    }
    // New conversations go to the community managers in turn, as a workspace may ask.
    app.set_assignment_rule(&op, &ws.slug, "round_robin").await?;
    say(format!("ingesting {ingest} notifications…"));
    let ingested = ingest_notifications(&store, ws.id, &channel_rows, conversations, ingest, batch).await?;
    store.close().await;

    report(&Report {
        backend,
        conversations,
        loaded,
        load_secs,
        analyse_secs,
        requests,
        timed,
        hwm_reset,
        rss_before,
        rss_peak,
        rss_after,
        ingested,
        load_average: std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        as_json,
    });
    Ok(())
}

/// What the bulk load wrote.
#[derive(Debug, Default, Clone, Copy)]
struct Loaded {
    people: usize,
    conversations: usize,
    items: usize,
    open: usize,
}

/// One conversation of the load, drawn from `seed` and its number.
struct Drawn {
    channel: i64,
    person: usize,
    kind: &'static str,
    status: &'static str,
    sentiment: &'static str,
    lang: &'static str,
    toxicity: f64,
    priority: i64,
    assignee: Option<i64>,
    tags: String,
    unanswered: bool,
    first: i64,
    last: i64,
    text: usize,
    /// How many items the conversation holds.
    items: usize,
}

fn draw(
    rng: &mut Rng,
    j: usize,
    n: usize,
    people: usize,
    channels: &[i64],
    members: &[i64],
    now: i64,
) -> Drawn {
    let channel = channels[match rng.below(10) {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    } % channels.len()];
    // Everyone has a first conversation; some come back.
    let person = if j < people { j } else { rng.below(people) };
    let kind = match rng.below(100) {
        0..=44 => "reply",
        45..=69 => "mention",
        70..=74 => "quote",
        75..=89 => "like",
        90..=94 => "repost",
        _ => "follow",
    };
    let answerable = matches!(kind, "reply" | "mention" | "quote");
    let status = match rng.below(10) {
        0..=2 => "open",
        3..=4 => "pending",
        _ => "closed",
    };
    let sentiment = if !answerable {
        "neu"
    } else {
        match rng.below(10) {
            0..=1 => "neg",
            2..=6 => "neu",
            _ => "pos",
        }
    };
    let lang = match rng.below(100) {
        0..=44 => "fr",
        45..=89 => "en",
        90..=92 => "es",
        93..=94 => "de",
        _ => "",
    };
    let toxicity = if answerable && rng.chance(5) {
        0.5 + rng.below(500) as f64 / 1000.0
    } else {
        rng.below(200) as f64 / 1000.0
    };
    let priority = if rng.chance(10) { 1 + rng.below(3) as i64 } else { 0 };
    let assignee = rng.chance(35).then(|| members[rng.below(members.len())]);
    let tags = if rng.chance(12) {
        let a = *rng.pick(&TAGS);
        let b = *rng.pick(&TAGS);
        if a == b || rng.chance(60) {
            format!(",{a},")
        } else {
            format!(",{a},{b},")
        }
    } else {
        String::new()
    };
    let unanswered = status == "open" && answerable && rng.chance(85);
    // Ids grow with time, as conversations arrive; one in ten moved again later.
    let year = 365 * DAY_MS;
    let start = now - year;
    let mut last = start + (j as i64 * year) / n.max(1) as i64 + rng.below(600_000) as i64;
    if rng.chance(10) {
        last += rng.below((now - last).max(1) as usize) as i64;
    }
    let last = last.min(now);
    let first = last - rng.below(3 * DAY_MS as usize) as i64;
    // A thread goes back and forth; a liked post gathers likes; a follow is one.
    let items = match kind {
        "follow" => 1,
        "like" | "repost" => 1 + rng.below(6),
        _ => match rng.below(100) {
            0..=49 => 1,
            50..=79 => 2,
            80..=91 => 3,
            _ => 4 + rng.below(5),
        },
    };
    Drawn {
        channel,
        person,
        kind,
        status,
        sentiment,
        lang,
        toxicity,
        priority,
        assignee,
        tags,
        unanswered,
        first,
        last,
        text: rng.next_u64() as usize,
        items,
    }
}

/// Loads `n` conversations, their people, identities and items (one to eight each) in bulk,
/// through [`tutti_store::bulk`]: rows written as they are, not through the use cases.
async fn load(
    store: &Store,
    ws: i64,
    channels: &[i64],
    members: &[i64],
    n: usize,
    now: i64,
) -> anyhow::Result<Loaded> {
    let people = (n * 6 / 10).max(1);
    let texts: Vec<String> =
        generate_posts(5_000, 1_000, 7).into_iter().map(|p| p.text.chars().take(280).collect()).collect();
    let name = person_name;
    let author = |p: usize| format!("did:plc:bench{p:09}");
    let ids = bulk::next_ids(store).await?;

    let year_ago = now - 365 * DAY_MS;
    bulk::insert_people(
        store,
        (0..people).map(|p| bulk::Person {
            id: ids.people + p as i64,
            workspace_id: ws,
            display_name: name(p),
            seen_at: year_ago + (p as i64 * 365 * DAY_MS) / people as i64,
        }),
    )
    .await?;
    bulk::insert_identities(
        store,
        (0..people).map(|p| bulk::Identity {
            id: ids.identities + p as i64,
            workspace_id: ws,
            person_id: ids.people + p as i64,
            network: "bluesky".into(),
            author_id: author(p),
            handle: format!("user{p}.bsky.social"),
        }),
    )
    .await?;

    let drawn = |rng: &mut Rng, j: usize| draw(rng, j, n, people, channels, members, now);
    let root = |j: usize, d: &Drawn| match d.kind {
        "follow" => format!("follow:{}#{j:09}", author(d.person)),
        "mention" => format!("at://{}/app.bsky.feed.post/m{j:09}", author(d.person)),
        _ => format!("at://did:plc:brand/app.bsky.feed.post/b{j:09}"),
    };
    let mut open = 0;
    let mut rng = Rng::new(42);
    bulk::insert_conversations(
        store,
        (0..n).map(|j| {
            let d = drawn(&mut rng, j);
            open += usize::from(d.status == "open");
            let answerable = matches!(d.kind, "reply" | "mention" | "quote");
            let excerpt = if answerable { texts[d.text % texts.len()].clone() } else { String::new() };
            let responded = (d.status != "open").then(|| d.first + (d.text % DAY_MS as usize) as i64);
            let resolved =
                (d.status == "closed").then(|| (d.last + (d.text % (2 * DAY_MS as usize)) as i64).min(now));
            bulk::Conversation {
                id: ids.conversations + j as i64,
                workspace_id: ws,
                channel_id: d.channel,
                root_ref: root(j, &d),
                // One person's thread; the likes and reposts of a post together.
                author_id: if matches!(d.kind, "like" | "repost") { String::new() } else { author(d.person) },
                person_id: ids.people + d.person as i64,
                kind: d.kind.into(),
                excerpt,
                sentiment: d.sentiment.into(),
                lang: d.lang.into(),
                toxicity: d.toxicity,
                status: d.status.into(),
                priority: d.priority,
                assignee_user_id: d.assignee,
                tags: d.tags.clone(),
                unanswered: d.unanswered,
                items: d.items as i64,
                first_item_at: d.first,
                last_item_at: d.last,
                first_response_at: responded,
                resolved_at: resolved,
                touched_at: d.last + 500,
            }
        }),
    )
    .await?;

    // The same draws again, for the items of each conversation: the first at its first time,
    // the last at its last, the others between; a thread's items by its person, the likes of a
    // post by different people.
    let mut rng = Rng::new(42);
    let mut item = ids.items;
    let items = bulk::insert_items(
        store,
        (0..n).flat_map(|j| {
            let d = drawn(&mut rng, j);
            let answerable = matches!(d.kind, "reply" | "mention" | "quote");
            let root = root(j, &d);
            let conversation = ids.conversations + j as i64;
            let count = d.items;
            (0..count)
                .map(|k| {
                    let person =
                        if answerable || k == 0 { d.person } else { (d.person + k * 7_919) % people };
                    let who = author(person);
                    let at = if count == 1 {
                        d.last
                    } else {
                        d.first + (d.last - d.first) * k as i64 / (count - 1) as i64
                    };
                    let text = if answerable {
                        texts[d.text.wrapping_add(k) % texts.len()].clone()
                    } else {
                        String::new()
                    };
                    let post = answerable.then(|| {
                        (format!("at://{who}/app.bsky.feed.post/p{j:09}k{k}"), format!("bafyrei{j:09}k{k}"))
                    });
                    item += 1;
                    bulk::Item {
                        id: item - 1,
                        workspace_id: ws,
                        channel_id: d.channel,
                        conversation_id: conversation,
                        remote_id: format!("at://{who}/app.bsky.notification/n{j:09}k{k}"),
                        kind: d.kind.into(),
                        person_id: ids.people + person as i64,
                        author_id: who,
                        author_handle: format!("user{person}.bsky.social"),
                        author_name: name(person),
                        text,
                        lang: d.lang.into(),
                        sentiment: d.sentiment.into(),
                        toxicity: d.toxicity,
                        post,
                        parent_ref: (d.kind == "reply").then(|| root.clone()),
                        subject_ref: matches!(d.kind, "like" | "repost" | "quote").then(|| root.clone()),
                        created_at: at,
                        received_at: at + 500,
                    }
                })
                .collect::<Vec<_>>()
        }),
    )
    .await?;
    bulk::finish(store).await?;
    Ok(Loaded { people, conversations: n, items, open })
}

/// A value of this process's `/proc/self/status` (`VmRSS:`, `VmHWM:`), bytes; 0 elsewhere.
fn memory(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key))?.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// An HTTP response: status, headers (lower-cased names), body.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// One HTTP/1.1 request on a fresh loopback connection, read to its end.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookies: &str,
    form: Option<&str>,
) -> anyhow::Result<Response> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept-Language: fr\r\n");
    if !cookies.is_empty() {
        req.push_str(&format!("Cookie: {cookies}\r\n"));
    }
    if let Some(body) = form {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        req.push_str("\r\n");
    }
    stream.write_all(req.as_bytes()).await?;
    let mut raw = Vec::with_capacity(64 * 1024);
    stream.read_to_end(&mut raw).await?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").context("no end of headers in the answer")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .context("no status")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        body = unchunk(&body)?;
    }
    Ok(Response { status, headers, body })
}

/// Decodes a chunked body.
fn unchunk(mut data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n").context("bad chunk")?;
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            bail!("truncated chunk");
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Form encoding of one value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Keeps the cookies a response sets.
fn absorb(jar: &mut HashMap<String, String>, r: &Response) {
    for (_, v) in r.headers.iter().filter(|(k, _)| k == "set-cookie") {
        if let Some((k, v)) = v.split(';').next().and_then(|p| p.split_once('=')) {
            if v.is_empty() {
                jar.remove(k);
            } else {
                jar.insert(k.to_owned(), v.to_owned());
            }
        }
    }
}

fn cookie_header(jar: &HashMap<String, String>) -> String {
    jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
}

/// Signs in through the login form (its CSRF token included); returns the `Cookie` header.
async fn sign_in(addr: SocketAddr, email: &str, password: &str) -> anyhow::Result<String> {
    let mut jar = HashMap::new();
    let page = http(addr, "GET", "/login", "", None).await?;
    absorb(&mut jar, &page);
    let html = String::from_utf8_lossy(&page.body);
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker).context("the login page has no CSRF field")? + marker.len();
    let csrf: String = html[at..].chars().take_while(|c| *c != '"').collect();
    let form =
        format!("csrf={}&email={}&password={}&next=%2F", encode(&csrf), encode(email), encode(password));
    let r = http(addr, "POST", "/login", &cookie_header(&jar), Some(&form)).await?;
    absorb(&mut jar, &r);
    if r.status != 303 || !jar.contains_key("tutti_session") {
        bail!("signing in as {email} failed: HTTP {}", r.status);
    }
    Ok(cookie_header(&jar))
}

/// The inbox route's latency histogram on `/metrics`: cumulative counts by bucket bound (s),
/// the sum (s) and the count.
async fn histogram(addr: SocketAddr) -> anyhow::Result<(Vec<(f64, f64)>, f64, f64)> {
    let r = http(addr, "GET", "/metrics", "", None).await?;
    let text = String::from_utf8_lossy(&r.body);
    let (mut buckets, mut sum, mut count) = (Vec::new(), 0.0, 0.0);
    for line in text.lines().filter(|l| l.contains(ROUTE) && l.contains("method=\"GET\"")) {
        let value: f64 = line.rsplit(' ').next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        if line.starts_with("tutti_http_request_duration_seconds_bucket") {
            let le = line.split("le=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("+Inf");
            let bound = if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap_or(f64::INFINITY) };
            buckets.push((bound, value));
        } else if line.starts_with("tutti_http_request_duration_seconds_sum") {
            sum = value;
        } else if line.starts_with("tutti_http_request_duration_seconds_count") {
            count = value;
        }
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok((buckets, sum, count))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Asks one view `requests` times after a warm-up, then times the store's query alone.
async fn time_view(
    store: &Store,
    addr: SocketAddr,
    cookies: &str,
    slug: &str,
    ws: i64,
    v: &View,
    requests: usize,
) -> anyhow::Result<Timed> {
    let path = format!("/w/{slug}/inbox{}", v.query);
    let mut rows = 0;
    for _ in 0..5 {
        let r = http(addr, "GET", &path, cookies, None).await?;
        if r.status != 200 {
            bail!("GET {path}: HTTP {}", r.status);
        }
        rows = String::from_utf8_lossy(&r.body).matches("data-row=\"").count();
    }
    let (before, sum0, count0) = histogram(addr).await?;
    let mut round_trip = Vec::with_capacity(requests);
    for _ in 0..requests {
        let t = Instant::now();
        let r = http(addr, "GET", &path, cookies, None).await?;
        round_trip.push(ms(t.elapsed()));
        if r.status != 200 {
            bail!("GET {path}: HTTP {}", r.status);
        }
    }
    let (after, sum1, count1) = histogram(addr).await?;
    let n = (count1 - count0).max(1.0);
    let delta: Vec<(f64, f64)> = after
        .iter()
        .map(|(le, c)| (*le, c - before.iter().find(|(b, _)| b == le).map_or(0.0, |x| x.1)))
        .collect();
    let bucket_of =
        |p: f64| delta.iter().find(|(_, c)| *c >= p * n).map_or(f64::INFINITY, |(le, _)| le * 1000.0);
    let within_50 = delta.iter().find(|(le, _)| (*le - 0.05).abs() < 1e-9).map_or(0.0, |(_, c)| c / n);

    let mut store_only = Vec::with_capacity(requests);
    let mut conn = store.conn().await?;
    for _ in 0..requests {
        let t = Instant::now();
        tutti_store::inbox::list(&mut conn, ws, &v.filter, None, 50).await?;
        store_only.push(ms(t.elapsed()));
    }
    round_trip.sort_by(f64::total_cmp);
    store_only.sort_by(f64::total_cmp);
    Ok(Timed {
        name: v.name,
        query: v.query.clone(),
        rows,
        round_trip,
        server_mean_ms: (sum1 - sum0) * 1000.0 / n,
        server_buckets: [0.5, 0.95, 0.99].iter().map(|p| (*p, bucket_of(*p))).collect(),
        server_within_50ms: within_50,
        store_only,
    })
}

/// What the ingestion measured.
#[derive(Debug, Default)]
struct Ingested {
    items: usize,
    batch: usize,
    batches: usize,
    conversations_moved: usize,
    assigned: usize,
    enrich_secs: f64,
    store_secs: f64,
    /// From the first enrichment to the last commit.
    secs: f64,
}

/// The display name of the `p`-th loaded person.
fn person_name(p: usize) -> String {
    format!("{} {}", FIRST_NAMES[p % FIRST_NAMES.len()], LAST_NAMES[(p / 24) % LAST_NAMES.len()])
}

/// Notifications to ingest: generated French and English texts, a mix of kinds, authors
/// already known (half of them, with the handle and name they were loaded with; one in a
/// hundred under a new display name) and new ones, replies gathering on the brand's recent
/// posts.
fn notifications(k: usize, known_people: usize) -> Vec<Incoming> {
    let mut rng = Rng::new(2024);
    let now = tutti_store::now_ms();
    generate_posts(k, 1_000, 11)
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let (author, handle, mut name) = if rng.chance(50) && known_people > 0 {
                let p = rng.below(known_people);
                (format!("did:plc:bench{p:09}"), format!("user{p}.bsky.social"), person_name(p))
            } else {
                let f = rng.below((k / 3).max(1));
                (format!("did:plc:fresh{f:07}"), format!("fresh{f}.bsky.social"), person_name(f + 7))
            };
            if rng.chance(1) {
                name = format!("{} {}", rng.pick(&FIRST_NAMES), rng.pick(&LAST_NAMES));
            }
            let kind = match rng.below(100) {
                0..=49 => ItemKind::Reply,
                50..=74 => ItemKind::Mention,
                75..=79 => ItemKind::Quote,
                80..=91 => ItemKind::Like,
                92..=95 => ItemKind::Repost,
                _ => ItemKind::Follow,
            };
            let brand_post =
                format!("at://did:plc:maisonbenchtest/app.bsky.feed.post/live{}", rng.below(2_000));
            let own = format!("at://{author}/app.bsky.feed.post/i{i:09}");
            let with_text = matches!(kind, ItemKind::Reply | ItemKind::Mention | ItemKind::Quote);
            Incoming {
                remote_id: format!("at://{author}/app.bsky.notification/i{i:09}"),
                kind,
                author_handle: handle,
                author_name: name,
                author_since: Some(now - rng.below(2_000) as i64 * DAY_MS),
                author_id: author,
                text: if with_text { p.text } else { String::new() },
                lang: p.lang,
                post: with_text.then(|| (own, Some(format!("bafyreii{i:09}")))),
                parent: (kind == ItemKind::Reply).then(|| brand_post.clone()),
                root: (kind == ItemKind::Reply).then(|| brand_post.clone()),
                subject: matches!(kind, ItemKind::Like | ItemKind::Repost | ItemKind::Quote)
                    .then_some(brand_post),
                at: now - (k - i) as i64 * 10,
            }
        })
        .collect()
}

/// The reader name the benchmark's ingestion holds channels' leases under.
const READER: &str = "tutti-bench-inbox";

/// Ingests `k` notifications through the worker's path, in batches of `batch`, one channel per
/// batch in turn: for each, the channel's lease is claimed ([`tutti_worker::inbox::claim`]),
/// the notifications are enriched ([`item_of`]) and stored with the worker's own
/// [`tutti_worker::inbox::store_batch`] (items into conversations, round-robin assignment of the
/// new ones, the cursor, in one transaction). As in the worker, a batch is stored in the
/// background while the next one is enriched, and committed before the next one is stored.
/// Only the network read is left out: the notifications are generated in this process.
async fn ingest_notifications(
    store: &Store,
    ws: i64,
    channels: &[tutti_store::publishing::Channel],
    loaded: usize,
    k: usize,
    batch: usize,
) -> anyhow::Result<Ingested> {
    let notes = notifications(k, (loaded * 6 / 10).max(1));
    let mut out = Ingested { items: k, batch, ..Ingested::default() };
    let started = Instant::now();
    let mut storing: Option<tokio::task::JoinHandle<anyhow::Result<(Stored, f64)>>> = None;
    for (b, batch) in notes.chunks(batch).enumerate() {
        let channel = channels[b % channels.len()].clone();
        let t = Instant::now();
        let items: Vec<_> = batch.iter().map(|n| item_of(ws, channel.id, Network::Bluesky, n)).collect();
        out.enrich_secs += t.elapsed().as_secs_f64();
        if let Some(previous) = storing.take() {
            out.stored(previous.await??);
        }
        let store = store.clone();
        storing = Some(tokio::spawn(async move {
            let t = Instant::now();
            if tutti_worker::inbox::claim(&store, READER, channel.id, tutti_store::now_ms()).await?.is_none()
            {
                bail!("another reader holds the lease of {}", channel.handle);
            }
            let cursor = format!("bench-{b}");
            let stored = tutti_worker::inbox::store_batch(
                &store,
                tutti_networks::registry(),
                READER,
                &channel,
                &items,
                Some(&cursor),
            )
            .await?
            .with_context(|| format!("the lease of {} was lost", channel.handle))?;
            Ok((stored, t.elapsed().as_secs_f64()))
        }));
    }
    if let Some(last) = storing {
        out.stored(last.await??);
    }
    out.secs = started.elapsed().as_secs_f64();
    Ok(out)
}

impl Ingested {
    /// Counts a stored batch: the conversations it moved and assigned, the time it took.
    fn stored(&mut self, (stored, secs): (Stored, f64)) {
        self.conversations_moved += stored.conversations;
        self.assigned += stored.assigned;
        self.batches += 1;
        self.store_secs += secs;
    }
}

struct Report {
    backend: &'static str,
    conversations: usize,
    loaded: Loaded,
    load_secs: f64,
    analyse_secs: f64,
    requests: usize,
    timed: Vec<Timed>,
    hwm_reset: bool,
    rss_before: u64,
    rss_peak: u64,
    rss_after: u64,
    ingested: Ingested,
    /// The machine's load average (1, 5, 15 min) at the end: other work skews the timings.
    load_average: String,
    as_json: bool,
}

fn mb(b: u64) -> f64 {
    b as f64 / 1_048_576.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn report(r: &Report) {
    let ing = &r.ingested;
    let total = ing.secs;
    let rate = |secs: f64| if secs > 0.0 { ing.items as f64 / secs } else { 0.0 };
    if r.as_json {
        let views: Vec<Value> = r
            .timed
            .iter()
            .map(|t| {
                json!({
                    "view": t.name, "query": t.query, "rows": t.rows,
                    "round_trip_ms": {"p50": round2(percentile(&t.round_trip, 0.5)), "p95": round2(percentile(&t.round_trip, 0.95)),
                        "p99": round2(percentile(&t.round_trip, 0.99)), "max": round2(t.round_trip.last().copied().unwrap_or(0.0))},
                    "server_mean_ms": round2(t.server_mean_ms),
                    "server_bucket_ms": t.server_buckets.iter().map(|(p, b)| (format!("p{}", (p * 100.0).round()), if b.is_finite() { json!(b) } else { json!("inf") })).collect::<serde_json::Map<_, _>>(),
                    "server_share_within_50ms": round2(t.server_within_50ms),
                    "store_query_ms": {"p50": round2(percentile(&t.store_only, 0.5)), "p95": round2(percentile(&t.store_only, 0.95)),
                        "p99": round2(percentile(&t.store_only, 0.99))},
                })
            })
            .collect();
        println!(
            "{}",
            json!({
                "backend": r.backend, "conversations": r.conversations, "people": r.loaded.people,
                "items_loaded": r.loaded.items, "open": r.loaded.open,
                "load_path": "bulk SQL load (tutti_store::bulk), not through the use cases",
                "items_per_conversation_loaded": round2(r.loaded.items as f64 / r.loaded.conversations.max(1) as f64),
                "load_s": round2(r.load_secs), "analyse_s": round2(r.analyse_secs),
                "requests_per_view": r.requests, "views": views,
                "rss_before_requests_bytes": r.rss_before, "rss_peak_during_requests_bytes": r.rss_peak,
                "rss_after_requests_bytes": r.rss_after, "peak_counted_from_server_start": r.hwm_reset,
                "ingest": {"path": "worker: lease claim, enrichment, store_batch (items, round-robin assignment, cursor) per transaction; notifications generated in process, no network read",
                    "items": ing.items, "batches": ing.batches, "conversations_moved": ing.conversations_moved,
                    "conversations_assigned": ing.assigned,
                    "enrich_s": round2(ing.enrich_secs), "store_s": round2(ing.store_secs),
                    "items_per_s": rate(total).round(), "enrich_items_per_s": rate(ing.enrich_secs).round(),
                    "store_items_per_s": rate(ing.store_secs).round(), "batch": ing.batch},
                "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()), "load_average": r.load_average,
            })
        );
        return;
    }
    println!(
        "backend              {} ({} CPUs, load average {} at the end)",
        r.backend,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        r.load_average
    );
    println!(
        "loaded               {} conversations ({} open), {} people, {} items ({:.2} a conversation) in {:.1} s; \
         analysed in {:.1} s",
        r.loaded.conversations,
        r.loaded.open,
        r.loaded.people,
        r.loaded.items,
        r.loaded.items as f64 / r.loaded.conversations.max(1) as f64,
        r.load_secs,
        r.analyse_secs
    );
    println!("                     setup: bulk SQL load (tutti_store::bulk), not through the use cases");
    println!("inbox list           {} sequential requests per view, 50 rows a page", r.requests);
    println!("                     round trip = client-side, over loopback HTTP (server time + a little)");
    println!("                     server = the server's own histogram (mean; bucket bound holding p95)");
    println!("                     query = the store's list query alone");
    for t in &r.timed {
        let p95_bucket = t.server_buckets.iter().find(|(p, _)| (*p - 0.95).abs() < 1e-9).map_or(0.0, |x| x.1);
        println!("  {} ({} rows) /inbox{}", t.name, t.rows, t.query);
        println!(
            "    round trip       p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            percentile(&t.round_trip, 0.5),
            percentile(&t.round_trip, 0.95),
            percentile(&t.round_trip, 0.99),
            t.round_trip.last().copied().unwrap_or(0.0)
        );
        println!(
            "    server           mean {:.1} ms, p95 ≤ {} ms, {:.0}% within 50 ms",
            t.server_mean_ms,
            if p95_bucket.is_finite() { format!("{p95_bucket}") } else { "∞".into() },
            t.server_within_50ms * 100.0
        );
        println!(
            "    query            p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
            percentile(&t.store_only, 0.5),
            percentile(&t.store_only, 0.95),
            percentile(&t.store_only, 0.99)
        );
    }
    println!(
        "memory (RSS)         {:.1} MB before the server, peak {:.1} MB{}, {:.1} MB after the requests",
        mb(r.rss_before),
        mb(r.rss_peak),
        if r.hwm_reset { " while serving" } else { " (since the process started)" },
        mb(r.rss_after)
    );
    println!(
        "ingestion            {} notifications in {:.1} s: {:.0} items/s enriched and stored (transactions of {})",
        ing.items,
        total,
        rate(total),
        ing.batch
    );
    println!(
        "                     the worker's path: lease claim, enrichment, store_batch (items, round-robin \
         assignment, cursor) in one transaction; generated notifications, no network read"
    );
    println!(
        "                     enrichment {:.0} items/s, storage {:.0} items/s, {} conversations moved, {} assigned",
        rate(ing.enrich_secs),
        rate(ing.store_secs),
        ing.conversations_moved,
        ing.assigned
    );
}
