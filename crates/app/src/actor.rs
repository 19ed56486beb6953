//! Who is acting, and the check of what they may do.

use tutti_domain::{Action, Role, Scope};
use tutti_store::users::User;
use tutti_store::workspaces::{self, Workspace};

use crate::error::not_found;
use crate::{App, AppError};

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CurrentUser {
    /// Account id.
    pub id: i64,
    /// E-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Instance administrator.
    pub is_admin: bool,
    /// Preferred language, if set.
    pub locale: Option<String>,
    /// Time zone.
    pub timezone: String,
    /// Whether the person signs in with a second factor.
    pub two_factor: bool,
}

impl From<User> for CurrentUser {
    fn from(u: User) -> Self {
        CurrentUser {
            id: u.id,
            email: u.email,
            name: u.name,
            is_admin: u.is_admin,
            locale: u.locale,
            timezone: u.timezone,
            two_factor: u.two_factor,
        }
    }
}

/// Who asks for a change.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The operator at the command line, with direct access to the database. They could edit
    /// the database file anyway, so the CLI grants them every action unless they ask to act
    /// as a user (`--as`).
    Operator,
    /// A person, through the web, the API, or the CLI with `--as`.
    User(CurrentUser),
}

impl Actor {
    /// How the audit log names this actor.
    pub fn label(&self) -> &str {
        match self {
            Actor::Operator => "cli",
            Actor::User(u) => &u.email,
        }
    }

    /// The account id, if a person acts.
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Actor::Operator => None,
            Actor::User(u) => Some(u.id),
        }
    }

    fn is_superuser(&self) -> bool {
        match self {
            Actor::Operator => true,
            Actor::User(u) => u.is_admin,
        }
    }

    /// Checks an instance-wide action.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        debug_assert_eq!(action.scope(), Scope::Instance);
        if self.is_superuser() {
            Ok(())
        } else {
            Err(AppError::Forbidden(action))
        }
    }
}

/// A workspace as the actor sees it: the workspace and their role there.
#[derive(Debug, Clone)]
pub struct WorkspaceAccess {
    /// The workspace.
    pub workspace: Workspace,
    /// The actor's role, if they are a member (instance admins may not be).
    pub role: Option<Role>,
    superuser: bool,
}

impl WorkspaceAccess {
    /// Whether the actor may perform `action` here.
    pub fn allows(&self, action: Action) -> bool {
        self.superuser || self.role.is_some_and(|r| action.allowed_for(r))
    }

    /// Checks a workspace action.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if self.allows(action) {
            Ok(())
        } else {
            Err(AppError::Forbidden(action))
        }
    }
}

impl App {
    /// Records a refused attempt in the audit log, so that admins see who tried what.
    pub async fn record_denied(
        &self,
        actor: &Actor,
        workspace_id: Option<i64>,
        action: Action,
    ) -> Result<(), AppError> {
        let mut tx = self.store.begin().await?;
        crate::accounts::record(
            &mut tx,
            actor,
            workspace_id,
            "access.denied",
            action.describe(),
            None,
            Some(serde_json::json!({"needed": format!("{action:?}")})),
        )
        .await?;
        tx.commit().await.map_err(tutti_store::StoreError::from)?;
        Ok(())
    }

    /// Checks an instance-wide action, recording a refusal in the audit log.
    pub async fn require(&self, actor: &Actor, action: Action) -> Result<(), AppError> {
        if let Err(denied) = actor.require(action) {
            self.record_denied(actor, None, action).await?;
            return Err(denied);
        }
        Ok(())
    }

    /// Checks a workspace action on an access already opened, recording a refusal.
    pub(crate) async fn require_in(
        &self,
        actor: &Actor,
        access: &WorkspaceAccess,
        action: Action,
    ) -> Result<(), AppError> {
        if let Err(denied) = access.require(action) {
            self.record_denied(actor, Some(access.workspace.id), action).await?;
            return Err(denied);
        }
        Ok(())
    }

    /// Opens a workspace for `actor` and checks `action` there.
    ///
    /// A workspace the actor is not a member of is reported as not found, so that its
    /// existence does not leak; a member who lacks the right gets [`AppError::Forbidden`].
    pub async fn workspace_access(
        &self,
        actor: &Actor,
        slug: &str,
        action: Action,
    ) -> Result<WorkspaceAccess, AppError> {
        let mut db = self.store.conn().await?;
        let workspace = workspaces::by_slug(&mut db, slug).await.map_err(not_found("workspace"))?;
        let role = match actor.user_id() {
            Some(uid) => match workspaces::member(&mut db, workspace.id, uid).await {
                Ok(m) => Some(m.role),
                Err(tutti_store::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let access = WorkspaceAccess { workspace, role, superuser: actor.is_superuser() };
        if role.is_none() && !access.superuser {
            return Err(AppError::NotFound("workspace"));
        }
        if let Actor::User(u) = actor {
            if access.workspace.require_two_factor && !u.two_factor {
                return Err(AppError::TwoFactorRequired);
            }
        }
        self.require_in(actor, &access, action).await?;
        Ok(access)
    }
}
