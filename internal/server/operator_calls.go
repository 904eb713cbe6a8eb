package server

import "github.com/concordhq/concord/internal/call"

// operatorImpls answer the operator calls.
func (s *Server) operatorImpls() []call.Impl { return nil }
