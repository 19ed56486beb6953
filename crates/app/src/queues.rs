//! Queues and the review rule (C3, C5).
//!
//! Each channel has weekly time slots in the workspace's time zone ("Monday 09:00"); "add to
//! queue" gives a post the channel's next slot that no other post holds. The slot is taken
//! inside the transaction that saves the post, with the channel's row locked, so two writers
//! adding at once get two different slots.
//!
//! Which roles publish without review is a rule of each workspace: by default admins, SMMs and
//! community managers; contributors never (nor analysts and the product role, who do not
//! write).

use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde_json::json;
use tutti_domain::{Action, InputError, Role};
use tutti_store::queues::{self, Slot};
use tutti_store::{publishing, Db, StoreError};

use crate::accounts::record;
use crate::actor::WorkspaceAccess;
use crate::channels::find_channel;
use crate::{Actor, App, AppError};

/// The most slots a channel's week may hold.
pub const MAX_SLOTS: usize = 100;
/// How far ahead the next free slot is looked for.
const HORIZON_DAYS: i64 = 366;
/// The roles that may publish without review when a workspace has not said otherwise.
pub const DEFAULT_DIRECT_ROLES: [Role; 3] = [Role::Admin, Role::Smm, Role::Cm];
/// The roles a workspace may let publish without review.
pub const ELIGIBLE_DIRECT_ROLES: [Role; 3] = [Role::Admin, Role::Smm, Role::Cm];

const DAYS: [[&str; 4]; 7] = [
    ["mon", "monday", "lun", "lundi"],
    ["tue", "tuesday", "mar", "mardi"],
    ["wed", "wednesday", "mer", "mercredi"],
    ["thu", "thursday", "jeu", "jeudi"],
    ["fri", "friday", "ven", "vendredi"],
    ["sat", "saturday", "sam", "samedi"],
    ["sun", "sunday", "dim", "dimanche"],
];

/// Reads slots written like `mon 09:00, tue 12:30; fri 17:45` (English or French day names,
/// short or long; a comma, a semicolon or a new line between slots). The error names the
/// slot at fault, counted from 1.
pub fn parse_slots(text: &str) -> Result<Vec<Slot>, InputError> {
    let mut slots = Vec::new();
    for (i, part) in text.split([',', ';', '\n']).map(str::trim).filter(|p| !p.is_empty()).enumerate() {
        let bad = |why: &str| {
            InputError::new(
                "slots",
                "slot_invalid",
                format!("slot {} ({:?}): {why}", i + 1, tutti_domain::input::clip(part, 40)),
            )
        };
        let (day, time) = part
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("write a day and a time, like mon 09:00"))?;
        let day = day.trim().trim_end_matches('.').to_lowercase();
        let weekday = DAYS
            .iter()
            .position(|names| names.contains(&day.as_str()))
            .ok_or_else(|| bad("the day is not one of mon, tue, wed, thu, fri, sat, sun"))?;
        let time = NaiveTime::parse_from_str(time.trim(), "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(&time.trim().replace('h', ":"), "%H:%M"))
            .map_err(|_| bad("the time is not like 09:30"))?;
        let minute = (time.hour() * 60 + time.minute()) as u16;
        slots.push(Slot { weekday: weekday as u8, minute });
    }
    slots.sort();
    slots.dedup();
    if slots.len() > MAX_SLOTS {
        return Err(InputError::new("slots", "too_many_slots", format!("at most {MAX_SLOTS} slots a week")));
    }
    Ok(slots)
}

/// Writes slots back as `mon 09:00, tue 12:30`.
pub fn format_slots(slots: &[Slot]) -> String {
    format_slots_in(slots, false)
}

