//! The permission policy: the one table that says which role may do what.
//!
//! Every route of the web server and every command of the CLI names an [`Action`]; the check
//! itself is [`Action::allowed_for`]. Nothing else in Tutti decides who may do what.

use crate::Role;

/// Where an action applies: to the whole instance, or to one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Instance-wide actions are reserved to instance administrators.
    Instance,
    /// Workspace actions depend on the caller's role in that workspace.
    Workspace,
}

/// Something a caller may ask Tutti to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create a brand workspace.
    CreateWorkspace,
    /// Create user accounts and list every account of the instance.
    ManageUsers,
    /// Open a workspace and its areas (calendar, inbox, listening, community, analytics).
    ViewWorkspace,
    /// List the members of a workspace.
    ViewMembers,
    /// Invite members, change their role, remove them.
    ManageTeam,
    /// Grant or withdraw the `admin` role, or change an admin's membership.
    ManageAdmins,
    /// Read the workspace's audit log.
    ViewAudit,
    /// Rename the workspace, change its time zone.
    ManageWorkspace,
    /// Read the workspace's listening queries and their mentions.
    ViewListening,
    /// Add, change or remove listening queries and their alert rules.
    ManageListening,
    /// Choose where alerts go (webhook, e-mail) and how long mentions are kept.
    ManageAlerting,
    /// Turn the workspace's crisis mode on or off.
    ManageCrisis,
    /// Connect, reconnect or remove the accounts the workspace publishes through.
    ManageChannels,
    /// Write posts and read the calendar.
    WritePosts,
    /// Schedule a post without anyone's review.
    PublishWithoutReview,
    /// Approve posts in review, or send them back.
    ApprovePosts,
    /// Read the inbox: conversations, their items, the people who wrote them.
    ViewInbox,
    /// Work the inbox: reply, like, repost, assign, tag, change status and priority.
    HandleInbox,
    /// Write, try and switch on moderation rules; hide, mute, block and report, and undo.
    ManageModeration,
    /// Read the community: people, their identities, history, scores and segments.
    ViewCommunity,
    /// Change people: tags, notes, custom fields, merge and split, segments.
    ManageCommunity,
    /// Read the product feedback: categories, recurring issues, the report.
    ViewFeedback,
    /// Confirm or change the category of feedback items.
    ManageFeedback,
    /// Read the analytics: dashboards, post performance, the team's figures, best times.
    ViewAnalytics,
    /// Take the networks' counts now, whatever the schedule.
    CollectAnalytics,
}

impl Action {
    /// Every action, for exhaustive tests and documentation.
    pub const ALL: [Action; 25] = [
        Action::CreateWorkspace,
        Action::ManageUsers,
        Action::ViewWorkspace,
        Action::ViewMembers,
        Action::ManageTeam,
        Action::ManageAdmins,
        Action::ViewAudit,
        Action::ManageWorkspace,
        Action::ViewListening,
        Action::ManageListening,
        Action::ManageAlerting,
        Action::ManageCrisis,
        Action::ManageChannels,
        Action::WritePosts,
        Action::PublishWithoutReview,
        Action::ApprovePosts,
        Action::ViewInbox,
        Action::HandleInbox,
        Action::ManageModeration,
        Action::ViewCommunity,
        Action::ManageCommunity,
        Action::ViewFeedback,
        Action::ManageFeedback,
        Action::ViewAnalytics,
        Action::CollectAnalytics,
    ];

    /// Whether the action is instance-wide or bound to a workspace.
    pub fn scope(self) -> Scope {
        match self {
            Action::CreateWorkspace | Action::ManageUsers => Scope::Instance,
            _ => Scope::Workspace,
        }
    }

