package cli_test

import (
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/testutil"
)

func TestEventFire(t *testing.T) {
	a := startDevAgent(t)
	fire := func(args ...string) result {
		t.Helper()
		return concord(t, append([]string{"event", "-http-addr=" + a.Addr}, args...)...)
	}
	list := func() []api.UserEvent {
		t.Helper()
		var events []api.UserEvent
		getJSON(t, a.Addr, "/v1/event/list", &events)
		return events
	}

	res := fire("-name=deploy", "v1.2.3")
	id, ok := strings.CutPrefix(res.stdout, "Event ID: ")
	id = strings.TrimSuffix(id, "\n")
	if res.code != 0 || !ok || len(id) != 36 || res.stderr != "" {
		t.Fatalf("concord event = %+v, want exit 0 and \"Event ID: <uuid>\"", res)
	}
	// Delivery is by gossip, to this agent too.
	var got api.UserEvent
	testutil.Run(t, watchWait, func(r *testutil.R) {
		for _, e := range list() {
			if e.ID == id {
				got = e
				return
			}
		}
		r.Fatalf("event %s not listed", id)
	})
	if got.Name != "deploy" || string(got.Payload) != "v1.2.3" || got.NodeFilter != "" {
		t.Errorf("listed event = %+v, want deploy with payload v1.2.3", got)
	}

	// The payload may come from stdin; filters are sent along.
	res = run{stdin: "from stdin"}.concord(t, "event", "-http-addr="+a.Addr, "-name=piped", "-node=^cli$", "-")
	if res.code != 0 {
		t.Fatalf("concord event - = %+v", res)
	}
	// A node filter that does not match this agent keeps the event off its
	// list, as a service filter no local service matches does.
	for _, args := range [][]string{{"-name=elsewhere", "-node=^other$"}, {"-name=elsewhere", "-service=nosuch"}} {
		if res := fire(args...); res.code != 0 {
			t.Fatalf("concord event %v = %+v", args, res)
		}
	}
	fire("-name=marker")
	var events []api.UserEvent
	testutil.Run(t, watchWait, func(r *testutil.R) {
		if events = list(); len(events) == 0 || events[len(events)-1].Name != "marker" {
			r.Fatalf("events = %+v, want the marker last", events)
		}
	})
	var names []string
	for _, e := range events {
		names = append(names, e.Name)
		if e.Name == "piped" && (string(e.Payload) != "from stdin" || e.NodeFilter != "^cli$") {
			t.Errorf("piped event = %+v, want payload from stdin and node filter ^cli$", e)
		}
	}
	if want := "deploy,piped,marker"; strings.Join(names, ",") != want {
		t.Errorf("event list = %s, want %s (filtered events left out)", strings.Join(names, ","), want)
	}
}

func TestEventUsageErrors(t *testing.T) {
	a := startDevAgent(t)
	tests := []struct {
		args    []string
		wantErr string
	}{
		{nil, "Error! Event name must be specified (-name)\n"},
		{[]string{"-name=x", "-tag=v1"}, "Error! Cannot provide -tag without -service\n"},
		{[]string{"-name=x", "a", "b"}, "Error! Too many arguments (expected at most 1 payload, got 2)\n"},
		{[]string{"-name=x", "-node=("}, "Error firing event: Unexpected response code: 400 (Invalid filter \"(\": ...)"},
		{[]string{"-name=x", strings.Repeat("p", api.MaxEventPayload+1)}, "Error firing event: Unexpected response code: 413 ..."},
	}
	for _, tc := range tests {
		res := concord(t, append([]string{"event", "-http-addr=" + a.Addr}, tc.args...)...)
		prefix, isPrefix := strings.CutSuffix(tc.wantErr, "...)")
		prefix, isPrefix2 := strings.CutSuffix(prefix, "...")
		match := res.stderr == tc.wantErr || (isPrefix || isPrefix2) && strings.HasPrefix(res.stderr, prefix)
		if res.code != 1 || res.stdout != "" || !match {
			t.Errorf("concord event %.40q = exit %d, stdout %q, stderr %q; want exit 1 and %q", tc.args, res.code, res.stdout, res.stderr, tc.wantErr)
		}
	}
}
