#!/usr/bin/env bash
# bench-ab.sh: compares two revisions of concord on a 3-server durable
# cluster, in one run: builds both, then for each round starts a fresh
# cluster of A, runs the set, stops it, does the same for B, and so on,
# alternating, so that noise on the machine hits both alike. Prints each
# run's ops/s and, per op, the medians and the ratio B/A; beside them the
# servers' CPU time per operation (user + system of the three processes
# over the run, from /proc), which other load on a shared machine sways
# less than throughput.
#
#   scripts/bench-ab.sh A_REV B_REV            e.g. HEAD~1 HEAD, or a rev and "."
#
# Settings (environment):
#   AB_SET       "op:clients:where ..." where is leader or spread (default below)
#   AB_ROUNDS    rounds (5); AB_DURATION  length of each run (5s)
#   GO           the go command (go)
# "." as a revision builds the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
A=${1:?usage: bench-ab.sh A_REV B_REV}
B=${2:?usage: bench-ab.sh A_REV B_REV}
SET=${AB_SET:-"get:64:leader get-consistent:64:leader get:64:spread get-consistent:64:spread put:64:leader"}
ROUNDS=${AB_ROUNDS:-5}
DURATION=${AB_DURATION:-5s}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/concord-ab.XXXXXX")
PIDS=()
cleanup() {
	stop_cluster
	for d in "$TMP"/src-*; do [[ -d $d ]] && git worktree remove --force "$d" >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# build NAME REV: builds REV (or the working tree for ".") as $TMP/NAME.
build() {
	local name=$1 rev=$2
	if [[ $rev == . ]]; then
		$GO build -o "$TMP/$name" ./cmd/concord
	else
		git worktree add --detach "$TMP/src-$name" "$rev" >/dev/null 2>&1
		(cd "$TMP/src-$name" && $GO build -o "$TMP/$name" ./cmd/concord)
	fi
}

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# start_cluster BIN: three durable servers; sets ADDRS and LEADER.
start_cluster() {
	local bin=$1 i first="" addrs=() dir
	for i in 1 2 3; do
		local http=127.0.0.1:$(free_port) serf=127.0.0.1:$(free_port)
		[[ -n $first ]] || first=$serf
		dir=$(mktemp -d "$TMP/data.XXXXXX")
		"$bin" agent -server -bootstrap-expect=3 -data-dir="$dir" -node="ab-s$i" -log-level=warn \
			-bind=127.0.0.1 -client=127.0.0.1 -http-port="${http#*:}" -dns-port=-1 \
			-server-port="$(free_port)" -serf-lan-port="${serf#*:}" -serf-wan-port="$(free_port)" \
			-retry-join="$first" -retry-interval=200ms >>"$TMP/cluster.log" 2>&1 &
		PIDS+=($!)
		addrs+=("$http")
	done
	ADDRS=$(IFS=,; echo "${addrs[*]}")
	local deadline=$((SECONDS + 60)) a
	LEADER=""
	while [[ -z $LEADER ]]; do
		((SECONDS < deadline)) || { tail -20 "$TMP/cluster.log" >&2; exit 1; }
		sleep 0.1
		curl -sf -o /dev/null "http://${addrs[0]}/v1/kv/?keys" || continue
		for a in "${addrs[@]}"; do
			if curl -sf "http://$a/v1/agent/self" | grep -q '"leader":"true"'; then LEADER=$a; fi
		done
	done
}

stop_cluster() { stop_pids; }

# cpu_ticks prints the CPU time the cluster's processes have used, in
# clock ticks (utime + stime, fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
	local pid total=0
	for pid in "${PIDS[@]}"; do
		total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
	done
	echo "$total"
}
HZ=$(getconf CLK_TCK)

build a "$A"
build b "$B"
echo "A = $A, B = $B; $ROUNDS rounds of $DURATION per run"
for round in $(seq "$ROUNDS"); do
	for name in a b; do
		start_cluster "$TMP/$name"
		for spec in $SET; do
			IFS=: read -r op clients where <<<"$spec"
			addr=$LEADER
			[[ $where == spread ]] && addr=$ADDRS
			# CPU is counted over the whole command, with the data bench
			# writes first (prepare): the same for A and B.
			t0=$(cpu_ticks)
			line=$("$TMP/$name" bench -http-addr="$addr" -op="$op" -clients="$clients" -duration="$DURATION")
			t1=$(cpu_ticks)
			ops=$(tr ' ' '\n' <<<"$line" | sed -n 's|^ops/s=||p')
			n=$(tr ' ' '\n' <<<"$line" | sed -n 's|^ops=||p')
			cpu=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.1f", (n > 0 ? d / hz * 1e6 / n : 0) }')
			echo "round $round $name $spec $ops $cpu" | tee -a "$TMP/results"
		done
		stop_cluster
	done
done
echo
# median NAME SPEC COLUMN: the median of COLUMN over NAME's runs of SPEC.
median() {
	awk -v n="$1" -v s="$2" -v c="$3" '$3 == n && $4 == s { print $c }' "$TMP/results" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
echo "| op | clients | where | A ops/s (median) | B ops/s (median) | B/A | A server CPU µs/op | B server CPU µs/op | B/A |"
echo "|---|---|---|---|---|---|---|---|---|"
for spec in $SET; do
	IFS=: read -r op clients where <<<"$spec"
	ma=$(median a "$spec" 5) mb=$(median b "$spec" 5) ca=$(median a "$spec" 6) cb=$(median b "$spec" 6)
	echo "| $op | $clients | $where | $ma | $mb | $(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", b / a }') |" \
		"$ca | $cb | $(awk -v a="$ca" -v b="$cb" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "—" }') |"
done
