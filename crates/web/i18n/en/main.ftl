# Tutti — English interface catalogue.

skip-to-content = Skip to content
nav-label = Main navigation
nav-menu = Menu
nav-overview = Overview
nav-calendar = Calendar
nav-inbox = Inbox
nav-listening = Listening
nav-community = Community
nav-analytics = Analytics
nav-soon = Soon
nav-workspace-settings = Workspace
nav-team = Team
nav-audit = Audit log
nav-workspaces = Workspaces
nav-settings = Settings
switcher-label = Switch workspace
switcher-choose = Choose a workspace
switcher-all = All workspaces
user-menu = Your account
sign-out = Sign out
save = Save
copy = Copy

area-calendar-soon = The editorial calendar: plan, review and schedule posts across channels.
area-inbox-soon = The unified inbox: every reply, mention and message, answered as a team.
area-listening-soon = Listening: follow conversations about your brand and your competitors.
area-community-soon = Community: the people behind the handles, their history and their tags.
area-analytics-soon = Analytics: KPIs, dashboards and reports for each role.
area-placeholder = This area is being built. Your team, roles and audit log are ready today.

role-admin = Admin
role-smm = Social media manager
role-cm = Community manager
role-analyst = Analyst
role-contributor = Contributor
role-product = Product liaison
role-admin-desc = Manages the workspace: team, settings, connected accounts.
role-smm-desc = Sets the strategy, plans the calendar, approves sensitive posts and replies, leads the team.
role-cm-desc = Publishes on the plan, answers the community, moderates, listens.
role-analyst-desc = Reads dashboards and reports.
role-contributor-desc = Prepares drafts and media; cannot publish.
role-product-desc = Reads the feedback reports for the product team.

field-email = E-mail address
field-password = Password
field-password-hint = At least 10 characters.
field-name = Name
field-role = Role
field-workspace-name = Workspace name
field-timezone = Time zone
field-timezone-hint = An IANA name, such as Europe/Paris or America/Montreal.
field-language = Language
field-current-password = Current password
field-new-password = New password

login-title = Sign in
login-intro = Sign in to your team's workspace.
login-submit = Sign in
login-wrong = Wrong e-mail address or password.
login-rate-limited = Too many failed attempts. Try again in { $minutes } min.
login-setup-needed = Tutti has no account yet: open the setup link that tutti serve printed in its terminal.

setup-title = Set up Tutti
setup-intro = Create the first administrator account. You will then create your brand workspaces and invite your team.
setup-submit = Create the administrator

invite-title = Join your team
invite-intro = You were invited to Tutti as { $email }. Choose your name and a password.
invite-submit = Join

workspaces-title = Workspaces
workspaces-yours = Your workspaces
workspaces-none = You are not a member of any workspace yet. Ask an administrator to invite you.
workspaces-new = New brand workspace
workspaces-new-intro = One workspace per brand: its own team, channels, calendar and inbox.
workspaces-create = Create the workspace

overview-members = { $count ->
    [one] One team member
   *[other] { $count } team members
}
overview-your-role = Your role: { $role }
overview-instance-admin = Instance administrator
overview-team = Team
overview-manage-team = Manage the team →
overview-areas = Areas of the workspace

team-title = Team
team-count = { $count ->
    [one] One member
   *[other] { $count } members
}
team-members = Members
team-col-person = Person
team-col-role = Role
team-col-status = Status
team-col-actions = Actions
team-you = you
team-active = Active
team-invited-status = Invited
team-role-of = Role of { $name }
team-remove = Remove
team-remove-confirm = Remove { $name } from this workspace?
team-invite = Invite someone
team-invite-intro = People who already have an account are added at once; others get an invitation link to share.
team-invite-submit = Invite
team-invited = { $email } was invited
team-invited-share = Share this link with them; it works once and expires in 7 days.
team-invite-link = Invitation link
team-roles-help = What each role can do

audit-title = Audit log
audit-intro = Every change made in this workspace: who, what, when, before and after.
audit-filters = Filter the audit log
audit-action = Action
audit-actor = Who
audit-actor-placeholder = Name or e-mail
audit-from = From
audit-to = To
audit-apply = Apply
audit-entries = Entries
audit-col-when = When
audit-col-who = Who
audit-col-what = What
audit-col-target = On
audit-col-change = Change
audit-became = became
audit-empty = No entry matches these filters.
audit-more = Show older entries
audit-bad-date = The “{ $field }” date is not a valid date (expected YYYY-MM-DD).
audit-filter-all = All actions
audit-filter-member = Team changes
audit-filter-workspace = Workspace changes
audit-filter-token = API tokens
audit-filter-user = Accounts
audit-filter-invitation = Invitations
audit-filter-access = Refused attempts
audit-filter-instance = Instance
audit-action-instance-setup = Set up Tutti
audit-action-user-add = Created an account
audit-action-user-preferences = Changed preferences
audit-action-user-password = Changed password
audit-action-workspace-create = Created the workspace
audit-action-member-add = Added a member
audit-action-member-role = Changed a role
audit-action-member-remove = Removed a member
audit-action-token-create = Created an API token
audit-action-token-revoke = Revoked an API token
audit-action-access-denied = Was refused
audit-action-invitation-accept = Accepted an invitation

settings-title = Settings
settings-profile = Profile
settings-language-auto = Same as my browser
settings-saved = Your settings were saved.
settings-password = Password
settings-password-submit = Change the password
settings-password-saved = Your password was changed. Your other sessions were signed out.
settings-tokens = API tokens
settings-tokens-intro = Personal tokens let scripts use the API as you (Authorization: Bearer …). A token is shown once.
settings-token-created = Copy your new token now: it will not be shown again.
settings-token-value = New API token
settings-token-name = Token name
settings-token-placeholder = e.g. Reporting script
settings-token-create = Create a token
settings-token-prefix = Starts with
settings-token-created-at = Created
settings-token-last-used = Last used
settings-token-never = Never
settings-token-revoked = Revoked
settings-token-revoke = Revoke

error-home = Go to my workspaces
error-back = Go back
error-generic-title = Something is wrong with this request
error-forbidden-title = You don't have access to this page
error-not-found-title = Page not found
error-rate-limited-title = Too many attempts
error-internal-title = Something went wrong
error-forbidden = Your role in this workspace does not allow this. Ask an admin or your social media manager if you need it.
error-not-found = This page does not exist, or you are not a member of its workspace.
error-csrf = This form has expired or did not come from Tutti. Reload the page and try again.
error-email_invalid = This is not a valid e-mail address (expected name@example.com).
error-email_missing = Enter an e-mail address.
error-email_taken = An account already uses this e-mail address.
error-password_short = The password is too short: at least 10 characters.
error-password_long = The password is too long: at most 256 characters.
error-password_wrong = The current password is wrong.
error-required = This field is required.
error-too_long = This is too long.
error-forbidden_characters = This contains control or invisible characters.
error-name_no_letters = The name needs at least one letter or digit.
error-name_taken = A workspace already has this name.
error-timezone_unknown = Unknown time zone: use an IANA name such as Europe/Paris.
error-locale_unknown = Unknown language: choose French or English.
error-role_unknown = Unknown role.
error-already_member = This person is already a member of this workspace.
error-last_admin = The workspace must keep at least one admin.
error-setup_token_invalid = This setup link is invalid or was already used.
