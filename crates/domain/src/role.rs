//! The six roles of a social media team, one per workspace membership.

use std::fmt;

use crate::InputError;

/// A member's role inside one brand workspace.
///
/// The roles follow the team described in the product brief: the Social Media Manager sets the
/// strategy, Community Managers live it with the community, and the others read or prepare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages the workspace itself: team, settings, connected accounts.
    Admin,
    /// Social Media Manager: strategy, calendar, approvals, KPIs, crisis referent, team lead.
    Smm,
    /// Community Manager: publishing on the plan, inbox, moderation, listening, community.
    Cm,
    /// Reads dashboards and reports.
    Analyst,
    /// Prepares drafts and media; never publishes.
    Contributor,
    /// Product liaison: reads the feedback reports.
    Product,
}

impl Role {
    /// Every role, in the order the interface lists them.
    pub const ALL: [Role; 6] =
        [Role::Admin, Role::Smm, Role::Cm, Role::Analyst, Role::Contributor, Role::Product];

    /// The stable identifier used in the database, the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Smm => "smm",
            Role::Cm => "cm",
            Role::Analyst => "analyst",
            Role::Contributor => "contributor",
            Role::Product => "product",
        }
    }

    /// Parses a role identifier; `field` names the input in the error.
    pub fn parse(value: &str, field: &'static str) -> Result<Role, InputError> {
        let wanted = value.trim().to_ascii_lowercase();
        Role::ALL.into_iter().find(|role| role.as_str() == wanted).ok_or_else(|| {
            InputError::new(
                field,
                "role_unknown",
                format!(
                    "unknown role {:?}: expected one of admin, smm, cm, analyst, contributor, product",
                    crate::input::clip(value, 40)
                ),
            )
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_back_from_its_identifier() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str(), "role").unwrap(), role);
        }
        assert_eq!(Role::parse(" SMM ", "role").unwrap(), Role::Smm);
    }

    #[test]
    fn unknown_role_names_the_field() {
        let err = Role::parse("boss", "role").unwrap_err();
        assert_eq!(err.field, "role");
        assert_eq!(err.code, "role_unknown");
        assert!(err.message.contains("boss"));
    }
}
