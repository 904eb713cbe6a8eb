package server

import "github.com/concordhq/concord/internal/call"

// aclImpls answer the acl calls.
func (s *Server) aclImpls() []call.Impl { return nil }
