package server

import "github.com/concordhq/concord/internal/call"

// coordinateImpls answer the coordinate calls.
func (s *Server) coordinateImpls() []call.Impl { return nil }
