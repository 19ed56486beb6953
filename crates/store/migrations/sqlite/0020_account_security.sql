-- Sign-in throttling: one row per subject (an e-mail or a client address). An attempt is
-- counted before the password is checked, by one atomic upsert that also sets, from the
-- limit on, a growing delay before the next attempt (see store::auth::reserve_attempt):
-- not_before is when the next attempt may come (0 without delay), last_at the latest attempt.
-- The rows of login_failures were per failure and counted after the fact; they are dropped.
DROP TABLE login_failures;
CREATE TABLE login_throttle (
    subject     TEXT PRIMARY KEY,
    failures    INTEGER NOT NULL,
    delay_ms    INTEGER NOT NULL,
    not_before  INTEGER NOT NULL,
    last_at     INTEGER NOT NULL
);

-- Two-factor sign-in (TOTP, RFC 6238). The secret is sealed with the instance's key ring
-- (like channel credentials); enabled_at stays NULL until the person confirms a first code;
-- last_step is the last time step accepted, so that a code is never accepted twice.
CREATE TABLE user_totp (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    key_id       TEXT NOT NULL,
    sealed       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    enabled_at   INTEGER,
    last_step    INTEGER NOT NULL DEFAULT 0
);

-- One-time recovery codes, stored as SHA-256 hashes.
CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    INTEGER
);
CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);

-- The second step of a sign-in: the password was right, the code is awaited.
CREATE TABLE two_factor_challenges (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL
);

-- A workspace may require two-factor sign-in of its members.
ALTER TABLE workspaces ADD COLUMN require_two_factor INTEGER NOT NULL DEFAULT 0;
