#!/usr/bin/env bash
# bench/trace.sh: what tracing costs the router, in one run: its CPU per
# request with tracing off, sampled at 1% and at 100%, by run.sh's method
# (bench/loadgen at a fixed rate below saturation, open loop; the router
# process's own CPU time over the measured window divided by the requests
# in it). The router is `cellfabric route` as run.sh runs it (header
# tenant, edge signing, health checks, metrics) on ENGINE, in front of
# bench/upstream; with tracing on it exports over OTLP/HTTP to
# bench/otlpsink (the collector's own receiver, in its own process, not
# counted). A new router is started for each setting. It prints a markdown
# table on stdout; progress goes to stderr.
#
# Environment: DURATION (each measurement, default 15s), WARMUP (default
# 3s), RATE (requests/s, default 2000), RATE_CONNS (default 32), ENGINE
# (fasthttp or nethttp, default fasthttp), SAMPLES (default "0 0.01 1"),
# BASE_PORT (default 19300; uses BASE_PORT..+3).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
RATE=${RATE:-2000}
RATE_CONNS=${RATE_CONNS:-32}
ENGINE=${ENGINE:-fasthttp}
SAMPLES=${SAMPLES:-0 0.01 1}
BASE_PORT=${BASE_PORT:-19300}
P_UP=$BASE_PORT P_SINK=$((BASE_PORT + 1)) P_CF=$((BASE_PORT + 2)) P_ADMIN=$((BASE_PORT + 3))

log() { echo "bench: $*" >&2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/cellfabric-trace-bench.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

log "building"
go build -o "$W/cellfabric" ./cmd/cellfabric
for prog in upstream loadgen otlpsink; do go build -o "$W/$prog" "./bench/$prog"; done

"$W/upstream" --listen "127.0.0.1:$P_UP" 2>"$W/upstream.log" &
PIDS+=($!)
"$W/otlpsink" --listen "127.0.0.1:$P_SINK" >"$W/sink.out" 2>"$W/sink.log" &
SINK=$!
PIDS+=($SINK)
cat >"$W/registry.json" <<JSON
{"version":1,"epoch":1,"unknownTenants":"reject",
 "cells":[{"id":"bench","cloud":"aws","region":"us-east-1","endpoint":"http://127.0.0.1:$P_UP","healthUrl":"http://127.0.0.1:$P_UP/healthz","weight":100,"state":"active"}],
 "tenants":[{"id":"bench","cell":"bench","state":"active"}]}
JSON
export CELLFABRIC_EDGE_KEY="bench-edge-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" CELLFABRIC_EDGE_KEY_ID=bench

declare -A CPU P50 P99 SENT ERRS DROPPED EXPORTED
for s in $SAMPLES; do
	"$W/cellfabric" route --registry "$W/registry.json" --listen "127.0.0.1:$P_CF" --admin "127.0.0.1:$P_ADMIN" \
		--tenant-from header --health-interval 2s --engine "$ENGINE" \
		--trace-sample "$s" --trace-endpoint "http://127.0.0.1:$P_SINK" >"$W/route-$s.out" 2>"$W/route-$s.log" &
	pid=$!
	for _ in $(seq 100); do
		curl -sf -o /dev/null -H 'X-Tenant-ID: bench' "http://127.0.0.1:$P_CF/" && break
		sleep 0.1
	done
	curl -sf -o /dev/null -H 'X-Tenant-ID: bench' "http://127.0.0.1:$P_CF/" || { cat "$W/route-$s.log" >&2; exit 1; }
	log "trace sample $s: $RATE requests/s over $RATE_CONNS connections for $DURATION (CPU of pid $pid)"
	line=$("$W/loadgen" --url "http://127.0.0.1:$P_CF/" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" --conns "$RATE_CONNS" \
		--header 'X-Tenant-ID: bench' --label "sample-$s" --cpu-pid "$pid" | awk -F'\t' '$1 == "RESULT"')
	IFS=$'\t' read -r _ _ SENT[$s] ERRS[$s] P50[$s] _ P99[$s] _ _ CPU[$s] _ <<<"$line"
	metrics=$(curl -sf "http://127.0.0.1:$P_ADMIN/metrics")
	DROPPED[$s]=$(awk '$1 == "cellfabric_router_trace_spans_dropped_total" {print $2}' <<<"$metrics")
	EXPORTED[$s]=$(awk '$1 == "cellfabric_router_trace_spans_exported_total" {print $2}' <<<"$metrics")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
done

echo "| tracing | router CPU per request (µs) | p50 (ms) | p99 (ms) | requests | errors | spans exported | spans dropped |"
echo "|---|---|---|---|---|---|---|---|"
for s in $SAMPLES; do
	name="off (--trace-sample 0)"
	[ "$s" = 0 ] || name="--trace-sample $s"
	echo "| $name | ${CPU[$s]} | $(awk -v u="${P50[$s]}" 'BEGIN{printf "%.2f", u/1000}') | $(awk -v u="${P99[$s]}" 'BEGIN{printf "%.2f", u/1000}') | ${SENT[$s]} | ${ERRS[$s]} | ${EXPORTED[$s]:--} | ${DROPPED[$s]:--} |"
done
