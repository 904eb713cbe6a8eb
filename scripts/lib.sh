# lib.sh: helpers the benchmark scripts share; source it after setting TMP
# (a scratch directory the caller removes).

# free_port prints a loopback TCP port nothing listens on, below Linux's
# ephemeral range (32768+: the bench clients' own connections use those)
# and not handed out before in this run (recorded in $TMP/ports, since
# callers run it in a subshell).
free_port() {
	local p
	while :; do
		p=$((10000 + RANDOM % 22000))
		grep -qx "$p" "$TMP/ports" 2>/dev/null && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p" >>"$TMP/ports"
			echo "$p"
			return
		fi
	done
}

# stop_pids stops the processes listed in the array PIDS (SIGTERM to all,
# then waits for each, so that many agents leave at the same time) and
# empties it.
stop_pids() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	PIDS=()
}

# build_concord builds $TMP/concord from revision $1 (the working tree when
# empty) and sets BUILT to a line naming what was built. Needs GO and log.
build_concord() {
	local rev=$1
	if [[ -n $rev ]]; then
		log "building concord at $rev"
		mkdir "$TMP/src"
		git archive "$rev" | tar -x -C "$TMP/src"
		(cd "$TMP/src" && "$GO" build -o "$TMP/concord" ./cmd/concord)
		BUILT="concord $(git rev-parse --short "$rev")"
	else
		log "building concord from the working tree"
		"$GO" build -o "$TMP/concord" ./cmd/concord
		BUILT="concord $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
		[[ -z $(git status --porcelain -- '*.go' go.mod 2>/dev/null) ]] || BUILT+=" with uncommitted changes"
	fi
}
