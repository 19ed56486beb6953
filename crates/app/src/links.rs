//! Links in posts: tagged with UTM parameters so that analytics name where a visit came from,
//! and optionally sent through Tutti's own redirect (`/l/{code}`), which counts the clicks.
//!
//! Everything here but [`App::link_clicks`] is pure: [`tag_utm`] rewrites one URL,
//! [`find_links`] and [`rewrite_links`] find and rewrite the `http(s)://` links of a text. The
//! rewriting itself happens in [`App::create_post_with_links`], in the transaction that stores the post.

use std::ops::Range;

use rand::Rng;
use tutti_domain::Action;
use tutti_store::links;

use crate::{Actor, App, AppError};

/// The UTM parameters added to every link of a post. An empty value leaves that parameter as
/// the link has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Utm {
    /// `utm_source`: where the visit comes from (the network: `bluesky`, `mastodon`).
    pub source: String,
    /// `utm_medium`: the kind of channel (`social`).
    pub medium: String,
    /// `utm_campaign`: the campaign.
    pub campaign: String,
}

/// What happens to the links of a post as it is written (see [`App::create_post_with_links`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkOptions {
    /// UTM parameters to add to every `http(s)://` link of the text.
    pub utm: Option<Utm>,
    /// Tutti's public address (`https://tutti.example`): when set, every link is replaced by a
    /// short link `{base}/l/{code}` that counts its clicks.
    pub shorten_base: Option<String>,
}

/// The length of a short link's code.
pub const CODE_LEN: usize = 7;

/// The characters of a code.
const CODE_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random code of [`CODE_LEN`] letters and digits.
pub fn new_code() -> String {
    let mut rng = rand::thread_rng();
    (0..CODE_LEN).map(|_| CODE_CHARS[rng.gen_range(0..CODE_CHARS.len())] as char).collect()
}

/// Whether `code` may be a short link's code: 1 to 16 ASCII letters and digits (anything else
/// is not looked up at all).
pub fn valid_code(code: &str) -> bool {
    (1..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether `url` is an `http://` or `https://` URL (the scheme in any case).
pub fn is_web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") && url.len() > 7) || (lower.starts_with("https://") && url.len() > 8)
}

/// Percent-encodes a query value: everything but the unreserved characters of RFC 3986.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `url` with the UTM parameters of `utm` added, or replacing those it has under the same
/// names (in any case); its other parameters keep their order and its fragment stays last.
/// A link that is not `http(s)://` (`mailto:`, `ftp:`) is returned as it is.
pub fn tag_utm(url: &str, utm: &Utm) -> String {
    if !is_web_url(url) {
        return url.to_owned();
    }
    let wanted: Vec<(&str, &str)> =
        [("utm_source", &utm.source), ("utm_medium", &utm.medium), ("utm_campaign", &utm.campaign)]
            .into_iter()
            .map(|(k, v)| (k, v.trim()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
    if wanted.is_empty() {
        return url.to_owned();
    }
    let (rest, fragment) = match url.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (url, None),
    };
    let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or_default();
            !wanted.iter().any(|(k, _)| key.eq_ignore_ascii_case(k))
        })
        .map(str::to_owned)
        .collect();
    params.extend(wanted.iter().map(|(k, v)| format!("{k}={}", encode(v))));
    let mut out = format!("{base}?{}", params.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Punctuation that ends a sentence rather than a link.
fn is_trailing_punct(c: char) -> bool {
    matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '"' | '\'' | '»' | '”' | '’' | '…' | ']' | '}' | '>')
}

/// Byte ranges of the `http(s)://` links of `text`, in order. A link runs to the next space
/// (or `<`, `>`, `"`); punctuation that ends the sentence is not part of it, nor a closing
/// parenthesis the link did not open (`(voir https://ex.org/a)`).
pub fn find_links(text: &str) -> Vec<Range<usize>> {
    let mut links = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) =
        ["http://", "https://"].iter().filter_map(|scheme| lower[from..].find(scheme).map(|i| from + i)).min()
    {
        let preceded = text[..found].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '/');
        let end = text[found..]
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .map_or(text.len(), |(i, _)| found + i);
        let mut link = &text[found..end];
        loop {
            let trimmed = link.trim_end_matches(is_trailing_punct);
            let trimmed =
                if trimmed.ends_with(')') && trimmed.matches('(').count() < trimmed.matches(')').count() {
                    &trimmed[..trimmed.len() - 1]
                } else {
                    trimmed
                };
            if trimmed.len() == link.len() {
                break;
            }
            link = trimmed;
        }
        if !preceded && is_web_url(link) {
            links.push(found..found + link.len());
        }
        from = end.max(found + 1);
    }
    links
}

/// `text` with each of its `http(s)://` links replaced by what `rewrite` makes of it.
pub fn rewrite_links(text: &str, mut rewrite: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in find_links(text) {
        out.push_str(&text[last..r.start]);
        out.push_str(&rewrite(&text[r.clone()]));
        last = r.end;
    }
    out.push_str(&text[last..]);
    out
}

/// A link's short form: `{base}/l/{code}`, the base without its trailing slash.
pub fn short_url(base: &str, code: &str) -> String {
    format!("{}/l/{code}", base.trim_end_matches('/'))
}

