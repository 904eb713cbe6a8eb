package state

import (
	"testing"

	"github.com/concordhq/concord/api"
)

func TestJSONRowsDecodesOrRefuses(t *testing.T) {
	row, err := jsonRows[api.KVPair]([]byte(`{"Key":"a","Flags":3}`))
	if err != nil {
		t.Fatal(err)
	}
	if p := row.(*api.KVPair); p.Key != "a" || p.Flags != 3 {
		t.Fatalf("decoded %+v", p)
	}
	if _, err := jsonRows[api.KVPair]([]byte(`{"Key":`)); err == nil {
		t.Fatal("a truncated row decoded")
	}
}

func TestRestoreRefusesUnknownTable(t *testing.T) {
	r := New().Restore()
	defer r.Abort()
	if err := r.Object("no_such_table", []byte(`{}`)); err == nil {
		t.Fatal("a row of an unknown table was restored")
	}
}
