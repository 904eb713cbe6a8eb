package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeLockServer is just enough of an agent for one Lock: sessions are
// created and renewed, the key is acquired at once, and the monitor's
// consistent reads fail with 500 as many times in a row as failures says.
type fakeLockServer struct {
	mu       sync.Mutex
	failures int  // guarded by mu; consistent reads still to fail
	held     bool // guarded by mu
}

func (f *fakeLockServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	switch {
	case r.URL.Path == "/v1/session/create":
		json.NewEncoder(w).Encode(map[string]string{"ID": "s1"})
	case r.URL.Path == "/v1/session/renew/s1":
		json.NewEncoder(w).Encode([]*SessionEntry{{ID: "s1", TTL: "15s"}})
	case r.URL.Path == "/v1/session/destroy/s1":
		f.held = false
		w.Write([]byte("true"))
	case r.URL.Path != "/v1/kv/k":
		http.NotFound(w, r)
	case r.Method == http.MethodPut:
		f.held = q.Has("acquire")
		w.Write([]byte("true"))
	case q.Has("consistent") && f.failures > 0:
		f.failures--
		http.Error(w, "No cluster leader", http.StatusInternalServerError)
	default:
		if q.Has("index") {
			// A blocking read that sees no change: answer after a while.
			f.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			f.mu.Lock()
		}
		w.Header().Set("X-Consul-Index", "7")
		if !f.held {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode([]*KVPair{{Key: "k", Flags: LockFlagValue, Session: "s1", LockIndex: 1, ModifyIndex: 7}})
	}
}

// TestLockMonitorRetries checks that the monitor rides out MonitorRetries
// server errors in a row, and calls the lock lost at one more.
func TestLockMonitorRetries(t *testing.T) {
	for _, tt := range []struct {
		name     string
		failures int
		wantLost bool
	}{
		{"as many errors as retries", 3, false},
		{"one error too many", 4, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeLockServer{failures: tt.failures}
			srv := httptest.NewServer(f)
			t.Cleanup(srv.Close)
			c, err := NewClient(&Config{Address: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			l, _ := c.LockOpts(&LockOptions{Key: "k", MonitorRetries: 3, MonitorRetryTime: 10 * time.Millisecond})
			lost, err := l.Lock(nil)
			if err != nil || lost == nil {
				t.Fatalf("Lock = %v, %v", lost, err)
			}
			select {
			case <-lost:
				if !tt.wantLost {
					t.Errorf("lock lost after %d server errors, want it kept", tt.failures)
				}
			case <-time.After(500 * time.Millisecond):
				if tt.wantLost {
					t.Errorf("lock kept after %d server errors, want it lost", tt.failures)
				}
			}
			if err := l.Unlock(); err != nil {
				t.Errorf("Unlock: %v", err)
			}
		})
	}
}
