package rpc

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/mem"
)

// FuzzEnvelope frames requests and replies of any content and checks that
// they come back as they went, and that no frame, however malformed,
// makes the decoders panic.
func FuzzEnvelope(f *testing.F) {
	f.Add("KVGet", "5ba7ba3c-3c8e-4b1b-8a6d-2c2bd29e8a6e", "dc2", []byte(`{"Key":"k"}`), "not-leader")
	f.Add("", "", "", []byte{}, "")
	f.Add("Txn", "", "", []byte{0x80, 0x80, 0x80}, "bad-request")
	f.Fuzz(func(t *testing.T, method, token, dc string, body []byte, kind string) {
		req := request{Method: method, Token: token, Datacenter: dc, Args: body}
		var got request
		if err := (codec{}).Unmarshal(frame(t, &req), &got); err != nil {
			t.Fatalf("request %+v: %v", req, err)
		}
		if got.Method != method || got.Token != token || got.Datacenter != dc || !bytes.Equal(got.Args, body) {
			t.Fatalf("request %+v came back as %+v", req, got)
		}
		var rep reply
		for _, isBinary := range []bool{false, true} {
			rep = reply{}
			if err := (codec{}).Unmarshal(frame(t, &reply{Result: body, Binary: isBinary}), &rep); err != nil || rep.Err != nil ||
				!bytes.Equal(rep.Result, body) || rep.Binary != isBinary {
				t.Fatalf("result %q (binary %v) came back as %+v, %v", body, isBinary, rep, err)
			}
		}
		rep = reply{}
		// An error travels as JSON, which carries text as UTF-8 (as the JSON
		// envelope before it did).
		msg := strings.ToValidUTF8(string(body), "\uFFFD")
		werr := &wireError{Kind: strings.ToValidUTF8(kind, "\uFFFD"), Message: msg, RetryAfter: time.Duration(len(body)) * time.Millisecond}
		if err := (codec{}).Unmarshal(frame(t, &reply{Err: werr}), &rep); err != nil || rep.Err == nil || *rep.Err != *werr {
			t.Fatalf("error %+v came back as %+v, %v", werr, rep, err)
		}
		// Any bytes at all: an error or a value, never a panic.
		_ = decodeRequest(body, &request{})
		_ = decodeReply(body, &reply{})
	})
}

func frame(t *testing.T, v any) mem.BufferSlice {
	t.Helper()
	out, err := (codec{}).Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
