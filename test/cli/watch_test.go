package cli_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/testutil"
)

// watchWait bounds how long a watch may take to report a change.
const watchWait = 15 * time.Second

// startWatch starts `concord watch args...` against the agent at addr. The
// process is killed at cleanup; its output is logged if the test failed.
func startWatch(t *testing.T, addr string, args ...string) (*exec.Cmd, *testutil.SyncBuffer) {
	t.Helper()
	out, errOut := &testutil.SyncBuffer{}, &testutil.SyncBuffer{}
	cmd := exec.Command(binary, append([]string{"watch", "-http-addr=" + addr}, args...)...)
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = out, errOut
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start concord watch: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("concord watch %s:\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out.String(), errOut.String())
		}
	})
	return cmd, out
}

// readPairs decodes the stream of JSON documents a key watch handler wrote
// to path: one pair, or null, per change.
func readPairs(path string) ([]*api.KVPair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var pairs []*api.KVPair
	dec := json.NewDecoder(f)
	for {
		var p *api.KVPair
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pairs, nil
		} else if err != nil {
			return nil, err
		}
		pairs = append(pairs, p)
	}
}

// pairValues describes pairs as their values, "null" for a missing key.
func pairValues(pairs []*api.KVPair) string {
	var vs []string
	for _, p := range pairs {
		if p == nil {
			vs = append(vs, "null")
		} else {
			vs = append(vs, string(p.Value))
		}
	}
	return strings.Join(vs, ",")
}

func TestWatchKeyHandler(t *testing.T) {
	a := startDevAgent(t)
	out := filepath.Join(t.TempDir(), "changes")
	startWatch(t, a.Addr, "-type=key", "-key=k", "cat >> '"+out+"'")

	// waitFor waits until the handler has been run for exactly the values
	// of want, in order.
	waitFor := func(want string) []*api.KVPair {
		t.Helper()
		var pairs []*api.KVPair
		testutil.Run(t, watchWait, func(r *testutil.R) {
			var err error
			if pairs, err = readPairs(out); err != nil || pairValues(pairs) != want {
				r.Fatalf("handler saw %q (%v), want %q", pairValues(pairs), err, want)
			}
		})
		return pairs
	}

	waitFor("null") // the key is missing at start
	mustPut(t, a.Addr, "k", "one")
	waitFor("null,one")
	mustPut(t, a.Addr, "k", "two")
	waitFor("null,one,two")
	// A write elsewhere wakes nothing for k: the next change seen is three.
	mustPut(t, a.Addr, "other", "x")
	mustPut(t, a.Addr, "k", "three")
	waitFor("null,one,two,three")

	// Writing the same value again is still a change of the pair: its
	// ModifyIndex moves, as in consul, so the handler runs once more.
	mustPut(t, a.Addr, "k", "three")
	pairs := waitFor("null,one,two,three,three")
	if pairs[4].ModifyIndex <= pairs[3].ModifyIndex {
		t.Errorf("same-value write: ModifyIndex %d after %d, want it to grow", pairs[4].ModifyIndex, pairs[3].ModifyIndex)
	}
}

func TestWatchServiceStdout(t *testing.T) {
	a := startDevAgent(t)
	_, out := startWatch(t, a.Addr, "-type=service", "-service=web")

	testutil.Run(t, watchWait, func(r *testutil.R) {
		if got := out.String(); got != "[]\n" {
			r.Fatalf("stdout = %q, want the empty list", got)
		}
	})

	body := `{"Node":"ext-1","Address":"10.0.0.9","Service":{"ID":"web-1","Service":"web","Port":8080}}`
	req, err := http.NewRequest(http.MethodPut, "http://"+a.Addr+"/v1/catalog/register", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT /v1/catalog/register: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /v1/catalog/register = %d", resp.StatusCode)
	}

	testutil.Run(t, watchWait, func(r *testutil.R) {
		dec := json.NewDecoder(strings.NewReader(out.String()))
		var docs [][]api.ServiceEntry
		for {
			var entries []api.ServiceEntry
			if err := dec.Decode(&entries); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				r.Fatalf("stdout %q: %v", out.String(), err)
			}
			docs = append(docs, entries)
		}
		if len(docs) != 2 || len(docs[0]) != 0 || len(docs[1]) != 1 ||
			docs[1][0].Service == nil || docs[1][0].Service.ID != "web-1" || docs[1][0].Node == nil || docs[1][0].Node.Node != "ext-1" {
			r.Fatalf("stdout = %q, want [] then one entry for web-1 on ext-1", out.String())
		}
		if !strings.Contains(out.String(), "\n    {\n        \"Node\": {") {
			r.Fatalf("stdout = %q, want indented JSON", out.String())
		}
	})
}

func TestWatchInterrupt(t *testing.T) {
	a := startDevAgent(t)
	cmd, out := startWatch(t, a.Addr, "-type=nodes")
	testutil.Run(t, watchWait, func(r *testutil.R) {
		if !strings.Contains(out.String(), `"Node": "cli"`) {
			r.Fatalf("stdout = %q, want the node list", out.String())
		}
	})
	// The watch is now parked in a 5 minute blocking query; SIGINT ends it.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("concord watch after SIGINT: %v, want exit 0", err)
		}
	case <-time.After(watchWait):
		cmd.Process.Kill()
		<-exited
		t.Fatal("concord watch still running after SIGINT")
	}
}
