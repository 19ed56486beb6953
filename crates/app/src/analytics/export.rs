//! The analytics tables as CSV (RFC 4180, a header row first, cells that a spreadsheet would
//! read as a formula quoted): the posts, the overview's days and audience, the team, the best
//! times. Rates are fractions with four decimals; durations are seconds.

use tutti_domain::kpi::Spread;

use super::{BestTimes, PostLine, Summary, Team};
use crate::csv_export::{csv_cell, csv_row};

fn rate(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.4}")).unwrap_or_default()
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.to_rfc3339()).unwrap_or_default()
}

fn header(cells: &[&str]) -> String {
    csv_row(&cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>())
}

/// The post table.
pub fn posts_csv(posts: &[PostLine]) -> String {
    let mut out = header(&[
        "id",
        "channel",
        "published_at",
        "likes",
        "reposts",
        "replies",
        "quotes",
        "engagements",
        "followers_at_publish",
        "engagement_rate",
        "clicks",
        "pillar",
        "campaign",
        "url",
        "text",
    ]);
    for p in posts {
        let r = &p.row;
        out.push_str(&csv_row(&[
            r.id.to_string(),
            csv_cell(&p.channel),
            date(r.published_at),
            r.likes.to_string(),
            r.reposts.to_string(),
            r.replies.to_string(),
            r.quotes.to_string(),
            r.engagements.to_string(),
            opt(r.followers_at_publish),
            rate(p.engagement_rate),
            r.clicks.to_string(),
            csv_cell(r.pillar.as_deref().unwrap_or_default()),
            csv_cell(r.campaign.as_deref().unwrap_or_default()),
            csv_cell(r.remote_url.as_deref().unwrap_or_default()),
            csv_cell(&r.text),
        ]));
    }
    out
}

/// The overview's days (posts, interactions, rate).
pub fn daily_csv(s: &Summary) -> String {
    let mut out = header(&["day", "posts", "engagements", "engagement_rate"]);
    for d in &s.daily {
        out.push_str(&csv_row(&[
            d.day.clone(),
            d.posts.to_string(),
            d.engagements.to_string(),
            rate(d.engagement_rate),
        ]));
    }
    out
}

/// Each channel's followers per day.
pub fn audience_csv(s: &Summary) -> String {
    let mut out = header(&["channel", "network", "day", "followers"]);
    for a in &s.channels {
        for (day, followers) in &a.series {
            out.push_str(&csv_row(&[
                csv_cell(&a.channel.handle),
                a.channel.network.clone(),
                day.clone(),
                followers.to_string(),
            ]));
        }
    }
    out
}

fn spread(s: Option<Spread>) -> [String; 2] {
    [opt(s.map(|s| s.median)), opt(s.map(|s| s.p90))]
}

/// The team's figures, one row per member then one per channel.
pub fn team_csv(t: &Team) -> String {
    let mut out = header(&[
        "scope",
        "name",
        "conversations",
        "answered",
        "median_first_response_s",
        "p90_first_response_s",
        "median_resolution_s",
        "p90_resolution_s",
        "sla_breaches",
        "actions",
    ]);
    let rows = t
        .members
        .iter()
        .map(|m| ("member", m.name.clone(), m.times, m.actions.to_string()))
        .chain(t.channels.iter().map(|c| ("channel", c.channel.handle.clone(), c.times, String::new())));
    for (scope, name, times, actions) in rows {
        let [m1, p1] = spread(times.first_response);
        let [m2, p2] = spread(times.resolution);
        out.push_str(&csv_row(&[
            scope.to_owned(),
            csv_cell(&name),
            times.asked.to_string(),
            times.answered.to_string(),
            m1,
            p1,
            m2,
            p2,
            times.sla_breaches.to_string(),
            actions,
        ]));
    }
    out
}

/// A channel's best-time grid.
pub fn best_times_csv(b: &BestTimes) -> String {
    let mut out = header(&["iso_weekday", "hour", "posts", "engagement_rate", "activity"]);
    for s in &b.grid {
        out.push_str(&csv_row(&[
            (s.weekday + 1).to_string(),
            s.hour.to_string(),
            s.posts.to_string(),
            rate(s.rate),
            s.activity.to_string(),
        ]));
    }
    out
}
