//! Unit tests of the publishing connector's pure parts: the checks made before any request,
//! the reading of recorded answers, rate limits and the sorting of errors.

use reqwest::header::HeaderValue;
use tutti_connector::{Connector, Network};

use super::*;

/// The recorded exchanges (Mastodon.py's cassettes; see `tests/data/README.md`).
const RECORDED: &str = include_str!("../../tests/data/publishing.json");

fn recorded(name: &str) -> Value {
    let all: Value = serde_json::from_str(RECORDED).unwrap();
    all[name]["response"]["body"].clone()
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

fn image(bytes: usize) -> NewMedia {
    NewMedia {
        bytes: vec![1; bytes],
        mime_type: "image/png".into(),
        description: "a cat".into(),
        file_name: None,
    }
}

fn poll(options: &[&str], secs: u64) -> NewPoll {
    NewPoll {
        options: options.iter().map(|o| o.to_string()).collect(),
        expires_in: Duration::from_secs(secs),
        multiple: false,
        hide_totals: false,
    }
}

fn refusal(post: &NewStatus) -> String {
    match check_status(post, &InstanceLimits::default()) {
        Err(ConnectorError::Permanent(why)) => why,
        other => panic!("expected a permanent refusal of {post:?}, got {other:?}"),
    }
}

#[test]
fn the_recorded_instance_gives_its_limits() {
    let instance = parse_instance(&recorded("instance"), "fallback.example");
    assert_eq!(instance.domain, "localhost:3000");
    assert_eq!(instance.version, "4.7.3");
    let limits = instance.limits;
    assert_eq!(limits.max_characters, 500);
    assert_eq!(limits.max_media_attachments, 4);
    assert_eq!(limits.characters_reserved_per_url, 23);
    assert_eq!(limits.image_size_limit, 16_777_216);
    assert_eq!(limits.video_size_limit, 103_809_024);
    assert_eq!(limits.description_limit, 10_000);
    assert!(limits.supported_mime_types.iter().any(|t| t == "image/webp"));
    assert_eq!(limits.poll_max_options, 4);
    assert_eq!(limits.poll_max_characters_per_option, 50);
    assert_eq!(limits.poll_min_expiration, Duration::from_secs(300));
    assert_eq!(limits.poll_max_expiration, Duration::from_secs(2_629_746));

    // A server that says nothing gets Mastodon's defaults and the host as its domain.
    let bare = parse_instance(&json!({ "uri": "https://not/a/domain" }), "social.example");
    assert_eq!(bare.domain, "social.example");
    assert_eq!(bare.limits, InstanceLimits::default());
    let v1 = parse_instance(
        &json!({ "uri": "old.example", "configuration": { "statuses": { "max_characters": 5000 } } }),
        "x",
    );
    assert_eq!((v1.domain.as_str(), v1.limits.max_characters), ("old.example", 5000));
}

#[test]
fn statuses_the_instance_would_refuse_are_refused_with_the_limit_named() {
    assert!(check_status(&NewStatus::new("Toot!"), &InstanceLimits::default()).is_ok());
    let at_limit = NewStatus::new("a".repeat(500));
    assert!(check_status(&at_limit, &InstanceLimits::default()).is_ok());
    // Links are cheap: 20 links of 100 characters count 20 × 23 + 19 spaces = 479.
    let links = (0..20).map(|i| format!("https://example.com/{i}/{}", "x".repeat(80))).collect::<Vec<_>>();
    assert!(check_status(&NewStatus::new(links.join(" ")), &InstanceLimits::default()).is_ok());

    let cases: Vec<(NewStatus, &str)> = vec![
        (NewStatus::new("a".repeat(501)), "501 characters long"),
        (NewStatus::new("a".repeat(501)), "at most 500 characters"),
        (NewStatus { spoiler_text: Some("cw".into()), ..NewStatus::new("a".repeat(499)) }, "501 characters"),
        (NewStatus::new("  "), "needs text or media"),
        (NewStatus { poll: Some(poll(&["a", "b"], 300)), ..NewStatus::new("") }, "needs text or media"),
        (NewStatus { language: Some("en US".into()), ..NewStatus::new("hi") }, "language code"),
        (
            NewStatus { media: vec![image(10); 5], ..NewStatus::new("hi") },
            "5 media attachments; this instance allows at most 4",
        ),
        (
            NewStatus { media: vec![image(10)], poll: Some(poll(&["a", "b"], 300)), ..NewStatus::new("hi") },
            "both media attachments and a poll",
        ),
        (NewStatus { media: vec![image(0)], ..NewStatus::new("hi") }, "media attachment 1 is empty"),
        (
            NewStatus {
                media: vec![NewMedia { mime_type: "png".into(), ..image(10) }],
                ..NewStatus::new("hi")
            },
            "no valid media type",
        ),
        (
            NewStatus { media: vec![image(10), image(16 * 1024 * 1024 + 1)], ..NewStatus::new("") },
            "media attachment 2 is 16777217 bytes",
        ),
        (
            NewStatus {
                media: vec![image(10), NewMedia { mime_type: "video/mp4".into(), ..image(10) }],
                ..NewStatus::new("hi")
            },
            "only media attachment",
        ),
        (
            NewStatus {
                media: vec![NewMedia { description: "é".repeat(1_501), ..image(10) }],
                ..NewStatus::new("hi")
            },
            "1501 characters long; this instance allows at most 1500",
        ),
        (
            NewStatus { poll: Some(poll(&["only"], 300)), ..NewStatus::new("hi") },
            "1 choices; this instance allows 2 to 4",
        ),
        (
            NewStatus { poll: Some(poll(&["a", "b", "c", "d", "e"], 300)), ..NewStatus::new("hi") },
            "5 choices",
        ),
        (
            NewStatus { poll: Some(poll(&["a", &"b".repeat(51)], 300)), ..NewStatus::new("hi") },
            "poll choice 2 is 51 characters",
        ),
        (NewStatus { poll: Some(poll(&["a", " "], 300)), ..NewStatus::new("hi") }, "poll choice 2"),
        (NewStatus { poll: Some(poll(&["a", "a"], 300)), ..NewStatus::new("hi") }, "repeats an earlier one"),
        (
            NewStatus { poll: Some(poll(&["a", "b"], 60)), ..NewStatus::new("hi") },
            "open for 60 s; this instance allows 300 s",
        ),
    ];
    for (post, expected) in cases {
        let why = refusal(&post);
        assert!(why.contains(expected), "{why:?} should mention {expected:?}");
    }

    // Limits come from the instance: a longer limit, unknown media types.
    let limits = InstanceLimits {
        max_characters: 5_000,
        supported_mime_types: vec!["image/png".into()],
        ..InstanceLimits::default()
    };
    assert!(check_status(&NewStatus::new("a".repeat(4_999)), &limits).is_ok());
    let gif = NewStatus {
        media: vec![NewMedia { mime_type: "image/gif".into(), ..image(10) }],
        ..NewStatus::new("")
    };
    assert!(
        matches!(check_status(&gif, &limits), Err(ConnectorError::Permanent(why)) if why.contains("image/gif"))
    );
}

#[test]
fn idempotency_keys_must_fit_in_a_header() {
    assert!(check_idempotency_key("0b9e6d0c-5a5e-4c1e-9d8e-3f0a1b2c3d4e").is_ok());
    for bad in ["", "with space", "line\nbreak", "é", &"k".repeat(201)] {
        assert!(matches!(check_idempotency_key(bad), Err(ConnectorError::Permanent(_))), "{bad:?}");
    }
}

#[test]
fn rate_limit_headers_are_read_as_mastodon_writes_them() {
    // From a recorded answer.
    let recorded = headers(&[
        ("x-ratelimit-limit", "300"),
        ("x-ratelimit-remaining", "213"),
        ("x-ratelimit-reset", "2026-10-14T21:00:00.319637Z"),
    ]);
    let reset = DateTime::parse_from_rfc3339("2026-10-14T21:00:00Z").unwrap().timestamp();
    assert_eq!(
        rate_limit_from_headers(&recorded),
        Some(RateLimit { limit: Some(300), remaining: Some(213), reset_at_unix: Some(reset) })
    );
    assert_eq!(rate_limit_from_headers(&HeaderMap::new()), None);
    assert_eq!(
        rate_limit_from_headers(&headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "soon")])),
        Some(RateLimit { limit: None, remaining: Some(0), reset_at_unix: None })
    );
}

