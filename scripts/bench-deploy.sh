#!/usr/bin/env bash
# bench-deploy.sh: the deployment-path benchmark (issue 16): 3 durable
# servers and 1 client agent on loopback, as applications meet Concord in a
# real deployment. 64 clients of `concord bench` run each op through the
# client agent (which forwards every call to a server over the internal RPC)
# and spread over the three servers (followers forward to the leader). With
# BENCH_CONSUL=path/to/consul the same topology of Consul runs in the same
# run, after Concord's, with the same client, and the table gets ratio
# columns. `make bench-deploy` runs it; `make bench` runs it after bench.sh.
#
# It replaces the "## Deployment path" section of bench/results.md (or adds
# it at the end), leaving the rest of the file as it is.
#
# Settings (environment):
#   BENCH_DURATION   length of each run                        (5s)
#   BENCH_DEPLOY_SET runs, "op:clients:where" each; where is agent or
#                    spread (the servers)                      (the set below)
#   BENCH_CONSUL     a consul binary: run the same set against Consul too
#   BENCH_PROFILE    a directory: with it every agent serves /debug/pprof
#                    (enable_debug) and each run saves CPU profiles of the
#                    client agent, the leader and a follower there
#   BENCH_DNS_CACHE  1: the client agent answers DNS from its cache
#                    (dns_config.use_cache, both systems)   (0)
#   BENCH_OUT        the report                                (bench/results.md)
#   BENCH_REV        build this git revision instead of the working tree
#   GO               the go command                            (go)
#
# The Consul path starts Consul with the flags its documentation gives
# (-server, -bootstrap-expect, -retry-join, -http-port, ...); it has not been
# run here: this machine has no consul binary.
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
DURATION=${BENCH_DURATION:-5s}
SET=${BENCH_DEPLOY_SET:-"put:64:agent put:64:spread get:64:agent get:64:spread get-consistent:64:agent
get-consistent:64:spread health:64:agent dns-srv:64:agent"}
CONSUL=${BENCH_CONSUL:-}
PROFILE=${BENCH_PROFILE:-}
DNS_CACHE=${BENCH_DNS_CACHE:-0}
OUT=${BENCH_OUT:-bench/results.md}
KEYS=1000
INSTANCES=50
SECTION="## Deployment path: 3 servers + 1 client agent"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/concord-deploy.XXXXXX")
PIDS=()
cleanup() {
	stop_pids
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# field NAME LINE prints NAME's value in a `concord bench` report line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s|^$1=||p"; }

# cpu_ticks PID... prints the CPU time the processes have used, in clock
# ticks (utime + stime, fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
	local pid total=0
	for pid in "$@"; do
		total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
	done
	echo "$total"
}
HZ=$(getconf CLK_TCK)

# start_topology KIND BIN: starts 3 durable servers and a client agent of
# KIND (concord or consul) from BIN, joined through the first server's
# gossip port, and waits until a KV read through the client agent works.
# Sets SERVERS (HTTP addresses, comma-separated), AGENT and DNS (the client
# agent's HTTP and DNS addresses), LEADER and FOLLOWER (HTTP addresses).
start_topology() {
	local kind=$1 bin=$2 i first="" http serf addrs=() name
	local extra=()
	if [[ $kind == consul ]]; then
		# No gRPC ports (a server opens grpc_tls by default).
		extra=(-grpc-port=-1 -hcl 'ports { grpc_tls = -1 }')
	else
		extra=(-hcl 'limits { http_max_conns_per_client = 0 }')
	fi
	[[ -z $PROFILE ]] || extra+=(-hcl 'enable_debug = true')
	[[ $DNS_CACHE != 1 ]] || extra+=(-hcl 'dns_config { use_cache = true }')
	for i in 0 1 2 3; do
		http=127.0.0.1:$(free_port)
		serf=127.0.0.1:$(free_port)
		local dns=-1 role=(-server -bootstrap-expect=3)
		name="deploy-s$i"
		if ((i == 3)); then
			DNS=127.0.0.1:$(free_port)
			dns=${DNS#*:}
			role=()
			name="deploy-client"
			AGENT=$http
		else
			addrs+=("$http")
		fi
		[[ -n $first ]] || first=$serf
		mkdir -p "$TMP/$kind-$i"
		"$bin" agent "${role[@]}" -data-dir="$TMP/$kind-$i" -node="$name" -log-level=warn \
			-bind=127.0.0.1 -client=127.0.0.1 -http-port="${http#*:}" -dns-port="$dns" \
			-server-port="$(free_port)" -serf-lan-port="${serf#*:}" -serf-wan-port="$(free_port)" \
			-retry-join="$first" -retry-interval=200ms "${extra[@]}" >>"$TMP/$kind.log" 2>&1 &
		PIDS+=($!)
	done
	SERVERS=$(IFS=,; echo "${addrs[*]}")
	local deadline=$((SECONDS + 90)) a
	LEADER="" FOLLOWER=""
	while [[ -z $LEADER ]]; do
		((SECONDS < deadline)) || { log "$kind: no leader after 90 s"; tail -30 "$TMP/$kind.log" >&2; exit 1; }
		sleep 0.1
		curl -sf -o /dev/null "http://$AGENT/v1/kv/?keys" || continue
		for a in "${addrs[@]}"; do
			# Stats.consul.leader in both Concord's and Consul's answer.
			if curl -sf "http://$a/v1/agent/self" | grep -q '"leader":"true"'; then
				LEADER=$a
			fi
		done
	done
	for a in "${addrs[@]}"; do [[ $a == "$LEADER" ]] || FOLLOWER=$a; done
}

# profile KIND SPEC: saves CPU profiles of the client agent, the leader and
# a follower over most of the run that is starting, in the background.
profile() {
	local kind=$1 spec=$2 secs who addr
	secs=$(($(sed 's/[^0-9].*//' <<<"$DURATION") - 1))
	((secs >= 1)) || secs=1
	mkdir -p "$PROFILE"
	for who in agent leader follower; do
		case $who in agent) addr=$AGENT ;; leader) addr=$LEADER ;; follower) addr=$FOLLOWER ;; esac
		curl -sf -o "$PROFILE/$kind-${spec//:/-}-$who.pprof" \
			"http://$addr/debug/pprof/profile?seconds=$secs" &
	done
}

