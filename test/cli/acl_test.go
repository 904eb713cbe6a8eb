package cli_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/concordhq/concord/internal/testutil"
)

// startACLAgent starts a dev agent with ACLs on, denying by default, and
// not yet bootstrapped.
func startACLAgent(t *testing.T) *agentProc {
	t.Helper()
	conf := writeFile(t, t.TempDir(), "acl.hcl", `acl {
  enabled        = true
  default_policy = "deny"
}`)
	httpPort := testutil.FreePort(t)
	return startAgent(t, httpPort, "-dev", "-node=cli", "-log-level=error", "-config-file="+conf,
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)))
}

var (
	uuidRE       = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timeLineRE   = regexp.MustCompile(`(?m)^(Create Time|Expiration Time):( +).*$`)
	secretLineRE = regexp.MustCompile(`(?m)^SecretID: +(\S+)$`)
	accessorRE   = regexp.MustCompile(`(?m)^AccessorID: +(\S+)$`)
	idLineRE     = regexp.MustCompile(`(?m)^ID: +(\S+)$`)
)

// normalize replaces what changes from run to run (IDs, times) with
// placeholders, keeping the built-in IDs, which never change.
func normalize(out string) string {
	out = uuidRE.ReplaceAllStringFunc(out, func(id string) string {
		if strings.HasPrefix(id, "00000000-0000-0000-0000-00000000000") {
			return id
		}
		return "<uuid>"
	})
	return timeLineRE.ReplaceAllString(out, "$1:$2<time>")
}

// field returns the first match of re's group in out, or fails.
func field(t *testing.T, re *regexp.Regexp, out string) string {
	t.Helper()
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %s in %q", re, out)
	}
	return m[1]
}

