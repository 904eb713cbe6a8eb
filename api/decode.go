package api

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// userMaps are fields whose keys belong to the user and stay as given.
// A proxy's Config (and an upstream's) and an Envoy extension's Arguments
// are free-form.
var userMaps = map[string]bool{"meta": true, "header": true, "nodemeta": true, "taggedaddresses": true,
	"config": true, "arguments": true}

// keyAliases maps alternative field names to the ones our types use.
var keyAliases = map[string]string{"args": "scriptargs"}

// UnmarshalLoose decodes a registration (a service, a check) the way
// Consul's agent accepts it: field names in any case and in snake_case
// ("enable_tag_override", "deregister_critical_service_after"), and Args
// for ScriptArgs. Keys inside user maps such as Meta are left as given.
// v is decoded from the already-parsed JSON value raw.
func UnmarshalLoose(raw any, v any) error {
	data, err := json.Marshal(unsnake(raw, ""))
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// unsnake rewrites object keys so encoding/json (which matches names in
// any case, but not across underscores) finds snake_case spellings.
func unsnake(v any, parent string) any {
	switch t := v.(type) {
	case map[string]any:
		if userMaps[parent] {
			return t
		}
		out := make(map[string]any, len(t))
		// Spellings of one field ("Name", "name") collide; taking them in
		// order makes the last one in that order win every time, not
		// whichever map iteration happens to visit last.
		for _, k := range slices.Sorted(maps.Keys(t)) {
			val := t[k]
			key := strings.ToLower(strings.ReplaceAll(k, "_", ""))
			if alias, ok := keyAliases[key]; ok {
				key = alias
			}
			if key == "id" && (parent == "check" || parent == "checks") {
				key = "checkid" // a check inside a service definition
			}
			out[key] = unsnake(val, key)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i := range t {
			out[i] = unsnake(t[i], parent)
		}
		return out
	}
	return v
}
