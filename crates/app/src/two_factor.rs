//! Two-factor sign-in: one-time codes (TOTP, RFC 6238: HMAC-SHA1, 30-second steps, six
//! digits, one step of drift either way) and one-time recovery codes, and the workspace setting
//! that requires them.
//!
//! The TOTP secret is sealed at rest with the instance's key ring, like channel credentials;
//! recovery codes are stored as hashes. A code is accepted once: the last accepted time step is
//! kept, and only a later one passes.

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::json;
use sha1::Sha1;
use tutti_domain::{Action, InputError};
use tutti_store::{two_factor, workspaces, Db, StoreError};

use crate::accounts::{email_subject, record};
use crate::secrets::{hash_secret, Keyring};
use crate::{Actor, App, AppError, CurrentUser};

/// Seconds per time step.
const STEP_SECONDS: i64 = 30;
/// Recovery codes made when two-factor sign-in is turned on.
const RECOVERY_CODES: usize = 10;

/// The HOTP value (RFC 4226) of `counter` with `digits` digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let value =
        u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    value % 10u32.pow(digits)
}

/// The time step of a moment (ms since the epoch).
pub fn time_step(now_ms: i64) -> i64 {
    now_ms.div_euclid(1000 * STEP_SECONDS)
}

/// The six-digit code of a time step.
pub fn totp_code(secret: &[u8], step: i64) -> String {
    format!("{:06}", hotp(secret, step.max(0) as u64, 6))
}

/// The step, within one of `now`'s either way, whose code `code` is, if any.
pub fn matching_step(secret: &[u8], code: &str, now_ms: i64) -> Option<i64> {
    let now = time_step(now_ms);
    [now - 1, now, now + 1]
        .into_iter()
        .find(|&step| crate::secrets::constant_time_eq(&totp_code(secret, step), code))
}

/// Base32 (RFC 4648, no padding): how authenticator apps take a secret.
pub fn base32(bytes: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(bytes)
}

/// A code as typed: spaces and dashes dropped, lower case.
fn normalise(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_lowercase).collect()
}

/// Ten fresh recovery codes, `xxxxx-xxxxx` in lower-case base32.
fn recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 7];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let text = base32(&bytes).to_lowercase();
            format!("{}-{}", &text[..5], &text[5..10])
        })
        .collect()
}

/// Seals every TOTP secret again with the newest key of `rotated` (during a key rotation);
/// returns how many.
pub(crate) async fn reseal_secrets(db: &mut Db, rotated: &Keyring) -> Result<usize, AppError> {
    let all = two_factor::all_totp(db).await?;
    for (user_id, key_id, sealed) in &all {
        let plain = rotated.open(key_id, sealed)?;
        let (id, sealed) = rotated.seal(&plain);
        two_factor::reseal_totp(db, *user_id, &id, &sealed).await?;
    }
    Ok(all.len())
}

/// A secret waiting for its first code, as the enrolment page shows it.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    /// The secret in base32, to type into an authenticator app.
    pub secret: String,
    /// The `otpauth://` address that authenticator apps read.
    pub uri: String,
}

/// Where a person stands with two-factor sign-in.
#[derive(Debug, Clone)]
pub struct TwoFactorStatus {
    /// Whether it is on.
    pub enabled: bool,
    /// A secret waiting for confirmation, when it is not on.
    pub pending: Option<TotpSetup>,
    /// Unused recovery codes left.
    pub recovery_codes_left: i64,
}

/// The `otpauth://` address of a secret for `email`.
fn otpauth_uri(email: &str, secret: &str) -> String {
    let label: String = format!("Tutti:{email}")
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("otpauth://totp/{label}?secret={secret}&issuer=Tutti&algorithm=SHA1&digits=6&period=30")
}

fn wrong_code() -> AppError {
    AppError::Invalid(InputError::new("code", "code_wrong", "this code is wrong or was already used"))
}

