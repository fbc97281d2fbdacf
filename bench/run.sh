#!/usr/bin/env bash
# bench/run.sh: the measurements behind BENCHMARKS.md, in one run.
#
# Installs Debian's wrk, nginx, caddy and haproxy when missing, builds the Go
# programs of bench/ and cellfabric, and, all on loopback against the same
# upstream (bench/upstream), for every target (the upstream directly, a bare
# httputil.ReverseProxy (bench/bareproxy), nginx, Caddy, HAProxy and
# `cellfabric route` with every feature on: header tenant resolution, active
# health checks, passive outlier detection, metrics, edge signing, request
# ids; once on each engine: cellfabric (the default engine: evloop, the
# event loops, on Linux), cellfabric-fasthttp and cellfabric-nethttp; and
# cellfabric-1p, the default engine with GOMAXPROCS=1):
#   1. CPU per request and latency at a fixed rate below saturation:
#      bench/loadgen, open loop (latency from each request's scheduled
#      time), RATE requests/s over RATE_CONNS connections; the target's own
#      CPU time (user + system of the process, its threads and its child
#      processes, from /proc/PID/stat) over the measured window divided by
#      the requests in it;
#   2. peak throughput: wrk, keep-alive, CONNS connections, closed loop, a
#      warm-up and then a fixed duration;
#   3. with PROFILE=dir, a CPU profile and an allocation profile of each
#      cellfabric target at the fixed rate (from its --pprof endpoint),
#      grouped by layer per request (bench/profgroup);
#   4. failed requests during 100 registry reloads under load (bench/reloads);
#   5. time to stop sending to a dead cell (bench/deadcell);
#   6. 1,000 malformed requests mixed into normal load: no cell may leave
#      rotation, no normal request may fail (bench/clientfaults);
#   7. the router core's micro-benchmarks (1,000,000-tenant registry) and
#      the cost of one dependent random memory load (bench/memlat).
# It prints one markdown report on stdout; progress goes to stderr.
#
# Environment: DURATION (each measurement, default 10s), WARMUP (default
# 3s), RATE (fixed rate, requests/s, default 3000), RATE_CONNS (its
# connections, default 32), CONNS (wrk's connections, default 64),
# BASE_PORT (default 19100; uses BASE_PORT+1..+13), TARGETS (which targets,
# space-separated, default all), PROFILE=dir for step 3, EXTRAS=0 to skip
# steps 4-6, MICRO=0 to skip step 7, INSTALL=0 to skip the package install.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
RATE=${RATE:-3000}
RATE_CONNS=${RATE_CONNS:-32}
CONNS=${CONNS:-64}
BASE_PORT=${BASE_PORT:-19100}
ALL_TARGETS="direct bare nginx caddy haproxy cellfabric-nethttp cellfabric-fasthttp cellfabric cellfabric-1p"
TARGETS=${TARGETS:-$ALL_TARGETS}
PROFILE=${PROFILE:-}
EXTRAS=${EXTRAS:-1}
MICRO=${MICRO:-1}
INSTALL=${INSTALL:-1}

log() { echo "bench: $*" >&2; }

if [ "$INSTALL" = 1 ]; then
	missing=()
	for bin in wrk nginx caddy haproxy; do
		command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		sudo=""
		[ "$(id -u)" = 0 ] || sudo=sudo
		log "installing ${missing[*]}"
		$sudo apt-get update >&2
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y wrk nginx caddy haproxy >&2
	fi
