//! The compose and calendar pages as a browser uses them, on every backend: errors at their
//! field with nothing stored, posts on their local day across a change of daylight saving
//! time, moving posts by form and by htmx, review for contributors, refusals, hostile text.

mod common;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Weekday};
use common::{seed, spawn, Browser, TestApp, PASSWORD, WS};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use tutti_app::publishing::PostToWrite;
use tutti_app::secrets::Keyring;
use tutti_app::store::publishing::Post;
use tutti_app::Actor;

const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;

/// Connects the Bluesky channel `maison.test` (nothing is published in these tests).
async fn channel(t: &TestApp) -> i64 {
    t.app
        .add_channel(
            &Actor::Operator,
            &Keyring::generate(),
            WS,
            &tutti_test_support::offline_bluesky("maison.test", None),
        )
        .await
        .unwrap()
        .id
}

/// A multipart body: text fields, then files `(field, file name, bytes)`.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----tutti-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (name, file, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends the compose form as htmx does (the CSRF token in its header), without following.
async fn compose(
    t: &TestApp,
    b: &Browser,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> reqwest::Response {
    let (content_type, body) = multipart(fields, files);
    t.client
        .post(t.url(&format!("/w/{WS}/compose")))
        .header(COOKIE, b.cookie_header())
        .header("x-csrf-token", &b.csrf)
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Posts the move form of `post` as htmx does after a drop.
async fn drop_on(t: &TestApp, b: &Browser, post: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    t.client
        .post(t.url(&format!("/w/{WS}/posts/{post}/reschedule")))
        .header(COOKIE, b.cookie_header())
        .header("x-csrf-token", &b.csrf)
        .header("hx-request", "true")
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn posts(t: &TestApp) -> Vec<Post> {
    t.app.posts(&Actor::Operator, WS, 1000).await.unwrap()
}

async fn post(t: &TestApp, id: i64) -> Post {
    posts(t).await.into_iter().find(|p| p.id == id).expect("the post is stored")
}

/// The last Sunday of March (the night Paris moves to summer time) of the first year where it
/// is still weeks away, so that the dates below are always in the future.
fn spring_forward() -> NaiveDate {
    let today = chrono::Utc::now().date_naive();
    (today.year()..)
        .map(|y| {
            let mut d = NaiveDate::from_ymd_opt(y, 3, 31).unwrap();
            while d.weekday() != Weekday::Sun {
                d -= Duration::days(1);
            }
            d
        })
        .find(|d| *d > today + Duration::days(14))
        .unwrap()
}

/// The UTC instant of a Paris wall-clock time.
fn paris_ms(date: NaiveDate, h: u32, m: u32) -> i64 {
    PARIS.from_local_datetime(&date.and_hms_opt(h, m, 0).unwrap()).single().unwrap().timestamp_millis()
}

/// The part of a calendar page that is the day `date` (a month cell, a week column or a list
/// day): from its `data-drop-date` to the next one.
fn day_cell(html: &str, date: NaiveDate) -> &str {
    let marker = format!("data-drop-date=\"{}\"", date.format("%Y-%m-%d"));
    let start = html.find(&marker).unwrap_or_else(|| panic!("no cell for {date}"));
    let rest = &html[start + marker.len()..];
    let end = rest.find("data-drop-date=\"").unwrap_or(rest.len());
    &rest[..end]
}

fn location(r: &reqwest::Response) -> String {
    r.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn compose_refuses_each_field_at_its_place_and_stores_nothing() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let ch = channel(&t).await.to_string();
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let page = t.get(&mut smm, &format!("/w/{WS}/compose")).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Brand · Bluesky · @maison.test"), "[{label}] the channel shows its voice");
        assert!(html.contains(">Schedule</button>"), "[{label}] an SMM schedules");
        assert!(html.contains("Europe/Paris"), "[{label}] the time zone is said");

        let day = spring_forward();
        let at = format!("{}T10:00", day.format("%Y-%m-%d"));
        let cases: [(&str, String, String, &str, &str); 4] = [
            ("channel", "999999".into(), "Bonjour".into(), &at, "Choose one of the workspace"),
            ("text", ch.clone(), "a".repeat(301), &at, "one character over Bluesky&#39;s limit (300)"),
            ("at", ch.clone(), "Bonjour".into(), "2020-01-01T10:00", "in the past"),
            (
                "at",
                ch.clone(),
                "Bonjour".into(),
                &format!("{}T02:30", day.format("%Y-%m-%d")),
                "2:30 AM does not exist on that day in Europe/Paris",
            ),
        ];
        for (field, channel, text, at, message) in &cases {
            let r =
                compose(&t, &smm, &[("channel", channel), ("text", text), ("at", at), ("langs", "fr")], &[])
                    .await;
            assert_eq!(r.status(), 422, "[{label}] {field}: {message}");
            let html = r.text().await.unwrap();
            let id = format!("id=\"c-{field}-error\"");
            let at_field = html.find(&id).unwrap_or_else(|| panic!("[{label}] no error at {field}"));
            assert!(html[at_field..].contains(message), "[{label}] {field} says {message:?}");
            assert!(html.contains(&format!("{text}</textarea>")), "[{label}] the text is kept");
        }
        // 301 graphemes that are 301 families: counted as graphemes, refused for their bytes.
        let r = compose(&t, &smm, &[("channel", &ch), ("text", &"👨‍👩‍👧‍👦".repeat(125)), ("at", &at)], &[]).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("bytes; Bluesky takes 3000"), "[{label}] the byte limit");
        // An image that is not one, whatever it claims.
        let r = compose(
            &t,
            &smm,
            &[("channel", &ch), ("text", "Bonjour"), ("at", &at), ("alt1", "Un logo")],
            &[("image1", "logo.png", b"<svg onload=alert(1)></svg>")],
        )
        .await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("not a PNG, JPEG, WebP or GIF") && html.contains("value=\"Un logo\""));
        assert!(html.contains("Choose the images again"), "[{label}] the lost file is said");
        assert!(posts(&t).await.is_empty(), "[{label}] nothing was stored");

        // The same form, right, lands on the calendar with its image and its alt text.
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
        let r = compose(
            &t,
            &smm,
            &[("channel", &ch), ("text", "Bonjour"), ("at", &at), ("langs", "fr, en"), ("alt1", "Un logo")],
            &[("image1", "logo.png", png), ("image2", "", b"")],
        )
        .await;
        assert_eq!(r.status(), 303, "[{label}] {}", r.text().await.unwrap_or_default());
        let stored = posts(&t).await;
        assert_eq!(stored.len(), 1);
        assert_eq!((stored[0].status.as_str(), stored[0].langs.as_str()), ("scheduled", "fr,en"));
        let mut conn = t.app.store().conn().await.unwrap();
        let media = tutti_app::store::publishing::media_of(&mut conn, stored[0].id).await.unwrap();
        assert_eq!(media.len(), 1, "[{label}] the empty file field is no image");
        assert_eq!((media[0].mime.as_str(), media[0].alt.as_str()), ("image/png", "Un logo"));
    }
}

