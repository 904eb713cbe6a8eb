package fsm_test

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/hashicorp/raft"
)

// autopilotSet is the command that stores cfg, with or without CAS.
func autopilotSet(cfg api.AutopilotConfiguration, cas bool) []byte {
	return fsm.EncodeOperator(&fsm.OperatorOp{Op: fsm.OperatorAutopilotSet, Autopilot: &cfg, CAS: cas}, t0)
}

// TestAutopilotConfigCAS: a CAS of index 0 stores only the first
// configuration (how a new leader seeds it without overwriting one an
// operator set); later CAS writes need the current ModifyIndex; a plain
// write always lands; CreateIndex stays the first write's.
func TestAutopilotConfigCAS(t *testing.T) {
	f := newFSM()
	seed := api.DefaultAutopilotConfiguration()
	other := seed
	other.CleanupDeadServers = false
	other.MinQuorum = 3
	steps := []struct {
		name string
		cmd  []byte
		want any
		// the stored configuration after the step
		wantCleanup bool
		wantModify  uint64
	}{
		{"seed", autopilotSet(seed, true), true, true, 1},
		{"seed again", autopilotSet(other, true), false, true, 1},
		{"stale cas", autopilotSet(withIndex(other, 7), true), false, true, 1},
		{"current cas", autopilotSet(withIndex(other, 1), true), true, false, 4},
		{"plain set", autopilotSet(seed, false), true, true, 5},
	}
	for i, step := range steps {
		got := f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: step.cmd})
		if got != step.want {
			t.Fatalf("%s: Apply = %#v, want %#v", step.name, got, step.want)
		}
		_, cfg, err := f.State().AutopilotConfig(nil)
		if err != nil || cfg == nil {
			t.Fatalf("%s: AutopilotConfig = %v, %v", step.name, cfg, err)
		}
		if cfg.CleanupDeadServers != step.wantCleanup || cfg.ModifyIndex != step.wantModify || cfg.CreateIndex != 1 {
			t.Fatalf("%s: stored %+v, want CleanupDeadServers %v, ModifyIndex %d, CreateIndex 1",
				step.name, cfg, step.wantCleanup, step.wantModify)
		}
	}
}

func withIndex(c api.AutopilotConfiguration, idx uint64) api.AutopilotConfiguration {
	c.ModifyIndex = idx
	return c
}

// TestAutopilotConfigSurvivesSnapshot: the configuration, its durations
// and indexes come back from a snapshot.
func TestAutopilotConfigSurvivesSnapshot(t *testing.T) {
	src := newFSM()
	cfg := api.DefaultAutopilotConfiguration()
	cfg.ServerStabilizationTime = api.NewReadableDuration(1500 * time.Millisecond)
	cfg.MaxTrailingLogs = 99
	src.Apply(&raft.Log{Index: 3, Type: raft.LogCommand, Data: autopilotSet(cfg, false)})
	dst := newFSM()
	if err := dst.Restore(io.NopCloser(bytes.NewReader(persist(t, src)))); err != nil {
		t.Fatalf("Restore = %v", err)
	}
	idx, got, err := dst.State().AutopilotConfig(nil)
	if err != nil || got == nil {
		t.Fatalf("AutopilotConfig after restore = %v, %v", got, err)
	}
	if idx != 3 || got.ModifyIndex != 3 || got.MaxTrailingLogs != 99 ||
		got.ServerStabilizationTime.Duration() != 1500*time.Millisecond || got.LastContactThreshold.Duration() != 200*time.Millisecond {
		t.Fatalf("restored config %+v at index %d", got, idx)
	}
}

// TestUnknownOperatorOpIsAnError: an operation this server does not know
// is a returned error, not a panic (it is a well-formed command).
func TestUnknownOperatorOpIsAnError(t *testing.T) {
	f := newFSM()
	res := f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: fsm.EncodeOperator(&fsm.OperatorOp{Op: "nope"}, t0)})
	if _, ok := res.(error); !ok {
		t.Fatalf("Apply(unknown op) = %#v, want an error", res)
	}
}
