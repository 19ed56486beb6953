//! How long the dictionaries take to load and a post takes to check. Prints the times (run
//! with `--nocapture`); asserts only on the findings, never on time. Alone in its binary, so
//! that no other test loads a dictionary first.

use std::time::{Duration, Instant};

use tutti_charter::{check, preload, Charter, Draft, Lang};

const FRENCH: &str = "🎉 Grande nouvelle : l’équipe lance aujourd'hui son nouveau service de livraison à \
                      vélo dans tout Paris ! Commandez sur https://tutti.example/velo avant vendredi, \
                      profitez de -20 % avec le code VELO20 et partagez vos photos avec @tutti.bsky.social \
                      #Livraison. Merci pour votre fidélitée, à trés vite 🚲";

const ENGLISH: &str = "🎉 Big news: our team launches its new bike delivery service across London today! \
                       Order at https://tutti.example/bike before Friday, get 20% off with the code BIKE20 \
                       and share your photos with @tutti.bsky.social #Delivery. Thank you for your loyality, \
                       see you very soon and recieve our thanks 🚲";

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

#[test]
fn load_and_check_times() {
    let ((), fr_load) = time(|| preload(&[Lang::Fr]));
    let ((), en_load) = time(|| preload(&[Lang::En]));
    println!("dictionary load: French {fr_load:?}, English {en_load:?}");

    let charter = Charter::default();
    for (name, text, lang, expected) in [
        ("French", FRENCH, "fr", vec!["fidélitée", "trés"]),
        ("English", ENGLISH, "en", vec!["loyality", "recieve"]),
    ] {
        let draft = Draft { text: text.to_owned(), lang: Some(lang.to_owned()), ..Draft::default() };
        let (findings, first) = time(|| check(&charter, &draft));
        let (again, second) = time(|| check(&charter, &draft));
        assert_eq!(findings, again);
        let words: Vec<&str> = findings.iter().filter_map(|f| f.range()).map(|r| &text[r]).collect();
        assert_eq!(words, expected, "{findings:?}");
        let clean = Draft { text: text.replace(expected[0], "").replace(expected[1], ""), ..draft.clone() };
        let (none, clean_time) = time(|| check(&charter, &clean));
        assert!(none.is_empty(), "{none:?}");
        println!(
            "{name} post of {} characters: {first:?} with 2 misspellings to suggest for, {second:?} checked \
             again (suggestions remembered), {clean_time:?} without misspellings",
            text.chars().count()
        );
    }
}
