//! Accounts: first-run setup, sign-in with rate limiting, sessions, API tokens, invitations,
//! personal settings.

use serde_json::json;
use tutti_domain::{Action, DisplayName, Email, InputError, Locale, Password, TimeZone};
use tutti_store::audit::{self, NewAuditEntry};
use tutti_store::auth::{self, ApiToken};
use tutti_store::users::{self, NewUser, User};
use tutti_store::{now_ms, two_factor, workspaces, Db, StoreError};

use crate::error::not_found;
use crate::secrets::{hash_password, hash_secret, new_secret, verify_password};
use crate::{Actor, App, AppError, CurrentUser};

/// A session just opened: the secrets go into cookies, only their hashes are stored.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    /// The session cookie's value.
    pub token: String,
    /// The CSRF token forms must carry.
    pub csrf: String,
    /// The signed-in person.
    pub user: CurrentUser,
    /// Expiry, ms since the epoch.
    pub expires_at: i64,
}

/// What a right password leads to.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// Signed in.
    Session(IssuedSession),
    /// The person signs in with a second factor: the code is asked next.
    SecondFactor(Challenge),
}

/// A sign-in waiting for its second factor: the secret goes into a short-lived cookie.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// The challenge's secret.
    pub token: String,
    /// Expiry, ms since the epoch.
    pub expires_at: i64,
}

/// The refusal of a wrong second factor (the challenge stays open for another try).
pub const WRONG_CODE: &str = "wrong code";

/// How long the second step of a sign-in may wait for its code.
const CHALLENGE_TTL_MS: i64 = 5 * 60 * 1000;

/// The throttling subject of an e-mail.
pub(crate) fn email_subject(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

/// An API token just created; the secret is shown once and never again.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The stored token, without secret.
    pub token: ApiToken,
    /// The bearer secret.
    pub secret: String,
}

/// Writes an audit entry inside the caller's transaction.
pub(crate) async fn record(
    db: &mut Db,
    actor: &Actor,
    workspace_id: Option<i64>,
    action: &str,
    target: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), AppError> {
    audit::append(
        db,
        &NewAuditEntry {
            actor_user_id: actor.user_id(),
            actor: actor.label(),
            workspace_id,
            action,
            target,
            before,
            after,
        },
    )
    .await?;
    Ok(())
}

/// Maps a uniqueness conflict on users to a field error.
pub(crate) fn email_taken(email: &Email) -> impl FnOnce(StoreError) -> AppError + '_ {
    move |err| match err {
        StoreError::Conflict { .. } => AppError::Conflict(InputError::new(
            "email",
            "email_taken",
            format!("an account already uses {email}"),
        )),
        other => other.into(),
    }
}

impl App {
    /// Whether the instance has no account yet (first run).
    pub async fn setup_needed(&self) -> Result<bool, AppError> {
        Ok(users::count(&mut *self.store.conn().await?).await? == 0)
    }

    /// On first run, issues a one-time setup secret; `None` once an account exists.
    pub async fn issue_setup_token(&self) -> Result<Option<String>, AppError> {
        let mut tx = self.store.begin().await?;
        if users::count(&mut tx).await? > 0 {
            return Ok(None);
        }
        let secret = new_secret("");
        auth::insert_setup_token(&mut tx, &hash_secret(&secret)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Some(secret))
    }

    /// Whether a setup secret is valid (known, unused, and no account exists yet).
    pub async fn setup_token_valid(&self, secret: &str) -> Result<bool, AppError> {
        let mut db = self.store.conn().await?;
        Ok(users::count(&mut db).await? == 0
            && auth::setup_token_valid(&mut db, &hash_secret(secret)).await?)
    }

