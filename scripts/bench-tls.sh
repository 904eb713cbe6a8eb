#!/usr/bin/env bash
# bench-tls.sh: the cost of TLS on the server port. One durable cluster of
# three servers and a client agent per mode: plain (off), or mutual TLS
# with verify_server_hostname on RPC and Raft (on), certificates made by
# `concord tls`. The client agent's HTTP stays plain, so what differs is
# its RPC to the servers (and Raft between them). Each round runs
# put@64 and get@64 through the client agent, then against the leader;
# modes alternate within a round so that machine noise hits both alike.
# Prints each run and the medians' ratios on/off.
#
#   scripts/bench-tls.sh        settings: TLS_ROUNDS (3), TLS_DURATION (5s), GO (go)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
ROUNDS=${TLS_ROUNDS:-3}
DURATION=${TLS_DURATION:-5s}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/concord-tls.XXXXXX")
PIDS=()
cleanup() { stop_pids; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

$GO build -o "$TMP/concord" ./cmd/concord
(cd "$TMP" && ./concord tls ca create && ./concord tls cert create -server && ./concord tls cert create -client) >/dev/null
tls_hcl() { # tls_hcl CERT: the tls block of an agent holding CERT
	printf 'tls { defaults { ca_file = "%s" cert_file = "%s.pem" key_file = "%s-key.pem" verify_incoming = true verify_outgoing = true } internal_rpc { verify_server_hostname = true } }' \
		"$TMP/consul-agent-ca.pem" "$TMP/$1" "$TMP/$1"
}

# agent NAME HTTP SERF MODE ARGS...: starts one agent (gossip on SERF, joining
# $JOIN) in the background.
agent() {
	local name=$1 http=$2 serf=$3 mode=$4 cert=dc1-client-consul-0 hcl=""
	shift 4
	[[ " $* " == *" -server "* ]] && cert=dc1-server-consul-0
	[[ $mode == on ]] && hcl=$(tls_hcl "$cert")
	"$TMP/concord" agent -node="$name" -data-dir="$(mktemp -d "$TMP/data.XXXXXX")" -log-level=warn \
		-bind=127.0.0.1 -client=127.0.0.1 -http-port="$http" -dns-port=-1 -server-port="$(free_port)" \
		-serf-lan-port="${serf#*:}" -serf-wan-port="$(free_port)" -retry-join="$JOIN" -retry-interval=200ms \
		${hcl:+-hcl="$hcl"} "$@" >>"$TMP/cluster.log" 2>&1 &
	PIDS+=($!)
}

# start MODE: three servers and a client agent; sets CLIENT and LEADER.
start() {
	local mode=$1 i servers=() http
	JOIN=127.0.0.1:$(free_port)
	for i in 1 2 3; do
		http=$(free_port)
		servers+=("127.0.0.1:$http")
		local serf=$JOIN
		((i == 1)) || serf=127.0.0.1:$(free_port)
		agent "s$i" "$http" "$serf" "$mode" -server -bootstrap-expect=3
	done
	http=$(free_port)
	CLIENT=127.0.0.1:$http
	agent c1 "$http" "127.0.0.1:$(free_port)" "$mode"
	local deadline=$((SECONDS + 60)) a
	LEADER=""
	until [[ -n $LEADER ]] && curl -sf -o /dev/null -X PUT "http://$CLIENT/v1/kv/concord-bench/probe" -d x; do
		((SECONDS < deadline)) || { tail -20 "$TMP/cluster.log" >&2; exit 1; }
		sleep 0.2
		for a in "${servers[@]}"; do
			if curl -sf "http://$a/v1/agent/self" | grep -q '"leader":"true"'; then LEADER=$a; fi
		done
	done
	"$TMP/concord" bench -http-addr="$LEADER" -op=load >/dev/null
}

echo "off = plain server port, on = mutual TLS + verify_server_hostname; $ROUNDS rounds, $DURATION a run, 64 clients"
for round in $(seq "$ROUNDS"); do
	for mode in off on; do
		start "$mode"
		for target in client leader; do
			addr=$CLIENT
			[[ $target == leader ]] && addr=$LEADER
			for op in put get; do
				ops=$("$TMP/concord" bench -http-addr="$addr" -op=$op -clients=64 -duration="$DURATION" |
					tr ' ' '\n' | sed -n 's|^ops/s=||p')
				echo "round $round $mode $target $op $ops" | tee -a "$TMP/results"
			done
		done
		stop_pids
	done
done
median() { awk -v m="$1" -v t="$2" -v o="$3" '$3 == m && $4 == t && $5 == o { print $6 }' "$TMP/results" |
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for target in client leader; do
	for op in put get; do
		a=$(median off $target $op)
		b=$(median on $target $op)
		echo "$op@64 via $target, median ops/s: off $a, on $b, on/off $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')"
	done
done