#[test]
fn refusals_are_sorted_by_what_the_caller_does() {
    let now = DateTime::parse_from_rfc3339("2026-10-14T20:55:00Z").unwrap().with_timezone(&Utc);
    let none = HeaderMap::new();
    let invalid_token = headers(&[(
        "www-authenticate",
        "Bearer realm=\"Doorkeeper\", error=\"invalid_token\", error_description=\"The access token is invalid\"",
    )]);
    let scope = headers(&[("www-authenticate", "Bearer realm=\"Doorkeeper\", error=\"insufficient_scope\"")]);
    let cases: Vec<(u16, HeaderMap, Option<&str>, ConnectorError)> = vec![
        (
            401,
            invalid_token.clone(),
            Some("The access token is invalid"),
            ConnectorError::Unauthorized("The access token is invalid".into()),
        ),
        (401, none.clone(), None, ConnectorError::Unauthorized("HTTP 401".into())),
        (
            403,
            scope.clone(),
            Some("This action is outside the authorized scopes"),
            ConnectorError::Unauthorized("This action is outside the authorized scopes".into()),
        ),
        (
            403,
            none.clone(),
            Some("This action is not allowed"),
            ConnectorError::Permanent("This action is not allowed".into()),
        ),
        (
            422,
            none.clone(),
            Some("Gültigkeitsprüfung ist fehlgeschlagen: Text Begrenzung von 500 Zeichen überschritten"),
            ConnectorError::Permanent(
                "Gültigkeitsprüfung ist fehlgeschlagen: Text Begrenzung von 500 Zeichen überschritten".into(),
            ),
        ),
        (404, none.clone(), Some("Record not found"), ConnectorError::Permanent("Record not found".into())),
        (500, none.clone(), None, ConnectorError::Transient("HTTP 500: HTTP 500".into())),
        (
            503,
            none.clone(),
            Some("There was a temporary problem serving your request, please try again"),
            ConnectorError::Transient(
                "HTTP 503: There was a temporary problem serving your request, please try again".into(),
            ),
        ),
        (
            429,
            headers(&[("retry-after", "1")]),
            Some("Too many requests"),
            ConnectorError::RateLimited { retry_after_secs: 1 },
        ),
        // The reset as Mastodon writes it: 300.39 s away, rounded up.
        (
            429,
            headers(&[("x-ratelimit-reset", "2026-10-14T21:00:00.390842Z")]),
            None,
            ConnectorError::RateLimited { retry_after_secs: 301 },
        ),
        (429, none.clone(), None, ConnectorError::RateLimited { retry_after_secs: DEFAULT_RETRY_AFTER_SECS }),
        (429, headers(&[("retry-after", "0")]), None, ConnectorError::RateLimited { retry_after_secs: 1 }),
    ];
    for (status, headers, message, expected) in cases {
        assert_eq!(classify(status, &headers, message, now), expected, "{status} {message:?}");
    }
    // The instance's message is kept to one bounded line.
    let long = format!("line one\nline two {}", "x".repeat(2_000));
    let ConnectorError::Permanent(text) = classify(422, &none, Some(&long), now) else { panic!() };
    assert!(text.starts_with("line one line two") && text.len() <= MAX_MESSAGE_BYTES);
}

