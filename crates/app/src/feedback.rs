//! Product feedback (D7): what the community tells the brand, sorted into complaints, bugs,
//! feature requests, questions and praise for the product team.
//!
//! - At ingestion each answerable item (reply, mention, quote) gets a suggested category from
//!   `tutti_nlp::feedback` (keywords in French and English, then sentiment); a community
//!   manager confirms or changes it.
//! - Recurring issues: complaints and bugs of a period grouped by a shared significant term
//!   (`tutti_nlp::terms`, folded content words): the term found in the most items not yet
//!   grouped opens an issue of every such item, as long as it holds two items or more; the
//!   issue is named by that term and the term most of its items share next. Its trend is the
//!   count of the previous period of the same length holding that term.
//! - The report of a period (days in the workspace's time zone, both included) in Markdown
//!   and CSV, each item linked to its conversation (`/w/{ws}/inbox/{id}`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use tutti_domain::{Action, FeedbackCategory, InputError, ItemKind};
use tutti_nlp::feedback::Category;
use tutti_nlp::Label;
use tutti_store::feedback::{self, FeedbackFilter, FeedbackItem};
use tutti_store::{StoreError, DAY_MS};

use crate::accounts::record;
use crate::csv_export::{csv_cell, csv_row};
use crate::{Actor, App, AppError};

/// The categories, as stored.
pub const CATEGORIES: [&str; 5] = ["complaint", "bug", "feature", "question", "praise"];

/// Whether a stored category (empty when none) is a grievance: a complaint or a bug.
fn grievance(category: &str) -> bool {
    category.parse::<FeedbackCategory>().is_ok_and(FeedbackCategory::is_grievance)
}
/// The most items a report reads.
pub const MAX_REPORT_ITEMS: i64 = 20_000;

/// The suggested category of an item of `kind` (empty when it is not answerable or nothing
/// applies).
pub fn suggest(kind: ItemKind, text: &str, sentiment: Label) -> String {
    if !kind.is_answerable() {
        return String::new();
    }
    tutti_nlp::feedback::classify(text, sentiment).map(|s| s.category.as_str().to_owned()).unwrap_or_default()
}

/// A recurring issue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    /// Its name: one or two shared terms.
    pub label: String,
    /// The term that groups it.
    pub term: String,
    /// Items this period.
    pub count: usize,
    /// Items of the previous period holding the term.
    pub previous: usize,
    /// Its items' conversations (each once).
    pub conversations: Vec<i64>,
}

fn term_set(text: &str) -> BTreeSet<String> {
    tutti_nlp::terms(text).into_iter().collect()
}

/// Groups texts `(conversation, text)` into recurring issues, biggest first; `previous` are
/// the texts of the period before, for the trend.
pub fn recurring_issues(items: &[(i64, String)], previous: &[String]) -> Vec<Issue> {
    let sets: Vec<BTreeSet<String>> = items.iter().map(|(_, t)| term_set(t)).collect();
    let prev: Vec<BTreeSet<String>> = previous.iter().map(|t| term_set(t)).collect();
    let mut taken = vec![false; items.len()];
    let mut issues = Vec::new();
    loop {
        let mut df: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, s) in sets.iter().enumerate() {
            if !taken[i] {
                for t in s {
                    *df.entry(t.as_str()).or_default() += 1;
                }
            }
        }
        // The most shared term (ties: alphabetical, for stable reports).
        let Some((term, n)) =
            df.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(t, n)| (t.to_string(), *n))
        else {
            break;
        };
        if n < 2 {
            break;
        }
        let members: Vec<usize> =
            (0..items.len()).filter(|&i| !taken[i] && sets[i].contains(&term)).collect();
        let mut co: BTreeMap<&str, usize> = BTreeMap::new();
        for &i in &members {
            for t in &sets[i] {
                if *t != term {
                    *co.entry(t.as_str()).or_default() += 1;
                }
            }
        }
        let second = co
            .iter()
            .filter(|(_, c)| **c * 2 > members.len() && **c >= 2)
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(t, _)| t.to_string());
        let mut conversations = Vec::new();
        for &i in &members {
            taken[i] = true;
            if !conversations.contains(&items[i].0) {
                conversations.push(items[i].0);
            }
        }
        issues.push(Issue {
            label: match second {
                Some(s) => format!("{term} {s}"),
                None => term.clone(),
            },
            previous: prev.iter().filter(|s| s.contains(&term)).count(),
            term,
            count: members.len(),
            conversations,
        });
    }
    issues
}

