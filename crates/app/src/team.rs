//! Workspaces, their teams, and their audit log.

use serde_json::json;
use tutti_domain::{Action, Email, InputError, Role, Slug, TimeZone, WorkspaceName};
use tutti_store::audit::{self, AuditEntry, AuditFilter};
use tutti_store::users::{self, NewUser};
use tutti_store::workspaces::{self, Member, Workspace};
use tutti_store::{auth, now_ms, Db, StoreError};

use crate::accounts::{email_taken, record};
use crate::error::not_found;
use crate::secrets::{hash_secret, new_secret};
use crate::{Actor, App, AppError};

/// A member just added; a person new to Tutti also gets an invitation secret to pass on.
#[derive(Debug, Clone)]
pub struct AddedMember {
    /// The membership.
    pub member: Member,
    /// The secret of the invitation link (`/invite/SECRET`), for a person without an account.
    pub invitation: Option<String>,
    /// The person has no password yet and was invited by a workspace the caller does not
    /// manage: no link is issued here, they join with the invitation they already have.
    pub awaiting_other_invitation: bool,
}

/// What to read of a workspace's audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Actions starting with this (`member.`).
    pub action: Option<String>,
    /// Actors containing this.
    pub actor: Option<String>,
    /// From this time (ms).
    pub from: Option<i64>,
    /// Before this time (ms).
    pub to: Option<i64>,
    /// Entries older than this id.
    pub before_id: Option<i64>,
    /// How many at most.
    pub limit: i64,
}

fn member_json(m: &Member) -> serde_json::Value {
    json!({"email": m.email, "role": m.role.as_str()})
}

