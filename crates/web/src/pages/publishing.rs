//! Publishing pages: compose a post (its channel and voice, a live counter, the time in the
//! workspace's zone, languages, images with alt text, a preview per network) and the editorial
//! calendar (month, week and list, filtered by channel and status), where a post moves to
//! another day by drag and drop or, from the keyboard, by a small form.
//!
//! Every date a person types or reads here is in the **workspace's** time zone: the calendar
//! is the brand's, whoever reads it. Local times are turned into instants with `chrono-tz`, so a
//! post at 10:00 stays at 10:00 across a change of daylight saving time, and a time that does
//! not exist (the hour skipped in spring) is refused at its field.
//!
//! The workspace's editorial charter is edited here too (`/w/{workspace}/charter`: everyone who
//! writes reads it, SMMs and admins change it), and the composer checks the post against it as
//! it is written: htmx sends the draft to `compose/check` a moment after each keystroke, and the
//! answer shows the text with each finding marked at its place, and the list of findings.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use tutti_app::charter::{self, CharterForm, CheckKind, Finding, Severity};
use tutti_app::links::{LinkOptions, Utm};
use tutti_app::publishing::{
    PostToWrite, BLUESKY_MAX_BYTES, BLUESKY_MAX_GRAPHEMES, MASTODON_MAX_CHARS, MAX_IMAGES,
};
use tutti_app::store::publishing::{Channel, Post, PostMedia};
use tutti_app::AppError;
use tutti_domain::{Action, ChannelStatus, ChannelVoice, Locale, PostStatus};
use unicode_segmentation::UnicodeSegmentation;

use super::{form_error, form_status, is_htmx, layout, page_err, render, see_other, FieldError, Layout};
use crate::error::WebError;
use crate::i18n::Tr;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

/// The largest compose form accepted: four images at the networks' largest, and the text.
pub const UPLOAD_LIMIT: usize = MAX_IMAGES * tutti_app::publishing::MAX_IMAGE_BYTES + 256 * 1024;

/// The states a post is filtered by on the calendar, in the order of its life.
const STATUSES: [PostStatus; 5] = [
    PostStatus::InReview,
    PostStatus::Scheduled,
    PostStatus::Publishing,
    PostStatus::Published,
    PostStatus::Failed,
];

pub fn routes(t: RouteTable) -> RouteTable {
    let write = Access::Workspace(Action::WritePosts);
    t.get("/w/{workspace}/compose", write, compose_page)
        .post("/w/{workspace}/compose", write, submit_post.layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .post("/w/{workspace}/compose/check", write, check_draft)
        .get("/w/{workspace}/calendar", write, calendar_page)
        .post("/w/{workspace}/posts/{post}/reschedule", write, reschedule)
        .get("/w/{workspace}/charter", write, charter_page)
        .post("/w/{workspace}/charter", Access::Workspace(Action::ApprovePosts), save_charter)
}

// ---------------------------------------------------------------------------------------------
// Dates in the workspace's zone

/// The workspace's time zone (Paris if the stored name is unknown, as elsewhere).
pub(super) fn zone(ctx: &Ctx) -> Tz {
    ctx.ws().workspace.timezone.parse().unwrap_or(chrono_tz::Europe::Paris)
}

/// A local time typed in a form (`2026-03-29T10:00`), as an instant in `tz`. The hour skipped
/// when clocks go forward does not exist and is refused; the hour repeated when they go back
/// is taken at its first occurrence.
fn local_instant(tz: Tz, local: NaiveDateTime, t: &Tr) -> Result<DateTime<Tz>, FieldError> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => Ok(at),
        LocalResult::Ambiguous(first, _) => Ok(first),
        LocalResult::None => Err(FieldError {
            field: "at".into(),
            message: t.targs(
                "error-date_nonexistent",
                &[("time", &clock(local.hour(), local.minute(), t.locale)), ("zone", tz.name())],
            ),
        }),
    }
}

/// Parses a `datetime-local` value.
fn parse_local(value: &str, t: &Tr) -> Result<NaiveDateTime, FieldError> {
    let v = value.trim();
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
        .ok_or_else(|| FieldError { field: "at".into(), message: t.t("error-date_invalid") })
}

/// The instant a post is placed at on the calendar: when it is due, or when it was written if
/// it goes out as soon as possible.
pub(super) fn placed_at(p: &Post) -> i64 {
    p.scheduled_at.unwrap_or(p.created_at)
}

pub(super) fn local(ms: i64, tz: Tz) -> DateTime<Tz> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().with_timezone(&tz)
}

/// The first instant of a local day (the earliest after midnight where midnight is skipped).
fn day_start(date: NaiveDate, tz: Tz) -> i64 {
    (0..3)
        .find_map(|h| tz.from_local_datetime(&date.and_hms_opt(h, 0, 0)?).earliest())
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(|| date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_millis())
}

const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const FR_MONTHS_SHORT: [&str; 12] =
    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const FR_DAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
