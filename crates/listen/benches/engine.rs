//! Criterion benchmarks of the engine: matching a post against 10,000 queries, compiling them,
//! and one change at 100,000 queries.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tutti_listen::bench::{generate_posts, generate_queries};
use tutti_listen::{Engine, Query};

fn parsed(n: usize) -> Vec<(u64, Query)> {
    generate_queries(n, 1).iter().enumerate().map(|(i, t)| (i as u64, Query::parse(t).unwrap())).collect()
}

fn matching(c: &mut Criterion) {
    let queries = parsed(10_000);
    let engine = Engine::with_queries(queries);
    let posts = generate_posts(1_000, 10_000, 2);
    let mut group = c.benchmark_group("match");
    group.throughput(Throughput::Elements(posts.len() as u64));
    group.sample_size(20);
    group.bench_function("10k queries, 1k posts", |b| {
        b.iter(|| posts.iter().map(|p| engine.matches(p).len()).sum::<usize>())
    });
    group.finish();
}

fn compiling(c: &mut Criterion) {
    let texts = generate_queries(10_000, 1);
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.bench_function("10k queries", |b| {
        b.iter(|| {
            Engine::with_queries(texts.iter().enumerate().map(|(i, t)| (i as u64, Query::parse(t).unwrap())))
        })
    });
    group.finish();
}

fn changing(c: &mut Criterion) {
    let mut engine = Engine::with_queries(parsed(100_000));
    let extra = Query::parse("(Nouveaumot OR nouv*) AND NOT spam").unwrap();
    let mut group = c.benchmark_group("change at 100k");
    group.sample_size(20);
    group.bench_function("insert then remove", |b| {
        b.iter_batched(
            || extra.clone(),
            |q| {
                engine.insert(1_000_000, q);
                engine.remove(1_000_000)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, matching, compiling, changing);
criterion_main!(benches);
