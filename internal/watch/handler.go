package watch

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"github.com/concordhq/concord/internal/proc"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Script is a handler that runs a command for each change, with the JSON
// on its stdin and CONSUL_INDEX (and CONCORD_INDEX) set to the index, and
// waits for it. A command that fails is an error; one still running when
// the watch stops gets SIGTERM, then SIGKILL after a grace, with the
// processes it started.
type Script struct {
	Args   []string  // the command and its arguments; non-empty
	Shell  bool      // run Args joined by spaces as one $SHELL -c line (/bin/sh if unset)
	Stdout io.Writer // the command's stdout; nil discards it
	Stderr io.Writer // the command's stderr; nil discards it
}

// killGrace is how long a stopped handler gets between SIGTERM and SIGKILL.
const killGrace = 3 * time.Second

// Handle runs the command once for a change; it is a Handler.
func (s *Script) Handle(ctx context.Context, index uint64, data []byte) error {
	idx := strconv.FormatUint(index, 10)
	return s.Run(ctx, data, "CONSUL_INDEX="+idx, "CONCORD_INDEX="+idx)
}

// Run runs the command once with stdin and the agent's environment plus
// env ("NAME=value"), and waits for it. Remote exec runs its jobs with it
// too. The error of a command that ran and failed wraps its
// *exec.ExitError.
func (s *Script) Run(ctx context.Context, stdin []byte, env ...string) error {
	cmd := proc.Command(s.Args, s.Shell)
	proc.OwnGroup(cmd)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = s.Stdout, s.Stderr
	cmd.WaitDelay = time.Second // do not wait for grandchildren holding the pipes
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start handler: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			return fmt.Errorf("handler failed: %w", err)
		}
		return nil
	case <-ctx.Done():
		proc.Stop(cmd.Process, exited, killGrace)
		return ctx.Err()
	}
}

// HTTPConfig is an HTTP handler's settings (Consul's http_handler_config).
type HTTPConfig struct {
	Path          string              // the URL; required
	Method        string              // POST when empty
	Header        map[string][]string // added to each request
	Timeout       time.Duration       // for the whole request; 10s when zero
	TLSSkipVerify bool                // accept any server certificate
}

// DefaultHTTPTimeout bounds an HTTP handler's request when its config says
// nothing.
const DefaultHTTPTimeout = 10 * time.Second

// HTTP returns a handler that sends each change's JSON as the body of a
// request to cfg.Path, with the index in X-Consul-Index. A reply other than
// 2xx is an error.
func HTTP(cfg HTTPConfig) Handler {
	if cfg.Method == "" {
		cfg.Method = http.MethodPost
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultHTTPTimeout
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.TLSSkipVerify {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	client := &http.Client{Transport: t, Timeout: cfg.Timeout}
	return func(ctx context.Context, index uint64, data []byte) error {
		req, err := http.NewRequestWithContext(ctx, cfg.Method, cfg.Path, bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("cannot build handler request: %w", err)
		}
		for name, values := range cfg.Header {
			for _, v := range values {
				req.Header.Add(name, v)
			}
		}
		if req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json")
		}
		idx := strconv.FormatUint(index, 10)
		req.Header.Set("X-Consul-Index", idx)
		req.Header.Set("X-Concord-Index", idx)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("handler request failed: %w", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("handler %s %s: %s %s", cfg.Method, cfg.Path, resp.Status, strings.TrimSpace(string(body)))
		}
		return nil
	}
}
