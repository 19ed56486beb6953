//! The community CRM (D6): people, their identities (merged and split), tags, notes, custom
//! fields, saved segments, scores and the CSV export of a segment.
//!
//! Scores (engagement, advocacy, sentiment over time, churn signals) are computed in SQL by a
//! refresh of the whole workspace (`store::people::refresh_scores`), run by the worker's
//! `community.refresh` job every [`SCORES_MAX_AGE_MS`] for the workspaces that saw someone
//! since ([`refresh_stale_scores`]; hourly for the others, as recency moves), on demand, and
//! after a merge or a split. Reading a list never writes.
//! It is a few set-based statements over indexed columns: tens of thousands of people take a
//! fraction of a second, and reads then sort and filter on stored numbers.

use serde_json::json;
use tutti_domain::{Action, InputError, Network, Sentiment};
use tutti_store::people::{self, Identity, Interaction, Note, PeopleFilter, Person, Segment, Sort};
use tutti_store::{inbox, StoreError};

use crate::accounts::record;
use crate::csv_export::{csv_cell, csv_row};
use crate::text::{clean_text, parse_tags};
use crate::{Actor, App, AppError};

/// Scores older than this are rebuilt by the worker when the workspace saw someone since, ms.
pub const SCORES_MAX_AGE_MS: i64 = 5 * 60_000;
/// A loyal member has at least this many interactions older than 30 days.
pub const LOYAL_ITEMS: i64 = 5;
/// The longest note.
pub const MAX_NOTE_CHARS: usize = 5_000;
/// The longest custom field value.
pub const MAX_FIELD_CHARS: usize = 500;

/// Rebuilds the scores of the workspaces that need it as of `now` (see
/// [`people::workspaces_to_score`]), each in its own transaction; returns how many. Run by the
/// worker's `community.refresh` job.
pub async fn refresh_stale_scores(store: &crate::store::Store, now: i64) -> Result<usize, StoreError> {
    let due = people::workspaces_to_score(
        &mut *store.conn().await?,
        now - SCORES_MAX_AGE_MS,
        now - tutti_store::HOUR_MS,
    )
    .await?;
    for &ws in &due {
        let mut tx = store.begin().await?;
        people::refresh_scores(&mut tx, ws, now, LOYAL_ITEMS).await?;
        tx.commit().await?;
    }
    Ok(due.len())
}

/// Everything the profile of a person shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Profile {
    /// The person and their scores.
    pub person: Person,
    /// Their identities.
    pub identities: Vec<Identity>,
    /// Notes, newest first.
    pub notes: Vec<Note>,
    /// Custom fields.
    pub fields: Vec<(String, String)>,
    /// A page of their interactions, newest first.
    pub history: Vec<Interaction>,
    /// Their conversations, latest first (at most 50).
    pub conversations: Vec<inbox::Conversation>,
    /// Average sentiment per month (`YYYY-MM`, average, items), oldest first.
    pub months: Vec<(String, f64, i64)>,
}

/// The average sentiment (pos +1, neu 0, neg -1) per UTC month of `(time, sentiment)` pairs,
/// oldest month first.
pub fn sentiment_by_month(points: &[(i64, Sentiment)]) -> Vec<(String, f64, i64)> {
    let mut months: std::collections::BTreeMap<String, (f64, i64)> = Default::default();
    for (at, s) in points {
        let month = chrono::DateTime::from_timestamp_millis(*at)
            .map(|d| d.format("%Y-%m").to_string())
            .unwrap_or_default();
        let v = match s {
            Sentiment::Pos => 1.0,
            Sentiment::Neg => -1.0,
            Sentiment::Neu => 0.0,
        };
        let e = months.entry(month).or_default();
        e.0 += v;
        e.1 += 1;
    }
    months.into_iter().map(|(m, (sum, n))| (m, sum / n as f64, n)).collect()
}

