//! Tests of the address policy: the classifier, allowances and the checks.

use super::*;
use url::Url;

#[test]
fn addresses_are_classified() {
    use Reserved::*;
    let cases: &[(&str, Option<Reserved>)] = &[
        ("93.184.215.14", None),
        ("1.1.1.1", None),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("2a00:1450:4007:80c::200e", None),
        ("0.0.0.0", Some(Unspecified)),
        ("0.1.2.3", Some(ThisNetwork)),
        ("127.0.0.1", Some(Loopback)),
        ("127.255.255.254", Some(Loopback)),
        ("10.0.0.1", Some(Private)),
        ("172.16.0.1", Some(Private)),
        ("172.31.255.255", Some(Private)),
        ("172.32.0.1", None),
        ("192.168.1.10", Some(Private)),
        ("100.64.0.1", Some(SharedAddressSpace)),
        ("100.127.255.255", Some(SharedAddressSpace)),
        ("100.128.0.1", None),
        ("169.254.169.254", Some(Metadata)),
        ("169.254.170.2", Some(Metadata)),
        ("169.254.1.1", Some(LinkLocal)),
        ("168.63.129.16", Some(Metadata)),
        ("100.100.100.200", Some(Metadata)),
        ("192.0.0.192", Some(Metadata)),
        ("192.0.0.8", Some(ProtocolAssignment)),
        ("192.0.2.1", Some(Documentation)),
        ("198.51.100.7", Some(Documentation)),
        ("203.0.113.9", Some(Documentation)),
        ("198.18.0.1", Some(Benchmarking)),
        ("198.19.255.255", Some(Benchmarking)),
        ("192.88.99.1", Some(Reserved::Other)),
        ("224.0.0.1", Some(Multicast)),
        ("239.255.255.250", Some(Multicast)),
        ("240.0.0.1", Some(Reserved::Other)),
        ("255.255.255.255", Some(Broadcast)),
        ("::", Some(Unspecified)),
        ("::1", Some(Loopback)),
        ("::ffff:127.0.0.1", Some(Loopback)),
        ("::ffff:169.254.169.254", Some(Metadata)),
        ("::ffff:10.1.2.3", Some(Private)),
        ("::ffff:93.184.215.14", None),
        ("::127.0.0.1", Some(Loopback)),
        ("::93.184.215.14", Some(Reserved::Other)),
        ("64:ff9b::7f00:1", Some(Loopback)),
        ("64:ff9b::a9fe:a9fe", Some(Metadata)),
        ("64:ff9b::5db8:d70e", None),
        ("64:ff9b:1::1", Some(Private)),
        ("2002:7f00:1::1", Some(Loopback)),
        ("2002:a00:1::1", Some(Private)),
        ("2002:5db8:d70e::1", None),
        ("100::1", Some(Reserved::Other)),
        ("2001:db8::1", Some(Documentation)),
        ("3fff::1", Some(Documentation)),
        ("2001:2::1", Some(Benchmarking)),
        ("2001::1", Some(ProtocolAssignment)),
        ("fc00::1", Some(UniqueLocal)),
        ("fd12:3456::1", Some(UniqueLocal)),
        ("fd00:ec2::254", Some(Metadata)),
        ("fe80::1", Some(LinkLocal)),
        ("febf::1", Some(LinkLocal)),
        ("fec0::1", Some(Reserved::Other)),
        ("ff02::1", Some(Multicast)),
        ("4000::1", Some(Reserved::Other)),
    ];
    for (ip, expected) in cases {
        assert_eq!(classify(ip.parse().unwrap()), *expected, "{ip}");
    }
}

/// The URL parser turns the odd spellings of an IPv4 address into the address itself, so the
/// check sees what the connection would reach.
#[tokio::test]
async fn odd_spellings_of_loopback_are_refused_before_sending() {
    let policy = Outbound::strict();
    for url in [
        "http://127.0.0.1/",
        "http://127.1/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.0.0.1/",
        "http://0x7f000001/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://0.0.0.0:8080/",
        "http://0/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "https://10.0.0.1/",
        "http://[fe80::1%25eth0]/",
    ] {
        let Ok(parsed) = Url::parse(url) else {
            // A spelling the parser refuses cannot be requested either.
            continue;
        };
        let refused = policy.check(&parsed).await.unwrap_err();
        assert!(matches!(refused, Refused::Address { .. }), "{url}: {refused}");
    }
    assert!(policy.check(&Url::parse("https://93.184.215.14/").unwrap()).await.is_ok());
    assert!(policy.check(&Url::parse("https://social.example/").unwrap()).await.is_ok());
}

#[tokio::test]
async fn only_web_urls_are_checked_in() {
    let policy = Outbound::strict();
    for url in ["ftp://example.org/x", "file:///etc/passwd", "gopher://127.0.0.1:11211/", "not a url"] {
        assert!(matches!(policy.check_saved(url).await, Err(Refused::Invalid(_))), "{url}");
    }
    for url in ["http://localhost:8080/hook", "http://127.0.0.1:3000/", "http://169.254.169.254/"] {
        assert!(policy.check_saved(url).await.is_err(), "{url}");
    }
    // A name that does not resolve (offline) is accepted when saved, and checked when called.
    assert!(policy.check_saved("https://hooks.example/x").await.is_ok());
}

#[test]
fn allowances_are_read_as_the_operator_writes_them() {
    let list =
        Outbound::parse_list(" mastodon.lan , 192.168.1.20:8443,[fd00::5]:443, ::1,Feeds.Lan.:80").unwrap();
    let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
    assert_eq!(shown, ["mastodon.lan", "192.168.1.20:8443", "[fd00::5]:443", "::1", "feeds.lan:80"]);
    for bad in ["http://x", "host:0", "host:99999", "[::1", "a b", "x:y"] {
        assert!(bad.parse::<Allowance>().is_err(), "{bad}");
    }
    assert_eq!(Allowance::of_url("http://127.0.0.1:4000/x").unwrap().to_string(), "127.0.0.1:4000");
    assert_eq!(Allowance::of_url("https://pds.lan/").unwrap().to_string(), "pds.lan:443");
}

#[tokio::test]
async fn allowances_open_their_host_and_port_only() {
    let policy = Outbound::allowing(Outbound::parse_list("192.168.1.20:8443,10.0.0.7,[fd00::5]").unwrap());
    let ok = |u: &str| Url::parse(u).unwrap();
    assert!(policy.check(&ok("https://192.168.1.20:8443/api")).await.is_ok());
    assert!(policy.check(&ok("https://192.168.1.20/api")).await.is_err(), "another port");
    assert!(policy.check(&ok("http://10.0.0.7:22/")).await.is_ok(), "any port");
    assert!(policy.check(&ok("http://[fd00::5]:80/")).await.is_ok());
    assert!(policy.check(&ok("http://10.0.0.8/")).await.is_err());
    // A strict policy is not changed by the allowances of another.
    assert!(Outbound::strict().check(&ok("http://10.0.0.7/")).await.is_err());
}
