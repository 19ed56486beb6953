//! Attacks on the HTTP surface: headers, operations endpoints, files and secrets at rest.