#[tokio::test]
async fn posts_sit_on_their_local_day_and_hour_across_the_spring_change_in_paris() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let ch = channel(&t).await.to_string();
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let sunday = spring_forward();
        let saturday = sunday - Duration::days(1);
        let monday = sunday + Duration::days(1);
        let ymd = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let mut ids = Vec::new();
        for (day, time, text) in [
            (saturday, "10:00", "Samedi matin"),
            (sunday, "10:00", "Dimanche matin"),
            (sunday, "23:30", "Dimanche soir"),
            (monday, "00:30", "Lundi minuit et demi"),
        ] {
            let at = format!("{}T{time}", ymd(day));
            let r = compose(&t, &cm, &[("channel", &ch), ("text", text), ("at", &at), ("langs", "fr")], &[])
                .await;
            assert_eq!(r.status(), 303, "[{label}] {text}");
            let to = location(&r);
            assert!(
                to.contains(&format!("view=week&date={}", ymd(day))) && to.contains("notice=scheduled"),
                "[{label}] {to}"
            );
            ids.push(posts(&t).await.iter().find(|p| p.text == text).unwrap().id);
        }
        // Ten o'clock is 09:00 UTC on Saturday (winter time) and 08:00 UTC on Sunday (summer).
        assert_eq!(post(&t, ids[0]).await.scheduled_at, Some(paris_ms(saturday, 10, 0)));
        assert_eq!(post(&t, ids[1]).await.scheduled_at, Some(paris_ms(sunday, 10, 0)));
        assert_eq!(paris_ms(saturday, 10, 0) + 24 * 3_600_000 - 3_600_000, paris_ms(sunday, 10, 0));
        // Sunday 23:30 is Sunday evening in UTC too; Monday 00:30 is still Sunday in UTC.
        assert_eq!(
            chrono::DateTime::from_timestamp_millis(post(&t, ids[3]).await.scheduled_at.unwrap())
                .unwrap()
                .date_naive(),
            sunday
        );

        let week = t.get(&mut cm, &format!("/w/{WS}/calendar?view=week&date={}", ymd(sunday))).await;
        assert_eq!(week.status(), 200);
        let week = week.text().await.unwrap();
        let expect = |html: &str, day: NaiveDate, id: i64, time: &str, view: &str| {
            let cell = day_cell(html, day);
            assert!(
                cell.contains(&format!("id=\"post-{id}\"")) && cell.contains(time),
                "[{label}] {view}: post {id} at {time} on {day}:\n{cell}"
            );
        };
        expect(&week, saturday, ids[0], ">10:00 AM<", "week");
        expect(&week, sunday, ids[1], ">10:00 AM<", "week");
        expect(&week, sunday, ids[2], ">11:30 PM<", "week");
        assert!(
            !week.contains(&format!("id=\"post-{}\"", ids[3])),
            "[{label}] Monday's post is in the next week, though it is still Sunday in UTC"
        );
        let next_week = t.get(&mut cm, &format!("/w/{WS}/calendar?view=week&date={}", ymd(monday))).await;
        expect(&next_week.text().await.unwrap(), monday, ids[3], ">12:30 AM<", "next week");
        let month = t.get(&mut cm, &format!("/w/{WS}/calendar?view=month&date={}", ymd(sunday))).await;
        let month = month.text().await.unwrap();
        expect(&month, saturday, ids[0], ">10:00 AM<", "month");
        expect(&month, sunday, ids[1], ">10:00 AM<", "month");
        expect(&month, monday, ids[3], ">12:30 AM<", "month");
        assert!(!day_cell(&month, sunday).contains(&format!("id=\"post-{}\"", ids[3])), "[{label}]");
        let list = t.get(&mut cm, &format!("/w/{WS}/calendar?view=list&date={}", ymd(sunday))).await;
        let list = list.text().await.unwrap();
        expect(&list, sunday, ids[2], ">11:30 PM<", "list");

        // Filters: by status, and by channel.
        let failed_only = t
            .get(&mut cm, &format!("/w/{WS}/calendar?view=week&date={}&status=failed", ymd(sunday)))
            .await
            .text()
            .await
            .unwrap();
        assert!(!failed_only.contains("id=\"post-"), "[{label}] no failed post in the week");
        let by_channel = t
            .get(&mut cm, &format!("/w/{WS}/calendar?view=week&date={}&channel={ch}", ymd(sunday)))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(by_channel.matches("class=\"cal-post ").count(), 3, "[{label}] the channel's posts");

        // In French, the same hour reads « 10 h 00 ».
        let mut fr = cm.clone();
        let r = t
            .post_form(
                &mut fr,
                "/settings",
                &[("name", "cm Person"), ("locale", "fr"), ("timezone", "America/Montreal")],
            )
            .await;
        assert!(r.status().is_success() || r.status().is_redirection(), "[{label}] {}", r.status());
        let week_fr = t
            .get(&mut fr, &format!("/w/{WS}/calendar?view=week&date={}", ymd(sunday)))
            .await
            .text()
            .await
            .unwrap();
        let cell = day_cell(&week_fr, sunday);
        assert!(
            cell.contains(">10 h 00<") && cell.contains("Programmée"),
            "[{label}] the workspace's zone, not the reader's:\n{cell}"
        );
    }
}