# run_set KIND BIN: starts the topology, runs the set, records
# "KIND spec result-line" in $TMP/results, stops the topology.
run_set() {
	local kind=$1 bin=$2 spec op n where addr line
	log "starting 3 $kind servers and a client agent"
	start_topology "$kind" "$bin"
	for spec in $SET; do
		IFS=: read -r op n where <<<"$spec"
		addr=$AGENT
		[[ $where == spread ]] && addr=$SERVERS
		local args=(-op="$op" -clients="$n" -duration="$DURATION" -http-addr="$addr" -dns-addr="$DNS")
		case $op in
		health | dns-a | dns-srv) args+=(-keys="$INSTANCES") ;;
		*) args+=(-keys="$KEYS") ;;
		esac
		[[ -z $PROFILE ]] || profile "$kind" "$spec"
		log "$kind: concord bench ${args[*]}"
		# CPU per operation of the client agent (PIDS[3]) and of the three
		# servers, over the whole command (with the data bench writes first).
		local a0 s0 a1 s1
		a0=$(cpu_ticks "${PIDS[3]}") s0=$(cpu_ticks "${PIDS[@]:0:3}")
		line=$("$TMP/concord" bench "${args[@]}" || true)
		a1=$(cpu_ticks "${PIDS[3]}") s1=$(cpu_ticks "${PIDS[@]:0:3}")
		log "  $line"
		wait_profiles
		echo "$kind $spec $line agentcpu=$(per_op $((a1 - a0)) "$line") servercpu=$(per_op $((s1 - s0)) "$line")" >>"$TMP/results"
		sleep 1
	done
	stop_pids
}

# per_op TICKS LINE prints TICKS of CPU per operation of LINE's run, in µs.
per_op() {
	awk -v d="$1" -v hz="$HZ" -v n="$(field ops "$2")" 'BEGIN { if (n > 0) printf "%.0f", d / hz * 1e6 / n; else print "—" }'
}

# wait_profiles waits for the profile downloads started by profile (the
# agents' own PIDs are not waited for: they keep running).
wait_profiles() {
	local j
	for j in $(jobs -p); do
		[[ " ${PIDS[*]} " == *" $j "* ]] || wait "$j" 2>/dev/null || true
	done
}

# result KIND SPEC NAME prints NAME from KIND's line for SPEC ("" if none).
result() {
	local line
	line=$(awk -v k="$1" -v s="$2" '$1 == k && $2 == s { $1 = ""; $2 = ""; print }' "$TMP/results")
	[[ -n $line ]] && field "$3" "$line"
}

