//! A deterministic workload and a timed comparison of the engine, the reference evaluator and
//! one Aho-Corasick automaton pass over the posts' raw text, so that a command line or a
//! benchmark can measure the engine.
//!
//! The queries look like a listening team's: brand and product names (some accented, some
//! case-sensitive), phrases, wildcards, NEAR, exclusions and field filters, in French and
//! English. The posts look like a Bluesky firehose: mostly short, with hashtags, mentions,
//! links and emojis; their [`PostMix`] says how many are written in a non-Latin script
//! (Japanese, Korean, Chinese, Arabic, Cyrillic, Devanagari, emoji only) and how many mention
//! one of the queries' brands ([`PostMix::REALISTIC`]: 1 %, as on a real firehose where almost
//! nothing is about any given brand; [`generate_posts`] keeps the older 20 %, Latin only).

use std::hint::black_box;
use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use crate::engine::Engine;
use crate::post::{Network, Post};
use crate::query::{Node, Query};
use crate::tokens::PostTokens;

/// A small, fast, deterministic generator (SplitMix64): the same seed gives the same workload
/// on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SYLLABLES: [&str; 30] = [
    "ka", "lo", "mi", "ra", "vé", "to", "su", "ne", "zi", "pa", "dor", "lin", "mar", "tek", "vo", "ly", "xa",
    "qui", "bel", "fon", "ria", "sto", "gra", "pi", "nu", "ol", "ber", "cas", "dé", "fi",
];
const SUFFIXES: [&str; 5] = ["", "io", "ly", "ex", "a"];

/// The brand name number `i`: distinct for `i` below 135,000, some with accents.
pub fn brand(i: usize) -> String {
    let name = format!(
        "{}{}{}{}",
        SYLLABLES[i % 30],
        SYLLABLES[(i / 30) % 30],
        SYLLABLES[(i / 900) % 30],
        SUFFIXES[(i / 27_000) % 5]
    );
    let mut chars = name.chars();
    let first = chars.next().expect("syllables are not empty");
    first.to_uppercase().chain(chars).collect()
}

const PRODUCTS: [&str; 20] = [
    "app",
    "application",
    "abonnement",
    "livraison",
    "service client",
    "support",
    "mise à jour",
    "update",
    "forfait",
    "box",
    "carte",
    "commande",
    "remboursement",
    "refund",
    "delivery",
    "subscription",
    "batterie",
    "battery",
    "écran",
    "customer service",
];
const COMPLAINTS: [&str; 18] = [
    "complain*",
    "bug*",
    "panne",
    "lent*",
    "slow",
    "arnaque",
    "scam",
    "déçu*",
    "disappoint*",
    "horrible",
    "broken",
    "cassé",
    "rembours*",
    "annul*",
    "cancel*",
    "problème",
    "problem*",
    "inadmissible",
];
const COMPLAINT_WORDS: [&str; 18] = [
    "complaint",
    "bugs",
    "panne",
    "lente",
    "slow",
    "arnaque",
    "scam",
    "déçue",
    "disappointed",
    "horrible",
    "broken",
    "cassé",
    "remboursement",
    "annulé",
    "cancelled",
    "probleme",
    "problems",
    "inadmissible",
];
const PRAISE: [&str; 10] =
    ["génial", "love", "adore", "super", "merci", "thanks", "great", "bravo", "top", "parfait"];
const SPAM: [&str; 6] = ["concours", "giveaway", "promo", "gagner", "win", "bitcoin"];
const FILLER_FR: [&str; 60] = [
    "le",
    "la",
    "les",
    "de",
    "des",
    "un",
    "une",
    "et",
    "est",
    "pas",
    "je",
    "on",
    "nous",
    "vous",
    "ce",
    "pour",
    "avec",
    "sur",
    "dans",
    "mais",
    "plus",
    "très",
    "bien",
    "tout",
    "aujourd'hui",
    "demain",
    "vraiment",
    "encore",
    "déjà",
    "toujours",
    "fait",
    "faire",
    "voir",
    "comme",
    "quand",
    "alors",
    "c'est",
    "j'ai",
    "l'équipe",
    "qu'il",
    "d'accord",
    "école",
    "travail",
    "maison",
    "ville",
    "semaine",
    "gens",
    "nouveau",
    "musique",
    "livre",
    "élection",
    "réseau",
    "santé",
    "été",
    "vacances",
    "soleil",
    "pluie",
    "météo",
    "café",
    "train",
];
const FILLER_EN: [&str; 60] = [
    "the", "a", "is", "are", "was", "to", "of", "and", "in", "on", "for", "with", "this", "that", "it", "my",
    "your", "just", "really", "so", "very", "today", "tomorrow", "people", "time", "day", "week", "thing",
    "going", "get", "got", "know", "think", "new", "good", "bad", "work", "home", "city", "weather", "music",
    "film", "game", "match", "book", "coffee", "team", "news", "love", "art", "don't", "it's", "I'm",
    "morning", "night", "friends", "photo", "story", "world", "year",
];
const TAGS: [&str; 8] =
    ["#FrenchTech", "#IA", "#AI", "#rugby", "#bluesky", "#photo", "#café", "#BreakingNews"];
