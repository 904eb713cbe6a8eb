package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
)

// A tree is one decoded source (a file or an -hcl fragment) before it is
// applied: HCL and JSON both decode to it, so they share one key table. Its
// values are string, bool, json.Number, []any, map[string]any or nil.
type tree = map[string]any

// applyTree sets every key of t on c. name is the file or "-hcl #N" and
// starts each error message. A null value leaves its key as it was. Keys
// Concord accepts without honouring (consul_keys.go) add one line per
// family to c.Warnings.
func applyTree(c *Config, name string, t tree) error {
	st := applyState{seen: make(map[string]bool), used: make(map[int][]string)}
	if err := applyObject(c, "", t, &st); err != nil {
		return fmt.Errorf("config: %s: %w", name, err)
	}
	if st.seen["bootstrap"] && st.seen["bootstrap_expect"] {
		return fmt.Errorf("config: %s: bootstrap and bootstrap_expect are mutually exclusive", name)
	}
	c.Warnings = append(c.Warnings, familyWarnings(name, st.used)...)
	return nil
}

// applyState is what applying one source records.
type applyState struct {
	seen map[string]bool  // option keys set
	used map[int][]string // family index → its keys set, in order
}

// applyObject applies the keys of m, which sits at prefix ("" or "ports.").
func applyObject(c *Config, prefix string, m map[string]any, st *applyState) error {
	for _, k := range sortedKeys(m) {
		key, v := prefix+k, m[k]
		if prefix == "" && definitionKeys[key] {
			if err := applyDefinitions(c, key, v); err != nil {
				return err
			}
			continue
		}
		opt := lookupKey(key)
		if opt == nil {
			// A block of honoured keys is entered before families are
			// looked at, so dns_config.service_ttl's "*" is honoured while
			// the family takes its other keys.
			if !isOptionSection(key) && st.noteFamily(key) {
				continue
			}
			if !isOptionSection(key) && !isKnownSection(key) {
				return unknownKey(key)
			}
			if err := applySection(c, key, v, st); err != nil {
				return err
			}
			continue
		}
		if v == nil {
			continue
		}
		x, err := convert(opt.kind, v)
		if err == nil && opt.check != nil {
			err = opt.check(x)
		}
		if err != nil {
			if opt.secret {
				return fmt.Errorf("%s: %w", key, err)
			}
			return fmt.Errorf("%s: %w, got %s", key, err, describe(v))
		}
		opt.set(c, x)
		st.seen[key] = true
		if opt.notice {
			st.noteFamily(key)
		}
	}
	return nil
}

// noteFamily records key for its family's warning and reports whether it
// belongs to one.
func (st *applyState) noteFamily(key string) bool {
	f := lookupFamily(key)
	if f < 0 {
		return false
	}
	if !slices.Contains(st.used[f], key) {
		st.used[f] = append(st.used[f], key)
	}
	return true
}

// applySection applies an object of keys such as ports. A list of objects
// (repeated HCL blocks, or JSON written as Consul's HCL1 decoder emits it)
// is applied in order.
func applySection(c *Config, key string, v any, st *applyState) error {
	switch v := v.(type) {
	case nil:
		return nil
	case map[string]any:
		return applyObject(c, key+".", v, st)
	case []any:
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: must be an object, got %s", key, describe(e))
			}
			if err := applyObject(c, key+".", m, st); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%s: must be an object, got %s", key, describe(v))
}

// convert turns a decoded value into the Go type of kind k. As in Consul,
// numbers and booleans may also be written as strings ("8500", "true") and
// a single string stands for a one-element list; flags rely on that too,
// since they arrive as strings. Errors name the problem only.
func convert(k kind, v any) (any, error) {
	switch k {
	case kindString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, errors.New("must be a string")
	case kindInt:
		s, err := numberText(v)
		if err != nil {
			return nil, err
		}
		return parseInt(s)
	case kindFloat:
		s, err := numberText(v)
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errors.New("must be a number")
		}
		return f, nil
	case kindBool:
		switch v := v.(type) {
		case bool:
			return v, nil
		case string:
			if b, err := strconv.ParseBool(v); err == nil {
				return b, nil
			}
		}
		return nil, errors.New("must be true or false")
	case kindDuration:
		if s, ok := v.(string); ok {
			if d, err := time.ParseDuration(s); err == nil {
				return d, nil
			}
		}
		return nil, errors.New(`must be a duration such as "10s" or "1m30s"`)
	case kindList:
		switch v := v.(type) {
		case string:
			return []string{v}, nil
		case []any:
			list := make([]string, len(v))
			for i, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, errors.New("must be a list of strings")
				}
				list[i] = s
			}
			return list, nil
		}
		return nil, errors.New("must be a list of strings")
	case kindMap:
		return convertMap(v)
	}
	panic(fmt.Sprintf("config: unknown option kind %d", k))
}

// convertMap turns an object of strings (or a list of them, from repeated
// HCL blocks, merged in order) into a map. Numbers and booleans stand for
// their text, as Consul's decoder takes them.
func convertMap(v any) (map[string]string, error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make(map[string]string)
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, errors.New("must be an object of strings")
		}
		for k, x := range m {
			switch x := x.(type) {
			case string:
				out[k] = x
			case json.Number:
				out[k] = string(x)
			case bool:
				out[k] = strconv.FormatBool(x)
			default:
				return nil, fmt.Errorf("%s: must be a string, got %s", k, describe(x))
			}
		}
	}
	return out, nil
}

// parseInt parses a whole number written in any form JSON or HCL allow,
// such as "8500" or "8.5e3".
// numberText is the text of a number as a config source gives it: a JSON
// number, or a string (HCL and flags).
func numberText(v any) (string, error) {
	switch v := v.(type) {
	case json.Number:
		return string(v), nil
	case string:
		return strings.TrimSpace(v), nil
	}
	return "", errors.New("must be a number")
}

func parseInt(s string) (int, error) {
	f, ok := new(big.Float).SetString(s)
	if !ok {
		return 0, errors.New("must be a number")
	}
	if !f.IsInt() {
		return 0, errors.New("must be a whole number")
	}
	n, acc := f.Int64()
	if acc != big.Exact || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, errors.New("is out of range")
	}
	return int(n), nil
}

// describe renders a decoded value for an error message.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(v)
	case json.Number:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = describe(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%v", v)
}

// definitionKeys hold service, check and watch definitions rather than settings.
var definitionKeys = map[string]bool{"service": true, "services": true, "check": true, "checks": true, "watches": true}

// applyDefinitions adds the service or check definitions under key (one
// object, or a list of them) to c. Their fields use Consul's names, in any
// case or in snake_case.
func applyDefinitions(c *Config, key string, v any) error {
	if key == "watches" {
		return applyWatches(c, v)
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	for i, item := range list {
		if _, ok := item.(map[string]any); !ok {
			return fmt.Errorf("%s: must be an object, got %s", key, describe(item))
		}
		var err error
		if key == "service" || key == "services" {
			var reg api.AgentServiceRegistration
			if err = api.UnmarshalLoose(item, &reg); err == nil && reg.Name == "" {
				err = errors.New("missing name")
			}
			c.Services = append(c.Services, &reg)
		} else {
			var reg api.AgentCheckRegistration
			if err = api.UnmarshalLoose(item, &reg); err == nil && reg.Name == "" {
				err = errors.New("missing name")
			}
			c.Checks = append(c.Checks, &reg)
		}
		if err != nil {
			return fmt.Errorf("%s[%d]: %v", key, i, err)
		}
	}
	return nil
}