#[tokio::test]
async fn posts_move_by_form_and_by_drop_keeping_their_hour() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let ch = channel(&t).await.to_string();
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let day = spring_forward() - Duration::days(3);
        let ymd = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let at = format!("{}T10:00", ymd(day));
        let r = compose(&t, &cm, &[("channel", &ch), ("text", "À déplacer"), ("at", &at)], &[]).await;
        assert_eq!(r.status(), 303);
        let id = posts(&t).await[0].id;
        let path = format!("/w/{WS}/posts/{id}/reschedule");
        let back = format!("view=week&date={}", ymd(day));

        // The keyboard form: a new date and time.
        let next = day + Duration::days(1);
        let r =
            t.post_form(&mut cm, &path, &[("at", &format!("{}T15:45", ymd(next))), ("back", &back)]).await;
        assert_eq!(r.status(), 303, "[{label}]");
        let to = location(&r);
        assert!(to.contains(&format!("date={}", ymd(next))) && to.contains("notice=moved"), "[{label}] {to}");
        assert_eq!(post(&t, id).await.scheduled_at, Some(paris_ms(next, 15, 45)));
        let page = t.get(&mut cm, &to).await.text().await.unwrap();
        assert!(page.contains("The post was moved."), "[{label}] the notice");
        assert!(day_cell(&page, next).contains(&format!("id=\"post-{id}\"")), "[{label}] on its new day");

        // A date in the past is refused at the post's field; nothing moves.
        let r = t.post_form(&mut cm, &path, &[("at", "2020-05-01T09:00"), ("back", &back)]).await;
        assert_eq!(r.status(), 422, "[{label}]");
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("id=\"move-{id}-error\"")) && html.contains("in the past"));
        assert_eq!(post(&t, id).await.scheduled_at, Some(paris_ms(next, 15, 45)));

        // A drop: the day only, over htmx; the hour stays 15:45 (across the spring change).
        let target = spring_forward() + Duration::days(1);
        let r = drop_on(
            &t,
            &cm,
            id,
            &[("date", &ymd(target)), ("back", &format!("view=month&date={}", ymd(day)))],
        )
        .await;
        assert_eq!(r.status(), 200, "[{label}]");
        let body = r.text().await.unwrap();
        assert!(body.starts_with("<div id=\"calendar-body\""), "[{label}] htmx gets the calendar only");
        assert!(body.contains("The post was moved."));
        assert!(day_cell(&body, target).contains(&format!("id=\"post-{id}\"")), "[{label}] dropped there");
        assert_eq!(post(&t, id).await.scheduled_at, Some(paris_ms(target, 15, 45)));

        // A failed post moved is scheduled again, its attempts and error cleared.
        let mut tx = t.app.store().begin().await.unwrap();
        sqlx::query("UPDATE posts SET status = 'failed', attempts = 3, error = 'Record/text must not be longer than 300 graphemes' WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let failed = t.get(&mut cm, &format!("/w/{WS}/calendar?view=month&date={}", ymd(target))).await;
        let failed = failed.text().await.unwrap();
        assert!(failed.contains("One post failed to publish"), "[{label}] the banner");
        assert!(day_cell(&failed, target).contains("Record/text must not be longer than 300 graphemes"));
        let r =
            drop_on(&t, &cm, id, &[("date", &ymd(target + Duration::days(1))), ("back", "view=week")]).await;
        assert_eq!(r.status(), 200);
        let moved = post(&t, id).await;
        assert_eq!((moved.status.as_str(), moved.attempts, moved.error), ("scheduled", 0, None));

        // Published: it cannot move (409, said at the post).
        let mut tx = t.app.store().begin().await.unwrap();
        sqlx::query("UPDATE posts SET status = 'published', remote_url = 'https://bsky.app/profile/maison.test/post/3k' WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let r =
            drop_on(&t, &cm, id, &[("date", &ymd(target + Duration::days(2))), ("back", "view=week")]).await;
        assert_eq!(r.status(), 409, "[{label}]");
        assert!(r.text().await.unwrap().contains("already publishing or published"));
        let published = t.get(&mut cm, &format!("/w/{WS}/calendar?view=list&date={}", ymd(target))).await;
        let published = published.text().await.unwrap();
        assert!(published.contains("href=\"https://bsky.app/profile/maison.test/post/3k\""), "[{label}]");
        assert!(!published.contains(&format!("action=\"/w/{WS}/posts/{id}/reschedule\"")), "no move form");

        // Every move is in the audit log.
        let log = t
            .app
            .audit_log(
                &Actor::Operator,
                WS,
                &tutti_app::AuditQuery {
                    action: Some("post.reschedule".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(log.len(), 3, "[{label}] three moves");
    }
}

#[tokio::test]
async fn only_the_author_or_an_approver_moves_a_post() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        channel(&t).await;
        let day = spring_forward() - Duration::days(5);
        let contributor = Actor::User(t.app.user_by_email("contributor@acme.test").await.unwrap());
        let p = t
            .app
            .create_post(
                &contributor,
                WS,
                &PostToWrite {
                    channel: "maison.test".into(),
                    text: "Brouillon".into(),
                    at: Some(
                        PARIS.from_local_datetime(&day.and_hms_opt(9, 0, 0).unwrap()).unwrap().to_rfc3339(),
                    ),
                    ..Default::default()
                },
                tutti_app::store::now_ms(),
            )
            .await
            .unwrap();
        let when = format!("{}T11:00", (day + Duration::days(1)).format("%Y-%m-%d"));
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let r = t.post_form(&mut cm, &format!("/w/{WS}/posts/{}/reschedule", p.id), &[("at", &when)]).await;
        assert_eq!(r.status(), 403, "[{label}] a CM moves only their own posts");
        let week =
            t.get(&mut cm, &format!("/w/{WS}/calendar?view=week&date={}", day.format("%Y-%m-%d"))).await;
        let week = week.text().await.unwrap();
        assert!(week.contains(&format!("id=\"post-{}\"", p.id)) && !week.contains("draggable=\"true\""));
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let r = t.post_form(&mut smm, &format!("/w/{WS}/posts/{}/reschedule", p.id), &[("at", &when)]).await;
        assert_eq!(r.status(), 303, "[{label}] an SMM moves anyone's post");
        assert_eq!(post(&t, p.id).await.status, "in_review", "still to review");
    }
}

#[tokio::test]
async fn a_contributor_sends_for_review_and_an_analyst_is_refused() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let ch = channel(&t).await.to_string();
        let mut contributor = t.sign_in("contributor@acme.test", PASSWORD).await;
        let html = t.get(&mut contributor, &format!("/w/{WS}/compose")).await.text().await.unwrap();
        assert!(
            html.contains(">Send for review</button>") && !html.contains(">Schedule</button>"),
            "[{label}]"
        );
        let day = spring_forward();
        let r = compose(
            &t,
            &contributor,
            &[
                ("channel", &ch),
                ("text", "Pour relecture"),
                ("at", &format!("{}T12:00", day.format("%Y-%m-%d"))),
            ],
            &[],
        )
        .await;
        assert_eq!(r.status(), 303);
        assert!(location(&r).contains("notice=review"));
        let stored = posts(&t).await;
        assert_eq!(stored[0].status, "in_review", "[{label}]");
        let page = t.get(&mut contributor, &location(&r)).await.text().await.unwrap();
        assert!(page.contains("The post was sent for review") && day_cell(&page, day).contains("In review"));

        // htmx gets the redirect as a header, so that it navigates instead of swapping.
        let (ct, body) = multipart(&[("channel", &ch), ("text", "Encore"), ("at", "")], &[]);
        let r = t
            .client
            .post(t.url(&format!("/w/{WS}/compose")))
            .header(COOKIE, contributor.cookie_header())
            .header("x-csrf-token", &contributor.csrf)
            .header("hx-request", "true")
            .header(CONTENT_TYPE, ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["hx-redirect"].to_str().unwrap().contains("/calendar?view=week"));
        assert!(
            posts(&t).await.iter().any(|p| p.text == "Encore" && p.scheduled_at.is_none()),
            "as soon as possible"
        );

        let mut analyst = t.sign_in("analyst@acme.test", PASSWORD).await;
        assert_eq!(t.get(&mut analyst, &format!("/w/{WS}/compose")).await.status(), 403, "[{label}]");
        assert_eq!(t.get(&mut analyst, &format!("/w/{WS}/calendar")).await.status(), 403);
        let home = t.get(&mut analyst, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(
            !home.contains(&format!("href=\"/w/{WS}/calendar\"")),
            "[{label}] no calendar link for those who cannot open it"
        );
        let r = compose(&t, &analyst, &[("channel", &ch), ("text", "Non"), ("at", "")], &[]).await;
        assert_eq!(r.status(), 403);
        assert!(!posts(&t).await.iter().any(|p| p.text == "Non"), "[{label}] nothing stored");
        // The calendar is a live entry of the navigation now.
        let home = t.get(&mut contributor, &format!("/w/{WS}")).await.text().await.unwrap();
        let entry = home.find(&format!("href=\"/w/{WS}/calendar\"")).expect("a calendar entry");
        let entry = &home[entry..entry + home[entry..].find("</a>").unwrap()];
        assert!(!entry.contains("class=\"soon\""), "[{label}] {entry}");
    }
}