const EMOJIS: [&str; 8] = ["🔥", "😂", "👍🏽", "❤️", "🙏", "😡", "🎉", "👀"];

/// Japanese fragments, written without spaces between them.
const JAPANESE: [&str; 24] = [
    "今日は",
    "とても",
    "楽しかった",
    "です",
    "ね",
    "明日",
    "また",
    "行きたい",
    "新しい",
    "アプリ",
    "使って",
    "みた",
    "けど",
    "ちょっと",
    "遅い",
    "かな",
    "ありがとう",
    "ございます",
    "写真",
    "撮った",
    "猫",
    "かわいい",
    "雨",
    "東京",
];
const KOREAN: [&str; 16] = [
    "오늘",
    "정말",
    "좋은",
    "하루",
    "였어요",
    "내일",
    "다시",
    "가고",
    "싶어요",
    "새로운",
    "앱",
    "너무",
    "느려요",
    "감사합니다",
    "사진",
    "서울",
];
const CHINESE: [&str; 16] = [
    "今天", "天气", "很好", "我们", "一起", "去", "看", "电影", "这个", "应用", "太慢", "了", "谢谢", "朋友",
    "北京", "咖啡",
];
const ARABIC: [&str; 20] = [
    "اليوم",
    "كان",
    "يوم",
    "جميل",
    "جدا",
    "شكرا",
    "لكم",
    "التطبيق",
    "الجديد",
    "بطيء",
    "قليلا",
    "أحب",
    "هذا",
    "المكان",
    "مع",
    "الأصدقاء",
    "في",
    "القاهرة",
    "القهوة",
    "غدا",
];
const RUSSIAN: [&str; 20] = [
    "сегодня",
    "был",
    "очень",
    "хороший",
    "день",
    "спасибо",
    "новое",
    "приложение",
    "немного",
    "медленно",
    "работает",
    "мы",
    "идём",
    "в",
    "кино",
    "с",
    "друзьями",
    "Москва",
    "кофе",
    "завтра",
];
const HINDI: [&str; 14] =
    ["आज", "का", "दिन", "बहुत", "अच्छा", "था", "धन्यवाद", "नया", "ऐप", "थोड़ा", "धीमा", "है", "दोस्तों", "दिल्ली"];

/// What the generated posts are made of: the share written in a non-Latin script and the share
/// mentioning one of the queries' brands, in percent. Within the non-Latin share the scripts
/// are fixed: Japanese 35 %, Arabic 15 %, Cyrillic 15 %, Korean 10 %, Chinese 10 %, emoji only
/// 10 %, Devanagari 5 %; the Latin-script posts are English 50 %, French 39 %, German 5 %,
/// none given 6 %.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PostMix {
    /// Posts written in a non-Latin script (or emoji only), percent.
    pub non_latin_percent: f64,
    /// Posts naming one of the queries' brands (in any script's post), percent.
    pub brand_percent: f64,
}

impl PostMix {
    /// A firehose's: 30 % of posts in a non-Latin script, 1 % naming one of the brands.
    pub const REALISTIC: PostMix = PostMix { non_latin_percent: 30.0, brand_percent: 1.0 };
    /// The mix of [`generate_posts`]: Latin script only, 20 % naming one of the brands.
    pub const LATIN_BRAND_HEAVY: PostMix = PostMix { non_latin_percent: 0.0, brand_percent: 20.0 };

