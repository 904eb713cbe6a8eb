#!/usr/bin/env bash
# bench-acl.sh: the cost of ACLs on writes. On a 3-server durable cluster,
# runs `concord bench -op=put -clients=64` against the leader with ACLs off
# (A) and with ACLs on, default deny, every request carrying a token whose
# only rule is `key_prefix "concord-bench/" { policy = "write" }` (B: the
# leader agent's default token, so the bench sends none and each request
# resolves and authorizes it). Rounds alternate A and B so that noise on
# the machine hits both alike; prints each run and the medians' ratio B/A.
#
#   scripts/bench-acl.sh        settings: ACL_ROUNDS (5), ACL_DURATION (5s), GO (go)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
ROUNDS=${ACL_ROUNDS:-5}
DURATION=${ACL_DURATION:-5s}
ROOT=00000000-0000-4000-8000-0000000b0071
APP=00000000-0000-4000-8000-0000000b0072

TMP=$(mktemp -d "${TMPDIR:-/tmp}/concord-acl.XXXXXX")
PIDS=()
cleanup() { stop_cluster; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

$GO build -o "$TMP/concord" ./cmd/concord

# start_cluster MODE: three durable servers, ACLs on when MODE is "on";
# sets LEADER.
start_cluster() {
	local mode=$1 i first="" addrs=() dir hcl=""
	[[ $mode == on ]] && hcl="acl { enabled = true default_policy = \"deny\" tokens { initial_management = \"$ROOT\" agent = \"$ROOT\" } }"
	for i in 1 2 3; do
		local http=127.0.0.1:$(free_port) serf=127.0.0.1:$(free_port)
		[[ -n $first ]] || first=$serf
		dir=$(mktemp -d "$TMP/data.XXXXXX")
		"$TMP/concord" agent -server -bootstrap-expect=3 -data-dir="$dir" -node="acl-s$i" -log-level=warn \
			-bind=127.0.0.1 -client=127.0.0.1 -http-port="${http#*:}" -dns-port=-1 \
			-server-port="$(free_port)" -serf-lan-port="${serf#*:}" -serf-wan-port="$(free_port)" \
			-retry-join="$first" -retry-interval=200ms ${hcl:+-hcl="$hcl"} >>"$TMP/cluster.log" 2>&1 &
		PIDS+=($!)
		addrs+=("$http")
	done
	local deadline=$((SECONDS + 60)) a
	LEADER=""
	while [[ -z $LEADER ]]; do
		((SECONDS < deadline)) || { tail -20 "$TMP/cluster.log" >&2; exit 1; }
		sleep 0.1
		curl -sf -o /dev/null -H "X-Consul-Token: $ROOT" "http://${addrs[0]}/v1/kv/?keys" || continue
		for a in "${addrs[@]}"; do
			if curl -sf -H "X-Consul-Token: $ROOT" "http://$a/v1/agent/self" | grep -q '"leader":"true"'; then LEADER=$a; fi
		done
	done
	[[ $mode == on ]] || return 0
	local policy
	policy=$(curl -sf -X PUT -H "X-Consul-Token: $ROOT" "http://$LEADER/v1/acl/policy" \
		-d '{"Name":"bench","Rules":"key_prefix \"concord-bench/\" { policy = \"write\" }"}' | sed 's/.*"ID":"\([^"]*\)".*/\1/')
	curl -sf -o /dev/null -X PUT -H "X-Consul-Token: $ROOT" "http://$LEADER/v1/acl/token" \
		-d "{\"SecretID\":\"$APP\",\"Policies\":[{\"ID\":\"$policy\"}]}"
	curl -sf -o /dev/null -X PUT -H "X-Consul-Token: $ROOT" "http://$LEADER/v1/agent/token/default" -d "{\"Token\":\"$APP\"}"
	# The token is in effect: a put under the prefix passes, one outside is refused.
	curl -sf -o /dev/null -X PUT "http://$LEADER/v1/kv/concord-bench/probe" -d x
	[[ $(curl -s -o /dev/null -w '%{http_code}' -X PUT "http://$LEADER/v1/kv/elsewhere" -d x) == 403 ]]
}

stop_cluster() { stop_pids; }

echo "A = ACLs off, B = ACLs on (key_prefix write token); $ROUNDS rounds of put@64 for $DURATION"
for round in $(seq "$ROUNDS"); do
	for mode in off on; do
		start_cluster "$mode"
		ops=$("$TMP/concord" bench -http-addr="$LEADER" -op=put -clients=64 -duration="$DURATION" |
			tr ' ' '\n' | sed -n 's|^ops/s=||p')
		echo "round $round $mode $ops" | tee -a "$TMP/results"
		stop_cluster
	done
done
median() { awk -v m="$1" '$3 == m { print $4 }' "$TMP/results" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ma=$(median off)
mb=$(median on)
echo "put@64 median ops/s: off $ma, on $mb, on/off $(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", b / a }')"
