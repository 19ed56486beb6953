//! Attack tests: each test is named after an attack found by a security review and proves,
//! over HTTP against a real server on every backend, that the attack no longer works.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod outbound;
mod parsers;
mod surface;
