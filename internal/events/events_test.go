package events

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/google/uuid"
)

func TestBufferKeepsLast256AndBlocks(t *testing.T) {
	b := NewBuffer()
	for i := 0; i < Keep+10; i++ {
		b.Add(&api.UserEvent{ID: uuid.NewString(), Name: []string{"a", "b"}[i%2]})
	}
	all, idx := b.List(context.Background(), "", 0)
	if len(all) != Keep || idx != IDToIndex(all[len(all)-1].ID) || idx == 0 {
		t.Fatalf("List = %d events, index %d", len(all), idx)
	}
	named, _ := b.List(context.Background(), "a", 0)
	if len(named) != Keep/2 {
		t.Fatalf("List(a) = %d events, want %d", len(named), Keep/2)
	}

	done := make(chan uint64, 1)
	go func() {
		_, got := b.List(context.Background(), "", idx)
		done <- got
	}()
	select {
	case <-done:
		t.Fatal("blocking list returned before a new event")
	case <-time.After(50 * time.Millisecond):
	}
	e := &api.UserEvent{ID: uuid.NewString(), Name: "c"}
	b.Add(e)
	select {
	case got := <-done:
		if got != IDToIndex(e.ID) {
			t.Fatalf("woken with index %d, want %d", got, IDToIndex(e.ID))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocking list not woken by a new event")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, got := b.List(ctx, "", IDToIndex(e.ID)); got != IDToIndex(e.ID) {
		t.Fatalf("timed-out list index %d", got)
	}
}

func TestIDToIndex(t *testing.T) {
	// 0x0102030405060708 XOR 0x1112131415161718
	if got := IDToIndex("01020304-0506-0708-1112-131415161718"); got != 0x1010101010101010 {
		t.Fatalf("IDToIndex = %#x", got)
	}
	if IDToIndex("not-a-uuid") != 0 {
		t.Fatal("IDToIndex of garbage is not 0")
	}
}

func TestValidateAndSelects(t *testing.T) {
	for _, tc := range []struct {
		e    api.UserEvent
		want string
	}{
		{api.UserEvent{}, "name is required"},
		{api.UserEvent{Name: "x", Payload: make([]byte, api.MaxEventPayload+1)}, "limit"},
		{api.UserEvent{Name: "x", TagFilter: "v1"}, "without service filter"},
		{api.UserEvent{Name: "x", NodeFilter: "("}, "Invalid filter"},
		{api.UserEvent{Name: "x", NodeFilter: "web.*", ServiceFilter: "api", TagFilter: "v1"}, ""},
	} {
		err := Validate(&tc.e)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.e, err, tc.want)
		}
	}
	svcs := []Service{{Name: "api", Tags: []string{"v1", "blue"}}, {Name: "db"}}
	for _, tc := range []struct {
		e    api.UserEvent
		want bool
	}{
		{api.UserEvent{}, true},
		{api.UserEvent{NodeFilter: "^web-1$"}, true},
		{api.UserEvent{NodeFilter: "^web-2$"}, false},
		{api.UserEvent{ServiceFilter: "^db$"}, true},
		{api.UserEvent{ServiceFilter: "cache"}, false},
		{api.UserEvent{ServiceFilter: "api", TagFilter: "^blue$"}, true},
		{api.UserEvent{ServiceFilter: "db", TagFilter: "blue"}, false},
	} {
		if got := Selects(&tc.e, "web-1", svcs); got != tc.want {
			t.Errorf("Selects(%+v) = %v, want %v", tc.e, got, tc.want)
		}
	}
}
