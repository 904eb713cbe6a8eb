package checks

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/concordhq/concord/api"
)

// A Docker check runs its ScriptArgs inside a running container, as
// `docker exec` would, through the Docker Engine API: the daemon at
// DOCKER_HOST (unix:// or tcp://), else the local socket. Its exit status
// counts as a script's: 0 passing, 1 warning, anything else critical; a
// container or daemon that cannot be reached is critical.

// defaultDockerHost is the daemon's socket when DOCKER_HOST is not set.
const defaultDockerHost = "unix:///var/run/docker.sock"

// dockerContainerName is what Docker accepts as a container ID or name.
var dockerContainerName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// dockerClient talks to one Docker daemon.
type dockerClient struct {
	http *http.Client
	base string // "http://docker" for a socket, else the daemon's URL
}

// newDockerClient returns a client of the daemon at host ("" for
// DOCKER_HOST, else the local socket).
func newDockerClient(host string) (*dockerClient, error) {
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		host = defaultDockerHost
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("%w: DOCKER_HOST %q: %v", ErrInvalidCheck, host, err)
	}
	switch u.Scheme {
	case "unix":
		path := u.Path
		dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
		return &dockerClient{http: &http.Client{Transport: &http.Transport{DialContext: dial}}, base: "http://docker"}, nil
	case "tcp", "http":
		return &dockerClient{http: &http.Client{Transport: &http.Transport{}}, base: "http://" + u.Host}, nil
	}
	return nil, fmt.Errorf("%w: DOCKER_HOST %q: only unix:// and tcp:// daemons are supported", ErrInvalidCheck, host)
}

// newDockerProbe returns the probe of a Docker check.
func newDockerProbe(def *api.AgentServiceCheck, maxOutput int) (probe, error) {
	if !dockerContainerName.MatchString(def.DockerContainerID) {
		return nil, fmt.Errorf("%w: DockerContainerID %q is not a container ID or name", ErrInvalidCheck, def.DockerContainerID)
	}
	c, err := newDockerClient("")
	if err != nil {
		return nil, err
	}
	container, args := def.DockerContainerID, def.Args
	return func(ctx context.Context) (string, string) {
		out := &tailBuffer{max: maxOutput}
		code, err := c.exec(ctx, container, args, out)
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return api.HealthCritical, fmt.Sprintf("Timed out running check in container %s. Output: %s", container, out)
		case err != nil:
			return api.HealthCritical, err.Error()
		case code == 0:
			return api.HealthPassing, out.String()
		case code == 1:
			return api.HealthWarning, out.String()
		}
		return api.HealthCritical, out.String()
	}, nil
}

// exec runs args in container, writing its stdout and stderr to out, and
// returns its exit code.
func (c *dockerClient) exec(ctx context.Context, container string, args []string, out io.Writer) (int, error) {
	var created struct{ ID string }
	err := c.call(ctx, "POST", "/containers/"+container+"/exec",
		map[string]any{"AttachStdout": true, "AttachStderr": true, "Tty": false, "Cmd": args}, &created)
	if err != nil {
		return 0, fmt.Errorf("cannot create exec in container %s: %w", container, err)
	}
	res, err := c.do(ctx, "POST", "/exec/"+created.ID+"/start", map[string]any{"Detach": false, "Tty": false})
	if err != nil {
		return 0, fmt.Errorf("cannot start exec in container %s: %w", container, err)
	}
	err = demux(res.Body, out)
	res.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("cannot read the output of exec in container %s: %w", container, err)
	}
	var inspect struct {
		ExitCode int
		Running  bool
	}
	if err := c.call(ctx, "GET", "/exec/"+created.ID+"/json", nil, &inspect); err != nil {
		return 0, fmt.Errorf("cannot read the exit code of exec in container %s: %w", container, err)
	}
	if inspect.Running {
		return 0, fmt.Errorf("exec in container %s still running after its output ended", container)
	}
	return inspect.ExitCode, nil
}

// call sends body as JSON and decodes the JSON reply into reply.
func (c *dockerClient) call(ctx context.Context, method, path string, body, reply any) error {
	res, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(reply)
}

// do sends a request; a reply that is not 2xx is an error with the
// daemon's message.
func (c *dockerClient) do(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 != 2 {
		defer res.Body.Close()
		var msg struct{ Message string }
		data, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		if json.Unmarshal(data, &msg) != nil || msg.Message == "" {
			msg.Message = strings.TrimSpace(string(data))
		}
		return nil, fmt.Errorf("docker daemon: %s (%s)", msg.Message, res.Status)
	}
	return res, nil
}

// demux copies the payloads of Docker's multiplexed stream (frames of an
// 8-byte header, whose last 4 bytes are the big-endian payload size) to
// out, stdout and stderr alike.
func demux(r io.Reader, out io.Writer) error {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		if _, err := io.CopyN(out, r, int64(binary.BigEndian.Uint32(hdr[4:]))); err != nil {
			return err
		}
	}
}