    /// The mix, or an error naming the field out of 0–100.
    pub fn new(non_latin_percent: f64, brand_percent: f64) -> Result<PostMix, String> {
        for (field, v) in [("non_latin_percent", non_latin_percent), ("brand_percent", brand_percent)] {
            if !(0.0..=100.0).contains(&v) {
                return Err(format!("{field}: {v} is not a percentage between 0 and 100"));
            }
        }
        Ok(PostMix { non_latin_percent, brand_percent })
    }
}

/// The scripts of [`PostMix`], in the order [`Corpus::scripts`] counts them.
pub const SCRIPTS: [&str; 8] =
    ["latin", "japanese", "arabic", "cyrillic", "korean", "chinese", "emoji", "devanagari"];

/// Generated posts and what they are made of.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The posts.
    pub posts: Vec<Post>,
    /// The mix asked for.
    pub mix: PostMix,
    /// How many posts of each script of [`SCRIPTS`], in that order.
    pub scripts: [usize; SCRIPTS.len()],
    /// How many posts name one of the brands.
    pub brand_posts: usize,
}

/// True with probability `percent` / 100, to a hundredth of a percent.
fn chance_of(rng: &mut Rng, percent: f64) -> bool {
    (rng.below(10_000) as f64) < percent * 100.0
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// `n` listening queries, the same for the same `seed`. Query `i` is about brands drawn from a
/// pool of about two thirds of `n`, so that most brands have one or two queries.
pub fn generate_queries(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let pool = (n * 2 / 3).max(50);
    (0..n)
        .map(|_| {
            let b = brand(rng.below(pool));
            let b2 = brand(rng.below(pool));
            let product = *rng.pick(&PRODUCTS);
            let c1 = *rng.pick(&COMPLAINTS);
            let c2 = *rng.pick(&COMPLAINTS);
            let spam = *rng.pick(&SPAM);
            let domain = format!("{}.com", lower(&b));
            match rng.below(100) {
                0..=11 => format!("({b} OR #{b} OR @{}.bsky.social) AND ({c1} OR {c2})", lower(&b)),
                12..=21 => format!("\"{b} {product}\" AND NOT ({spam} OR {})", rng.pick(&SPAM)),
                22..=31 => format!("{b} NEAR/5 ({c1} OR {c2})"),
                32..=39 => format!("({b} OR {b2}) AND lang:{}", rng.pick(&["fr", "en"])),
                40..=46 => format!("{{{b}}} AND NOT site:{domain}"),
                47..=54 => format!("\"{b} {product}\"~3"),
                55..=64 => format!("{b} AND (\"{product}\" OR \"{}\") AND NOT ({spam})", rng.pick(&PRODUCTS)),
                65..=70 => format!("#{b} OR links:{domain}"),
                71..=76 => format!("{b} AND network:{}", rng.pick(&["mastodon", "bluesky", "rss"])),
                77..=82 => format!("{b}* AND {}", rng.pick(&PRAISE)),
                83..=88 => format!("({b} OR {b2}) NEAR/3f (\"{product}\" OR {c1})"),
                89..=94 => format!("{b} AND NOT (lang:de OR {spam})"),
                95..=98 => lower(&b).replace('é', "e"),
                // A query with no anchor at all, checked against every post.
                _ if rng.chance(10) => format!("author:{}.bsky.social AND network:bluesky", lower(&b)),
                _ => format!("@{}.bsky.social", lower(&b)),
            }
        })
        .collect()
}

/// The number of words of a post: mostly short, like a firehose (a Bluesky post holds at most
/// 300 characters, about 50 words).
fn post_length(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=39 => 3 + rng.below(8),
        40..=84 => 10 + rng.below(20),
        _ => 30 + rng.below(22),
    }
}

/// Puts a word at a random place in a post.
fn put(rng: &mut Rng, words: &mut Vec<String>, word: String) {
    let at = rng.below(words.len() + 1);
    words.insert(at, word);
}

/// Puts one of `choices` at a random place in a post.
fn put_one_of(rng: &mut Rng, words: &mut Vec<String>, choices: &[&str]) {
    let word = (*rng.pick(choices)).to_owned();
    put(rng, words, word);
}

/// `n` posts, the same for the same `seed`, using brands from the pool of
/// [`generate_queries`] for `queries` queries: Latin script only, 20 % naming a brand
/// ([`PostMix::LATIN_BRAND_HEAVY`]).
pub fn generate_posts(n: usize, queries: usize, seed: u64) -> Vec<Post> {
    generate_corpus(n, queries, seed, PostMix::LATIN_BRAND_HEAVY).posts
}

