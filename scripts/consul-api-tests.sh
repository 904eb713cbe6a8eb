#!/bin/sh
# consul-api-tests.sh runs the tests of github.com/hashicorp/consul/api (the
# official Go client, the version in go.mod) against Concord, through
# scripts/consul-shim/consul, and prints pass/fail/skip counts by group
# (TestAPI_<Group>...). Usage: scripts/consul-api-tests.sh [-run REGEX]
# CONSUL_API_RESULTS names the per-test result file, CONSUL_API_LOGS a
# directory for the last lines of each failing test.
#
# One change is made to Consul's harness (sdk/testutil), none to the tests:
# with Connect enabled (the harness always enables it) the harness waits for
# a Connect CA root before each test; Concord has no service mesh (out of
# scope), so that wait is made a no-op in a copy of the sdk module. Tests
# that use Connect, intentions, config entries or peering fail, as expected.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
run=${2:-.}
[ "${1:-}" = "-run" ] || run=.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version=$(cd "$root" && go list -m -f '{{.Version}}' github.com/hashicorp/consul/api)
apidir=$(cd "$root" && go mod download -json "github.com/hashicorp/consul/api@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
cp -r "$apidir" "$work/api" && chmod -R u+w "$work/api"
(cd "$root" && go build -o "$work/bin/concord" ./cmd/concord)

# TestAPI_ClientTLSOptions reads certificates from ../test/client_certs,
# which is in Consul's repository, not in the api module: made here with
# concord tls (the server's names consul.test, as the test dials).
mkdir -p "$work/test/client_certs"
(cd "$work/test/client_certs" && c="$work/bin/concord" && $c tls ca create &&
	$c tls cert create -server -additional-dnsname consul.test && $c tls cert create -client &&
	mv consul-agent-ca.pem rootca.crt && mv dc1-server-consul-0.pem server.crt && mv dc1-server-consul-0-key.pem server.key &&
	mv dc1-client-consul-0.pem client.crt && mv dc1-client-consul-0-key.pem client.key) >/dev/null
cd "$work/api"
sdkdir=$(go list -m -f '{{.Dir}}' github.com/hashicorp/consul/sdk)
cp -r "$sdkdir" "$work/sdk" && chmod -R u+w "$work/sdk"
go mod edit -replace "github.com/hashicorp/consul/sdk=$work/sdk"
server="$work/sdk/testutil/server.go"
awk '/^func \(s \*TestServer\) WaitForActiveCARoot\(t testing.TB\) \{$/ {
	print; print "\treturn // Concord: no Connect CA (scripts/consul-api-tests.sh)"; next } { print }' \
	"$server" >"$work/server.go" && mv "$work/server.go" "$server"
grep -q 'Concord: no Connect CA' "$server" || { echo "cannot patch $server" >&2; exit 1; }

# One process per test: a test that panics (several Connect tests do
# against an agent without Connect) takes only itself down.
go test -c -o "$work/api.test" . >/dev/null
export PATH="$root/scripts/consul-shim:$PATH" CONCORD="$work/bin/concord"
results=${CONSUL_API_RESULTS:-/tmp/consul-api-tests.txt}
: >"$results"
"$work/api.test" -test.list "$run" | grep '^Test' | while read -r name; do
	if out=$(timeout 300 "$work/api.test" -test.run "^$name\$" -test.v -test.timeout 280s 2>&1); then
		if echo "$out" | grep -q "^--- SKIP: $name"; then r=skip; else r=pass; fi
	else
		r=fail
		# The test's own lines (file_test.go:N: ...), not the agent's log.
		echo "$out" | grep -E '^\s+[a-z_]+\.go:[0-9]+:|^--- |^panic:|^\s+Error' | grep -Ev 'CONFIG JSON|test cmd args' |
			cut -c1-400 | head -40 >"$work/$name.log"
	fi
	echo "$r $name" >>"$results"
done

printf "%-16s %5s %5s %5s\n" group pass fail skip
# A group is the word after TestAPI_ (or Test): TestAPI_AgentServices is
# Agent, TestAPI_ACLToken_List is ACL.
awk '{
	name = $2; sub(/^Test(API_)?/, "", name)
	if (match(name, /^[A-Z]+[a-z]*/)) g = substr(name, 1, RLENGTH); else g = name
	if (g ~ /^ACL/) g = "ACL"
	count[g, $1]++; groups[g] = 1; total[$1]++
}
END {
	for (g in groups) printf "%-16s %5d %5d %5d\n", g, count[g, "pass"], count[g, "fail"], count[g, "skip"]
	printf "%-16s %5d %5d %5d\n", "TOTAL", total["pass"], total["fail"], total["skip"]
}' "$results" | sort
echo "results per test: $results"
if [ -n "${CONSUL_API_LOGS:-}" ]; then mkdir -p "$CONSUL_API_LOGS" && cp "$work"/*.log "$CONSUL_API_LOGS"/ 2>/dev/null || true; fi
