//! The iCalendar feed of a workspace's schedule (`/ical/{token}`), for calendar apps.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use tutti_app::store::publishing::{Channel, Post};
use tutti_domain::PostStatus;

use crate::routes::{Access, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/ical/{token}", Access::Public, feed)
}

async fn feed(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let token = token.trim_end_matches(".ics");
    match state.app.calendar_feed(token).await {
        Ok((ws, posts, channels)) => {
            let body = calendar(&ws.name, &posts, &channels, Utc::now());
            (
                [
                    (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                    (header::CACHE_CONTROL, "private, max-age=300"),
                ],
                body,
            )
                .into_response()
        }
        Err(_) => (StatusCode::NOT_FOUND, "no such calendar\n").into_response(),
    }
}

/// The feed: one event of 15 minutes per post that has a time.
pub fn calendar(name: &str, posts: &[Post], channels: &[Channel], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |l: &str| push_folded(&mut out, l);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//Tutti//Calendar//EN");
    line("CALSCALE:GREGORIAN");
    line(&format!("X-WR-CALNAME:{}", escape(&format!("Tutti — {name}"))));
    for p in posts {
        let Some(at) = p.scheduled_at.and_then(DateTime::<Utc>::from_timestamp_millis) else { continue };
        let handle = channels.iter().find(|c| c.id == p.channel_id).map_or("", |c| c.handle.as_str());
        let first: String = p.text.chars().take(60).collect();
        line("BEGIN:VEVENT");
        line(&format!("UID:post-{}-{}@tutti", p.id, p.idempotency_key));
        line(&format!("DTSTAMP:{}", stamp(now)));
        line(&format!("DTSTART:{}", stamp(at)));
        line(&format!("DTEND:{}", stamp(at + chrono::Duration::minutes(15))));
        line(&format!("SUMMARY:{}", escape(&format!("{handle} — {first}"))));
        line(&format!("DESCRIPTION:{}", escape(&format!("{}\n\n{} · {}", p.text, handle, p.status))));
        line(&format!("STATUS:{}", if p.status == PostStatus::InReview { "TENTATIVE" } else { "CONFIRMED" }));
        if let Some(url) = &p.remote_url {
            line(&format!("URL:{}", escape(url)));
        }
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Text as RFC 5545 wants it: backslashes, semicolons and commas escaped, line breaks as `\n`,
/// other control characters dropped (posts come from people and networks: hostile).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded at 75 octets without splitting a character, with CRLF.
fn push_folded(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_lines_fold_without_splitting_characters() {
        assert_eq!(escape("a;b,c\\d\ne\u{7}f"), "a\\;b\\,c\\\\d\\ne f".replace(' ', ""));
        let mut out = String::new();
        push_folded(&mut out, &format!("SUMMARY:{}", "é".repeat(60)));
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l}");
        }
        assert_eq!(out.replace("\r\n ", "").trim_end(), format!("SUMMARY:{}", "é".repeat(60)));
    }
}
