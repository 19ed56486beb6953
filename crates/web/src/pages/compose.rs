//! Composing a post: its channel and voice, a live counter, the time in the workspace's zone,
//! languages, images with alt text, a preview per network, links tagged or shortened, a thread
//! to continue or the channel's queue.
//!
//! The composer checks the post against the workspace's editorial charter as it is written:
//! htmx sends the draft to `compose/check` a moment after each keystroke, and the answer shows
//! the text with each finding marked at its place, and the list of findings.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use chrono::NaiveDate;
use serde::Deserialize;
use tutti_app::charter::{self, CheckKind, Finding, Severity};
use tutti_app::links::{LinkOptions, Utm};
use tutti_app::publishing::{PostToWrite, MAX_IMAGES};
use tutti_app::store::publishing::PostMedia;
use tutti_app::AppError;
use tutti_domain::{Action, Network, PostStatus};

use super::calendar::placed_at;
use super::channel_views::{
    channel_views, member_names, network_count, network_max, strictest_network, ChannelView,
};
use super::common::{form_error, is_htmx, layout, page_err, render, see_other, zone, FieldError, Layout};
use crate::error::WebError;
use crate::format::{excerpt, local};
use crate::forms::{local_instant, parse_langs, parse_local, public_base};
use crate::i18n::Tr;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

/// The largest compose form accepted: four images at the networks' largest, and the text.
pub const UPLOAD_LIMIT: usize = MAX_IMAGES * tutti_app::publishing::MAX_IMAGE_BYTES + 256 * 1024;