impl App {
    /// The short links of a workspace with their clicks, newest first: `(code, url, clicks,
    /// post id)`.
    pub async fn link_clicks(
        &self,
        actor: &Actor,
        slug: &str,
    ) -> Result<Vec<(String, String, i64, Option<i64>)>, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        let mut db = self.store.conn().await?;
        Ok(links::of_workspace(&mut db, access.workspace.id)
            .await?
            .into_iter()
            .map(|l| (l.code, l.url, l.clicks, l.post_id))
            .collect())
    }

    /// Follows a short link: counts the click and returns where it leads. An invalid or unknown
    /// code, or a stored target that is not `http(s)://`, is `NotFound`. Anyone may follow a
    /// link: it is public.
    pub async fn follow_link(&self, code: &str) -> Result<String, AppError> {
        if !valid_code(code) {
            return Err(AppError::NotFound("link"));
        }
        let mut tx = self.store.begin().await?;
        let url = links::resolve_and_count(&mut tx, code).await?;
        tx.commit().await.map_err(tutti_store::StoreError::from)?;
        match url {
            Some(url) if is_web_url(&url) => Ok(url),
            _ => Err(AppError::NotFound("link")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utm(source: &str, medium: &str, campaign: &str) -> Utm {
        Utm { source: source.into(), medium: medium.into(), campaign: campaign.into() }
    }

    #[test]
    fn tag_utm_adds_or_replaces_parameters_and_leaves_other_links_alone() {
        let u = utm("bluesky", "social", "rentrée 2026");
        let cases: &[(&str, &str)] = &[
            (
                "https://ex.org/a",
                "https://ex.org/a?utm_source=bluesky&utm_medium=social&utm_campaign=rentr%C3%A9e%202026",
            ),
            (
                "https://ex.org/a?id=4&lang=fr",
                "https://ex.org/a?id=4&lang=fr&utm_source=bluesky&utm_medium=social&utm_campaign=rentr%C3%A9e%202026",
            ),
            (
                "https://ex.org/?utm_source=newsletter&x=1&UTM_MEDIUM=mail",
                "https://ex.org/?x=1&utm_source=bluesky&utm_medium=social&utm_campaign=rentr%C3%A9e%202026",
            ),
            (
                "https://ex.org/doc?p=2#section-3",
                "https://ex.org/doc?p=2&utm_source=bluesky&utm_medium=social&utm_campaign=rentr%C3%A9e%202026#section-3",
            ),
            (
                "https://ex.org/#top",
                "https://ex.org/?utm_source=bluesky&utm_medium=social&utm_campaign=rentr%C3%A9e%202026#top",
            ),
            ("mailto:presse@ex.org?subject=Bonjour", "mailto:presse@ex.org?subject=Bonjour"),
            ("ftp://ex.org/file", "ftp://ex.org/file"),
            ("https://", "https://"),
            (
                "HTTPS://Exemple.FR/Page",
                "HTTPS://Exemple.FR/Page?utm_source=bluesky&utm_medium=social&utm_campaign=rentr%C3%A9e%202026",
            ),
            (
                "https://café.example/menu?",
                "https://café.example/menu?utm_source=bluesky&utm_medium=social&utm_campaign=rentr%C3%A9e%202026",
            ),
            (
                "http://xn--caf-dma.example/",
                "http://xn--caf-dma.example/?utm_source=bluesky&utm_medium=social&utm_campaign=rentr%C3%A9e%202026",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(tag_utm(url, &u), *want, "{url}");
        }
        // Empty values leave the link's own parameters; nothing to add leaves it untouched.
        assert_eq!(
            tag_utm("https://ex.org/?utm_campaign=x", &utm("mastodon", "", " ")),
            "https://ex.org/?utm_campaign=x&utm_source=mastodon"
        );
        assert_eq!(tag_utm("https://ex.org/?a=1", &Utm::default()), "https://ex.org/?a=1");
        // Tagging twice gives the same link.
        let once = tag_utm("https://ex.org/a?b=1#c", &u);
        assert_eq!(tag_utm(&once, &u), once);
    }

    #[test]
    fn links_are_found_without_the_sentence_around_them() {
        let text = "Lisez https://ex.org/a?b=1. (voir http://ex.org/wiki/Foo_(bar)) et «https://ex.org/c», \
                    pas mailto:a@ex.org ni xhttps://no.example ni https:// seul. Fin: HTTPS://EX.ORG/Z!";
        let found: Vec<&str> = find_links(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            found,
            ["https://ex.org/a?b=1", "http://ex.org/wiki/Foo_(bar)", "https://ex.org/c", "HTTPS://EX.ORG/Z"]
        );
        assert_eq!(
            rewrite_links("à https://ex.org/é, puis https://ex.org/b\net fin", |l| format!("<{l}>")),
            "à <https://ex.org/é>, puis <https://ex.org/b>\net fin"
        );
        assert_eq!(rewrite_links("aucun lien", |_| unreachable!()), "aucun lien");
    }

    #[test]
    fn codes_are_seven_letters_or_digits_and_lookups_refuse_anything_else() {
        for _ in 0..50 {
            let code = new_code();
            assert_eq!(code.len(), CODE_LEN);
            assert!(valid_code(&code), "{code}");
        }
        for bad in ["", "../x", "a/b", "abc%2F", "é", "a b", &"a".repeat(17)] {
            assert!(!valid_code(bad), "{bad:?}");
        }
        assert!(valid_code(&"Z9".repeat(8)));
        assert_eq!(short_url("https://tutti.example/", "Ab3"), "https://tutti.example/l/Ab3");
    }
}
