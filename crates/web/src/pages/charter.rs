//! The workspace's editorial charter (`/w/{workspace}/charter`): everyone who writes reads it,
//! SMMs and admins change it. Hashtag and pillar lines are edited as rows, so that nobody
//! writes their syntax; the text forms are still read, for scripts.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use tutti_app::charter::CharterForm;
use tutti_domain::Action;

use super::common::{form_error, form_status, layout, page_err, render, FieldError, Layout};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/w/{workspace}/charter", Access::Workspace(Action::WritePosts), charter_page).post(
        "/w/{workspace}/charter",
        Access::Workspace(Action::ApprovePosts),
        save_charter,
    )
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