pub fn routes(t: RouteTable) -> RouteTable {
    let write = Access::Workspace(Action::WritePosts);
    t.get("/w/{workspace}/compose", write, compose_page)
        .post("/w/{workspace}/compose", write, submit_post.layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .post("/w/{workspace}/compose/check", write, check_draft)
}

/// What the compose form holds (kept when it is shown again with an error).
#[derive(Debug, Clone, Default)]
pub struct ComposeForm {
    channel: String,
    text: String,
    at: String,
    langs: String,
    alts: [String; MAX_IMAGES],
    /// The image slots (1-based) a file was sent in.
    sent: Vec<usize>,
    /// Whether to tag the links with UTM parameters, and with which.
    utm: bool,
    utm_source: String,
    utm_medium: String,
    utm_campaign: String,
    /// Whether to replace the links with Tutti's short links.
    shorten: bool,
    /// Whether to take the channel's next free queue slot instead of a date.
    queue: bool,
    /// The post this one continues (its id), empty for a new post.
    reply_to: String,
}

/// The preview of the post on one network.
#[derive(Debug, Clone)]
pub struct Preview {
    network: Network,
    name: &'static str,
    handle: String,
    max: usize,
    count: usize,
    over: bool,
}

#[derive(Template)]
#[template(path = "compose.html")]
struct ComposePage {
    l: Layout,
    slug: String,
    zone: String,
    channels: Vec<ChannelView>,
    previews: Vec<Preview>,
    f: ComposeForm,
    error: FieldError,
    /// Whether the writer schedules directly (otherwise the post goes to review).
    direct: bool,
    /// Whether images were sent with a form shown again (the browser cannot keep them).
    images_lost: bool,
    /// The earliest time the picker offers.
    min_at: String,
    max_upload: usize,
    slots: Vec<usize>,
    /// The draft checked against the editorial charter.
    c: CheckView,
    /// The charter's tone notes, shown beside the composer.
    tone: String,
    /// The address short links start with (`https://tutti.example`).
    base: String,
    /// The posts a new one may continue as a thread: id and label.
    threads: Vec<(i64, String)>,
    /// The best slots to post, per channel, when there is something to go on.
    best: Vec<BestHint>,
}

/// A channel's best slots, as the composer offers them.
pub struct BestHint {
    channel_id: i64,
    handle: String,
    /// What the slots rest on, in words.
    basis: String,
    /// (label, the slot's next occurrence for the time picker, what choosing it says).
    slots: Vec<(String, String, String)>,
}

/// The best slots of the workspace's channels, each with its next occurrence after `now` in
/// the workspace's time zone; channels with nothing to go on are left out.
async fn best_hints(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    tz: chrono_tz::Tz,
) -> Result<Vec<BestHint>, WebError> {
    use chrono::{Datelike, Timelike};
    use tutti_domain::kpi::Basis;
    let t = ctx.tr();
    let all = state.app.best_times_for_composer(&ctx.actor(), slug).await.map_err(|e| page_err(e, ctx))?;
    let now = local(tutti_app::store::now_ms(), tz).naive_local();
    let next = |weekday: u8, hour: u8| {
        let ahead = (i64::from(weekday) - i64::from(now.weekday().num_days_from_monday()) + 7) % 7;
        let mut at = (now.date() + chrono::Duration::days(ahead)).and_hms_opt(u32::from(hour), 0, 0)?;
        if at <= now.with_second(0)? {
            at += chrono::Duration::days(7);
        }
        Some(at.format("%Y-%m-%dT%H:%M").to_string())
    };
    Ok(all
        .into_iter()
        .filter_map(|b| {
            let basis = match b.basis {
                Basis::EngagementRate => t.t("compose-best-rate"),
                Basis::CommunityActivity => t.t("compose-best-activity"),
                Basis::Nothing => return None,
            };
            let slots: Vec<(String, String, String)> = b
                .best
                .iter()
                .take(3)
                .filter_map(|s| {
                    let label = format!(
                        "{} {}",
                        crate::format::short_weekday(usize::from(s.weekday.min(6)), ctx.locale),
                        crate::format::hour(u32::from(s.hour), ctx.locale)
                    );
                    let said = t.t1("compose-best-chosen", "slot", &label);
                    Some((label, next(s.weekday, s.hour)?, said))
                })
                .collect();
            (!slots.is_empty()).then_some(BestHint {
                channel_id: b.channel.id,
                handle: b.channel.handle,
                basis,
                slots,
            })
        })
        .collect())
}

impl ComposePage {
    /// Whether `id` is the channel chosen.
    fn is_selected(&self, c: &ChannelView) -> bool {
        self.f.channel == c.id.to_string()
    }

    /// The counter under the text for the chosen channel: its length, the limit, whether over.
    fn counter(&self) -> (usize, usize, bool) {
        let network = self.network();
        let (count, max) = (network_count(network, &self.f.text), network_max(network));
        (count, max, count > max)
    }

    /// The network of the chosen channel (the default UTM source).
    fn network(&self) -> Network {
        self.channels
            .iter()
            .find(|c| self.is_selected(c))
            .map(|c| c.network)
            .unwrap_or_else(strictest_network)
    }

    /// Whether the images part starts open: images were sent, or something is wrong there.
    fn images_open(&self) -> bool {
        self.images_lost || self.error.is("images") || self.f.alts.iter().any(|a| !a.is_empty())
    }

    /// The alt text typed for image `slot` (1-based).
    fn alt(&self, slot: &usize) -> &str {
        self.f.alts.get(slot.saturating_sub(1)).map(String::as_str).unwrap_or("")
    }
}

async fn compose_view(
    state: &AppState,
    ctx: &Ctx,
    mut f: ComposeForm,
    error: FieldError,
    images_lost: bool,
    base: String,
) -> Result<ComposePage, WebError> {
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let tz = zone(ctx);
    let channels = state.app.channels(&ctx.actor(), &slug).await.map_err(|e| page_err(e, ctx))?;
    let names = member_names(state, ctx).await?;
    let channels = channel_views(&channels, &names, ctx);
    if f.channel.is_empty() {
        if let Some(c) = channels.iter().find(|c| c.usable && !c.needs_reconnect).or(channels.first()) {
            f.channel = c.id.to_string();
        }
    }
    let selected = channels.iter().find(|c| c.id.to_string() == f.channel);
    let mut previews: Vec<Preview> = Vec::new();
    for c in &channels {
        if previews.iter().any(|p| p.network == c.network) {
            continue;
        }
        let shown = selected.filter(|s| s.network == c.network).unwrap_or(c);
        let count = network_count(c.network, &f.text);
        previews.push(Preview {
            network: c.network,
            name: c.network_name,
            handle: shown.handle.clone(),
            max: c.max,
            count,
            over: !tutti_networks::limits(c.network).fits(&f.text),
        });
    }
    if f.langs.is_empty() {
        f.langs = ctx.locale.as_str().to_owned();
    }
    if f.utm_medium.is_empty() {
        f.utm_medium = "social".to_owned();
    }
    let now = local(tutti_app::store::now_ms(), tz);
    let tone = state.app.charter(&ctx.actor(), &slug).await.map_err(|e| page_err(e, ctx))?.tone_notes;
    let c = check_view(state, ctx, &f, &f.sent).await?;
    // Recent posts that a new one may continue: not failed, through a channel the writer uses.
    let threads = state
        .app
        .posts(&ctx.actor(), &slug, 200)
        .await
        .map_err(|e| page_err(e, ctx))?
        .into_iter()
        .filter(|p| p.status != PostStatus::Failed)
        .filter_map(|p| {
            let c = channels.iter().find(|c| c.id == p.channel_id && c.usable)?;
            Some((p.id, format!("{} · {}", c.handle, excerpt(&p.text, 60))))
        })
        .take(50)
        .collect();
    let direct = state.app.publishes_directly(&ctx.actor(), &slug).await.map_err(|e| page_err(e, ctx))?;
    let best = best_hints(state, ctx, &slug, tz).await?;
    let l = layout(state, ctx, t.t("compose-title"), "calendar").await?;
    Ok(ComposePage {
        best,
        threads,
        c,
        tone,
        l,
        slug,
        zone: tz.name().to_owned(),
        channels,
        previews,
        f,
        error,
        direct,
        images_lost,
        min_at: now.format("%Y-%m-%dT%H:%M").to_string(),
        max_upload: UPLOAD_LIMIT,
        slots: (1..=MAX_IMAGES).collect(),
        base,
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct ComposeQuery {
    /// A day to prefill (`YYYY-MM-DD`), at 9:00.
    #[serde(default)]
    date: String,
}

async fn compose_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ComposeQuery>,
) -> Result<Response, WebError> {
    let at = NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d")
        .map(|d| format!("{}T09:00", d.format("%Y-%m-%d")))
        .unwrap_or_default();
    let page = compose_view(
        &state,
        &ctx,
        ComposeForm { at, ..Default::default() },
        FieldError::default(),
        false,
        public_base(&state),
    )
    .await?;
    render(StatusCode::OK, &page)
}

/// The type of an image, from its first bytes (what the browser declares is not trusted).
fn sniff(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "image/gif"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "application/octet-stream"
    }
}

/// Reads the multipart compose form; an unreadable or oversized body is an error at `images`.
async fn read_compose(multipart: &mut Multipart) -> (ComposeForm, Vec<(usize, PostMedia)>, bool) {
    let mut f = ComposeForm::default();
    let mut images = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return (f, images, false),
            Err(_) => return (f, images, true),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let slot = name.strip_prefix("image").and_then(|n| n.parse::<usize>().ok());
        if let Some(slot) = slot.filter(|n| (1..=MAX_IMAGES).contains(n)) {
            let chosen = field.file_name().is_some_and(|n| !n.is_empty());
            match field.bytes().await {
                Ok(bytes) if chosen && !bytes.is_empty() => images.push((
                    slot,
                    PostMedia { mime: sniff(&bytes).to_owned(), bytes: bytes.to_vec(), alt: String::new() },
                )),
                Ok(_) => {}
                Err(_) => return (f, images, true),
            }
            continue;
        }
        let Ok(value) = field.text().await else { return (f, images, true) };
        match name.as_str() {
            "channel" => f.channel = value,
            "text" => f.text = value,
            "at" => f.at = value,
            "langs" => f.langs = value,
            "utm" => f.utm = !value.is_empty(),
            "utm_source" => f.utm_source = value,
            "utm_medium" => f.utm_medium = value,
            "utm_campaign" => f.utm_campaign = value,
            "shorten" => f.shorten = !value.is_empty(),
            "queue" => f.queue = !value.is_empty(),
            "reply_to" => f.reply_to = value,
            other => {
                if let Some(i) = other.strip_prefix("alt").and_then(|n| n.parse::<usize>().ok()) {
                    if (1..=MAX_IMAGES).contains(&i) {
                        f.alts[i - 1] = value;
                    }
                }
            }
        }
    }
}

/// The message for a text over its network's limit, with the numbers.
fn text_too_long(network: Network, text: &str, t: &Tr) -> String {
    let name = network.name();
    let max = network_max(network);
    let count = network_count(network, text);
    if count > max {
        t.targs(
            if count - max == 1 { "error-text_over_one" } else { "error-text_over" },
            &[("over", &(count - max).to_string()), ("network", name), ("max", &max.to_string())],
        )
    } else {
        t.targs(
            "error-text_bytes",
            &[
                ("bytes", &text.len().to_string()),
                ("network", name),
                ("max", &tutti_networks::limits(network).text_max_bytes.unwrap_or_default().to_string()),
            ],
        )
    }
}

async fn submit_post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let tz = zone(&ctx);
    let (mut f, mut images, unreadable) = read_compose(&mut multipart).await;
    for (slot, m) in images.iter_mut() {
        m.alt = f.alts[*slot - 1].trim().to_owned();
    }
    f.sent = images.iter().map(|(slot, _)| *slot).collect();
    let sent_images = !images.is_empty();
    let base = public_base(&state);
    let again = |f: ComposeForm, error: FieldError| {
        let state = state.clone();
        let ctx = ctx.clone();
        let base = base.clone();
        async move {
            let status = match error.field.as_str() {
                "" => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let page = compose_view(&state, &ctx, f, error, sent_images, base).await?;
            render(status, &page)
        }
    };
    if unreadable {
        return again(f, FieldError { field: "images".into(), message: t.t("error-upload_too_large") }).await;
    }
    let at = match f.at.trim() {
        "" => None,
        v => match parse_local(v, &t).and_then(|n| local_instant(tz, n, &t)) {
            Ok(at) => Some(at.to_rfc3339()),
            Err(e) => return again(f, e).await,
        },
    };
    let langs = match parse_langs(&f.langs, &t) {
        Ok(l) => l,
        Err(e) => return again(f, e).await,
    };
    let reply_to = match f.reply_to.trim() {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let message = t.t("error-thread_parent_unknown");
                return again(f, FieldError { field: "reply_to".into(), message }).await;
            }
        },
    };
    let post = PostToWrite {
        channel: f.channel.clone(),
        text: f.text.clone(),
        at,
        langs,
        images: images.into_iter().map(|(_, m)| m).collect(),
        reply_to,
        queue: f.queue,
    };
    let mut link_options = LinkOptions {
        utm: f.utm.then(|| Utm {
            source: f.utm_source.trim().to_owned(),
            medium: f.utm_medium.trim().to_owned(),
            campaign: f.utm_campaign.trim().to_owned(),
        }),
        shorten_base: f.shorten.then(|| base.clone()),
    };
    if let Some(utm) = link_options.utm.as_mut() {
        // An empty source is the chosen channel's network.
        if utm.source.is_empty() {
            let channels = state.app.channels(&ctx.actor(), &slug).await.map_err(|e| page_err(e, &ctx))?;
            utm.source = channels
                .iter()
                .find(|c| c.id.to_string() == f.channel.trim())
                .map(|c| c.network.to_string())
                .unwrap_or_default();
        }
    }
    let now = tutti_app::store::now_ms();
    match state.app.create_post_with_links(&ctx.actor(), &slug, &post, &link_options, now).await {
        Ok(p) => {
            let day = local(placed_at(&p), tz).date_naive();
            let notice = if p.status == PostStatus::InReview { "review" } else { "scheduled" };
            let to = format!(
                "/w/{slug}/calendar?view=week&date={}&notice={notice}&post={}#post-{}",
                day.format("%Y-%m-%d"),
                p.id,
                p.id
            );
            Ok(redirect(&headers, &to))
        }
        Err(AppError::Invalid(e)) if e.field == "text" && e.code == "text_too_long" => {
            let channels = state.app.channels(&ctx.actor(), &slug).await.map_err(|e| page_err(e, &ctx))?;
            let network = channels
                .iter()
                .find(|c| c.id.to_string() == f.channel.trim())
                .map(|c| c.network)
                .unwrap_or_else(strictest_network);
            let max = network_max(network);
            let fits_as_typed = tutti_networks::limits(network).fits(&f.text);
            let message = if fits_as_typed && (f.utm || f.shorten) {
                // Only the rewritten links made it too long.
                t.targs("compose-links-too-long", &[("network", network.name()), ("max", &max.to_string())])
            } else {
                text_too_long(network, &f.text, &t)
            };
            again(f, FieldError { field: "text".into(), message }).await
        }
        Err(AppError::Invalid(e)) if e.code == "mention_unknown" => {
            // "@name (character N) is not an account …": the mention, said in the reader's words.
            let mention = e.message.split(" (").next().unwrap_or_default().to_owned();
            let message = t.t1("compose-mention-unknown", "mention", &mention);
            again(f, FieldError { field: "text".into(), message }).await
        }
        Err(AppError::Invalid(e)) if e.code == "charter_blocked" => {
            // Said in the reader's language, from the same check the composer shows.
            let c = check_view(&state, &ctx, &f, &f.sent).await?;
            let blocking: Vec<String> =
                c.findings.iter().filter(|v| v.severity == "block").map(FindingView::sentence).collect();
            let message = if blocking.is_empty() {
                // The charter changed in between: the use case's own words, in English.
                e.message.clone()
            } else {
                format!("{} {}", t.t("compose-charter-blocked"), blocking.join(" "))
            };
            again(f, FieldError { field: e.field.into(), message }).await
        }
        Err(e) => {
            let error = form_error(e, &ctx)?;
            again(f, error).await
        }
    }
}

