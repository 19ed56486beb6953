//! Delivery end to end on the loopback: a webhook receiver that checks signatures, and a tiny
//! SMTP sink that records what it is sent.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use tutti_alerts::mail::{self, MailError, SmtpSecurity, SmtpSettings};
use tutti_alerts::message::{Alert, AlertKind, Lang, Sample};
use tutti_alerts::webhook::{verify, RetryPolicy, VerifyError, WebhookClient, WebhookError};

const SECRET: &[u8] = b"whsec_delivery_test";

/// Text a network could hand us: line breaks that try to add a header, bidi overrides that
/// reverse what is shown, and markup.
const HOSTILE: &str = "Terrible service\r\nBcc: victim@example.org\r\n.\r\nQUIT\r\n<script>alert('x')</script> \u{202E}gnp.exe\u{202C}\u{2067} end";

fn alert() -> Alert {
    Alert {
        workspace: "Acme".into(),
        query_name: "Acme brand".into(),
        kind: AlertKind::Volume,
        observed: 142.0,
        expected: 12.0,
        window_start_ms: 1_741_986_900_000,
        samples: vec![
            Sample {
                author: "mallory.example".into(),
                text: HOSTILE.into(),
                url: "https://bsky.app/profile/mallory.example/post/1".into(),
            },
            Sample {
                author: "alice.bsky.social".into(),
                text: "Acme is down again?".into(),
                url: "https://bsky.app/profile/alice.bsky.social/post/2".into(),
            },
        ],
        link: "https://tutti.example.org/w/acme/listening/7".into(),
        crisis_suggested: true,
    }
}

// ---------------------------------------------------------------------------------------------
// Webhooks

#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    RetryAfter(u16, &'static str),
    /// Never answer (the client's timeout fires).
    Hang,
}

#[derive(Debug)]
struct Seen {
    verified: Result<(), VerifyError>,
    event: Option<String>,
    delivery: Option<String>,
    content_type: Option<String>,
    body: Bytes,
    replied: Option<u16>,
}

#[derive(Clone)]
struct Receiver {
    secret: &'static [u8],
    script: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn hook(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let signature = header(&headers, "x-tutti-signature").unwrap_or_default();
    let verified = verify(receiver.secret, &signature, &body, now, Duration::from_secs(300));
    let reply = match &verified {
        Ok(()) => receiver.script.lock().unwrap().pop_front().unwrap_or(Reply::Status(200)),
        Err(_) => Reply::Status(401),
    };
    let replied = match reply {
        Reply::Status(s) | Reply::RetryAfter(s, _) => Some(s),
        Reply::Hang => None,
    };
    receiver.seen.lock().unwrap().push(Seen {
        verified,
        event: header(&headers, "x-tutti-event"),
        delivery: header(&headers, "x-tutti-delivery"),
        content_type: header(&headers, "content-type"),
        body,
        replied,
    });
    match reply {
        Reply::Status(s) => StatusCode::from_u16(s).unwrap().into_response(),
        Reply::RetryAfter(s, after) => {
            (StatusCode::from_u16(s).unwrap(), [("retry-after", after)]).into_response()
        }
        Reply::Hang => std::future::pending().await,
    }
}

/// Starts a receiver that checks signatures with `secret` and answers `script` in order (then
/// 200); gives its URL and what it saw.
async fn receiver(secret: &'static [u8], script: &[Reply]) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let state = Receiver {
        secret,
        script: Arc::new(Mutex::new(script.iter().copied().collect())),
        seen: Arc::default(),
    };
    let seen = state.seen.clone();
    let app = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(state);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// The outbound policy of these tests: public addresses, and the receivers they start on the
/// loopback.
fn local() -> tutti_outbound::Outbound {
    tutti_outbound::Outbound::allowing(["127.0.0.1".parse().unwrap()])
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        timeout: Duration::from_secs(5),
        max_retry_after: Duration::from_secs(300),
    }
}

