//! `tutti analytics` on the demo's data: the summary's, the post table's and the best times'
//! JSON fields, CSV exports, a collection now through the demo network, the queue slots filled
//! from the best times, and the roles that may read and collect.

mod common;

use serde_json::Value;

fn run(dir: &std::path::Path, args: &[&str]) -> String {
    common::ok(common::tutti(dir, "", args, ""))
}

fn json(dir: &std::path::Path, args: &[&str]) -> Value {
    serde_json::from_str(&run(dir, args)).unwrap()
}

#[test]
fn the_demo_has_numbers_and_the_commands_read_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(dir, &["demo"]);
    let ws = "northwind-coffee";

    let s = json(dir, &["analytics", "summary", "--workspace", ws, "--json"]);
    for field in [
        "followers",
        "follower_growth",
        "posts",
        "engagements",
        "engagement_rate",
        "clicks",
        "median_first_response_s",
    ] {
        assert!(s.get(field).is_some(), "summary has {field}: {s}");
    }
    assert!(s["followers"].as_i64().unwrap() > 0, "{s}");
    assert!(s["posts"].as_i64().unwrap() > 0, "{s}");
    assert!(s["engagements"].as_i64().unwrap() > 0, "{s}");
    assert!(s["median_first_response_s"].as_i64().unwrap() > 0, "the demo's CMs answered: {s}");

    let posts = json(dir, &["analytics", "posts", "--workspace", ws, "--sort", "engagements", "--json"]);
    let posts = posts.as_array().unwrap();
    assert!(!posts.is_empty());
    for field in [
        "id",
        "channel",
        "published_at",
        "likes",
        "reposts",
        "replies",
        "quotes",
        "clicks",
        "engagement_rate",
    ] {
        assert!(posts[0].get(field).is_some(), "a post has {field}: {}", posts[0]);
    }
    let engagements: Vec<i64> = posts.iter().map(|p| p["engagements"].as_i64().unwrap()).collect();
    assert!(engagements.windows(2).all(|w| w[0] >= w[1]), "sorted by engagements: {engagements:?}");

    let csv = run(dir, &["analytics", "posts", "--workspace", ws, "--csv"]);
    assert!(csv.starts_with("id,channel,published_at,likes,reposts,replies,quotes,engagements"), "{csv}");
    assert_eq!(csv.lines().count(), posts.len() + 1, "a header and a row per post");
    let team = run(dir, &["analytics", "team", "--workspace", ws, "--csv"]);
    assert!(team.starts_with("scope,name,conversations,answered,median_first_response_s"), "{team}");

    let channel = posts[0]["channel"].as_str().unwrap().to_owned();
    let best = json(dir, &["analytics", "best-times", "--workspace", ws, "--channel", &channel, "--json"]);
    assert_eq!(best["grid"].as_array().unwrap().len(), 168, "{best}");
    assert!(["engagement_rate", "community_activity", "nothing"].contains(&best["basis"].as_str().unwrap()));

    // Collecting now reads every published post from the demo network.
    let done = json(dir, &["analytics", "collect", "--workspace", ws, "--json"]);
    assert!(done["posts"].as_u64().unwrap() > 0 && done["channels"].as_u64().unwrap() == 2, "{done}");
    assert_eq!(done["deferred"], 0, "{done}");

    // The queue slots of a channel, filled from its best times.
    let slots = run(dir, &["channel", "slots", "--workspace", ws, "--handle", &channel, "--best", "2"]);
    assert_eq!(slots.trim().split(", ").count(), 2, "{slots}");

    // Bad input names the field; an analyst reads but does not collect; a contributor neither.
    let line = common::refused(common::tutti(
        dir,
        "",
        &["analytics", "summary", "--workspace", ws, "--range", "12d"],
        "",
    ));
    assert!(line.contains("range"), "{line}");
    let analyst = "--as=camille.martin@demo.tutti.test";
    let contributor = "--as=olivia.chen@demo.tutti.test";
    let emails = run(dir, &["member", "list", "--workspace", ws, "--json"]);
    for who in [analyst, contributor] {
        assert!(emails.contains(who.trim_start_matches("--as=")), "{who} is a member: {emails}");
    }
    run(dir, &[analyst, "analytics", "summary", "--workspace", ws, "--json"]);
    let line =
        common::refused(common::tutti(dir, "", &[analyst, "analytics", "collect", "--workspace", ws], ""));
    assert!(line.contains("collect the analytics"), "{line}");
    let line =
        common::refused(common::tutti(dir, "", &[contributor, "analytics", "posts", "--workspace", ws], ""));
    assert!(line.contains("read the analytics"), "{line}");
}