/// A category's counts in a report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CategoryCount {
    /// The category (`none` for items without one).
    pub category: String,
    /// This period.
    pub count: i64,
    /// The previous period of the same length.
    pub previous: i64,
}

/// The report of a period for the product team.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// The workspace.
    pub slug: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, included.
    pub to: String,
    /// Counts per category.
    pub counts: Vec<CategoryCount>,
    /// Recurring issues (complaints and bugs), biggest first.
    pub issues: Vec<Issue>,
    /// The items, newest first.
    pub items: Vec<FeedbackItem>,
}

impl Report {
    fn link(&self, base: &str, conversation: i64) -> String {
        format!("{base}/w/{}/inbox/{conversation}", self.slug)
    }

    /// The report in Markdown; `base` is prefixed to links (an origin, or empty).
    pub fn markdown(&self, base: &str) -> String {
        let md = |s: &str| -> String {
            // Markdown and HTML markup in quoted text made literal.
            let mut out = String::new();
            for c in s.chars() {
                match c {
                    '\n' | '\r' => out.push(' '),
                    '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out
        };
        let mut s = format!("# Product feedback — {} — {} to {}\n\n", md(&self.slug), self.from, self.to);
        s.push_str("## By category\n\n| Category | This period | Previous period |\n|---|---:|---:|\n");
        for c in &self.counts {
            s.push_str(&format!("| {} | {} | {} |\n", c.category, c.count, c.previous));
        }
        s.push_str("\n## Recurring issues\n\n");
        if self.issues.is_empty() {
            s.push_str("None this period.\n");
        }
        for i in &self.issues {
            let trend = trend(i.count as i64, i.previous as i64);
            let links: Vec<String> =
                i.conversations.iter().take(10).map(|c| format!("[#{c}]({})", self.link(base, *c))).collect();
            s.push_str(&format!(
                "- **{}**: {} this period, {} before ({trend}) — {}\n",
                md(&i.label),
                i.count,
                i.previous,
                links.join(", ")
            ));
        }
        s.push_str("\n## Items\n\n");
        for it in &self.items {
            let day = day_of(it.created_at);
            let cat = if it.category.is_empty() { "none" } else { it.category.as_str() };
            let who = if it.author_handle.is_empty() {
                it.author_name.clone()
            } else {
                format!("@{}", it.author_handle)
            };
            let excerpt: String = it.text.chars().take(200).collect();
            s.push_str(&format!(
                "- {day} · {cat}{} · {} · {} — [conversation]({})\n",
                if it.confirmed { " (confirmed)" } else { "" },
                md(&who),
                md(&excerpt),
                self.link(base, it.conversation_id)
            ));
        }
        s
    }

    /// The report's items in CSV (RFC 4180, formula-safe).
    pub fn csv(&self, base: &str) -> String {
        let mut out = csv_row(
            &["date", "category", "confirmed", "kind", "sentiment", "author", "text", "issue", "link"]
                .map(String::from),
        );
        for it in &self.items {
            let issue = self
                .issues
                .iter()
                .find(|i| {
                    grievance(&it.category)
                        && i.conversations.contains(&it.conversation_id)
                        && term_set(&it.text).contains(&i.term)
                })
                .map(|i| i.label.clone())
                .unwrap_or_default();
            out.push_str(&csv_row(&[
                day_of(it.created_at),
                csv_cell(if it.category.is_empty() { "none" } else { &it.category }),
                if it.confirmed { "yes".into() } else { "no".into() },
                it.kind.to_string(),
                it.sentiment.to_string(),
                csv_cell(if it.author_handle.is_empty() { &it.author_name } else { &it.author_handle }),
                csv_cell(&it.text),
                csv_cell(&issue),
                csv_cell(&self.link(base, it.conversation_id)),
            ]));
        }
        out
    }
}

/// `up`, `down` or `stable`, from this period's count and the previous one.
pub fn trend(now: i64, before: i64) -> &'static str {
    match now.cmp(&before) {
        std::cmp::Ordering::Greater => "up",
        std::cmp::Ordering::Less => "down",
        std::cmp::Ordering::Equal => "stable",
    }
}

fn day_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

fn day_start(day: &str, tz: &str, field: &'static str) -> Result<i64, AppError> {
    use chrono::TimeZone;
    let bad = || InputError::new(field, "day_invalid", "a day is written YYYY-MM-DD");
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let date = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").map_err(|_| bad())?;
    let t = tz.from_local_datetime(&date.and_hms_opt(0, 0, 0).ok_or_else(bad)?).earliest().ok_or_else(bad)?;
    Ok(t.timestamp_millis())
}

/// The default period of the feedback page and API: the last 30 days in `tz`, today
/// included, as `(from, to)` days (`YYYY-MM-DD`); a bound given (not blank) is kept.
pub fn last_30_days(tz: &str, from: &str, to: &str) -> (String, String) {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let given = |v: &str| Some(v.trim()).filter(|v| !v.is_empty()).map(str::to_owned);
    (
        given(from).unwrap_or_else(|| (today - chrono::Duration::days(29)).format("%Y-%m-%d").to_string()),
        given(to).unwrap_or_else(|| today.format("%Y-%m-%d").to_string()),
    )
}

/// A period of days `from`–`to` (both included) in `tz`, as `[from, to)` in ms.
pub fn period(from: &str, to: &str, tz: &str) -> Result<(i64, i64), AppError> {
    let a = day_start(from, tz, "from")?;
    let b = day_start(to, tz, "to")?;
    if b < a {
        return Err(InputError::new("to", "period_reversed", "the last day comes after the first").into());
    }
    if b - a > 366 * DAY_MS {
        return Err(InputError::new("to", "period_too_long", "a period is at most a year").into());
    }
    // The day after `to` (a day is 23 to 25 hours around clock changes).
    let next = chrono::NaiveDate::parse_from_str(to.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.succ_opt())
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    Ok((a, day_start(&next, tz, "to")?))
}

impl App {
    /// The answerable items of a period (`from`–`to`, days, both included), newest first.
    pub async fn feedback(
        &self,
        actor: &Actor,
        slug: &str,
        from: &str,
        to: &str,
        category: Option<&str>,
        confirmed: Option<bool>,
    ) -> Result<Vec<FeedbackItem>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewFeedback).await?;
        let (a, b) = period(from, to, &access.workspace.timezone)?;
        if let Some(c) = category {
            if c != "none" && c.parse::<FeedbackCategory>().is_err() {
                return Err(InputError::new("category", "category_unknown", "no such category").into());
            }
        }
        let f = FeedbackFilter { from: a, to: b, category: category.map(str::to_owned), confirmed };
        Ok(feedback::items(&mut *self.store.conn().await?, access.workspace.id, &f, 500).await?)
    }

    /// Confirms or changes the category of an answerable item.
    pub async fn set_feedback_category(
        &self,
        actor: &Actor,
        slug: &str,
        item: i64,
        category: &str,
    ) -> Result<(), AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageFeedback).await?;
        let category = category.trim();
        if Category::parse(category).is_none() {
            return Err(InputError::new(
                "category",
                "category_unknown",
                "the category is complaint, bug, feature, question or praise",
            )
            .into());
        }
        let mut tx = self.store.begin().await?;
        let before = feedback::category_of(&mut tx, access.workspace.id, item)
            .await?
            .ok_or(AppError::NotFound("item"))?;
        feedback::confirm(&mut tx, access.workspace.id, item, category, actor.user_id()).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "feedback.category",
            &format!("item {item}"),
            Some(json!({"category": before.0, "confirmed": before.1})),
            Some(json!({"category": category, "confirmed": true})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// The report of a period for the product team.
    pub async fn feedback_report(
        &self,
        actor: &Actor,
        slug: &str,
        from: &str,
        to: &str,
    ) -> Result<Report, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewFeedback).await?;
        let (a, b) = period(from, to, &access.workspace.timezone)?;
        let (pa, pb) = (a - (b - a), a);
        let ws = access.workspace.id;
        let mut db = self.store.conn().await?;
        let now = feedback::counts(&mut db, ws, a, b).await?;
        let before = feedback::counts(&mut db, ws, pa, pb).await?;
        let mut counts = Vec::new();
        for c in CATEGORIES.iter().copied().chain(["none"]) {
            let key = if c == "none" { "" } else { c };
            let get = |l: &[(String, i64)]| l.iter().find(|(k, _)| k == key).map(|(_, n)| *n).unwrap_or(0);
            counts.push(CategoryCount { category: c.to_owned(), count: get(&now), previous: get(&before) });
        }
        let items = feedback::items(
            &mut db,
            ws,
            &FeedbackFilter { from: a, to: b, ..Default::default() },
            MAX_REPORT_ITEMS,
        )
        .await?;
        let prev = feedback::items(
            &mut db,
            ws,
            &FeedbackFilter { from: pa, to: pb, ..Default::default() },
            MAX_REPORT_ITEMS,
        )
        .await?;
        let is_grievance = |i: &&FeedbackItem| grievance(&i.category);
        let issues = recurring_issues(
            &items
                .iter()
                .filter(is_grievance)
                .map(|i| (i.conversation_id, i.text.clone()))
                .collect::<Vec<_>>(),
            &prev.iter().filter(is_grievance).map(|i| i.text.clone()).collect::<Vec<_>>(),
        );
        Ok(Report {
            slug: access.workspace.slug.clone(),
            from: from.trim().to_owned(),
            to: to.trim().to_owned(),
            counts,
            issues,
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_complaints_group_into_issues_with_a_trend() {
        let items = vec![
            (1, "La livraison est encore en retard".to_owned()),
            (2, "Livraison en retard, troisième fois".to_owned()),
            (3, "Retard de livraison inadmissible".to_owned()),
            (4, "L'application plante au paiement".to_owned()),
            (5, "Paiement refusé, l'application plante".to_owned()),
            (6, "Mon colis est cassé".to_owned()),
        ];
        let previous = vec!["Livraison lente".to_owned()];
        let issues = recurring_issues(&items, &previous);
        assert_eq!(issues.len(), 2, "{issues:#?}");
        assert_eq!((issues[0].term.as_str(), issues[0].count, issues[0].previous), ("livraison", 3, 1));
        assert_eq!(issues[0].label, "livraison retard");
        assert_eq!(issues[0].conversations, vec![1, 2, 3]);
        assert_eq!(issues[1].count, 2);
        assert_eq!(issues[1].label, "application paiement", "ties go alphabetically");
        assert_eq!(trend(3, 1), "up");
    }

    #[test]
    fn periods_are_days_in_the_time_zone() {
        let (a, b) = period("2026-11-01", "2026-11-30", "Europe/Paris").unwrap();
        assert_eq!(b - a, 30 * DAY_MS);
        let e = period("2026-11-30", "2026-11-01", "UTC").unwrap_err();
        assert!(matches!(e, AppError::Invalid(ref i) if i.field == "to"));
        let e = period("01/11/2026", "2026-11-01", "UTC").unwrap_err();
        assert!(matches!(e, AppError::Invalid(ref i) if i.field == "from"));
    }

    #[test]
    fn only_answerable_items_get_a_suggestion() {
        assert_eq!(suggest(ItemKind::Reply, "L'appli plante", Label::Neu), "bug");
        assert_eq!(suggest(ItemKind::Like, "", Label::Neu), "");
    }
}
