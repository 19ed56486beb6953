//! The community manager's desk around the inbox: saved replies with variables (`{prenom}`,
//! `{handle}`) per language, internal notes that notify the colleagues they @mention,
//! escalation to the SMM, priority, saved views, and the workspace's assignment rule (manual,
//! or round robin among its community managers for each new conversation).

use serde_json::json;
use tutti_domain::{Action, AssignmentMode, ConversationStatus, InputError, ItemKind, Role};
use tutti_store::inbox_desk::{self, Note, SavedReply, View};
use tutti_store::notices::{self, NewNotice};
use tutti_store::{inbox, workspaces, Db, StoreError};

use crate::accounts::record;
use crate::{Actor, App, AppError};

/// The variables a saved reply may use.
pub const VARIABLES: [&str; 2] = ["{prenom}", "{handle}"];
/// The kind of notice a note's @mention sends.
pub const NOTE_MENTION: &str = "inbox_note";
/// The kind of notice an escalation sends.
pub const ESCALATION: &str = "inbox_escalation";

/// Fills a saved reply's variables for a person: `{prenom}` their first name (the first word
/// of their display name, else their handle), `{handle}` their `@handle`.
pub fn fill(body: &str, display_name: &str, handle: &str) -> String {
    let first = display_name.split_whitespace().next().filter(|w| !w.is_empty()).unwrap_or(handle);
    let at = if handle.is_empty() { String::new() } else { format!("@{}", handle.trim_start_matches('@')) };
    body.replace("{prenom}", first).replace("{handle}", &at)
}