#[tokio::test]
async fn hostile_post_text_renders_inert() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let ch = channel(&t).await;
        let day = spring_forward();
        let emoji = "😀".repeat(2600);
        let texts = [
            "<script>alert(1)</script><img src=x onerror=alert(2)>".to_owned(),
            "Prix \u{202E}0001\u{202C} € \u{2066}isolé".to_owned(),
            emoji.clone(),
        ];
        let ws = t.app.list_workspaces(&Actor::Operator).await.unwrap()[0].0.id;
        let mut tx = t.app.store().begin().await.unwrap();
        for (i, text) in texts.iter().enumerate() {
            tutti_app::store::publishing::insert_post(
                &mut tx,
                &tutti_app::store::publishing::NewPost {
                    workspace_id: ws,
                    channel_id: ch,
                    author_user_id: None,
                    text,
                    langs: "fr",
                    status: tutti_domain::PostStatus::Failed,
                    scheduled_at: Some(paris_ms(day, 9 + i as u32, 0)),
                    idempotency_key: &format!("3khostile{i}"),
                    reply_to_post_id: None,
                },
                &[],
            )
            .await
            .unwrap();
        }
        sqlx::query("UPDATE posts SET error = '<b onmouseover=alert(3)>bad</b>'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        for view in ["month", "week", "list"] {
            let r = t
                .get(&mut smm, &format!("/w/{WS}/calendar?view={view}&date={}", day.format("%Y-%m-%d")))
                .await;
            assert_eq!(r.status(), 200, "[{label}] {view}");
            let html = r.text().await.unwrap();
            assert!(
                !html.contains("<script>alert")
                    && !html.contains("<img src=x")
                    && !html.contains("<b onmouseover")
            );
            assert!(
                html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
                "[{label}] {view} shows it as text"
            );
            let bidi = html.find('\u{202E}').expect("the bidi text is shown");
            let opening = html[..bidi].rfind('<').unwrap();
            assert!(
                html[opening..bidi].contains("dir=\"auto\""),
                "[{label}] {view}: the bidi text is isolated"
            );
            assert!(html.len() < 400_000, "[{label}] {view}: {} bytes", html.len());
            if view == "list" {
                assert!(html.contains(&emoji), "[{label}] the list shows the whole text");
            } else {
                assert!(html.contains(&format!("{}…", "😀".repeat(140))), "[{label}] {view} cuts it short");
            }
        }
        // Sent back in the compose form, the same text stays text.
        let r =
            compose(&t, &smm, &[("channel", &ch.to_string()), ("text", &texts[0]), ("at", "bad")], &[]).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains(
            "&#60;script&#62;alert(1)&#60;/script&#62;&#60;img src=x onerror=alert(2)&#62;</textarea>"
        ));
        let r = compose(&t, &smm, &[("channel", &ch.to_string()), ("text", &emoji), ("at", "")], &[]).await;
        assert_eq!(r.status(), 422, "[{label}] 2600 emoji are over the limit");
        assert!(r.text().await.unwrap().contains("2300 characters over Bluesky&#39;s limit (300)"));
    }
}