impl App {
    /// Whether `code` is a right second factor of account `uid`: a code of its authenticator
    /// app not used before, or one of its unused recovery codes (used up by this call).
    pub(crate) async fn second_factor_ok(&self, db: &mut Db, uid: i64, code: &str) -> Result<bool, AppError> {
        let code = normalise(code);
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            let Some(stored) = two_factor::totp(db, uid).await?.filter(|t| t.enabled) else {
                return Ok(false);
            };
            let secret = self.keys("two-factor sign-in")?.open(&stored.key_id, &stored.sealed)?;
            let secret = data_encoding::BASE32_NOPAD
                .decode(secret.as_bytes())
                .map_err(|_| AppError::Internal("a stored two-factor secret is not base32".into()))?;
            return match matching_step(&secret, &code, self.config.clock.now_ms()) {
                Some(step) if step > stored.last_step => Ok(two_factor::use_totp_step(db, uid, step).await?),
                _ => Ok(false),
            };
        }
        if code.is_empty() {
            return Ok(false);
        }
        Ok(two_factor::use_recovery_code(db, uid, &hash_secret(&code)).await?)
    }

    /// Where a person stands with two-factor sign-in.
    pub async fn two_factor_status(&self, user: &CurrentUser) -> Result<TwoFactorStatus, AppError> {
        let mut db = self.store.conn().await?;
        let stored = two_factor::totp(&mut db, user.id).await?;
        let left = two_factor::recovery_codes_left(&mut db, user.id).await?;
        let pending = match &stored {
            Some(t) if !t.enabled => {
                let secret = self.keys("two-factor sign-in")?.open(&t.key_id, &t.sealed)?;
                Some(TotpSetup { uri: otpauth_uri(&user.email, &secret), secret })
            }
            _ => None,
        };
        Ok(TwoFactorStatus { enabled: stored.is_some_and(|t| t.enabled), pending, recovery_codes_left: left })
    }

    /// Makes a new secret for a person's authenticator app, waiting for a first code.
    pub async fn start_two_factor(&self, user: &CurrentUser) -> Result<TotpSetup, AppError> {
        let mut bytes = [0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = base32(&bytes);
        let (key_id, sealed) = self.keys("two-factor sign-in")?.seal(&secret);
        let mut tx = self.store.begin().await?;
        two_factor::set_pending_totp(&mut tx, user.id, &key_id, &sealed).await.map_err(|e| match e {
            StoreError::NotFound => AppError::Conflict(InputError::new(
                "code",
                "two_factor_on",
                "two-factor sign-in is already on; turn it off first",
            )),
            other => other.into(),
        })?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(TotpSetup { uri: otpauth_uri(&user.email, &secret), secret })
    }

    /// Turns two-factor sign-in on with a first code from the app; returns the recovery codes,
    /// shown once.
    pub async fn confirm_two_factor(&self, user: &CurrentUser, code: &str) -> Result<Vec<String>, AppError> {
        let code = normalise(code);
        let stored = two_factor::totp(&mut *self.store.conn().await?, user.id)
            .await?
            .filter(|t| !t.enabled)
            .ok_or(AppError::NotFound("two-factor setup"))?;
        let secret = self.keys("two-factor sign-in")?.open(&stored.key_id, &stored.sealed)?;
        let secret = data_encoding::BASE32_NOPAD
            .decode(secret.as_bytes())
            .map_err(|_| AppError::Internal("a stored two-factor secret is not base32".into()))?;
        let step = matching_step(&secret, &code, self.config.clock.now_ms()).ok_or_else(wrong_code)?;
        let codes = recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| hash_secret(&normalise(c))).collect();
        let mut tx = self.store.begin().await?;
        two_factor::enable_totp(&mut tx, user.id, step).await.map_err(|_| wrong_code())?;
        two_factor::replace_recovery_codes(&mut tx, user.id, &hashes).await?;
        record(&mut tx, &Actor::User(user.clone()), None, "user.two_factor.enable", &user.email, None, None)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(codes)
    }

    /// Turns two-factor sign-in off, with a code from the app or a recovery code.
    pub async fn disable_two_factor(&self, user: &CurrentUser, code: &str) -> Result<(), AppError> {
        // Guessing codes from a stolen session is as slow as guessing them at sign-in.
        self.count_attempt(&email_subject(&user.email), self.config.max_failures_per_email).await?;
        let mut tx = self.store.begin().await?;
        if !self.second_factor_ok(&mut tx, user.id, code).await? {
            return Err(wrong_code());
        }
        two_factor::delete_totp(&mut tx, user.id).await?;
        record(&mut tx, &Actor::User(user.clone()), None, "user.two_factor.disable", &user.email, None, None)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Requires (or stops requiring) two-factor sign-in of a workspace's members. An admin must
    /// have turned it on for themselves first, so as not to lock themselves out.
    pub async fn set_two_factor_required(
        &self,
        actor: &Actor,
        slug: &str,
        required: bool,
    ) -> Result<(), AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageWorkspace).await?;
        if let Actor::User(u) = actor {
            if required && !u.two_factor {
                return Err(AppError::Invalid(InputError::new(
                    "require_two_factor",
                    "two_factor_first",
                    "turn on two-factor sign-in for your own account first",
                )));
            }
        }
        let ws = access.workspace;
        let mut tx = self.store.begin().await?;
        workspaces::set_require_two_factor(&mut tx, ws.id, required).await?;
        record(
            &mut tx,
            actor,
            Some(ws.id),
            "workspace.two_factor",
            &ws.slug,
            Some(json!({"required": ws.require_two_factor})),
            Some(json!({"required": required})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 test vectors (8 digits, secret "12345678901234567890").
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (seconds, code) in [
            (59_i64, 94287082_u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            let step = time_step(seconds * 1000);
            assert_eq!(hotp(secret, step as u64, 8), code, "at {seconds} s");
            assert_eq!(totp_code(secret, step), format!("{:06}", code % 1_000_000));
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_way_and_no_further() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111_000;
        let step = time_step(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = totp_code(secret, step + offset);
            assert_eq!(
                matching_step(secret, &code, now),
                accepted.then_some(step + offset),
                "offset {offset}"
            );
        }
        assert_eq!(matching_step(secret, "abcdef", now), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_typed_loosely() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert_eq!(normalise(" ABCDE-fghij "), "abcdefghij");
        assert_eq!(
            otpauth_uri("a@b.test", "JBSWY3DP"),
            "otpauth://totp/Tutti:a%40b.test?secret=JBSWY3DP&issuer=Tutti&algorithm=SHA1&digits=6&period=30"
        );
    }
}
