//! Bulk import of posts (C7): every row is checked before anything is stored, and one bad row
//! rejects the whole file with a report that names each row and column at fault. A file
//! either lands whole, in one transaction, or not at all. Rows go through the workspace's
//! editorial charter like posts written one by one: a finding that blocks is a bad row.

use chrono::{NaiveDate, NaiveTime, TimeZone as _};
use serde_json::json;
use tutti_domain::{Action, InputError, PostStatus};
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

/// The largest import file read, in bytes.
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;
/// The most rows an import file may hold (the header apart).
pub const MAX_IMPORT_ROWS: usize = 5_000;
/// The longest field of an import file, in bytes (a post's text is far shorter).
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// One row of an import file as written, before its image is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvRow {
    /// Its line in the file (the header is line 1).
    pub line: usize,
    /// The seven columns, in the order of [`COLUMNS`].
    pub fields: [String; 7],
}

impl CsvRow {
    /// The image's path, relative to the file, if the row names one.
    pub fn image_path(&self) -> Option<&str> {
        Some(self.fields[5].trim()).filter(|p| !p.is_empty())
    }

    /// The row, with its image as read by the caller.
    pub fn into_row(self, image: Option<Result<PostMedia, String>>) -> RowToImport {
        let [date, time, channel, text, link, _, _] = self.fields;
        RowToImport { line: self.line, date, time, channel, text, link, image }
    }
}

/// Reads an import file (CSV, comma-separated, the header naming [`COLUMNS`] in order).
/// Refuses, naming the row and column, a file over [`MAX_IMPORT_BYTES`] or
/// [`MAX_IMPORT_ROWS`] rows, a field over [`MAX_FIELD_BYTES`], a row with another number of
/// fields, and text that is not UTF-8. The reader is a state machine: no input can make it
/// recurse, and its memory is bounded by these limits.
pub fn read_csv(data: &[u8]) -> Result<Vec<CsvRow>, String> {
    if data.len() > MAX_IMPORT_BYTES {
        return Err(format!("the file is larger than {} MB", MAX_IMPORT_BYTES / 1024 / 1024));
    }
    let mut reader = csv::ReaderBuilder::new().flexible(false).has_headers(true).from_reader(data);
    let header = reader.headers().map_err(|e| format!("row 1: {}", csv_error(&e)))?.clone();
    for (i, want) in COLUMNS.iter().enumerate() {
        let got = header.get(i).unwrap_or_default().trim().to_ascii_lowercase();
        if got != *want {
            return Err(format!("row 1, column {}: expected {want:?}, found {:?}", i + 1, clip(&got)));
        }
    }
    if header.len() != COLUMNS.len() {
        return Err(format!("row 1: expected {} columns, found {}", COLUMNS.len(), header.len()));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(format!("row {line}: a file holds at most {MAX_IMPORT_ROWS} rows"));
        }
        let record = record.map_err(|e| format!("row {line}: {}", csv_error(&e)))?;
        let mut fields: [String; 7] = Default::default();
        for (n, (slot, value)) in fields.iter_mut().zip(record.iter()).enumerate() {
            if value.len() > MAX_FIELD_BYTES {
                return Err(format!(
                    "row {line}, column {}: longer than {} kB",
                    COLUMNS[n],
                    MAX_FIELD_BYTES / 1024
                ));
            }
            *slot = value.to_owned();
        }
        rows.push(CsvRow { line, fields });
    }
    Ok(rows)
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("expected {expected_len} columns, found {len}")
        }
        csv::ErrorKind::Utf8 { err, .. } => format!("column {}: not UTF-8 text", err.field() + 1),
        _ => clip(&e.to_string()),
    }
}

fn clip(s: &str) -> String {
    tutti_domain::input::clip(s, 60).to_string()
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
            let channel = crate::channels::find_channel(&channels, &row.channel);
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
            let network = channel.map(|c| self.network_of(c)).transpose()?;
            if let Some(network) = &network {
                if let Err(e) = check_text(network.as_ref(), &text) {
                    bad("text", e.message);
                }
            }
            let max_image_bytes = network.as_ref().map_or(MAX_IMAGE_BYTES, |n| n.limits().image_max_bytes);
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
                Some(Ok(m)) if m.bytes.len() > max_image_bytes => {
                    bad(
                        "image",
                        format!(
                            "{} bytes; the largest the network takes is {max_image_bytes}",
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
            if let (Some(c), Some(network), Some(at)) = (channel, &network, at) {
                ready.push((c.id, text, at, media, network.new_idempotency_key()));
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
        for (channel_id, text, at, media, key) in &ready {
            publishing::insert_post(
                &mut tx,
                &NewPost {
                    workspace_id: access.workspace.id,
                    channel_id: *channel_id,
                    author_user_id: actor.user_id(),
                    text,
                    langs: "",
                    status: if direct { PostStatus::Scheduled } else { PostStatus::InReview },
                    scheduled_at: Some(*at),
                    idempotency_key: key,
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
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Calendar).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ready.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "date,time,channel,text,link,image,alt\n";

    #[test]
    fn rows_are_read_with_their_line() {
        let rows = read_csv(
            format!("{HEADER}2030-01-02,09:30,@a,\"Bonjour, \"\"tous\"\"\",,img.png,Une vitrine\n")
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].fields[3], "Bonjour, \"tous\"");
        assert_eq!(rows[0].image_path(), Some("img.png"));
    }

    #[test]
    fn hostile_files_are_refused_with_the_row_at_fault() {
        assert_eq!(
            read_csv(b"date,time\n").unwrap_err(),
            "row 1, column 3: expected \"channel\", found \"\""
        );
        let short = format!("{HEADER}2030-01-02,09:30\n");
        assert_eq!(read_csv(short.as_bytes()).unwrap_err(), "row 2: expected 7 columns, found 2");
        // A hundred thousand quotes: one field, read without recursion, refused for its length.
        let quotes = format!("{HEADER}{}\n", "\"".repeat(200_001));
        assert!(read_csv(quotes.as_bytes()).unwrap_err().starts_with("row 2"));
        let long = format!("{HEADER}a,b,c,{},e,f,g\n", "x".repeat(MAX_FIELD_BYTES + 1));
        assert_eq!(read_csv(long.as_bytes()).unwrap_err(), "row 2, column text: longer than 64 kB");
        let many = format!("{HEADER}{}", "a,b,c,d,e,f,g\n".repeat(MAX_IMPORT_ROWS + 1));
        assert_eq!(read_csv(many.as_bytes()).unwrap_err(), "row 5002: a file holds at most 5000 rows");
        let mut bad = HEADER.as_bytes().to_vec();
        bad.extend_from_slice(b"a,b,c,\xff\xfe,e,f,g\n");
        assert_eq!(read_csv(&bad).unwrap_err(), "row 2: column 4: not UTF-8 text");
        assert!(read_csv(&vec![b'a'; MAX_IMPORT_BYTES + 1]).is_err());
    }
}