/// After a successful form: a 303 for a browser, `HX-Redirect` for htmx (which would
/// otherwise swap the next page into the form).
fn redirect(headers: &HeaderMap, to: &str) -> Response {
    if is_htmx(headers) {
        let mut r = Response::new(axum::body::Body::empty());
        if let Ok(v) = HeaderValue::from_str(to) {
            r.headers_mut().insert("hx-redirect", v);
        }
        r
    } else {
        see_other(to)
    }
}

// ---------------------------------------------------------------------------------------------
// The live check of the draft against the editorial charter

/// The longest text the live check reads (far over any network's limit); a longer one is not
/// checked until it is cut.
const MAX_CHECKED_BYTES: usize = 20_000;

/// A piece of the checked text: plain, or marked by a finding.
#[derive(Debug, Clone)]
pub struct Piece {
    text: String,
    /// The number of the finding that marks it.
    mark: Option<usize>,
    /// `block` or `warn`.
    severity: &'static str,
    /// The finding, for the tooltip.
    title: String,
}

/// A finding as the composer lists it.
#[derive(Debug, Clone)]
pub struct FindingView {
    /// Its number, from 1.
    n: usize,
    /// `block` or `warn`.
    severity: &'static str,
    /// « Bloque », "Blocks"…
    severity_label: String,
    /// What is wrong, in the reader's language.
    message: String,
    /// Where (« colonne 12 », "line 2, column 5"), for findings about a part of the text.
    place: String,
    /// Suggested replacements or additions.
    suggestions: Vec<String>,
    /// The words that introduce the suggestions.
    suggest_label: String,
}