const FR_DAYS_SHORT: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
const EN_DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// A time of day: « 14 h 30 », "2:30 PM".
pub(super) fn clock(hour: u32, minute: u32, locale: Locale) -> String {
    match locale {
        Locale::Fr => format!("{hour} h {minute:02}"),
        Locale::En => {
            let h12 = match hour % 12 {
                0 => 12,
                h => h,
            };
            format!("{h12}:{minute:02} {}", if hour < 12 { "AM" } else { "PM" })
        }
    }
}

/// « mars 2026 », "March 2026".
fn month_title(d: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::Fr => format!("{} {}", FR_MONTHS[d.month0() as usize], d.year()),
        Locale::En => format!("{} {}", EN_MONTHS[d.month0() as usize], d.year()),
    }
}

/// « 23 mars », "Mar 23".
fn day_month(d: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::Fr => format!("{} {}", d.day(), FR_MONTHS_SHORT[d.month0() as usize]),
        Locale::En => format!("{} {}", &EN_MONTHS[d.month0() as usize][..3], d.day()),
    }
}

/// « dimanche 29 mars 2026 », "Sunday, March 29, 2026".
pub(super) fn long_day(d: NaiveDate, locale: Locale) -> String {
    let wd = d.weekday().num_days_from_monday() as usize;
    match locale {
        Locale::Fr => format!("{} {} {} {}", FR_DAYS[wd], d.day(), FR_MONTHS[d.month0() as usize], d.year()),
        Locale::En => {
            format!("{}, {} {}, {}", EN_DAYS[wd], EN_MONTHS[d.month0() as usize], d.day(), d.year())
        }
    }
}

/// « lun. », "Mon".
fn short_weekday(i: usize, locale: Locale) -> String {
    match locale {
        Locale::Fr => FR_DAYS_SHORT[i].to_owned(),
        Locale::En => EN_DAYS[i][..3].to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Channels

/// The network's name as people write it.
pub(super) fn network_name(network: &str) -> &'static str {
    match network {
        "bluesky" => "Bluesky",
        _ => "Mastodon",
    }
}

/// The length limit the counter shows for a network.
fn network_max(network: &str) -> usize {
    match network {
        "bluesky" => BLUESKY_MAX_GRAPHEMES,
        _ => MASTODON_MAX_CHARS,
    }
}

/// A post's length as its network counts it: graphemes on Bluesky, characters on Mastodon.
fn network_count(network: &str, text: &str) -> usize {
    match network {
        "bluesky" => text.graphemes(true).count(),
        _ => text.chars().count(),
    }
}

/// `@handle`, whether or not it was stored with its `@`.
fn at_handle(handle: &str) -> String {
    if handle.starts_with('@') {
        handle.to_owned()
    } else {
        format!("@{handle}")
    }
}

/// A channel as the compose form and the calendar show it.
#[derive(Debug, Clone)]
pub struct ChannelView {
    pub(super) id: i64,
    pub(super) network: String,
    pub(super) network_name: &'static str,
    pub(super) handle: String,
    /// « Marque », "Brand", or the ambassador's name.
    pub(super) voice: String,
    ambassador: bool,
    max: usize,
    pub(super) needs_reconnect: bool,
    /// Whether the reader may publish through it (an ambassador's account is theirs alone).
    usable: bool,
    /// The option's whole label.
    label: String,
}

/// The channels as shown: the brand's first, then the ambassadors', by network and handle.
pub(super) fn channel_views(
    channels: &[Channel],
    names: &HashMap<i64, String>,
    ctx: &Ctx,
) -> Vec<ChannelView> {
    let t = ctx.tr();
    let me = ctx.me().id;
    let mut views: Vec<ChannelView> = channels
        .iter()
        .map(|c| {
            let ambassador = c.voice == ChannelVoice::Ambassador;
            let voice = match c.owner_user_id {
                Some(owner) if ambassador => t.t1(
                    "compose-voice-ambassador",
                    "name",
                    names.get(&owner).map(String::as_str).unwrap_or("?"),
                ),
                _ => t.t("compose-voice-brand"),
            };
            let needs_reconnect = c.status != ChannelStatus::Ok;
            let usable = c.owner_user_id.is_none_or(|o| o == me);
            let mut label = format!("{voice} · {} · {}", c.network.name(), at_handle(&c.handle));
            if needs_reconnect {
                label.push_str(" — ");
                label.push_str(&t.t("channel-needs-reconnect"));
            }
            if !usable {
                label.push_str(" — ");
                label.push_str(&t.t("compose-not-yours"));
            }
            ChannelView {
                id: c.id,
                network: c.network.to_string(),
                network_name: c.network.name(),
                handle: at_handle(&c.handle),
                voice,
                ambassador,
                max: network_max(c.network.as_str()),
                needs_reconnect,
                usable,
                label,
            }
        })
        .collect();
    views.sort_by(|a, b| (a.ambassador, &a.network, &a.handle).cmp(&(b.ambassador, &b.network, &b.handle)));
    views
}

/// Display names of the workspace's members, by account id.
pub(super) async fn member_names(state: &AppState, ctx: &Ctx) -> Result<HashMap<i64, String>, WebError> {
    let members =
        state.app.list_members(&ctx.actor(), &ctx.ws().workspace.slug).await.map_err(|e| page_err(e, ctx))?;
    Ok(members.into_iter().map(|m| (m.user_id, m.name)).collect())
}

// ---------------------------------------------------------------------------------------------
// Compose

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
    network: String,
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
}

