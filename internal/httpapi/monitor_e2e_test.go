package httpapi_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consulapi "github.com/hashicorp/consul/api"
)

// monitorTimeout bounds the wait for a logged line to reach a monitor.
const monitorTimeout = 10 * time.Second

// waitLine reads lines until one contains want, failing after a while.
func waitLine(t *testing.T, what string, lines <-chan string, want string) string {
	t.Helper()
	deadline := time.After(monitorTimeout)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%s: stream ended before a line with %q", what, want)
			}
			if strings.Contains(l, want) {
				return l
			}
		case <-deadline:
			t.Fatalf("%s: no line with %q after %v", what, want, monitorTimeout)
		}
	}
}

// TestAgentMonitorStreamsLinesBelowTheAgentLevel subscribes at info and
// debug while the agent itself logs at warn, then makes the agent log an
// info line and a warn line.
func TestAgentMonitorStreamsLinesBelowTheAgentLevel(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	stop := make(chan struct{})
	defer close(stop)
	text, err := c.Agent().Monitor("info", stop, nil)
	if err != nil {
		t.Fatalf("Monitor(info): %v", err)
	}
	jsonLines, err := c.Agent().MonitorJSON("debug", stop, nil)
	if err != nil {
		t.Fatalf("MonitorJSON(debug): %v", err)
	}

	// Both monitors are subscribed once their reply headers are in.
	if err := ta.Reload(ta.Config); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	line := waitLine(t, "text monitor", text, "configuration reloaded")
	if !strings.Contains(line, " [INFO]  ") {
		t.Errorf("text monitor line = %q, want Consul's [INFO] level", line)
	}
	line = waitLine(t, "JSON monitor", jsonLines, "configuration reloaded")
	var rec struct {
		Level string `json:"@level"`
		Msg   string `json:"@message"`
	}
	if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level != "info" || rec.Msg != "configuration reloaded" {
		t.Errorf("JSON monitor line = %q (%v), want Consul's @level info, @message \"configuration reloaded\"", line, err)
	}

	// A failed request logs a warning with the component's attributes.
	doRaw(t, ta.HTTPAddr(), "PUT", "/v1/agent/join/127.0.0.1:1", nil)
	line = waitLine(t, "text monitor", text, "/v1/agent/join/127.0.0.1:1")
	if !strings.Contains(line, " [WARN]  http: ") {
		t.Errorf("text monitor line = %q, want [WARN] and the http module", line)
	}
}

func TestAgentMonitorRejectsUnknownLevel(t *testing.T) {
	t.Parallel()
	ta, _ := startDevAgent(t)
	r := doRaw(t, ta.HTTPAddr(), "GET", "/v1/agent/monitor?loglevel=loud", nil)
	wantStatus(t, "GET /v1/agent/monitor?loglevel=loud", r, http.StatusBadRequest)
	if string(r.Body) != "Unknown log level: loud" {
		t.Errorf("body = %q, want %q", r.Body, "Unknown log level: loud")
	}
}

// TestAgentMonitorEndsWhenAgentStops checks that a stream in progress is
// closed by the agent's shutdown rather than holding it.
func TestAgentMonitorEndsWhenAgentStops(t *testing.T) {
	t.Parallel()
	ta := testutil.StartAgent(t, "", devConfig(nil))
	resp, err := http.Get("http://" + ta.HTTPAddr() + "/v1/agent/monitor?loglevel=debug")
	if err != nil {
		t.Fatalf("GET /v1/agent/monitor: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /v1/agent/monitor = %d %q, want 200 text/plain", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, bufio.NewReader(resp.Body))
		done <- err
	}()
	start := time.Now()
	ta.Stop(t)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stream ended with %v, want a clean end", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("shutdown with a monitor open took %v", d)
		}
	case <-time.After(monitorTimeout):
		t.Fatal("monitor stream still open after the agent stopped")
	}
}

// TestAgentMonitorDebugRequestLines: at debug, each request logs a line as
// Consul's agent does, with a ?token= hidden; registering a service logs
// that it was synced.
func TestAgentMonitorDebugRequestLines(t *testing.T) {
	t.Parallel()
	ta, c := startDevAgent(t)
	stop := make(chan struct{})
	defer close(stop)
	lines, err := c.Agent().Monitor("debug", stop, nil)
	if err != nil {
		t.Fatalf("Monitor(debug): %v", err)
	}
	doRaw(t, ta.HTTPAddr(), "GET", "/v1/kv/monitored?token=s3cret", nil)
	line := waitLine(t, "debug monitor", lines, "/v1/kv/monitored")
	if !strings.Contains(line, "[DEBUG] http: Request finished: method=GET url=") ||
		!strings.Contains(line, "token=%3Chidden%3E") || strings.Contains(line, "s3cret") {
		t.Errorf("request line = %q, want Consul's Request finished line with the token hidden", line)
	}
	if err := c.Agent().ServiceRegister(&consulapi.AgentServiceRegistration{Name: "redis"}); err != nil {
		t.Fatal(err)
	}
	line = waitLine(t, "debug monitor", lines, "Synced service")
	if !strings.Contains(line, "[INFO]  ") || !strings.Contains(line, "service=redis") {
		t.Errorf("sync line = %q, want [INFO] ... Synced service: service=redis", line)
	}
}