impl FindingView {
    /// The finding in one sentence, with its place: for the error shown at a field.
    fn sentence(&self) -> String {
        if self.place.is_empty() {
            format!("{}.", self.message)
        } else {
            format!("{} ({}).", self.message, self.place)
        }
    }
}

/// The draft as checked against the charter.
#[derive(Debug, Clone)]
pub struct CheckView {
    t: Tr,
    /// Whether there was nothing to check.
    empty: bool,
    /// Whether the text was too long to be checked.
    too_long: bool,
    pieces: Vec<Piece>,
    findings: Vec<FindingView>,
    /// The summary, said to screen readers when it changes.
    status: String,
}

impl CheckView {
    /// Whether a finding is about a part of the text (the marked text is then shown).
    fn has_marks(&self) -> bool {
        self.pieces.iter().any(|p| p.mark.is_some())
    }
}

/// The answer to the composer's live check: the check and its summary, swapped in out of band
/// (so that nothing else in the form moves).
#[derive(Template)]
#[template(path = "charter_check_oob.html")]
struct CheckOob {
    c: CheckView,
}

fn severity_code(s: Severity) -> &'static str {
    charter::severity_code(s)
}

/// Where a finding is, as the reader counts: « colonne 12 », or the line too in a text of
/// several lines.
fn place_of(t: &Tr, text: &str, at: usize) -> String {
    let (line, col) = charter::position(text, at);
    if text.contains('\n') {
        t.targs("charter-place-line", &[("line", &line.to_string()), ("col", &col.to_string())])
    } else {
        t.t1("charter-place-col", "col", &col.to_string())
    }
}

