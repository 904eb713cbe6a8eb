package cluster_test

import (
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

// TestUserEventsReachEveryAgent fires events on one client agent and
// checks every other agent lists them with the same ID, name and payload,
// that filters choose the receivers, and that a blocking list wakes.
func TestUserEventsReachEveryAgent(t *testing.T) {
	c := testutil.StartCluster(t, binary, 3, 2)
	firer := client(t, c.Clients()[0])

	// A blocking list on a server, waiting past its current (empty) index.
	s1 := client(t, c.Servers()[0])
	_, meta, err := s1.Event().List("deploy", nil)
	if err != nil {
		t.Fatal(err)
	}
	woke := make(chan []*consul.UserEvent, 1)
	go func() {
		list, _, err := s1.Event().List("deploy", &consul.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 30 * time.Second})
		if err != nil {
			t.Errorf("blocking list: %v", err)
		}
		woke <- list
	}()
	time.Sleep(100 * time.Millisecond)

	id, _, err := firer.Event().Fire(&consul.UserEvent{Name: "deploy", Payload: []byte("v42")}, nil)
	if err != nil {
		t.Fatalf("fire: %v", err)
	}
	select {
	case list := <-woke:
		if len(list) != 1 || list[0].ID != id {
			t.Fatalf("blocking list woke with %+v, want the event %s", list, id)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("blocking event list was not woken")
	}
	for _, n := range c.Nodes {
		waitFor(t, 10*time.Second, func(r *testutil.R) {
			list, _, err := client(t, n).Event().List("deploy", nil)
			if err != nil || len(list) != 1 {
				r.Fatalf("%s lists %d deploy events, %v", n.Name, len(list), err)
			}
			e := list[0]
			if e.ID != id || e.Name != "deploy" || string(e.Payload) != "v42" || e.Version != 1 || e.LTime == 0 {
				r.Fatalf("%s lists %+v", n.Name, e)
			}
		})
	}

	// A node filter: only s2 keeps the event.
	id2, _, err := firer.Event().Fire(&consul.UserEvent{Name: "only-s2", NodeFilter: "^s2$"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		list, _, err := client(t, c.Servers()[1]).Event().List("only-s2", nil)
		if err != nil || len(list) != 1 || list[0].ID != id2 {
			r.Fatalf("s2 lists %+v, %v", list, err)
		}
	})
	time.Sleep(500 * time.Millisecond) // gossip has reached everyone by now
	for _, n := range []*testutil.Node{c.Servers()[0], c.Servers()[2], c.Clients()[1]} {
		if list, _, _ := client(t, n).Event().List("only-s2", nil); len(list) != 0 {
			t.Errorf("%s kept an event filtered to s2: %+v", n.Name, list)
		}
	}

	// A service filter: only the agent running "web" keeps it.
	if err := client(t, c.Clients()[1]).Agent().ServiceRegister(&consul.AgentServiceRegistration{Name: "web", Tags: []string{"blue"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := firer.Event().Fire(&consul.UserEvent{Name: "web-only", ServiceFilter: "^web$", TagFilter: "blue"}, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func(r *testutil.R) {
		list, _, err := client(t, c.Clients()[1]).Event().List("web-only", nil)
		if err != nil || len(list) != 1 {
			r.Fatalf("c2 (runs web) lists %+v, %v", list, err)
		}
	})
	if list, _, _ := s1.Event().List("web-only", nil); len(list) != 0 {
		t.Errorf("s1 (no web) kept a web-only event")
	}

	// Too big a payload is refused with 413.
	_, _, err = firer.Event().Fire(&consul.UserEvent{Name: "big", Payload: make([]byte, 5000)}, nil)
	if err == nil || !strings.Contains(err.Error(), "413") {
		t.Errorf("oversized payload: %v, want a 413", err)
	}
}