/// Writes slots back with English (`mon 09:00`) or French (`lun 09:00`) day names, in a form
/// [`parse_slots`] reads.
pub fn format_slots_in(slots: &[Slot], french: bool) -> String {
    let names = if french { 2 } else { 0 };
    slots
        .iter()
        .map(|s| {
            format!(
                "{} {:02}:{:02}",
                DAYS[usize::from(s.weekday.min(6))][names],
                s.minute / 60,
                s.minute % 60
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The instant (ms) of `slot` on `date` in `tz`. A time that does not exist that day (the
/// hour skipped when clocks go forward) moves to the same minute an hour later; a time that
/// happens twice (clocks go back) is the first one.
fn slot_instant(tz: Tz, date: NaiveDate, slot: Slot) -> Option<i64> {
    let local = date.and_hms_opt(u32::from(slot.minute / 60), u32::from(slot.minute % 60), 0)?;
    let at = match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t,
        LocalResult::Ambiguous(first, _) => first,
        LocalResult::None => match tz.from_local_datetime(&(local + Duration::hours(1))) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
            LocalResult::None => return None,
        },
    };
    Some(at.with_timezone(&Utc).timestamp_millis())
}

/// The first slot strictly after `after` (ms) whose instant is not in `taken` (sorted or not),
/// looking up to a year ahead; `None` when there are no slots or all are taken.
pub fn next_free_slot(slots: &[Slot], tz: Tz, taken: &[i64], after: i64) -> Option<i64> {
    if slots.is_empty() {
        return None;
    }
    let start = Utc.timestamp_millis_opt(after).single()?.with_timezone(&tz).date_naive();
    let mut sorted = slots.to_vec();
    sorted.sort();
    for d in 0..HORIZON_DAYS {
        let date = start + Duration::days(d);
        let weekday = date.weekday().num_days_from_monday() as u8;
        for s in sorted.iter().filter(|s| s.weekday == weekday) {
            if let Some(t) = slot_instant(tz, date, *s) {
                if t > after && !taken.contains(&t) {
                    return Some(t);
                }
            }
        }
    }
    None
}

/// Takes the channel's next free slot after `after` for a post about to be saved in `tx`: the
/// channel's row is locked first. The error is at `queue`.
pub(crate) async fn take_slot(tx: &mut Db, channel_id: i64, tz: Tz, after: i64) -> Result<i64, AppError> {
    queues::lock_channel(tx, channel_id).await?;
    let slots = queues::slots_of(tx, channel_id).await?;
    if slots.is_empty() {
        return Err(InputError::new(
            "queue",
            "queue_empty",
            "this channel has no queue slots: set its weekly times on the channels page first",
        )
        .into());
    }
    let taken = queues::taken_times(tx, channel_id, after).await?;
    next_free_slot(&slots, tz, &taken, after).ok_or_else(|| {
        InputError::new("queue", "queue_full", "every queue slot of the coming year is taken").into()
    })
}

/// Reads a stored list of roles, keeping the ones that may publish without review.
fn read_roles(stored: Option<&str>) -> Vec<Role> {
    match stored {
        None => DEFAULT_DIRECT_ROLES.to_vec(),
        Some(s) => s
            .split(',')
            .filter_map(|r| Role::parse(r, "roles").ok())
            .filter(|r| ELIGIBLE_DIRECT_ROLES.contains(r))
            .collect(),
    }
}

/// Whether the caller's posts in this workspace go out without review: the role must allow it
/// and the workspace's rule must name it. An instance admin who is not a member counts as an
/// admin.
pub(crate) async fn publishes_directly(db: &mut Db, access: &WorkspaceAccess) -> Result<bool, AppError> {
    if !access.allows(Action::PublishWithoutReview) {
        return Ok(false);
    }
    let roles = read_roles(queues::direct_roles(db, access.workspace.id).await?.as_deref());
    Ok(roles.contains(&access.role.unwrap_or(Role::Admin)))
}

impl App {
    /// The weekly queue slots of a channel (named by handle or id).
    pub async fn queue_slots(&self, actor: &Actor, slug: &str, channel: &str) -> Result<Vec<Slot>, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        let mut db = self.store.conn().await?;
        let channels = publishing::channels_of(&mut db, access.workspace.id).await?;
        let c = find_channel(&channels, channel.trim()).ok_or_else(|| unknown_channel(channel))?;
        Ok(queues::slots_of(&mut db, c.id).await?)
    }

    /// Replaces the weekly queue slots of a channel (SMMs and admins). Audited.
    pub async fn set_queue_slots(
        &self,
        actor: &Actor,
        slug: &str,
        channel: &str,
        slots: &[Slot],
    ) -> Result<Vec<Slot>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageChannels).await?;
        if slots.len() > MAX_SLOTS {
            return Err(InputError::new(
                "slots",
                "too_many_slots",
                format!("at most {MAX_SLOTS} slots a week"),
            )
            .into());
        }
        if let Some(bad) = slots.iter().find(|s| s.weekday > 6 || s.minute > 1439) {
            return Err(InputError::new(
                "slots",
                "slot_invalid",
                format!("{bad:?} is not a day and time of the week"),
            )
            .into());
        }
        let mut sorted = slots.to_vec();
        sorted.sort();
        sorted.dedup();
        let mut tx = self.store.begin().await?;
        let channels = publishing::channels_of(&mut tx, access.workspace.id).await?;
        let c = find_channel(&channels, channel.trim()).ok_or_else(|| unknown_channel(channel))?;
        let before = queues::slots_of(&mut tx, c.id).await?;
        queues::set_slots(&mut tx, c.id, &sorted).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "channel.queue",
            &c.handle,
            Some(json!({"slots": format_slots(&before)})),
            Some(json!({"slots": format_slots(&sorted)})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(sorted)
    }

    /// The roles of a workspace whose posts go out without review.
    pub async fn direct_roles(&self, actor: &Actor, slug: &str) -> Result<Vec<Role>, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        let stored = queues::direct_roles(&mut *self.store.conn().await?, access.workspace.id).await?;
        Ok(read_roles(stored.as_deref()))
    }

    /// Whether the caller's posts in this workspace go out without review.
    pub async fn publishes_directly(&self, actor: &Actor, slug: &str) -> Result<bool, AppError> {
        let access = self.workspace_access(actor, slug, Action::WritePosts).await?;
        publishes_directly(&mut *self.store.conn().await?, &access).await
    }

    /// Sets which roles publish without review (SMMs and admins); only admin, smm and cm may
    /// be named (contributors never publish without review). Audited.
    pub async fn set_direct_roles(
        &self,
        actor: &Actor,
        slug: &str,
        roles: &[Role],
    ) -> Result<Vec<Role>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ApprovePosts).await?;
        if let Some(r) = roles.iter().find(|r| !ELIGIBLE_DIRECT_ROLES.contains(r)) {
            return Err(InputError::new(
                "roles",
                "role_needs_review",
                format!("the {r} role cannot publish without review; only admin, smm and cm can"),
            )
            .into());
        }
        let chosen: Vec<Role> = ELIGIBLE_DIRECT_ROLES.into_iter().filter(|r| roles.contains(r)).collect();
        let value = chosen.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
        let mut tx = self.store.begin().await?;
        let before = read_roles(queues::direct_roles(&mut tx, access.workspace.id).await?.as_deref());
        queues::set_direct_roles(&mut tx, access.workspace.id, &value).await?;
        let names = |rs: &[Role]| rs.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "publishing.review_rule",
            &access.workspace.slug,
            Some(json!({"direct_roles": names(&before)})),
            Some(json!({"direct_roles": value})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(chosen)
    }
}

