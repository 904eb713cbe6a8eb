package agent_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/config"
	"github.com/concordhq/concord/internal/testutil"
)

// lockBenchAgent starts a durable single server (fsync on every write) that
// accepts session TTLs down to 1s.
func lockBenchAgent(b *testing.B) *testutil.TestAgent {
	b.Helper()
	return testutil.StartAgent(b, b.TempDir(), func(c *config.Config) { c.SessionTTLMin = time.Second })
}

// lockClient is a net/http client for the lock benchmarks, with headers
// (X-Consul-Index) at hand.
type lockClient struct {
	hc   *http.Client
	base string // http://host:port
}

func newLockClient(addr string) *lockClient {
	return &lockClient{hc: newBenchClient(2), base: "http://" + addr}
}

// call sends one request and returns the status, the X-Consul-Index and
// the body.
func (c *lockClient) call(method, path string, body []byte) (int, uint64, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, 0, nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	idx, _ := strconv.ParseUint(resp.Header.Get("X-Consul-Index"), 10, 64)
	return resp.StatusCode, idx, data, err
}

// session creates a session from a JSON body and returns its ID.
func (c *lockClient) session(body string) (string, error) {
	code, _, data, err := c.call("PUT", "/v1/session/create", []byte(body))
	if err != nil {
		return "", err
	}
	var out struct{ ID string }
	if code != 200 || json.Unmarshal(data, &out) != nil || out.ID == "" {
		return "", fmt.Errorf("session create %s: %d %s", body, code, data)
	}
	return out.ID, nil
}

// kvBool sends a KV write and returns its true/false reply.
func (c *lockClient) kvBool(method, path string) (bool, error) {
	code, _, data, err := c.call(method, path, nil)
	if err != nil {
		return false, err
	}
	if code != 200 {
		return false, fmt.Errorf("%s %s: %d %s", method, path, code, data)
	}
	return string(bytes.TrimSpace(data)) == "true", nil
}

// lockHolder reads who holds key, blocking past index when it is not 0.
// It returns the holding session ("" when free or missing) and the index
// to block on next.
func (c *lockClient) lockHolder(key string, index uint64, wait time.Duration) (string, uint64, error) {
	path := "/v1/kv/" + key
	if index > 0 {
		path += fmt.Sprintf("?index=%d&wait=%dms", index, wait.Milliseconds())
	}
	code, idx, data, err := c.call("GET", path, nil)
	if err != nil {
		return "", 0, err
	}
	if code == 404 {
		return "", idx, nil
	}
	var pairs []struct{ Session string }
	if code != 200 || json.Unmarshal(data, &pairs) != nil || len(pairs) != 1 {
		return "", 0, fmt.Errorf("GET %s: %d %s", path, code, data)
	}
	return pairs[0].Session, idx, nil
}

