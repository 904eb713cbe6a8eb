package fsm_test

import (
	"bytes"
	"io"
	"reflect"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/hashicorp/raft"
)

func configSet(e *api.ConfigEntry, cas bool, index uint64) []byte {
	return fsm.EncodeConfigEntry(&fsm.ConfigEntryOp{Op: fsm.ConfigEntrySet, Entry: e, CAS: cas, Index: index}, t0)
}

func configDelete(kind, name string, cas bool, index uint64) []byte {
	return fsm.EncodeConfigEntry(&fsm.ConfigEntryOp{Op: fsm.ConfigEntryDelete, Kind: kind, Name: name, CAS: cas, Index: index}, t0)
}

func serviceDefaults(name, protocol string) *api.ConfigEntry {
	return &api.ConfigEntry{Service: &api.ServiceConfigEntry{Kind: api.ServiceDefaults, Name: name, Protocol: protocol}}
}

// TestConfigEntryCAS: a CAS set of index 0 only creates; later CAS sets
// and deletes need the current ModifyIndex; CreateIndex stays the first
// write's; a plain delete of a missing entry is true, a CAS one false.
func TestConfigEntryCAS(t *testing.T) {
	f := newFSM()
	steps := []struct {
		name       string
		cmd        []byte
		want       any
		wantModify uint64 // 0: no entry stored after the step
	}{
		{"create", configSet(serviceDefaults("web", "http"), true, 0), true, 1},
		{"create again", configSet(serviceDefaults("web", "tcp"), true, 0), false, 1},
		{"stale cas", configSet(serviceDefaults("web", "tcp"), true, 7), false, 1},
		{"current cas", configSet(serviceDefaults("WEB", "tcp"), true, 1), true, 4},
		{"plain set", configSet(serviceDefaults("web", "grpc"), false, 0), true, 5},
		{"stale delete", configDelete(api.ServiceDefaults, "web", true, 4), false, 5},
		{"current delete", configDelete(api.ServiceDefaults, "Web", true, 5), true, 0},
		{"cas delete of none", configDelete(api.ServiceDefaults, "web", true, 5), false, 0},
		{"delete of none", configDelete(api.ServiceDefaults, "web", false, 0), true, 0},
	}
	for i, step := range steps {
		got := f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: step.cmd})
		if got != step.want {
			t.Fatalf("%s: Apply = %#v, want %#v", step.name, got, step.want)
		}
		_, e, err := f.State().ConfigEntry(nil, api.ServiceDefaults, "web")
		if err != nil {
			t.Fatalf("%s: ConfigEntry = %v", step.name, err)
		}
		if step.wantModify == 0 {
			if e != nil {
				t.Fatalf("%s: stored %+v, want none", step.name, e.Service)
			}
			continue
		}
		if create, modify := e.Indexes(); modify != step.wantModify || create != 1 {
			t.Fatalf("%s: indexes %d/%d, want CreateIndex 1, ModifyIndex %d", step.name, create, modify, step.wantModify)
		}
	}
}

// TestConfigEntriesSurviveSnapshot: entries of both kinds, every field as
// stored, come back from a snapshot, listed by name.
func TestConfigEntriesSurviveSnapshot(t *testing.T) {
	src := newFSM()
	proxy := &api.ConfigEntry{Proxy: &api.ProxyConfigEntry{Kind: api.ProxyDefaults, Name: api.ProxyConfigGlobal,
		Config: map[string]any{"local_connect_timeout_ms": 1000.0, "nested": map[string]any{"a": []any{"b"}}},
		Meta:   map[string]string{"team": "infra"}, AccessLogs: &api.AccessLogsConfig{Enabled: true, Path: "/log"}}}
	entries := []*api.ConfigEntry{serviceDefaults("web", "http"), serviceDefaults("api", "grpc"), proxy}
	for i, e := range entries {
		if got := src.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: configSet(e, false, 0)}); got != true {
			t.Fatalf("set %s = %#v", e.Name(), got)
		}
	}
	dst := newFSM()
	if err := dst.Restore(io.NopCloser(bytes.NewReader(persist(t, src)))); err != nil {
		t.Fatalf("Restore = %v", err)
	}
	idx, list, err := dst.State().ConfigEntries(nil, api.ServiceDefaults)
	if err != nil || idx != 3 || len(list) != 2 || list[0].Name() != "api" || list[1].Name() != "web" {
		t.Fatalf("ConfigEntries after restore = %d, %v, %v; want index 3, api then web", idx, list, err)
	}
	_, got, err := dst.State().ConfigEntry(nil, api.ProxyDefaults, api.ProxyConfigGlobal)
	if err != nil || got == nil {
		t.Fatalf("proxy-defaults after restore = %v, %v", got, err)
	}
	want := proxy.Clone()
	want.SetIndexes(3, 3)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("proxy-defaults after restore = %+v, want %+v", got.Proxy, want.Proxy)
	}
}
