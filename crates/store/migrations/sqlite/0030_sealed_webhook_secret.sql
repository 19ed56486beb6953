-- The alert webhook's signing secret is kept sealed with the key ring, like channel
-- credentials: `webhook_secret_sealed` holds base64(nonce ‖ AES-256-GCM ciphertext) and
-- `webhook_key_id` the id of the key that sealed it. `webhook_secret` (clear text) is only read
-- from databases made before this migration: the application seals such a secret when it
-- starts with its key ring and empties the clear column in the same statement (a SQL migration
-- cannot, having no key).

ALTER TABLE listening_settings ADD COLUMN webhook_secret_sealed TEXT;
ALTER TABLE listening_settings ADD COLUMN webhook_key_id TEXT;
