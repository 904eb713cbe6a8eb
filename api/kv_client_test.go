package api

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestKVWire checks what each KV method sends and how it reads the reply.
// sent is "METHOD path?query body", body quoted.
func TestKVWire(t *testing.T) {
	pair := &KVPair{Key: "a", Flags: 3, Value: []byte("hi"), LockIndex: 1, Session: "s1", CreateIndex: 4, ModifyIndex: 5}
	pairJSON := `{"LockIndex":1,"Key":"a","Flags":3,"Value":"aGk=","Session":"s1","CreateIndex":4,"ModifyIndex":5}`

	tests := []struct {
		name  string
		reply reply
		call  func(kv *KV) (any, error)
		sent  string
		want  any
	}{
		{
			name:  "get",
			reply: reply{body: "[" + pairJSON + "]"},
			call:  func(kv *KV) (any, error) { p, _, err := kv.Get("a", nil); return p, err },
			sent:  `GET /v1/kv/a? ""`,
			want:  pair,
		},
		{
			name:  "get missing",
			reply: reply{status: 404},
			call:  func(kv *KV) (any, error) { p, _, err := kv.Get("nope", nil); return p, err },
			sent:  `GET /v1/kv/nope? ""`,
			want:  (*KVPair)(nil),
		},
		{
			name:  "get escapes the key",
			reply: reply{status: 404},
			call:  func(kv *KV) (any, error) { p, _, err := kv.Get("a b/c%d?e", nil); return p, err },
			sent:  `GET /v1/kv/a%20b/c%25d%3Fe? ""`,
			want:  (*KVPair)(nil),
		},
		{
			name:  "get with query options",
			reply: reply{status: 404},
			call: func(kv *KV) (any, error) {
				q := &QueryOptions{Datacenter: "dc2", AllowStale: true, RequireConsistent: true,
					MinQueryIndex: 7, MaxQueryTime: 1500 * time.Millisecond}
				p, _, err := kv.Get("a", q)
				return p, err
			},
			sent: `GET /v1/kv/a?consistent=&dc=dc2&index=7&stale=&wait=1500ms ""`,
			want: (*KVPair)(nil),
		},
		{
			name:  "list",
			reply: reply{body: "[" + pairJSON + "]"},
			call:  func(kv *KV) (any, error) { ps, _, err := kv.List("a", nil); return ps, err },
			sent:  `GET /v1/kv/a?recurse= ""`,
			want:  []*KVPair{pair},
		},
		{
			name:  "list missing",
			reply: reply{status: 404},
			call:  func(kv *KV) (any, error) { ps, _, err := kv.List("nope/", nil); return ps, err },
			sent:  `GET /v1/kv/nope/?recurse= ""`,
			want:  []*KVPair(nil),
		},
		{
			name:  "keys with separator",
			reply: reply{body: `["a/","b"]`},
			call:  func(kv *KV) (any, error) { ks, _, err := kv.Keys("", "/", nil); return ks, err },
			sent:  `GET /v1/kv/?keys=&separator=%2F ""`,
			want:  []string{"a/", "b"},
		},
		{
			name:  "keys without separator",
			reply: reply{body: `["a/x"]`},
			call: func(kv *KV) (any, error) {
				ks, _, err := kv.Keys("a/", "", &QueryOptions{AllowStale: true})
				return ks, err
			},
			sent: `GET /v1/kv/a/?keys=&stale= ""`,
			want: []string{"a/x"},
		},
		{
			name:  "put without flags",
			reply: reply{body: "true"},
			call:  func(kv *KV) (any, error) { return kv.Put(&KVPair{Key: "a", Value: []byte("v")}) },
			sent:  `PUT /v1/kv/a? "v"`,
			want:  true,
		},
		{
			name:  "put with flags",
			reply: reply{body: "true"},
			call:  func(kv *KV) (any, error) { return kv.Put(&KVPair{Key: "a", Flags: 7}) },
			sent:  `PUT /v1/kv/a?flags=7 ""`,
			want:  true,
		},
		{
			name:  "cas",
			reply: reply{body: "false"},
			call:  func(kv *KV) (any, error) { return kv.CAS(&KVPair{Key: "a", Value: []byte("v"), ModifyIndex: 5}) },
			sent:  `PUT /v1/kv/a?cas=5 "v"`,
			want:  false,
		},
		{
			name:  "cas create only",
			reply: reply{body: "true"},
			call:  func(kv *KV) (any, error) { return kv.CAS(&KVPair{Key: "a", Flags: 2}) },
			sent:  `PUT /v1/kv/a?cas=0&flags=2 ""`,
			want:  true,
		},
		{
			name:  "acquire",
			reply: reply{body: "true"},
			call:  func(kv *KV) (any, error) { return kv.Acquire(&KVPair{Key: "a", Value: []byte("me"), Session: "s1"}) },
			sent:  `PUT /v1/kv/a?acquire=s1 "me"`,
			want:  true,
		},
		{
			name:  "release",
			reply: reply{body: "false"},
			call:  func(kv *KV) (any, error) { return kv.Release(&KVPair{Key: "a", Session: "s1"}) },
			sent:  `PUT /v1/kv/a?release=s1 ""`,
			want:  false,
		},
		{
			name:  "delete",
			reply: reply{body: "true"},
			call:  func(kv *KV) (any, error) { return kv.Delete("a/b") },
			sent:  `DELETE /v1/kv/a/b? ""`,
			want:  true,
		},
		{
			name:  "delete cas",
			reply: reply{body: "false"},
			call:  func(kv *KV) (any, error) { return kv.DeleteCAS(&KVPair{Key: "a", ModifyIndex: 9}) },
			sent:  `DELETE /v1/kv/a?cas=9 ""`,
			want:  false,
		},
		{
			name:  "delete tree",
			reply: reply{body: "true"},
			call:  func(kv *KV) (any, error) { return kv.DeleteTree("a/") },
			sent:  `DELETE /v1/kv/a/?recurse= ""`,
			want:  true,
		},
		{
			name:  "delete everything",
			reply: reply{body: "true"},
			call:  func(kv *KV) (any, error) { return kv.DeleteTree("") },
			sent:  `DELETE /v1/kv/?recurse= ""`,
			want:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, last := testServer(t, Config{}, tt.reply)
			got, err := tt.call(c.KV())
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			r := last()
			if sent := fmt.Sprintf("%s %s?%s %q", r.Method, r.Path, r.Query, r.Body); sent != tt.sent {
				t.Errorf("%s sent %s, want %s", tt.name, sent, tt.sent)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.name, got, tt.want)
			}
		})
	}
}