impl ComposePage {
    /// Whether `id` is the channel chosen.
    fn is_selected(&self, c: &ChannelView) -> bool {
        self.f.channel == c.id.to_string()
    }

    /// The counter under the text for the chosen channel: its length, the limit, whether over.
    fn counter(&self) -> (usize, usize, bool) {
        let network = self
            .channels
            .iter()
            .find(|c| self.is_selected(c))
            .map(|c| c.network.as_str())
            .unwrap_or("bluesky");
        let (count, max) = (network_count(network, &self.f.text), network_max(network));
        (count, max, count > max)
    }

    /// The network of the chosen channel (the default UTM source).
    fn network(&self) -> &str {
        self.channels.iter().find(|c| self.is_selected(c)).map(|c| c.network.as_str()).unwrap_or("bluesky")
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
        let count = network_count(&c.network, &f.text);
        previews.push(Preview {
            network: c.network.clone(),
            name: c.network_name,
            handle: shown.handle.clone(),
            max: c.max,
            count,
            over: count > c.max || (c.network == "bluesky" && f.text.len() > BLUESKY_MAX_BYTES),
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
    let l = layout(state, ctx, t.t("compose-title"), "calendar").await?;
    Ok(ComposePage {
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

/// The address short links start with: the configured public address (never the request's
/// `Host`, which the requester chooses).
pub(crate) fn public_base(state: &AppState) -> String {
    state.public_url().to_owned()
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

/// The languages typed (`fr, en`), each a language tag.
pub(crate) fn parse_langs(value: &str, t: &Tr) -> Result<Vec<String>, FieldError> {
    let langs: Vec<String> = value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase)
        .collect();
    let ok = |l: &str| {
        let mut parts = l.split('-');
        let first = parts.next().unwrap_or_default();
        (2..=3).contains(&first.len())
            && first.chars().all(|c| c.is_ascii_lowercase())
            && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
    };
    if let Some(bad) = langs.iter().find(|l| !ok(l)) {
        return Err(FieldError { field: "langs".into(), message: t.t1("error-lang_invalid", "lang", bad) });
    }
    Ok(langs)
}

/// The message for a text over its network's limit, with the numbers.
fn text_too_long(network: &str, text: &str, t: &Tr) -> String {
    let name = network_name(network);
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
            &[("bytes", &text.len().to_string()), ("network", name), ("max", &BLUESKY_MAX_BYTES.to_string())],
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
                .map(|c| c.network.to_string())
                .unwrap_or_default();
            let max = network_max(&network);
            let fits_as_typed = network_count(&network, &f.text) <= max
                && (network != "bluesky" || f.text.len() <= BLUESKY_MAX_BYTES);
            let message = if fits_as_typed && (f.utm || f.shorten) {
                // Only the rewritten links made it too long.
                t.targs(
                    "compose-links-too-long",
                    &[("network", network_name(&network)), ("max", &max.to_string())],
                )
            } else {
                text_too_long(&network, &f.text, &t)
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
// Calendar

/// The calendar's query string.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct CalQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    post: String,
}

/// A post as a calendar card.
#[derive(Debug, Clone)]
pub struct Card {
    id: i64,
    status: String,
    status_label: String,
    glyph: &'static str,
    time: String,
    iso: String,
    when: String,
    network_name: &'static str,
    handle: String,
    voice: String,
    ambassador: bool,
    channel_reconnect: bool,
    author: String,
    excerpt: String,
    text: String,
    /// The text for the tooltip, cut short.
    hover: String,
    error: Option<String>,
    remote_url: Option<String>,
    movable: bool,
    /// The current local time, for the move form (`2026-03-29T10:00`).
    move_value: String,
    /// The local day (`2026-03-29`).
    day: String,
    /// The local hour (0–23), the row of the week's time grid.
    hour: u32,
    highlight: bool,
}

/// One day of the grid.
#[derive(Debug, Clone)]
pub struct Day {
    date: String,
    num: u32,
    label: String,
    head: String,
    in_range: bool,
    today: bool,
    past: bool,
    cards: Vec<Card>,
}

impl Day {
    /// The cards of hour `h` (the week's time grid).
    fn at(&self, h: impl std::borrow::Borrow<u32>) -> Vec<&Card> {
        let h = *h.borrow();
        self.cards.iter().filter(|c| c.hour == h).collect()
    }
}

/// The hours the week's time grid shows: the working day, stretched to the posts outside it.
fn grid_hours(days: &[Day], locale: Locale) -> Vec<(u32, String)> {
    let hours = days.iter().flat_map(|d| d.cards.iter().map(|c| c.hour));
    let (first, last) = hours.fold((8, 20), |(a, b), h| (a.min(h), b.max(h)));
    (first..=last).map(|h| (h, crate::format::hour(h, locale))).collect()
}

/// The calendar as drawn.
#[derive(Debug, Clone)]
pub struct Cal {
    view: &'static str,
    date: String,
    title: String,
    prev: String,
    next: String,
    today: String,
    weekdays: Vec<String>,
    weeks: Vec<Vec<Day>>,
    days: Vec<Day>,
    /// The rows of the week's time grid: (hour, label).
    hours: Vec<(u32, String)>,
    channel: String,
    status: String,
    /// `&channel=…&status=…`, for links that keep the filters.
    filters: String,
    /// The query string to come back to after moving a post.
    back: String,
    total: usize,
    zone: String,
    notice: String,
    error: FieldError,
    error_post: i64,
    failed: Vec<Card>,
    failed_count: usize,
    reconnect: Vec<ChannelView>,
}

impl Cal {
    /// The link to the calendar at `date` in `view`, keeping the filters.
    fn link(&self, view: &str, date: &str) -> String {
        format!("?view={view}&date={date}{}", self.filters)
    }

    /// Whether the error shown is about post `id`.
    fn error_on(&self, id: &i64) -> Option<&str> {
        (self.error_post == *id && !self.error.message.is_empty()).then_some(self.error.message.as_str())
    }
}

pub(super) fn glyph(status: PostStatus) -> &'static str {
    match status {
        PostStatus::Draft => "○",
        PostStatus::InReview => "◐",
        PostStatus::Approved => "●",
        PostStatus::Scheduled => "◷",
        PostStatus::Publishing => "↻",
        PostStatus::Published => "✓",
        PostStatus::Failed => "⚠",
    }
}

/// The first graphemes of a text, with an ellipsis if it was longer.
pub(super) fn excerpt(text: &str, max: usize) -> String {
    let mut g = text.graphemes(true);
    let head: String = g.by_ref().take(max).collect();
    if g.next().is_some() {
        format!("{}…", head.trim_end())
    } else {
        head
    }
}

fn urlencode(v: &str) -> String {
    serde_urlencoded::to_string([("", v)]).map(|s| s[1..].to_owned()).unwrap_or_default()
}

/// Everything the calendar needs to draw one period.
struct CalInput<'a> {
    q: &'a CalQuery,
    error: FieldError,
    error_post: i64,
}

async fn calendar(state: &AppState, ctx: &Ctx, input: CalInput<'_>) -> Result<Cal, WebError> {
    let t = ctx.tr();
    let locale = ctx.locale;
    let actor = ctx.actor();
    let access = ctx.ws();
    let slug = access.workspace.slug.clone();
    let tz = zone(ctx);
    let q = input.q;
    let now = tutti_app::store::now_ms();
    let today = local(now, tz).date_naive();
    let anchor = NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d").unwrap_or(today);
    let view: &'static str = match q.view.as_str() {
        "week" => "week",
        "list" => "list",
        _ => "month",
    };
    let monday = |d: NaiveDate| d - Duration::days(d.weekday().num_days_from_monday() as i64);
    let first = anchor.with_day(1).unwrap_or(anchor);
    let next_month = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    let prev_month = first.checked_sub_months(chrono::Months::new(1)).unwrap_or(first);
    // The days drawn, and the period they belong to.
    let (start, end, in_start, in_end, prev, next, title) = match view {
        "week" => {
            let s = monday(anchor);
            let e = s + Duration::days(7);
            let last = e - Duration::days(1);
            let title = match locale {
                Locale::Fr => {
                    format!("{} – {} {}", day_month(s, locale), day_month(last, locale), last.year())
                }
                Locale::En => {
                    format!("{} – {}, {}", day_month(s, locale), day_month(last, locale), last.year())
                }
            };
            (s, e, s, e, s - Duration::days(7), e, title)
        }
        "list" => (first, next_month, first, next_month, prev_month, next_month, month_title(first, locale)),
        _ => {
            let s = monday(first);
            let last = next_month - Duration::days(1);
            let e = monday(last) + Duration::days(7);
            (s, e, first, next_month, prev_month, next_month, month_title(first, locale))
        }
    };
    let channel_filter: Option<i64> = q.channel.trim().parse().ok();
    let status_filter = STATUSES.iter().copied().find(|s| *s == q.status.trim());
    let posts = state
        .app
        .calendar_posts(&actor, &slug, day_start(start, tz), day_start(end, tz), status_filter)
        .await
        .map_err(|e| page_err(e, ctx))?;
    let posts: Vec<Post> =
        posts.into_iter().filter(|p| channel_filter.is_none_or(|c| p.channel_id == c)).collect();
    let channels = state.app.channels(&actor, &slug).await.map_err(|e| page_err(e, ctx))?;
    let names = member_names(state, ctx).await?;
    let views = channel_views(&channels, &names, ctx);
    let by_id: HashMap<i64, &ChannelView> = views.iter().map(|c| (c.id, c)).collect();
    let can_approve = access.allows(Action::ApprovePosts);
    let me = ctx.me().id;
    let highlight: Option<i64> = q.post.trim().parse().ok();
    let card = |p: &Post| {
        let at = local(placed_at(p), tz);
        let c = by_id.get(&p.channel_id);
        let own = p.author_user_id == Some(me);
        Card {
            id: p.id,
            status: p.status.to_string(),
            status_label: t.t(&format!("post-status-{}", p.status)),
            glyph: glyph(p.status),
            time: clock(at.hour(), at.minute(), locale),
            iso: crate::format::iso(placed_at(p)),
            when: crate::format::datetime(placed_at(p), tz.name(), locale),
            network_name: c.map(|c| c.network_name).unwrap_or(""),
            handle: c.map(|c| c.handle.clone()).unwrap_or_default(),
            voice: c.map(|c| c.voice.clone()).unwrap_or_default(),
            ambassador: c.is_some_and(|c| c.ambassador),
            channel_reconnect: c.is_some_and(|c| c.needs_reconnect),
            author: p.author_user_id.and_then(|a| names.get(&a).cloned()).unwrap_or_default(),
            excerpt: excerpt(&p.text, 140),
            hover: excerpt(&p.text, 500),
            text: p.text.clone(),
            error: p.error.clone().filter(|e| !e.trim().is_empty()),
            remote_url: p
                .remote_url
                .clone()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            movable: matches!(p.status, PostStatus::Scheduled | PostStatus::InReview | PostStatus::Failed)
                && (own || can_approve),
            move_value: at.format("%Y-%m-%dT%H:%M").to_string(),
            day: at.format("%Y-%m-%d").to_string(),
            hour: at.hour(),
            highlight: highlight == Some(p.id),
        }
    };
    let mut by_day: HashMap<NaiveDate, Vec<Card>> = HashMap::new();
    for p in &posts {
        by_day.entry(local(placed_at(p), tz).date_naive()).or_default().push(card(p));
    }
    let mut days = Vec::new();
    let mut d = start;
    while d < end {
        let wd = d.weekday().num_days_from_monday() as usize;
        days.push(Day {
            date: d.format("%Y-%m-%d").to_string(),
            num: d.day(),
            label: long_day(d, locale),
            head: format!("{} {}", short_weekday(wd, locale), d.day()),
            in_range: d >= in_start && d < in_end,
            today: d == today,
            past: d < today,
            cards: by_day.remove(&d).unwrap_or_default(),
        });
        d += Duration::days(1);
    }
    // An error about a post that is not drawn in this period is said above the calendar.
    let shown = days.iter().any(|d| d.cards.iter().any(|c| c.id == input.error_post));
    let error_post = if shown { input.error_post } else { 0 };
    let weeks = if view == "month" { days.chunks(7).map(<[Day]>::to_vec).collect() } else { Vec::new() };
    if view == "list" {
        days.retain(|d| !d.cards.is_empty());
    }
    // Failed posts anywhere in the calendar are shown above it, whatever the period.
    let failed = state
        .app
        .calendar_posts(&actor, &slug, i64::MIN / 2, i64::MAX / 2, Some(PostStatus::Failed))
        .await
        .map_err(|e| page_err(e, ctx))?;
    let failed_count = failed.len();
    let failed = failed.iter().rev().take(5).map(card).collect();
    let mut filters = String::new();
    if let Some(c) = channel_filter {
        filters.push_str(&format!("&channel={c}"));
    }
    if let Some(s) = status_filter {
        filters.push_str(&format!("&status={s}"));
    }
    let date = anchor.format("%Y-%m-%d").to_string();
    let notice = match q.notice.as_str() {
        "scheduled" | "review" | "moved" => t.t(&format!("calendar-notice-{}", q.notice)),
        _ => String::new(),
    };
    Ok(Cal {
        view,
        back: format!("view={view}&date={date}{filters}"),
        date,
        title,
        prev: prev.format("%Y-%m-%d").to_string(),
        next: next.format("%Y-%m-%d").to_string(),
        today: today.format("%Y-%m-%d").to_string(),
        weekdays: (0..7).map(|i| short_weekday(i, locale)).collect(),
        weeks,
        total: posts.len(),
        hours: if view == "week" { grid_hours(&days, locale) } else { Vec::new() },
        days,
        channel: channel_filter.map(|c| c.to_string()).unwrap_or_default(),
        status: status_filter.map(PostStatus::as_str).unwrap_or_default().to_owned(),
        filters,
        zone: tz.name().to_owned(),
        notice,
        error: input.error,
        error_post,
        failed,
        failed_count,
        reconnect: views.iter().filter(|c| c.needs_reconnect).cloned().collect(),
    })
}

/// The words of the page that the calendar's body needs, without the whole layout.
#[derive(Debug, Clone)]
pub struct Lite {
    t: Tr,
    csrf: String,
    /// Since when crisis mode holds posts back, if it does (cards say "held", not "scheduled").
    crisis: Option<String>,
}

/// The words of the calendar's body, with the workspace's crisis state.
async fn lite(state: &AppState, ctx: &Ctx, t: Tr) -> Result<Lite, WebError> {
    let crisis =
        state.app.crisis(&ctx.actor(), &ctx.ws().workspace.slug).await.map_err(|e| page_err(e, ctx))?;
    Ok(Lite { t, csrf: ctx.csrf.clone(), crisis: crisis.map(|c| c.since.to_string()) })
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    l: Layout,
    slug: String,
    c: Cal,
    channels: Vec<ChannelView>,
    statuses: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "calendar_body.html")]
struct CalendarBody {
    l: Lite,
    slug: String,
    c: Cal,
}

async fn calendar_full(
    state: &AppState,
    ctx: &Ctx,
    q: &CalQuery,
    error: FieldError,
    error_post: i64,
) -> Result<CalendarPage, WebError> {
    let t = ctx.tr();
    let slug = ctx.ws().workspace.slug.clone();
    let c = calendar(state, ctx, CalInput { q, error, error_post }).await?;
    let channels = state.app.channels(&ctx.actor(), &slug).await.map_err(|e| page_err(e, ctx))?;
    let names = member_names(state, ctx).await?;
    let l = layout(state, ctx, t.t("calendar-title"), "calendar").await?;
    Ok(CalendarPage {
        l,
        slug,
        c,
        channels: channel_views(&channels, &names, ctx),
        statuses: STATUSES.iter().map(|s| (s.as_str(), t.t(&format!("post-status-{s}")))).collect(),
    })
}

async fn calendar_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<CalQuery>,
) -> Result<Response, WebError> {
    let page = calendar_full(&state, &ctx, &q, FieldError::default(), 0).await?;
    render(StatusCode::OK, &page)
}

/// Moving a post: a new local date and time (`at`, the keyboard form), or a new day (`date`,
/// dropped there) at the same time of day.
#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    at: String,
    #[serde(default)]
    date: String,
    /// The calendar's query string to come back to.
    #[serde(default)]
    back: String,
}

async fn reschedule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, post_id)): Path<(String, i64)>,
    headers: HeaderMap,
    Form(form): Form<MoveForm>,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let tz = zone(&ctx);
    let mut back: CalQuery = serde_urlencoded::from_str(&form.back).unwrap_or_default();
    back.notice.clear();
    back.post.clear();
    let htmx = is_htmx(&headers);
    let wanted = if !form.at.trim().is_empty() {
        parse_local(&form.at, &t)
    } else if let Ok(day) = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d") {
        // The same time of day as before, on the day it was dropped on.
        let post = state.app.post(&ctx.actor(), &slug, post_id).await.map_err(|e| page_err(e, &ctx))?;
        Ok(day.and_time(local(placed_at(&post), tz).time()))
    } else {
        Err(FieldError { field: "at".into(), message: t.t("error-date_invalid") })
    };
    let now = tutti_app::store::now_ms();
    let outcome: Result<Post, FieldError> = match wanted.and_then(|n| local_instant(tz, n, &t)) {
        Err(e) => Err(e),
        Ok(at) => {
            match state.app.reschedule_post(&ctx.actor(), &slug, post_id, &at.to_rfc3339(), now).await {
                Ok(p) => Ok(p),
                Err(e) => Err(form_error(e, &ctx)?),
            }
        }
    };
    match outcome {
        Ok(moved) => {
            let day = local(placed_at(&moved), tz).date_naive().format("%Y-%m-%d").to_string();
            if htmx {
                back.notice = "moved".into();
                back.post = moved.id.to_string();
                let c = calendar(
                    &state,
                    &ctx,
                    CalInput { q: &back, error: FieldError::default(), error_post: 0 },
                )
                .await?;
                render(StatusCode::OK, &CalendarBody { l: lite(&state, &ctx, t).await?, slug, c })
            } else {
                let view = if back.view.is_empty() { "month" } else { back.view.as_str() };
                let mut to = format!("/w/{slug}/calendar?view={}&date={day}", urlencode(view));
                if !back.channel.is_empty() {
                    to.push_str(&format!("&channel={}", urlencode(&back.channel)));
                }
                if !back.status.is_empty() {
                    to.push_str(&format!("&status={}", urlencode(&back.status)));
                }
                to.push_str(&format!("&notice=moved&post={}#post-{}", moved.id, moved.id));
                Ok(see_other(&to))
            }
        }
        Err(error) => {
            let status = match error.field.as_str() {
                "" => StatusCode::FORBIDDEN,
                "post" => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            if htmx {
                let c = calendar(&state, &ctx, CalInput { q: &back, error, error_post: post_id }).await?;
                render(status, &CalendarBody { l: lite(&state, &ctx, t).await?, slug, c })
            } else {
                let page = calendar_full(&state, &ctx, &back, error, post_id).await?;
                render(status, &page)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The editorial charter: the live check of the composer, and the charter's page

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

#[derive(Template)]
#[template(path = "charter.html")]
struct CharterPage {
    l: Layout,
    slug: String,
    f: CharterForm,
    /// Whether the reader may change the charter (otherwise the page only shows it).
    can_edit: bool,
    saved: bool,
    error: FieldError,
    /// The required hashtags as rows: (channel, hashtags), with empty rows to add more.
    hashtag_rows: Vec<(String, String)>,
    /// The pillars as rows: (name, keywords, target in percent), with empty rows to add more.
    pillar_rows: Vec<(String, String, String)>,
    /// The workspace's channels, to pick the one a hashtag line is for.
    channel_handles: Vec<String>,
}

/// Empty rows offered under the filled ones, to add a line without writing syntax.
const SPARE_ROWS: usize = 2;

/// The hashtag lines of a charter's form (`@brand: #a #b`) as rows.
fn hashtag_rows(text: &str) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.split_once(':') {
            Some((c, tags)) => (c.trim().to_owned(), tags.trim().to_owned()),
            None => ("*".to_owned(), l.trim().to_owned()),
        })
        .collect();
    rows.extend((0..SPARE_ROWS).map(|_| ("*".to_owned(), String::new())));
    rows
}

/// The pillar lines of a charter's form (`Products: bread, croissant* = 40%`) as rows.
fn pillar_rows(text: &str) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, rest) = l.split_once(':').unwrap_or((l, ""));
            let (keywords, target) = rest.rsplit_once('=').unwrap_or((rest, ""));
            (
                name.trim().to_owned(),
                keywords.trim().to_owned(),
                target.trim().trim_end_matches('%').trim().to_owned(),
            )
        })
        .collect();
    rows.extend((0..SPARE_ROWS).map(|_| Default::default()));
    rows
}

