package config

import "testing"

// TestFamiliesAndOptionsDisjoint: a key is honoured (options) or accepted
// with a warning (families), not both, unless the option says so (notice);
// and no two families claim one key.
func TestFamiliesAndOptionsDisjoint(t *testing.T) {
	for _, o := range options {
		if o.key == "dns_config.service_ttl.*" {
			continue // the literal key "*"; the family has the other names, options are looked up first
		}
		if f := lookupFamily(o.key); (f >= 0) != o.notice {
			t.Errorf("option %q: in family %d, notice %v", o.key, f, o.notice)
		}
	}
	owner := map[string]int{}
	for i, f := range families {
		for _, k := range f.keys {
			if j, ok := owner[k]; ok {
				t.Errorf("key %q is in families %d and %d", k, j, i)
			}
			owner[k] = i
			if got := lookupFamily(k); got != i {
				t.Errorf("lookupFamily(%q) = %d, want %d (an earlier family's pattern takes it)", k, got, i)
			}
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"dta_dir", "data_dir", 1}, {"kitten", "sitting", 3}} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
