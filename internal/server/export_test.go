package server

// TakeSnapshot makes Raft snapshot the FSM now, so tests can check recovery
// from a snapshot plus the log entries after it.
func (s *Server) TakeSnapshot() error { return s.raft.Snapshot().Error() }
