//! Prints the engine's benchmark report as JSON lines: 10,000 then 100,000 queries (or the
//! counts given as arguments: `bench QUERIES POSTS`), with the peak memory of the process.
//! Run it in release mode: `cargo run --release -p tutti-listen --example bench`.

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let runs = match args.as_slice() {
        [queries, posts] => vec![(*queries, *posts)],
        [queries] => vec![(*queries, 100_000)],
        _ => vec![(10_000, 100_000), (100_000, 100_000)],
    };
    for (queries, posts) in runs {
        let report = tutti_listen::bench::run(queries, posts);
        let json = report.to_json();
        match peak_rss_mb() {
            Some(mb) => println!("{},\"peak_rss_mb\":{mb:.0}}}", json.trim_end_matches('}')),
            None => println!("{json}"),
        }
    }
}
