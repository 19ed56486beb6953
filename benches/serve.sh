#!/usr/bin/env bash
# Measures a release build of `tutti serve`: start-up time to a ready /readyz on an existing
# database, idle memory, and latency of the sign-in page and of GET /api/v1/me under a short
# local load from a second process (wrk). Usage: benches/serve.sh [RUNS]
# Needs: a release build (cargo build --release), curl and wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=${CARGO_TARGET_DIR:-target}/release/tutti
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 1; }
data=$(mktemp -d)
port=18931
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT

"$bin" --data-dir "$data" demo >/dev/null
token=$("$bin" --data-dir "$data" token create --email camille.martin@demo.tutti.test --name bench)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== start-up to a ready /readyz (existing database), $runs runs"
times=()
for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "$bin" --data-dir "$data" serve --listen 127.0.0.1:$port >/dev/null 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do :; done
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
    kill $pid; wait $pid 2>/dev/null || true
done
printf '%s\n' "${times[@]}" | tr '\n' ' '; echo "ms; median $(printf '%s\n' "${times[@]}" | median) ms"

"$bin" --data-dir "$data" serve --listen 127.0.0.1:$port >/dev/null 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do :; done
sleep 2
echo "== idle resident memory: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status)"

echo "== GET /login, 10 s, 2 threads, 16 connections"
wrk -t2 -c16 -d10s --latency "http://127.0.0.1:$port/login" | sed -n '/Latency Distribution/,/Requests\/sec/p'
echo "== GET /api/v1/me with a bearer token, 10 s, 2 threads, 16 connections"
wrk -t2 -c16 -d10s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/me" | sed -n '/Latency Distribution/,/Requests\/sec/p'
echo "== memory after load: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status)"
echo "== server-side p99 from /metrics (histogram buckets, seconds)"
curl -s "http://127.0.0.1:$port/metrics" | grep -E 'tutti_http_request_duration_seconds_(bucket|count)\{method="GET",route="/(login|api/v1/me)"' | grep -E 'le="0.001"|le="0.0025"|le="0.005"|_count'