#[test]
fn recorded_statuses_and_notifications_are_read() {
    let created = published(&recorded("status_created"), "test").unwrap();
    assert_eq!(created.id.as_str(), "117440831243989713");
    assert_eq!(created.uri, "http://localhost:3000/ap/users/117440810532227399/statuses/117440831243989713");
    assert_eq!(created.url.as_deref(), Some("http://localhost:3000/@mastodonpy_test/117440831243989713"));
    assert!(published(&recorded("media_accepted"), "test").is_err());

    let mention = recorded("notifications_mention").as_array().unwrap()[0].clone();
    let n = parse_notification(mention, "localhost:3000").unwrap();
    assert_eq!(n.id, "20");
    assert_eq!(n.kind, NotificationKind::Mention);
    assert_eq!(n.account, "admin@localhost:3000");
    assert!(!n.direct);
    assert!(n.account_since.is_some(), "the recorded account says when it was created");
    let status = n.status.unwrap();
    assert_eq!(status.id.as_str(), "117440821662233205");
    assert_eq!(status.text, "@mastodonpy_test hello!");

    // The same mention written privately, by an account opened that day.
    let mut private = recorded("notifications_mention").as_array().unwrap()[0].clone();
    private["status"]["visibility"] = json!("direct");
    private["account"]["created_at"] = json!("2026-11-23T00:00:00.000Z");
    let n = parse_notification(private, "localhost:3000").unwrap();
    assert!(n.direct);
    assert_eq!(n.account_since.map(|t| t.to_rfc3339()).as_deref(), Some("2026-11-23T00:00:00+00:00"));

    let kinds: Vec<_> = recorded("notifications_follow")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| parse_notification(v.clone(), "localhost:3000").unwrap().kind)
        .collect();
    assert_eq!(kinds[0], NotificationKind::Follow);
    assert_eq!(kinds[1], NotificationKind::Other("admin.sign_up".into()));
    for (api, kind) in [
        ("favourite", NotificationKind::Favourite),
        ("reblog", NotificationKind::Reblog),
        ("mention", NotificationKind::Mention),
        ("follow", NotificationKind::Follow),
        ("poll", NotificationKind::Other("poll".into())),
    ] {
        assert_eq!(NotificationKind::from_api(api), kind);
    }
    assert!(parse_notification(json!({ "id": "../x", "type": "follow" }), "d").is_none());
}

