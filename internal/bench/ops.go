package bench

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/miekg/dns"
)

// op is one kind of operation a run repeats.
type op struct {
	// prepare runs once before the workers start, on its own connection:
	// it writes the data the op reads. Optional.
	prepare func(cfg Config, c *httpConn) error
	// start runs in each worker before its first operation; an error
	// counts once and ends that worker. Optional.
	start func(w *worker) error
	// do runs operation number n. It is called by one worker goroutine
	// at a time and may use only that worker's state.
	do func(w *worker, n int64) error
	// stop runs in each worker after its last operation. Optional.
	stop func(w *worker)
	// rounds, if set, replaces the closed loop of workers: it runs the
	// whole op and returns what it measured (the watch op).
	rounds func(r *run) tally
	// dns marks the ops that need Config.DNSAddr.
	dns bool
	// once marks ops that write each key once: Count is at most Keys.
	once bool
}

// keyPrefix is where every key of a run lives, apart from the user's data.
const keyPrefix = "concord-bench/"

// serviceName is the service health and dns query; register uses
// serviceName + "-reg".
const serviceName = "concord-bench"

// ops is every op by name.
var ops = map[string]*op{
	"put":            {do: doPut},
	"get":            {prepare: prepareKeys, do: doGet("")},
	"get-consistent": {prepare: prepareKeys, do: doGet("?consistent")},
	"get-stale":      {prepare: prepareKeys, do: doGet("?stale")},
	"cas":            {do: doCAS},
	"txn":            {do: doTxn},
	"session":        {do: doSession},
	"lock":           {start: startLock, do: doLock, stop: stopLock},
	"register":       {do: doRegister},
	"health":         {prepare: prepareInstances, do: doHealth},
	"dns-a":          {prepare: prepareInstances, start: startDNS(dns.TypeA), do: doDNS, stop: stopDNS, dns: true},
	"dns-srv":        {prepare: prepareInstances, start: startDNS(dns.TypeSRV), do: doDNS, stop: stopDNS, dns: true},
	"load":           {do: doPut, once: true},
	"watch":          {rounds: runWatch(watchKey)},
	"watch-service":  {rounds: runWatch(watchService)},
}

// kvPath is the HTTP path of key number i: put, load and get use the same
// keys, so a get run can read what a load wrote.
func kvPath(i int64) string { return "/v1/kv/" + keyPrefix + "kv/" + strconv.FormatInt(i, 10) }

// fillValue makes w.value distinct for operation n: the number, then
// padding. A benchmark that rewrites the same value flatters servers that
// skip no-op writes.
func fillValue(v []byte, n int64) []byte {
	b := strconv.AppendInt(v[:0], n, 10)
	b = append(b, ' ')
	for len(b) < cap(v) {
		b = append(b, 'x')
	}
	return b
}

