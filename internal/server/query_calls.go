package server

import "github.com/concordhq/concord/internal/call"

// queryImpls answer the query calls.
func (s *Server) queryImpls() []call.Impl { return nil }