fn unknown_channel(wanted: &str) -> AppError {
    InputError::new("channel", "channel_unknown", format!("no channel {:?} in this workspace", wanted.trim()))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn slots_parse_in_english_and_french_and_name_the_bad_one() {
        let s = parse_slots("mon 09:00, Mardi 12h30; fri 17:45\nmon 09:00").unwrap();
        assert_eq!(
            s,
            vec![
                Slot { weekday: 0, minute: 540 },
                Slot { weekday: 1, minute: 750 },
                Slot { weekday: 4, minute: 1065 }
            ]
        );
        assert_eq!(format_slots(&s), "mon 09:00, tue 12:30, fri 17:45");
        let e = parse_slots("mon 09:00, someday 10:00").unwrap_err();
        assert_eq!(e.field, "slots");
        assert!(e.message.contains("slot 2"), "{}", e.message);
        let e = parse_slots("tue 25:00").unwrap_err();
        assert!(e.message.contains("slot 1") && e.message.contains("time"), "{}", e.message);
        assert!(parse_slots("").unwrap().is_empty());
    }

    #[test]
    fn the_next_free_slot_skips_taken_ones_and_the_past() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        // Monday 2026-11-23, 10:00 in Paris (09:00 UTC).
        let now = ms("2026-11-23T09:00:00Z");
        let slots = parse_slots("mon 09:00, mon 18:00, wed 08:30").unwrap();
        // 09:00 today is past: 18:00 today.
        assert_eq!(next_free_slot(&slots, tz, &[], now), Some(ms("2026-11-23T17:00:00Z")));
        // Taken: Wednesday 08:30.
        let taken = [ms("2026-11-23T17:00:00Z")];
        assert_eq!(next_free_slot(&slots, tz, &taken, now), Some(ms("2026-11-25T07:30:00Z")));
        assert_eq!(next_free_slot(&[], tz, &[], now), None);
    }

    #[test]
    fn slots_keep_local_time_across_daylight_saving() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let slots = parse_slots("sun 09:00").unwrap();
        // Clocks go forward on Sunday 2027-03-28: 09:00 is 07:00 UTC that day, 08:00 UTC the week before.
        assert_eq!(
            next_free_slot(&slots, tz, &[], ms("2027-03-20T12:00:00Z")),
            Some(ms("2027-03-21T08:00:00Z"))
        );
        assert_eq!(
            next_free_slot(&slots, tz, &[], ms("2027-03-22T12:00:00Z")),
            Some(ms("2027-03-28T07:00:00Z"))
        );
        // 02:30 does not exist that Sunday: it becomes 03:30 local (01:30 UTC).
        let gap = parse_slots("sun 02:30").unwrap();
        assert_eq!(
            next_free_slot(&gap, tz, &[], ms("2027-03-27T12:00:00Z")),
            Some(ms("2027-03-28T01:30:00Z"))
        );
        // 02:30 happens twice on 2027-10-31: the first one (00:30 UTC).
        assert_eq!(
            next_free_slot(&gap, tz, &[], ms("2027-10-30T12:00:00Z")),
            Some(ms("2027-10-31T00:30:00Z"))
        );
    }

    #[test]
    fn the_review_rule_reads_only_eligible_roles() {
        assert_eq!(read_roles(None), DEFAULT_DIRECT_ROLES.to_vec());
        assert_eq!(read_roles(Some("smm,contributor,bogus")), vec![Role::Smm]);
        assert!(read_roles(Some("")).is_empty());
    }
}
