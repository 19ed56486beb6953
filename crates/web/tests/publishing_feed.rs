//! The secret iCalendar feed: only its token opens it, it lists the scheduled posts as
//! events in UTC with hostile text escaped, and a new token retires the old address.

mod common;

use common::{seed, spawn, WS};
use tutti_app::publishing::PostToWrite;
use tutti_app::secrets::Keyring;
use tutti_app::Actor;
use tutti_domain::Role;

#[tokio::test]
async fn the_feed_lists_scheduled_posts_to_whoever_holds_its_token() {
    for db in tutti_test_support::every_backend().await {
        let t = spawn(db).await;
        seed(&t.app).await;
        let op = Actor::Operator;
        let channel = tutti_test_support::offline_bluesky("maison.test", None);
        t.app.add_channel(&op, &Keyring::generate(), WS, &channel).await.unwrap();
        let at =
            (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%dT09:30:00+01:00").to_string();
        let p = PostToWrite {
            channel: "maison.test".into(),
            text: "Soldes; remises, \\ et <script>alert(1)</script>\nligne 2".into(),
            at: Some(at.clone()),
            ..Default::default()
        };
        t.app.create_post(&op, WS, &p, tutti_app::store::now_ms()).await.unwrap();
        let cm = Actor::User(t.app.user_by_email(&format!("{}@acme.test", Role::Cm.as_str())).await.unwrap());
        assert!(t.app.new_calendar_feed(&cm, WS).await.is_err(), "a CM does not hand out the schedule");
        let token = t.app.new_calendar_feed(&op, WS).await.unwrap();
        let r = t.client.get(t.url(&format!("/ical/{token}.ics"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
        let ics = r.text().await.unwrap();
        let utc = chrono::DateTime::parse_from_rfc3339(&at)
            .unwrap()
            .with_timezone(&chrono::Utc)
            .format("%Y%m%dT%H%M%SZ")
            .to_string();
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains(&format!("DTSTART:{utc}\r\n")), "{ics}");
        let unfolded = ics.replace("\r\n ", "");
        assert!(
            unfolded.contains("Soldes\\; remises\\, \\\\ et <script>alert(1)</script>\\nligne 2"),
            "{unfolded}"
        );
        assert!(ics.lines().all(|l| l.len() <= 75), "lines are folded");
        let wrong = t.client.get(t.url("/ical/ical_0000")).send().await.unwrap();
        assert_eq!(wrong.status(), 404);
        let newer = t.app.new_calendar_feed(&op, WS).await.unwrap();
        assert_eq!(
            t.client.get(t.url(&format!("/ical/{token}"))).send().await.unwrap().status(),
            404,
            "the old address stops working"
        );
        assert_eq!(t.client.get(t.url(&format!("/ical/{newer}"))).send().await.unwrap().status(), 200);
    }
}