impl App {
    /// Creates a brand workspace; a person who creates it becomes its admin.
    pub async fn create_workspace(
        &self,
        actor: &Actor,
        name: &str,
        timezone: &str,
    ) -> Result<Workspace, AppError> {
        self.require(actor, Action::CreateWorkspace).await?;
        let name = WorkspaceName::parse(name, "name")?;
        let tz =
            TimeZone::parse(if timezone.trim().is_empty() { "Europe/Paris" } else { timezone }, "timezone")?;
        let mut tx = self.store.begin().await?;
        if workspaces::name_taken(&mut tx, name.as_str()).await? {
            return Err(AppError::Conflict(InputError::new(
                "name",
                "name_taken",
                format!("a workspace is already called {:?}", name.as_str()),
            )));
        }
        let base = Slug::from_name(name.as_str());
        let mut slug = base.as_str().to_owned();
        let mut n = 2;
        while workspaces::slug_taken(&mut tx, &slug).await? {
            slug = format!("{}-{n}", base.as_str());
            n += 1;
        }
        let org = workspaces::default_organisation(&mut tx, "Tutti").await?;
        let ws =
            workspaces::insert(&mut tx, org, &slug, name.as_str(), tz.name()).await.map_err(|e| match e {
                StoreError::Conflict { .. } => {
                    AppError::Conflict(InputError::new("name", "name_taken", "this workspace name is taken"))
                }
                other => other.into(),
            })?;
        if let Some(uid) = actor.user_id() {
            workspaces::add_member(&mut tx, ws.id, uid, Role::Admin).await?;
        }
        record(
            &mut tx,
            actor,
            Some(ws.id),
            "workspace.create",
            &ws.slug,
            None,
            Some(json!({"name": ws.name, "timezone": ws.timezone})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ws)
    }

    /// The workspaces the actor can open, with their role there (none for an instance admin
    /// who is not a member).
    pub async fn list_workspaces(&self, actor: &Actor) -> Result<Vec<(Workspace, Option<Role>)>, AppError> {
        let mut db = self.store.conn().await?;
        let mine = match actor.user_id() {
            Some(uid) => workspaces::list_for_user(&mut db, uid).await?,
            None => Vec::new(),
        };
        if actor.require(Action::CreateWorkspace).is_err() {
            return Ok(mine.into_iter().map(|(w, r)| (w, Some(r))).collect());
        }
        let all = workspaces::list(&mut db).await?;
        Ok(all
            .into_iter()
            .map(|w| {
                let role = mine.iter().find(|(m, _)| m.id == w.id).map(|(_, r)| *r);
                (w, role)
            })
            .collect())
    }

    /// The members of a workspace.
    pub async fn list_members(&self, actor: &Actor, slug: &str) -> Result<Vec<Member>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewMembers).await?;
        Ok(workspaces::members(&mut *self.store.conn().await?, access.workspace.id).await?)
    }

    /// Adds a person to a workspace with a role. Someone without an account gets one, waiting
    /// for them to accept the returned invitation.
    pub async fn add_member(
        &self,
        actor: &Actor,
        slug: &str,
        email: &str,
        role: &str,
    ) -> Result<AddedMember, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageTeam).await?;
        let email = Email::parse(email, "email")?;
        let role = Role::parse(role, "role")?;
        if role == Role::Admin {
            self.require_in(actor, &access, Action::ManageAdmins).await?;
        }
        let ws = access.workspace;
        // An invitation link sets the password of an account that has none, and with it opens
        // every workspace the account belongs to. So a link is issued only by someone who may
        // manage the team of each of those workspaces (checked here, before the write
        // transaction, and confirmed unchanged inside it); otherwise the person joins without a
        // link and sees this workspace once they accept the invitation they already have.
        let mut seen_workspaces = None;
        let existing = users::by_email(&mut *self.store.conn().await?, email.as_str()).await;
        if let Ok(existing) = existing {
            if !existing.active {
                let ids = self.workspaces_of(existing.id).await?;
                if self.may_manage_teams(actor, &ids).await? {
                    seen_workspaces = Some(ids);
                }
            }
        }
        let mut tx = self.store.begin().await?;
        let mut invitation = None;
        let mut awaiting_other_invitation = false;
        let user = match users::by_email(&mut tx, email.as_str()).await {
            Ok(u) => u,
            Err(StoreError::NotFound) => {
                let name = email.as_str().split('@').next().unwrap_or_default().to_owned();
                let u = users::insert(
                    &mut tx,
                    &NewUser {
                        email: email.as_str(),
                        name: &name,
                        password_hash: None,
                        is_admin: false,
                        timezone: &ws.timezone,
                    },
                )
                .await
                .map_err(email_taken(&email))?;
                invitation = Some(invite(&mut tx, u.id, ws.id, self.config.invitation_ttl_ms).await?);
                u
            }
            Err(e) => return Err(e.into()),
        };
        if !user.active && invitation.is_none() {
            let now_in: Vec<i64> =
                workspaces::list_for_user(&mut tx, user.id).await?.into_iter().map(|(w, _)| w.id).collect();
            if seen_workspaces.as_ref() == Some(&now_in) {
                invitation = Some(invite(&mut tx, user.id, ws.id, self.config.invitation_ttl_ms).await?);
            } else {
                awaiting_other_invitation = true;
            }
        }
        workspaces::add_member(&mut tx, ws.id, user.id, role).await.map_err(|e| match e {
            StoreError::Conflict { .. } => AppError::Conflict(InputError::new(
                "email",
                "already_member",
                format!("{email} is already a member of this workspace"),
            )),
            other => other.into(),
        })?;
        let member = workspaces::member(&mut tx, ws.id, user.id).await?;
        record(&mut tx, actor, Some(ws.id), "member.add", email.as_str(), None, Some(member_json(&member)))
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(AddedMember { member, invitation, awaiting_other_invitation })
    }

    /// Changes a member's role. `user` is an account id or an e-mail.
    pub async fn change_role(
        &self,
        actor: &Actor,
        slug: &str,
        user: &str,
        role: &str,
    ) -> Result<Member, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageTeam).await?;
        let role = Role::parse(role, "role")?;
        let ws = access.workspace.clone();
        let before = find_member(&mut *self.store.conn().await?, ws.id, user).await?;
        if before.role == Role::Admin || role == Role::Admin {
            self.require_in(actor, &access, Action::ManageAdmins).await?;
        }
        let mut tx = self.store.begin().await?;
        unchanged(&mut tx, ws.id, &before).await?;
        if before.role == Role::Admin
            && role != Role::Admin
            && workspaces::admin_count(&mut tx, ws.id).await? <= 1
        {
            return Err(last_admin("role"));
        }
        workspaces::set_role(&mut tx, ws.id, before.user_id, role).await?;
        self.store.announce(&mut tx, 0, tutti_store::changes::Topic::Access).await?;
        let after = workspaces::member(&mut tx, ws.id, before.user_id).await?;
        record(
            &mut tx,
            actor,
            Some(ws.id),
            "member.role",
            &after.email,
            Some(member_json(&before)),
            Some(member_json(&after)),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(after)
    }

    /// Removes a member from a workspace (their account stays).
    pub async fn remove_member(&self, actor: &Actor, slug: &str, user: &str) -> Result<Member, AppError> {
        let access = self.workspace_access(actor, slug, Action::ManageTeam).await?;
        let ws = access.workspace.clone();
        let before = find_member(&mut *self.store.conn().await?, ws.id, user).await?;
        if before.role == Role::Admin {
            self.require_in(actor, &access, Action::ManageAdmins).await?;
        }
        let mut tx = self.store.begin().await?;
        unchanged(&mut tx, ws.id, &before).await?;
        if before.role == Role::Admin && workspaces::admin_count(&mut tx, ws.id).await? <= 1 {
            return Err(last_admin("user"));
        }
        workspaces::remove_member(&mut tx, ws.id, before.user_id).await?;
        self.store.announce(&mut tx, 0, tutti_store::changes::Topic::Access).await?;
        record(&mut tx, actor, Some(ws.id), "member.remove", &before.email, Some(member_json(&before)), None)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(before)
    }

    /// A page of a workspace's audit log, newest first.
    pub async fn audit_log(
        &self,
        actor: &Actor,
        slug: &str,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEntry>, AppError> {
        let access = self.workspace_access(actor, slug, Action::ViewAudit).await?;
        let filter = AuditFilter {
            workspace_id: Some(access.workspace.id),
            action_prefix: query.action.clone().filter(|s| !s.trim().is_empty()),
            actor_contains: query.actor.clone().filter(|s| !s.trim().is_empty()),
            from: query.from,
            to: query.to,
            before_id: query.before_id,
            limit: if query.limit > 0 { query.limit } else { 50 },
        };
        Ok(audit::list(&mut *self.store.conn().await?, &filter).await?)
    }
}

