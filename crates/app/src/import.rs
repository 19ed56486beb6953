//! Bulk import of posts (C7): every row is checked before anything is stored, and one bad row
//! rejects the whole file with a report that names each row and column at fault. A file
//! either lands whole, in one transaction, or not at all. Rows go through the workspace's
//! editorial charter like posts written one by one: a finding that blocks is a bad row.

use chrono::{NaiveDate, NaiveTime, TimeZone as _};
use serde_json::json;
use tutti_domain::{Action, InputError};
use tutti_store::publishing::{self, NewPost, PostMedia};
use tutti_store::StoreError;

use crate::accounts::record;
use crate::charter::{self, Draft, Image};
use crate::publishing::{check_text, MAX_IMAGE_BYTES};
use crate::{Actor, App, AppError};

/// The columns of an import file, in order.
pub const COLUMNS: [&str; 7] = ["date", "time", "channel", "text", "link", "image", "alt"];

/// One row of an import file, as read.
#[derive(Debug, Clone, Default)]
pub struct RowToImport {
    /// Its line in the file (the header is line 1).
    pub line: usize,
    /// `YYYY-MM-DD`, in the workspace's time zone.
    pub date: String,
    /// `HH:MM`, in the workspace's time zone.
    pub time: String,
    /// The channel, by handle or id.
    pub channel: String,
    /// The text.
    pub text: String,
    /// A link added at the end of the text.
    pub link: String,
    /// The image, read by the caller, or why it could not be read.
    pub image: Option<Result<PostMedia, String>>,
}

impl App {
    /// Imports posts, all or none. Errors list every problem as `row N, column C: …`, in the
    /// order of the rows; a row the editorial charter blocks is reported at `text` (or `alt`
    /// for an image without alt text) with the findings that block it.
    pub async fn import_posts(
        &self,
        actor: &Actor,
        slug: &str,
        rows: &[RowToImport],
        now: i64,
    ) -> Result<usize, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        let tz: chrono_tz::Tz = access.workspace.timezone.parse().unwrap_or(chrono_tz::UTC);
        let (channels, charter) = {
            let mut db = self.store.conn().await?;
            let channels = publishing::channels_of(&mut db, access.workspace.id).await?;
            (channels, charter::charter_of(&mut db, access.workspace.id).await?)
        };
        let mut problems: Vec<(usize, String)> = Vec::new();
        let mut ready = Vec::new();
        // Each row that names a channel, as the charter reads it, with its line.
        let mut drafts: Vec<(usize, Draft)> = Vec::new();
        for row in rows {
            let mut bad = |column: &str, message: String| {
                problems.push((row.line, format!("row {}, column {column}: {message}", row.line)))
            };
            let channel = crate::publishing::find_channel(&channels, &row.channel);
            match channel {
                None => bad("channel", format!("no channel {:?} in this workspace", row.channel.trim())),
                Some(c) if c.owner_user_id.is_some() && c.owner_user_id != actor.user_id() => bad(
                    "channel",
                    format!("{} is a member's own account: only they publish through it", c.handle),
                ),
                Some(_) => {}
            }
            let text = match row.link.trim() {
                "" => row.text.clone(),
                link if link.starts_with("https://") || link.starts_with("http://") => {
                    format!("{} {link}", row.text.trim_end())
                }
                link => {
                    bad("link", format!("{link:?} is not an http:// or https:// address"));
                    row.text.clone()
                }
            };
            if let Some(c) = channel {
                if let Err(e) = check_text(&c.network, &text) {
                    bad("text", e.message);
                }
            }
            let date = NaiveDate::parse_from_str(row.date.trim(), "%Y-%m-%d");
            let time = NaiveTime::parse_from_str(row.time.trim(), "%H:%M");
            let at = match (&date, &time) {
                (Err(_), _) => {
                    bad("date", format!("{:?} is not a date like 2026-12-01", row.date.trim()));
                    None
                }
                (_, Err(_)) => {
                    bad("time", format!("{:?} is not a time like 09:30", row.time.trim()));
                    None
                }
                (Ok(d), Ok(t)) => match tz.from_local_datetime(&d.and_time(*t)).earliest() {
                    // A local time that does not exist (the hour skipped in spring) is refused.
                    None => {
                        bad(
                            "time",
                            format!(
                                "{} {} does not exist in {tz} (the clocks change)",
                                row.date.trim(),
                                row.time.trim()
                            ),
                        );
                        None
                    }
                    Some(local) if local.timestamp_millis() < now => {
                        bad("date", format!("{} {} is in the past", row.date.trim(), row.time.trim()));
                        None
                    }
                    Some(local) => Some(local.timestamp_millis()),
                },
            };
            let media = match &row.image {
                None => Vec::new(),
                Some(Err(why)) => {
                    bad("image", why.clone());
                    Vec::new()
                }
                Some(Ok(m)) if m.bytes.len() > MAX_IMAGE_BYTES => {
                    bad(
                        "image",
                        format!(
                            "{} bytes; the largest the network takes is {MAX_IMAGE_BYTES}",
                            m.bytes.len()
                        ),
                    );
                    Vec::new()
                }
                Some(Ok(m)) => vec![m.clone()],
            };
            if let Some(c) = channel {
                let draft = Draft {
                    text: text.clone(),
                    channel_handle: c.handle.clone(),
                    images: media.iter().map(|m| Image { alt: m.alt.clone() }).collect(),
                    lang: None,
                };
                drafts.push((row.line, draft));
            }
            if let (Some(c), Some(at)) = (channel, at) {
                ready.push((c.id, text, at, media));
            }
        }
        let (lines, drafts): (Vec<usize>, Vec<Draft>) = drafts.into_iter().unzip();
        let texts: Vec<String> = drafts.iter().map(|d| d.text.clone()).collect();
        let checked = charter::check_all(charter, drafts).await?;
        for ((line, text), findings) in lines.into_iter().zip(texts).zip(checked) {
            let blocking = |alt: bool| -> Vec<String> {
                findings
                    .iter()
                    .filter(|f| f.severity == charter::Severity::Block)
                    .filter(|f| (f.kind == charter::CheckKind::AltText) == alt)
                    .map(|f| charter::describe(&text, f))
                    .collect()
            };
            for (column, list) in [("text", blocking(false)), ("alt", blocking(true))] {
                if !list.is_empty() {
                    problems.push((line, format!("row {line}, column {column}: {}", list.join("; "))));
                }
            }
        }
        if rows.is_empty() {
            problems.push((0, "the file has no row".into()));
        }
        if !problems.is_empty() {
            problems.sort_by_key(|(line, _)| *line);
            let report: Vec<String> = problems.into_iter().map(|(_, p)| p).collect();
            return Err(InputError::new("file", "import_invalid", report.join("\n")).into());
        }
        let mut tx = self.store.begin().await?;
        let direct = crate::queues::publishes_directly(&mut tx, &access).await?;
        for (channel_id, text, at, media) in &ready {
            let key = tutti_bluesky::Tid::now().to_string();
            publishing::insert_post(
                &mut tx,
                &NewPost {
                    workspace_id: access.workspace.id,
                    channel_id: *channel_id,
                    author_user_id: actor.user_id(),
                    text,
                    langs: "",
                    status: if direct { "scheduled" } else { "in_review" },
                    scheduled_at: Some(*at),
                    idempotency_key: &key,
                    reply_to_post_id: None,
                },
                media,
            )
            .await?;
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "post.import",
            &access.workspace.name,
            None,
            Some(json!({"posts": ready.len()})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ready.len())
    }
}
