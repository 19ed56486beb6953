//! Fuzz targets for feeds: RSS, Atom and JSON Feed documents as a hostile server sends them,
//! the HTML of their entries, and the cursor stored between polls. See `tutti-fuzz`:
//!
//! ```text
//! TUTTI_FUZZ_SECONDS=600 cargo test --release -p tutti-feeds --test fuzz -- --test-threads=1 --nocapture
//! ```

use tutti_feeds::{new_items, plain_text, FeedCursor, FeedError, MAX_TEXT_CHARS, REMEMBERED_IDS};
use tutti_fuzz::proptest::prelude::*;
use tutti_fuzz::{fuzz, mutated, nested};

const RSS: &str = r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Blog</title><link>https://blog.example.fr</link><description>d</description><item><guid>1</guid><title>Titre &amp; co</title><link>https://blog.example.fr/1</link><description>&lt;p&gt;Texte de &lt;b&gt;1&lt;/b&gt;&lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;</description><dc:creator>Zoé</dc:creator><pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item><item><guid isPermaLink="false">2</guid><title><![CDATA[<i>Deux</i>]]></title><description>&#8203;Deux</description></item></channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Actus</title><id>urn:x</id><updated>2026-11-20T10:00:00Z</updated>
<entry><id>urn:1</id><title type="html">Lancement &amp;amp; avis</title><link href="https://news.example.com/1"/><updated>2026-11-20T10:00:00Z</updated><author><name>Zoé</name></author><summary>Très bon produit</summary><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Un <b>vrai</b> texte</p></div></content></entry>
</feed>"#;

const JSON_FEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","url":"https://x.fr/1","content_html":"<p>Bonjour</p>","date_published":"2026-11-20T10:00:00Z","authors":[{"name":"Zoé"}]}]}"#;

fn check(body: &[u8]) -> Result<(), TestCaseError> {
    let mut cursor = FeedCursor::default();
    match new_items(body, &mut cursor) {
        Err(FeedError::Malformed(why)) => prop_assert!(!why.is_empty()),
        Err(e) => prop_assert!(false, "a document is malformed or not: {e}"),
        Ok(items) => {
            prop_assert!(cursor.seen.len() <= REMEMBERED_IDS);
            for item in &items {
                prop_assert!(item.text.chars().count() <= MAX_TEXT_CHARS + 1);
                prop_assert!(item.title.chars().count() <= MAX_TEXT_CHARS + 1);
                prop_assert!(!item.text.chars().any(char::is_control), "{:?}", item.text);
                prop_assert!(item
                    .url
                    .as_ref()
                    .is_none_or(|u| u.starts_with("http://") || u.starts_with("https://")));
            }
            // The cursor survives storage, and a second read of the same document is empty.
            let again = FeedCursor::from_json(&cursor.to_json());
            prop_assert_eq!(&again, &cursor);
            let mut again = again;
            prop_assert!(new_items(body, &mut again).unwrap().is_empty());
        }
    }
    Ok(())
}

#[test]
fn fuzz_feed_documents() {
    let input = prop_oneof![
        6 => mutated(vec![RSS.as_bytes().to_vec(), ATOM.as_bytes().to_vec(), JSON_FEED.as_bytes().to_vec()]),
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => nested("<a>", "x", "</a>", 100_000).prop_map(|d| RSS.replace("<dc:creator>", &format!("{d}<dc:creator>")).into_bytes()),
        1 => nested("<div>", "x", "</div>", 100_000).prop_map(|d| ATOM.replace("<p>Un", &format!("{d}<p>Un")).into_bytes()),
        1 => nested("&lt;b&gt;", "x", "", 50_000).prop_map(|d| RSS.replace("Texte de", &d).into_bytes()),
        1 => nested("[", "1", "]", 100_000).prop_map(|d| JSON_FEED.replace("\"1\"", &d).into_bytes()),
    ];
    fuzz("feed-document", 120, input, |body| check(&body));
}

#[test]
fn fuzz_entry_html() {
    let html = prop_oneof![
        3 => mutated(vec![b"<p>Texte <b>gras</b> &amp; &#x1F525; <script>alert(1)</script><style>p{}</style>\xe2\x80\x8b</p>".to_vec()])
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => "\\PC{0,200}",
        1 => nested("<div>", "x", "</div>", 100_000),
        1 => nested("<script>", "x", "", 10_000),
    ];
    fuzz("feed-html", 1_000, html, |html| {
        let text = plain_text(&html);
        prop_assert!(text.chars().count() <= MAX_TEXT_CHARS + 1);
        prop_assert!(!text.chars().any(char::is_control));
        prop_assert_eq!(text.trim(), text.as_str());
        Ok(())
    });
}

#[test]
fn fuzz_stored_cursors() {
    let input = mutated(vec![
        br#"{"etag":"\"abc\"","last_modified":"Fri, 20 Nov 2026 10:00:00 GMT","seen":["1","2"]}"#.to_vec(),
    ])
    .prop_map(|b| String::from_utf8_lossy(&b).into_owned());
    fuzz("feed-cursor", 1_000, input, |text| {
        let cursor = FeedCursor::from_json(&text);
        prop_assert_eq!(FeedCursor::from_json(&cursor.to_json()), cursor);
        Ok(())
    });
}
