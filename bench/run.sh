#!/usr/bin/env bash
# bench/run.sh: the measurements behind BENCHMARKS.md, in one run.
#
# Installs Debian's wrk, nginx, caddy and haproxy when missing, builds the Go
# programs of bench/ and cellfabric, and, all on loopback against the same
# upstream (bench/upstream):
#   1. throughput: wrk, keep-alive, 64 connections, a warm-up and then a fixed
#      duration, for: the upstream directly, a bare httputil.ReverseProxy
#      (bench/bareproxy), nginx, Caddy, HAProxy and `cellfabric route` with
#      every feature on (header tenant resolution, active health checks,
#      passive outlier detection, metrics, edge signing, request ids);
#   2. latency at a fixed rate (bench/loadgen, open loop, measured from each
#      request's scheduled time) through each, and the latency added over
#      going direct;
#   3. failed requests during 100 registry reloads under load (bench/reloads);
#   4. time to stop sending to a dead cell (bench/deadcell);
#   5. 1,000 malformed requests mixed into normal load: no cell may leave
#      rotation, no normal request may fail (bench/clientfaults);
#   6. the router core's micro-benchmarks (1,000,000-tenant registry) and
#      the cost of one dependent random memory load (bench/memlat).
# It prints one markdown report on stdout; progress goes to stderr.
#
# Environment: DURATION (wrk and loadgen, default 10s), WARMUP (default 3s),
# RATE (loadgen requests/s, default 2000), CONNS (default 64), BASE_PORT
# (default 19100; uses BASE_PORT+1..+7), MICRO=0 to skip step 6,
# INSTALL=0 to skip the package install.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
RATE=${RATE:-2000}
CONNS=${CONNS:-64}
BASE_PORT=${BASE_PORT:-19100}
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

log "building into $W"
for prog in upstream bareproxy loadgen reloads deadcell clientfaults; do
	go build -o "$W/$prog" "./bench/$prog"
done
go build -o "$W/cellfabric" ./cmd/cellfabric

# One upstream for everyone.
"$W/upstream" --listen "127.0.0.1:$P_UP" 2>"$W/upstream.log" &
PIDS+=($!)
"$W/bareproxy" --listen "127.0.0.1:$P_BARE" --upstream "http://127.0.0.1:$P_UP" 2>"$W/bare.log" &
PIDS+=($!)

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
PIDS+=($!)

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
PIDS+=($!)

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
PIDS+=($!)

# cellfabric route: a registry with the upstream as the one cell of tenant
# "bench", an edge key (every request is signed), health checks every 2 s,
# metrics and the admin API on their own listener.
cat >"$W/registry.json" <<EOF
{"version":1,"epoch":1,"unknownTenants":"reject",
 "cells":[{"id":"bench","cloud":"aws","region":"us-east-1","endpoint":"http://127.0.0.1:$P_UP","healthUrl":"http://127.0.0.1:$P_UP/healthz","weight":100,"state":"active"}],
 "tenants":[{"id":"bench","cell":"bench","state":"active"}]}
EOF
CELLFABRIC_EDGE_KEY="bench-edge-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" CELLFABRIC_EDGE_KEY_ID=bench \
	"$W/cellfabric" route --registry "$W/registry.json" --listen "127.0.0.1:$P_CF" --admin "127.0.0.1:$P_CFADMIN" \
	--tenant-from header --health-interval 2s >"$W/route.out" 2>"$W/route.log" &
PIDS+=($!)

declare -A URL=(
	[direct]="http://127.0.0.1:$P_UP/"
	[bare]="http://127.0.0.1:$P_BARE/"
	[nginx]="http://127.0.0.1:$P_NGINX/"
	[caddy]="http://127.0.0.1:$P_CADDY/"
	[haproxy]="http://127.0.0.1:$P_HAP/"
	[cellfabric]="http://127.0.0.1:$P_CF/"
)
TARGETS=(direct bare nginx caddy haproxy cellfabric)

