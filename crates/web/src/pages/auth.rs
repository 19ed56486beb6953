//! Sign-in, sign-out, first-run setup and invitations.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_app::AppError;

use super::{
    bare_layout, form_error, form_status, page_err, render, safe_next, see_other, session_cookie,
    with_cookie, FieldError, Layout,
};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/login", Access::Public, login_page)
        .post("/login", Access::Public, login_submit)
        .post("/logout", Access::SignedIn, logout)
        .get("/setup", Access::Public, setup_page)
        .post("/setup", Access::Public, setup_submit)
        .get("/invite/{token}", Access::Public, invite_page)
        .post("/invite/{token}", Access::Public, invite_submit)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    email: String,
    next: String,
    error: Option<String>,
    setup_needed: bool,
}

#[derive(Debug, Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    if ctx.user.is_some() {
        return Ok(see_other(safe_next(&q.next)));
    }
    let setup_needed = state.app.setup_needed().await.map_err(|e| page_err(e, &ctx))?;
    let page = LoginPage {
        l: bare_layout(&ctx, ctx.tr().t("login-title")),
        email: String::new(),
        next: safe_next(&q.next).to_owned(),
        error: None,
        setup_needed,
    };
    render(StatusCode::OK, &page)
}

async fn login_submit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let mut retry_after: Option<u64> = None;
    let (status, error) = match state.app.sign_in(&form.email, &form.password, &ctx.client).await {
        Ok(session) => {
            let cookie = session_cookie(&state, Some((&session.token, session.expires_at)));
            return Ok(with_cookie(see_other(safe_next(&form.next)), cookie));
        }
        Err(AppError::Unauthenticated(_)) => (StatusCode::UNAUTHORIZED, t.t("login-wrong")),
        Err(AppError::RateLimited(secs)) => {
            retry_after = Some(secs);
            (
                StatusCode::TOO_MANY_REQUESTS,
                t.t1("login-rate-limited", "minutes", &secs.div_ceil(60).to_string()),
            )
        }
        Err(e) => return Err(page_err(e, &ctx)),
    };
    let page = LoginPage {
        l: bare_layout(&ctx, t.t("login-title")),
        email: form.email,
        next: safe_next(&form.next).to_owned(),
        error: Some(error),
        setup_needed: false,
    };
    let mut response = render(status, &page)?;
    if let Some(secs) = retry_after {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
    }
    Ok(response)
}

async fn logout(State(state): State<AppState>, Extension(ctx): Extension<Ctx>) -> Result<Response, WebError> {
    if let Some(token) = &ctx.session_token {
        state.app.sign_out(token).await.map_err(|e| page_err(e, &ctx))?;
    }
    Ok(with_cookie(see_other("/login"), session_cookie(&state, None)))
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    l: Layout,
    token: String,
    email: String,
    name: String,
    error: FieldError,
}

#[derive(Debug, Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

async fn setup_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, WebError> {
    if !state.app.setup_token_valid(&q.token).await.map_err(|e| page_err(e, &ctx))? {
        return Err(page_err(AppError::NotFound("setup link"), &ctx));
    }
    let page = SetupPage {
        l: bare_layout(&ctx, ctx.tr().t("setup-title")),
        token: q.token,
        email: String::new(),
        name: String::new(),
        error: FieldError::default(),
    };
    render(StatusCode::OK, &page)
}

async fn setup_submit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<SetupForm>,
) -> Result<Response, WebError> {
    match state.app.complete_setup(&form.token, &form.email, &form.name, &form.password).await {
        Ok(user) => {
            let session = state
                .app
                .sign_in(&user.email, &form.password, &ctx.client)
                .await
                .map_err(|e| page_err(e, &ctx))?;
            let cookie = session_cookie(&state, Some((&session.token, session.expires_at)));
            Ok(with_cookie(see_other("/workspaces"), cookie))
        }
        Err(e) => {
            let error = form_error(e, &ctx)?;
            let page = SetupPage {
                l: bare_layout(&ctx, ctx.tr().t("setup-title")),
                token: form.token,
                email: form.email,
                name: form.name,
                error,
            };
            render(form_status(&page.error), &page)
        }
    }
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    l: Layout,
    token: String,
    email: String,
    name: String,
    error: FieldError,
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

async fn invite_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let user = state.app.invitation(&token).await.map_err(|e| page_err(e, &ctx))?;
    let page = InvitePage {
        l: bare_layout(&ctx, ctx.tr().t("invite-title")),
        token,
        email: user.email,
        name: String::new(),
        error: FieldError::default(),
    };
    render(StatusCode::OK, &page)
}

async fn invite_submit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(token): Path<String>,
    Form(form): Form<InviteForm>,
) -> Result<Response, WebError> {
    match state.app.accept_invitation(&token, &form.name, &form.password).await {
        Ok(session) => Ok(with_cookie(
            see_other("/"),
            session_cookie(&state, Some((&session.token, session.expires_at))),
        )),
        Err(e) => {
            let user = state.app.invitation(&token).await.map_err(|e| page_err(e, &ctx))?;
            let error = form_error(e, &ctx)?;
            let page = InvitePage {
                l: bare_layout(&ctx, ctx.tr().t("invite-title")),
                token,
                email: user.email,
                name: form.name,
                error,
            };
            render(form_status(&page.error), &page)
        }
    }
}