/// The findings of a draft, for the reader: `images` are the slots of the images checked, in
/// order, so that an image without alt text is named by its number.
fn check_result(t: Tr, text: &str, findings: &[Finding], images: &[usize]) -> CheckView {
    let mut alt_slots = images.iter();
    let mut views = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let word = f.range().and_then(|r| text.get(r)).unwrap_or_default();
        let message = match f.kind {
            CheckKind::Banned => t.t1("charter-finding-banned", "word", word),
            CheckKind::Spelling => t.t1("charter-finding-spelling", "word", word),
            CheckKind::Hashtags => {
                t.t1("charter-finding-hashtag", "tag", f.suggestion.as_deref().unwrap_or_default())
            }
            CheckKind::AltText => match alt_slots.next() {
                Some(slot) => t.t1("charter-finding-alt", "n", &slot.to_string()),
                None => t.t("charter-finding-alt-any"),
            },
        };
        let (suggestions, suggest_label) = match f.kind {
            CheckKind::Spelling if !f.suggestions.is_empty() => {
                (f.suggestions.clone(), t.t("charter-suggest-spelling"))
            }
            CheckKind::Hashtags => {
                (f.suggestion.clone().into_iter().collect(), t.t("charter-suggest-hashtag"))
            }
            _ => (Vec::new(), String::new()),
        };
        views.push(FindingView {
            n: i + 1,
            severity: severity_code(f.severity),
            severity_label: t.t(&format!("charter-severity-{}", severity_code(f.severity))),
            message,
            place: f.start.filter(|_| !word.is_empty()).map(|at| place_of(&t, text, at)).unwrap_or_default(),
            suggestions,
            suggest_label,
        });
    }
    // The text cut at the findings' ranges, in order; a range inside one already marked (or
    // not on character boundaries) is listed but not marked again.
    let mut ranged: Vec<(usize, std::ops::Range<usize>)> = findings
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            f.range().filter(|r| r.start < r.end && text.get(r.clone()).is_some()).map(|r| (i, r))
        })
        .collect();
    ranged.sort_by_key(|(_, r)| r.start);
    let mut pieces = Vec::new();
    let mut at = 0;
    for (i, r) in ranged {
        if r.start < at {
            continue;
        }
        if r.start > at {
            pieces.push(Piece {
                text: text[at..r.start].to_owned(),
                mark: None,
                severity: "",
                title: String::new(),
            });
        }
        pieces.push(Piece {
            text: text[r.clone()].to_owned(),
            mark: Some(i + 1),
            severity: views[i].severity,
            title: views[i].message.clone(),
        });
        at = r.end;
    }
    if at < text.len() {
        pieces.push(Piece { text: text[at..].to_owned(), mark: None, severity: "", title: String::new() });
    }
    let blocks = views.iter().filter(|v| v.severity == "block").count();
    let warns = views.len() - blocks;
    let status = match (blocks, warns) {
        (0, 0) => t.t("charter-status-ok"),
        (0, w) => t.tn("charter-status-warns", "n", &w),
        (b, 0) => t.tn("charter-status-blocks", "n", &b),
        (b, w) => t.targs("charter-status-both", &[("blocks", &b.to_string()), ("warns", &w.to_string())]),
    };
    CheckView { t, empty: false, too_long: false, pieces, findings: views, status }
}