for t in "${TARGETS[@]}"; do
	for _ in $(seq 100); do
		curl -sf -o /dev/null -H 'X-Tenant-ID: bench' "${URL[$t]}" && break
		sleep 0.1
	done
	curl -sf -o /dev/null -H 'X-Tenant-ID: bench' "${URL[$t]}" || { echo "bench: $t does not answer at ${URL[$t]}" >&2; cat "$W"/*.log >&2; exit 1; }
done
curl -sf -D - -o /dev/null -H 'X-Tenant-ID: bench' "${URL[cellfabric]}" | grep -qi '^x-cell-id: bench' ||
	{ echo "bench: cellfabric did not route to the bench cell" >&2; exit 1; }

declare -A RPS P50 P99 ERRS
for t in "${TARGETS[@]}"; do
	log "throughput: $t (warm-up $WARMUP, then $DURATION)"
	wrk -t2 -c"$CONNS" -d"$WARMUP" -H 'X-Tenant-ID: bench' "${URL[$t]}" >/dev/null
	wrk -t2 -c"$CONNS" -d"$DURATION" -H 'X-Tenant-ID: bench' "${URL[$t]}" >"$W/wrk-$t.txt"
	RPS[$t]=$(awk '/^Requests\/sec:/ {print $2}' "$W/wrk-$t.txt")
	bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$W/wrk-$t.txt")
	sock=$(awk -F'[ ,]+' '/Socket errors:/ {print $4+$6+$8+$10}' "$W/wrk-$t.txt")
	ERRS[$t]=$(( ${bad:-0} + ${sock:-0} ))
done
for t in "${TARGETS[@]}"; do
	log "latency: $t at $RATE requests/s for $DURATION"
	line=$("$W/loadgen" --url "${URL[$t]}" --rate "$RATE" --duration "$DURATION" --warmup 2s --conns "$CONNS" \
		--header 'X-Tenant-ID: bench' --label "$t" | awk -F'\t' '$1 == "RESULT"')
	P50[$t]=$(echo "$line" | cut -f5)
	P99[$t]=$(echo "$line" | cut -f7)
	lerr=$(echo "$line" | cut -f4)
	ERRS[$t]=$(( ${ERRS[$t]} + lerr ))
done

log "registry reloads under load"
RELOADS=$("$W/reloads" --reloads 100)
log "dead cell"
DEAD=$("$W/deadcell" --trials 10 --interval 500ms)
log "client faults under load"
FAULTS=$("$W/clientfaults" --faults 1000)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1000 }'; }
added() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", (a - b) / 1000 }'; }

cpu=$(awk -F: '/model name/ {gsub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo)
echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr);" \
	"$(go version | awk '{print $3}'); wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}'), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')," \
	"Caddy $(caddy version | awk '{print $1}'), HAProxy $(haproxy -v | awk 'NR==1 {print $3}'). Load generator, proxies and upstream share the cores."
echo
echo "Throughput: \`wrk -t2 -c$CONNS -d$DURATION\` after a $WARMUP warm-up. Latency: \`loadgen --rate $RATE --conns $CONNS --duration $DURATION\` (open loop)."
echo
echo "| target | req/s | cellfabric ÷ target | p50 ms | p99 ms | p50 added ms | p99 added ms | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for t in "${TARGETS[@]}"; do
	echo "| $t | ${RPS[$t]} | $(ratio "${RPS[cellfabric]}" "${RPS[$t]}") | $(ms "${P50[$t]}") | $(ms "${P99[$t]}") | $(added "${P50[$t]}" "${P50[direct]}") | $(added "${P99[$t]}" "${P99[direct]}") | ${ERRS[$t]} |"
done
echo
verdict() { if awk -v v="$1" -v t="$2" "BEGIN { exit !(v $3 t) }"; then echo "met"; else echo "NOT met"; fi; }
vs_caddy=$(ratio "${RPS[cellfabric]}" "${RPS[caddy]}")
vs_bare=$(ratio "${RPS[cellfabric]}" "${RPS[bare]}")
p99_added=$(awk -v a="${P99[cellfabric]}" -v b="${P99[direct]}" 'BEGIN { printf "%.3f", (a - b) / 1000 }')
echo "Targets:"
echo "- throughput ≥ Caddy: cellfabric ÷ Caddy = $vs_caddy → $(verdict "$vs_caddy" 1.0 '>=')"
echo "- throughput ≥ 0.9 × bare proxy: cellfabric ÷ bare = $vs_bare → $(verdict "$vs_bare" 0.9 '>=')"
echo "- p99 added ≤ 1 ms at $RATE req/s: $p99_added ms → $(verdict "$p99_added" 1.0 '<=')"
echo
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