#[tokio::test]
async fn webhook_retries_a_503_then_is_accepted_once() {
    let (url, seen) = receiver(SECRET, &[Reply::Status(503), Reply::Status(200)]).await;
    let client = WebhookClient::new(fast_policy(), &local()).unwrap();
    let delivery = client.deliver_alert(&url, SECRET, &alert()).await.unwrap();
    assert_eq!((delivery.attempts, delivery.status), (2, 200));

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "two attempts");
    let accepted: Vec<&Seen> = seen.iter().filter(|s| s.replied == Some(200)).collect();
    assert_eq!(accepted.len(), 1, "one accepted delivery");
    for attempt in seen.iter() {
        assert_eq!(attempt.verified, Ok(()));
        assert_eq!(attempt.event.as_deref(), Some("alert"));
        assert_eq!(attempt.delivery.as_deref(), Some(delivery.id.as_str()));
        assert_eq!(attempt.content_type.as_deref(), Some("application/json"));
    }
    let payload: serde_json::Value = serde_json::from_slice(&accepted[0].body).unwrap();
    assert_eq!(payload["event"], "alert");
    assert_eq!(payload["alert"]["workspace"], "Acme");
    assert_eq!(payload["alert"]["kind"], "volume");
    assert_eq!(payload["alert"]["crisis_suggested"], true);
    let text = payload["alert"]["samples"][0]["text"].as_str().unwrap();
    assert_eq!(
        text,
        "Terrible service Bcc: victim@example.org . QUIT <script>alert('x')</script> gnp.exe end"
    );
    let raw = String::from_utf8(accepted[0].body.to_vec()).unwrap();
    assert!(!raw.contains(['<', '>', '\u{202E}']), "{raw}");
}

#[tokio::test]
async fn webhook_gives_up_at_once_on_a_400() {
    let (url, seen) = receiver(SECRET, &[Reply::Status(400), Reply::Status(200)]).await;
    let client = WebhookClient::new(fast_policy(), &local()).unwrap();
    let err = client.deliver_alert(&url, SECRET, &alert()).await.unwrap_err();
    assert_eq!(err, WebhookError::Rejected { status: 400, attempts: 1 });
    assert!(err.to_string().contains("400"));
    assert_eq!(seen.lock().unwrap().len(), 1, "not retried");
}

#[tokio::test]
async fn webhook_signed_with_another_secret_is_refused_by_the_receiver() {
    let (url, seen) = receiver(b"the receiver's secret", &[]).await;
    let client = WebhookClient::new(fast_policy(), &local()).unwrap();
    let err = client.deliver_alert(&url, SECRET, &alert()).await.unwrap_err();
    assert_eq!(err, WebhookError::Rejected { status: 401, attempts: 1 });
    assert_eq!(seen.lock().unwrap()[0].verified, Err(VerifyError::Mismatch));
}

