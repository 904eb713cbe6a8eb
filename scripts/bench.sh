#!/usr/bin/env bash
# bench.sh: Concord's standard benchmark (issue 8). `make bench` runs it.
#
# It builds concord, starts a durable single server on loopback with free
# ports, runs the standard set of `concord bench` runs against it, then
# measures memory: RSS idle and after loading N keys of 256 B into a fresh
# server, the load time, the data dir size and the time to restart from it.
# Everything goes to bench/results.md, beside Consul's figures from issue 8.
# Data dirs and processes are removed at the end, whatever happens.
#
# Settings (environment):
#   BENCH_DURATION   length of each run                    (5s)
#   BENCH_SET        runs, "op:clients" or "watch:W" each   (the standard set below; "" skips)
#   BENCH_KEYS       keys the kv ops spread over            (1000)
#   BENCH_INSTANCES  service instances health and dns read  (50)
#   BENCH_MEM_KEYS   key counts of the memory figures       ("100000 1000000"; "" skips)
#   BENCH_OUT        the report                              (bench/results.md)
#   BENCH_CLUSTER_ADDRS  comma-separated HTTP addresses of a running cluster to
#                    run the cluster set against (see the cluster hook below)
#   BENCH_REV        build this git revision (e.g. HEAD) instead of the working tree
#   GO               the go command                          (go)
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
DURATION=${BENCH_DURATION:-5s}
SET=${BENCH_SET-"put:1 put:16 put:64 get:64 get-consistent:64 get-stale:64 cas:16 txn:16 lock:8 session:16
health:16 dns-a:16 dns-srv:16 watch:100 watch:1000 register:16"}
KEYS=${BENCH_KEYS:-1000}
INSTANCES=${BENCH_INSTANCES:-50}
MEM_KEYS=${BENCH_MEM_KEYS-"100000 1000000"}
OUT=${BENCH_OUT:-bench/results.md}
CLUSTER_SET="put:1 put:64 get:64 get-consistent:64 lock:8 watch:1000"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/concord-bench.XXXXXX")
SERVER_PID=""
cleanup() {
	stop_server
	stop_cluster
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# start_server DATA_DIR: starts a durable single server on fresh ports and
# waits for its leader. Sets SERVER_PID, HTTP and DNS.
start_server() {
	local dir=$1
	HTTP=127.0.0.1:$(free_port)
	DNS=127.0.0.1:$(free_port)
	"$TMP/concord" agent -server -bootstrap-expect=1 -data-dir="$dir" -node=bench -log-level=warn \
		-bind=127.0.0.1 -client=127.0.0.1 -http-port="${HTTP#*:}" -dns-port="${DNS#*:}" \
		-server-port="$(free_port)" -serf-lan-port="$(free_port)" -serf-wan-port="$(free_port)" \
		-hcl 'limits { http_max_conns_per_client = 0 }' >>"$TMP/agent.log" 2>&1 &
	SERVER_PID=$!
	wait_ready "" || { tail -20 "$TMP/agent.log" >&2; exit 1; }
}

# wait_ready KEY: waits up to 120 s until the server has a leader and, if
# KEY is set, until GET of KEY succeeds.
wait_ready() {
	local key=$1 deadline=$((SECONDS + 120))
	while ((SECONDS < deadline)); do
		kill -0 "$SERVER_PID" 2>/dev/null || { log "concord agent exited"; return 1; }
		if [[ $(curl -sf "http://$HTTP/v1/status/leader" 2>/dev/null) == '"'?*'"' ]] &&
			{ [[ -z $key ]] || curl -sf -o /dev/null "http://$HTTP/v1/kv/$key"; }; then
			return 0
		fi
		sleep 0.01
	done
	log "concord agent: no leader after 120 s"
	return 1
}

stop_server() {
	if [[ -n $SERVER_PID ]]; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=""
	fi
}

# rss_mib prints the server's resident set in MiB.
rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }

# commas N prints the whole number N with thousands separators.
commas() { sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta' <<<"$1"; }

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# field NAME LINE prints NAME's value in a `concord bench` report line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s|^$1=||p"; }

# Consul 1.22.7's figures from issue 8 (durable single server, same machine
# class): "ops/s|p99|ops/s used for the ratio".
declare -A CONSUL=(
	[put:1]="1,700–1,900|1.1–1.6 ms|1900"
	[put:16]="6,200–7,900|8.4–8.9 ms|7900"
	[put:64]="8,700–9,100|18–20 ms|9100"
	[get:64]="~17,000|15 ms|17000"
	[get-consistent:64]="14,800–16,800|15–17 ms|16800"
	[cas:16]="4,500–5,300|12 ms|5300"
	[lock:8]="510–545|80 ms|545"
	[session:16]="2,700–3,000|20 ms|3000"
	[register:16]="720–890|49–66 ms|890"
	[health:16]="2,400–2,700|22 ms|2700"
	[dns-a:16]="14,300–18,200|5–6 ms|18200"
	[dns-srv:16]="14,300–18,200|5–6 ms|18200"
	[watch:1000]="— (p50 32 ms)|100–160 ms|"
)
# Consul's 3-server cluster figure from issue 8 (the only one it gives).
declare -A CONSUL_CLUSTER=(
	[put:64]="6,600–7,300|—|7300"
)

# run_set TITLE ADDRS RUNS [TABLE]: runs each "op:n" of RUNS against ADDRS
# and appends a Markdown table to $TMP/report, beside Consul's figures from
# TABLE (CONSUL by default).
run_set() {
	local title=$1 addrs=$2 runs=$3 spec op n line ours c_ops c_p99 c_max
	local -n consul=${4:-CONSUL}
	{
		echo "## $title"
		echo
		echo "| op | clients | ops/s | p50 | p99 | p99.9 | errors | Consul ops/s | Consul p99 | ops/s vs Consul |"
		echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	} >>"$TMP/report"
	for spec in $runs; do
		op=${spec%%:*} n=${spec#*:}
		local args=(-op="$op" -duration="$DURATION" -http-addr="$addrs" -dns-addr="$DNS")
		case $op in
		watch) args+=(-watchers="$n") ;;
		health | dns-a | dns-srv) args+=(-clients="$n" -keys="$INSTANCES") ;;
		*) args+=(-clients="$n" -keys="$KEYS") ;;
		esac
		log "concord bench ${args[*]}"
		line=$("$TMP/concord" bench "${args[@]}")
		log "  $line"
		IFS='|' read -r c_ops c_p99 c_max <<<"${consul[$spec]:-—|—|}"
		ours=$(commas "$(field ops/s "$line")")
		local who=$n ratio="—"
		[[ $op == watch ]] && who="$n watchers, 1 writer" && ours="—"
		[[ -n $c_max && $ours != "—" ]] && ratio=$(awk -v a="$(field ops/s "$line")" -v b="$c_max" 'BEGIN { printf "%.1f×", a / b }')
		echo "| $op | $who | $ours | $(field p50 "$line") | $(field p99 "$line") | $(field p99.9 "$line") |" \
			"$(field errors "$line") | $c_ops | $c_p99 | $ratio |" >>"$TMP/report"
		sleep 1
	done
	echo >>"$TMP/report"
}

