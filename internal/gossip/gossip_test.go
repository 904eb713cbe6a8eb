package gossip

import (
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/serf/serf"
)

// These tests run real pools on loopback: what a caller of the package sees
// (tags, member events, user events, in order on one goroutine), not serf's
// internals.

// fastTiming finds a dead member within a second or two on loopback.
var fastTiming = Timing{ProbeInterval: 50 * time.Millisecond, ProbeTimeout: 25 * time.Millisecond,
	SuspicionMult: 2, GossipInterval: 20 * time.Millisecond}

// eventWait bounds each wait for an event; gossip on loopback takes
// milliseconds, failure detection with fastTiming about a second.
const eventWait = 10 * time.Second

// testPool is a pool whose callbacks record every event, member and user
// events in the one order the pool delivered them.
type testPool struct {
	*Pool
	events chan serf.Event
}

// startPool starts a pool named name on loopback with tags; it is shut down
// at cleanup.
func startPool(t *testing.T, name string, tags map[string]string) *testPool {
	t.Helper()
	tp := &testPool{events: make(chan serf.Event, 256)}
	p, err := New(Config{
		NodeName: name, BindAddr: "127.0.0.1", Tags: tags, Timing: fastTiming,
		OnMember:    func(e serf.MemberEvent) { tp.events <- e },
		OnUserEvent: func(e serf.UserEvent) { tp.events <- e },
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("New(%s): %v", name, err)
	}
	tp.Pool = p
	t.Cleanup(func() { p.Shutdown() })
	return tp
}

// addr is the pool's own host:port, to join it.
func (tp *testPool) addr() string {
	m := tp.LocalMember()
	return net.JoinHostPort(m.Addr.String(), strconv.Itoa(int(m.Port)))
}

// join joins tp to other and waits until each has seen the other join.
func (tp *testPool) join(t *testing.T, other *testPool) {
	t.Helper()
	if n, err := tp.Join([]string{other.addr()}); err != nil || n != 1 {
		t.Fatalf("Join(%s) = %d, %v; want 1, nil", other.addr(), n, err)
	}
	tp.waitMember(t, serf.EventMemberJoin, other.LocalMember().Name)
	other.waitMember(t, serf.EventMemberJoin, tp.LocalMember().Name)
}

// waitMember waits for a member event of type typ about member name,
// skipping other events, and returns that member as the event gave it.
func (tp *testPool) waitMember(t *testing.T, typ serf.EventType, name string) serf.Member {
	t.Helper()
	timeout := time.After(eventWait)
	for {
		select {
		case ev := <-tp.events:
			if me, ok := ev.(serf.MemberEvent); ok && me.Type == typ {
				for _, m := range me.Members {
					if m.Name == name {
						return m
					}
				}
			}
		case <-timeout:
			t.Fatalf("%s: no %s event for %s within %v", tp.LocalMember().Name, typ, name, eventWait)
		}
	}
}

// waitUser waits for the next user event, skipping member events.
func (tp *testPool) waitUser(t *testing.T) serf.UserEvent {
	t.Helper()
	timeout := time.After(eventWait)
	for {
		select {
		case ev := <-tp.events:
			if ue, ok := ev.(serf.UserEvent); ok {
				return ue
			}
		case <-timeout:
			t.Fatalf("%s: no user event within %v", tp.LocalMember().Name, eventWait)
		}
	}
}

// member returns name as tp's member list has it.
func (tp *testPool) member(t *testing.T, name string) serf.Member {
	t.Helper()
	for _, m := range tp.Members() {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("%s: Members() has no %s", tp.LocalMember().Name, name)
	return serf.Member{}
}

func TestTagsReachOtherMembers(t *testing.T) {
	serverTags := map[string]string{"role": "consul", "dc": "dc1", "port": "8300"}
	clientTags := map[string]string{"role": "node", "dc": "dc1"}
	s := startPool(t, "s1", serverTags)
	c := startPool(t, "c1", clientTags)
	if got := s.LocalMember().Tags; !equalTags(got, serverTags) {
		t.Errorf("s1 LocalMember().Tags = %v, want %v", got, serverTags)
	}
	c.join(t, s)

	if got := c.member(t, "s1").Tags; !equalTags(got, serverTags) {
		t.Errorf("c1 sees s1 with tags %v, want %v", got, serverTags)
	}
	if got := s.member(t, "c1").Tags; !equalTags(got, clientTags) {
		t.Errorf("s1 sees c1 with tags %v, want %v", got, clientTags)
	}
	if got := s.member(t, "c1").Status; got != serf.StatusAlive {
		t.Errorf("s1 sees c1 as %v, want alive", got)
	}
}

func equalTags(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestMemberEvents: joining, leaving on purpose and failing each reach
// OnMember as serf's event type, with the member's tags.
func TestMemberEvents(t *testing.T) {
	a := startPool(t, "a", map[string]string{"role": "consul"})
	b := startPool(t, "b", map[string]string{"role": "node"})
	c := startPool(t, "c", nil)
	a.join(t, b)
	a.join(t, c)

	if err := b.Leave(); err != nil {
		t.Fatalf("b.Leave: %v", err)
	}
	if m := a.waitMember(t, serf.EventMemberLeave, "b"); m.Tags["role"] != "node" {
		t.Errorf("leave event for b has tags %v, want role=node", m.Tags)
	}

	// c stops without leaving: a finds it failed.
	if err := c.Shutdown(); err != nil {
		t.Fatalf("c.Shutdown: %v", err)
	}
	a.waitMember(t, serf.EventMemberFailed, "c")
	if got := a.member(t, "c").Status; got != serf.StatusFailed {
		t.Errorf("a sees c as %v after its failure event, want failed", got)
	}

	// Forcing a failed member out turns it into a left member.
	if err := a.ForceLeave("c", false); err != nil {
		t.Fatalf("ForceLeave(c): %v", err)
	}
	a.waitMember(t, serf.EventMemberLeave, "c")
	if got := a.member(t, "c").Status; got != serf.StatusLeft {
		t.Errorf("a sees c as %v after ForceLeave, want left", got)
	}
}

// TestUserEvents: a user event reaches every member (the sender too) with
// its name and payload, and events of one name are not coalesced.
func TestUserEvents(t *testing.T) {
	a := startPool(t, "a", nil)
	b := startPool(t, "b", nil)
	a.join(t, b)

	for _, payload := range []string{"v1", "v2"} {
		if err := a.UserEvent("ev:deploy", []byte(payload)); err != nil {
			t.Fatalf("UserEvent(ev:deploy, %s): %v", payload, err)
		}
	}
	for _, p := range []*testPool{a, b} {
		for _, want := range []string{"v1", "v2"} {
			ue := p.waitUser(t)
			if ue.Name != "ev:deploy" || string(ue.Payload) != want || ue.Coalesce {
				t.Errorf("%s got user event %q payload %q coalesce %v, want ev:deploy, %q, false",
					p.LocalMember().Name, ue.Name, ue.Payload, ue.Coalesce, want)
			}
		}
	}
}

// TestUserEventTooLarge: an event over serf's size limit is refused by the
// sender, not sent.
func TestUserEventTooLarge(t *testing.T) {
	a := startPool(t, "a", nil)
	if err := a.UserEvent("ev:big", make([]byte, serf.UserEventSizeLimit+1)); err == nil {
		t.Errorf("UserEvent of %d bytes succeeded, want an error", serf.UserEventSizeLimit+1)
	}
}