#[tokio::test]
async fn webhook_honours_retry_after() {
    // A 429 asking to wait 0 seconds: retried.
    let (url, seen) = receiver(SECRET, &[Reply::RetryAfter(429, "0")]).await;
    let client = WebhookClient::new(fast_policy(), &local()).unwrap();
    let delivery = client.deliver(&url, SECRET, b"{}").await.unwrap();
    assert_eq!(delivery.attempts, 2);
    assert_eq!(seen.lock().unwrap().len(), 2);

    // A 503 asking to wait an hour: the delivery gives up now and says how long to wait.
    let (url, seen) = receiver(SECRET, &[Reply::RetryAfter(503, "3600")]).await;
    let err = client.deliver(&url, SECRET, b"{}").await.unwrap_err();
    assert_eq!(
        err,
        WebhookError::GaveUp {
            attempts: 1,
            last: "status 503".into(),
            retry_after: Some(Duration::from_secs(3600)),
        }
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn webhook_gives_up_after_the_last_attempt() {
    let script = [Reply::Status(500), Reply::Status(502), Reply::Status(503), Reply::Status(200)];
    let (url, seen) = receiver(SECRET, &script).await;
    let client = WebhookClient::new(fast_policy(), &local()).unwrap();
    let err = client.deliver(&url, SECRET, b"{}").await.unwrap_err();
    assert_eq!(err, WebhookError::GaveUp { attempts: 3, last: "status 503".into(), retry_after: None });
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn webhook_retries_after_a_timeout() {
    let (url, seen) = receiver(SECRET, &[Reply::Hang, Reply::Status(204)]).await;
    let policy = RetryPolicy { timeout: Duration::from_secs(2), ..fast_policy() };
    let client = WebhookClient::new(policy, &local()).unwrap();
    let delivery = client.deliver(&url, SECRET, b"{}").await.unwrap();
    assert_eq!((delivery.attempts, delivery.status), (2, 204));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].replied, None);
}

#[tokio::test]
async fn webhook_retries_when_nobody_listens() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    let client = WebhookClient::new(fast_policy(), &local()).unwrap();
    match client.deliver(&url, SECRET, b"{}").await.unwrap_err() {
        WebhookError::GaveUp { attempts: 3, last, retry_after: None } => {
            assert!(last.starts_with("connection failed"), "{last}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn webhook_to_a_local_receiver_is_refused_unless_the_operator_allows_it() {
    let (url, seen) = receiver(SECRET, &[]).await;
    let strict = WebhookClient::new(fast_policy(), &tutti_outbound::Outbound::strict()).unwrap();
    let err = strict.deliver(&url, SECRET, b"{}").await.unwrap_err();
    assert!(matches!(&err, WebhookError::Refused(why) if why.contains("loopback")), "{err:?}");
    let by_name = url.replace("127.0.0.1", "localhost");
    let err = strict.deliver(&by_name, SECRET, b"{}").await.unwrap_err();
    assert!(matches!(&err, WebhookError::Refused(why) if why.contains("resolves to")), "{err:?}");
    assert!(seen.lock().unwrap().is_empty(), "nothing reached the receiver");
    let allowed = tutti_outbound::Outbound::allowing([tutti_outbound::Allowance::of_url(&url).unwrap()]);
    let client = WebhookClient::new(fast_policy(), &allowed).unwrap();
    assert_eq!(client.deliver(&url, SECRET, b"{}").await.unwrap().attempts, 1);
}

// ---------------------------------------------------------------------------------------------
// E-mail

/// What the sink received in one transaction.
#[derive(Debug, Default)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

/// A tiny SMTP server: enough of RFC 5321 for one client on the loopback. Recipients whose
/// address contains `unknown` are refused with 550. Each message is sent on the channel when
/// its DATA ends.
async fn smtp_sink() -> (u16, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
                let mut current = Received::default();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 sink.test\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        current = Received { mail_from: line[10..].trim().to_owned(), ..Received::default() };
                        b"250 OK\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        let address = line[8..].trim().to_owned();
                        if address.contains("unknown") {
                            b"550 No such user\r\n"
                        } else {
                            current.rcpt_to.push(address);
                            b"250 OK\r\n"
                        }
                    } else if upper == "DATA" {
                        write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            // Undo dot-stuffing.
                            let line = line.strip_prefix('.').unwrap_or(&line);
                            data.push_str(line);
                            data.push('\n');
                        }
                        current.data = data;
                        let _ = tx.send(std::mem::take(&mut current));
                        b"250 OK queued\r\n"
                    } else if upper == "QUIT" {
                        let _ = write.write_all(b"221 Bye\r\n").await;
                        return;
                    } else if upper == "RSET" || upper == "NOOP" {
                        b"250 OK\r\n"
                    } else {
                        b"502 Command not implemented\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, rx)
}

fn sink_settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        from: "Tutti <alerts@tutti.example.org>".into(),
    }
}

/// The headers (unfolded, names in lower case) and the raw body of a message.
fn split_message(data: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = data.split_once("\n\n").unwrap();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            headers.last_mut().unwrap().1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    (headers, body.to_owned())
}

