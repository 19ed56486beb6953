//! Tokenisation of posts: elision, folding, links, hashtags, mentions and emojis.

use tutti_listen::{Post, PostTokens};

#[test]
fn posts_split_into_the_expected_tokens() {
    let cases: [(&str, &[&str]); 18] = [
        ("L'application est lente", &["application", "est", "lente"]),
        ("d’accord, qu'il vienne", &["accord", "il", "vienne"]),
        ("jusqu'à demain", &["a", "demain"]),
        ("C'est l'été", &["est", "ete"]),
        ("don't stop", &["don", "t", "stop"]),
        ("Réseau RÉSEAU reseau", &["reseau", "reseau", "reseau"]),
        ("re\u{301}seau", &["reseau"]),
        ("cœur ÉLÈVE", &["coeur", "eleve"]),
        ("Voir https://www.Example.com/a?b=1, merci", &["voir", "https://www.Example.com/a?b=1", "merci"]),
        ("(see www.example.org/x)", &["see", "www.example.org/x"]),
        ("#Tutti rocks #café", &["#tutti", "rocks", "#cafe"]),
        (
            "merci @alice.bsky.social et @Bob@mastodon.social.",
            &["merci", "@alice.bsky.social", "et", "@bob@mastodon.social"],
        ),
        ("mail bob@example.com", &["mail", "bob", "example", "com"]),
        ("foo#bar", &["foo", "bar"]),
        ("super🔥bien 👍🏽 top", &["super", "bien", "top", "🔥", "👍"]),
        ("👨\u{200D}👩\u{200D}👧 family", &["family", "👨\u{200D}👩\u{200D}👧"]),
        ("J'❤️ Paris", &["j", "paris", "❤"]),
        ("e-mail: 10:30", &["e", "mail", "10", "30"]),
    ];
    for (text, expected) in cases {
        let post = Post::new(text);
        assert_eq!(PostTokens::new(&post).describe(), expected, "{text}");
    }
}

#[test]
fn links_in_the_text_and_attached_links_give_hosts() {
    let mut post = Post::new("lire https://Blog.Example.com:8080/article. (et http://exemple.fr)");
    post.links.push("https://user@Shop.Example.org/x".to_owned());
    let tokens = PostTokens::new(&post);
    assert_eq!(
        tokens.links(),
        ["https://blog.example.com:8080/article", "http://exemple.fr", "https://user@shop.example.org/x"]
    );
    assert_eq!(tokens.hosts(), ["blog.example.com", "exemple.fr", "shop.example.org"]);
}

#[test]
fn the_scan_text_puts_every_folded_token_between_separators() {
    let post = Post::new("L'Appli de @Tutti.bsky.social 🔥 https://x.com #Génial");
    assert_eq!(
        PostTokens::new(&post).scan_text(),
        "\0appli\0de\0@tutti.bsky.social\0🔥\0genial\0\u{1}https://x.com\u{1}\u{2}x.com\u{2}"
    );
}
