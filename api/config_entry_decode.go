package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// DecodeConfigEntry decodes a config entry a user wrote, from its JSON or
// HCL already parsed into raw, as Consul accepts it: the kind from "Kind"
// (or "kind"), field names in any case and in snake_case
// ("mesh_gateway", "max_inbound_connections"), durations as numbers of
// nanoseconds or as text ("10s"), HCL's one-block lists where an object is
// meant (and one block where a list is). Keys inside Meta, Config and an
// extension's Arguments belong to the user and stay as given. A key that
// names no field is an error, as in Consul ("invalid config key").
func DecodeConfigEntry(raw map[string]any) (*ConfigEntry, error) {
	kindVal, ok := raw["Kind"]
	if !ok {
		kindVal, ok = raw["kind"]
	}
	if !ok {
		return nil, errors.New("Payload does not contain a kind/Kind key at the top level")
	}
	kind, ok := kindVal.(string)
	if !ok {
		return nil, errors.New("Kind value in payload is not a string")
	}
	e, err := NewConfigEntry(kind, "")
	if err != nil {
		return nil, err
	}
	var target any = e.Service
	if e.Proxy != nil {
		target = e.Proxy
	}
	norm, err := normalizeKeys(raw, reflect.TypeOf(target).Elem(), "")
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(norm)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, target); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("cannot decode %q: %s where %s was expected", te.Field, te.Value, te.Type)
		}
		return nil, err
	}
	// The kind read first decides, whatever other spelling of the key
	// the body also has.
	if e.Service != nil {
		e.Service.Kind = kind
	} else {
		e.Proxy.Kind = kind
	}
	return e, nil
}

var durationType = reflect.TypeOf(time.Duration(0))

// normalizeKeys rewrites v, the value of a field of type t at path, so
// that encoding/json decodes it into t: object keys become field names;
// durations given as text become nanoseconds.
func normalizeKeys(v any, t reflect.Type, path string) (any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := soleObject(v)
		if !ok {
			return v, nil // a type mismatch: json.Unmarshal names it
		}
		return normalizeObject(m, t, path)
	case reflect.Map:
		if m, ok := soleObject(v); ok {
			return m, nil // the user's own keys
		}
	case reflect.Slice:
		if m, ok := v.(map[string]any); ok {
			v = []any{m} // one HCL block where a list is meant
		}
		list, ok := v.([]any)
		if !ok {
			return v, nil
		}
		out := make([]any, len(list))
		for i, elem := range list {
			var err error
			if out[i], err = normalizeKeys(elem, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return nil, err
			}
		}
		return out, nil
	case reflect.Int64:
		if s, ok := v.(string); ok && t == durationType {
			d, err := time.ParseDuration(s)
			if err != nil {
				return nil, fmt.Errorf("invalid duration for %s: %v", path, err)
			}
			return int64(d), nil
		}
	}
	return v, nil
}

// normalizeObject renames m's keys to the fields of struct t they name.
// Spellings of one field ("Name", "name") are taken in sorted order, so
// the same one wins every time.
func normalizeObject(m map[string]any, t reflect.Type, path string) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		f, ok := fieldFor(t, k)
		if !ok {
			return nil, fmt.Errorf("invalid config key %q", strings.TrimPrefix(path+"."+k, "."))
		}
		v, err := normalizeKeys(m[k], f.Type, strings.TrimPrefix(path+"."+f.Name, "."))
		if err != nil {
			return nil, err
		}
		out[f.Name] = v
	}
	return out, nil
}

// fieldFor finds the exported field of t that key names, in any case and
// with or without underscores.
func fieldFor(t reflect.Type, key string) (reflect.StructField, bool) {
	want := strings.ReplaceAll(key, "_", "")
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && strings.EqualFold(f.Name, want) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// soleObject returns v as an object, also when it is a list of exactly
// one object (how HCL decodes a block).
func soleObject(v any) (map[string]any, bool) {
	if list, ok := v.([]any); ok && len(list) == 1 {
		v = list[0]
	}
	m, ok := v.(map[string]any)
	return m, ok
}