impl CharterPage {
    /// The channels a hashtag row can be for: (value, label, chosen). A channel written in an
    /// older form of its handle stays offered.
    fn channel_options(&self, chosen: &str) -> Vec<(String, String, bool)> {
        let same =
            |a: &str, b: &str| a.trim_start_matches('@').eq_ignore_ascii_case(b.trim_start_matches('@'));
        let mut out = vec![("*".to_owned(), self.l.t.t("charter-every-channel"), chosen.trim() == "*")];
        for h in &self.channel_handles {
            out.push((h.clone(), h.clone(), same(h, chosen)));
        }
        if chosen.trim() != "*"
            && !chosen.trim().is_empty()
            && !self.channel_handles.iter().any(|h| same(h, chosen))
        {
            out.push((chosen.to_owned(), chosen.to_owned(), true));
        }
        out
    }

    fn new(
        l: Layout,
        slug: String,
        f: CharterForm,
        can_edit: bool,
        saved: bool,
        error: FieldError,
        channel_handles: Vec<String>,
    ) -> CharterPage {
        CharterPage {
            l,
            slug,
            hashtag_rows: hashtag_rows(&f.required_hashtags),
            pillar_rows: pillar_rows(&f.pillars),
            f,
            can_edit,
            saved,
            error,
            channel_handles,
        }
    }