/// Checks a saved filter's values.
pub fn check_filter(f: &PeopleFilter) -> Result<(), AppError> {
    if !f.tag.is_empty() {
        parse_tags(&f.tag)?;
    }
    if !f.network.is_empty() && f.network.parse::<Network>().is_err() {
        return Err(
            InputError::new("network", "network_unknown", "the network is bluesky or mastodon").into()
        );
    }
    if !matches!(f.trend.as_str(), "" | "rising" | "falling") {
        return Err(InputError::new("trend", "trend_unknown", "the trend is rising or falling").into());
    }
    for (field, v) in [
        ("min_interactions", f.min_interactions as f64),
        ("min_engagement", f.min_engagement),
        ("min_advocacy", f.min_advocacy),
        ("seen_within_days", f.seen_within_days as f64),
    ] {
        if !(0.0..=1e9).contains(&v) {
            return Err(
                InputError::new(field, "number_out_of_range", "a number from 0 to 1,000,000,000").into()
            );
        }
    }
    Ok(())
}

impl App {
    async fn own_person(
        &self,
        db: &mut tutti_store::Db,
        workspace_id: i64,
        id: i64,
    ) -> Result<Person, AppError> {
        match people::person_by_id(db, workspace_id, id).await {
            Ok(p) => Ok(p),
            Err(StoreError::NotFound) => Err(AppError::NotFound("person")),
            Err(e) => Err(e.into()),
        }
    }

