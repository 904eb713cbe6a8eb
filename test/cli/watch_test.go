package cli_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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
			if pairs, err = readDocs[*api.KVPair](out); err != nil || pairValues(pairs) != want {
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

	putBody(t, a.Addr, "/v1/catalog/register", `{"Node":"ext-1","Address":"10.0.0.9","Service":{"ID":"web-1","Service":"web","Port":8080}}`)

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

// putBody sends PUT path with body to the agent at addr and fails the test
// unless it answers 200.
func putBody(t *testing.T, addr, path, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, "http://"+addr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT %s = %d %s", path, resp.StatusCode, msg)
	}
}

// readDocs decodes the JSON documents a handler appended to path, one per
// run, each as a T.
func readDocs[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var docs []T
	dec := json.NewDecoder(f)
	for {
		var doc T
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return docs, nil
		} else if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
}

// waitRuns waits until the handler writing to path has run exactly once
// for each of want, which describe returns for one document, and returns
// the documents. A run too many fails as a wrong list does.
func waitRuns[T any](t *testing.T, path string, describe func(T) string, want ...string) []T {
	t.Helper()
	var docs []T
	testutil.Run(t, watchWait, func(r *testutil.R) {
		var err error
		if docs, err = readDocs[T](path); err != nil {
			r.Fatalf("handler output: %v", err)
		}
		var got []string
		for _, d := range docs {
			got = append(got, describe(d))
		}
		if strings.Join(got, " | ") != strings.Join(want, " | ") {
			r.Fatalf("handler ran for %q, want %q", got, want)
		}
	})
	return docs
}

// describePairs describes a keyprefix document as key=value pairs.
func describePairs(pairs []*api.KVPair) string {
	var kvs []string
	for _, p := range pairs {
		kvs = append(kvs, p.Key+"="+string(p.Value))
	}
	return "[" + strings.Join(kvs, " ") + "]"
}

func TestWatchKeyPrefixHandler(t *testing.T) {
	a := startDevAgent(t)
	out := filepath.Join(t.TempDir(), "changes")
	startWatch(t, a.Addr, "-type=keyprefix", "-prefix=app/", "cat >> '"+out+"'")

	waitRuns(t, out, describePairs, "[]")
	mustPut(t, a.Addr, "app/a", "1")
	waitRuns(t, out, describePairs, "[]", "[app/a=1]")
	mustPut(t, a.Addr, "elsewhere", "x") // outside the prefix: no run
	mustPut(t, a.Addr, "app/b", "2")
	waitRuns(t, out, describePairs, "[]", "[app/a=1]", "[app/a=1 app/b=2]")
	if res := kv(t, a.Addr, "delete", "app/a"); res.code != 0 {
		t.Fatalf("kv delete = %+v", res)
	}
	waitRuns(t, out, describePairs, "[]", "[app/a=1]", "[app/a=1 app/b=2]", "[app/b=2]")
}

func TestWatchServiceHandler(t *testing.T) {
	a := startDevAgent(t)
	out := filepath.Join(t.TempDir(), "changes")
	startWatch(t, a.Addr, "-type=service", "-service=web", "-passingonly", "cat >> '"+out+"'")
	describe := func(entries []api.ServiceEntry) string {
		var ids []string
		for _, e := range entries {
			ids = append(ids, e.Node.Node+"/"+e.Service.ID)
		}
		return "[" + strings.Join(ids, " ") + "]"
	}
	register := func(node, status string) {
		putBody(t, a.Addr, "/v1/catalog/register", `{"Node":"`+node+`","Address":"10.0.0.9",
			"Service":{"ID":"web-1","Service":"web","Port":8080},
			"Check":{"CheckID":"web-up","Name":"web up","Status":"`+status+`","ServiceID":"web-1"}}`)
	}

	waitRuns(t, out, describe, "[]")
	register("ext-1", "passing")
	waitRuns(t, out, describe, "[]", "[ext-1/web-1]")
	register("ext-2", "critical") // failing: -passingonly leaves it out, no run
	register("ext-3", "passing")
	waitRuns(t, out, describe, "[]", "[ext-1/web-1]", "[ext-1/web-1 ext-3/web-1]")
	register("ext-1", "critical")
	waitRuns(t, out, describe, "[]", "[ext-1/web-1]", "[ext-1/web-1 ext-3/web-1]", "[ext-3/web-1]")
}

