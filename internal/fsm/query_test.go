package fsm_test

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/hashicorp/raft"
)

// queryLog is a prepared query command at idx.
func queryLog(idx uint64, op string, q api.PreparedQuery) *raft.Log {
	return &raft.Log{Index: idx, Type: raft.LogCommand, Data: fsm.EncodePreparedQuery(&fsm.QueryOp{Op: op, Query: q}, t0)}
}

func sessionLog(idx uint64, op string, sess api.SessionEntry) *raft.Log {
	return &raft.Log{Index: idx, Type: raft.LogCommand, Data: fsm.EncodeSession(&fsm.SessionOp{Op: op, Session: sess}, t0)}
}

const (
	sessID = "11111111-2222-3333-4444-555555555555"
	q1ID   = "aaaaaaaa-0000-0000-0000-000000000001"
	q2ID   = "aaaaaaaa-0000-0000-0000-000000000002"
	q3ID   = "aaaaaaaa-0000-0000-0000-000000000003"
)

// queryFSM holds a node with a session, a named query, a template and a
// query bound to the session.
func queryFSM(t *testing.T) *fsm.FSM {
	t.Helper()
	f := newFSM()
	results := f.ApplyBatch([]*raft.Log{
		{Index: 1, Type: raft.LogCommand, Data: fsm.EncodeRegister(&api.CatalogRegistration{Node: "n1", Address: "10.0.0.1"}, t0)},
		sessionLog(2, fsm.SessionCreate, api.SessionEntry{ID: sessID, Node: "n1"}),
		queryLog(3, state.QueryCreate, api.PreparedQuery{ID: q1ID, Name: "Web", Service: api.ServiceQuery{Service: "web", Tags: []string{"v1"}},
			DNS: api.QueryDNSOptions{TTL: "10s"}}),
		queryLog(4, state.QueryCreate, api.PreparedQuery{ID: q2ID, Name: "geo-", Template: api.QueryTemplate{Type: api.QueryTemplateNamePrefix, Regexp: "^geo-(.*)$"},
			Service: api.ServiceQuery{Service: "${match(1)}"}}),
		queryLog(5, state.QueryCreate, api.PreparedQuery{ID: q3ID, Session: sessID, Service: api.ServiceQuery{Service: "db"}}),
	})
	for i, res := range results {
		if res != nil {
			t.Fatalf("entry %d = %v, want nil", i+1, res)
		}
	}
	return f
}

func listQueries(t *testing.T, st *state.Store) []*api.PreparedQuery {
	t.Helper()
	_, qs, err := st.PreparedQueryList(nil)
	if err != nil {
		t.Fatalf("PreparedQueryList: %v", err)
	}
	return qs
}

func TestPreparedQueryApplyChecks(t *testing.T) {
	f := queryFSM(t)
	for _, tc := range []struct {
		name string
		op   string
		q    api.PreparedQuery
		want string
	}{
		{"name taken, any case", state.QueryCreate, api.PreparedQuery{ID: "x1", Name: "WEB", Service: api.ServiceQuery{Service: "a"}},
			"name 'WEB' aliases an existing query name"},
		{"name is an ID", state.QueryCreate, api.PreparedQuery{ID: "x2", Name: q1ID, Service: api.ServiceQuery{Service: "a"}},
			"name '" + q1ID + "' aliases an existing query ID"},
		{"missing session", state.QueryCreate, api.PreparedQuery{ID: "x3", Session: "nope", Service: api.ServiceQuery{Service: "a"}},
			`invalid session "nope"`},
		{"ID taken", state.QueryCreate, api.PreparedQuery{ID: q1ID, Name: "other", Service: api.ServiceQuery{Service: "a"}},
			state.ErrQueryExists.Error()},
		{"update of missing", state.QueryUpdate, api.PreparedQuery{ID: "gone", Name: "n", Service: api.ServiceQuery{Service: "a"}},
			"Cannot modify non-existent prepared query: 'gone'"},
		{"delete of missing", state.QueryDelete, api.PreparedQuery{ID: "gone"},
			"Cannot modify non-existent prepared query: 'gone'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := f.Apply(queryLog(10, tc.op, tc.q))
			if err, _ := res.(error); err == nil || err.Error() != tc.want {
				t.Errorf("apply %s %+v = %v, want error %q", tc.op, tc.q, res, tc.want)
			}
		})
	}
	// An empty-named template is unique too.
	tmpl := api.PreparedQuery{ID: "t1", Template: api.QueryTemplate{Type: api.QueryTemplateNamePrefix}, Service: api.ServiceQuery{Service: "a"}}
	if res := f.Apply(queryLog(11, state.QueryCreate, tmpl)); res != nil {
		t.Fatalf("first catch-all template = %v, want nil", res)
	}
	tmpl.ID = "t2"
	if res, _ := f.Apply(queryLog(12, state.QueryCreate, tmpl)).(error); res == nil || !strings.Contains(res.Error(), "empty name already exists") {
		t.Errorf("second catch-all template = %v, want refused", res)
	}
	if got := len(listQueries(t, f.State())); got != 4 {
		t.Errorf("%d queries after the refused writes, want 4", got)
	}
}

