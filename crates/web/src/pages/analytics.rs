//! The analytics overview (F1): a period and filters chosen in a GET form, KPI tiles against
//! the previous period, inline SVG charts each with its table, the best and weakest posts; the
//! overview's CSV downloads. What the post table and the team view share with it (the period,
//! the filters, the sub-navigation, the figures' formats) is here too.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde::Deserialize;
use tutti_app::analytics::{self as analytics, Choices, Filters, Period, PostLine, Summary};
use tutti_domain::kpi::Change;
use tutti_domain::{Action, Locale};

use super::analytics_charts::{self as charts, DataTable, HBars, Series, ShareRow};
use super::common::{form_error, layout, page_err, render, FieldError, Layout};
use super::people::download;
use crate::error::WebError;
use crate::format;
use crate::routes::{Access, Ctx, RouteTable};
use crate::AppState;

pub fn routes(t: RouteTable) -> RouteTable {
    let view = Access::Workspace(Action::ViewAnalytics);
    t.get("/w/{workspace}/analytics", view, overview)
        .get("/w/{workspace}/analytics/days.csv", view, days_csv)
        .get("/w/{workspace}/analytics/audience.csv", view, audience_csv)
}

/// The period, filters, sort and page of a dashboard, as typed in its address.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct AnalyticsQuery {
    #[serde(default)]
    pub range: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub pillar: String,
    #[serde(default)]
    pub campaign: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub order: String,
    #[serde(default)]
    pub page: String,
}

impl AnalyticsQuery {
    /// The filters of the use cases.
    pub fn filters(&self) -> Filters {
        Filters {
            channel: self.channel.clone(),
            author: self.author.clone(),
            pillar: self.pillar.clone(),
            campaign: self.campaign.clone(),
        }
    }

    /// The period and filters as a query string (what every link between dashboards keeps).
    pub fn query_string(&self) -> String {
        self.with(&[])
    }