# ---- Cluster hook ------------------------------------------------------------
# start_cluster starts three durable servers on loopback that bootstrap
# together (-bootstrap-expect=3, joined through the first one's gossip
# port), waits for a leader, and sets CLUSTER_ADDRS to their HTTP
# addresses, comma-separated; concord bench spreads its clients over them
# (followers forward writes and default reads to the leader).
# BENCH_CLUSTER_ADDRS instead runs the set against a cluster started by hand.
CLUSTER_PIDS=()
start_cluster() {
	local i serf first="" addrs=()
	for i in 1 2 3; do
		local http=127.0.0.1:$(free_port)
		serf=127.0.0.1:$(free_port)
		[[ -n $first ]] || first=$serf
		mkdir -p "$TMP/cluster-$i"
		"$TMP/concord" agent -server -bootstrap-expect=3 -data-dir="$TMP/cluster-$i" -node="bench-s$i" \
			-log-level=warn -bind=127.0.0.1 -client=127.0.0.1 -http-port="${http#*:}" -dns-port=-1 \
			-server-port="$(free_port)" -serf-lan-port="${serf#*:}" -serf-wan-port="$(free_port)" \
			-retry-join="$first" -retry-interval=200ms -hcl 'limits { http_max_conns_per_client = 0 }' \
			>>"$TMP/cluster.log" 2>&1 &
		CLUSTER_PIDS+=($!)
		addrs+=("$http")
	done
	local deadline=$((SECONDS + 60))
	until [[ $(curl -sf "http://${addrs[0]}/v1/status/leader" 2>/dev/null) == '"'?*'"' ]] &&
		curl -sf -o /dev/null "http://${addrs[0]}/v1/kv/?keys"; do
		((SECONDS < deadline)) || { log "cluster: no leader after 60 s"; tail -20 "$TMP/cluster.log" >&2; return 1; }
		sleep 0.05
	done
	CLUSTER_ADDRS=$(IFS=,; echo "${addrs[*]}")
}

stop_cluster() {
	PIDS=("${CLUSTER_PIDS[@]}")
	stop_pids
	CLUSTER_PIDS=()
}