func TestPreparedQueryResolveOrder(t *testing.T) {
	f := queryFSM(t)
	f.Apply(queryLog(6, state.QueryCreate, api.PreparedQuery{ID: "t-long", Name: "geo-db-", Template: api.QueryTemplate{Type: api.QueryTemplateNamePrefix},
		Service: api.ServiceQuery{Service: "long"}}))
	f.Apply(queryLog(7, state.QueryCreate, api.PreparedQuery{ID: "static", Name: "geo-db-exact", Service: api.ServiceQuery{Service: "exact"}}))
	for name, wantID := range map[string]string{
		q1ID:           q1ID,     // by ID
		"web":          q1ID,     // by name, any case
		"geo-x":        q2ID,     // the only template that prefixes it
		"GEO-DB-1":     "t-long", // the longest prefix wins
		"geo-db-exact": "static", // an exact static name beats templates
		"nothing":      "",
		"":             "",
	} {
		_, q, err := f.State().PreparedQueryResolve(nil, name)
		got := ""
		if q != nil {
			got = q.ID
		}
		if err != nil || got != wantID {
			t.Errorf("PreparedQueryResolve(%q) = %q, %v; want %q", name, got, err, wantID)
		}
	}
}

func TestPreparedQueryDeletedWithSession(t *testing.T) {
	f := queryFSM(t)
	if res := f.Apply(sessionLog(6, fsm.SessionDestroy, api.SessionEntry{ID: sessID})); res != nil {
		t.Fatalf("session destroy = %v", res)
	}
	var ids []string
	for _, q := range listQueries(t, f.State()) {
		ids = append(ids, q.ID)
	}
	if want := []string{q1ID, q2ID}; !reflect.DeepEqual(ids, want) {
		t.Errorf("queries after the session ended = %q, want %q", ids, want)
	}
	if _, q, _ := f.State().PreparedQueryGet(nil, q3ID); q != nil {
		t.Errorf("session-bound query still there: %+v", q)
	}
	if idx := f.State().MaxIndex(); idx != 6 {
		t.Errorf("store index = %d, want 6", idx)
	}
}

func TestPreparedQuerySnapshotRoundTrip(t *testing.T) {
	src := queryFSM(t)
	want := listQueries(t, src.State())
	dst := newFSM()
	if err := dst.Restore(io.NopCloser(bytes.NewReader(persist(t, src)))); err != nil {
		t.Fatalf("Restore = %v", err)
	}
	got := listQueries(t, dst.State())
	if !reflect.DeepEqual(got, want) {
		t.Errorf("restored queries = %+v, want %+v", got, want)
	}
	// The restored indexes work: by name, by template, by session.
	if _, q, _ := dst.State().PreparedQueryResolve(nil, "geo-web"); q == nil || q.ID != q2ID {
		t.Errorf("restored template does not resolve geo-web: %+v", q)
	}
	dst.Apply(sessionLog(6, fsm.SessionDestroy, api.SessionEntry{ID: sessID}))
	if n := len(listQueries(t, dst.State())); n != 2 {
		t.Errorf("%d restored queries after their session ended, want 2", n)
	}
	if q := want[0]; q.CreateIndex != 3 || q.ModifyIndex != 3 {
		t.Errorf("query indexes = %d/%d, want 3/3", q.CreateIndex, q.ModifyIndex)
	}
}