#[tokio::test]
async fn queues_are_set_on_the_channels_page_and_taken_from_the_composer() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let ch = channel(&t).await.to_string();
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let page = t.get(&mut cm, &format!("/w/{WS}/channels")).await.text().await.unwrap();
        assert!(page.contains("@maison.test") && page.contains("No queue slots yet"), "[{label}]");
        assert!(!page.contains("/slots\""), "[{label}] a CM reads the queue but does not change it");
        let r =
            t.post_form(&mut cm, &format!("/w/{WS}/channels/{ch}/slots"), &[("slots", "mon 09:00")]).await;
        assert_eq!(r.status(), 403);

        // A bad slot is named, the typed text kept, nothing saved.
        let r = t
            .post_form(
                &mut smm,
                &format!("/w/{WS}/channels/{ch}/slots"),
                &[("slots", "mon 09:00, someday 10:00")],
            )
            .await;
        assert_eq!(r.status(), 422, "[{label}]");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("slot 2")
                && html.contains("aria-invalid=\"true\"")
                && html.contains("someday 10:00")
        );
        assert!(t.app.queue_slots(&Actor::Operator, WS, &ch).await.unwrap().is_empty());
        let r = t
            .post_form(
                &mut smm,
                &format!("/w/{WS}/channels/{ch}/slots"),
                &[("slots", "mar 10:00, jeu 16:30")],
            )
            .await;
        assert_eq!(r.status(), 303, "[{label}]");
        let page = t.get(&mut smm, &location(&r)).await.text().await.unwrap();
        assert!(
            page.contains("tue 10:00, thu 16:30") && page.contains("The queue slots are saved."),
            "[{label}]"
        );

        // The composer: the UTM fields stay hidden until tagging is chosen; "add to queue".
        let form = t.get(&mut cm, &format!("/w/{WS}/compose")).await.text().await.unwrap();
        assert!(form.contains("data-utm-fields hidden"), "[{label}]");
        assert!(form.contains("name=\"queue\""));
        let r = compose(&t, &cm, &[("channel", &ch), ("text", "Dans la file"), ("queue", "1")], &[]).await;
        assert_eq!(r.status(), 303, "[{label}]");
        let queued = posts(&t).await.into_iter().find(|p| p.text == "Dans la file").unwrap();
        let local = chrono::DateTime::from_timestamp_millis(queued.scheduled_at.unwrap())
            .unwrap()
            .with_timezone(&PARIS);
        use chrono::Timelike;
        assert!(
            [(Weekday::Tue, 10, 0), (Weekday::Thu, 16, 30)].contains(&(
                local.weekday(),
                local.hour(),
                local.minute()
            )),
            "[{label}] {local}"
        );

        // Continuing a thread from the composer.
        let form = t.get(&mut cm, &format!("/w/{WS}/compose")).await.text().await.unwrap();
        assert!(
            form.contains(&format!("<option value=\"{}\"", queued.id)),
            "[{label}] the thread picker lists it"
        );
        let parent = queued.id.to_string();
        let r = compose(
            &t,
            &cm,
            &[("channel", &ch), ("text", "La suite"), ("reply_to", &parent), ("at", "")],
            &[],
        )
        .await;
        assert_eq!(r.status(), 303, "[{label}]");
        let child = posts(&t).await.into_iter().find(|p| p.text == "La suite").unwrap();
        assert_eq!(child.reply_to_post_id, Some(queued.id));
        let r =
            compose(&t, &cm, &[("channel", &ch), ("text", "Orpheline"), ("reply_to", "999999")], &[]).await;
        assert_eq!(r.status(), 422);
        assert!(
            r.text().await.unwrap().contains("id=\"c-reply-to-error\""),
            "[{label}] refused at its field"
        );
    }
}

