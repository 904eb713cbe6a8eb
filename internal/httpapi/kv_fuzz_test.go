package httpapi_test

import (
	"bytes"
	"net/url"
	"testing"
)

// kvMethods are the methods FuzzKV sends; OPTIONS and POST take the
// route's Allow and 405 paths.
var kvMethods = []string{"GET", "PUT", "DELETE", "OPTIONS", "POST"}

// FuzzKV sends /v1/kv/<key>?<query> with any method, key, query and body,
// the key and query as raw URL text. Besides the harness's checks: a PUT
// that answers true stored exactly the body, as a ?raw read shows.
func FuzzKV(f *testing.F) {
	const get, put, del, options, post = 0, 1, 2, 3, 4
	seeds := []struct {
		method     uint8
		key, query string
		body       string
	}{
		{put, "web/config", "", "v1"},
		{get, "web/config", "", ""},
		{get, "web/config", "raw", ""},
		{get, "web/", "recurse", ""},
		{get, "", "recurse&stale", ""},
		{get, "web", "keys&separator=/", ""},
		{get, "web", "keys&seperator=%2F", ""},
		{get, "", "keys", ""},
		{get, "", "", ""},
		{get, "web/config", "index=1&wait=1ms", ""},
		{get, "web/config", "index=18446744073709551616", ""},
		{get, "web/config", "wait=-1s&index=2", ""},
		{get, "web/config", "stale&consistent", ""},
		{get, "web/config", "cached&consistent", ""},
		{get, "web/config", "dc=dc2", ""},
		{get, "web/config", "pretty", ""},
		{put, "web/config", "flags=42", "x"},
		{put, "web/config", "flags=-1", "x"},
		{put, "web/config", "flags=18446744073709551616", "x"},
		{put, "web/config", "cas=0", "new"},
		{put, "web/config", "cas=abc", "x"},
		{put, "web/config", "cas=1&acquire=x", "x"},
		{put, "lock", "acquire=5a0ec9e8-4e52-4b1c-9b83-cb6f4c2a2a6b", ""},
		{put, "lock", "acquire=not-a-uuid", ""},
		{put, "lock", "release=", ""},
		{put, "", "", "no key"},
		{put, "a%2Fb", "", "escaped slash"},
		{put, "a/../b", "", "dot dot"},
		{put, "a//b", "", "double slash"},
		{put, "caf%C3%A9/%E2%98%83", "", "unicode"},
		{put, "%FF%FE", "", "invalid utf-8"},
		{put, "sp ace", "", "space"},
		{put, "semi;colon", "a=1;b=2", "semicolons"},
		{put, "trailing/", "", "dir"},
		{put, "x", "", "\x00\xff binary"},
		{del, "web/config", "", ""},
		{del, "web", "recurse", ""},
		{del, "", "", ""},
		{del, "web/config", "cas=7", ""},
		{del, "web/config", "cas=7&recurse", ""},
		{options, "web/config", "", ""},
		{post, "web/config", "", "x"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.key, s.query, []byte(s.body))
	}
	a := startFuzzAgent(f)

	f.Fuzz(func(t *testing.T, method uint8, key, query string, body []byte) {
		a.begin(t)
		m := kvMethods[int(method)%len(kvMethods)]
		target := withQuery("/v1/kv/"+key, query)
		r, ok := a.do(t, m, target, body)
		if !ok || m != "PUT" || r.code != 200 || string(r.body) != "true" {
			return
		}
		// Read back from the path the PUT was sent to.
		u, err := url.Parse(target)
		if err != nil {
			t.Fatalf("url.Parse(%q) after the request was sent: %v", target, err)
		}
		u.RawQuery, u.Fragment = "raw", ""
		got := a.mustDo(t, "GET", u.RequestURI(), nil)
		if !bytes.Equal(got.body, body) {
			t.Fatalf("PUT %q (body %q) = true, but GET %q = %q", target, truncate(body), u.RequestURI(), truncate(got.body))
		}
	})
}
