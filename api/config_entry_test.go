package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestDecodeConfigEntryShapes: the shapes other encodings give an entry
// decode as Consul reads them: HCL's list of one block where an object is
// meant, one block where a list is, durations as text, keys in any case
// and snake_case; user maps keep their keys.
func TestDecodeConfigEntryShapes(t *testing.T) {
	raw := map[string]any{
		"kind": "service-defaults", "NAME": "web",
		"mesh_gateway": []any{map[string]any{"MODE": "local"}},
		"upstream_config": map[string]any{
			"overrides": map[string]any{"name": "db", "passive_health_check": map[string]any{"interval": "1m30s", "base_ejection_time": "10s"}},
		},
		"meta": []any{map[string]any{"Key_One": "v"}},
	}
	e, err := DecodeConfigEntry(raw)
	if err != nil {
		t.Fatalf("DecodeConfigEntry = %v", err)
	}
	s := e.Service
	if s == nil || s.Name != "web" || s.MeshGateway.Mode != "local" || s.Meta["Key_One"] != "v" {
		t.Fatalf("decoded %+v", s)
	}
	o := s.UpstreamConfig.Overrides
	if len(o) != 1 || o[0].Name != "db" || o[0].PassiveHealthCheck.Interval != 90*time.Second ||
		*o[0].PassiveHealthCheck.BaseEjectionTime != 10*time.Second {
		t.Errorf("overrides = %+v", o)
	}
	for _, tc := range []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"Kind": 3}, "Kind value in payload is not a string"},
		{map[string]any{"Kind": "service-defaults", "Expose": map[string]any{"Paths": []any{map[string]any{"Bogus": 1}}}}, `invalid config key "Expose.Paths[0].Bogus"`},
		{map[string]any{"Kind": "service-defaults", "UpstreamConfig": map[string]any{"Defaults": map[string]any{"PassiveHealthCheck": map[string]any{"Interval": "soon"}}}}, "invalid duration for UpstreamConfig.Defaults.PassiveHealthCheck.Interval"},
		{map[string]any{"Kind": "proxy-defaults", "Config": "flat"}, "cannot decode"},
	} {
		if _, err := DecodeConfigEntry(tc.raw); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeConfigEntry(%v) = %v, want an error with %q", tc.raw, err, tc.want)
		}
	}
}

// FuzzDecodeConfigEntry: no input panics the decoder, normalisation or
// validation, and an entry that decodes comes back the same from its own
// JSON (what the servers store and return).
func FuzzDecodeConfigEntry(f *testing.F) {
	for _, seed := range []string{
		`{"Kind": "service-defaults", "Name": "web", "Protocol": "HTTP", "UpstreamConfig": {"Overrides": [{"Name": "db", "Limits": {"MaxConnections": 3}}]}}`,
		`{"kind": "proxy-defaults", "config": {"a": [1, {"b": null}]}, "mesh_gateway": {"mode": "local"}, "access_logs": {"enabled": true}}`,
		`{"Kind": "service-defaults", "Name": "x", "Destination": {"Addresses": ["a.b", "::1"], "Port": 80}, "Meta": {"k": "v"}}`,
		`{"Kind": "service-defaults", "Expose": {"Paths": {"Path": "/m"}}, "RateLimits": [{"InstanceLevel": {"Routes": []}}]}`,
		`{"Kind": "mesh"}`,
		`{"Kind": "service-defaults", "kind": "proxy-defaults", "Name": "global"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw map[string]any
		if json.Unmarshal(data, &raw) != nil {
			return
		}
		e, err := DecodeConfigEntry(raw)
		if err != nil {
			return
		}
		first, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("Marshal(%+v) = %v", e, err)
		}
		var again map[string]any
		if err := json.Unmarshal(first, &again); err != nil {
			t.Fatalf("Unmarshal(%s) = %v", first, err)
		}
		e2, err := DecodeConfigEntry(again)
		if err != nil {
			t.Fatalf("DecodeConfigEntry(its own JSON %s) = %v", first, err)
		}
		if second, _ := json.Marshal(e2); !bytes.Equal(first, second) {
			t.Fatalf("round trip changed the entry:\n%s\n%s", first, second)
		}
		if e.Normalize() == nil {
			_ = e.Validate()
		}
	})
}