#[tokio::test]
async fn the_review_rule_is_set_by_the_smm_and_followed_by_the_composer() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        let ch = channel(&t).await.to_string();
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let r = t.post_form(&mut cm, &format!("/w/{WS}/review-rule"), &[("roles", "cm")]).await;
        assert_eq!(r.status(), 403, "[{label}]");
        let r = t.post_form(&mut smm, &format!("/w/{WS}/review-rule"), &[("roles", "contributor")]).await;
        assert_eq!(r.status(), 422, "[{label}]");
        let r = t
            .post_form(&mut smm, &format!("/w/{WS}/review-rule"), &[("roles", "admin"), ("roles", "smm")])
            .await;
        assert_eq!(r.status(), 303, "[{label}]");
        let form = t.get(&mut cm, &format!("/w/{WS}/compose")).await.text().await.unwrap();
        assert!(form.contains(">Send for review</button>"), "[{label}] the CM now goes through review");
        let r = compose(&t, &cm, &[("channel", &ch), ("text", "Relis-moi"), ("at", "")], &[]).await;
        assert_eq!(r.status(), 303);
        assert_eq!(posts(&t).await.into_iter().find(|p| p.text == "Relis-moi").unwrap().status, "in_review");
        let page = t.get(&mut cm, &format!("/w/{WS}/channels")).await.text().await.unwrap();
        assert!(!page.contains("name=\"roles\""), "[{label}] a CM reads the rule only");
    }
}

