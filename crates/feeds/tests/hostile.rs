//! Hostile feeds: nesting a hundred thousand deep, in the XML and in the HTML of an entry;
//! entities that would expand; JSON Feed nested deep. Each is read or refused cleanly, with
//! bounded output, on a thread with a small stack.

use tutti_feeds::{new_items, FeedCursor, MAX_TEXT_CHARS};

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(512 * 1024).spawn(f).unwrap().join().unwrap()
}

fn rss_with(description: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><link>https://blog.example.fr</link><description>d</description><item><guid>1</guid><title>Titre</title><link>https://blog.example.fr/1</link><description>{description}</description></item></channel></rss>"#
    )
}

fn read(feed: String) -> Result<Vec<tutti_feeds::FeedItem>, String> {
    on_small_stack(move || new_items(feed.as_bytes(), &mut FeedCursor::default()).map_err(|e| e.to_string()))
}

#[test]
fn xml_elements_nested_a_hundred_thousand_deep_are_refused_cleanly() {
    let deep = format!("{}x{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let inside_item = read(rss_with(&deep));
    assert!(inside_item.as_ref().is_err_and(|e| e.contains("nested deeper than 128")), "{inside_item:?}");
    let outside = read(format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>{deep}</channel></rss>"#
    ));
    assert!(outside.is_err(), "{outside:?}");
    let atom = read(format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:x</id><entry><id>urn:1</id><title>t</title><content type="xhtml">{deep}</content></entry></feed>"#
    ));
    assert!(atom.is_err(), "{atom:?}");
}

#[test]
fn html_nested_a_hundred_thousand_deep_in_an_entry_becomes_bounded_plain_text() {
    let escaped = format!("{}x{}", "&lt;div&gt;".repeat(100_000), "&lt;/div&gt;".repeat(100_000));
    let cdata = format!("<![CDATA[{}x{}]]>", "<b>".repeat(100_000), "</b>".repeat(100_000));
    for description in [escaped, cdata] {
        let items = read(rss_with(&description)).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].text, "x");
    }
}

#[test]
fn entities_do_not_expand() {
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>"#;
    let feed = rss_with("&lol9;").replacen(r#"<?xml version="1.0"?>"#, laughs, 1);
    match read(feed) {
        Err(_) => {}
        Ok(items) => assert!(items.iter().all(|i| i.text.chars().count() <= MAX_TEXT_CHARS + 1)),
    }
}

#[test]
fn a_json_feed_nested_a_hundred_thousand_deep_is_refused_cleanly() {
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let feed = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{{"id":"1","content_text":"x","extra":{deep}}}]}}"#
    );
    let typed = format!(r#"{{"version":"https://jsonfeed.org/version/1.1","title":"t","items":{deep}}}"#);
    assert!(read(typed).is_err());
    let _ = read(feed);
}

/// Found by `feed-document`: an entry with neither an id nor a link got a random id from the
/// feed reader, so every poll delivered it again.
#[test]
fn regression_an_entry_without_id_or_link_is_delivered_once() {
    let feeds = [
        r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"content_html":"<p>Bonjour</p>"}]}"#.to_owned(),
        rss_with("Sans lien").replace("<guid>1</guid>", "").replace("<link>https://blog.example.fr/1</link>", ""),
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><title>Sans id</title><summary>Texte</summary></entry></feed>"#.to_owned(),
    ];
    for feed in feeds {
        let mut cursor = FeedCursor::default();
        let first = new_items(feed.as_bytes(), &mut cursor).unwrap();
        assert_eq!(first.len(), 1, "{feed}");
        assert!(first[0].id.starts_with("text:"), "{:?}", first[0].id);
        let again = FeedCursor::from_json(&cursor.to_json());
        let mut again = again;
        assert!(new_items(feed.as_bytes(), &mut again).unwrap().is_empty(), "{feed}");
    }
}
