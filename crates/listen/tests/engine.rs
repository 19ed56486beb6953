//! The engine's life cycle: adding, replacing and removing queries, and rebuilding its base
//! index in place or from a plan built elsewhere.

use tutti_listen::{Engine, InstallError, Post, Query};

fn q(text: &str) -> Query {
    Query::parse(text).unwrap()
}

#[test]
fn matches_are_sorted_ids_of_matching_queries() {
    let engine = Engine::with_queries([
        (30, q("tutti")),
        (10, q("tutti AND lente")),
        (20, q("autre")),
        (5, q("lang:fr AND network:bluesky")),
    ]);
    let post = Post { lang: Some("fr".into()), ..Post::new("L'application Tutti est lente") };
    assert_eq!(engine.matches(&post), [5, 10, 30]);
    assert_eq!(engine.len(), 4);
    assert_eq!(engine.stats().always_checked, 1);
}

#[test]
fn removed_queries_stop_matching_at_once_from_either_level() {
    let mut engine = Engine::with_queries([(1, q("tutti")), (2, q("tutti*"))]);
    engine.insert(3, q("tutti"));
    engine.insert(4, q("tut*"));
    let post = Post::new("tutti");
    assert_eq!(engine.matches(&post), [1, 2, 3, 4]);
    for id in [1, 2, 3, 4] {
        assert!(engine.remove(id));
    }
    assert!(!engine.remove(1));
    assert!(engine.matches(&post).is_empty());
    assert!(engine.is_empty());
    assert_eq!(engine.stats().stale, 2);
    engine.rebuild();
    assert_eq!(engine.stats().stale, 0);
}

#[test]
fn inserting_an_existing_id_replaces_its_query() {
    let mut engine = Engine::with_queries([(1, q("tutti"))]);
    engine.insert(1, q("autre"));
    assert!(engine.matches(&Post::new("tutti")).is_empty());
    assert_eq!(engine.matches(&Post::new("autre")), [1]);
    assert_eq!(engine.len(), 1);
}

#[test]
fn a_rebuild_planned_before_changes_keeps_the_changes() {
    let mut engine = Engine::with_queries([(1, q("tutti")), (2, q("bidule"))]);
    let plan = engine.plan_rebuild();
    engine.insert(3, q("tutti AND app"));
    engine.remove(2);
    let index = std::thread::spawn(move || plan.build()).join().unwrap();
    engine.install(index).unwrap();
    assert_eq!(engine.matches(&Post::new("tutti app")), [1, 3]);
    assert!(engine.matches(&Post::new("bidule")).is_empty());
    let stats = engine.stats();
    assert_eq!((stats.recent_queries, stats.stale), (1, 1));
}

#[test]
fn an_index_from_another_engine_or_an_older_plan_is_refused() {
    let mut engine = Engine::with_queries([(1, q("tutti"))]);
    let other = Engine::with_queries([(1, q("bidule"))]);
    assert_eq!(engine.install(other.plan_rebuild().build()), Err(InstallError::OtherEngine));
    let old = engine.plan_rebuild();
    engine.insert(2, q("app"));
    engine.rebuild();
    assert_eq!(engine.install(old.build()), Err(InstallError::Outdated));
    assert_eq!(engine.matches(&Post::new("tutti app")), [1, 2]);
}

#[test]
fn many_changes_call_for_a_rebuild() {
    let mut engine = Engine::new();
    for id in 0..1100u64 {
        engine.insert(id, q(&format!("word{id}")));
    }
    assert!(engine.needs_rebuild());
    assert_eq!(engine.pending(), 1100);
    engine.rebuild();
    assert!(!engine.needs_rebuild());
    assert_eq!(engine.matches(&Post::new("word7 and word1099")), [7, 1099]);
}

#[test]
fn the_engine_and_its_rebuild_parts_can_cross_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Engine>();
    shareable::<tutti_listen::RebuildPlan>();
    shareable::<tutti_listen::BaseIndex>();
    shareable::<Query>();
}