#[tokio::test]
async fn a_channel_that_needs_reconnecting_is_a_notice_on_the_overview() {
    for db in tutti_test_support::every_backend().await {
        let label = db.label();
        let t = spawn(db).await;
        seed(&t.app).await;
        channel(&t).await;
        let c = t.app.channels(&Actor::Operator, WS).await.unwrap().remove(0);
        let store = t.app.store().clone();
        let mut tx = store.begin().await.unwrap();
        tutti_app::notices::channel_needs_reconnect(
            &mut tx,
            &c,
            "<script>alert(1)</script> Invalid password",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut smm = t.sign_in("smm@acme.test", PASSWORD).await;
        let home = t.get(&mut smm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(home.contains("@maison.test needs reconnecting."), "[{label}]");
        assert!(
            home.contains("&#60;script&#62;alert(1)") && !home.contains("<script>alert"),
            "[{label}] the network's words are inert"
        );
        assert!(home.contains(&format!("href=\"/w/{WS}/channels\"")));
        let mut cm = t.sign_in("cm@acme.test", PASSWORD).await;
        let home = t.get(&mut cm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(!home.contains("needs reconnecting."), "[{label}] a CM cannot reconnect a brand channel");
        let r = t.post_form(&mut smm, &format!("/w/{WS}/notices/read"), &[]).await;
        assert_eq!(r.status(), 303);
        let home = t.get(&mut smm, &format!("/w/{WS}")).await.text().await.unwrap();
        assert!(!home.contains("needs reconnecting."), "[{label}] read");
    }
}
