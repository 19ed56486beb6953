//! Attacks on the parsers of untrusted input: queries that would crash or stall the server.