commas() { sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta' <<<"$1"; }

# section prints the Markdown section for the results.
section() {
	local spec op n where ours theirs ratio p99 cp99 p99r
	echo "$SECTION"
	echo
	echo "Written by \`make bench-deploy\` (scripts/bench-deploy.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'), $BUILT,"
	echo "$(nproc) CPUs; load average before the runs: $LOAD_BEFORE. Three durable servers and one client agent"
	echo "on loopback; each run is $DURATION of \`concord bench\` (one keep-alive connection per client),"
	echo "either all on the client agent (which forwards every call to a server over the internal RPC) or"
	echo "spread over the three servers (followers forward writes and default reads to the leader)."
	echo "health is \`?passing\` of a service with $INSTANCES instances; dns-srv asks the client agent's DNS (dns_config.use_cache: $([[ $DNS_CACHE == 1 ]] && echo on || echo off))."
	echo "CPU µs/op is the CPU time (user + system, from /proc) the client agent and the three servers used"
	echo "over the run, per operation: a steadier measure than ops/s on a machine shared with other work."
	if [[ -n $CONSUL ]]; then
		echo "Consul: $("$CONSUL" version 2>/dev/null | head -1), the same topology in the same run, after Concord's."
	else
		echo "No Consul in this run (BENCH_CONSUL=path/to/consul adds it, with ratio columns)."
	fi
	echo
	if [[ -n $CONSUL ]]; then
		echo "| op | clients | through | ops/s | p50 | p99 | errors | CPU µs/op agent | CPU µs/op servers | Consul ops/s | Consul p99 | Consul CPU µs/op agent | Consul CPU µs/op servers | ops/s vs Consul | p99 vs Consul |"
		echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	else
		echo "| op | clients | through | ops/s | p50 | p99 | errors | CPU µs/op agent | CPU µs/op servers |"
		echo "|---|---:|---|---:|---:|---:|---:|---:|---:|"
	fi
	for spec in $SET; do
		IFS=: read -r op n where <<<"$spec"
		ours=$(result concord "$spec" ops/s)
		local through="client agent"
		[[ $where == spread ]] && through="3 servers"
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |' "$op" "$n" "$through" "$(commas "${ours:-—}")" \
			"$(result concord "$spec" p50)" "$(result concord "$spec" p99)" "$(result concord "$spec" errors)" \
			"$(result concord "$spec" agentcpu)" "$(result concord "$spec" servercpu)"
		if [[ -n $CONSUL ]]; then
			theirs=$(result consul "$spec" ops/s)
			p99=$(result concord "$spec" p99)
			cp99=$(result consul "$spec" p99)
			ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (a > 0 && b > 0) printf "%.2f×", a / b; else print "—" }')
			p99r=$(awk -v a="$(ms "$p99")" -v b="$(ms "$cp99")" 'BEGIN { if (a > 0 && b > 0) printf "%.2f×", a / b; else print "—" }')
			printf ' %s | %s | %s | %s | %s | %s |' "$(commas "${theirs:-—}")" "${cp99:-—}" \
				"$(result consul "$spec" agentcpu)" "$(result consul "$spec" servercpu)" "$ratio" "$p99r"
		fi
		echo
	done
	echo
}

# ms DURATION prints a Go duration ("812µs", "1.5ms", "2s") in milliseconds.
ms() {
	awk -v d="$1" 'BEGIN {
		if (d ~ /µs$/) { sub(/µs$/, "", d); print d / 1000 }
		else if (d ~ /ms$/) { sub(/ms$/, "", d); print d + 0 }
		else if (d ~ /s$/) { sub(/s$/, "", d); print d * 1000 }
		else print 0 }'
}

# replace_section FILE: puts the section from stdin in FILE in place of the
# old one (from its heading to the next "## " heading), or at the end.
replace_section() {
	local file=$1 new
	new=$(cat)
	[[ -f $file ]] || : >"$file"
	awk -v head="$SECTION" -v new="$new" '
		$0 == head { print new; skip = 1; done = 1; next }
		skip && /^## / { skip = 0 }
		!skip { print }
		END { if (!done) { print ""; print new } }' "$file" >"$TMP/out"
	mv "$TMP/out" "$file"
}

build_concord "${BENCH_REV:-}"
if [[ -n $CONSUL ]]; then
	[[ -x $CONSUL ]] || { log "BENCH_CONSUL=$CONSUL is not an executable"; exit 2; }
fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$TMP/results"

run_set concord "$TMP/concord"
[[ -z $CONSUL ]] || run_set consul "$CONSUL"

mkdir -p "$(dirname "$OUT")"
section | replace_section "$OUT"
log "wrote the deployment-path section of $OUT"
[[ -z $PROFILE ]] || log "profiles in $PROFILE"
