//! The web pages: sign-in and setup, the workspace shell, team, audit log, settings, and one
//! file per subject. `common` holds what every page shares (the layout, rendering, form errors,
//! redirects, the session cookie); pages import it, never this module, which only assembles
//! their routes.

mod analytics;
mod analytics_charts;
mod analytics_tables;
mod audit_values;
mod auth;
mod calendar;
mod channel_views;
mod channels;
mod charter;
mod common;
mod compose;
mod desk;
mod feedback;
mod inbox;
mod listening;
mod live;
mod moderation;
mod people;
mod post;
mod settings;
mod team;
mod workspace;

use crate::routes::RouteTable;

/// Registers every page route.
pub fn routes(t: RouteTable) -> RouteTable {
    let t = auth::routes(t);
    let t = workspace::routes(t);
    let t = team::routes(t);
    let t = listening::routes(t);
    let t = compose::routes(t);
    let t = calendar::routes(t);
    let t = charter::routes(t);
    let t = post::routes(t);
    let t = channels::routes(t);
    let t = inbox::routes(t);
    let t = live::routes(t);
    let t = people::routes(feedback::routes(t));
    let t = moderation::routes(t);
    let t = desk::routes(t);
    let t = analytics_tables::routes(analytics::routes(t));
    settings::routes(t)
}