    /// Whether a member with `role` may perform this workspace action.
    ///
    /// Instance actions are never granted by a workspace role: only the instance-admin flag of
    /// an account grants them, and that flag also grants every workspace action.
    pub fn allowed_for(self, role: Role) -> bool {
        use Role::*;
        match self {
            Action::CreateWorkspace | Action::ManageUsers => false,
            Action::ViewWorkspace | Action::ViewMembers => true,
            // The SMM leads the team: they invite and re-assign people, but only an admin can
            // hand out the keys of the workspace itself.
            Action::ManageTeam => matches!(role, Admin | Smm),
            Action::ManageAdmins => matches!(role, Admin),
            Action::ViewAudit => matches!(role, Admin | Smm),
            Action::ManageWorkspace => matches!(role, Admin),
            // Listening is the community's and the strategy's work; designers preparing
            // drafts do not need it.
            Action::ViewListening => !matches!(role, Contributor),
            Action::ManageListening => matches!(role, Admin | Smm | Cm),
            // Where alerts go and what is kept are the strategy's choices; the SMM is the
            // crisis referent, so only they (and admins) declare or end a crisis.
            Action::ManageAlerting | Action::ManageCrisis => matches!(role, Admin | Smm),
            Action::ManageChannels | Action::ApprovePosts => matches!(role, Admin | Smm),
            // Contributors prepare drafts; analysts and the product team only read.
            Action::WritePosts => matches!(role, Admin | Smm | Cm | Contributor),
            // Contributors never publish without review.
            Action::PublishWithoutReview => matches!(role, Admin | Smm | Cm),
            // The inbox is the community managers' desk; analysts read it for their reports.
            Action::ViewInbox => matches!(role, Admin | Smm | Cm | Analyst),
            Action::HandleInbox => matches!(role, Admin | Smm | Cm),
            // Moderation is the community managers' job, under the SMM's eye.
            Action::ManageModeration => matches!(role, Admin | Smm | Cm),
            Action::ViewCommunity => matches!(role, Admin | Smm | Cm | Analyst),
            Action::ManageCommunity => matches!(role, Admin | Smm | Cm),
            // The product team reads what the community reports; the CMs confirm it.
            Action::ViewFeedback => matches!(role, Admin | Smm | Cm | Analyst | Product),
            Action::ManageFeedback => matches!(role, Admin | Smm | Cm),
            // The numbers are the SMM's and the analyst's; the CMs read their own response
            // times, the product team the reception of what it ships. Contributors prepare
            // drafts and have no use for them.
            Action::ViewAnalytics => !matches!(role, Contributor),
            // Collecting now spends the networks' rate limits: the SMM's call.
            Action::CollectAnalytics => matches!(role, Admin | Smm),
        }
    }

    /// A short English description used in "permission denied" messages and logs.
    pub fn describe(self) -> &'static str {
        match self {
            Action::CreateWorkspace => "create workspaces",
            Action::ManageUsers => "manage user accounts",
            Action::ViewWorkspace => "open this workspace",
            Action::ViewMembers => "list the members of this workspace",
            Action::ManageTeam => "manage the team of this workspace",
            Action::ManageAdmins => "grant or change the admin role",
            Action::ViewAudit => "read the audit log of this workspace",
            Action::ManageWorkspace => "change the settings of this workspace",
            Action::ViewListening => "read the listening of this workspace",
            Action::ManageListening => "change the listening queries of this workspace",
            Action::ManageAlerting => "change where the alerts of this workspace go",
            Action::ManageCrisis => "turn the crisis mode of this workspace on or off",
            Action::ManageChannels => "connect the accounts of this workspace",
            Action::WritePosts => "write posts in this workspace",
            Action::PublishWithoutReview => "schedule posts without review in this workspace",
            Action::ApprovePosts => "approve the posts of this workspace",
            Action::ViewInbox => "read the inbox of this workspace",
            Action::HandleInbox => "work the inbox of this workspace",
            Action::ManageModeration => "moderate the conversations of this workspace",
            Action::ViewCommunity => "read the community of this workspace",
            Action::ManageCommunity => "change the community records of this workspace",
            Action::ViewFeedback => "read the product feedback of this workspace",
            Action::ManageFeedback => "categorise the product feedback of this workspace",
            Action::ViewAnalytics => "read the analytics of this workspace",
            Action::CollectAnalytics => "collect the analytics of this workspace now",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contributors_and_cms_cannot_manage_the_team() {
        for role in [Role::Cm, Role::Contributor, Role::Analyst, Role::Product] {
            assert!(!Action::ManageTeam.allowed_for(role), "{role}");
            assert!(!Action::ViewAudit.allowed_for(role), "{role}");
        }
    }

    #[test]
    fn no_workspace_role_grants_an_instance_action() {
        for action in Action::ALL.into_iter().filter(|a| a.scope() == Scope::Instance) {
            for role in Role::ALL {
                assert!(!action.allowed_for(role), "{action:?} {role}");
            }
        }
    }
}
