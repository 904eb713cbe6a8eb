package api

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestSessionWire checks what each Session method sends and how it reads
// the reply. sent is "METHOD path?query body".
func TestSessionWire(t *testing.T) {
	const sessJSON = `{"ID":"s1","Name":"n","Node":"node1","LockDelay":15000000000,"Behavior":"release","TTL":"10s",` +
		`"NodeChecks":["serfHealth"],"ServiceChecks":null,"CreateIndex":4,"ModifyIndex":4}`
	sess := &SessionEntry{ID: "s1", Name: "n", Node: "node1", LockDelay: 15 * time.Second, Behavior: "release",
		TTL: "10s", NodeChecks: []string{"serfHealth"}, CreateIndex: 4, ModifyIndex: 4}

	tests := []struct {
		name  string
		reply reply
		call  func(s *Session) (any, error)
		sent  string
		want  any
	}{
		{
			name:  "create with every field",
			reply: reply{body: `{"ID":"s1"}`},
			call: func(s *Session) (any, error) {
				return s.Create(&SessionEntry{Name: "n", Node: "node1", LockDelay: 1500 * time.Millisecond,
					Behavior: "delete", TTL: "10s", NodeChecks: []string{}, ServiceChecks: []ServiceCheck{{ID: "web"}}})
			},
			sent: `PUT /v1/session/create? {"Behavior":"delete","LockDelay":"1.5s","Name":"n","Node":"node1",` +
				`"NodeChecks":[],"ServiceChecks":[{"ID":"web","Namespace":""}],"TTL":"10s"}`,
			want: "s1",
		},
		{
			name:  "create leaves defaults to the server",
			reply: reply{body: `{"ID":"s1"}`},
			call:  func(s *Session) (any, error) { return s.Create(&SessionEntry{}) },
			sent:  `PUT /v1/session/create? {}`,
			want:  "s1",
		},
		{
			name:  "create with lock-delay disabled",
			reply: reply{body: `{"ID":"s1"}`},
			call:  func(s *Session) (any, error) { return s.Create(&SessionEntry{LockDelay: -1}) },
			sent:  `PUT /v1/session/create? {"LockDelay":"0s"}`,
			want:  "s1",
		},
		{
			name:  "destroy",
			reply: reply{body: `true`},
			call:  func(s *Session) (any, error) { return nil, s.Destroy("s1") },
			sent:  `PUT /v1/session/destroy/s1? `,
			want:  nil,
		},
		{
			name:  "renew",
			reply: reply{body: "[" + sessJSON + "]"},
			call:  func(s *Session) (any, error) { return s.Renew("s1") },
			sent:  `PUT /v1/session/renew/s1? `,
			want:  sess,
		},
		{
			name:  "renew of a session that is gone",
			reply: reply{status: 404, body: "Session id 's1' not found"},
			call:  func(s *Session) (any, error) { return s.Renew("s1") },
			sent:  `PUT /v1/session/renew/s1? `,
			want:  (*SessionEntry)(nil),
		},
		{
			name:  "info",
			reply: reply{body: "[" + sessJSON + "]"},
			call: func(s *Session) (any, error) {
				e, _, err := s.Info("s1", &QueryOptions{MinQueryIndex: 3, MaxQueryTime: time.Second})
				return e, err
			},
			sent: `GET /v1/session/info/s1?index=3&wait=1000ms `,
			want: sess,
		},
		{
			name:  "info of a missing session",
			reply: reply{body: "[]"},
			call:  func(s *Session) (any, error) { e, _, err := s.Info("s2", nil); return e, err },
			sent:  `GET /v1/session/info/s2? `,
			want:  (*SessionEntry)(nil),
		},
		{
			name:  "list",
			reply: reply{body: "[" + sessJSON + "]"},
			call:  func(s *Session) (any, error) { l, _, err := s.List(&QueryOptions{AllowStale: true}); return l, err },
			sent:  `GET /v1/session/list?stale= `,
			want:  []*SessionEntry{sess},
		},
		{
			name:  "node",
			reply: reply{body: "[]"},
			call:  func(s *Session) (any, error) { l, _, err := s.Node("node1", nil); return l, err },
			sent:  `GET /v1/session/node/node1? `,
			want:  []*SessionEntry{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, last := testServer(t, Config{}, tt.reply)
			got, err := tt.call(c.Session())
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			r := last()
			if sent := r.Method + " " + r.Path + "?" + r.Query + " " + r.Body; sent != tt.sent {
				t.Errorf("sent %s\nwant %s", sent, tt.sent)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestSessionErrors(t *testing.T) {
	c, _ := testServer(t, Config{}, reply{status: 500, body: "No cluster leader"})
	s := c.Session()
	var se *StatusError
	if _, err := s.Create(nil); !errors.As(err, &se) || se.Code != 500 {
		t.Errorf("Create on 500 = %v, want a *StatusError 500", err)
	}
	if _, err := s.Renew("s1"); !errors.As(err, &se) || se.Code != 500 {
		t.Errorf("Renew on 500 = %v, want a *StatusError 500", err)
	}
	if err := s.Destroy("s1"); !errors.As(err, &se) || se.Code != 500 {
		t.Errorf("Destroy on 500 = %v, want a *StatusError 500", err)
	}

	if err := s.RenewPeriodic("soon", "s1", nil); err == nil {
		t.Errorf("RenewPeriodic with TTL %q = nil, want an error", "soon")
	}
}

// TestRenewPeriodicGivesUp checks that RenewPeriodic retries failed
// renewals until a whole TTL has passed since the last success, then
// returns the error.
func TestRenewPeriodicGivesUp(t *testing.T) {
	c, _ := testServer(t, Config{}, reply{status: 500, body: "No cluster leader"})
	start := time.Now()
	err := c.Session().RenewPeriodic("1s", "s1", nil)
	took := time.Since(start)
	var se *StatusError
	if !errors.As(err, &se) || errors.Is(err, ErrSessionExpired) {
		t.Errorf("RenewPeriodic against a failing server = %v, want the 500", err)
	}
	if took < time.Second || took > 3*time.Second {
		t.Errorf("RenewPeriodic gave up after %v, want after the 1s TTL (and a retry)", took)
	}
}