/// Checks the composer's draft against the charter; nothing is checked while the text is
/// empty.
async fn check_view(
    state: &AppState,
    ctx: &Ctx,
    f: &ComposeForm,
    images: &[usize],
) -> Result<CheckView, WebError> {
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let blank = CheckView {
        t,
        empty: true,
        too_long: false,
        pieces: Vec::new(),
        findings: Vec::new(),
        status: String::new(),
    };
    if f.text.trim().is_empty() {
        return Ok(blank);
    }
    if f.text.len() > MAX_CHECKED_BYTES {
        return Ok(CheckView {
            empty: false,
            too_long: true,
            status: t.t("charter-status-too-long"),
            ..blank
        });
    }
    let alts: Vec<String> = images
        .iter()
        .map(|slot| f.alts.get(slot - 1).map(|a| a.trim().to_owned()).unwrap_or_default())
        .collect();
    let langs = parse_langs(&f.langs, &t).unwrap_or_default();
    let findings = state
        .app
        .check_post(&ctx.actor(), &slug, &f.channel, &f.text, &alts, &langs)
        .await
        .map_err(|e| page_err(e, ctx))?;
    Ok(check_result(t, &f.text, &findings, images))
}

/// What the composer sends to be checked: the fields of the compose form, and which image
/// slots hold a file (`images`: `1` or `0` per slot, `1010`).
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct CheckForm {
    channel: String,
    text: String,
    langs: String,
    alt1: String,
    alt2: String,
    alt3: String,
    alt4: String,
    images: String,
}

async fn check_draft(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<CheckForm>,
) -> Result<Response, WebError> {
    let sent: Vec<usize> =
        (1..=MAX_IMAGES).filter(|i| form.images.as_bytes().get(i - 1) == Some(&b'1')).collect();
    let f = ComposeForm {
        channel: form.channel,
        text: form.text,
        at: String::new(),
        langs: form.langs,
        alts: [form.alt1, form.alt2, form.alt3, form.alt4],
        sent,
        ..Default::default()
    };
    let c = check_view(&state, &ctx, &f, &f.sent).await?;
    render(StatusCode::OK, &CheckOob { c })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_typed_by_their_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(sniff(b"<svg onload=alert(1)>"), "application/octet-stream");
    }
}
