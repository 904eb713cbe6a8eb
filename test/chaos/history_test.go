package chaos

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// opKind is a KV operation of the workload.
type opKind uint8

const (
	opPut opKind = iota + 1
	opGet
	opCAS
)

func (k opKind) String() string {
	return map[opKind]string{opPut: "put", opGet: "get", opCAS: "cas"}[k]
}

// kvInput is what a client asked. Values are unique across the run and
// never empty, so "" stands for a missing key, and a key holds a given
// value exactly while its ModifyIndex is that of the write of that value:
// a CAS on an index read earlier is modelled as a CAS on the value read.
type kvInput struct {
	Kind   opKind
	Key    string
	Value  string // put, cas: the value written
	Expect string // cas: the value the key must hold ("" = missing)
	Mode   string // get: "default" or "consistent"
	Server string // the server whose HTTP API was called
}

// kvOutput is what the client got back.
type kvOutput struct {
	Unknown bool   // the call failed or timed out: it may or may not have taken effect
	OK      bool   // cas: it swapped
	Value   string // get: the value read ("" = missing)
	Err     string // why it is unknown
}

// kvModel is the sequential specification of one key, for porcupine: the
// state is the key's value ("" when missing). Histories are split by key.
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(kvInput).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		slices.Sort(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(string), input.(kvInput), output.(kvOutput)
		switch in.Kind {
		case opPut:
			return true, in.Value
		case opGet:
			return out.Unknown || out.Value == s, s
		case opCAS:
			if s == in.Expect {
				return out.Unknown || out.OK, in.Value
			}
			return out.Unknown || !out.OK, s
		}
		return false, s
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(kvInput), output.(kvOutput)
		var res string
		switch {
		case out.Unknown:
			res = "? (" + out.Err + ")"
		case in.Kind == opGet:
			res = cmp.Or(out.Value, "<none>")
		default:
			res = fmt.Sprint(out.OK || in.Kind == opPut)
		}
		switch in.Kind {
		case opPut:
			return fmt.Sprintf("put(%s) @%s -> %s", in.Value, in.Server, res)
		case opGet:
			return fmt.Sprintf("get %s @%s -> %s", in.Mode, in.Server, res)
		default:
			return fmt.Sprintf("cas(%s→%s) @%s -> %s", cmp.Or(in.Expect, "<none>"), in.Value, in.Server, res)
		}
	},
	DescribeState: func(state any) string { return cmp.Or(state.(string), "<none>") },
}

// history records operations from many goroutines. Times are nanoseconds
// since the history began, on the monotonic clock.
type history struct {
	start time.Time

	mu     sync.Mutex
	ops    []porcupine.Operation // guarded by mu
	faults []fault               // guarded by mu
	client int                   // guarded by mu; the last client ID handed out
}

// fault is one nemesis action, for the report and the visualization.
type fault struct {
	What       string
	Start, End int64
}

func newHistory() *history { return &history{start: time.Now()} }

func (h *history) now() int64 { return int64(time.Since(h.start)) }

// newClient returns a fresh client ID. A client whose call ended unknown
// takes a new ID, since its call may still be pending.
func (h *history) newClient() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.client++
	return h.client - 1
}

// add records a completed call. An unknown outcome becomes a pending call
// that never returns: porcupine may linearize it anywhere after its call,
// including after everything else (as if it never happened). A read with
// an unknown outcome tells nothing and is dropped.
func (h *history) add(client int, in kvInput, call int64, out kvOutput) {
	ret := h.now()
	if out.Unknown {
		if in.Kind == opGet {
			return
		}
		ret = math.MaxInt64
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
}

func (h *history) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
}

func (h *history) addFault(what string, start int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = append(h.faults, fault{What: what, Start: start, End: h.now()})
}

// snapshot returns copies of the operations and faults recorded so far.
func (h *history) snapshot() ([]porcupine.Operation, []fault) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ops), slices.Clone(h.faults)
}

// checkResult is what check found.
type checkResult struct {
	Result   porcupine.CheckResult
	Ops      int // operations checked
	Pending  int // of which unknown (pending to the end)
	Took     time.Duration
	Artifact string // directory holding history.json and history.html, when written
}

// check runs porcupine over h. When the history is not linearizable (or
// always, with keep), it writes the history as JSON and porcupine's
// visualization, with the faults as annotations, into a directory: under
// $CONCORD_ARTIFACTS if set, else a new temporary directory that is kept
// (or t.TempDir() when keep, which is for a failure expected on purpose).
func check(t *testing.T, h *history, keep bool) checkResult {
	t.Helper()
	ops, faults := h.snapshot()
	res := checkResult{Ops: len(ops)}
	for _, op := range ops {
		if op.Output.(kvOutput).Unknown {
			res.Pending++
		}
	}
	start := time.Now()
	res.Result = porcupine.CheckOperationsTimeout(kvModel, ops, checkTimeout)
	res.Took = time.Since(start)
	if res.Result != porcupine.Illegal && !keep {
		return res
	}
	// Again, keeping what the visualization needs (slower).
	_, info := porcupine.CheckOperationsVerbose(kvModel, ops, checkTimeout)
	dir, err := artifactDir(t, keep)
	if err != nil {
		t.Errorf("cannot make a directory for the history: %v", err)
		return res
	}
	res.Artifact = dir
	var notes []porcupine.Annotation
	for _, f := range faults {
		notes = append(notes, porcupine.Annotation{Tag: "nemesis", Start: f.Start, End: f.End,
			Description: f.What, BackgroundColor: "#fde2e2"})
	}
	info.AddAnnotations(notes)
	if err := porcupine.VisualizePath(kvModel, info, filepath.Join(dir, "history.html")); err != nil {
		t.Errorf("cannot write the visualization: %v", err)
	}
	data, err := json.MarshalIndent(struct {
		Ops    []porcupine.Operation
		Faults []fault
	}{ops, faults}, "", " ")
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "history.json"), data, 0o644)
	}
	if err != nil {
		t.Errorf("cannot write the history: %v", err)
	}
	return res
}

// artifactDir returns a new directory for one test's history files.
func artifactDir(t *testing.T, expected bool) (string, error) {
	name := filepath.Base(t.Name()) + "-" + time.Now().Format("150405")
	if root := os.Getenv("CONCORD_ARTIFACTS"); root != "" {
		dir := filepath.Join(root, name)
		return dir, os.MkdirAll(dir, 0o755)
	}
	if expected {
		return t.TempDir(), nil
	}
	return os.MkdirTemp("", "concord-chaos-"+name+"-")
}

// timeline describes, second by second, how many operations returned
// successfully and which faults ran: "0s:120 1s:95 [kill -9 s2] ...".
func (h *history) timeline() string {
	ops, faults := h.snapshot()
	var perSec []int
	for _, op := range ops {
		if op.Return == math.MaxInt64 {
			continue
		}
		s := int(op.Return / int64(time.Second))
		for len(perSec) <= s {
			perSec = append(perSec, 0)
		}
		perSec[s]++
	}
	var b strings.Builder
	for s, n := range perSec {
		for _, f := range faults {
			if int(f.Start/int64(time.Second)) == s {
				fmt.Fprintf(&b, "[%s from %.1fs to %.1fs] ", f.What, float64(f.Start)/1e9, float64(f.End)/1e9)
			}
		}
		fmt.Fprintf(&b, "%ds:%d ", s, n)
	}
	return b.String()
}
