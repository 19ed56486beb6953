//! Throughput of [`tutti_nlp::analyse`] on one core, over a generated corpus of short posts.
//!
//! ```text
//! cargo run --release -p tutti-nlp --example throughput [-- POSTS [ROUNDS [sentiment]]]
//! ```
//!
//! With `sentiment`, only [`tutti_nlp::sentiment`] is timed, on the French posts of the corpus
//! read as French (the path of the French model), one post at a time.
//!
//! The corpus mixes the seven languages, emojis, links, mentions, hashtags, negations and
//! obfuscated insults, 40 to 280 characters a post, from a fixed seed: every run reads the same
//! posts. The first pass (which also parses the lexicons) is not timed; the best of `ROUNDS`
//! timed passes is reported, with the JSON line of every post built as well.

use std::hint::black_box;
use std::time::Instant;

const OPENINGS: &[&str] = &[
    "Franchement, ce film n'est pas terrible",
    "J'adore cette nouvelle version, très fluide",
    "Le service client ne répond jamais, c'est nul",
    "t'es qu'un c0nnard, ferme ta gueule",
    "Honestly this update is really good",
    "Not good at all, the app keeps crashing",
    "you are a f*cking idiot, kill yourself",
    "What a great match yesterday!!",
    "El servicio es excelente y la comida deliciosa",
    "No me gusta nada esta aplicación",
    "Das Wetter ist heute wirklich schön",
    "Ich bin sehr enttäuscht von diesem Produkt",
    "Questo ristorante è fantastico, lo consiglio",
    "Non mi è piaciuto per niente il finale",
    "Ik vind deze nieuwe functie echt geweldig",
    "De levering was veel te laat en slecht verpakt",
    "Adorei o atendimento, muito obrigado",
    "O aplicativo não funciona no meu telefone",
    "La constitution protège les citoyens",
    "The assistant from Scunthorpe was very helpful",
];
const MIDDLES: &[&str] = &[
    "",
    " 😍",
    " 👍👍",
    " 😡",
    " 🙄",
    " :)",
    " @alice",
    " @bob.bsky.social",
    " @carol@mastodon.social",
    " #Tutti",
    " #BonneJournée #RustLang",
];
const ENDINGS: &[&str] = &[
    "",
    " https://www.example.org/article?id=42",
    " (voir https://news.example.fr/a/b).",
    " http://blog.example.com/post",
    " and the support team never answered my three emails about the refund",
    " et en plus la livraison est arrivée avec deux semaines de retard",
];

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z % n as u64) as usize
    }
}

fn corpus(n: usize) -> Vec<String> {
    let mut rng = Rng(42);
    (0..n)
        .map(|_| {
            let mut post = String::new();
            post.push_str(OPENINGS[rng.below(OPENINGS.len())]);
            post.push_str(MIDDLES[rng.below(MIDDLES.len())]);
            if rng.below(3) == 0 {
                post.push_str(". ");
                post.push_str(OPENINGS[rng.below(OPENINGS.len())]);
            }
            post.push_str(ENDINGS[rng.below(ENDINGS.len())]);
            post.truncate(post.char_indices().nth(280).map_or(post.len(), |(i, _)| i));
            post
        })
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let posts: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let sentiment_only = args.next().is_some_and(|a| a == "sentiment");
    let mut texts = corpus(posts);
    if sentiment_only {
        texts.retain(|t| tutti_nlp::detect_lang(t) == Some(tutti_nlp::Lang::Fr));
        let started = Instant::now();
        let mut best = f64::MAX;
        for _ in 0..rounds.max(1) {
            let start = Instant::now();
            for t in &texts {
                black_box(tutti_nlp::sentiment(black_box(t), Some(tutti_nlp::Lang::Fr)));
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        black_box(started);
        println!(
            "sentiment of {} French posts, best of {rounds}: {:.0} posts/s, {:.2} µs/post",
            texts.len(),
            texts.len() as f64 / best,
            best * 1e6 / texts.len() as f64
        );
        return;
    }
    let bytes: usize = texts.iter().map(String::len).sum();

    for t in &texts {
        black_box(tutti_nlp::analyse(t));
    }
    let mut best = f64::MAX;
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        let mut out = 0usize;
        for t in &texts {
            let e = tutti_nlp::analyse(black_box(t));
            out += tutti_nlp::to_json_line(&e, false).len();
        }
        black_box(out);
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "{posts} posts ({:.0} bytes on average), best of {rounds}: {:.3} s, {:.0} posts/s, {:.2} µs/post, {:.1} MB/s",
        bytes as f64 / posts as f64,
        best,
        posts as f64 / best,
        best * 1e6 / posts as f64,
        bytes as f64 / best / 1e6,
    );
}