impl App {
    /// The ids of the workspaces an account belongs to.
    async fn workspaces_of(&self, user_id: i64) -> Result<Vec<i64>, AppError> {
        let list = workspaces::list_for_user(&mut *self.store.conn().await?, user_id).await?;
        Ok(list.into_iter().map(|(w, _)| w.id).collect())
    }

    /// Whether `actor` may manage the team of every one of these workspaces (read only: a
    /// "no" here is not a refusal to record).
    async fn may_manage_teams(&self, actor: &Actor, workspace_ids: &[i64]) -> Result<bool, AppError> {
        if actor.require(Action::ManageUsers).is_ok() {
            return Ok(true);
        }
        let Some(uid) = actor.user_id() else { return Ok(false) };
        let mut db = self.store.conn().await?;
        for &id in workspace_ids {
            let role = match workspaces::member(&mut db, id, uid).await {
                Ok(m) => m.role,
                Err(StoreError::NotFound) => return Ok(false),
                Err(e) => return Err(e.into()),
            };
            if !Action::ManageTeam.allowed_for(role) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

fn last_admin(field: &'static str) -> AppError {
    AppError::Conflict(InputError::new(field, "last_admin", "the workspace must keep at least one admin"))
}

async fn invite(db: &mut Db, user_id: i64, workspace_id: i64, ttl_ms: i64) -> Result<String, AppError> {
    let secret = new_secret("");
    auth::insert_invitation(db, &hash_secret(&secret), user_id, workspace_id, now_ms() + ttl_ms).await?;
    Ok(secret)
}

/// Permission checks read the member before the write transaction opens, because a refusal is
/// recorded in a transaction of its own (SQLite has one writer). Inside the write transaction,
/// the change goes ahead only if the member's role is still the one the check saw.
async fn unchanged(db: &mut Db, workspace_id: i64, seen: &Member) -> Result<(), AppError> {
    let now = workspaces::member(db, workspace_id, seen.user_id).await.map_err(not_found("member"))?;
    if now.role != seen.role {
        return Err(AppError::Conflict(InputError::new(
            "user",
            "member_changed",
            "this member's role changed meanwhile; reload the page and try again",
        )));
    }
    Ok(())
}

/// Finds a member by account id or e-mail.
async fn find_member(db: &mut Db, workspace_id: i64, user: &str) -> Result<Member, AppError> {
    let user_id = match user.trim().parse::<i64>() {
        Ok(id) => id,
        Err(_) => {
            let email = Email::parse(user, "user")?;
            users::by_email(db, email.as_str()).await.map_err(not_found("member"))?.id
        }
    };
    workspaces::member(db, workspace_id, user_id).await.map_err(not_found("member"))
}
