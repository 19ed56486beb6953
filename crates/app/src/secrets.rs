//! Random secrets, their hashes, and password hashing.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppError;

/// A fresh random secret: 32 bytes, hex-encoded, with a recognisable prefix.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// The SHA-256 of a secret, hex-encoded: what the database keeps.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Hashes a password with argon2id (default parameters), off the async threads.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("cannot hash the password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// Checks a password against a stored hash, off the async threads. A missing hash is checked
/// against a dummy so that unknown accounts take as long as known ones.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let dummy = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0bTtmbGbGa7nGC4VdQ0kGYXqJ8cU0J1cSgmNhm3V0XA";
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy.to_owned());
        let ok = PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        ok && known
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hashes_stable() {
        let a = new_secret("tt_");
        assert!(a.starts_with("tt_") && a.len() == 67);
        assert_ne!(a, new_secret("tt_"));
        assert_eq!(hash_secret("x"), hash_secret("x"));
        assert!(
            constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd") && !constant_time_eq("a", "ab")
        );
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong horse battery".into(), Some(hash)).await);
        assert!(!verify_password("anything".into(), None).await);
    }
}

/// The keys that encrypt credentials at rest (AES-256-GCM). The first key encrypts; any key
/// of the ring decrypts what it encrypted, so that keys can be rotated (`tutti key rotate`).
///
/// A ring is written as text, one key per line: `<id> <key in base64>`, newest first. Its `Debug`
/// shows the ids only.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("ids", &self.keys.iter().map(|(id, _)| id).collect::<Vec<_>>())
            .finish()
    }
}

impl Keyring {
    /// A ring with one fresh random key.
    pub fn generate() -> Keyring {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Keyring { keys: vec![(key_id(&key), key)] }
    }

    /// Reads a ring from its text form; the error says which line is wrong.
    pub fn parse(text: &str) -> Result<Keyring, String> {
        use base64::Engine as _;
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let (id, b64) = line
                .trim()
                .split_once(' ')
                .ok_or_else(|| format!("line {}: expected `<id> <base64 key>`", n + 1))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| format!("line {}: the key is not base64: {e}", n + 1))?;
            let key: [u8; 32] =
                bytes.try_into().map_err(|_| format!("line {}: a key must be 32 bytes", n + 1))?;
            keys.push((id.to_owned(), key));
        }
        if keys.is_empty() {
            return Err("no key in the key file".into());
        }
        Ok(Keyring { keys })
    }

    /// The text form, newest key first.
    pub fn to_text(&self) -> String {
        use base64::Engine as _;
        self.keys
            .iter()
            .map(|(id, k)| format!("{id} {}\n", base64::engine::general_purpose::STANDARD.encode(k)))
            .collect()
    }

    /// The same ring with a new key in front, which encrypts from now on.
    pub fn rotated(&self) -> Keyring {
        let mut ring = Keyring::generate();
        ring.keys.extend(self.keys.iter().cloned());
        ring
    }

    /// The ring reduced to its current key (after everything was re-encrypted with it).
    pub fn current_only(&self) -> Keyring {
        Keyring { keys: self.keys[..1].to_vec() }
    }

    /// The id of the key that encrypts.
    pub fn current_id(&self) -> &str {
        &self.keys[0].0
    }

    /// Encrypts `plain` with the current key: returns the key id and `base64(nonce ‖ sealed)`.
    pub fn seal(&self, plain: &str) -> (String, String) {
        use aes_gcm::aead::{Aead, KeyInit};
        use base64::Engine as _;
        let (id, key) = &self.keys[0];
        let cipher = aes_gcm::Aes256Gcm::new(key.into());
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed =
            cipher.encrypt((&nonce).into(), plain.as_bytes()).expect("AES-GCM encryption cannot fail");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        (id.clone(), base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// Decrypts what [`Keyring::seal`] made with the key `id`.
    pub fn open(&self, id: &str, sealed: &str) -> Result<String, AppError> {
        use aes_gcm::aead::{Aead, KeyInit};
        use base64::Engine as _;
        let (_, key) = self.keys.iter().find(|(k, _)| k == id).ok_or_else(|| {
            AppError::Internal(format!(
                "the key {id} that encrypted these credentials is not in the key file"
            ))
        })?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| AppError::Internal("stored credentials are not base64".into()))?;
        if bytes.len() < 12 {
            return Err(AppError::Internal("stored credentials are truncated".into()));
        }
        let cipher = aes_gcm::Aes256Gcm::new(key.into());
        let plain = cipher
            .decrypt(bytes[..12].into(), &bytes[12..])
            .map_err(|_| AppError::Internal("stored credentials do not decrypt with their key".into()))?;
        String::from_utf8(plain).map_err(|_| AppError::Internal("stored credentials are not text".into()))
    }
}

/// A key's id: the first 8 hex digits of its SHA-256, so that the id says nothing of the key.
fn key_id(key: &[u8; 32]) -> String {
    hex::encode(Sha256::digest(key))[..8].to_owned()
}

#[cfg(test)]
mod keyring_tests {
    use super::*;

    #[test]
    fn sealed_credentials_open_with_their_key_and_survive_a_rotation() {
        let ring = Keyring::generate();
        let (id, sealed) = ring.seal("app-password-1234");
        assert!(!sealed.contains("app-password"));
        assert_eq!(ring.open(&id, &sealed).unwrap(), "app-password-1234");
        let rotated = Keyring::parse(&ring.rotated().to_text()).unwrap();
        assert_ne!(rotated.current_id(), id);
        assert_eq!(rotated.open(&id, &sealed).unwrap(), "app-password-1234", "old keys still open");
        let (id2, sealed2) = rotated.seal("app-password-1234");
        assert_eq!(rotated.current_only().open(&id2, &sealed2).unwrap(), "app-password-1234");
        assert!(rotated.current_only().open(&id, &sealed).is_err(), "a dropped key no longer opens");
        let mut tampered = sealed2.clone().into_bytes();
        tampered[20] ^= 1;
        assert!(rotated.open(&id2, &String::from_utf8(tampered).unwrap()).is_err());
        assert!(Keyring::parse("abc notbase64!").unwrap_err().contains("line 1"));
    }
}