    /// Creates the first administrator with a setup secret.
    pub async fn complete_setup(
        &self,
        secret: &str,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<CurrentUser, AppError> {
        let account = Account::parse(email, name, password).await?;
        let mut tx = self.store.begin().await?;
        let refused = || {
            AppError::Invalid(InputError::new("token", "setup_token_invalid", "this setup link is invalid or was already used; run tutti serve again on an empty database for a new one"))
        };
        if users::count(&mut tx).await? > 0 {
            return Err(refused());
        }
        auth::use_setup_token(&mut tx, &hash_secret(secret)).await.map_err(|_| refused())?;
        let user = account.insert(&mut tx, true).await?;
        workspaces::default_organisation(&mut tx, "Tutti").await?;
        let actor = Actor::User(user.clone().into());
        record(
            &mut tx,
            &actor,
            None,
            "instance.setup",
            account.email.as_str(),
            None,
            Some(json!({"email": user.email, "admin": true})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(user.into())
    }

    /// Signs in with e-mail and password from `client` (an address). A person with two-factor
    /// sign-in gets a [`Challenge`] to answer with a code instead of a session.
    ///
    /// Each attempt is counted before the password is checked (see [`App::count_attempt`]):
    /// per e-mail and per client, a few attempts go through, then each further one waits a
    /// delay that doubles up to a cap, so that guessing is slow and the right password is
    /// never locked out for long.
    pub async fn sign_in(&self, email: &str, password: &str, client: &str) -> Result<SignIn, AppError> {
        let email_key = email_subject(email);
        let client_key = format!("client:{client}");
        self.count_attempt(&email_key, self.config.max_failures_per_email).await?;
        self.count_attempt(&client_key, self.config.max_failures_per_client).await?;
        let user = match Email::parse(email, "email") {
            Ok(e) => match users::by_email(&mut *self.store.conn().await?, e.as_str()).await {
                Ok(u) => Some(u),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            Err(_) => None,
        };
        let hash = match &user {
            Some(u) => users::password_hash(&mut *self.store.conn().await?, u.id).await?,
            None => None,
        };
        let ok = verify_password(password.to_owned(), hash).await;
        // A failed attempt stays counted against both the e-mail and the client.
        let Some(user) = user.filter(|_| ok) else {
            return Err(AppError::Unauthenticated("wrong e-mail or password"));
        };
        let mut tx = self.store.begin().await?;
        // Colleagues behind one address who sign in do not use up each other's attempts.
        auth::take_back_attempt(&mut tx, &client_key).await?;
        if user.two_factor {
            // The e-mail's attempt stays counted until the code is right too.
            let token = new_secret("");
            let expires_at = self.config.clock.now_ms() + CHALLENGE_TTL_MS;
            two_factor::insert_challenge(&mut tx, &hash_secret(&token), user.id, expires_at).await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(SignIn::SecondFactor(Challenge { token, expires_at }));
        }
        auth::forget_attempts(&mut tx, &email_key).await?;
        let issued = open_session(&mut tx, user, self.config.session_ttl_ms).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(SignIn::Session(issued))
    }

    /// The second step of a sign-in: the code of the person's authenticator app, or one of
    /// their recovery codes, answers the challenge of [`App::sign_in`]. Wrong codes count as
    /// failed attempts of the e-mail.
    pub async fn complete_sign_in(&self, challenge: &str, code: &str) -> Result<IssuedSession, AppError> {
        let challenge_hash = hash_secret(challenge);
        let now = self.config.clock.now_ms();
        let expired = AppError::Unauthenticated("this sign-in expired; enter your password again");
        let Some(uid) =
            two_factor::challenge_user(&mut *self.store.conn().await?, &challenge_hash, now).await?
        else {
            return Err(expired);
        };
        let user = users::by_id(&mut *self.store.conn().await?, uid).await?;
        let email_key = email_subject(&user.email);
        self.count_attempt(&email_key, self.config.max_failures_per_email).await?;
        let mut tx = self.store.begin().await?;
        if !self.second_factor_ok(&mut tx, uid, code).await? {
            tx.commit().await.map_err(StoreError::from)?;
            return Err(AppError::Unauthenticated(WRONG_CODE));
        }
        two_factor::delete_challenge(&mut tx, &challenge_hash).await.map_err(|_| expired)?;
        auth::forget_attempts(&mut tx, &email_key).await?;
        let issued = open_session(&mut tx, user, self.config.session_ttl_ms).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(issued)
    }

    /// Counts one sign-in attempt of `subject` before it is checked, refusing with the wait
    /// while the subject must wait. The count and the decision are one atomic statement, so
    /// that concurrent attempts cannot all slip through before the first failure is recorded.
    pub(crate) async fn count_attempt(&self, subject: &str, free: i64) -> Result<(), AppError> {
        let now = self.config.clock.now_ms();
        let throttle = auth::Throttle {
            free,
            base_delay_ms: self.config.login_delay_ms,
            max_delay_ms: self.config.login_max_delay_ms,
            forget_after_ms: self.config.failure_window_ms,
        };
        let mut tx = self.store.begin().await?;
        let counted = auth::reserve_attempt(&mut tx, subject, now, &throttle).await?;
        let allowed_at =
            if counted.is_none() { auth::attempt_allowed_at(&mut tx, subject).await? } else { None };
        tx.commit().await.map_err(StoreError::from)?;
        match counted {
            Some(_) => Ok(()),
            None => {
                let wait = allowed_at.unwrap_or(now) - now;
                Err(AppError::RateLimited((wait.max(1000) as u64).div_ceil(1000)))
            }
        }
    }

    /// The person behind a session cookie, with the session's CSRF token.
    pub async fn session_user(&self, token: &str) -> Result<Option<(CurrentUser, String)>, AppError> {
        let mut db = self.store.conn().await?;
        let session = match auth::session(&mut db, &hash_secret(token), now_ms()).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let user = users::by_id(&mut db, session.user_id).await?;
        Ok(Some((user.into(), session.csrf_token)))
    }

    /// Ends a session.
    pub async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        let mut tx = self.store.begin().await?;
        auth::delete_session(&mut tx, &hash_secret(token)).await?;
        self.store.announce(&mut tx, 0, tutti_store::changes::Topic::Access).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// The person behind an API token.
    pub async fn token_user(&self, secret: &str) -> Result<Option<CurrentUser>, AppError> {
        let hash = hash_secret(secret);
        // The connection goes back to the pool before the touch takes another: holding one while
        // waiting for a second starves the pool under a burst of requests with one token.
        let owner = auth::token_owner(&mut *self.store.conn().await?, &hash).await;
        let user_id = match owner {
            Ok(Some((id, stale))) => {
                if stale {
                    let mut tx = self.store.begin().await?;
                    auth::touch_token(&mut tx, &hash).await?;
                    tx.commit().await.map_err(StoreError::from)?;
                }
                id
            }
            Ok(None) | Err(StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(Some(users::by_id(&mut *self.store.conn().await?, user_id).await?.into()))
    }

    /// Creates an account. Without a password the account waits for an invitation.
    pub async fn add_user(
        &self,
        actor: &Actor,
        email: &str,
        name: &str,
        password: &str,
        admin: bool,
    ) -> Result<User, AppError> {
        self.require(actor, Action::ManageUsers).await?;
        let account = Account::parse(email, name, password).await?;
        let mut tx = self.store.begin().await?;
        let user = account.insert(&mut tx, admin).await?;
        record(
            &mut tx,
            actor,
            None,
            "user.add",
            account.email.as_str(),
            None,
            Some(json!({"email": user.email, "name": user.name, "admin": admin})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(user)
    }

    /// Every account of the instance.
    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<User>, AppError> {
        self.require(actor, Action::ManageUsers).await?;
        Ok(users::list(&mut *self.store.conn().await?).await?)
    }

    /// The account with this e-mail (for the CLI's `--as`).
    pub async fn user_by_email(&self, email: &str) -> Result<CurrentUser, AppError> {
        let email = Email::parse(email, "email")?;
        Ok(users::by_email(&mut *self.store.conn().await?, email.as_str())
            .await
            .map_err(not_found("user"))?
            .into())
    }

    /// Creates an API token for the account `email`. People create tokens for themselves;
    /// instance administrators and the operator for anyone.
    pub async fn create_token(&self, actor: &Actor, email: &str, name: &str) -> Result<NewToken, AppError> {
        let email = Email::parse(email, "email")?;
        let name = if name.trim().is_empty() {
            "API token".to_owned()
        } else {
            DisplayName::parse(name, "name")?.as_str().to_owned()
        };
        let owner = users::by_email(&mut *self.store.conn().await?, email.as_str())
            .await
            .map_err(not_found("user"))?;
        if actor.user_id() != Some(owner.id) {
            self.require(actor, Action::ManageUsers).await?;
        }
        let mut tx = self.store.begin().await?;
        let secret = new_secret("tutti_");
        let token =
            auth::insert_token(&mut tx, owner.id, &name, &hash_secret(&secret), &secret[..12]).await?;
        record(
            &mut tx,
            actor,
            None,
            "token.create",
            email.as_str(),
            None,
            Some(json!({"name": name, "prefix": token.prefix})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(NewToken { token, secret })
    }

    /// A person's API tokens.
    pub async fn list_tokens(&self, user: &CurrentUser) -> Result<Vec<ApiToken>, AppError> {
        Ok(auth::tokens_of(&mut *self.store.conn().await?, user.id).await?)
    }

    /// Revokes one of a person's own tokens.
    pub async fn revoke_token(&self, user: &CurrentUser, id: i64) -> Result<(), AppError> {
        let mut tx = self.store.begin().await?;
        auth::revoke_token(&mut tx, user.id, id).await.map_err(not_found("token"))?;
        self.store.announce(&mut tx, 0, tutti_store::changes::Topic::Access).await?;
        record(
            &mut tx,
            &Actor::User(user.clone()),
            None,
            "token.revoke",
            &user.email,
            None,
            Some(json!({"id": id})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Who an invitation is for, if it is still valid.
    pub async fn invitation(&self, secret: &str) -> Result<CurrentUser, AppError> {
        let mut db = self.store.conn().await?;
        let uid = auth::invitation_user(&mut db, &hash_secret(secret), now_ms())
            .await
            .map_err(not_found("invitation"))?;
        Ok(users::by_id(&mut db, uid).await?.into())
    }

    /// Accepts an invitation: sets name and first password, and signs in. An invitation only
    /// ever sets the password of an account that has none (see [`auth::invitation_user`]);
    /// accepting ends the account's other invitations, sessions and API tokens, since whatever
    /// was issued before the person chose a password was not in their hands.
    pub async fn accept_invitation(
        &self,
        secret: &str,
        name: &str,
        password: &str,
    ) -> Result<IssuedSession, AppError> {
        let name = DisplayName::parse(name, "name")?;
        let password = Password::parse(password, "password")?;
        let hash = hash_password(password.expose().to_owned()).await?;
        let mut tx = self.store.begin().await?;
        let token_hash = hash_secret(secret);
        let uid =
            auth::invitation_user(&mut tx, &token_hash, now_ms()).await.map_err(not_found("invitation"))?;
        auth::use_invitation(&mut tx, &token_hash).await.map_err(not_found("invitation"))?;
        let user = users::by_id(&mut tx, uid).await?;
        users::set_first_password(&mut tx, uid, &hash).await.map_err(not_found("invitation"))?;
        auth::end_invitations(&mut tx, uid).await?;
        auth::delete_sessions(&mut tx, uid).await?;
        auth::revoke_tokens(&mut tx, uid).await?;
        self.store.announce(&mut tx, 0, tutti_store::changes::Topic::Access).await?;
        users::set_profile(&mut tx, uid, name.as_str(), user.locale.as_deref(), &user.timezone).await?;
        let user = users::by_id(&mut tx, uid).await?;
        record(
            &mut tx,
            &Actor::User(user.clone().into()),
            None,
            "invitation.accept",
            &user.email,
            None,
            Some(json!({"name": user.name})),
        )
        .await?;
        let issued = open_session(&mut tx, user, self.config.session_ttl_ms).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(issued)
    }

    /// Updates a person's name, language (`""` follows the browser) and time zone.
    pub async fn update_preferences(
        &self,
        user: &CurrentUser,
        name: &str,
        locale: &str,
        timezone: &str,
    ) -> Result<CurrentUser, AppError> {
        let name = DisplayName::parse(name, "name")?;
        let locale = if locale.trim().is_empty() { None } else { Some(Locale::parse(locale, "locale")?) };
        let tz = TimeZone::parse(timezone, "timezone")?;
        let mut tx = self.store.begin().await?;
        users::set_profile(&mut tx, user.id, name.as_str(), locale.map(|l| l.as_str()), tz.name()).await?;
        let after =
            json!({"name": name.as_str(), "locale": locale.map(|l| l.as_str()), "timezone": tz.name()});
        let before = json!({"name": user.name, "locale": user.locale, "timezone": user.timezone});
        record(
            &mut tx,
            &Actor::User(user.clone()),
            None,
            "user.preferences",
            &user.email,
            Some(before),
            Some(after),
        )
        .await?;
        let updated = users::by_id(&mut tx, user.id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(updated.into())
    }

    /// Changes a person's password after checking the current one; ends their other sessions
    /// and revokes their API tokens (a stolen token must not outlive the password change).
    pub async fn change_password(
        &self,
        user: &CurrentUser,
        current: &str,
        new: &str,
        session_token: &str,
    ) -> Result<(), AppError> {
        let new = Password::parse(new, "new_password")?;
        let stored = users::password_hash(&mut *self.store.conn().await?, user.id).await?;
        if !verify_password(current.to_owned(), stored).await {
            return Err(AppError::Invalid(InputError::new(
                "current_password",
                "password_wrong",
                "the current password is wrong",
            )));
        }
        let hash = hash_password(new.expose().to_owned()).await?;
        let mut tx = self.store.begin().await?;
        users::set_password(&mut tx, user.id, &hash).await?;
        auth::delete_other_sessions(&mut tx, user.id, &hash_secret(session_token)).await?;
        let revoked = auth::revoke_tokens(&mut tx, user.id).await?;
        self.store.announce(&mut tx, 0, tutti_store::changes::Topic::Access).await?;
        record(
            &mut tx,
            &Actor::User(user.clone()),
            None,
            "user.password",
            &user.email,
            None,
            Some(json!({"tokens_revoked": revoked})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

/// An account's validated inputs, with the password already hashed (outside any transaction).
struct Account {
    email: Email,
    name: DisplayName,
    hash: String,
}

impl Account {
    async fn parse(email: &str, name: &str, password: &str) -> Result<Account, AppError> {
        let email = Email::parse(email, "email")?;
        let name = DisplayName::parse(name, "name")?;
        let password = Password::parse(password, "password")?;
        let hash = hash_password(password.expose().to_owned()).await?;
        Ok(Account { email, name, hash })
    }

    async fn insert(&self, db: &mut Db, is_admin: bool) -> Result<User, AppError> {
        let new = NewUser {
            email: self.email.as_str(),
            name: self.name.as_str(),
            password_hash: Some(&self.hash),
            is_admin,
            timezone: "Europe/Paris",
        };
        users::insert(db, &new).await.map_err(email_taken(&self.email))
    }
}

async fn open_session(db: &mut Db, user: User, ttl_ms: i64) -> Result<IssuedSession, AppError> {
    let token = new_secret("");
    let csrf = new_secret("");
    let expires_at = now_ms() + ttl_ms;
    auth::insert_session(db, &hash_secret(&token), user.id, &csrf, expires_at).await?;
    Ok(IssuedSession { token, csrf, user: user.into(), expires_at })
}
