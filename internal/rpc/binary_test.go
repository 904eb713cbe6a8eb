package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// binaryResults are the result types with a binary form, each with a
// new value of it to decode into.
var binaryResults = []func() any{
	func() any { return new(call.Result[[]*api.ServiceEntry]) },
	func() any { return new(call.Result[*api.KVPair]) },
}

// TestBinaryResultsKeepEveryField fills every exported field of each
// binary result type with random values (nil, empty and full slices,
// maps and pointers alike) and checks that the value comes back as the
// JSON form (what the HTTP API writes, and what the wire carried before)
// would bring it: a field added to one of these types and not to
// binary.go fails here.
func TestBinaryResultsKeepEveryField(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, newResult := range binaryResults {
		for range 300 {
			in := newResult()
			fill(t, reflect.ValueOf(in).Elem(), rnd)
			data, isBinary, err := encodeResult(in)
			if err != nil || !isBinary {
				t.Fatalf("encodeResult(%T) = binary %v, %v; want binary", in, isBinary, err)
			}
			out := newResult()
			if err := decodeBinary(data, out); err != nil {
				t.Fatalf("decodeBinary(%T): %v", in, err)
			}
			a, _ := json.Marshal(in)
			b, _ := json.Marshal(out)
			if string(a) != string(b) {
				t.Fatalf("%T came back changed:\n in: %s\nout: %s", in, a, b)
			}
		}
	}
}

// fill sets v to a random value of its type.
func fill(t *testing.T, v reflect.Value, rnd *rand.Rand) {
	switch v.Kind() {
	case reflect.Pointer:
		if rnd.IntN(4) == 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), rnd)
	case reflect.Slice:
		switch rnd.IntN(4) {
		case 0:
			v.SetZero()
			return
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return
		}
		s := reflect.MakeSlice(v.Type(), 1+rnd.IntN(3), 3)
		for i := range s.Len() {
			fill(t, s.Index(i), rnd)
		}
		v.Set(s)
	case reflect.Map:
		switch rnd.IntN(4) {
		case 0:
			v.SetZero()
			return
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
			return
		}
		m := reflect.MakeMap(v.Type())
		for range 1 + rnd.IntN(3) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(t, k, rnd)
			fill(t, e, rnd)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), rnd)
			}
		}
	case reflect.String: // valid UTF-8, as every string that came in as JSON is
		r := make([]rune, rnd.IntN(12))
		for i := range r {
			r[i] = []rune("aZ0/:-_ é☃\"\\<\n")[rnd.IntN(14)]
		}
		v.SetString(string(r))
	case reflect.Interface: // map[string]any in mesh blocks: JSON's strings
		v.Set(reflect.ValueOf(fmt.Sprintf("any-%d", rnd.IntN(100))))
	case reflect.Bool:
		v.SetBool(rnd.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(rnd.Int64() >> rnd.IntN(64))
		if rnd.IntN(2) == 0 {
			v.SetInt(-v.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(rnd.Uint64() >> rnd.IntN(64))
	default:
		t.Fatalf("fill: no random %s (%s): teach fill and binary.go", v.Type(), v.Kind())
	}
}

// TestBinaryResultsOverTheWire sends full binary results through a
// server and a pool, as a client agent receives them.
func TestBinaryResultsOverTheWire(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, newResult := range binaryResults {
		want := newResult()
		fill(t, reflect.ValueOf(want).Elem(), rnd)
		s := startServer(t, func(context.Context, *testServer, json.RawMessage) (any, error) { return want, nil })
		got := newResult()
		if err := newPool(t).Call(testContext(t), s.addr, "test.Binary", nil, got); err != nil {
			t.Fatalf("Call: %v", err)
		}
		if a, b := mustJSON(t, want), mustJSON(t, got); a != b {
			t.Errorf("%T came back changed:\n got: %s\nwant: %s", got, b, a)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestBinaryResultIntoOtherType: a binary result decoded into a value of
// another type is an error, not a silently empty value.
func TestBinaryResultIntoOtherType(t *testing.T) {
	t.Parallel()
	data, _, _ := encodeResult(benchEntries(2))
	if err := decodeBinary(data, new(call.Result[[]*api.CatalogService])); err == nil {
		t.Fatal("decodeBinary into another type succeeded")
	}
}

// FuzzDecodeBinary: no input makes the binary decoders panic or allocate
// beyond the input's size.
func FuzzDecodeBinary(f *testing.F) {
	for _, v := range []any{benchEntries(2), &call.Result[*api.KVPair]{Value: &api.KVPair{Key: "k", Value: []byte("v")}}} {
		data, _, _ := encodeResult(v)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, newResult := range binaryResults {
			_ = decodeBinary(data, newResult())
		}
	})
}
