package api

// RaftConfiguration is /v1/operator/raft/configuration: the servers in
// the Raft configuration and the index it was read at.
type RaftConfiguration struct {
	Servers []*RaftServer
	Index   uint64
}

// RaftServer is one server of the Raft configuration.
type RaftServer struct {
	ID              string
	Node            string
	Address         string
	Leader          bool
	ProtocolVersion string
	Voter           bool
	LastIndex       uint64
}
