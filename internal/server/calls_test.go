package server

import "testing"

// TestEveryCallImplemented fails when a declared call has no
// implementation on the server (a server would also refuse to start).
func TestEveryCallImplemented(t *testing.T) {
	if _, err := (&Server{}).newTable(); err != nil {
		t.Fatal(err)
	}
}
