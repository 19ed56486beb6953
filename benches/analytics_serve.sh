#!/usr/bin/env bash
# Measures a release build of `tutti serve` (web and worker) on a large analytics workspace:
# `tutti bench analytics` loads a year of posts into a fresh SQLite database (or the PostgreSQL
# database given as DATABASE_URL, which must be empty), then the server answers the overview's
# API (90 days) under a local load from a second process (wrk), and its peak resident memory
# (VmHWM) is read when the load is over. `tutti serve` limits its allocator arenas itself (see
# README, Memory) unless MALLOC_ARENA_MAX is set.
# Usage: benches/analytics_serve.sh [POSTS] [SNAPSHOTS] [SECONDS]
# Needs: a release build (cargo build --release), curl and wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
posts=${1:-1000000}
snapshots=${2:-10000000}
seconds=${3:-30}
bin=${CARGO_TARGET_DIR:-target}/release/tutti
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 1; }
data=$(mktemp -d)
url=${DATABASE_URL:-sqlite://$data/tutti.db}
port=18932
pid=""
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; rm -rf "$data"' EXIT

echo "== loading $posts posts and $snapshots snapshots into ${url%%://*}"
"$bin" --database-url "$url" --data-dir "$data" bench analytics --posts "$posts" --snapshots "$snapshots" \
    --requests 1 --collect 0 >/dev/null
token=$("$bin" --database-url "$url" --data-dir "$data" token create --email smm@bench.test --name load)

"$bin" --database-url "$url" --data-dir "$data" serve --listen 127.0.0.1:$port >/dev/null 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
sleep 2
echo "== resident memory before the load: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status)"

summary="http://127.0.0.1:$port/api/v1/workspaces/bench-analytics/analytics/summary?range=90d"
curl -sf -H "Authorization: Bearer $token" "$summary" | cut -c1-200
echo "== GET the 90-day overview, ${seconds} s, 2 threads, 8 connections"
wrk -t2 -c8 -d"${seconds}s" --latency -H "Authorization: Bearer $token" "$summary" \
    | sed -n '/Latency Distribution/,/Requests\/sec/p'
posts_url="http://127.0.0.1:$port/api/v1/workspaces/bench-analytics/analytics/posts?range=90d&sort=engagements"
echo "== GET the 90-day post table by interactions, ${seconds} s, 2 threads, 8 connections"
wrk -t2 -c8 -d"${seconds}s" --latency -H "Authorization: Bearer $token" "$posts_url" \
    | sed -n '/Latency Distribution/,/Requests\/sec/p'
echo "== peak resident memory of tutti serve: $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$pid/status)"