// TestACLCommands drives `concord acl` against an agent with ACLs on and
// default deny, as a new user would: bootstrap, a policy and a token for
// an app (which may write its keys and nothing else), roles, updates,
// clones, deletes, set-agent-token; output checked line by line against
// consul's layout.
func TestACLCommands(t *testing.T) {
	t.Parallel()
	a := startACLAgent(t)
	addr := "-http-addr=" + a.Addr

	res := concord(t, "acl", "bootstrap", addr)
	if res.code != 0 {
		t.Fatalf("acl bootstrap = exit %d, stderr %q", res.code, res.stderr)
	}
	const bootstrapOut = "AccessorID:       <uuid>\nSecretID:         <uuid>\nDescription:      Bootstrap Token (Global Management)\n" +
		"Local:            false\nCreate Time:      <time>\nPolicies:\n   00000000-0000-0000-0000-000000000001 - global-management\n"
	if got := normalize(res.stdout); got != bootstrapOut {
		t.Errorf("acl bootstrap printed\n%s\nwant\n%s", got, bootstrapOut)
	}
	mgmt := field(t, secretLineRE, res.stdout)
	if res := concord(t, "acl", "bootstrap", addr); res.code != 1 || !strings.HasPrefix(res.stderr, "Failed ACL bootstrapping: ") {
		t.Errorf("second acl bootstrap = exit %d, stderr %q; want 1, Failed ACL bootstrapping", res.code, res.stderr)
	}
	admin := run{env: []string{"CONSUL_HTTP_ADDR=" + a.Addr, "CONCORD_HTTP_TOKEN=" + mgmt}}

	// A policy from a file, one from stdin.
	rules := "key_prefix \"web/\" { policy = \"write\" }\nservice \"web\" { policy = \"write\" }"
	rulesFile := writeFile(t, t.TempDir(), "web-app.hcl", rules)
	res = admin.concord(t, "acl", "policy", "create", "-name=web-app", "-description=The web app", "-rules=@"+rulesFile)
	res.normalized().want(t, "acl policy create", 0,
		"ID:           <uuid>\nName:         web-app\nDescription:  The web app\nDatacenters:  \nRules:\n"+rules+"\n", "")
	policyID := field(t, idLineRE, res.stdout)
	res = run{env: admin.env, stdin: `node_prefix "" { policy = "read" }`}.concord(t,
		"acl", "policy", "create", "-name=readers", "-rules=-", "-valid-datacenter=dc1", "-valid-datacenter=dc2")
	res.normalized().want(t, "acl policy create -rules=-", 0,
		"ID:           <uuid>\nName:         readers\nDescription:  \nDatacenters:  dc1, dc2\nRules:\nnode_prefix \"\" { policy = \"read\" }\n", "")
	admin.concord(t, "acl", "policy", "create", "-rules=x").want(t, "acl policy create without -name", 1, "",
		"Missing required '-name' flag\n")
	admin.concord(t, "acl", "policy", "create", "-name=bad", "-rules=key_prefix {").wantErr(t, "acl policy create with bad rules",
		"Failed to create new policy: Unexpected response code: 400")

	admin.concord(t, "acl", "policy", "read", "-id="+policyID[:8]).normalized().want(t, "acl policy read -id prefix", 0,
		"ID:           <uuid>\nName:         web-app\nDescription:  The web app\nDatacenters:  \nRules:\n"+rules+"\n", "")
	admin.concord(t, "acl", "policy", "update", "-name=web-app", "-description=The web app, v2").normalized().want(t,
		"acl policy update", 0, "Policy updated successfully\nID:           <uuid>\nName:         web-app\n"+
			"Description:  The web app, v2\nDatacenters:  \nRules:\n"+rules+"\n", "")
	res = admin.concord(t, "acl", "policy", "list")
	for _, want := range []string{"global-management:\n   ID:           00000000-0000-0000-0000-000000000001\n",
		"web-app:\n   ID:           " + policyID + "\n   Description:  The web app, v2\n   Datacenters:  \n",
		"readers:\n   ID:           "} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("acl policy list printed %q, want it to contain %q", res.stdout, want)
		}
	}
	var policies []struct{ ID, Name string }
	res = admin.concord(t, "acl", "policy", "list", "-format=json")
	names := map[string]string{}
	if err := json.Unmarshal([]byte(res.stdout), &policies); err != nil {
		t.Errorf("acl policy list -format=json = %q: %v; want JSON", res.stdout, err)
	}
	for _, p := range policies {
		names[p.Name] = p.ID
	}
	if names["web-app"] != policyID || names["readers"] == "" || names["global-management"] == "" {
		t.Errorf("acl policy list -format=json = %q, want web-app, readers and global-management", res.stdout)
	}

	// A token for the app: it writes its keys and nothing else.
	res = admin.concord(t, "acl", "token", "create", "-description=web app", "-policy-name=web-app")
	res.normalized().want(t, "acl token create", 0, "AccessorID:       <uuid>\nSecretID:         <uuid>\nDescription:      web app\n"+
		"Local:            false\nCreate Time:      <time>\nPolicies:\n   <uuid> - web-app\n", "")
	appAccessor, appSecret := field(t, accessorRE, res.stdout), field(t, secretLineRE, res.stdout)
	appEnv := run{env: []string{"CONSUL_HTTP_ADDR=" + a.Addr, "CONSUL_HTTP_TOKEN=" + appSecret}}
	appEnv.concord(t, "kv", "put", "web/color", "blue").want(t, "kv put web/color as the app", 0, "Success! Data written to: web/color\n", "")
	appEnv.concord(t, "kv", "put", "billing/rate", "3").wantErr(t, "kv put billing/rate as the app",
		"Error! Failed writing data: Unexpected response code: 403 (Permission denied: token with AccessorID '"+appAccessor+
			"' lacks permission 'key:write' on \"billing/rate\")")
	concord(t, "kv", "get", addr, "web/color").wantErr(t, "kv get without a token", "Error! Cannot query the agent: Unexpected response code: 403")
	tokenFile := writeFile(t, t.TempDir(), "token", appSecret+"\n")
	concord(t, "kv", "get", addr, "-token-file="+tokenFile, "web/color").want(t, "kv get -token-file", 0, "blue\n", "")

	// concord lock runs with the token it is given: a token that may
	// write sessions and jobs/ holds jobs/nightly; without session or key
	// rights the lock is refused with the 403.
	lockRules := writeFile(t, t.TempDir(), "locker.hcl", "key_prefix \"jobs/\" { policy = \"write\" }\nsession_prefix \"\" { policy = \"write\" }")
	admin.concord(t, "acl", "policy", "create", "-name=locker", "-rules=@"+lockRules)
	res = admin.concord(t, "acl", "token", "create", "-policy-name=locker")
	lockEnv := run{env: []string{"CONSUL_HTTP_ADDR=" + a.Addr, "CONSUL_HTTP_TOKEN=" + field(t, secretLineRE, res.stdout)}}
	lockEnv.concord(t, "lock", "jobs/nightly", "echo held").want(t, "lock jobs/nightly with the locker token", 0, "held\n", "")
	if res := lockEnv.concord(t, "lock", "billing/nightly", "echo held"); res.code == 0 || !strings.Contains(res.stderr, "403") {
		t.Errorf("lock billing/nightly with the locker token = exit %d, stderr %q; want refused with 403", res.code, res.stderr)
	}
	if res := appEnv.concord(t, "lock", "web/nightly", "echo held"); res.code == 0 || !strings.Contains(res.stderr, "403") {
		t.Errorf("lock web/nightly with a token without session rights = exit %d, stderr %q; want refused with 403", res.code, res.stderr)
	}
	appEnv.concord(t, "acl", "token", "read", "-self").normalized().want(t, "acl token read -self as the app", 0,
		"AccessorID:       <uuid>\nSecretID:         <uuid>\nDescription:      web app\nLocal:            false\n"+
			"Create Time:      <time>\nPolicies:\n   <uuid> - web-app\n", "")
	appEnv.concord(t, "acl", "token", "list").wantErr(t, "acl token list as the app",
		"Failed to retrieve the token list: Unexpected response code: 403")

	admin.concord(t, "acl", "token", "read", "-id="+appAccessor[:6]).normalized().want(t, "acl token read -id prefix", 0,
		"AccessorID:       <uuid>\nSecretID:         <uuid>\nDescription:      web app\nLocal:            false\n"+
			"Create Time:      <time>\nPolicies:\n   <uuid> - web-app\n", "")
	admin.concord(t, "acl", "token", "read", "-id=anonymous").normalized().want(t, "acl token read -id anonymous", 0,
		"AccessorID:       00000000-0000-0000-0000-000000000002\nSecretID:         anonymous\nDescription:      Anonymous Token\n"+
			"Local:            false\nCreate Time:      <time>\n", "")
	admin.concord(t, "acl", "token", "read").want(t, "acl token read without -id", 1, "", "Must specify the -id parameter\n")
	admin.concord(t, "acl", "token", "read", "-id=ffffffff").want(t, "acl token read -id unknown prefix", 1, "",
		"Error determining token ID: No such token ID with prefix: ffffffff\n")

	// Updates change only what is given.
	admin.concord(t, "acl", "token", "update", "-id="+appAccessor, "-append-policy-name=readers").normalized().want(t,
		"acl token update -append-policy-name", 0, "Token updated successfully.\nAccessorID:       <uuid>\nSecretID:         <uuid>\n"+
			"Description:      web app\nLocal:            false\nCreate Time:      <time>\nPolicies:\n   <uuid> - web-app\n   <uuid> - readers\n", "")
	admin.concord(t, "acl", "token", "update", "-id="+appAccessor, "-description=web app v2", "-policy-name=web-app",
		"-service-identity=web:dc1").normalized().want(t, "acl token update -policy-name", 0,
		"Token updated successfully.\nAccessorID:       <uuid>\nSecretID:         <uuid>\nDescription:      web app v2\n"+
			"Local:            false\nCreate Time:      <time>\nPolicies:\n   <uuid> - web-app\nService Identities:\n   web (Datacenters: dc1)\n", "")

	res = admin.concord(t, "acl", "token", "clone", "-id="+appAccessor, "-description=web app clone")
	res.normalized().want(t, "acl token clone", 0, "Token cloned successfully.\nAccessorID:       <uuid>\nSecretID:         <uuid>\n"+
		"Description:      web app clone\nLocal:            false\nCreate Time:      <time>\nPolicies:\n   <uuid> - web-app\n"+
		"Service Identities:\n   web (Datacenters: dc1)\n", "")
	clone := field(t, accessorRE, res.stdout)
	if clone == appAccessor {
		t.Errorf("the clone has the AccessorID of its original")
	}
	admin.concord(t, "acl", "token", "delete", "-id="+clone).want(t, "acl token delete", 0, "Token \""+clone+"\" deleted successfully\n", "")
	if res := admin.concord(t, "acl", "token", "list"); strings.Contains(res.stdout, clone) || !strings.Contains(res.stdout, appAccessor) {
		t.Errorf("acl token list after deleting the clone printed %q; want the app's token and not the clone", res.stdout)
	}

	// Roles.
	res = admin.concord(t, "acl", "role", "create", "-name=crawler", "-description=web crawler", "-policy-name=readers",
		"-service-identity=crawler")
	res.normalized().want(t, "acl role create", 0, "ID:           <uuid>\nName:         crawler\nDescription:  web crawler\n"+
		"Policies:\n   <uuid> - readers\nService Identities:\n   crawler (Datacenters: all)\n", "")
	roleID := field(t, idLineRE, res.stdout)
	admin.concord(t, "acl", "role", "update", "-id="+roleID[:8], "-name=web-crawler", "-node-identity=n1:dc1").normalized().want(t,
		"acl role update", 0, "Role updated successfully\nID:           <uuid>\nName:         web-crawler\nDescription:  web crawler\n"+
			"Policies:\n   <uuid> - readers\nService Identities:\n   crawler (Datacenters: all)\nNode Identities:\n   n1 (Datacenter: dc1)\n", "")
	admin.concord(t, "acl", "role", "list").normalized().want(t, "acl role list", 0, "web-crawler:\n   ID:           <uuid>\n"+
		"   Description:  web crawler\n   Policies:\n      <uuid> - readers\n   Service Identities:\n      crawler (Datacenters: all)\n"+
		"   Node Identities:\n      n1 (Datacenter: dc1)\n", "")
	res = admin.concord(t, "acl", "token", "create", "-role-name=web-crawler", "-node-identity=n2:dc1", "-expires-ttl=1h")
	res.normalized().want(t, "acl token create -role-name -expires-ttl", 0, "AccessorID:       <uuid>\nSecretID:         <uuid>\n"+
		"Description:      \nLocal:            false\nCreate Time:      <time>\nExpiration Time:  <time>\nRoles:\n   <uuid> - web-crawler\n"+
		"Node Identities:\n   n2 (Datacenter: dc1)\n", "")
	admin.concord(t, "acl", "role", "read", "-name=web-crawler", "-format=json").wantJSON(t, "acl role read -format=json",
		map[string]any{"Name": "web-crawler", "Description": "web crawler"})
	admin.concord(t, "acl", "role", "delete", "-name=web-crawler").want(t, "acl role delete", 0,
		"Role \""+roleID+"\" deleted successfully\n", "")

	// The agent's own token.
	admin.concord(t, "acl", "set-agent-token", "agent", mgmt).want(t, "acl set-agent-token agent", 0,
		"ACL token \"agent\" set successfully\n", "")
	admin.concord(t, "acl", "set-agent-token", "nope", mgmt).want(t, "acl set-agent-token nope", 1, "", "Unknown token type \"nope\"\n")
	appEnv.concord(t, "acl", "set-agent-token", "default", appSecret).wantErr(t, "acl set-agent-token as the app",
		"Failed setting token: Unexpected response code: 403")

	// Deleting the policy takes the app's rights away.
	admin.concord(t, "acl", "policy", "delete", "-name=web-app").want(t, "acl policy delete", 0,
		"Policy \""+policyID+"\" deleted successfully\n", "")
	appEnv.concord(t, "kv", "put", "web/color", "red").wantErr(t, "kv put web/color after the policy is gone",
		"Error! Failed writing data: Unexpected response code: 403")
}

// normalized is res with its stdout normalized.
func (res result) normalized() result {
	res.stdout = normalize(res.stdout)
	return res
}

// wantErr checks that an invocation failed with exit 1, no output, and a
// message starting with prefix.
func (res result) wantErr(t *testing.T, cmd, prefix string) {
	t.Helper()
	if res.code != 1 || res.stdout != "" || !strings.HasPrefix(res.stderr, prefix) {
		t.Errorf("concord %s = exit %d, stdout %q, stderr %q; want exit 1, stderr starting %q", cmd, res.code, res.stdout, res.stderr, prefix)
	}
}

// wantJSON checks that an invocation printed a JSON object holding fields.
func (res result) wantJSON(t *testing.T, cmd string, fields map[string]any) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &got); res.code != 0 || err != nil {
		t.Errorf("concord %s = exit %d, stdout %q, stderr %q; want a JSON object", cmd, res.code, res.stdout, res.stderr)
		return
	}
	for k, v := range fields {
		if got[k] != v {
			t.Errorf("concord %s: %s = %v, want %v", cmd, k, got[k], v)
		}
	}
}
