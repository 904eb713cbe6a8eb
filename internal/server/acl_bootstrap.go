package server

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/acl"
	"github.com/concordhq/concord/internal/fsm"
	"github.com/concordhq/concord/internal/state"
	"github.com/google/uuid"
)

// aclResetFile, in the data directory, lets an operator who lost the
// bootstrap token bootstrap again: it must hold the reset index the
// refusal named (Consul's acl-bootstrap-reset).
const aclResetFile = "acl-bootstrap-reset"

// BootstrapDeniedError refuses a second bootstrap, with Consul's text
// (HTTP 403). It matches acl.ErrPermissionDenied.
type BootstrapDeniedError struct{ ResetIndex uint64 }

func (e BootstrapDeniedError) Error() string {
	return fmt.Sprintf("Permission denied: ACL bootstrap no longer allowed (reset index: %d)", e.ResetIndex)
}

// Is makes errors.Is(err, acl.ErrPermissionDenied) hold.
func (e BootstrapDeniedError) Is(target error) bool { return target == acl.ErrPermissionDenied }

// ACLBootstrap creates the first management token, once: secret is its
// SecretID ("" for a new one). Afterwards it is refused with the reset
// index, until the operator writes that index into the leader's
// data_dir/acl-bootstrap-reset.
func (s *Server) ACLBootstrap(_ context.Context, secret string) (*api.ACLToken, error) {
	// A secondary datacenter takes its tokens from the primary, where the
	// bootstrap belongs: Consul refuses it here as if ACLs were off.
	if !s.ACLEnabled() || s.aclSecondary() {
		return nil, acl.ErrDisabled
	}
	if secret != "" && !isUUID(secret) {
		return nil, api.BadRequestError{Reason: "Invalid bootstrap secret: it must be a UUID"}
	}
	st := s.fsm.State()
	done, resetIdx, err := st.ACLBootstrapped()
	if err != nil {
		return nil, err
	}
	var reset uint64
	if done {
		if !s.resetAllowed(resetIdx) {
			return nil, BootstrapDeniedError{ResetIndex: resetIdx}
		}
		reset = resetIdx
	}
	// The leader makes the built-ins as it takes over; a bootstrap that
	// comes first makes them itself.
	if err := s.initACLs(); err != nil {
		return nil, err
	}
	now := time.Now()
	if secret == "" {
		secret = uuid.NewString()
	}
	tok := &api.ACLToken{AccessorID: uuid.NewString(), SecretID: secret, Description: "Bootstrap Token (Global Management)",
		Policies: []*api.ACLLink{{ID: api.ACLManagementPolicyID, Name: api.ACLManagementPolicyName}}, CreateTime: now}
	tok.Hash = tokenHash(tok)
	out, err := s.applyToken(&fsm.ACLOp{Op: fsm.ACLBootstrap, Token: tok, ResetIndex: reset}, now)
	if errors.Is(err, state.ErrACLBootstrapped) {
		// Another bootstrap got there first.
		_, resetIdx, _ = st.ACLBootstrapped()
		return nil, BootstrapDeniedError{ResetIndex: resetIdx}
	}
	if err == nil && reset != 0 {
		os.Remove(filepath.Join(s.cfg.DataDir, aclResetFile))
	}
	return out, err
}

// resetAllowed reports whether the reset file holds idx.
func (s *Server) resetAllowed(idx uint64) bool {
	if s.cfg.DataDir == "" {
		return false
	}
	data, err := os.ReadFile(filepath.Join(s.cfg.DataDir, aclResetFile))
	if err != nil {
		return false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	return err == nil && n == idx
}

// The hashes of ACL objects change exactly when what they grant or say
// changes, so tools can tell whether an object needs writing.

func tokenHash(t *api.ACLToken) []byte {
	return hashOf(t.Description, linkIDs(t.Policies), linkIDs(t.Roles), t.ServiceIdentities, t.NodeIdentities, t.Local)
}

func policyHash(p *api.ACLPolicy) []byte {
	return hashOf(p.Name, p.Description, p.Rules, p.Datacenters)
}

func roleHash(r *api.ACLRole) []byte {
	return hashOf(r.Name, r.Description, linkIDs(r.Policies), r.ServiceIdentities, r.NodeIdentities)
}

func linkIDs(links []*api.ACLLink) []string {
	ids := make([]string, 0, len(links))
	for _, l := range links {
		ids = append(ids, l.ID)
	}
	return ids
}

func hashOf(parts ...any) []byte {
	data, err := json.Marshal(parts)
	if err != nil {
		// Plain data only; this is a programming error.
		panic(fmt.Sprintf("server: cannot hash ACL object: %v", err))
	}
	sum := sha256.Sum256(data)
	return sum[:]
}