func TestKVPutContentType(t *testing.T) {
	c, last := testServer(t, Config{}, reply{body: "true"})
	if _, err := c.KV().Put(&KVPair{Key: "a", Value: []byte{0, 1}}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := last().ContentType; got != "application/octet-stream" {
		t.Errorf("Put Content-Type = %q, want application/octet-stream", got)
	}
}

func TestKVWriteRejectsLeadingSlash(t *testing.T) {
	c, last := testServer(t, Config{}, reply{body: "true"})
	kv := c.KV()
	calls := map[string]func() (bool, error){
		"Put":        func() (bool, error) { return kv.Put(&KVPair{Key: "/a"}) },
		"CAS":        func() (bool, error) { return kv.CAS(&KVPair{Key: "/a"}) },
		"Delete":     func() (bool, error) { return kv.Delete("/a") },
		"DeleteTree": func() (bool, error) { return kv.DeleteTree("/") },
	}
	for name, call := range calls {
		if ok, err := call(); ok || err == nil {
			t.Errorf("%s(%q) = %v, %v; want false and an error", name, "/a", ok, err)
		}
	}
	if got := last(); got.Method != "" {
		t.Errorf("a request was sent for a key with a leading slash: %+v", got)
	}
}

func TestKVErrors(t *testing.T) {
	c, _ := testServer(t, Config{}, reply{status: 500, body: "No cluster leader"})
	kv := c.KV()
	calls := map[string]func() error{
		"Get":  func() error { _, _, err := kv.Get("a", nil); return err },
		"List": func() error { _, _, err := kv.List("a", nil); return err },
		"Keys": func() error { _, _, err := kv.Keys("a", "/", nil); return err },
		"Put":  func() error { _, err := kv.Put(&KVPair{Key: "a"}); return err },
		"Txn":  func() error { _, _, err := kv.Txn(nil); return err },
	}
	want := &StatusError{Code: 500, Body: "No cluster leader"}
	for name, call := range calls {
		var se *StatusError
		if err := call(); !errors.As(err, &se) || *se != *want {
			t.Errorf("%s error = %v, want %v", name, err, want)
		}
	}
}

func TestKVTxn(t *testing.T) {
	ops := []*TxnOp{
		{KV: &KVTxnOp{Verb: KVSet, Key: "a", Value: []byte("hi")}},
		{KV: &KVTxnOp{Verb: KVGet, Key: "a"}},
	}
	const sentBody = `[{"KV":{"Verb":"set","Key":"a","Value":"aGk=","Flags":0,"Index":0,"Session":""}},` +
		`{"KV":{"Verb":"get","Key":"a","Value":null,"Flags":0,"Index":0,"Session":""}}]`
	tests := []struct {
		name   string
		reply  reply
		wantOK bool
		want   *TxnResponse
	}{
		{
			name:   "applied",
			reply:  reply{body: `{"Results":[{"KV":{"Key":"a","Value":"aGk=","ModifyIndex":3}}],"Errors":null}`},
			wantOK: true,
			want:   &TxnResponse{Results: []TxnResult{{KV: &KVPair{Key: "a", Value: []byte("hi"), ModifyIndex: 3}}}},
		},
		{
			name:   "rolled back",
			reply:  reply{status: 409, body: `{"Results":null,"Errors":[{"OpIndex":1,"What":"key \"a\" does not exist"}]}`},
			wantOK: false,
			want:   &TxnResponse{Errors: []TxnError{{OpIndex: 1, What: `key "a" does not exist`}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, last := testServer(t, Config{}, tt.reply)
			ok, resp, err := c.KV().Txn(ops)
			if err != nil || ok != tt.wantOK || !reflect.DeepEqual(resp, tt.want) {
				t.Errorf("Txn = %v, %+v, %v; want %v, %+v, nil", ok, resp, err, tt.wantOK, tt.want)
			}
			r := last()
			if r.Method != "PUT" || r.Path != "/v1/txn" || r.Body != sentBody || r.ContentType != "application/json" {
				t.Errorf("Txn sent %s %s (%s) %s, want PUT /v1/txn (application/json) %s",
					r.Method, r.Path, r.ContentType, r.Body, sentBody)
			}
		})
	}
}
