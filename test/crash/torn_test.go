package crash_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// tornWrites is how many keys the torn-tail test writes, one at a time,
// each its own Raft entry.
const tornWrites = 150

// damage is one way to hurt the tail of the last WAL segment, whose data
// ends at end (the bytes after it are the zeros of preallocation).
type damage struct {
	name string
	hurt func(f *os.File, end int64) error
}

var damages = []damage{
	{"truncated by 1 byte", func(f *os.File, end int64) error { return f.Truncate(end - 1) }},
	{"truncated by 100 bytes", func(f *os.File, end int64) error { return f.Truncate(end - 100) }},
	{"truncated by 3000 bytes", func(f *os.File, end int64) error { return f.Truncate(end - 3000) }},
	{"garbage after the last frame", func(f *os.File, end int64) error { return garble(f, end, 512) }},
	{"last 40 bytes garbled", func(f *os.File, end int64) error { return garble(f, end-40, 40) }},
	{"last 2000 bytes garbled", func(f *os.File, end int64) error { return garble(f, end-2000, 2000) }},
}

// garble writes n random bytes (a fixed seed, so runs compare) at off.
func garble(f *os.File, off int64, n int) error {
	rng := rand.New(rand.NewPCG(uint64(off), uint64(n)))
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	_, err := f.WriteAt(buf, off)
	return err
}

// TestTornWALTailIsRecoveredOrRefused writes keys one by one to a durable
// server, kills it with SIGKILL, and then, on copies of its data dir, cuts
// or garbles the tail of the last WAL segment in several ways, as a torn
// write or a lying disk would. Each copy must either be refused at start
// with a message naming the WAL, or start and serve an exact prefix of the
// writes (keys 0..k-1 with their values, nothing after a gap), and take new
// writes. Never silently wrong: no gap, no wrong value, no crash loop.
func TestTornWALTailIsRecoveredOrRefused(t *testing.T) {
	dir := t.TempDir()
	p := startDurable(t, dir)
	want := writeKeys(t, p.Addr, "torn/", tornWrites)
	kill(t, p)

	for _, d := range damages {
		t.Run(strings.ReplaceAll(d.name, " ", "_"), func(t *testing.T) {
			copyDir := t.TempDir()
			if err := os.CopyFS(copyDir, os.DirFS(dir)); err != nil {
				t.Fatalf("cannot copy the data dir: %v", err)
			}
			seg, end := lastSegment(t, copyDir)
			f, err := os.OpenFile(seg, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			err = d.hurt(f, end)
			f.Close()
			if err != nil {
				t.Fatalf("cannot damage %s: %v", seg, err)
			}

			q, started := startOrRefuse(t, copyDir)
			if !started {
				out := q.Out.String()
				if !strings.Contains(strings.ToLower(out), "wal") {
					t.Fatalf("%s: the agent exited (%v) without naming the WAL:\n%s", d.name, q.Cmd.ProcessState, out)
				}
				t.Logf("%s: refused at start (%v)", d.name, q.Cmd.ProcessState)
				return
			}
			tree, _ := listTree(t, q.Addr, "torn/", "consistent")
			k := 0
			for k < tornWrites {
				if _, ok := tree[fmt.Sprintf("torn/%04d", k)]; !ok {
					break
				}
				k++
			}
			for key, pair := range tree {
				if v, ok := want[key]; !ok || string(pair.Value) != v {
					t.Errorf("%s: %s = %q after recovery, want %q", d.name, key, pair.Value, v)
				}
			}
			if len(tree) != k {
				var keys []string
				for key := range tree {
					keys = append(keys, key)
				}
				sort.Strings(keys)
				t.Errorf("%s: recovered %d keys but only torn/0000..%04d are a prefix: %v",
					d.name, len(tree), k-1, firstFew(keys[k:]))
			}
			writeKeys(t, q.Addr, "after/", 3) // and it takes writes again
			t.Logf("%s: recovered the first %d of %d writes (%d lost with the damaged tail)",
				d.name, k, tornWrites, tornWrites-k)
		})
	}
}

// lastSegment returns the newest WAL segment file under dataDir and the
// offset just after its last non-zero byte.
func lastSegment(t *testing.T, dataDir string) (string, int64) {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dataDir, "raft", "wal", "*.wal"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no WAL segment under %s (%v)", dataDir, err)
	}
	sort.Strings(segs) // names start with the zero-padded base index
	seg := segs[len(segs)-1]
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	end := int64(len(bytes.TrimRight(data, "\x00")))
	if end < 4000 {
		t.Fatalf("%s holds only %d bytes of data: too few to damage", seg, end)
	}
	return seg, end
}

// startOrRefuse starts a durable agent over dataDir and waits until it
// either serves consistent reads (true) or exits (false).
func startOrRefuse(t *testing.T, dataDir string) (*agentProc, bool) {
	t.Helper()
	p := spawnDurable(t, dataDir)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if p.WaitExit(100 * time.Millisecond) {
			return p, false
		}
		resp, err := http.Get("http://" + p.Addr + "/v1/kv/?keys&consistent")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNotFound {
				return p, true
			}
		}
	}
	t.Fatalf("the agent neither served nor exited within 20s:\n%s", p.Out.String())
	return nil, false
}