    /// Whether the spelling check reads `code` (`fr`, `en`).
    fn spells(&self, code: &str) -> bool {
        self.f.spelling.split(|c: char| c == ',' || c.is_whitespace()).any(|l| l.eq_ignore_ascii_case(code))
    }
}

/// The handles of the workspace's channels, for the hashtag rows.
async fn charter_channels(state: &AppState, ctx: &Ctx) -> Result<Vec<String>, WebError> {
    let channels =
        state.app.channels(&ctx.actor(), &ctx.ws().workspace.slug).await.map_err(|e| page_err(e, ctx))?;
    Ok(channels.into_iter().map(|c| c.handle).collect())
}

async fn charter_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    let charter = state.app.charter(&ctx.actor(), &slug).await.map_err(|e| page_err(e, &ctx))?;
    let l = layout(&state, &ctx, ctx.tr().t("charter-title"), "charter").await?;
    let handles = charter_channels(&state, &ctx).await?;
    let page = CharterPage::new(
        l,
        slug,
        CharterForm::of(&charter),
        ctx.ws().allows(Action::ApprovePosts),
        false,
        FieldError::default(),
        handles,
    );
    render(StatusCode::OK, &page)
}

/// The charter's form as sent: text fields, checkboxes, a choice of severity per check, and
/// rows for the hashtags (channel, hashtags) and the pillars (name, keywords, target), in the
/// order of the page. The text forms `required_hashtags` and `pillars` are still read (the
/// rows are added after them).
#[derive(Debug, Default)]
pub struct CharterFields {
    tone_notes: String,
    banned: String,
    required_hashtags: String,
    alt_text_required: bool,
    spelling_fr: bool,
    spelling_en: bool,
    pillars: String,
    vocabulary: String,
    severity_banned: String,
    severity_hashtags: String,
    severity_alt_text: String,
    severity_spelling: String,
}

