package bench

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// The watch ops measure how long blocking readers take to see a write:
// watch blocks on a KV key, watch-service on the health of a service
// (/v1/health/service/NAME), which the writer changes by registering an
// instance of it with a new port through the catalog. Config.Watchers
// readers each own a connection; one writer runs rounds:
//  1. every watcher sends GET path?index=I&wait=..., I being the index of
//     the last write it saw;
//  2. once all have sent, the writer waits watchSettle so the server has
//     parked every read, then writes the key (a distinct value) and notes
//     when the write is acknowledged;
//  3. each watcher notes when its read returns with a higher index; its
//     sample is that moment minus the acknowledgement, or zero if it saw
//     the write before the writer saw the ack.
//
// A sample, and one op, is one wake-up: ops/s counts wakes, settle time
// included, so it says little; p50 and p99 are the figures. A first round,
// not measured, opens the connections (and the server's goroutines for
// them); measured rounds go on until Duration ends or Count wakes are
// reached.

// watchTarget is what the watchers of a watch op block on and how the
// writer changes it.
type watchTarget struct {
	path  string                                           // blocking read
	write func(c *httpConn, seq int64, value []byte) error // the change of round seq
}

// watchKey is the watch op's target: a key the writer writes.
var watchKey = watchTarget{
	path: "/v1/kv/" + keyPrefix + "watch",
	write: func(c *httpConn, seq int64, value []byte) error {
		_, err := call(c, "PUT", "/v1/kv/"+keyPrefix+"watch", fillValue(value, seq))
		return err
	},
}

// watchService is the watch-service op's target: the health of a service
// whose one instance the writer re-registers with port seq.
var watchService = watchTarget{
	path: "/v1/health/service/" + serviceName + "-watch",
	write: func(c *httpConn, seq int64, _ []byte) error {
		body, err := json.Marshal(map[string]any{
			"Node": serviceName + "-watch", "Address": "127.0.0.1",
			"Service": map[string]any{"Service": serviceName + "-watch", "Port": 1 + seq%65535},
		})
		if err == nil {
			_, err = call(c, "PUT", "/v1/catalog/register", body)
		}
		return err
	},
}

// watchWait is the wait of each blocking read: far longer than a round,
// so a read returns only because of the write.
const watchWait = "60s"

// watchSettle is how long the writer waits after the watchers sent their
// reads, so the server has read and parked them: a read that arrives after
// the write returns at once and would flatter the figure.
func watchSettle(watchers int) time.Duration {
	return 50*time.Millisecond + time.Duration(watchers)*50*time.Microsecond
}

// watchRound is one write and the wake-ups it causes.
type watchRound struct {
	armed sync.WaitGroup // every watcher has sent its read
	woke  sync.WaitGroup // every watcher's read has returned (or failed)
	at    []time.Time    // by watcher: when its read returned
	errs  []error        // by watcher: why its read failed, or nil
}

// runWatch returns the rounds (see above) of a watch op on target.
func runWatch(target watchTarget) func(r *run) tally {
	return func(r *run) tally { return target.run(r) }
}

func (target watchTarget) run(r *run) tally {
	var t tally
	w := newHTTPConn(r.addrs[0])
	defer w.Close()
	value := make([]byte, r.cfg.ValueSize)
	if err := target.write(w, 0, value); err != nil {
		t.fail(err)
		return t
	}
	if _, err := call(w, "GET", target.path, nil); err != nil || w.index == 0 {
		t.fail(fmt.Errorf("GET %s: no X-Consul-Index (%v)", target.path, err))
		return t
	}
	n := r.cfg.Watchers
	rounds := make([]chan *watchRound, n)
	var exited sync.WaitGroup
	for i := range rounds {
		rounds[i] = make(chan *watchRound, 1)
		c := newHTTPConn(r.addrs[i%len(r.addrs)])
		exited.Go(func() { watcher(c, target.path, w.index, i, rounds[i]) })
	}
	defer func() {
		for _, ch := range rounds {
			close(ch)
		}
		exited.Wait()
	}()
	for seq := int64(0); r.ctx.Err() == nil && (r.cfg.Count == 0 || (seq-1)*int64(n) < r.cfg.Count); seq++ {
		rd := &watchRound{at: make([]time.Time, n), errs: make([]error, n)}
		rd.armed.Add(n)
		rd.woke.Add(n)
		for _, ch := range rounds {
			ch <- rd
		}
		rd.armed.Wait()
		time.Sleep(watchSettle(n)) // not cut short: the watchers wait for this write
		err := target.write(w, seq+1, value)
		ack := time.Now()
		if err != nil {
			r.failed.Add(1)
			t.fail(err)
		}
		rd.woke.Wait() // on a failed write, until the reads time out
		for i, at := range rd.at {
			switch {
			case rd.errs[i] != nil:
				r.failed.Add(1)
				t.fail(rd.errs[i])
			case seq > 0: // round 0 warms up
				t.samples = append(t.samples, max(0, at.Sub(ack)))
				r.done.Add(1)
			}
		}
	}
	return t
}

// watcher is watcher number i: for each round it gets, it blocks on path
// from index and records when the read returns past it.
func watcher(c *httpConn, path string, index uint64, i int, rounds <-chan *watchRound) {
	defer c.Close()
	for rd := range rounds {
		at, next, err := watchOnce(c, path, index, rd.armed.Done)
		rd.at[i], rd.errs[i] = at, err
		if err == nil {
			index = next
		}
		rd.woke.Done()
	}
}

// watchOnce sends a blocking read from index, calls armed once it is sent
// (or could not be), and waits until the read returns a higher index. It
// returns when that was and the new index.
func watchOnce(c *httpConn, target string, index uint64, armed func()) (time.Time, uint64, error) {
	path := target + "?index=" + strconv.FormatUint(index, 10) + "&wait=" + watchWait
	err := c.send("GET", path, nil)
	armed()
	for err == nil {
		code, reply, rerr := c.recv()
		at := time.Now()
		switch {
		case rerr != nil:
			return at, 0, fmt.Errorf("GET %s: %w", path, rerr)
		case code != 200:
			return at, 0, statusError("GET", path, code, reply)
		case c.index > index:
			return at, c.index, nil
		}
		err = c.send("GET", path, nil) // the wait ended with no change: block again
	}
	return time.Time{}, 0, fmt.Errorf("GET %s: %w", path, err)
}