/// A post in a non-Latin script (or emoji only): its words, language tag and script index.
fn non_latin_words(rng: &mut Rng) -> (Vec<String>, Option<&'static str>, usize, bool) {
    let len = post_length(rng);
    let pick =
        |rng: &mut Rng, list: &[&str]| (0..len).map(|_| (*rng.pick(list)).to_owned()).collect::<Vec<_>>();
    // (words, lang, script, written without spaces)
    match rng.below(100) {
        0..=34 => (pick(rng, &JAPANESE), Some("ja"), 1, true),
        35..=49 => (pick(rng, &ARABIC), Some("ar"), 2, false),
        50..=64 => (pick(rng, &RUSSIAN), Some("ru"), 3, false),
        65..=74 => (pick(rng, &KOREAN), Some("ko"), 4, false),
        75..=84 => (pick(rng, &CHINESE), Some("zh"), 5, true),
        85..=94 => ((0..1 + len / 4).map(|_| (*rng.pick(&EMOJIS)).to_owned()).collect(), None, 6, false),
        _ => (pick(rng, &HINDI), Some("hi"), 7, false),
    }
}

/// `n` posts made of `mix`, the same for the same `seed`, using brands from the pool of
/// [`generate_queries`] for `queries` queries.
pub fn generate_corpus(n: usize, queries: usize, seed: u64, mix: PostMix) -> Corpus {
    let mut rng = Rng::new(seed);
    let pool = (queries * 2 / 3).max(50);
    let mut scripts = [0usize; SCRIPTS.len()];
    let mut brand_posts = 0;
    let posts = (0..n)
        .map(|_| {
            let non_latin = chance_of(&mut rng, mix.non_latin_percent);
            let (mut words, lang, script, joined) = if non_latin {
                non_latin_words(&mut rng)
            } else {
                let (lang, filler): (Option<&str>, &[&str]) = match rng.below(100) {
                    0..=44 => (Some("en"), &FILLER_EN),
                    45..=79 => (Some("fr"), &FILLER_FR),
                    80..=84 => (Some("de"), &FILLER_EN),
                    85..=89 => (Some("fr-CA"), &FILLER_FR),
                    _ => (None, &FILLER_EN),
                };
                let len = post_length(&mut rng);
                ((0..len).map(|_| (*rng.pick(filler)).to_owned()).collect(), lang, 0, false)
            };
            scripts[script] += 1;
            let mut links = Vec::new();
            let b = brand(rng.below(pool));
            if chance_of(&mut rng, mix.brand_percent) {
                brand_posts += 1;
                let mention = match rng.below(10) {
                    0..=4 => b.clone(),
                    5 => lower(&b).replace('é', "e"),
                    6 => b.to_uppercase(),
                    7 => format!("#{b}"),
                    8 => format!("@{}.bsky.social", lower(&b)),
                    _ => format!("{b}'s"),
                };
                put(&mut rng, &mut words, mention);
                if rng.chance(50) {
                    put_one_of(&mut rng, &mut words, &COMPLAINT_WORDS);
                }
                if rng.chance(40) {
                    put_one_of(&mut rng, &mut words, &PRODUCTS);
                }
                if rng.chance(20) {
                    links.push(format!("https://www.{}.com/offre", lower(&b)));
                }
            }
            if script == 0 && rng.chance(15) {
                put_one_of(&mut rng, &mut words, &PRAISE);
            }
            if rng.chance(15) {
                put_one_of(&mut rng, &mut words, &EMOJIS);
            }
            if rng.chance(10) {
                put_one_of(&mut rng, &mut words, &TAGS);
            }
            if rng.chance(8) {
                words.push(format!("https://news.exemple.fr/{}", rng.below(10_000)));
            }
            if script == 0 && rng.chance(3) {
                put_one_of(&mut rng, &mut words, &SPAM);
            }
            let network = match rng.below(10) {
                0..=6 => Network::Bluesky,
                7..=8 => Network::Mastodon,
                _ => Network::Rss,
            };
            // Japanese and Chinese run their words together; a brand in them is set apart by
            // spaces half of the time, as people write it.
            let text = if joined {
                words.iter().fold(String::new(), |mut t, w| {
                    let latin = w.chars().next().is_some_and(|c| c.is_ascii());
                    if latin && rng.chance(50) && !t.is_empty() {
                        t.push(' ');
                        t.push_str(w);
                        t.push(' ');
                    } else {
                        t.push_str(w);
                    }
                    t
                })
            } else {
                words.join(" ")
            };
            Post {
                text,
                author: format!("user{}.bsky.social", rng.below(100_000)),
                lang: lang.map(str::to_owned),
                network,
                links,
            }
        })
        .collect();
    Corpus { posts, mix, scripts, brand_posts }
}

