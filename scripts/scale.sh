#!/usr/bin/env bash
# scale.sh: the scale harness (issue 22). `make scale` runs it.
#
# It builds concord and starts SCALE_SERVERS durable servers and
# SCALE_CLIENTS client agents as processes, each on its own loopback
# address (servers 127.77.0.N, agents 127.77.1.N, ...; same ports on every
# address), each agent registering SCALE_SERVICES services with a TTL check
# that starts passing. Then it measures, in this order:
#   1. servers started → a leader; then agents started in waves of
#      SCALE_WAVE (each waited for), and from the last wave's start →
#      every member alive in the leader's member list, and every service
#      instance passing in the catalog;
#   2. RSS (and its anonymous part) of each server and client agent, the
#      private memory and proportional share of each agent (smaps_rollup), and
#      the leader's and the agents' CPU over 10 idle seconds (serfHealth,
#      anti-entropy, gossip), and the bytes each agent's gossip sent in
#      those seconds (memberlist's UDP and TCP counters in its metrics);
#   3. blocking-query fan-out: one watcher per agent on a service's health,
#      one catalog change, time from its acknowledgement to each wake-up
#      (concord bench -op watch-service);
#   4. put throughput through all the agents (concord bench -op put);
#   5. SCALE_KILLS agents killed (-9) one after the other, while puts run
#      through other agents: time until the leader lists each as failed;
#   6. a follower server killed (-9) and a new server started: time until
#      the new one is a voter and the dead one is out of the Raft config;
#   7. a catalog of SCALE_INSTANCES instances of one service: health
#      ?passing latency and DNS SRV queries per second against the leader;
#      then a snapshot of the whole state: size, save and restore time.
# All along, a monitor polls the leader's member list and counts members
# other than the killed ones that are ever not alive (false alarms), and
# the Raft term is compared at the start and the end (elections).
# The figures replace the "## Scale:" section of SCALE_OUT (bench/results.md),
# which bench.sh keeps.
# Processes and data dirs are removed at the end, whatever happens.
#
# Settings (environment):
#   SCALE_SERVERS    servers                               (5)
#   SCALE_CLIENTS    client agents                         (100)
#   SCALE_WAVE       agents started together; each wave is waited for (alive
#                    in the leader's list, up to 60 s) before the next, and
#                    convergence is timed from the last wave's start. 100
#                    starts on 2 cores saturate the machine for minutes (see
#                    docs/scale.md), so the default is waves (10); set it to
#                    SCALE_CLIENTS to start all at once
#   SCALE_SERVICES   services per agent                    (5)
#   SCALE_KILLS      agents killed one by one              (10)
#   SCALE_INSTANCES  instances of the large catalog        (10000)
#   SCALE_DURATION   length of each bench run              (5s)
#   SCALE_OUT        the report                            (bench/results.md)
#   SCALE_LOGS       a directory to keep the agents' logs in (none)
#   SCALE_SERVER_HCL extra HCL for the servers, e.g. 'performance { raft_multiplier = 5 }'
#                    on a machine too busy for the default 400 ms Raft timeouts (none)
#   GO               the go command                        (go)
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
SERVERS=${SCALE_SERVERS:-5}
CLIENTS=${SCALE_CLIENTS:-100}
SERVICES=${SCALE_SERVICES:-5}
WAVE=${SCALE_WAVE:-10}
KILLS=${SCALE_KILLS:-10}
INSTANCES=${SCALE_INSTANCES:-10000}
DURATION=${SCALE_DURATION:-5s}
OUT=${SCALE_OUT:-bench/results.md}
SERVER_HCL=${SCALE_SERVER_HCL:-}
NET=127.77