/// The `@words` of a note, lower-cased (`@camille`, `@lucas.martin`).
fn mentioned(body: &str) -> Vec<String> {
    body.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '!' | '?' | '(' | ')'))
        .filter_map(|w| w.strip_prefix('@'))
        .map(|w| w.trim_end_matches('.').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

impl App {
    /// The workspace's saved replies.
    pub async fn saved_replies(&self, actor: &Actor, slug: &str) -> Result<Vec<SavedReply>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        Ok(inbox_desk::saved_replies(&mut *self.store.conn().await?, access.workspace.id).await?)
    }

    /// Saves a reply for the team. Only `{prenom}` and `{handle}` are variables; another
    /// `{…}` is refused at `body`.
    pub async fn add_saved_reply(
        &self,
        actor: &Actor,
        slug: &str,
        name: &str,
        lang: &str,
        body: &str,
    ) -> Result<i64, AppError> {
        let access = self.workspace_access(actor, slug, Action::HandleInbox).await?;
        let (name, lang, body) = (name.trim(), lang.trim().to_lowercase(), body.trim());
        if name.is_empty() || name.chars().count() > 80 {
            return Err(InputError::new(
                "name",
                "name_invalid",
                "give the saved reply a name of 1 to 80 characters",
            )
            .into());
        }
        if !["", "fr", "en"].contains(&lang.as_str()) {
            return Err(InputError::new(
                "lang",
                "saved_lang_invalid",
                "the language is fr, en or empty for any",
            )
            .into());
        }
        if body.is_empty() || body.chars().count() > 2000 {
            return Err(InputError::new("body", "body_invalid", "the text is 1 to 2000 characters").into());
        }
        let mut rest = body;
        while let Some(open) = rest.find('{') {
            let tail = &rest[open..];
            let close = tail.find('}').map(|c| c + 1).unwrap_or(tail.len());
            let var = &tail[..close];
            if !VARIABLES.contains(&var) {
                return Err(InputError::new(
                    "body",
                    "variable_unknown",
                    format!(
                        "{:?} is not a variable: use {{prenom}} or {{handle}}",
                        tutti_domain::input::clip(var, 30)
                    ),
                )
                .into());
            }
            rest = &tail[close..];
        }
        let mut tx = self.store.begin().await?;
        let id =
            inbox_desk::insert_saved_reply(&mut tx, access.workspace.id, name, &lang, body, actor.user_id())
                .await
                .map_err(|e| match e {
                    StoreError::Conflict { .. } => AppError::Conflict(InputError::new(
                        "name",
                        "saved_reply_taken",
                        format!("a saved reply {name:?} exists in this language"),
                    )),
                    other => other.into(),
                })?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "inbox.saved_reply",
            name,
            None,
            Some(json!({"lang": lang})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(id)
    }

    /// A saved reply filled in for the person of a conversation.
    pub async fn fill_saved_reply(
        &self,
        actor: &Actor,
        slug: &str,
        conversation: i64,
        saved: i64,
    ) -> Result<String, AppError> {
        let access = self.workspace_access(actor, slug, Action::HandleInbox).await?;
        let mut db = self.store.conn().await?;
        let c = crate::inbox::conversation_in(&mut db, access.workspace.id, conversation).await?;
        let reply = inbox_desk::saved_replies(&mut db, access.workspace.id)
            .await?
            .into_iter()
            .find(|r| r.id == saved)
            .ok_or(AppError::NotFound("saved reply"))?;
        let items = inbox::items_of(&mut db, c.id).await?;
        let handle = items
            .iter()
            .rev()
            .find(|i| i.kind != ItemKind::Sent)
            .map(|i| i.author_handle.clone())
            .unwrap_or_default();
        Ok(fill(&reply.body, &c.person_name, &handle))
    }

    /// The internal notes of a conversation.
    pub async fn notes(&self, actor: &Actor, slug: &str, conversation: i64) -> Result<Vec<Note>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        let mut db = self.store.conn().await?;
        crate::inbox::conversation_in(&mut db, access.workspace.id, conversation).await?;
        Ok(inbox_desk::notes_of(&mut db, conversation).await?)
    }

    /// Adds an internal note; each colleague it @mentions (by the start of their e-mail or
    /// their first name) gets a notice. Returns how many were notified.
    pub async fn add_note(
        &self,
        actor: &Actor,
        slug: &str,
        conversation: i64,
        body: &str,
    ) -> Result<usize, AppError> {
        let access = self.workspace_access(actor, slug, Action::HandleInbox).await?;
        let body: String = body.trim().chars().filter(|c| *c == '\n' || !c.is_control()).take(4000).collect();
        if body.is_empty() {
            return Err(InputError::new("note", "required", "write the note").into());
        }
        let mut tx = self.store.begin().await?;
        let c = crate::inbox::conversation_in(&mut tx, access.workspace.id, conversation).await?;
        inbox_desk::insert_note(&mut tx, access.workspace.id, c.id, actor.user_id(), &body).await?;
        let words = mentioned(&body);
        let members = workspaces::members(&mut tx, access.workspace.id).await?;
        let mut notified = 0;
        for m in members.iter().filter(|m| Some(m.user_id) != actor.user_id()) {
            let local = m.email.split('@').next().unwrap_or_default().to_lowercase();
            let first = m.name.split_whitespace().next().unwrap_or_default().to_lowercase();
            if words.iter().any(|w| *w == local || *w == first) {
                notices::insert(
                    &mut tx,
                    &NewNotice {
                        workspace_id: access.workspace.id,
                        user_id: m.user_id,
                        kind: NOTE_MENTION,
                        subject: &c.person_name,
                        detail: &tutti_domain::input::clip(&body, 300),
                        link: &format!("/w/{}/inbox/{}", access.workspace.slug, c.id),
                    },
                )
                .await?;
                notified += 1;
            }
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "inbox.note",
            &format!("conversation {}", c.id),
            None,
            Some(json!({"notified": notified})),
        )
        .await?;
        if notified > 0 {
            self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Notices).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(notified)
    }

    /// Escalates a conversation to the SMM: urgent, tagged `escalated`, assigned to the first
    /// SMM, and every SMM gets a notice.
    pub async fn escalate(&self, actor: &Actor, slug: &str, conversation: i64) -> Result<(), AppError> {
        let access = self.workspace_access(actor, slug, Action::HandleInbox).await?;
        let mut tx = self.store.begin().await?;
        let c = crate::inbox::conversation_in(&mut tx, access.workspace.id, conversation).await?;
        let smms: Vec<_> = workspaces::members(&mut tx, access.workspace.id)
            .await?
            .into_iter()
            .filter(|m| m.role == Role::Smm)
            .collect();
        let mut tags = c.tags.clone();
        if !tags.iter().any(|t| t == "escalated") {
            tags.push("escalated".into());
        }
        inbox::set_tags(&mut tx, access.workspace.id, c.id, &tags).await?;
        inbox::set_priority(&mut tx, access.workspace.id, c.id, 3).await?;
        if let Some(first) = smms.first() {
            inbox::assign(&mut tx, access.workspace.id, c.id, Some(first.user_id)).await?;
        }
        for m in &smms {
            notices::insert(
                &mut tx,
                &NewNotice {
                    workspace_id: access.workspace.id,
                    user_id: m.user_id,
                    kind: ESCALATION,
                    subject: &c.person_name,
                    detail: &c.excerpt,
                    link: &format!("/w/{}/inbox/{}", access.workspace.slug, c.id),
                },
            )
            .await?;
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "inbox.escalate",
            &format!("conversation {}", c.id),
            None,
            None,
        )
        .await?;
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Notices).await?;
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Inbox).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Sets a conversation's priority: 0 (normal) to 3 (urgent).
    pub async fn set_conversation_priority(
        &self,
        actor: &Actor,
        slug: &str,
        conversation: i64,
        priority: &str,
    ) -> Result<i64, AppError> {
        let access = self.workspace_access(actor, slug, Action::HandleInbox).await?;
        let p: i64 = priority.trim().parse().ok().filter(|p| (0..=3).contains(p)).ok_or_else(|| {
            InputError::new("priority", "priority_invalid", "the priority is 0 (normal) to 3 (urgent)")
        })?;
        let mut tx = self.store.begin().await?;
        if !inbox::set_priority(&mut tx, access.workspace.id, conversation, p).await? {
            return Err(AppError::NotFound("conversation"));
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "inbox.priority",
            &format!("conversation {conversation}"),
            None,
            Some(json!({"priority": p})),
        )
        .await?;
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Inbox).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(p)
    }

    /// The caller's saved views.
    pub async fn inbox_views(&self, actor: &Actor, slug: &str) -> Result<Vec<View>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        let Some(me) = actor.user_id() else { return Ok(Vec::new()) };
        Ok(inbox_desk::views_of(&mut *self.store.conn().await?, access.workspace.id, me).await?)
    }

    /// Saves the filters `query` (the inbox's query string) as a view named `name`.
    pub async fn save_inbox_view(
        &self,
        actor: &Actor,
        slug: &str,
        name: &str,
        query: &str,
    ) -> Result<(), AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(InputError::new(
                "view",
                "name_invalid",
                "give the view a name of 1 to 60 characters",
            )
            .into());
        }
        let query: String =
            query.trim().trim_start_matches('?').chars().filter(|c| !c.is_control()).take(500).collect();
        let Some(me) = actor.user_id() else { return Ok(()) };
        let mut db = self.store.conn().await?;
        inbox_desk::save_view(&mut db, access.workspace.id, me, name, &query).await?;
        Ok(())
    }

    /// The workspace's assignment rule: `manual` or `round_robin`.
    pub async fn assignment_rule(&self, actor: &Actor, slug: &str) -> Result<AssignmentMode, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewInbox).await?;
        Ok(inbox_desk::assignment(&mut *self.store.conn().await?, access.workspace.id).await?.0)
    }

    /// Sets the assignment rule (SMMs and admins). Audited.
    pub async fn set_assignment_rule(&self, actor: &Actor, slug: &str, mode: &str) -> Result<(), AppError> {
        let access = self.workspace_access(actor, slug, Action::ApprovePosts).await?;
        let Ok(mode) = mode.trim().parse::<AssignmentMode>() else {
            return Err(InputError::new("mode", "mode_invalid", "the rule is manual or round_robin").into());
        };
        let mut tx = self.store.begin().await?;
        let (_, last) = inbox_desk::assignment(&mut tx, access.workspace.id).await?;
        inbox_desk::set_assignment(&mut tx, access.workspace.id, mode, last).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "inbox.assignment",
            &access.workspace.slug,
            None,
            Some(json!({"mode": mode})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

/// Assigns each new conversation (one item, unassigned, open) of a workspace that works by
/// round robin to its community managers in turn; returns how many were assigned.
pub async fn auto_assign(db: &mut Db, workspace_id: i64, conversations: &[i64]) -> Result<usize, StoreError> {
    let (mode, mut last) = inbox_desk::assignment(db, workspace_id).await?;
    if mode != AssignmentMode::RoundRobin || conversations.is_empty() {
        return Ok(0);
    }
    let mut cms: Vec<i64> = workspaces::members(db, workspace_id)
        .await?
        .into_iter()
        .filter(|m| m.role == Role::Cm)
        .map(|m| m.user_id)
        .collect();
    cms.sort_unstable();
    if cms.is_empty() {
        return Ok(0);
    }
    let mut assigned = 0;
    for id in conversations {
        let c = inbox::conversation_by_id(db, *id).await?;
        if c.items != 1 || c.assignee_user_id.is_some() || c.status != ConversationStatus::Open {
            continue;
        }
        let next = match last {
            Some(l) => cms.iter().copied().find(|u| *u > l).unwrap_or(cms[0]),
            None => cms[0],
        };
        inbox::assign(db, workspace_id, c.id, Some(next)).await?;
        last = Some(next);
        assigned += 1;
    }
    if assigned > 0 {
        inbox_desk::set_assignment(db, workspace_id, AssignmentMode::RoundRobin, last).await?;
    }
    Ok(assigned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_replies_are_filled_for_the_person() {
        assert_eq!(
            fill("Bonjour {prenom} ({handle}), merci !", "Alice Martin", "alice.test"),
            "Bonjour Alice (@alice.test), merci !"
        );
        assert_eq!(fill("Hi {prenom}", "", "bob.test"), "Hi bob.test");
    }

    #[test]
    fn notes_mention_colleagues() {
        assert_eq!(mentioned("@Camille peux-tu voir ? cc @lucas.martin."), vec!["camille", "lucas.martin"]);
        assert!(mentioned("mail@x.test").is_empty());
    }
}
