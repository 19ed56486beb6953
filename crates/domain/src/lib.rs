//! Tutti's domain core: who may do what, the validated values every other crate trusts, and
//! the product's words (networks, statuses, kinds) as types.
//!
//! This crate does no I/O. Everything here is a pure function of its input, so that the
//! permission policy and the input rules can be read, and tested, in one place.

pub mod input;
pub mod kpi;
pub mod policy;
pub mod role;
pub mod words;

pub use input::{DisplayName, Email, InputError, Locale, Password, Slug, TimeZone, WorkspaceName};
pub use policy::{Action, Scope};
pub use role::Role;
pub use words::{
    ActionStatus, AlertKind, AssignmentMode, ChannelStatus, ChannelVoice, ConversationStatus,
    FeedbackCategory, ItemKind, Network, PostStatus, QueryKind, RuleActionKind, Sentiment, UnknownWord,
};