#[test]
fn texts_are_compared_as_mastodon_shows_them() {
    assert_eq!(comparable("  Hello @alice@example.social,\n\nsee   you "), "Hello @alice, see you");
    assert_eq!(id_order("99", "100"), std::cmp::Ordering::Less);
    assert_eq!(id_order("117440821662233205", "117440821662233204"), std::cmp::Ordering::Greater);
}

#[test]
fn the_client_hides_its_token_and_refuses_bad_addresses() {
    let client =
        MastodonClient::new("https://social.example/prefix", "s3cret-token", &Default::default()).unwrap();
    assert_eq!(client.instance_url(), "https://social.example/prefix/");
    assert_eq!(client.endpoint("api/v1/statuses").as_str(), "https://social.example/prefix/api/v1/statuses");
    assert!(!format!("{client:?}").contains("s3cret"));
    assert_eq!(client.network(), Network::Mastodon);
    for url in ["social.example", "ftp://social.example", "https://user:pw@social.example", ""] {
        assert!(
            matches!(MastodonClient::new(url, "t", &Default::default()), Err(ConnectorError::Permanent(_))),
            "{url}"
        );
    }
    assert!(matches!(
        MastodonClient::new("https://social.example", " ", &Default::default()),
        Err(ConnectorError::Unauthorized(_))
    ));
    let media = image(3);
    assert!(!format!("{media:?}").contains("[1, 1, 1]"));
}