func TestWatchChecksHandler(t *testing.T) {
	a := startDevAgent(t)
	out := filepath.Join(t.TempDir(), "changes")
	startWatch(t, a.Addr, "-type=checks", "-service=web", "cat >> '"+out+"'")
	describe := func(checks []api.HealthCheck) string {
		var s []string
		for _, c := range checks {
			s = append(s, c.CheckID+"="+c.Status+":"+c.Output)
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	check := func(status, output string) {
		putBody(t, a.Addr, "/v1/catalog/register", `{"Node":"ext-1","Address":"10.0.0.9",
			"Service":{"ID":"web-1","Service":"web","Port":8080},
			"Check":{"CheckID":"web-up","Name":"web up","Status":"`+status+`","Output":"`+output+`","ServiceID":"web-1"}}`)
	}

	waitRuns(t, out, describe, "[]")
	check("critical", "down")
	waitRuns(t, out, describe, "[]", "[web-up=critical:down]")
	check("critical", "down") // the same again: the index moves, the view does not
	mustPut(t, a.Addr, "unrelated", "x")
	check("passing", "up")
	docs := waitRuns(t, out, describe, "[]", "[web-up=critical:down]", "[web-up=passing:up]")
	if c := docs[2][0]; c.ServiceName != "web" || c.Node != "ext-1" || c.Name != "web up" {
		t.Errorf("check as handed over = %+v, want web's check on ext-1", c)
	}
}

func TestWatchEventHandler(t *testing.T) {
	a := startDevAgent(t)
	fire := func(name, payload string) string {
		t.Helper()
		res := concord(t, "event", "-http-addr="+a.Addr, "-name="+name, payload)
		id, ok := strings.CutPrefix(strings.TrimSpace(res.stdout), "Event ID: ")
		if res.code != 0 || !ok {
			t.Fatalf("concord event -name=%s = %+v", name, res)
		}
		return id
	}
	// An event fired before the watch starts is in the agent's list: the
	// first run hands it over, as consul's does.
	early := fire("deploy", "v0")

	out := filepath.Join(t.TempDir(), "changes")
	startWatch(t, a.Addr, "-type=event", "-name=deploy", "cat >> '"+out+"'")
	describe := func(events []api.UserEvent) string {
		var s []string
		for _, e := range events {
			s = append(s, e.ID+"="+string(e.Payload))
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	waitRuns(t, out, describe, "["+early+"=v0]")
	first := fire("deploy", "v1")
	waitRuns(t, out, describe, "["+early+"=v0]", "["+first+"=v1]")
	fire("other", "x") // another name: no run
	second := fire("deploy", "v2")
	docs := waitRuns(t, out, describe, "["+early+"=v0]", "["+first+"=v1]", "["+second+"=v2]")
	if e := docs[2][0]; e.Name != "deploy" || e.Version != 1 || e.LTime == 0 {
		t.Errorf("event as handed over = %+v, want name deploy, version 1 and its Lamport time", e)
	}
}

// hook records the requests of a config watch's http handler.
type hook struct {
	mu   sync.Mutex
	reqs []hookRequest // guarded by mu
}

type hookRequest struct {
	method, path, index, token, body string
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.reqs = append(h.reqs, hookRequest{r.Method, r.URL.Path, r.Header.Get("X-Consul-Index"), r.Header.Get("X-Token"), string(body)})
	h.mu.Unlock()
}

func (h *hook) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.reqs)
}

// TestConfigWatches: watches in the agent config run inside the agent: an
// http handler is called once per change of its key with the pair as JSON,
// and a script handler once per event.
func TestConfigWatches(t *testing.T) {
	h := &hook{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	dir := t.TempDir()
	events := filepath.Join(dir, "events")
	cfg := writeFile(t, dir, "watches.hcl", `
watches = [
  {
    type         = "key"
    key          = "cfg/web"
    handler_type = "http"
    http_handler_config = {
      path    = "`+srv.URL+`/hook"
      method  = "PUT"
      header  = { "X-Token" = ["abc"] }
      timeout = "5s"
    }
  },
  {
    type = "event"
    name = "deploy"
    args = ["sh", "-c", "cat >> '`+events+`'"]
  },
]
`)
	httpPort := testutil.FreePort(t)
	a := startAgent(t, httpPort, "-dev", "-node=cli", "-log-level=warn", "-config-file="+cfg,
		"-http-port="+strconv.Itoa(httpPort), "-server-port="+strconv.Itoa(testutil.FreePort(t)))

	// waitHook waits until the hook got exactly the pairs of want (values,
	// "null" for the missing key).
	waitHook := func(want ...string) []hookRequest {
		t.Helper()
		var reqs []hookRequest
		testutil.Run(t, watchWait, func(r *testutil.R) {
			reqs = h.requests()
			var got []string
			for _, req := range reqs {
				var p *api.KVPair
				if err := json.Unmarshal([]byte(req.body), &p); err != nil {
					r.Fatalf("hook body %q: %v", req.body, err)
				}
				if p == nil {
					got = append(got, "null")
				} else {
					got = append(got, string(p.Value))
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				r.Fatalf("hook got %q, want %q", got, want)
			}
		})
		return reqs
	}
	waitHook("null")
	mustPut(t, a.Addr, "cfg/web", "v1")
	mustPut(t, a.Addr, "cfg/other", "x")
	mustPut(t, a.Addr, "cfg/web", "v2")
	reqs := waitHook("null", "v1", "v2")
	for _, req := range reqs {
		if req.method != "PUT" || req.path != "/hook" || req.token != "abc" || req.index == "" || req.index == "0" {
			t.Errorf("hook request = %+v, want PUT /hook with X-Token abc and an index", req)
		}
	}
	if p := getPair(t, a.Addr, "cfg/web"); p == nil || reqs[2].index != strconv.FormatUint(p.ModifyIndex, 10) {
		t.Errorf("last hook index %s, want the pair's ModifyIndex (%+v)", reqs[2].index, p)
	}

	describe := func(evs []api.UserEvent) string {
		var s []string
		for _, e := range evs {
			s = append(s, string(e.Payload))
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	waitRuns(t, events, describe, "[]")
	for _, v := range []string{"1", "2"} {
		if res := concord(t, "event", "-http-addr="+a.Addr, "-name=deploy", v); res.code != 0 {
			t.Fatalf("concord event = %+v", res)
		}
		// One at a time: two events fired together may reach the handler
		// in one run.
		if v == "1" {
			waitRuns(t, events, describe, "[]", "[1]")
		}
	}
	waitRuns(t, events, describe, "[]", "[1]", "[2]")
}
