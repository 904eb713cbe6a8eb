package api

import "regexp"

// Consul's rules for ACL names, shared by the servers' checks of policies,
// roles and identities and by binding rules' bind names.

// aclNameRE is the rule for policy and role names, less its length limit:
// a count such as {1,256} in the expression compiles into that many copies
// of the class, ~120 KiB that every concord process built at start.
var aclNameRE = regexp.MustCompile(`^[A-Za-z0-9\-_]+$`)

// identityNameRE is the rule for service and node identity names.
var identityNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9\-_]*[a-z0-9])?$`)

// ValidACLPolicyName reports whether name may name a policy.
func ValidACLPolicyName(name string) bool { return len(name) <= 128 && aclNameRE.MatchString(name) }

// ValidACLRoleName reports whether name may name a role.
func ValidACLRoleName(name string) bool { return len(name) <= 256 && aclNameRE.MatchString(name) }

// ValidACLIdentityName reports whether name may name a service or node
// identity.
func ValidACLIdentityName(name string) bool { return identityNameRE.MatchString(name) }
