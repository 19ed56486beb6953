//! The newcomer's tour in a real headless Chromium: `tutti demo`'s data, then every page a
//! member can open — in English and French, 1440 and 390 px wide — as a social media manager
//! and as a community manager. Each page is screenshotted (`target/screenshots/tour-*.png`),
//! refuses nothing under the Content-Security-Policy, and fits a phone's width: the document is
//! never wider than the window. The overview and the inbox of the English demo workspace are
//! also written to `docs/screenshots/`, the pictures the README shows.

mod browser_support;
mod common;

use std::collections::BTreeMap;

use browser_support::{
    open_browser, overflow, path, screenshot_dir, shot, sign_in, start_driver, submit, NARROW, WIDE,
};
use fantoccini::{Client, Locator};
use tutti_app::demo::{DEMO_PASSWORD, DEMO_PEOPLE};
use tutti_worker::connectors::Connectors;

/// Pages that are not HTML pages a person reads (downloads, streams, fragments).
fn is_page(path: &str) -> bool {
    let fragment = ["/events", "/count", "/live", "/export", ".md", ".csv", ".ics", "/preview", "/check"];
    !fragment.iter().any(|f| path.ends_with(f))
}

/// The pages of a workspace that take no other parameter, from the route table itself, so that a
/// page added later is toured without anyone remembering to add it here.
fn workspace_pages(t: &common::TestApp, slug: &str) -> Vec<String> {
    let mut pages: Vec<String> = t
        .specs
        .iter()
        .filter(|s| s.method == http::Method::GET && s.path.starts_with("/w/{workspace}"))
        .filter(|s| s.path.matches('{').count() == 1 && is_page(s.path))
        .map(|s| s.path.replace("{workspace}", slug))
        .collect();
    pages.sort();
    pages.dedup();
    pages
}

/// Links to one page of each kind of detail page found on `c`'s current page (a conversation,
/// a person, a post, a listening query).
async fn detail_links(c: &Client, slug: &str, found: &mut BTreeMap<&'static str, String>) {
    let hrefs = c
        .execute(
            "return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))",
            vec![],
        )
        .await
        .unwrap();
    for href in hrefs.as_array().into_iter().flatten().filter_map(|h| h.as_str()) {
        let Some(rest) = href.strip_prefix(&format!("/w/{slug}/")) else { continue };
        let mut parts = rest.split('/');
        let (Some(kind), Some(id), None) = (parts.next(), parts.next(), parts.next()) else { continue };
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let kind = match kind {
            "inbox" => "conversation",
            "people" => "person",
            "posts" => "post",
            "listening" => "mentions",
            _ => continue,
        };
        found.entry(kind).or_insert_with(|| href.to_owned());
    }
}

async fn set_language(c: &Client, base: &str, locale: &str) {
    c.goto(&format!("{base}/settings")).await.unwrap();
    c.find(Locator::Css(&format!("#s-locale option[value={locale}]"))).await.unwrap().click().await.unwrap();
    submit(c, "form[action='/settings'] button[type=submit]").await;
}

/// Visits each page at both widths in the current language; returns what overflowed at 390 px.
async fn tour(c: &Client, t: &common::TestApp, pages: &[String], tag: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for page in pages {
        let name = page.trim_start_matches("/w/").replace('/', "-");
        for (size, width) in [(WIDE, "1440"), (NARROW, "390")] {
            c.set_window_size(size.0, size.1).await.unwrap();
            c.goto(&t.url(page)).await.unwrap();
            let shown = path(c).await;
            assert!(!shown.starts_with("/login"), "{tag}: {page} sent the member to sign in");
            shot(c, &format!("tour-{tag}-{width}-{name}")).await;
            if width == "390" {
                if let Some(wide) = overflow(c).await {
                    problems.push(format!("{tag} {page}: {wide}"));
                }
            }
        }
    }
    c.set_window_size(WIDE.0, WIDE.1).await.unwrap();
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_the_demo_fits_a_phone_in_both_languages() {
    let Some(driver) = start_driver() else { return };
    let t = common::spawn(tutti_test_support::sqlite()).await;
    // As `tutti demo` does: the team's data, then the demo network read by the worker's paths.
    let now = tutti_app::store::now_ms();
    let summary = t.app.load_demo(&t.base, now).await.expect("the demo loads");
    let connectors =
        Connectors::new(tutti_app::secrets::Keyring::generate(), tutti_test_support::allowing(&[]));
    tutti_worker::demo::bring_to_life(&t.app, &connectors, &summary, "tour", now)
        .await
        .expect("the demo lives");
    let c = open_browser(&driver).await;
    let base = t.base.clone();
    let mut problems = Vec::new();

    // Each demo workspace through its social media manager, then a community manager.
    let smm_of = |slug: &str| {
        DEMO_PEOPLE.iter().find(|(_, _, roles)| roles.contains(&(slug, "smm"))).map(|p| p.0).unwrap()
    };
    let cm_of = |slug: &str| {
        DEMO_PEOPLE.iter().find(|(_, _, roles)| roles.contains(&(slug, "cm"))).map(|p| p.0).unwrap()
    };
    for slug in ["maison-lumiere", "northwind-coffee"] {
        for (role, email) in [("smm", smm_of(slug)), ("cm", cm_of(slug))] {
            sign_in(&c, &base, email, DEMO_PASSWORD).await;
            assert!(!path(&c).await.starts_with("/login"), "{email} signed in");
            let mut pages = workspace_pages(&t, slug);
            if role == "cm" {
                // A community manager's day: the pages their role opens.
                pages.retain(|p| {
                    [
                        "",
                        "/inbox",
                        "/compose",
                        "/calendar",
                        "/community",
                        "/listening",
                        "/moderation",
                        "/feedback",
                    ]
                    .iter()
                    .any(|suffix| *p == format!("/w/{slug}{suffix}"))
                });
            }
            let mut details = BTreeMap::new();
            for page in &pages {
                c.goto(&t.url(page)).await.unwrap();
                detail_links(&c, slug, &mut details).await;
            }
            pages.extend(details.into_values());
            pages.push("/workspaces".into());
            pages.push("/settings".into());
            for locale in ["en", "fr"] {
                set_language(&c, &base, locale).await;
                problems.extend(tour(&c, &t, &pages, &format!("{locale}-{slug}-{role}")).await);
            }
            if slug == "northwind-coffee" && role == "smm" {
                // The README's pictures: the English workspace's overview and inbox.
                set_language(&c, &base, "en").await;
                let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
                for (page, file) in [("", "overview"), ("/inbox", "inbox")] {
                    c.goto(&t.url(&format!("/w/{slug}{page}"))).await.unwrap();
                    shot(&c, &format!("readme-{file}")).await;
                    std::fs::copy(
                        screenshot_dir().join(format!("readme-{file}.png")),
                        docs.join(format!("{file}.png")),
                    )
                    .expect("write the README's screenshot");
                }
            }
        }
    }
    assert!(problems.is_empty(), "pages wider than a 390 px phone:\n{}", problems.join("\n"));
    c.close().await.unwrap();
}