    /// The period and filters with `extra` pairs added (a sort, a page).
    pub fn with(&self, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = [
            ("range", &self.range),
            ("from", &self.from),
            ("to", &self.to),
            ("channel", &self.channel),
            ("author", &self.author),
            ("pillar", &self.pillar),
            ("campaign", &self.campaign),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.as_str()))
        .collect();
        pairs.extend(extra.iter().filter(|(_, v)| !v.is_empty()));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// What the top of every dashboard shows: the sub-navigation, the period and the filters.
pub struct Head {
    pub slug: String,
    /// overview, posts or team.
    pub tab: &'static str,
    pub q: AnalyticsQuery,
    /// The period and filters as a query string.
    pub qs: String,
    /// The period chosen, as the reader writes days.
    pub period_label: String,
    /// The range chosen (`7d`, `30d`, `90d`, `custom`).
    pub range: String,
    /// Its days, for the date fields.
    pub first_day: String,
    pub last_day: String,
    /// Whether the filters show (the team view has the period only).
    pub filters: bool,
    /// (handle, handle) of each channel.
    pub channels: Vec<String>,
    /// (e-mail, name) of each member.
    pub authors: Vec<(String, String)>,
    pub pillars: Vec<String>,
    pub campaigns: Vec<String>,
    pub error: FieldError,
}

impl Head {
    /// The range picker's choices: value and label.
    pub fn ranges(&self, l: &Layout) -> Vec<(&'static str, String)> {
        ["7d", "30d", "90d", "custom"]
            .into_iter()
            .map(|r| (r, l.t.t(&format!("analytics-range-{r}"))))
            .collect()
    }
}

/// Resolves the period of `q` (the last 30 days when it cannot be read, with the error for
/// the form) and what the filters offer.
pub async fn head(
    state: &AppState,
    ctx: &Ctx,
    q: AnalyticsQuery,
    tab: &'static str,
) -> Result<(Head, Period), WebError> {
    let slug = ctx.ws().workspace.slug.clone();
    let actor = ctx.actor();
    let now = tutti_app::store::now_ms();
    let mut error = FieldError::default();
    let period = match state.app.analytics_period(&actor, &slug, &q.range, &q.from, &q.to, now).await {
        Ok(p) => p,
        Err(e) => {
            error = form_error(e, ctx)?;
            state
                .app
                .analytics_period(&actor, &slug, "30d", "", "", now)
                .await
                .map_err(|e| page_err(e, ctx))?
        }
    };
    let Choices { channels, pillars, campaigns } =
        state.app.analytics_choices(&actor, &slug).await.map_err(|e| page_err(e, ctx))?;
    let authors = state
        .app
        .list_members(&actor, &slug)
        .await
        .map_err(|e| page_err(e, ctx))?
        .into_iter()
        .map(|m| (m.email, m.name))
        .collect();
    let custom = q.range.trim() == "custom"
        || (q.range.trim().is_empty() && !(q.from.trim().is_empty() && q.to.trim().is_empty()));
    let range = if custom {
        "custom".to_owned()
    } else if ["7d", "90d"].contains(&q.range.trim()) {
        q.range.trim().to_owned()
    } else {
        "30d".to_owned()
    };
    let h = Head {
        slug,
        tab,
        qs: q.query_string(),
        period_label: period_label(&period, ctx.locale),
        range,
        first_day: period.first_day.clone(),
        last_day: period.last_day.clone(),
        filters: tab != "team",
        channels: channels.into_iter().map(|c| c.handle).collect(),
        authors,
        pillars,
        campaigns,
        error,
        q,
    };
    Ok((h, period))
}

/// « 8 nov. – 7 déc. 2026 », "Nov 8 – Dec 7, 2026".
fn period_label(p: &Period, locale: Locale) -> String {
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    match (day(&p.first_day), day(&p.last_day)) {
        (Some(a), Some(b)) => {
            use chrono::Datelike;
            let year = b.year();
            match locale {
                Locale::Fr => format!(
                    "{} – {} {year}",
                    format::date_day_month(a, locale),
                    format::date_day_month(b, locale)
                ),
                Locale::En => format!(
                    "{} – {}, {year}",
                    format::date_day_month(a, locale),
                    format::date_day_month(b, locale)
                ),
            }
        }
        _ => format!("{} – {}", p.first_day, p.last_day),
    }
}

/// A whole number as the reader writes it.
pub fn int(v: i64, locale: Locale) -> String {
    format::number(v as f64, 0, locale)
}

/// A rate, or a dash when there is none.
pub fn rate(r: Option<f64>, locale: Locale) -> String {
    r.map(|r| format::percent(r, 2, locale)).unwrap_or_else(|| "—".to_owned())
}

/// A duration in seconds, short: « 45 s », « 12 min », « 3 h 05 », « 2 j 4 h »; "2 d 4 h".
pub fn duration(s: Option<i64>, locale: Locale) -> String {
    let Some(s) = s else { return "—".to_owned() };
    let s = s.max(0);
    let day = if locale == Locale::Fr { "j" } else { "d" };
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {:02}", s / 3600, (s % 3600) / 60),
        _ => format!("{} {day} {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// How a figure moved, as a tile shows it.
pub struct ChangeView {
    /// up, down or none.
    pub sign: &'static str,
    /// good, bad or flat (rising response times are bad).
    pub tone: &'static str,
    /// ▲, ▼ or –.
    pub arrow: &'static str,
    /// « +20 % », or the words for no previous figure.
    pub text: String,
    /// The sentence read aloud.
    pub said: String,
}

fn change_view(c: Option<Change>, lower_is_better: bool, l: &crate::i18n::Tr) -> ChangeView {
    let locale = l.locale;
    match c.and_then(|c| c.rate.map(|r| (c.delta, r))) {
        Some((delta, r)) if delta != 0.0 => {
            let up = delta > 0.0;
            let pct = format::percent(r.abs(), 0, locale);
            ChangeView {
                sign: if up { "up" } else { "down" },
                tone: if up != lower_is_better { "good" } else { "bad" },
                arrow: if up { "▲" } else { "▼" },
                text: format!("{}{pct}", if up { "+" } else { "−" }),
                said: l.t1(if up { "analytics-change-up" } else { "analytics-change-down" }, "pct", &pct),
            }
        }
        Some(_) => ChangeView {
            sign: "flat",
            tone: "flat",
            arrow: "=",
            text: format::percent(0.0, 0, locale),
            said: l.t("analytics-change-same"),
        },
        None => ChangeView {
            sign: "none",
            tone: "flat",
            arrow: "–",
            text: l.t("analytics-change-none"),
            said: l.t("analytics-change-none-said"),
        },
    }
}

/// A KPI tile.
pub struct Tile {
    pub label: String,
    pub value: String,
    /// A line under the value (the detail of the figure).
    pub note: String,
    pub change: Option<ChangeView>,
}

/// A post in the top or bottom five.
pub struct PostView {
    pub id: i64,
    pub text: String,
    pub channel: String,
    pub when: String,
    pub engagements: String,
    pub rate: String,
}

pub fn post_view(p: &PostLine, tz: &str, locale: Locale) -> PostView {
    PostView {
        id: p.row.id,
        text: format::excerpt(&p.row.text, 120),
        channel: p.channel.clone(),
        when: format::datetime(p.row.published_at, tz, locale),
        engagements: int(p.row.engagements, locale),
        rate: rate(p.engagement_rate, locale),
    }
}

#[derive(Template)]
#[template(path = "analytics.html")]
struct OverviewPage {
    l: Layout,
    h: Head,
    /// Whether anything was measured in the period (otherwise: how numbers arrive).
    measured: bool,
    tiles: Vec<Tile>,
    followers: Series,
    followers_table: DataTable,
    /// (class, handle) of each channel's line.
    followers_keys: Vec<(String, String)>,
    engagement: Series,
    engagement_table: DataTable,
    pillars: HBars,
    pillars_table: DataTable,
    sentiment: (Vec<ShareRow>, f64),
    sentiment_table: DataTable,
    voices: HBars,
    voices_table: DataTable,
    share_of_voice: String,
    times: HBars,
    times_table: DataTable,
    /// The best and the weakest posts: `top` and `bottom`.
    ranked: Vec<(&'static str, Vec<PostView>)>,
}

async fn overview(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Response, WebError> {
    let (mut h, period) = head(&state, &ctx, q, "overview").await?;
    let s = summary(&state, &ctx, &mut h, &period).await?;
    let t = ctx.tr();
    let locale = ctx.locale;
    let tz = ctx.ws().workspace.timezone.clone();
    let measured = s.posts > 0 || s.channels.iter().any(|c| !c.series.is_empty());
    let status = if h.error.message.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };

    let c = &s.changes;
    let tiles = vec![
        Tile {
            label: t.t("analytics-followers"),
            value: int(s.followers, locale),
            note: t.t1("analytics-followers-net", "n", &format::signed(s.follower_growth as f64, 0, locale)),
            change: Some(change_view(Some(c.follower_growth), false, &t)),
        },
        Tile {
            label: t.t("analytics-posts"),
            value: int(s.posts, locale),
            note: s
                .cadence_per_week
                .map(|w| t.t1("analytics-per-week", "n", &format::number(w, 1, locale)))
                .unwrap_or_default(),
            change: Some(change_view(Some(c.posts), false, &t)),
        },
        Tile {
            label: t.t("analytics-engagements"),
            value: int(s.engagements, locale),
            note: t.targs(
                "analytics-counts",
                &[
                    ("likes", &int(s.counts.likes, locale)),
                    ("reposts", &int(s.counts.reposts, locale)),
                    ("replies", &int(s.counts.replies, locale)),
                ],
            ),
            change: Some(change_view(Some(c.engagements), false, &t)),
        },
        Tile {
            label: t.t("analytics-rate"),
            value: rate(s.engagement_rate, locale),
            note: t.t("analytics-rate-note"),
            change: Some(change_view(c.engagement_rate, false, &t)),
        },
        Tile {
            label: t.t("analytics-clicks"),
            value: int(s.clicks, locale),
            note: s
                .clicks_per_thousand
                .map(|k| t.t1("analytics-per-thousand", "n", &format::number(k, 1, locale)))
                .unwrap_or_default(),
            change: Some(change_view(Some(c.clicks), false, &t)),
        },
        Tile {
            label: t.t("analytics-first-response"),
            value: duration(s.median_first_response_s, locale),
            note: t.t1("analytics-response-rate", "rate", &rate(s.response_rate, locale)),
            change: Some(change_view(c.median_first_response_s, true, &t)),
        },
    ];

    // Followers per channel, day by day.
    let mut days: Vec<String> =
        s.channels.iter().flat_map(|a| a.series.iter().map(|(d, _)| d.clone())).collect();
    days.sort();
    days.dedup();
    let day_label = |d: &str| {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(|d| format::date_day_month(d, locale))
            .unwrap_or_else(|_| d.to_owned())
    };
    let max_followers = s.channels.iter().flat_map(|a| a.series.iter().map(|(_, f)| *f)).max().unwrap_or(0);
    let mut followers = Series {
        ticks: charts::ticks(days.len(), |i| day_label(&days[i])),
        top_left: int(max_followers, locale),
        ..Default::default()
    };
    let mut followers_keys = Vec::new();
    for (i, a) in s.channels.iter().enumerate().filter(|(_, a)| !a.series.is_empty()) {
        let values: Vec<Option<f64>> =
            days.iter().map(|d| a.series.iter().find(|(day, _)| day == d).map(|(_, f)| *f as f64)).collect();
        let class = format!("line-{}", i % 5);
        let handle = a.channel.handle.clone();
        followers.lines.push(charts::line(&class, &handle, &values, max_followers as f64, |j| {
            format!(
                "{handle} · {}: {}",
                day_label(&days[j]),
                values[j].map(|v| int(v as i64, locale)).unwrap_or_default()
            )
        }));
        followers_keys.push((class, charts::short(&a.channel.handle)));
    }
    let followers_table = DataTable {
        head: std::iter::once(t.t("analytics-day"))
            .chain(s.channels.iter().map(|a| a.channel.handle.clone()))
            .collect(),
        rows: days
            .iter()
            .map(|d| {
                std::iter::once(day_label(d))
                    .chain(s.channels.iter().map(|a| {
                        a.series
                            .iter()
                            .find(|(day, _)| day == d)
                            .map(|(_, f)| int(*f, locale))
                            .unwrap_or_default()
                    }))
                    .collect()
            })
            .collect(),
    };

    // Engagement per day (bars) and its rate (a line on its own scale).
    let engagements: Vec<i64> = s.daily.iter().map(|d| d.engagements).collect();
    let (bars, max) = charts::bars(&engagements, |i| {
        let d = &s.daily[i];
        format!(
            "{}: {} · {}",
            day_label(&d.day),
            t.t1("analytics-n-engagements", "n", &int(d.engagements, locale)),
            rate(d.engagement_rate, locale)
        )
    });
    let rates: Vec<Option<f64>> = s.daily.iter().map(|d| d.engagement_rate).collect();
    let max_rate = rates.iter().flatten().copied().fold(0.0_f64, f64::max);
    let engagement = Series {
        bars,
        lines: if rates.iter().any(Option::is_some) {
            vec![charts::line("line-rate", t.t("analytics-rate"), &rates, max_rate, |i| {
                format!("{}: {}", day_label(&s.daily[i].day), rate(rates[i], locale))
            })]
        } else {
            Vec::new()
        },
        ticks: charts::ticks(s.daily.len(), |i| day_label(&s.daily[i].day)),
        top_left: if engagements.is_empty() { String::new() } else { int(max, locale) },
        top_right: if max_rate > 0.0 { format::percent(max_rate, 1, locale) } else { String::new() },
    };
    let engagement_table = DataTable {
        head: vec![
            t.t("analytics-day"),
            t.t("analytics-posts"),
            t.t("analytics-engagements"),
            t.t("analytics-rate"),
        ],
        rows: s
            .daily
            .iter()
            .map(|d| {
                vec![
                    day_label(&d.day),
                    int(d.posts, locale),
                    int(d.engagements, locale),
                    rate(d.engagement_rate, locale),
                ]
            })
            .collect(),
    };

    // The pillars' actual shares against the charter's targets.
    let pillar_name = |n: &str| if n.is_empty() { t.t("analytics-no-pillar") } else { n.to_owned() };
    let pillars = charts::hbars(
        s.pillars
            .iter()
            .map(|p| {
                (pillar_name(&p.name), p.actual, "bar-value", format::percent(p.actual, 0, locale), p.target)
            })
            .collect(),
    );
    let pillars_table = DataTable {
        head: vec![
            t.t("analytics-pillar"),
            t.t("analytics-posts"),
            t.t("analytics-actual"),
            t.t("analytics-target"),
        ],
        rows: s
            .pillars
            .iter()
            .map(|p| {
                vec![
                    pillar_name(&p.name),
                    int(p.posts, locale),
                    format::percent(p.actual, 0, locale),
                    p.target.map(|x| format::percent(x, 0, locale)).unwrap_or_else(|| "—".into()),
                ]
            })
            .collect(),
    };

    // Sentiment of the inbox and of the mentions.
    let share_parts = |sh: &tutti_domain::kpi::SentimentShare| {
        [(sh.negative, "bar-neg", "neg"), (sh.neutral, "bar-neu", "neu"), (sh.positive, "bar-pos", "pos")]
            .into_iter()
            .map(|(v, class, key)| {
                let title = format!("{}: {}", t.t(&format!("sentiment-{key}")), rate_0(v, locale));
                (v, class, title)
            })
            .collect::<Vec<_>>()
    };
    let sentiment = charts::shares(vec![
        (t.t("analytics-inbox"), share_parts(&s.inbox_sentiment)),
        (t.t("analytics-mentions"), share_parts(&s.mention_sentiment)),
    ]);
    let sentiment_table = DataTable {
        head: vec![String::new(), t.t("sentiment-neg"), t.t("sentiment-neu"), t.t("sentiment-pos")],
        rows: [
            (t.t("analytics-inbox"), &s.inbox_sentiment),
            (t.t("analytics-mentions"), &s.mention_sentiment),
        ]
        .into_iter()
        .map(|(name, sh)| {
            vec![name, rate_0(sh.negative, locale), rate_0(sh.neutral, locale), rate_0(sh.positive, locale)]
        })
        .collect(),
    };

    // Mentions per listening query, the brand's against its competitors'.
    let kind = |k: &str| t.t(if k == "brand" { "analytics-brand" } else { "analytics-competitor" });
    let voices = charts::hbars(
        s.voices
            .iter()
            .map(|v| {
                let class = if v.kind == "brand" { "bar-value" } else { "bar-other" };
                (v.name.clone(), v.mentions as f64, class, int(v.mentions, locale), None)
            })
            .collect(),
    );
    let voices_table = DataTable {
        head: vec![t.t("analytics-query"), t.t("analytics-kind"), t.t("analytics-mentions")],
        rows: s.voices.iter().map(|v| vec![v.name.clone(), kind(&v.kind), int(v.mentions, locale)]).collect(),
    };

    // Inbox response and resolution times.
    let time_rows = [
        (t.t("analytics-first-response-median"), s.median_first_response_s),
        (t.t("analytics-first-response-p90"), s.p90_first_response_s),
        (t.t("analytics-resolution-median"), s.median_resolution_s),
    ];
    let times = charts::hbars(
        time_rows
            .iter()
            .filter_map(|(name, v)| {
                Some((name.clone(), (*v)? as f64, "bar-value", duration(*v, locale), None))
            })
            .collect(),
    );
    let times_table = DataTable {
        head: vec![String::new(), t.t("analytics-duration")],
        rows: time_rows
            .iter()
            .map(|(name, v)| vec![name.clone(), duration(*v, locale)])
            .chain(std::iter::once(vec![t.t("analytics-response-rate-label"), rate(s.response_rate, locale)]))
            .collect(),
    };

    let l = layout(&state, &ctx, t.t("analytics-title"), "analytics").await?;
    let page = OverviewPage {
        l,
        measured,
        tiles,
        followers,
        followers_table,
        followers_keys,
        engagement,
        engagement_table,
        pillars,
        pillars_table,
        sentiment,
        sentiment_table,
        voices,
        voices_table,
        share_of_voice: rate_0(s.share_of_voice, locale),
        times,
        times_table,
        ranked: vec![
            ("top", s.top_posts.iter().map(|p| post_view(p, &tz, locale)).collect()),
            ("bottom", s.bottom_posts.iter().map(|p| post_view(p, &tz, locale)).collect()),
        ],
        h,
    };
    render(status, &page)
}

/// A share with no decimals, or a dash.
fn rate_0(r: Option<f64>, locale: Locale) -> String {
    r.map(|r| format::percent(r, 0, locale)).unwrap_or_else(|| "—".to_owned())
}

/// The summary of the period; a filter that matches nothing is said in the form and the
/// whole workspace is shown instead.
async fn summary(state: &AppState, ctx: &Ctx, h: &mut Head, period: &Period) -> Result<Summary, WebError> {
    let (actor, slug) = (ctx.actor(), h.slug.clone());
    match state.app.analytics_summary(&actor, &slug, period, &h.q.filters()).await {
        Ok(s) => Ok(s),
        Err(e) => {
            h.error = form_error(e, ctx)?;
            state
                .app
                .analytics_summary(&actor, &slug, period, &Filters::default())
                .await
                .map_err(|e| page_err(e, ctx))
        }
    }
}

/// The summary for a download: any error is the page's.
async fn summary_for_download(state: &AppState, ctx: &Ctx, q: &AnalyticsQuery) -> Result<Summary, WebError> {
    let (actor, slug) = (ctx.actor(), ctx.ws().workspace.slug.clone());
    let now = tutti_app::store::now_ms();
    let period = state
        .app
        .analytics_period(&actor, &slug, &q.range, &q.from, &q.to, now)
        .await
        .map_err(|e| page_err(e, ctx))?;
    state.app.analytics_summary(&actor, &slug, &period, &q.filters()).await.map_err(|e| page_err(e, ctx))
}

/// A CSV file of a period: `analytics-{what}-{first day}-{last day}.csv`.
pub fn csv_download(body: String, what: &str, period: &Period) -> Response {
    let name = format!("analytics-{what}-{}-{}.csv", period.first_day, period.last_day);
    download(body, "text/csv; charset=utf-8", &name)
}

async fn days_csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Response, WebError> {
    let s = summary_for_download(&state, &ctx, &q).await?;
    Ok(csv_download(analytics::export::daily_csv(&s), "days", &s.period))
}

async fn audience_csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Response, WebError> {
    let s = summary_for_download(&state, &ctx, &q).await?;
    Ok(csv_download(analytics::export::audience_csv(&s), "audience", &s.period))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_short() {
        assert_eq!(duration(Some(45), Locale::En), "45 s");
        assert_eq!(duration(Some(720), Locale::En), "12 min");
        assert_eq!(duration(Some(3 * 3600 + 300), Locale::Fr), "3 h 05");
        assert_eq!(duration(Some(2 * 86_400 + 4 * 3600), Locale::Fr), "2 j 4 h");
        assert_eq!(duration(None, Locale::En), "—");
    }

    #[test]
    fn a_change_without_a_previous_figure_is_neutral() {
        let t = crate::i18n::Tr::new(Locale::En);
        let v = change_view(Some(tutti_domain::kpi::change(120.0, 100.0)), false, &t);
        assert_eq!((v.sign, v.tone, v.arrow), ("up", "good", "▲"));
        assert_eq!(v.text, "+20%");
        let v = change_view(Some(tutti_domain::kpi::change(120.0, 100.0)), true, &t);
        assert_eq!(v.tone, "bad", "a longer response time is bad");
        let v = change_view(Some(tutti_domain::kpi::change(5.0, 0.0)), false, &t);
        assert_eq!(v.sign, "none");
        assert_eq!(change_view(None, false, &t).sign, "none");
    }

    #[test]
    fn the_query_string_keeps_what_was_chosen() {
        let q = AnalyticsQuery { range: "7d".into(), channel: "maison.test".into(), ..Default::default() };
        assert_eq!(q.with(&[("sort", "likes")]), "range=7d&channel=maison.test&sort=likes");
    }
}
