//! Personal settings: name, language, time zone, password, API tokens, two-factor sign-in.
//!
//! What manages credentials (the page that lists tokens, tokens, password, two-factor
//! sign-in) is for browser sessions only: an API token is refused there.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_app::store::auth::ApiToken;

use super::common::{form_error, form_status, layout, page_err, render, see_other, FieldError, Layout};
use crate::error::WebError;
use crate::format;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/settings", Access::Session, settings_page)
        .post("/settings", Access::SignedIn, save_preferences)
        .post("/settings/password", Access::Session, change_password)
        .post("/settings/tokens", Access::Session, create_token)
        .post("/settings/tokens/{id}/revoke", Access::Session, revoke_token)
        .get("/settings/two-factor", Access::Session, two_factor_page)
        .post("/settings/two-factor/start", Access::Session, two_factor_start)
        .post("/settings/two-factor/confirm", Access::Session, two_factor_confirm)
        .post("/settings/two-factor/disable", Access::Session, two_factor_disable)
}

/// Zones offered in the time-zone list (any IANA name is accepted).
const COMMON_ZONES: [&str; 12] = [
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Zurich",
    "Europe/Luxembourg",
    "Europe/London",
    "America/Montreal",
    "America/New_York",
    "America/Los_Angeles",
    "Africa/Casablanca",
    "Africa/Dakar",
    "Indian/Reunion",
    "UTC",
];

/// A token as listed.
#[derive(Debug, Clone)]
pub struct TokenView {
    id: i64,
    name: String,
    prefix: String,
    created: String,
    last_used: Option<String>,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    l: Layout,
    name: String,
    locale: String,
    timezone: String,
    zones: Vec<&'static str>,
    tokens: Vec<TokenView>,
    new_token: Option<String>,
    error: FieldError,
    saved: Option<String>,
    two_factor: bool,
}

async fn view(
    state: &AppState,
    ctx: &Ctx,
    error: FieldError,
    saved: Option<String>,
    new_token: Option<String>,
) -> Result<SettingsPage, WebError> {
    let me = ctx.me().clone();
    let tz = me.timezone.clone();
    let tokens = state.app.list_tokens(&me).await.map_err(|e| page_err(e, ctx))?;
    let view = |tk: ApiToken| TokenView {
        id: tk.id,
        name: tk.name,
        prefix: tk.prefix,
        created: format::datetime(tk.created_at, &tz, ctx.locale),
        last_used: tk.last_used_at.map(|t| format::datetime(t, &tz, ctx.locale)),
        revoked: tk.revoked_at.is_some(),
    };
    let l = layout(state, ctx, ctx.tr().t("settings-title"), "settings").await?;
    Ok(SettingsPage {
        l,
        name: me.name,
        locale: me.locale.unwrap_or_default(),
        timezone: me.timezone,
        zones: COMMON_ZONES.to_vec(),
        tokens: tokens.into_iter().map(view).collect(),
        new_token,
        error,
        saved,
        two_factor: me.two_factor,
    })
}

async fn settings_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    render(StatusCode::OK, &view(&state, &ctx, FieldError::default(), None, None).await?)
}

#[derive(Debug, Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    timezone: String,
}

