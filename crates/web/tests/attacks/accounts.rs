//! Attacks on accounts: invitations, sign-in limits, redirects after sign-in, tokens, sessions.
