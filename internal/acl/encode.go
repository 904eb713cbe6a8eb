package acl

import (
	"encoding/json"
	"fmt"
)

// authorizerJSON is an Authorizer on the wire: a server sends it to a
// client agent, which decides its own endpoints with it (call.ACLResolve).
type authorizerJSON struct {
	Manage  bool    `json:",omitempty"`
	Options Options `json:",omitempty"`
	Rules   []Rule  `json:",omitempty"`
}

// MarshalJSON encodes the authorizer's merged rules and options.
func (a *Authorizer) MarshalJSON() ([]byte, error) {
	out := authorizerJSON{Manage: a.manage, Options: a.opts}
	for k := range a.named {
		for name, acc := range a.named[k].exact {
			out.Rules = append(out.Rules, Rule{Kind: Kind(k), Name: name, Access: acc})
		}
		for name, acc := range a.named[k].prefix {
			out.Rules = append(out.Rules, Rule{Kind: Kind(k), Name: name, Prefix: true, Access: acc})
		}
	}
	for k := Operator; k < numKinds; k++ {
		if a.single[k] != noAccess {
			out.Rules = append(out.Rules, Rule{Kind: k, Access: a.single[k]})
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON decodes what MarshalJSON encoded, compiling the rules
// again.
func (a *Authorizer) UnmarshalJSON(data []byte) error {
	var in authorizerJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return fmt.Errorf("acl: cannot decode authorizer: %w", err)
	}
	if in.Manage {
		*a = *Manage()
		return nil
	}
	*a = *Compile([]*Policy{{Rules: in.Rules}}, in.Options)
	return nil
}