async fn save_preferences(
    State(state): State<AppState>,
    Extension(mut ctx): Extension<Ctx>,
    Form(form): Form<PreferencesForm>,
) -> Result<Response, WebError> {
    match state.app.update_preferences(ctx.me(), &form.name, &form.locale, &form.timezone).await {
        Ok(user) => {
            // Answer in the language just chosen.
            if let Some(l) =
                user.locale.as_deref().and_then(|l| tutti_domain::Locale::parse(l, "locale").ok())
            {
                ctx.locale = l;
            }
            ctx.user = Some(user);
            let saved = ctx.tr().t("settings-saved");
            render(StatusCode::OK, &view(&state, &ctx, FieldError::default(), Some(saved), None).await?)
        }
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let mut page = view(&state, &ctx, error, None, None).await?;
            page.name = form.name;
            page.timezone = form.timezone;
            render(form_status(&page.error), &page)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let token = ctx.session_token.clone().unwrap_or_default();
    match state.app.change_password(ctx.me(), &form.current_password, &form.new_password, &token).await {
        Ok(()) => {
            let saved = ctx.tr().t("settings-password-saved");
            render(StatusCode::OK, &view(&state, &ctx, FieldError::default(), Some(saved), None).await?)
        }
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let page = view(&state, &ctx, error, None, None).await?;
            render(form_status(&page.error), &page)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token_name: String,
}

async fn create_token(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    let me = ctx.me().clone();
    match state.app.create_token(&ctx.actor(), &me.email, &form.token_name).await {
        Ok(new) => {
            render(StatusCode::OK, &view(&state, &ctx, FieldError::default(), None, Some(new.secret)).await?)
        }
        Err(e) => {
            let mut error = form_error(e, &ctx)?;
            if error.field == "name" {
                error.field = "token_name".into();
            }
            let page = view(&state, &ctx, error, None, None).await?;
            render(form_status(&page.error), &page)
        }
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    state.app.revoke_token(ctx.me(), id).await.map_err(|e| page_err(e, &ctx))?;
    Ok(see_other("/settings"))
}

#[derive(Template)]
#[template(path = "settings_two_factor.html")]
struct TwoFactorPage {
    l: Layout,
    /// A workspace of the reader requires it and it is off.
    required: bool,
    enabled: bool,
    pending: Option<tutti_app::two_factor::TotpSetup>,
    recovery_left: usize,
    /// Recovery codes just made, shown once.
    recovery_codes: Vec<String>,
    error: FieldError,
    saved: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct TwoFactorQuery {
    #[serde(default)]
    required: String,
}

async fn two_factor_view(
    state: &AppState,
    ctx: &Ctx,
    required: bool,
    error: FieldError,
) -> Result<TwoFactorPage, WebError> {
    let status = state.app.two_factor_status(ctx.me()).await.map_err(|e| page_err(e, ctx))?;
    let l = layout(state, ctx, ctx.tr().t("two-factor-title"), "settings").await?;
    Ok(TwoFactorPage {
        l,
        required: required && !status.enabled,
        enabled: status.enabled,
        pending: status.pending,
        recovery_left: usize::try_from(status.recovery_codes_left).unwrap_or(0),
        recovery_codes: Vec::new(),
        error,
        saved: None,
    })
}

async fn two_factor_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    axum::extract::Query(q): axum::extract::Query<TwoFactorQuery>,
) -> Result<Response, WebError> {
    let page = two_factor_view(&state, &ctx, !q.required.is_empty(), FieldError::default()).await?;
    render(StatusCode::OK, &page)
}

async fn two_factor_start(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, WebError> {
    match state.app.start_two_factor(ctx.me()).await {
        Ok(_) => Ok(see_other("/settings/two-factor")),
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let page = two_factor_view(&state, &ctx, false, error).await?;
            render(form_status(&page.error), &page)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn two_factor_confirm(
    State(state): State<AppState>,
    Extension(mut ctx): Extension<Ctx>,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    match state.app.confirm_two_factor(ctx.me(), &form.code).await {
        Ok(codes) => {
            if let Some(u) = ctx.user.as_mut() {
                u.two_factor = true;
            }
            let mut page = two_factor_view(&state, &ctx, false, FieldError::default()).await?;
            page.recovery_codes = codes;
            page.saved = Some(ctx.tr().t("two-factor-enabled"));
            render(StatusCode::OK, &page)
        }
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let page = two_factor_view(&state, &ctx, false, error).await?;
            render(form_status(&page.error), &page)
        }
    }
}

async fn two_factor_disable(
    State(state): State<AppState>,
    Extension(mut ctx): Extension<Ctx>,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    match state.app.disable_two_factor(ctx.me(), &form.code).await {
        Ok(()) => {
            if let Some(u) = ctx.user.as_mut() {
                u.two_factor = false;
            }
            let mut page = two_factor_view(&state, &ctx, false, FieldError::default()).await?;
            page.saved = Some(ctx.tr().t("two-factor-disabled"));
            render(StatusCode::OK, &page)
        }
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let page = two_factor_view(&state, &ctx, false, error).await?;
            render(form_status(&page.error), &page)
        }
    }
}
