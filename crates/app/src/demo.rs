//! Demo data: a French and an English brand workspace with a realistic team, so that every
//! screen has something to show.

use crate::{Actor, App, AppError};

/// The password every demo account gets.
pub const DEMO_PASSWORD: &str = "tutti-demo-2026";

/// A demo account: e-mail, name, and its role in each workspace (slug, role).
pub type DemoPerson = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// The accounts `tutti demo` creates.
pub const DEMO_PEOPLE: &[DemoPerson] = &[
    (
        "camille.martin@demo.tutti.test",
        "Camille Martin",
        &[("maison-lumiere", "smm"), ("northwind-coffee", "analyst")],
    ),
    ("lucas.bernard@demo.tutti.test", "Lucas Bernard", &[("maison-lumiere", "cm")]),
    ("ines.haddad@demo.tutti.test", "Inès Haddad", &[("maison-lumiere", "cm"), ("northwind-coffee", "cm")]),
    ("zoe.lefebvre@demo.tutti.test", "Zoé Lefebvre", &[("maison-lumiere", "contributor")]),
    ("hugo.petit@demo.tutti.test", "Hugo Petit", &[("maison-lumiere", "product")]),
    ("emma.walker@demo.tutti.test", "Emma Walker", &[("northwind-coffee", "smm")]),
    ("noah.brooks@demo.tutti.test", "Noah Brooks", &[("northwind-coffee", "cm")]),
    (
        "olivia.chen@demo.tutti.test",
        "Olivia Chen",
        &[("northwind-coffee", "contributor"), ("maison-lumiere", "analyst")],
    ),
];

/// The administrator of the demo.
pub const DEMO_ADMIN: (&str, &str) = ("admin@demo.tutti.test", "Alex Admin");

/// What `tutti demo` made.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// Workspaces created (slug, name).
    pub workspaces: Vec<(String, String)>,
    /// Accounts created.
    pub people: usize,
}

impl App {
    /// Fills the instance with the demo workspaces and team. Fails without change if the demo
    /// was already loaded.
    pub async fn load_demo(&self) -> Result<DemoSummary, AppError> {
        let op = Actor::Operator;
        let admin = self.add_user(&op, DEMO_ADMIN.0, DEMO_ADMIN.1, DEMO_PASSWORD, true).await?;
        let admin = Actor::User(admin.into());
        let mut created = Vec::new();
        for (name, tz) in [("Maison Lumière", "Europe/Paris"), ("Northwind Coffee", "America/Montreal")] {
            let ws = self.create_workspace(&admin, name, tz).await?;
            created.push((ws.slug, ws.name));
        }
        for (email, name, roles) in DEMO_PEOPLE {
            self.add_user(&op, email, name, DEMO_PASSWORD, false).await?;
            for (slug, role) in *roles {
                self.add_member(&admin, slug, email, role).await?;
            }
        }
        // A few ordinary changes, so the audit log reads like a real week.
        self.change_role(&admin, "maison-lumiere", "olivia.chen@demo.tutti.test", "cm").await?;
        self.change_role(&admin, "maison-lumiere", "olivia.chen@demo.tutti.test", "analyst").await?;
        let camille = Actor::User(self.user_by_email("camille.martin@demo.tutti.test").await?);
        let invited = self
            .add_member(&camille, "maison-lumiere", "lea.moreau@agence-exemple.fr", "contributor")
            .await?;
        debug_assert!(invited.invitation.is_some());
        Ok(DemoSummary { workspaces: created, people: DEMO_PEOPLE.len() + 2 })
    }
}