command -v jq >/dev/null || { echo "scale.sh needs jq" >&2; exit 1; }
((KILLS <= CLIENTS / 2)) || { echo "SCALE_KILLS must be at most half of SCALE_CLIENTS" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/concord-scale.XXXXXX")
PIDS=()
declare -A PID     # node name → pid
MONITOR=""
LOADER=""
cleanup() {
	if [[ -n ${SCALE_LOGS:-} ]]; then
		mkdir -p "$SCALE_LOGS" && cp "$TMP"/*.log "$TMP"/detect "$TMP"/alarms "$SCALE_LOGS"/ 2>/dev/null || true
	fi
	[[ -z $MONITOR ]] || kill "$MONITOR" 2>/dev/null || true
	[[ -z $LOADER ]] || kill "$LOADER" 2>/dev/null || true
	stop_pids
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

now() { date +%s.%N; }
# ms A B prints B - A (seconds) in whole milliseconds.
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'; }

# took START END NOTE prints END - START in ms, or when END is empty (it
# did not happen in time) "not within 120 s (NOTE)".
took() {
	if [[ -n $2 ]]; then
		echo "$(ms "$1" "$2") ms"
	else
		echo "not within 120 s ($3)"
	fi
}

# ip NAME prints the loopback address of node NAME (sN, cN).
ip() {
	local n=${1:1}
	case $1 in
	s*) echo "$NET.0.$n" ;;
	c*) echo "$NET.$((1 + (n - 1) / 250)).$((1 + (n - 1) % 250))" ;;
	esac
}

HTTP_PORT=$(free_port)
SERF_PORT=$(free_port)
SERVER_PORT=$(free_port)
WAN_PORT=$(free_port)
DNS_PORT=$(free_port)
JOIN=(-retry-join="$(ip s1):$SERF_PORT" -retry-join="$(ip s2):$SERF_PORT" -retry-interval=200ms)

# start_server NAME [FLAGS...]: a durable server on NAME's address.
start_server() {
	local name=$1 addr
	shift
	addr=$(ip "$name")
	mkdir -p "$TMP/$name"
	"$TMP/concord" agent -server -data-dir="$TMP/$name" -node="$name" -log-level=warn -bind="$addr" \
		-client="$addr" -http-port="$HTTP_PORT" -dns-port="$DNS_PORT" -server-port="$SERVER_PORT" \
		-serf-lan-port="$SERF_PORT" -serf-wan-port="$WAN_PORT" "${JOIN[@]}" ${SERVER_HCL:+-hcl "$SERVER_HCL"} "$@" \
		>>"$TMP/$name.log" 2>&1 &
	PID[$name]=$!
	PIDS+=($!)
}

# start_client NAME: a client agent on NAME's address with the services.
start_client() {
	local name=$1 addr
	addr=$(ip "$name")
	mkdir -p "$TMP/$name"
	"$TMP/concord" agent -data-dir="$TMP/$name" -node="$name" -log-level=warn -bind="$addr" -client="$addr" \
		-http-port="$HTTP_PORT" -dns-port=-1 -serf-lan-port="$SERF_PORT" "${JOIN[@]}" \
		-config-file="$TMP/services.json" >>"$TMP/$name.log" 2>&1 &
	PID[$name]=$!
	PIDS+=($!)
}

# kill9 NAME kills node NAME with SIGKILL and reaps it (quietly).
kill9() {
	kill -9 "${PID[$1]}"
	wait "${PID[$1]}" 2>/dev/null || true
}

# api NAME PATH: GET PATH from NAME's HTTP API.
api() { curl -sf --max-time 5 "http://$(ip "$1"):$HTTP_PORT$2"; }

# leader prints the name of the current leader, or nothing.
leader() {
	local addr
	addr=$(api s1 /v1/status/leader 2>/dev/null | tr -d '"') || true
	[[ -z $addr ]] && addr=$(api s2 /v1/status/leader 2>/dev/null | tr -d '"') || true
	addr=${addr%:*}
	[[ -n $addr ]] || return 0
	echo "s${addr##*.}"
}

term() { api "$1" /v1/agent/self | jq -r .Stats.raft.term; }

# percentile P: the P-th percentile (nearest rank) of the numbers on stdin.
percentile() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i] }'; }

# field NAME LINE prints NAME's value in a `concord bench` report line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s|^$1=||p"; }

# cpu_ticks PID: user + system clock ticks PID has used.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# gossip_sent NAME: the bytes NAME's gossip has sent (UDP and TCP), from
# memberlist's counters in its Prometheus metrics; 0 if it does not answer.
gossip_sent() {
	{ api "$1" '/v1/agent/metrics?format=prometheus' || true; } |
		awk '$1 ~ /^consul_memberlist_(udp|tcp)_sent($|\{)/ { s += $2 } END { printf "%.0f\n", s }'
}

# rss KIND PID: VmRSS or RssAnon of PID in MiB (one decimal).
rss() { awk -v k="$1:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$2/status"; }

# smaps KIND PID: Pss or Private_Dirty of PID in MiB (one decimal): its
# share of the pages it maps, and the pages only it has written, which is
# what one more agent costs (the binary's pages are shared).
smaps() { awk -v k="$1:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$2/smaps_rollup"; }

log "building concord"
"$GO" build -o "$TMP/concord" ./cmd/concord
BUILT="concord $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -z $(git status --porcelain -- '*.go' go.mod 2>/dev/null) ]] || BUILT+=" with uncommitted changes"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

{
	echo '{"services": ['
	for k in $(seq "$SERVICES"); do
		((k > 1)) && echo ','
		echo "{\"name\": \"svc-$k\", \"port\": $((9000 + k)), \"check\": {\"name\": \"svc-$k alive\", \"ttl\": \"1h\", \"status\": \"passing\"}}"
	done
	echo ']}'
} >"$TMP/services.json"

# ---- 1. start → converged ----------------------------------------------------
MEMBERS=$((SERVERS + CLIENTS))
WANT_PASSING=$((CLIENTS * SERVICES))
log "starting $SERVERS servers"
T_START=$(now)
for i in $(seq "$SERVERS"); do start_server "s$i" -bootstrap-expect="$SERVERS"; done
deadline=$((SECONDS + 120))
until [[ -n $(leader) ]] && api "$(leader)" /v1/kv/?keys >/dev/null 2>&1; do
	((SECONDS < deadline)) || { log "no leader after 120 s"; tail -n 5 "$TMP/s1.log" >&2; exit 1; }
	sleep 0.05
done
T_LEADER=$(now)
# alive_count prints how many members the leader lists as alive (0 when
# no leader answers).
alive_count() {
	local l
	l=$(leader)
	[[ -n $l ]] || { echo 0; return; }
	api "$l" /v1/agent/members 2>/dev/null | jq '[.[] | select(.Status == 1)] | length' || echo 0
}

((WAVE >= 1)) || WAVE=$CLIENTS
log "starting $CLIENTS client agents, $WAVE at a time"
T_FIRST=$(now)
started=0
while ((CLIENTS - started > WAVE)); do
	for j in $(seq $((started + 1)) $((started + WAVE))); do start_client "c$j"; done
	started=$((started + WAVE))
	deadline=$((SECONDS + 60))
	until (($(alive_count) >= SERVERS + started)); do
		((SECONDS < deadline)) || { log "wave up to c$started: not all alive after 60 s; going on"; break; }
		sleep 0.2
	done
done
T_CLIENTS=$(now) # the last wave's start: convergence is timed from here
for j in $(seq $((started + 1)) "$CLIENTS"); do start_client "c$j"; done
T_MEMBERS="" T_CATALOG="" alive=0 passing=0 said=$SECONDS L=""
deadline=$((SECONDS + 120))
while [[ -z $T_MEMBERS || -z $T_CATALOG ]]; do
	if ((SECONDS >= deadline)); then
		# Not an end: the rest is measured as it is, and the report says so.
		log "not converged after 120 s: $alive members alive, $passing instances passing; going on"
		break
	fi
	[[ -n $L ]] || L=$(leader)
	if [[ -n $L ]]; then
		if [[ -z $T_MEMBERS ]]; then
			alive=$(api "$L" /v1/agent/members 2>/dev/null | jq '[.[] | select(.Status == 1)] | length' || echo 0)
			((alive != MEMBERS)) || T_MEMBERS=$(now)
		fi
		if [[ -z $T_CATALOG ]]; then
			passing=$(api "$L" '/v1/health/state/passing?stale' 2>/dev/null |
				jq '[.[] | select(.ServiceName | startswith("svc-"))] | length' || echo 0)
			((passing != WANT_PASSING)) || T_CATALOG=$(now)
		fi
	fi
	if ((SECONDS >= said + 5)); then
		log "  $alive of $MEMBERS members alive, $passing of $WANT_PASSING instances passing"
		said=$SECONDS
		L="" # ask again who leads
	fi
	sleep 0.1 # each round is a few curl and jq processes: enough polling for a 2-core machine
done
LEADER=$(leader)
TERM_START=$(term "$LEADER")
log "servers → leader $(ms "$T_START" "$T_LEADER") ms; agents → members alive $(took "$T_CLIENTS" "$T_MEMBERS" "$alive"), catalog $(took "$T_CLIENTS" "$T_CATALOG" "$passing"); leader $LEADER term $TERM_START"

# The monitor: every second, the leader's member list; a member that is
# not alive and was not killed is a false alarm.
: >"$TMP/killed"
: >"$TMP/alarms"
(
	while :; do
		l=$(leader)
		if [[ -n $l ]]; then
			api "$l" /v1/agent/members 2>/dev/null | jq -r '.[] | select(.Status != 1) | .Name' |
				while read -r name; do
					grep -qx "$name" "$TMP/killed" || echo "$name" >>"$TMP/alarms"
				done || true
		fi
		sleep 1
	done
) &
MONITOR=$!

# ---- 2. memory and idle CPU --------------------------------------------------
sleep 5 # past the start's bursts
declare -a S_RSS S_ANON C_RSS C_ANON C_PSS C_PRIV
for i in $(seq "$SERVERS"); do
	S_RSS+=("$(rss VmRSS "${PID[s$i]}")")
	S_ANON+=("$(rss RssAnon "${PID[s$i]}")")
done
for j in $(seq "$CLIENTS"); do
	C_RSS+=("$(rss VmRSS "${PID[c$j]}")")
	C_ANON+=("$(rss RssAnon "${PID[c$j]}")")
	C_PSS+=("$(smaps Pss "${PID[c$j]}")")
	C_PRIV+=("$(smaps Private_Dirty "${PID[c$j]}")")
done
med() { printf '%s\n' "$@" | percentile 50; }
top() { printf '%s\n' "$@" | percentile 100; }
HZ=$(getconf CLK_TCK)
# Gossip bytes: each agent's counter read in one sweep before and one
# after the idle seconds, so each agent's window is the time between the
# starts of the two sweeps.
declare -a G0 GOSSIP
T_G0=$(now)
for j in $(seq "$CLIENTS"); do G0+=("$(gossip_sent "c$j")"); done
L0=$(cpu_ticks "${PID[$LEADER]}")
C0=0
for j in $(seq "$CLIENTS"); do C0=$((C0 + $(cpu_ticks "${PID[c$j]}"))); done
sleep 10
L1=$(cpu_ticks "${PID[$LEADER]}")
C1=0
for j in $(seq "$CLIENTS"); do C1=$((C1 + $(cpu_ticks "${PID[c$j]}"))); done
T_G1=$(now)
for j in $(seq "$CLIENTS"); do
	GOSSIP+=("$(awk -v a="${G0[j - 1]}" -v b="$(gossip_sent "c$j")" -v t0="$T_G0" -v t1="$T_G1" 'BEGIN { printf "%.0f", (b - a) / (t1 - t0) }')")
done
LEADER_CPU=$(awk -v t=$((L1 - L0)) -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz / 10 * 100 }')
CLIENT_CPU=$(awk -v t=$((C1 - C0)) -v hz="$HZ" -v n="$CLIENTS" 'BEGIN { printf "%.2f", t / hz / 10 * 100 / n }')
log "RSS servers median $(med "${S_RSS[@]}") MiB, agents median $(med "${C_RSS[@]}") MiB; idle CPU leader $LEADER_CPU%, agent $CLIENT_CPU%"
log "gossip sent per agent: median $(med "${GOSSIP[@]}") B/s, max $(top "${GOSSIP[@]}") B/s"

# ---- 3 and 4. fan-out and puts through the agents ----------------------------
AGENTS=$(for j in $(seq "$CLIENTS"); do printf '%s:%s,' "$(ip "c$j")" "$HTTP_PORT"; done)
AGENTS=${AGENTS%,}
log "fan-out: $CLIENTS watchers"
FANOUT=$("$TMP/concord" bench -op=watch-service -watchers="$CLIENTS" -http-addr="$AGENTS" -duration="$DURATION")
log "  $FANOUT"
log "puts through $CLIENTS agents"
PUTS=$("$TMP/concord" bench -op=put -clients="$CLIENTS" -http-addr="$AGENTS" -duration="$DURATION")
log "  $PUTS"

# ---- 5. killed agents --------------------------------------------------------
# Puts run through the agents of the second half, which are not killed.
LOAD_AGENTS=$(for j in $(seq $((CLIENTS / 2 + 1)) "$CLIENTS"); do printf '%s:%s,' "$(ip "c$j")" "$HTTP_PORT"; done)
"$TMP/concord" bench -op=put -clients=16 -http-addr="${LOAD_AGENTS%,}" -duration=10m >"$TMP/loader.out" 2>&1 &
LOADER=$!
: >"$TMP/detect"
for k in $(seq "$KILLS"); do
	victim=c$k
	echo "$victim" >>"$TMP/killed"
	t0=$(now)
	kill9 "$victim"
	deadline=$((SECONDS + 30))
	until [[ $(api "$LEADER" /v1/agent/members 2>/dev/null | jq --arg n "$victim" '.[] | select(.Name == $n) | .Status') == 4 ]]; do
		((SECONDS < deadline)) || { log "$victim not failed after 30 s"; break; }
		sleep 0.02
	done
	ms "$t0" "$(now)" >>"$TMP/detect"
	log "  $victim failed after $(tail -1 "$TMP/detect") ms"
	sleep 1
done
kill "$LOADER" 2>/dev/null || true
wait "$LOADER" 2>/dev/null || true
LOADER=""
DETECT_P50=$(percentile 50 <"$TMP/detect")
DETECT_P99=$(percentile 99 <"$TMP/detect")
DETECT_MAX=$(percentile 100 <"$TMP/detect")

# ---- 6. a server replaced ----------------------------------------------------
VICTIM=""
for i in $(seq "$SERVERS" -1 1); do [[ s$i == "$LEADER" ]] || { VICTIM=s$i; break; }; done
NEW=s$((SERVERS + 1))
log "killing follower $VICTIM, starting $NEW"
echo "$VICTIM" >>"$TMP/killed"
T0=$(now)
kill9 "$VICTIM"
start_server "$NEW"
T_VOTER="" T_REMOVED=""
deadline=$((SECONDS + 90))
while [[ -z $T_VOTER || -z $T_REMOVED ]]; do
	((SECONDS < deadline)) || { log "server replacement not done after 90 s"; break; }
	cfg=$(api "$LEADER" /v1/operator/raft/configuration 2>/dev/null) || { sleep 0.1; continue; }
	[[ -n $T_VOTER ]] || [[ $(jq --arg n "$NEW" '[.Servers[] | select(.Node == $n and .Voter)] | length' <<<"$cfg") != 1 ]] ||
		T_VOTER=$(now)
	[[ -n $T_REMOVED ]] || [[ $(jq --arg n "$VICTIM" '[.Servers[] | select(.Node == $n)] | length' <<<"$cfg") != 0 ]] ||
		T_REMOVED=$(now)
	sleep 0.1
done
REPLACE_VOTER=${T_VOTER:+$(ms "$T0" "$T_VOTER") ms}
REPLACE_REMOVED=${T_REMOVED:+$(ms "$T0" "$T_REMOVED") ms}
log "  $NEW voter after ${REPLACE_VOTER:-—}, $VICTIM removed after ${REPLACE_REMOVED:-—}"

# ---- 7. a large catalog ------------------------------------------------------
LEADER_HTTP=$(ip "$LEADER"):$HTTP_PORT
log "registering $INSTANCES instances"
HEALTH=$("$TMP/concord" bench -op=health -keys="$INSTANCES" -clients=16 -http-addr="$LEADER_HTTP" -duration="$DURATION")
log "  $HEALTH"
DNS=$("$TMP/concord" bench -op=dns-srv -keys="$INSTANCES" -clients=16 -http-addr="$LEADER_HTTP" \
	-dns-addr="$(ip "$LEADER"):$DNS_PORT" -duration="$DURATION")
log "  $DNS"

# A snapshot of that state (Raft's own, through the leader): its size,
# and how long saving and restoring it take.
T0=$(now)
curl -sf --max-time 120 -o "$TMP/snap" "http://$LEADER_HTTP/v1/snapshot"
T_SAVE=$(ms "$T0" "$(now)")
SNAP_KIB=$(($(stat -c %s "$TMP/snap") / 1024))
T0=$(now)
curl -sf --max-time 120 -X PUT --data-binary @"$TMP/snap" "http://$LEADER_HTTP/v1/snapshot" >/dev/null
T_RESTORE=$(ms "$T0" "$(now)")
log "  snapshot $SNAP_KIB KiB, saved in $T_SAVE ms, restored in $T_RESTORE ms"

LEADER_END=$(leader)
TERM_END=$(term "$LEADER_END")
kill "$MONITOR" 2>/dev/null || true
wait "$MONITOR" 2>/dev/null || true
MONITOR=""
ALARMS=$(sort -u "$TMP/alarms" | tr '\n' ' ')
N_ALARMS=$(sort -u "$TMP/alarms" | grep -c . || true)

# ---- report ------------------------------------------------------------------
{
	echo "## Scale: $SERVERS servers and $CLIENTS client agents on one machine (\`make scale\`)"
	echo
	echo "Written by \`make scale\` (scripts/scale.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'), $BUILT, $(nproc) CPUs."
	echo "Load average before the run: $LOAD_BEFORE (the machine is shared: other work ran at the same time)."
	echo "Each node is a process on its own loopback address; each agent registers $SERVICES services with a TTL check."
	[[ -z $SERVER_HCL ]] || echo "The servers ran with \`$SERVER_HCL\` (SCALE_SERVER_HCL)."
	echo
	echo "| figure | value |"
	echo "|---|---:|"
	echo "| $SERVERS servers started → a leader that answers | $(ms "$T_START" "$T_LEADER") ms |"
	if ((WAVE >= CLIENTS)); then
		STARTED="$CLIENTS agents started (at once)"
	else
		STARTED="$CLIENTS agents started in waves of $WAVE (the first waves took $(ms "$T_FIRST" "$T_CLIENTS") ms), from the last wave's start"
	fi
	echo "| $STARTED → $MEMBERS members alive in the leader's list |" \
		"$(took "$T_CLIENTS" "$T_MEMBERS" "$alive alive then") |"
	echo "| $STARTED → their $WANT_PASSING instances passing in the catalog |" \
		"$(took "$T_CLIENTS" "$T_CATALOG" "$passing passing then") |"
	echo "| server RSS, median / max (anonymous part, median) | $(med "${S_RSS[@]}") / $(top "${S_RSS[@]}") MiB ($(med "${S_ANON[@]}") MiB) |"
	echo "| client agent RSS, median / max (anonymous part, median) | $(med "${C_RSS[@]}") / $(top "${C_RSS[@]}") MiB ($(med "${C_ANON[@]}") MiB) |"
	echo "| client agent private memory (Private_Dirty) / proportional share (Pss), median | $(med "${C_PRIV[@]}") / $(med "${C_PSS[@]}") MiB |"
	echo "| idle CPU over 10 s: leader / mean per agent | $LEADER_CPU% / $CLIENT_CPU% of a core |"
	echo "| gossip sent per agent over the same seconds (UDP + TCP, memberlist's counters), median / max | $(med "${GOSSIP[@]}") / $(top "${GOSSIP[@]}") bytes/s |"
	echo "| fan-out: $CLIENTS watchers (one per agent) of a service's health, ack → wake p50 / p99 / p99.9 | $(field p50 "$FANOUT") / $(field p99 "$FANOUT") / $(field p99.9 "$FANOUT") ($(field ops "$FANOUT") wakes, $(field errors "$FANOUT") errors) |"
	echo "| puts, $CLIENTS clients spread over the $CLIENTS agents | $(field ops/s "$PUTS") ops/s, p99 $(field p99 "$PUTS") ($(field errors "$PUTS") errors) |"
	echo "| killed agent (-9) → failed in the leader's list, p50 / p99 / max of $KILLS (under 16 put clients) | $DETECT_P50 / $DETECT_P99 / $DETECT_MAX ms |"
	echo "| false alarms (a member not killed seen not alive, whole run) | $N_ALARMS ${ALARMS:+($ALARMS)} |"
	echo "| follower server killed, new server started → new one a voter / dead one out of Raft | ${REPLACE_VOTER:-not within 90 s} / ${REPLACE_REMOVED:-not within 90 s} |"
	echo "| Raft term start → end (leader) | $TERM_START ($LEADER) → $TERM_END ($LEADER_END) |"
	echo "| $INSTANCES instances: health ?passing, 16 clients | $(field ops/s "$HEALTH") ops/s, p50 $(field p50 "$HEALTH"), p99 $(field p99 "$HEALTH") |"
	echo "| $INSTANCES instances: DNS SRV, 16 clients | $(field ops/s "$DNS") queries/s, p99 $(field p99 "$DNS") |"
	echo "| snapshot of it all (/v1/snapshot): size, save, restore | $SNAP_KIB KiB, $T_SAVE ms, $T_RESTORE ms |"
	echo
} >"$TMP/section"

# The section replaces the one OUT has (from its heading to the next "## "
# heading), or is added at its end.
mkdir -p "$(dirname "$OUT")"
touch "$OUT"
awk -v section="$TMP/section" '
	/^## Scale:/ { while ((getline line < section) > 0) print line; skip = 1; done = 1; next }
	skip && /^## / { skip = 0 }
	!skip { print }
	END { if (!done) { print ""; while ((getline line < section) > 0) print line } }
' "$OUT" >"$TMP/out"
cp "$TMP/out" "$OUT"
cat "$TMP/section"
log "wrote $OUT"
