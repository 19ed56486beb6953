-- When the author of an item opened their account (as the network says; NULL when it does not),
-- for the moderation rules' "new account" condition; and private replies (Mastodon's direct
-- messages are answered privately).
ALTER TABLE inbox_items ADD COLUMN author_since BIGINT;
ALTER TABLE posts ADD COLUMN direct BIGINT NOT NULL DEFAULT 0;