    /// Rebuilds the workspace's scores now.
    pub async fn refresh_community(&self, actor: &Actor, slug: &str) -> Result<(), AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewCommunity).await?;
        let mut tx = self.store.begin().await?;
        people::refresh_scores(&mut tx, access.workspace.id, crate::store::now_ms(), LOYAL_ITEMS).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// A page of the workspace's people matching `filter`, sorted.
    pub async fn people(
        &self,
        actor: &Actor,
        slug: &str,
        filter: &PeopleFilter,
        sort: Sort,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Person>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewCommunity).await?;
        check_filter(filter)?;
        let now = crate::store::now_ms();
        Ok(people::list(
            &mut *self.store.conn().await?,
            access.workspace.id,
            filter,
            sort,
            now,
            offset.max(0),
            limit.clamp(1, 100_000),
        )
        .await?)
    }

    /// A person's profile, with the page of their history from `offset` (50 a page).
    pub async fn person_profile(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        offset: i64,
    ) -> Result<Profile, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewCommunity).await?;
        let mut db = self.store.conn().await?;
        let person = self.own_person(&mut db, access.workspace.id, id).await?;
        let filter = inbox::Filter { person_id: Some(id), ..Default::default() };
        Ok(Profile {
            identities: people::identities_of(&mut db, id).await?,
            notes: people::notes_of(&mut db, id).await?,
            fields: people::fields_of(&mut db, id).await?,
            history: people::history(&mut db, id, offset.max(0), 50).await?,
            conversations: inbox::list(&mut db, access.workspace.id, &filter, None, 50).await?,
            months: sentiment_by_month(&people::sentiments_of(&mut db, id).await?),
            person,
        })
    }

    /// Replaces a person's tags (comma-separated; letters, digits, `-` and `_`).
    pub async fn tag_person(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        tags: &str,
    ) -> Result<Vec<String>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageCommunity).await?;
        let list = parse_tags(tags)?;
        let mut tx = self.store.begin().await?;
        if !people::set_tags(&mut tx, access.workspace.id, id, &list).await? {
            return Err(AppError::NotFound("person"));
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "person.tag",
            &format!("person {id}"),
            None,
            Some(json!({"tags": list})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(list)
    }

    /// Adds a note to a person.
    pub async fn add_person_note(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        body: &str,
    ) -> Result<i64, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageCommunity).await?;
        let body = clean_text(body.trim(), MAX_NOTE_CHARS + 1);
        if body.is_empty() {
            return Err(InputError::new("note", "person_note_empty", "write the note").into());
        }
        if body.chars().count() > MAX_NOTE_CHARS {
            return Err(InputError::new(
                "note",
                "person_note_too_long",
                "a note is at most 5,000 characters",
            )
            .into());
        }
        let mut tx = self.store.begin().await?;
        self.own_person(&mut tx, access.workspace.id, id).await?;
        let author = match actor {
            Actor::User(u) => u.name.clone(),
            _ => actor.label().to_owned(),
        };
        let note = people::add_note(
            &mut tx,
            access.workspace.id,
            id,
            actor.user_id(),
            &author,
            &body,
            crate::store::now_ms(),
        )
        .await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "person.note",
            &format!("person {id}"),
            None,
            Some(json!({"note": note})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(note)
    }

    /// Sets a custom field of a person (an empty value removes it). A key is up to 40
    /// letters, digits, `-` or `_`.
    pub async fn set_person_field(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        key: &str,
        value: &str,
    ) -> Result<(), AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageCommunity).await?;
        let key = key.trim().to_lowercase();
        if key.is_empty()
            || key.chars().count() > 40
            || !key.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Err(InputError::new(
                "key",
                "field_key_invalid",
                "a field name is 1 to 40 letters, digits, - or _",
            )
            .into());
        }
        let value = clean_text(value.trim(), MAX_FIELD_CHARS + 1).replace('\n', " ");
        if value.chars().count() > MAX_FIELD_CHARS {
            return Err(InputError::new(
                "value",
                "field_value_too_long",
                "a value is at most 500 characters",
            )
            .into());
        }
        let mut tx = self.store.begin().await?;
        self.own_person(&mut tx, access.workspace.id, id).await?;
        people::set_field(&mut tx, access.workspace.id, id, &key, &value).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "person.field",
            &format!("person {id}"),
            None,
            Some(json!({"key": key, "value": value})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Merges person `from` into `into` (both of the workspace): one person with every
    /// identity, item, conversation, note, field and tag.
    pub async fn merge_people(
        &self,
        actor: &Actor,
        slug: &str,
        into: i64,
        from: i64,
    ) -> Result<(), AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageCommunity).await?;
        if into == from {
            return Err(InputError::new("other", "merge_same", "choose another person to merge").into());
        }
        let mut tx = self.store.begin().await?;
        let a = self.own_person(&mut tx, access.workspace.id, into).await?;
        let b = match people::person_by_id(&mut tx, access.workspace.id, from).await {
            Ok(b) => b,
            Err(StoreError::NotFound) => {
                return Err(
                    InputError::new("other", "person_unknown", "no such person in this workspace").into()
                )
            }
            Err(e) => return Err(e.into()),
        };
        people::merge(&mut tx, access.workspace.id, &a, &b).await?;
        people::refresh_scores(&mut tx, access.workspace.id, crate::store::now_ms(), LOYAL_ITEMS).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "person.merge",
            &format!("person {into}"),
            Some(json!({"merged": from, "name": b.display_name})),
            None,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Splits an identity off a person into a new person, who takes its items; returns them.
    pub async fn split_person(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        identity: i64,
    ) -> Result<i64, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageCommunity).await?;
        let mut tx = self.store.begin().await?;
        let p = self.own_person(&mut tx, access.workspace.id, id).await?;
        let ids = people::identities_of(&mut tx, id).await?;
        let Some(ident) = ids.iter().find(|i| i.id == identity) else {
            return Err(
                InputError::new("identity", "identity_unknown", "this identity is not the person's").into()
            );
        };
        if ids.len() < 2 {
            return Err(
                InputError::new("identity", "identity_last", "a person keeps at least one identity").into()
            );
        }
        let now = crate::store::now_ms();
        let new = people::split(&mut tx, access.workspace.id, &p, ident, now).await?;
        people::refresh_scores(&mut tx, access.workspace.id, now, LOYAL_ITEMS).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "person.split",
            &format!("person {id}"),
            None,
            Some(json!({"identity": identity, "network": ident.network, "handle": ident.handle, "person": new})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(new)
    }

    /// The workspace's segments.
    pub async fn segments(&self, actor: &Actor, slug: &str) -> Result<Vec<Segment>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewCommunity).await?;
        Ok(people::segments_of(&mut *self.store.conn().await?, access.workspace.id).await?)
    }

    /// Saves a filter as a named segment.
    pub async fn save_segment(
        &self,
        actor: &Actor,
        slug: &str,
        name: &str,
        filter: &PeopleFilter,
    ) -> Result<i64, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageCommunity).await?;
        let name = clean_text(name.trim(), 81).replace('\n', " ");
        if name.is_empty() || name.chars().count() > 80 {
            return Err(InputError::new(
                "name",
                "segment_name_invalid",
                "a segment's name is 1 to 80 characters",
            )
            .into());
        }
        check_filter(filter)?;
        let mut tx = self.store.begin().await?;
        let id = match people::save_segment(
            &mut tx,
            access.workspace.id,
            &name,
            filter,
            actor.user_id(),
            crate::store::now_ms(),
        )
        .await
        {
            Ok(id) => id,
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict(InputError::new(
                    "name",
                    "segment_name_taken",
                    "a segment already has this name",
                )))
            }
            Err(e) => return Err(e.into()),
        };
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "segment.create",
            &format!("segment {id}"),
            None,
            Some(json!({"name": name, "filter": filter})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(id)
    }

    /// Deletes a segment.
    pub async fn delete_segment(&self, actor: &Actor, slug: &str, id: i64) -> Result<(), AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageCommunity).await?;
        let mut tx = self.store.begin().await?;
        if !people::delete_segment(&mut tx, access.workspace.id, id).await? {
            return Err(AppError::NotFound("segment"));
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "segment.delete",
            &format!("segment {id}"),
            None,
            None,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// The segment of a name or an id.
    pub async fn segment(&self, actor: &Actor, slug: &str, name_or_id: &str) -> Result<Segment, AppError> {
        let all = self.segments(actor, slug).await?;
        all.into_iter()
            .find(|s| s.name == name_or_id || s.id.to_string() == name_or_id)
            .ok_or(AppError::NotFound("segment"))
    }

    /// Everyone of a segment as CSV (RFC 4180, formula-safe), by engagement.
    pub async fn export_people_csv(
        &self,
        actor: &Actor,
        slug: &str,
        filter: &PeopleFilter,
    ) -> Result<String, AppError> {
        let list = self.people(actor, slug, filter, Sort::Engagement, 0, 100_000).await?;
        let mut out = csv_row(
            &[
                "id",
                "display_name",
                "handles",
                "networks",
                "tags",
                "interactions",
                "first_seen",
                "last_seen",
                "engagement",
                "advocacy",
                "recent_sentiment",
                "churn",
            ]
            .map(String::from),
        );
        let day = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        for p in &list {
            out.push_str(&csv_row(&[
                p.id.to_string(),
                csv_cell(&p.display_name),
                csv_cell(&p.handles.join(" ")),
                csv_cell(&p.networks.join(" ")),
                csv_cell(&p.tags.join(" ")),
                p.interactions.to_string(),
                day(p.first_seen_at),
                day(p.last_seen_at),
                format!("{:.2}", p.engagement),
                format!("{:.0}", p.advocacy),
                p.recent_sentiment.map(|s| format!("{s:.2}")).unwrap_or_default(),
                p.churn.clone(),
            ]));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentiment_is_averaged_per_month() {
        // 2026-10-15 and 2026-11-15, UTC.
        let oct = 1_792_022_400_000;
        let nov = 1_794_700_800_000;
        let m = sentiment_by_month(&[
            (oct, Sentiment::Pos),
            (oct, Sentiment::Neu),
            (nov, Sentiment::Neg),
            (nov, Sentiment::Neg),
        ]);
        assert_eq!(m, vec![("2026-10".into(), 0.5, 2), ("2026-11".into(), -1.0, 2)]);
    }
}
