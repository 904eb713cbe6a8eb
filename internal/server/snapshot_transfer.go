package server

import (
	"fmt"
	"sync"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/google/uuid"
)

// transferIdle is how long an archive in transfer waits for its next
// part before it is dropped.
const transferIdle = time.Minute

// errTransferGone is a part for a transfer this server does not hold: it
// expired, or another server started it (the leader changed).
func errTransferGone(handle string) error {
	return api.NotFoundError{Reason: fmt.Sprintf("snapshot transfer %q not found on this server (expired, or the leader changed): start again", handle)}
}

// transfers holds snapshot archives travelling in parts between calls
// (see call.SnapshotPartSize): a save's archive being fetched, a
// restore's being gathered.
type transfers struct {
	mu sync.Mutex
	m  map[string]*transfer // by handle; guarded by mu
}

type transfer struct {
	data  []byte      // the archive, or what has arrived of it
	timer *time.Timer // drops the transfer once idle
}

// add keeps data under a new handle, which it returns.
func (ts *transfers) add(data []byte) string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.m == nil {
		ts.m = map[string]*transfer{}
	}
	h := uuid.NewString()
	ts.m[h] = &transfer{data: data, timer: time.AfterFunc(transferIdle, func() { ts.drop(h) })}
	return h
}

// update runs fn on the transfer under handle, with mu held, and restarts
// its idle timer; fn's result replaces its data.
func (ts *transfers) update(handle string, fn func(data []byte) ([]byte, error)) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := ts.m[handle]
	if t == nil {
		return errTransferGone(handle)
	}
	data, err := fn(t.data)
	if err != nil {
		return err
	}
	t.data = data
	t.timer.Reset(transferIdle)
	return nil
}

// take removes the transfer under handle and returns its data.
func (ts *transfers) take(handle string) ([]byte, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := ts.m[handle]
	if t == nil {
		return nil, errTransferGone(handle)
	}
	t.timer.Stop()
	delete(ts.m, handle)
	return t.data, nil
}

// drop forgets the transfer under handle, if any.
func (ts *transfers) drop(handle string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t := ts.m[handle]; t != nil {
		t.timer.Stop()
		delete(ts.m, handle)
	}
}