fn get<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); white space between
/// two encoded words is dropped.
fn decode_header(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let between = &rest[..start];
        if !(after_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        let word = &rest[start + 2..];
        let mut parts = word.splitn(3, '?');
        let (_charset, encoding, tail) =
            (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let end = tail.find("?=").unwrap();
        let text = &tail[..end];
        let bytes = if encoding.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD.decode(text).unwrap()
        } else {
            decode_quoted_printable(&text.replace('_', " "))
        };
        out.push_str(&String::from_utf8(bytes).unwrap());
        rest = &tail[end + 2..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn decode_body(headers: &[(String, String)], body: &str) -> String {
    let encoding = get(headers, "content-transfer-encoding").unwrap_or("7bit").to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .unwrap(),
        "quoted-printable" => decode_quoted_printable(body),
        _ => body.as_bytes().to_vec(),
    };
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn alert_email_reaches_the_recipients_in_english_and_french() {
    let (port, mut inbox) = smtp_sink().await;
    let to = vec!["ops@acme.example".to_string(), "Camille <camille@acme.example>".to_string()];
    for lang in [Lang::En, Lang::Fr] {
        let alert = alert();
        mail::send_alert(&sink_settings(port), &to, &alert, lang).await.unwrap();
        let received = inbox.recv().await.unwrap();
        assert_eq!(received.mail_from, "<alerts@tutti.example.org>");
        assert_eq!(received.rcpt_to, ["<ops@acme.example>", "<camille@acme.example>"]);

        let (headers, body) = split_message(&received.data);
        let expected = alert.email(lang);
        assert_eq!(decode_header(get(&headers, "subject").unwrap()), expected.subject);
        assert_eq!(decode_body(&headers, &body).trim_end(), expected.body.trim_end());
        assert_eq!(get(&headers, "content-type"), Some("text/plain; charset=utf-8"));
        let shown_to = get(&headers, "to").unwrap();
        assert!(shown_to.contains("ops@acme.example") && shown_to.contains("camille@acme.example"));
        assert!(decode_header(get(&headers, "from").unwrap()).contains("alerts@tutti.example.org"));

        let subject = decode_header(get(&headers, "subject").unwrap());
        match lang {
            Lang::En => {
                assert_eq!(subject, "[Tutti · Acme] Possible crisis: Mention spike: \"Acme brand\" (142 mentions, usually 12)");
                assert!(expected.body.contains("Sample mentions:\n1. mallory.example: Terrible service"));
            }
            Lang::Fr => {
                assert_eq!(subject, "[Tutti · Acme] Crise possible\u{a0}: Pic de mentions\u{a0}: «\u{a0}Acme brand\u{a0}» (142 mentions, 12 d’habitude)");
                assert!(expected
                    .body
                    .contains("Exemples de mentions\u{a0}:\n1. mallory.example\u{a0}: Terrible service"));
            }
        }

        // The hostile sample arrived inert: no extra header or recipient, no early end of
        // DATA, no bidi control, and its markup is one line of plain text.
        assert!(get(&headers, "bcc").is_none());
        assert!(!received.rcpt_to.iter().any(|r| r.contains("victim")));
        let text = decode_body(&headers, &body);
        assert!(!text.chars().any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')));
        let hostile: Vec<&str> = text.lines().filter(|l| l.contains("Terrible service")).collect();
        assert_eq!(
            hostile,
            ["1. mallory.example".to_owned()
                + if lang == Lang::Fr { "\u{a0}: " } else { ": " }
                + "Terrible service Bcc: victim@example.org . QUIT <script>alert('x')</script> gnp.exe end"]
        );
        assert!(!text.lines().any(|l| l == "." || l.starts_with("Bcc") || l == "QUIT"));
        assert!(!received.data.to_ascii_lowercase().contains("text/html"));
    }
}

#[tokio::test]
async fn plain_send_and_header_injection_in_the_subject() {
    let (port, mut inbox) = smtp_sink().await;
    let to = vec!["ops@acme.example".to_string()];
    mail::send(&sink_settings(port), &to, "Hello\r\nBcc: victim@example.org", "Line one\nLine two\n")
        .await
        .unwrap();
    let received = inbox.recv().await.unwrap();
    assert_eq!(received.rcpt_to, ["<ops@acme.example>"]);
    let (headers, body) = split_message(&received.data);
    assert_eq!(decode_header(get(&headers, "subject").unwrap()), "Hello Bcc: victim@example.org");
    assert!(get(&headers, "bcc").is_none());
    assert_eq!(decode_body(&headers, &body).trim_end(), "Line one\nLine two");
}

#[tokio::test]
async fn invalid_addresses_are_refused_before_connecting() {
    // Nothing listens on this port: an error naming a field proves nothing was sent.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let to = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases = [
        (sink_settings(port), to(&["a@acme.example", "b@acme.example", "c at acme"]), "recipients[2]"),
        (SmtpSettings { from: "tutti".into(), ..sink_settings(port) }, to(&["a@acme.example"]), "smtp.from"),
        (sink_settings(port), to(&[]), "recipients"),
    ];
    for (settings, to, field) in cases {
        match mail::send(&settings, &to, "s", "b").await {
            Err(MailError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    // And a valid e-mail to that port is a transport error.
    let err = mail::send(&sink_settings(port), &to(&["a@acme.example"]), "s", "b").await.unwrap_err();
    assert!(matches!(err, MailError::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn a_recipient_refused_by_the_server_is_a_transport_error() {
    let (port, _inbox) = smtp_sink().await;
    let to = vec!["ops@acme.example".to_string(), "unknown@acme.example".to_string()];
    let err = mail::send(&sink_settings(port), &to, "s", "b").await.unwrap_err();
    match err {
        MailError::Transport(message) => {
            assert!(message.contains("550") || message.contains("No such user"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}
