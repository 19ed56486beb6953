//! Approvals (C3): the SMM approves a post in review, which schedules it, or sends it back to
//! its author with a comment. Every move is audited.

use serde_json::json;
use tutti_domain::{Action, InputError, PostStatus};
use tutti_store::publishing::{self, Post};
use tutti_store::{review, StoreError};

use crate::accounts::record;
use crate::{Actor, App, AppError};

impl App {
    /// Approves a post in review: it is scheduled (or due at once, if it had no time).
    pub async fn approve_post(&self, actor: &Actor, slug: &str, post_id: i64) -> Result<Post, AppError> {
        self.review(actor, slug, post_id, PostStatus::Scheduled, None, "post.approve").await
    }

    /// Approves a post in review after the approver rewrote its text (a crisis reply the SMM
    /// edits, say): the new text is checked against the channel's limits, the change audited
    /// with the text before and after, and the post scheduled — all in one transaction.
    pub async fn edit_and_approve_post(
        &self,
        actor: &Actor,
        slug: &str,
        post_id: i64,
        text: &str,
    ) -> Result<Post, AppError> {
        let access = self.workspace_access(actor, slug, Action::ApprovePosts).await?;
        let text = text.trim();
        if text.is_empty() {
            return Err(InputError::new("text", "required", "the post needs a text").into());
        }
        let mut tx = self.store.begin().await?;
        let before = match publishing::post_by_id(&mut tx, post_id).await {
            Ok(p) if p.workspace_id == access.workspace.id => p,
            _ => return Err(AppError::NotFound("post")),
        };
        let channel = publishing::channel_by_id(&mut tx, before.channel_id).await?;
        crate::publishing::check_text(self.network_of(&channel)?.as_ref(), text)?;
        if !review::set_text(&mut tx, access.workspace.id, post_id, text).await? {
            return Err(AppError::Conflict(InputError::new(
                "post",
                "post_not_in_review",
                format!("post {post_id} is {}, not in review", before.status),
            )));
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "post.edit",
            &format!("post {post_id}"),
            Some(json!({"text": before.text})),
            Some(json!({"text": text})),
        )
        .await?;
        if !review::move_post(
            &mut tx,
            access.workspace.id,
            post_id,
            PostStatus::InReview,
            PostStatus::Scheduled,
            None,
        )
        .await?
        {
            return Err(AppError::Conflict(InputError::new(
                "post",
                "post_not_in_review",
                format!("post {post_id} left review"),
            )));
        }
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            "post.approve",
            &format!("post {post_id}"),
            None,
            Some(json!({"comment": null})),
        )
        .await?;
        let post = publishing::post_by_id(&mut tx, post_id).await?;
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Calendar).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(post)
    }

    /// Sends a post in review back to its author as a draft, with a comment.
    pub async fn send_back_post(
        &self,
        actor: &Actor,
        slug: &str,
        post_id: i64,
        comment: &str,
    ) -> Result<Post, AppError> {
        let comment: String =
            comment.trim().chars().filter(|c| !c.is_control() || *c == '\n').take(2000).collect();
        if comment.is_empty() {
            return Err(InputError::new("comment", "required", "say what to change").into());
        }
        self.review(actor, slug, post_id, PostStatus::Draft, Some(&comment), "post.send_back").await
    }

    async fn review(
        &self,
        actor: &Actor,
        slug: &str,
        post_id: i64,
        to: PostStatus,
        note: Option<&str>,
        action: &str,
    ) -> Result<Post, AppError> {
        let access = self.workspace_access(actor, slug, Action::ApprovePosts).await?;
        let mut tx = self.store.begin().await?;
        if !review::move_post(&mut tx, access.workspace.id, post_id, PostStatus::InReview, to, note).await? {
            return match publishing::post_by_id(&mut tx, post_id).await {
                Ok(p) if p.workspace_id == access.workspace.id => Err(AppError::Conflict(InputError::new(
                    "post",
                    "post_not_in_review",
                    format!("post {post_id} is {}, not in review", p.status),
                ))),
                _ => Err(AppError::NotFound("post")),
            };
        }
        let post = publishing::post_by_id(&mut tx, post_id).await?;
        record(
            &mut tx,
            actor,
            Some(access.workspace.id),
            action,
            &format!("post {post_id}"),
            None,
            Some(json!({"comment": note})),
        )
        .await?;
        self.store.announce(&mut tx, access.workspace.id, tutti_store::changes::Topic::Calendar).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(post)
    }
}
