//! Attacks that make Tutti call an address of the attacker's choosing (server-side request forgery).