// call does one request and turns a non-2xx reply into an error.
func call(c *httpConn, method, path string, body []byte) ([]byte, error) {
	code, reply, err := c.do(method, path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if code < 200 || code > 299 {
		return nil, statusError(method, path, code, reply)
	}
	return reply, nil
}

func doPut(w *worker, n int64) error {
	w.value = fillValue(w.value, n)
	_, err := call(w.http, "PUT", kvPath(n%int64(w.cfg.Keys)), w.value)
	return err
}

// prepareKeys writes every key the get ops read.
func prepareKeys(cfg Config, c *httpConn) error {
	v := make([]byte, cfg.ValueSize)
	for i := range int64(cfg.Keys) {
		// A cluster may be electing a leader: retry a few times, briefly.
		var err error
		for attempt := 0; attempt < 20; attempt++ {
			if _, err = call(c, "PUT", kvPath(i), fillValue(v, i)); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func doGet(query string) func(w *worker, n int64) error {
	return func(w *worker, n int64) error {
		_, err := call(w.http, "GET", kvPath(n%int64(w.cfg.Keys))+query, nil)
		return err
	}
}

// doCAS reads a key and writes it back with ?cas= its ModifyIndex. Losing
// the race (a false reply) is the point of the op, not a failure.
func doCAS(w *worker, n int64) error {
	path := "/v1/kv/" + keyPrefix + "cas/" + strconv.FormatInt(n%int64(w.cfg.Keys), 10)
	code, reply, err := w.http.do("GET", path, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	var index uint64 // 0 creates the key if it does not exist yet
	switch code {
	case 200:
		var pairs []api.KVPair
		if err := json.Unmarshal(reply, &pairs); err != nil || len(pairs) != 1 {
			return fmt.Errorf("GET %s: cannot decode %q: %v", path, reply, err)
		}
		index = pairs[0].ModifyIndex
	case 404:
	default:
		return statusError("GET", path, code, reply)
	}
	w.value = fillValue(w.value, n)
	reply, err = call(w.http, "PUT", path+"?cas="+strconv.FormatUint(index, 10), w.value)
	if err != nil {
		return err
	}
	return wantBool(path, reply)
}

// wantBool checks that reply is a JSON boolean; either value is success.
func wantBool(path string, reply []byte) error {
	if s := string(reply); s != "true" && s != "false" && s != "true\n" && s != "false\n" {
		return fmt.Errorf("PUT %s: want true or false, got %q", path, reply)
	}
	return nil
}

// doTxn sets two keys in one transaction.
func doTxn(w *worker, n int64) error {
	w.value = fillValue(w.value, n)
	keys := int64(w.cfg.Keys)
	body, err := json.Marshal([]api.TxnOp{
		{KV: &api.KVTxnOp{Verb: "set", Key: keyPrefix + "txn/" + strconv.FormatInt(n%keys, 10), Value: w.value}},
		{KV: &api.KVTxnOp{Verb: "set", Key: keyPrefix + "txn/" + strconv.FormatInt((n+1)%keys, 10), Value: w.value}},
	})
	if err != nil {
		return err
	}
	_, err = call(w.http, "PUT", "/v1/txn", body)
	return err
}

// createSession creates a session and returns its ID.
func createSession(c *httpConn, body string) (string, error) {
	reply, err := call(c, "PUT", "/v1/session/create", []byte(body))
	if err != nil {
		return "", err
	}
	var s struct{ ID string }
	if err := json.Unmarshal(reply, &s); err != nil || s.ID == "" {
		return "", fmt.Errorf("PUT /v1/session/create: no ID in %q", reply)
	}
	return s.ID, nil
}

// doSession creates a session and destroys it.
func doSession(w *worker, n int64) error {
	id, err := createSession(w.http, `{"Name":"concord-bench"}`)
	if err != nil {
		return err
	}
	_, err = call(w.http, "PUT", "/v1/session/destroy/"+id, nil)
	return err
}

// lockPath is the one key every lock worker contends for.
const lockPath = "/v1/kv/" + keyPrefix + "lock"

func startLock(w *worker) error {
	id, err := createSession(w.http, `{"Name":"concord-bench-lock","LockDelay":"1ms","Behavior":"release"}`)
	w.session = id
	return err
}

func stopLock(w *worker) {
	if w.session != "" {
		call(w.http, "PUT", lockPath+"?release="+w.session, nil)
		call(w.http, "PUT", "/v1/session/destroy/"+w.session, nil)
	}
}

// doLock acquires the contended key, retrying while another worker holds
// it, then releases it. Its latency is the wait plus both writes.
func doLock(w *worker, n int64) error {
	acquire := lockPath + "?acquire=" + w.session
	for {
		w.value = fillValue(w.value, n)
		reply, err := call(w.http, "PUT", acquire, w.value)
		if err != nil {
			return err
		}
		if err := wantBool(lockPath, reply); err != nil {
			return err
		}
		if reply[0] == 't' {
			break
		}
		if err := w.ctx.Err(); err != nil {
			return err
		}
	}
	reply, err := call(w.http, "PUT", lockPath+"?release="+w.session, nil)
	if err != nil {
		return err
	}
	if string(reply) != "true" && string(reply) != "true\n" {
		return fmt.Errorf("PUT %s?release: got %q, want true", lockPath, reply)
	}
	return nil
}

// doRegister registers a new service instance with the agent.
func doRegister(w *worker, n int64) error {
	body := fmt.Sprintf(`{"ID":"%s-reg-%d","Name":"%s-reg","Port":%d}`, serviceName, n, serviceName, 1024+n%60000)
	_, err := call(w.http, "PUT", "/v1/agent/service/register", []byte(body))
	return err
}

// prepareInstances registers cfg.Keys passing instances of serviceName,
// each on its own node, through the catalog.
func prepareInstances(cfg Config, c *httpConn) error {
	for i := range cfg.Keys {
		node := fmt.Sprintf("%s-%d", serviceName, i)
		id := fmt.Sprintf("%s-%d", serviceName, i)
		body, err := json.Marshal(map[string]any{
			"Node":    node,
			"Address": fmt.Sprintf("127.1.%d.%d", i/250, 1+i%250),
			"Service": map[string]any{"ID": id, "Service": serviceName, "Port": 8000 + i%50000},
			"Check": map[string]any{"Node": node, "CheckID": "service:" + id, "Name": "bench", "Status": "passing",
				"ServiceID": id},
		})
		if err != nil {
			return err
		}
		if _, err := call(c, "PUT", "/v1/catalog/register", body); err != nil {
			return err
		}
	}
	return nil
}

// doHealth lists the passing instances of serviceName.
func doHealth(w *worker, n int64) error {
	reply, err := call(w.http, "GET", "/v1/health/service/"+serviceName+"?passing", nil)
	if err != nil {
		return err
	}
	if len(reply) < 3 { // "[]": nothing registered, or nothing passing
		return fmt.Errorf("GET /v1/health/service/%s?passing: no instances in %q", serviceName, reply)
	}
	return nil
}