// BenchmarkLockCycle measures lock hand-offs on one key: 8 contenders, each
// with its own session (LockDelay 0) and keep-alive connection, loop
// acquire → release; a contender that fails to acquire waits with a
// blocking query until the key changes. One op is one acquire+release
// cycle; every acquire and release is a Raft write fsynced to disk.
func BenchmarkLockCycle(b *testing.B) {
	const contenders = 8
	const key = "bench/lock"
	ta := lockBenchAgent(b)
	setup := newLockClient(ta.HTTPAddr())
	conns := make([]*rawConn, contenders)
	sessions := make([]string, contenders)
	for i := range conns {
		c, err := dialRaw(ta.HTTPAddr())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
		if sessions[i], err = setup.session(fmt.Sprintf(`{"Name":"bench-%d","LockDelay":"0s"}`, i)); err != nil {
			b.Fatal(err)
		}
	}

	var cycles, attempts atomic.Int64
	perContender := make([]int, contenders)
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range contenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := lockCycles(conns[i], key, sessions[i], int64(b.N), &cycles, &attempts, &perContender[i]); err != nil {
				failed.Store(err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	n := cycles.Load()
	slices.Sort(perContender)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "cycles/s")
	b.ReportMetric(float64(attempts.Load())/float64(n), "acquires/cycle")
	b.Logf("BenchmarkLockCycle: %d contenders, %d cycles in %v = %.0f cycles/s (%.2f acquire calls per cycle; cycles per contender min %d, max %d)",
		contenders, n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(),
		float64(attempts.Load())/float64(n), perContender[0], perContender[contenders-1])
}

// lockCycles runs acquire+release cycles on key until cycles reaches n.
func lockCycles(c *rawConn, key, session string, n int64, cycles, attempts *atomic.Int64, mine *int) error {
	acquire := fmt.Sprintf("/v1/kv/%s?acquire=%s", key, session)
	release := fmt.Sprintf("/v1/kv/%s?release=%s", key, session)
	for cycles.Load() < n {
		attempts.Add(1)
		code, body, err := c.do("PUT", acquire, []byte("x"))
		if err != nil || code != 200 {
			return fmt.Errorf("acquire: %d %s %v", code, body, err)
		}
		if string(body) != "true" {
			// Held: block until the key changes. Its ModifyIndex is the
			// index of a single-key read.
			code, body, err = c.do("GET", "/v1/kv/"+key, nil)
			if err != nil || code != 200 {
				return fmt.Errorf("get: %d %s %v", code, body, err)
			}
			var pairs []struct {
				Session     string
				ModifyIndex uint64
			}
			if err := json.Unmarshal(body, &pairs); err != nil || len(pairs) != 1 {
				return fmt.Errorf("get: %s %v", body, err)
			}
			if pairs[0].Session == "" {
				continue
			}
			code, body, err = c.do("GET", fmt.Sprintf("/v1/kv/%s?index=%d&wait=1s", key, pairs[0].ModifyIndex), nil)
			if err != nil || code != 200 {
				return fmt.Errorf("blocking get: %d %s %v", code, body, err)
			}
			continue
		}
		code, body, err = c.do("PUT", release, nil)
		if err != nil || code != 200 || string(body) != "true" {
			return fmt.Errorf("release: %d %s %v", code, body, err)
		}
		cycles.Add(1)
		*mine++
	}
	return nil
}

// failoverCase is one way for a lock to change hands.
type failoverCase struct {
	name   string
	holder string // session create body of the holder
	// trigger ends the holder and returns the moment the clock starts.
	trigger func(c *lockClient, holder string) (time.Time, error)
}

func destroyHolder(c *lockClient, holder string) (time.Time, error) {
	start := time.Now()
	ok, err := c.kvBool("PUT", "/v1/session/destroy/"+holder)
	if err == nil && !ok {
		err = fmt.Errorf("destroy %s: not true", holder)
	}
	return start, err
}

// stopRenewing renews the holder's session one last time and then never
// again, like a process that hangs: the clock starts at that last renew.
func stopRenewing(c *lockClient, holder string) (time.Time, error) {
	code, _, data, err := c.call("PUT", "/v1/session/renew/"+holder, nil)
	if err == nil && code != 200 {
		err = fmt.Errorf("renew %s: %d %s", holder, code, data)
	}
	return time.Now(), err
}

// BenchmarkLockFailover measures how long a lock stays unusable when its
// holder goes away: from the holder's end (its session destroyed, or its
// last renew) until a waiting contender's acquire succeeds. The contender
// watches the key with blocking queries (?index) and, once Session reads
// empty, retries the acquire every 20ms while the lock-delay runs. It
// reports the mean time until the key read as free (release-ms) and until
// the contender held it (failover-ms). The first case waits Consul's
// default 15s lock-delay: run it with -benchtime=1x.
func BenchmarkLockFailover(b *testing.B) {
	cases := []failoverCase{
		{"destroy-ttl10s-delay15s", `{"Name":"holder","TTL":"10s","LockDelay":"15s"}`, destroyHolder},
		{"destroy-ttl1s-delay1s", `{"Name":"holder","TTL":"1s","LockDelay":"1s"}`, destroyHolder},
		{"dies-ttl1s-delay1s", `{"Name":"holder","TTL":"1s","LockDelay":"1s"}`, stopRenewing},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			ta := lockBenchAgent(b)
			var released, acquired time.Duration
			b.ResetTimer()
			for i := range b.N {
				r, a, err := failoverOnce(ta.HTTPAddr(), tc, fmt.Sprintf("failover/%d", i))
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("BenchmarkLockFailover/%s: key free after %v, next holder after %v",
					tc.name, r.Round(10*time.Microsecond), a.Round(time.Millisecond))
				released += r
				acquired += a
			}
			ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(b.N) }
			b.ReportMetric(ms(released), "release-ms")
			b.ReportMetric(ms(acquired), "failover-ms")
		})
	}
}

// failoverOnce has a holder take key, starts a contender waiting on it,
// ends the holder with tc.trigger, and returns how long after that the
// key read as free and the contender held it.
func failoverOnce(addr string, tc failoverCase, key string) (released, acquired time.Duration, err error) {
	c := newLockClient(addr)
	holder, err := c.session(tc.holder)
	if err != nil {
		return 0, 0, err
	}
	contender, err := c.session(`{"Name":"contender","LockDelay":"0s"}`)
	if err != nil {
		return 0, 0, err
	}
	if ok, err := c.kvBool("PUT", fmt.Sprintf("/v1/kv/%s?acquire=%s", key, holder)); err != nil || !ok {
		return 0, 0, fmt.Errorf("holder acquire: %v %v", ok, err)
	}

	type event struct {
		at  time.Time
		err error
	}
	waiting := make(chan struct{})
	freeCh, heldCh := make(chan event, 1), make(chan event, 1)
	go func() {
		w := newLockClient(addr)
		var index uint64
		announced, seenFree := false, false
		for {
			session, idx, err := w.lockHolder(key, index, 20*time.Second)
			if err != nil {
				heldCh <- event{err: err}
				return
			}
			if session != "" {
				if !announced {
					announced = true
					close(waiting)
				}
				index = idx
				continue
			}
			if !seenFree {
				seenFree = true
				freeCh <- event{at: time.Now()}
			}
			ok, err := w.kvBool("PUT", fmt.Sprintf("/v1/kv/%s?acquire=%s", key, contender))
			if err != nil || ok {
				heldCh <- event{at: time.Now(), err: err}
				return
			}
			// Free but refused: the lock-delay runs, and no write will
			// wake a blocking query when it ends. Retry shortly (the 20ms
			// bounds the measurement's resolution).
			index = 0
			time.Sleep(20 * time.Millisecond)
		}
	}()
	select {
	case <-waiting:
	case e := <-heldCh:
		return 0, 0, fmt.Errorf("contender ended before waiting: %v", e.err)
	}
	start, err := tc.trigger(c, holder)
	if err != nil {
		return 0, 0, err
	}
	held := <-heldCh
	if held.err != nil {
		return 0, 0, held.err
	}
	free := <-freeCh
	return free.at.Sub(start), held.at.Sub(start), nil
}