fi
for bin in wrk nginx caddy haproxy curl go; do
	command -v "$bin" >/dev/null 2>&1 || { echo "bench: $bin is missing" >&2; exit 1; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/cellfabric-bench.XXXXXX")
chmod 755 "$W"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

P_UP=$((BASE_PORT + 1)) P_BARE=$((BASE_PORT + 2)) P_NGINX=$((BASE_PORT + 3)) P_CADDY=$((BASE_PORT + 4))
P_HAP=$((BASE_PORT + 5)) P_CF=$((BASE_PORT + 6)) P_CFADMIN=$((BASE_PORT + 7))
P_CFF=$((BASE_PORT + 8)) P_CFFADMIN=$((BASE_PORT + 9))
P_CF1=$((BASE_PORT + 10)) P_CF1ADMIN=$((BASE_PORT + 11))
P_CFE=$((BASE_PORT + 12)) P_CFEADMIN=$((BASE_PORT + 13))

log "building into $W"
for prog in upstream bareproxy loadgen profgroup reloads deadcell clientfaults; do
	go build -o "$W/$prog" "./bench/$prog"
done
go build -o "$W/cellfabric" ./cmd/cellfabric

# One upstream for everyone.
# PID[target] is the process whose CPU (with its threads and children) the
# target is charged.
declare -A PID
"$W/upstream" --listen "127.0.0.1:$P_UP" 2>"$W/upstream.log" &
PIDS+=($!) PID[direct]=$!
"$W/bareproxy" --listen "127.0.0.1:$P_BARE" --upstream "http://127.0.0.1:$P_UP" 2>"$W/bare.log" &
PIDS+=($!) PID[bare]=$!

mkdir -p "$W/nginx"
cat >"$W/nginx.conf" <<EOF
worker_processes auto;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $W/nginx/body;
	proxy_temp_path $W/nginx/proxy;
	fastcgi_temp_path $W/nginx/fastcgi;
	uwsgi_temp_path $W/nginx/uwsgi;
	scgi_temp_path $W/nginx/scgi;
	upstream up { server 127.0.0.1:$P_UP; keepalive 128; }
	server {
		listen 127.0.0.1:$P_NGINX;
		location / {
			proxy_pass http://up;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
}
EOF
nginx -c "$W/nginx.conf" -p "$W/nginx" -g 'daemon off;' 2>"$W/nginx/stderr.log" &
PIDS+=($!) PID[nginx]=$!

cat >"$W/Caddyfile" <<EOF
{
	admin off
	auto_https off
}
http://127.0.0.1:$P_CADDY {
	reverse_proxy 127.0.0.1:$P_UP {
		transport http {
			keepalive_idle_conns_per_host 128
		}
	}
}
EOF
XDG_DATA_HOME="$W" XDG_CONFIG_HOME="$W" caddy run --config "$W/Caddyfile" --adapter caddyfile 2>"$W/caddy.log" &
PIDS+=($!) PID[caddy]=$!

cat >"$W/haproxy.cfg" <<EOF
global
	maxconn 4096
defaults
	mode http
	timeout connect 5s
	timeout client 60s
	timeout server 60s
	option http-keep-alive
	http-reuse always
frontend fe
	bind 127.0.0.1:$P_HAP
	default_backend be
backend be
	server up 127.0.0.1:$P_UP maxconn 1000
EOF
haproxy -f "$W/haproxy.cfg" -db 2>"$W/haproxy.log" &
PIDS+=($!) PID[haproxy]=$!

# cellfabric route: a registry with the upstream as the one cell of tenant
# "bench", an edge key (every request is signed), health checks every 2 s,
# metrics and the admin API on their own listener (with the profiles of
# --pprof only when PROFILE asks for them).
cat >"$W/registry.json" <<EOF
{"version":1,"epoch":1,"unknownTenants":"reject",
 "cells":[{"id":"bench","cloud":"aws","region":"us-east-1","endpoint":"http://127.0.0.1:$P_UP","healthUrl":"http://127.0.0.1:$P_UP/healthz","weight":100,"state":"active"}],
 "tenants":[{"id":"bench","cell":"bench","state":"active"}]}
EOF
# The same router on each engine: cellfabric (no --engine: the default,
# evloop on Linux), cellfabric-fasthttp and cellfabric-nethttp.
PPROF=()
[ -z "$PROFILE" ] || PPROF=(--pprof)
EDGE_KEY="bench-edge-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
declare -A ADMIN=([cellfabric]=$P_CFADMIN [cellfabric-nethttp]=$P_CFFADMIN [cellfabric-1p]=$P_CF1ADMIN [cellfabric-fasthttp]=$P_CFEADMIN)
CELLFABRIC_EDGE_KEY="$EDGE_KEY" CELLFABRIC_EDGE_KEY_ID=bench \
	"$W/cellfabric" route --registry "$W/registry.json" --listen "127.0.0.1:$P_CF" --admin "127.0.0.1:$P_CFADMIN" \
	--tenant-from header --health-interval 2s "${PPROF[@]}" >"$W/route.out" 2>"$W/route.log" &
PIDS+=($!) PID[cellfabric]=$!
CELLFABRIC_EDGE_KEY="$EDGE_KEY" CELLFABRIC_EDGE_KEY_ID=bench \
	"$W/cellfabric" route --registry "$W/registry.json" --listen "127.0.0.1:$P_CFF" --admin "127.0.0.1:$P_CFFADMIN" \
	--tenant-from header --health-interval 2s --engine nethttp "${PPROF[@]}" >"$W/route-nethttp.out" 2>"$W/route-nethttp.log" &
PIDS+=($!) PID[cellfabric-nethttp]=$!
# cellfabric-1p: the default engine held to one core (GOMAXPROCS=1), not
# the router's default: what the Go scheduler's idle-P spinning costs.
GOMAXPROCS=1 CELLFABRIC_EDGE_KEY="$EDGE_KEY" CELLFABRIC_EDGE_KEY_ID=bench \
	"$W/cellfabric" route --registry "$W/registry.json" --listen "127.0.0.1:$P_CF1" --admin "127.0.0.1:$P_CF1ADMIN" \
	--tenant-from header --health-interval 2s "${PPROF[@]}" >"$W/route-1p.out" 2>"$W/route-1p.log" &
PIDS+=($!) PID[cellfabric-1p]=$!
# cellfabric-fasthttp: the fasthttp engine (--engine fasthttp), the
# default where evloop does not run.
CELLFABRIC_EDGE_KEY="$EDGE_KEY" CELLFABRIC_EDGE_KEY_ID=bench \
	"$W/cellfabric" route --registry "$W/registry.json" --listen "127.0.0.1:$P_CFE" --admin "127.0.0.1:$P_CFEADMIN" \
	--tenant-from header --health-interval 2s --engine fasthttp "${PPROF[@]}" >"$W/route-fasthttp.out" 2>"$W/route-fasthttp.log" &
PIDS+=($!) PID[cellfabric-fasthttp]=$!

declare -A URL=(
	[direct]="http://127.0.0.1:$P_UP/"
	[bare]="http://127.0.0.1:$P_BARE/"
	[nginx]="http://127.0.0.1:$P_NGINX/"
	[caddy]="http://127.0.0.1:$P_CADDY/"
	[haproxy]="http://127.0.0.1:$P_HAP/"
	[cellfabric]="http://127.0.0.1:$P_CF/"
	[cellfabric-nethttp]="http://127.0.0.1:$P_CFF/"
	[cellfabric-1p]="http://127.0.0.1:$P_CF1/"
	[cellfabric-fasthttp]="http://127.0.0.1:$P_CFE/"
)
read -r -a TARGETS <<<"$TARGETS"
for t in "${TARGETS[@]}"; do
	[ -n "${URL[$t]:-}" ] || { echo "bench: unknown target $t; known: $ALL_TARGETS" >&2; exit 1; }
done

for t in "${TARGETS[@]}"; do
	for _ in $(seq 100); do
		curl -sf -o /dev/null -H 'X-Tenant-ID: bench' "${URL[$t]}" && break
		sleep 0.1
	done
	curl -sf -o /dev/null -H 'X-Tenant-ID: bench' "${URL[$t]}" || { echo "bench: $t does not answer at ${URL[$t]}" >&2; cat "$W"/*.log >&2; exit 1; }
done
for t in cellfabric cellfabric-nethttp cellfabric-1p cellfabric-fasthttp; do
	curl -sf -D - -o /dev/null -H 'X-Tenant-ID: bench' "${URL[$t]}" | grep -qi '^x-cell-id: bench' ||
		{ echo "bench: $t did not route to the bench cell" >&2; exit 1; }
done

declare -A RPS P50 P90 P99 P999 CPU SENT ERRS
for t in "${TARGETS[@]}"; do
	log "fixed rate: $t at $RATE requests/s over $RATE_CONNS connections for $DURATION (CPU of pid ${PID[$t]} and its children)"
	line=$("$W/loadgen" --url "${URL[$t]}" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" --conns "$RATE_CONNS" \
		--header 'X-Tenant-ID: bench' --label "$t" --cpu-pid "${PID[$t]}" | awk -F'\t' '$1 == "RESULT"')
	IFS=$'\t' read -r _ _ _ lerr P50[$t] P90[$t] P99[$t] P999[$t] _ CPU[$t] SENT[$t] <<<"$line"
	ERRS[$t]=$lerr
done
for t in "${TARGETS[@]}"; do
	log "throughput: $t (warm-up $WARMUP, then $DURATION, $CONNS connections)"
	wrk -t2 -c"$CONNS" -d"$WARMUP" -H 'X-Tenant-ID: bench' "${URL[$t]}" >/dev/null
	wrk -t2 -c"$CONNS" -d"$DURATION" -H 'X-Tenant-ID: bench' "${URL[$t]}" >"$W/wrk-$t.txt"
	RPS[$t]=$(awk '/^Requests\/sec:/ {print $2}' "$W/wrk-$t.txt")
	bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$W/wrk-$t.txt")
	sock=$(awk -F'[ ,]+' '/Socket errors:/ {print $4+$6+$8+$10}' "$W/wrk-$t.txt")
	ERRS[$t]=$(( ${ERRS[$t]} + ${bad:-0} + ${sock:-0} ))
done

PROFILES=""
if [ -n "$PROFILE" ]; then
	secs=15
	reqs=$((RATE * secs))
	for t in "${TARGETS[@]}"; do
		case $t in cellfabric*) ;; *) continue ;; esac
		dir="$PROFILE/$t"
		mkdir -p "$dir"
		log "profiles: $t at $RATE requests/s, ${secs}s of CPU profile and of allocations, into $dir"
		"$W/loadgen" --url "${URL[$t]}" --rate "$RATE" --duration "$((secs + 4))s" --warmup "$WARMUP" --conns "$RATE_CONNS" \
			--header 'X-Tenant-ID: bench' --label profile >"$W/profile-load.txt" &
		load=$!
		sleep "${WARMUP%s}"
		sleep 2
		curl -sf -o "$dir/cpu.pprof" "http://127.0.0.1:${ADMIN[$t]}/debug/pprof/profile?seconds=$secs" &
		cpuprof=$!
		curl -sf -o "$dir/allocs.pprof" "http://127.0.0.1:${ADMIN[$t]}/debug/pprof/allocs?seconds=$secs"
		wait "$cpuprof"
		wait "$load"
		cp "$W/cellfabric" "$dir/cellfabric"
		PROFILES+="$t, CPU, ${secs} s at $RATE requests/s ($reqs requests; \`go run ./bench/profgroup --requests $reqs $t/cpu.pprof\`):

$("$W/profgroup" --requests "$reqs" "$dir/cpu.pprof")

$t, allocations over the same ${secs} s (\`go run ./bench/profgroup --alloc --requests $reqs $t/allocs.pprof\`):

$("$W/profgroup" --alloc --requests "$reqs" "$dir/allocs.pprof")

"
	done
fi

if [ "$EXTRAS" = 1 ]; then
	log "registry reloads under load"
	RELOADS=$("$W/reloads" --reloads 100)
	log "dead cell"
	DEAD=$("$W/deadcell" --trials 10 --interval 500ms)
	log "client faults under load"
	FAULTS=$("$W/clientfaults" --faults 1000)
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1000 }'; }
added() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", (a - b) / 1000 }'; }

cpu=$(awk -F: '/model name/ {gsub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo)
echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr);" \
	"$(go version | awk '{print $3}'); wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}'), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')," \
	"Caddy $(caddy version | awk '{print $1}'), HAProxy $(haproxy -v | awk 'NR==1 {print $3}'). Load generator, proxies and upstream share the cores." \
	"nginx runs \`worker_processes auto\` ($(nproc) workers), HAProxy its default threads, the Go programs GOMAXPROCS=$(nproc) (cellfabric-1p: 1). Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "Fixed rate: \`loadgen --rate $RATE --conns $RATE_CONNS --duration $DURATION\` (open loop, after a $WARMUP warm-up); CPU is the target's own (its process, threads and child processes, from /proc/PID/stat) over the measured window, per request. Throughput: \`wrk -t2 -c$CONNS -d$DURATION\` after a $WARMUP warm-up (closed loop)."
echo
has() { [ -n "${CPU[$1]:-}" ]; }
echo "| target | CPU µs per request at $RATE/s | CPU ÷ nginx | req/s, $CONNS conns | req/s ÷ nginx | p50 ms | p90 ms | p99 ms | p99.9 ms | p99 added ms | sent/s | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for t in "${TARGETS[@]}"; do
	cn="-" rn="-" add="-"
	if has nginx; then cn=$(ratio "${CPU[$t]}" "${CPU[nginx]}"); rn=$(ratio "${RPS[$t]}" "${RPS[nginx]}"); fi
	if has direct; then add=$(added "${P99[$t]}" "${P99[direct]}"); fi
	echo "| $t | ${CPU[$t]} | $cn | ${RPS[$t]} | $rn | $(ms "${P50[$t]}") | $(ms "${P90[$t]}") | $(ms "${P99[$t]}") | $(ms "${P999[$t]}") | $add | ${SENT[$t]} | ${ERRS[$t]} |"
done
echo
verdict() { if awk -v v="$1" -v t="$2" "BEGIN { exit !(v $3 t) }"; then echo "met"; else echo "NOT met"; fi; }
if has nginx; then
	echo "Targets (issue 15), the same run:"
	for t in "${TARGETS[@]}"; do
		case $t in cellfabric*) ;; *) continue ;; esac
		c=$(ratio "${CPU[$t]}" "${CPU[nginx]}") r=$(ratio "${RPS[$t]}" "${RPS[nginx]}")
		echo "- $t: CPU per request ≤ 2 × nginx: $c × → $(verdict "$c" 2.0 '<='); throughput ≥ 0.8 × nginx: $r × → $(verdict "$r" 0.8 '>=')"
	done
	echo
fi
if [ -n "$PROFILES" ]; then
	echo "Where cellfabric's CPU goes (profiles in $PROFILE; the profiler sees less CPU than /proc charges, so read shares):"
	echo
	echo "$PROFILES"
	echo
fi
if [ "$EXTRAS" = 1 ]; then
echo "Registry reloads under load (\`bench/reloads --reloads 100\`):"
echo
echo '```'
echo "$RELOADS" | grep -v '^RESULT'
echo '```'
echo
echo "Dead cell (\`bench/deadcell --trials 10 --interval 500ms\`):"
echo
echo '```'
echo "$DEAD" | grep -v '^RESULT'
echo '```'
echo
echo "Client faults under load (\`bench/clientfaults --faults 1000\`):"
echo
echo '```'
echo "$FAULTS" | grep -v '^RESULT'
echo '```'
fi
if [ "$MICRO" = 1 ]; then
	log "router core micro-benchmarks"
	echo
	echo "Router core (\`go test -run '^\$' -bench 'Decide1M|DecidePlacement|LoadRegistry1M' -benchmem -count 3 ./router/\`):"
	echo
	echo '```'
	go test -run '^$' -bench 'Decide1M|DecidePlacement|LoadRegistry1M' -benchmem -count 3 ./router/ | grep -E '^(Benchmark|cpu)'
	echo '```'
fi
if [ "$MICRO" = 1 ]; then
	log "memory latency (the floor under a decision for an uncached tenant)"
	echo
	echo "Dependent random loads (\`go run ./bench/memlat\`):"
	echo
	go run ./bench/memlat
fi