impl CharterFields {
    fn of(pairs: Vec<(String, String)>) -> CharterFields {
        let mut f = CharterFields::default();
        let (mut tag_channels, mut tag_lists) = (Vec::new(), Vec::new());
        let (mut names, mut keywords, mut targets) = (Vec::new(), Vec::new(), Vec::new());
        for (k, v) in pairs {
            match k.as_str() {
                "tone_notes" => f.tone_notes = v,
                "banned" => f.banned = v,
                "required_hashtags" => f.required_hashtags = v,
                "alt_text_required" => f.alt_text_required = true,
                "spelling_fr" => f.spelling_fr = true,
                "spelling_en" => f.spelling_en = true,
                "pillars" => f.pillars = v,
                "vocabulary" => f.vocabulary = v,
                "severity_banned" => f.severity_banned = v,
                "severity_hashtags" => f.severity_hashtags = v,
                "severity_alt_text" => f.severity_alt_text = v,
                "severity_spelling" => f.severity_spelling = v,
                "hashtag_channel" => tag_channels.push(v),
                "hashtag_tags" => tag_lists.push(v),
                "pillar_name" => names.push(v),
                "pillar_keywords" => keywords.push(v),
                "pillar_target" => targets.push(v),
                _ => {}
            }
        }
        let mut lines: Vec<String> =
            f.required_hashtags.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect();
        for (i, tags) in tag_lists.iter().enumerate() {
            // One line per row; a tag written without its # gets one.
            let tags: Vec<String> = tags
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|t| !t.is_empty())
                .map(|t| if t.starts_with('#') { t.to_owned() } else { format!("#{t}") })
                .collect();
            if tags.is_empty() {
                continue;
            }
            let channel = tag_channels.get(i).map(|c| c.trim()).filter(|c| !c.is_empty()).unwrap_or("*");
            lines.push(format!("{channel}: {}", tags.join(" ")));
        }
        f.required_hashtags = lines.join("\n");
        let mut lines: Vec<String> =
            f.pillars.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect();
        for (i, name) in names.iter().enumerate() {
            let words = keywords.get(i).map(|k| k.trim()).unwrap_or_default();
            let target = targets.get(i).map(|t| t.trim().trim_end_matches('%').trim()).unwrap_or_default();
            if name.trim().is_empty() && words.is_empty() && target.is_empty() {
                continue;
            }
            let mut line = format!("{}: {words}", name.trim());
            if !target.is_empty() {
                line.push_str(&format!(" = {target}%"));
            }
            lines.push(line);
        }
        f.pillars = lines.join("\n");
        f
    }
}