cluster_set() {
	CLUSTER_ADDRS=${BENCH_CLUSTER_ADDRS:-}
	if [[ -z $CLUSTER_ADDRS ]]; then
		start_cluster || return 0
	fi
	local a leader=""
	for a in ${CLUSTER_ADDRS//,/ }; do
		curl -sf "http://$a/v1/agent/self" | grep -q '"leader":"true"' && leader=$a
	done
	if [[ -n $leader ]]; then
		run_set "3-server cluster, clients on the leader" "$leader" "$CLUSTER_SET" CONSUL_CLUSTER
	fi
	run_set "3-server cluster, clients spread over the three servers (followers forward to the leader)" \
		"$CLUSTER_ADDRS" "put:64 get:64 get-consistent:64" CONSUL_CLUSTER
	stop_cluster
}
# -------------------------------------------------------------------------------

# memory N: a fresh server, N keys of 256 B loaded by 64 clients, then a
# restart from the data dir; appends a table row to $TMP/memory.
memory() {
	local n=$1 dir="$TMP/mem-$1" t0 t1 line idle loaded restarted size
	mkdir -p "$dir"
	start_server "$dir"
	sleep 3
	idle=$(rss_mib)
	log "memory: loading $n keys"
	t0=$(now)
	line=$("$TMP/concord" bench -http-addr="$HTTP" -op=load -keys="$n" -clients=64 -duration=1h)
	t1=$(now)
	log "  $line"
	[[ $(field errors "$line") == 0 ]] || { log "load had errors"; exit 1; }
	sleep 3
	loaded=$(rss_mib)
	stop_server
	size=$(du -sm "$dir" | cut -f1)
	local load_s rate restart_s
	load_s=$(secs "$t0" "$t1")
	rate=$(awk -v n="$n" -v s="$load_s" 'BEGIN { printf "%.0f", n / s }')
	t0=$(now)
	start_server "$dir"
	wait_ready "concord-bench/kv/$((n - 1))"
	t1=$(now)
	restart_s=$(secs "$t0" "$t1")
	sleep 3
	restarted=$(rss_mib)
	stop_server
	rm -rf "$dir"
	echo "| $(commas "$n") | $idle MiB | $load_s s ($(commas "$rate") keys/s) | $(commas "$loaded") MiB |" \
		"$(commas "$size") MiB | $restart_s s | $(commas "$restarted") MiB |" >>"$TMP/memory"
}

build_concord "${BENCH_REV:-}"
: >"$TMP/report"
DNS=""
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

if [[ -n $SET ]]; then
	mkdir -p "$TMP/data"
	start_server "$TMP/data"
	run_set "Durable single server" "$HTTP" "$SET"
	stop_server
fi
cluster_set

if [[ -n $MEM_KEYS ]]; then
	{
		echo "| keys | RSS idle | load (64 clients) | RSS loaded | data dir | restart → leader + read of the last key | RSS after restart |"
		echo "|---:|---:|---:|---:|---:|---:|---:|"
	} >"$TMP/memory"
	for n in $MEM_KEYS; do memory "$n"; done
	{
		echo "## Memory (durable single server, 256 B values)"
		echo
		echo "Each row is a fresh server. RSS is VmRSS from /proc, read 3 s after start or load; the data dir"
		echo "size is after a clean shutdown (du: the Raft log preallocates 64 MiB segments). Consul 1.22.7"
		echo "(issue 8): ~107 MiB idle, ~423 MiB after 100k keys (loaded in 12.7 s)."
		echo
		cat "$TMP/memory"
		echo
	} >>"$TMP/report"
fi

mkdir -p "$(dirname "$OUT")"
# make scale's section (scripts/scale.sh, "## Scale: ...") is kept as it was.
SCALE_SECTION=$(awk '/^## Scale:/ { keep = 1 } keep && /^## / && !/^## Scale:/ { keep = 0 } keep' "$OUT" 2>/dev/null || true)
{
	echo "# Concord benchmark results"
	echo
	echo "Written by \`make bench\` (scripts/bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'):"
	echo "$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $("$GO" version | cut -d' ' -f3-4),"
	echo "$BUILT, Linux $(uname -r). Load average before the runs: $LOAD_BEFORE."
	echo
	echo "Each run lasts $DURATION; the load generator (\`concord bench\`, one keep-alive connection per client)"
	echo "runs on the same machine, as Consul's did. Writes carry distinct 256 B values over $KEYS keys; health"
	echo "and dns read a service with $INSTANCES passing instances. A watch sample is the time from a write's"
	echo "acknowledgement to one blocking reader's wake-up (p50/p99 over all wakes). Consul's figures are"
	echo "issue 8's (Consul 1.22.7, durable single server, same machine class); the ratio is ours over the"
	echo "top of Consul's range."
	echo
	cat "$TMP/report"
	[[ -z $SCALE_SECTION ]] || printf '%s\n\n' "$SCALE_SECTION"
} >"$OUT"
log "wrote $OUT"