/// What [`run`] measured. Rates are posts per second.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// Queries in the engine.
    pub queries: usize,
    /// Posts matched.
    pub posts: usize,
    /// What the posts are made of, asked for.
    pub mix: PostMix,
    /// How many posts of each script of [`SCRIPTS`], as generated.
    pub scripts: [usize; SCRIPTS.len()],
    /// How many posts name one of the brands, as generated.
    pub brand_posts: usize,
    /// Parsing every query and building the engine, in milliseconds.
    pub compile_ms: f64,
    /// The engine's rate on one thread.
    pub engine_posts_per_s: f64,
    /// The threads of [`BenchReport::engine_parallel_posts_per_s`].
    pub threads: usize,
    /// The engine's rate with the posts split across `threads` threads sharing the one engine
    /// (wall-clock time of the whole corpus); equal to the one-thread figure for one thread.
    pub engine_parallel_posts_per_s: f64,
    /// The reference evaluator's rate (each post tokenised once, then every query evaluated),
    /// measured on a sample of posts, one thread.
    pub reference_posts_per_s: f64,
    /// One Aho-Corasick automaton pass over each post's raw text with every literal word of
    /// every query, one thread: no tokenising, no folding beyond ASCII case, no query logic.
    /// A ceiling for any engine that reads each post once, not a matcher.
    pub automaton_pass_posts_per_s: f64,
    /// Matches (query, post) found by the engine over all the posts.
    pub matches: u64,
    /// Posts matched by at least one query.
    pub posts_matched: u64,
    /// Whether the engine and the reference evaluator agreed on every post of the sample.
    pub reference_agrees: bool,
    /// The engine's own estimate of the heap memory it holds ([`crate::EngineStats`]).
    pub engine_heap_bytes: usize,
    /// The worst case of proximity known: [`WORST_PROXIMITY_QUERY`] over
    /// [`worst_proximity_post`], matched by the engine and by the reference evaluator,
    /// microseconds per post (the best of a few runs).
    pub worst_proximity_us: f64,
}

/// A proximity phrase of six repeated words and a seventh: tried assignment by assignment,
/// the positions of six `a` among a hundred make billions of combinations.
pub const WORST_PROXIMITY_QUERY: &str = "\"a a a a a a b\"~100";

/// A post of 241 words for [`WORST_PROXIMITY_QUERY`]: `b`, 120 other words, then `a` 120
/// times, so that every `a` lies more than 100 words from the `b` and the query does not
/// match.
pub fn worst_proximity_post() -> Post {
    let mut words: Vec<String> = vec!["b".into()];
    words.extend((0..120).map(|i| format!("mot{i}")));
    words.extend(std::iter::repeat_n("a".to_owned(), 120));
    Post {
        text: words.join(" "),
        author: "bench".into(),
        lang: Some("fr".into()),
        network: Network::Bluesky,
        links: Vec::new(),
    }
}

/// Matches [`WORST_PROXIMITY_QUERY`] against [`worst_proximity_post`] with the engine and the
/// reference evaluator; the time per post, microseconds, as the best of 20 runs.
pub fn worst_proximity_us() -> f64 {
    let query = Query::parse(WORST_PROXIMITY_QUERY).expect("the worst case is a valid query");
    let engine = Engine::with_queries([(0, query.clone())]);
    let post = worst_proximity_post();
    (0..20)
        .map(|_| {
            let started = Instant::now();
            let tokens = PostTokens::new(black_box(&post));
            assert!(black_box(engine.matches_tokens(&tokens)).is_empty(), "the worst case does not match");
            assert!(!black_box(query.matches_tokens(&tokens)), "the worst case does not match");
            started.elapsed().as_secs_f64() * 1e6
        })
        .fold(f64::INFINITY, f64::min)
}

