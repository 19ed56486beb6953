//! Sign-in, sign-out, first-run setup and invitations.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use tutti_app::{AppError, SignIn};

use super::common::{
    bare_layout, form_error, form_status, page_err, render, safe_next, see_other, session_cookie,
    with_cookie, FieldError, Layout,
};
use crate::error::WebError;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/login", Access::Public, login_page)
        .post("/login", Access::Public, login_submit)
        .get("/login/two-factor", Access::Public, second_step_page)
        .post("/login/two-factor", Access::Public, second_step_submit)
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
        Ok(SignIn::Session(session)) => {
            let cookie = session_cookie(&state, Some((&session.token, session.expires_at)));
            return Ok(with_cookie(see_other(safe_next(&form.next)), cookie));
        }
        Ok(SignIn::SecondFactor(challenge)) => {
            let to = format!("/login/two-factor?next={}", urlencoded(safe_next(&form.next)));
            let cookie = challenge_cookie(&state, Some((&challenge.token, challenge.expires_at)));
            return Ok(with_cookie(see_other(&to), cookie));
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

const CHALLENGE_COOKIE: &str = "tutti_2fa";

/// The cookie that carries a sign-in waiting for its code (cleared with `None`).
fn challenge_cookie(state: &AppState, challenge: Option<(&str, i64)>) -> HeaderValue {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let value = match challenge {
        Some((token, expires_at)) => {
            let max_age = ((expires_at - tutti_app::store::now_ms()) / 1000).max(0);
            format!(
                "{CHALLENGE_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
            )
        }
        None => format!("{CHALLENGE_COOKIE}=; Path=/login; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&value).expect("ascii cookie")
}

fn urlencoded(value: &str) -> String {
    serde_urlencoded::to_string([("", value)]).map(|s| s[1..].to_owned()).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "login_two_factor.html")]
struct SecondStepPage {
    l: Layout,
    next: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SecondStepForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

async fn second_step_page(
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    if crate::routes::cookie(&headers, CHALLENGE_COOKIE).is_none() {
        return Ok(see_other("/login"));
    }
    let page = SecondStepPage {
        l: bare_layout(&ctx, ctx.tr().t("login-two-factor-title")),
        next: safe_next(&q.next).to_owned(),
        error: None,
    };
    render(StatusCode::OK, &page)
}

async fn second_step_submit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Form(form): Form<SecondStepForm>,
) -> Result<Response, WebError> {
    let t = ctx.tr();
    let challenge = crate::routes::cookie(&headers, CHALLENGE_COOKIE).unwrap_or_default().to_owned();
    let mut retry_after = None;
    let (status, error) = match state.app.complete_sign_in(&challenge, &form.code).await {
        Ok(session) => {
            let mut response = with_cookie(
                see_other(safe_next(&form.next)),
                session_cookie(&state, Some((&session.token, session.expires_at))),
            );
            response.headers_mut().append(header::SET_COOKIE, challenge_cookie(&state, None));
            return Ok(response);
        }
        Err(AppError::Unauthenticated(m)) if m == tutti_app::WRONG_CODE => {
            (StatusCode::UNAUTHORIZED, t.t("login-two-factor-wrong"))
        }
        Err(AppError::Unauthenticated(_)) => {
            return Ok(with_cookie(see_other("/login"), challenge_cookie(&state, None)));
        }
        Err(AppError::RateLimited(secs)) => {
            retry_after = Some(secs);
            (
                StatusCode::TOO_MANY_REQUESTS,
                t.t1("login-rate-limited", "minutes", &secs.div_ceil(60).to_string()),
            )
        }
        Err(e) => return Err(page_err(e, &ctx)),
    };
    let page = SecondStepPage {
        l: bare_layout(&ctx, t.t("login-two-factor-title")),
        next: safe_next(&form.next).to_owned(),
        error: Some(error),
    };
    let mut response = render(status, &page)?;
    if let Some(secs) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, secs.into());
    }
    Ok(response)
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

/// `/setup` without its one-time link: where to find it, or that setup is done.
#[derive(Template)]
#[template(path = "setup_help.html")]
struct SetupHelpPage {
    l: Layout,
    /// No account exists yet.
    needed: bool,
    /// A link was followed, but it is wrong or used.
    token_given: bool,
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
    if q.token.is_empty() || !state.app.setup_token_valid(&q.token).await.map_err(|e| page_err(e, &ctx))? {
        // Without its link (or with a wrong or used one), the page says where the link is.
        let needed = state.app.setup_needed().await.map_err(|e| page_err(e, &ctx))?;
        let status = if q.token.is_empty() { StatusCode::OK } else { StatusCode::NOT_FOUND };
        let page = SetupHelpPage {
            l: bare_layout(&ctx, ctx.tr().t("setup-title")),
            needed,
            token_given: !q.token.is_empty(),
        };
        return render(status, &page);
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
            let SignIn::Session(session) = state
                .app
                .sign_in(&user.email, &form.password, &ctx.client)
                .await
                .map_err(|e| page_err(e, &ctx))?
            else {
                return Ok(see_other("/login"));
            };
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
