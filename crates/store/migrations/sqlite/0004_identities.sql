-- Handles of the network identities (Bluesky DIDs) seen as authors, so that pages show
-- `@alice.example.com` rather than `did:plc:…`. A row with no handle records a failed or
-- unverified resolution, so that it is not retried before `resolved_at` grows old.

CREATE TABLE identities (
    did          TEXT PRIMARY KEY,
    handle       TEXT,
    resolved_at  INTEGER NOT NULL
);