impl BenchReport {
    /// The report as a JSON object.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"queries\":{},\"posts\":{},\"non_latin_percent\":{},\"brand_percent\":{},\
             \"compile_ms\":{:.1},\"engine_posts_per_s\":{:.0},\"threads\":{},\"engine_parallel_posts_per_s\":{:.0},\
             \"reference_posts_per_s\":{:.1},\"automaton_pass_posts_per_s\":{:.0},\"matches\":{},\
             \"posts_matched\":{},\"reference_agrees\":{},\
             \"engine_heap_bytes\":{},\"worst_proximity_us\":{:.1}}}",
            self.queries,
            self.posts,
            self.mix.non_latin_percent,
            self.mix.brand_percent,
            self.compile_ms,
            self.engine_posts_per_s,
            self.threads,
            self.engine_parallel_posts_per_s,
            self.reference_posts_per_s,
            self.automaton_pass_posts_per_s,
            self.matches,
            self.posts_matched,
            self.reference_agrees,
            self.engine_heap_bytes,
            self.worst_proximity_us
        )
    }
}

/// The largest sample of posts the reference evaluator is timed on, and the number of
/// query evaluations that shrinks it for many queries (to 40 posts at 100,000 queries), so
/// that the slow reference keeps the run short.
const REFERENCE_SAMPLE: usize = 200;
const REFERENCE_EVALUATIONS: usize = 4_000_000;

/// Every literal word of a query's terms, folded: what the automaton pass looks for.
fn literal_words(node: &Node, out: &mut Vec<String>) {
    match node {
        Node::And(children) | Node::Or(children) => children.iter().for_each(|c| literal_words(c, out)),
        Node::Not(child) => literal_words(child, out),
        Node::Near { left, right, .. } => {
            literal_words(left, out);
            literal_words(right, out);
        }
        Node::Term(term) => out.extend(term.pattern.segments().into_iter().map(|(_, _, s)| s)),
        Node::Phrase { terms, .. } => {
            out.extend(terms.iter().flat_map(|t| t.pattern.segments()).map(|(_, _, s)| s))
        }
        Node::Field(_) => {}
    }
}

fn per_second(items: usize, started: Instant) -> f64 {
    items as f64 / started.elapsed().as_secs_f64().max(1e-9)
}

/// How many passes over the corpus the engine and the automaton are timed on; the best counts, as
/// the one least disturbed by whatever else the machine runs.
const PASSES: usize = 3;

/// The best rate of `PASSES` runs of `pass` over `items` items, after one untimed run that
/// brings the data into the caches.
fn best_rate(items: usize, mut pass: impl FnMut()) -> f64 {
    pass();
    (0..PASSES)
        .map(|_| {
            let started = Instant::now();
            pass();
            per_second(items, started)
        })
        .fold(0.0, f64::max)
}

/// The engine is shared between threads as the listener shares it.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Engine>();
};

/// [`run_with`] with the realistic mix, on one thread.
pub fn run(queries: usize, posts: usize) -> BenchReport {
    run_with(queries, posts, PostMix::REALISTIC, 1)
}