async fn save_charter(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = CharterFields::of(pairs);
    let slug = ctx.ws().workspace.slug.clone();
    let spelling: Vec<&str> = [("fr", fields.spelling_fr), ("en", fields.spelling_en)]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(code, _)| code)
        .collect();
    let form = CharterForm {
        tone_notes: fields.tone_notes,
        banned: fields.banned,
        required_hashtags: fields.required_hashtags,
        alt_text_required: fields.alt_text_required,
        spelling: spelling.join(", "),
        pillars: fields.pillars,
        vocabulary: fields.vocabulary,
        severity_banned: fields.severity_banned,
        severity_hashtags: fields.severity_hashtags,
        severity_alt_text: fields.severity_alt_text,
        severity_spelling: fields.severity_spelling,
    };
    let outcome = state.app.set_charter(&ctx.actor(), &slug, &form).await;
    let l = layout(&state, &ctx, ctx.tr().t("charter-title"), "charter").await?;
    let can_edit = ctx.ws().allows(Action::ApprovePosts);
    let handles = charter_channels(&state, &ctx).await?;
    match outcome {
        Ok(saved) => render(
            StatusCode::OK,
            &CharterPage::new(
                l,
                slug,
                CharterForm::of(&saved),
                can_edit,
                true,
                FieldError::default(),
                handles,
            ),
        ),
        Err(e) => {
            let error = form_error(e, &ctx)?;
            render(form_status(&error), &CharterPage::new(l, slug, form, can_edit, false, error, handles))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skipped_spring_hour_is_refused_and_the_repeated_autumn_hour_is_the_first() {
        let tz = chrono_tz::Europe::Paris;
        let t = Tr::new(Locale::En);
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap();
        assert_eq!(
            local_instant(tz, at("2026-03-29T10:00"), &t).unwrap().to_rfc3339(),
            "2026-03-29T10:00:00+02:00"
        );
        assert_eq!(
            local_instant(tz, at("2026-03-28T10:00"), &t).unwrap().to_rfc3339(),
            "2026-03-28T10:00:00+01:00"
        );
        let e = local_instant(tz, at("2026-03-29T02:30"), &t).unwrap_err();
        assert_eq!(e.field, "at");
        assert!(e.message.contains("2:30 AM") && e.message.contains("Europe/Paris"), "{}", e.message);
        assert_eq!(
            local_instant(tz, at("2026-10-25T02:30"), &t).unwrap().to_rfc3339(),
            "2026-10-25T02:30:00+02:00"
        );
    }

    #[test]
    fn times_and_days_read_as_each_language_writes_them() {
        assert_eq!(clock(14, 30, Locale::Fr), "14 h 30");
        assert_eq!(clock(14, 30, Locale::En), "2:30 PM");
        assert_eq!(clock(0, 5, Locale::En), "12:05 AM");
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(long_day(d, Locale::Fr), "dimanche 29 mars 2026");
        assert_eq!(long_day(d, Locale::En), "Sunday, March 29, 2026");
        assert_eq!(month_title(d, Locale::Fr), "mars 2026");
    }

    #[test]
    fn images_are_typed_by_their_bytes_and_languages_are_tags() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(sniff(b"<svg onload=alert(1)>"), "application/octet-stream");
        let t = Tr::new(Locale::En);
        assert_eq!(parse_langs("fr, EN pt-BR", &t).unwrap(), ["fr", "en", "pt-br"]);
        assert_eq!(parse_langs("<b>", &t).unwrap_err().field, "langs");
        assert_eq!(excerpt("ab👨‍👩‍👧‍👦cd", 3), "ab👨‍👩‍👧‍👦…");
    }
}