/// Generates `queries` queries and `posts` posts of `mix` and times the engine (on one thread,
/// then on `threads` threads sharing it, the posts split among them), the reference evaluator
/// (on a sample of 20 to 200 posts) and one automaton pass over the posts' raw text. The engine
/// and the automaton are each timed as the best of three passes after a warm-up pass.
pub fn run_with(queries: usize, posts: usize, mix: PostMix, threads: usize) -> BenchReport {
    let threads = threads.max(1);
    let texts = generate_queries(queries, 1);
    let generated = generate_corpus(posts, queries, 2, mix);
    let corpus = &generated.posts;

    let started = Instant::now();
    let parsed: Vec<Query> =
        texts.iter().map(|t| Query::parse(t).expect("generated queries are valid")).collect();
    let engine = Engine::with_queries(parsed.iter().cloned().enumerate().map(|(i, q)| (i as u64, q)));
    let compile_ms = started.elapsed().as_secs_f64() * 1000.0;

    let mut matches = 0u64;
    let mut posts_matched = 0u64;
    let engine_posts_per_s = best_rate(corpus.len(), || {
        let (m, p) = corpus.iter().fold((0u64, 0u64), |(m, p), post| {
            let found = black_box(engine.matches(post)).len() as u64;
            (m + found, p + u64::from(found > 0))
        });
        (matches, posts_matched) = (m, p);
    });
    let engine_parallel_posts_per_s = if threads == 1 {
        engine_posts_per_s
    } else {
        let chunk = corpus.len().div_ceil(threads).max(1);
        best_rate(corpus.len(), || {
            let engine = &engine;
            let found: u64 = std::thread::scope(|scope| {
                let handles: Vec<_> = corpus
                    .chunks(chunk)
                    .map(|part| {
                        scope.spawn(move || {
                            part.iter().map(|post| black_box(engine.matches(post)).len() as u64).sum::<u64>()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().expect("a matching thread panicked")).sum()
            });
            assert_eq!(found, matches, "the threads find what one thread finds");
        })
    };

    let sample_size = (REFERENCE_EVALUATIONS / queries.max(1)).clamp(20, REFERENCE_SAMPLE);
    let sample = &corpus[..corpus.len().min(sample_size)];
    let started = Instant::now();
    let mut expected = Vec::with_capacity(sample.len());
    for post in sample {
        let tokens = PostTokens::new(post);
        let ids: Vec<u64> = parsed
            .iter()
            .enumerate()
            .filter(|(_, q)| q.matches_tokens(&tokens))
            .map(|(i, _)| i as u64)
            .collect();
        expected.push(ids);
    }
    let reference_posts_per_s = per_second(sample.len(), started);
    let reference_agrees = sample.iter().zip(&expected).all(|(post, ids)| engine.matches(post) == *ids);

    let mut words: Vec<String> = Vec::new();
    for query in &parsed {
        literal_words(query.root(), &mut words);
    }
    words.sort_unstable();
    words.dedup();
    let kind = if words.len() <= 25_000 { AhoCorasickKind::DFA } else { AhoCorasickKind::ContiguousNFA };
    let automaton = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(kind))
        .build(&words)
        .expect("query words are short");
    let automaton_pass_posts_per_s = best_rate(corpus.len(), || {
        black_box(
            corpus.iter().map(|post| automaton.find_iter(black_box(&post.text)).count()).sum::<usize>(),
        );
    });

    BenchReport {
        queries,
        posts,
        mix,
        scripts: generated.scripts,
        brand_posts: generated.brand_posts,
        compile_ms,
        engine_posts_per_s,
        threads,
        engine_parallel_posts_per_s,
        reference_posts_per_s,
        automaton_pass_posts_per_s,
        matches,
        posts_matched,
        reference_agrees,
        engine_heap_bytes: engine.stats().approx_heap_bytes,
        worst_proximity_us: worst_proximity_us(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_has_the_mix_asked_for() {
        let mix = PostMix::new(30.0, 1.0).expect("a valid mix");
        let corpus = generate_corpus(20_000, 1_000, 3, mix);
        assert_eq!(corpus.scripts.iter().sum::<usize>(), 20_000);
        let non_latin = 20_000 - corpus.scripts[0];
        assert!((5_400..=6_600).contains(&non_latin), "about 30 % non-Latin: {non_latin}");
        assert!(
            (120..=280).contains(&corpus.brand_posts),
            "about 1 % naming a brand: {}",
            corpus.brand_posts
        );
        for (i, script) in SCRIPTS.iter().enumerate() {
            assert!(corpus.scripts[i] > 0, "some posts in {script}");
        }
        let japanese =
            corpus.posts.iter().find(|p| p.lang.as_deref() == Some("ja")).expect("a Japanese post");
        assert!(japanese.text.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)), "{}", japanese.text);
        let latin = generate_corpus(2_000, 1_000, 3, PostMix::LATIN_BRAND_HEAVY);
        assert_eq!(latin.scripts[0], 2_000);
        assert!(PostMix::new(101.0, 1.0).unwrap_err().contains("non_latin_percent"));
        assert!(PostMix::new(1.0, -1.0).unwrap_err().contains("brand_percent"));
    }

    #[test]
    fn threads_share_the_engine_and_find_the_same_matches() {
        let one = run_with(50, 400, PostMix::REALISTIC, 1);
        let three = run_with(50, 400, PostMix::REALISTIC, 3);
        assert_eq!(one.matches, three.matches);
        assert_eq!(three.threads, 3);
        assert!(three.engine_parallel_posts_per_s > 0.0);
        assert!(one.reference_agrees && three.reference_agrees);
        assert!(one.posts_matched <= one.matches);
    }
}
