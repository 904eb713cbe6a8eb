package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// operatorCommands are the subcommands of `concord operator`.
var operatorCommands = []command{
	{name: "autopilot", synopsis: "Provides tools for modifying Autopilot configuration", run: runOperatorAutopilot},
	{name: "raft", synopsis: "Inspects and changes the Raft configuration", run: runOperatorRaft},
}

// operatorRaftCommands are the subcommands of `concord operator raft`.
var operatorRaftCommands = []command{
	{name: "list-peers", synopsis: "Displays the current Raft peer configuration", run: runRaftListPeers},
	{name: "remove-peer", synopsis: "Removes a server from the Raft configuration", run: runRaftRemovePeer},
	{name: "transfer-leader", synopsis: "Transfers Raft leadership to another server", run: runRaftTransferLeader},
}

// runOperator is `concord operator`: it runs one of operatorCommands.
func runOperator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord operator <subcommand> [options]", operatorCommands, args, stdout, stderr)
}

func runOperatorRaft(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "Usage: concord operator raft <subcommand> [options]", operatorRaftCommands, args, stdout, stderr)
}

const raftListPeersUsage = `
Usage: concord operator raft list-peers [options]

  Prints the servers of the Raft configuration: node name, Raft ID,
  address, whether each leads or follows, whether it votes, and its Raft
  protocol version. The leader answers unless -stale is given, which lets
  any server answer (useful when there is no leader).
`

// runRaftListPeers is `concord operator raft list-peers`.
func runRaftListPeers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(raftListPeersUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	conf, err := c.Operator().RaftGetConfiguration(hf.query())
	if err != nil {
		return verbatimf("Error getting peers: %v", err)
	}
	rows := [][]string{{"Node", "ID", "Address", "State", "Voter", "RaftProtocol"}}
	for _, s := range conf.Servers {
		state := "follower"
		if s.Leader {
			state = "leader"
		}
		protocol := s.ProtocolVersion
		if protocol == "" {
			protocol = "<=1"
		}
		rows = append(rows, []string{s.Node, s.ID, s.Address, state, strconv.FormatBool(s.Voter), protocol})
	}
	writeTable(stdout, 2, rows)
	return nil
}

const raftRemovePeerUsage = `
Usage: concord operator raft remove-peer [options] (-id=ID | -address=IP:PORT)

  Removes a server from the Raft configuration, by Raft ID or by the
  address of its server port. Meant for a server that failed and will not
  come back; a live server is better told to 'concord leave'.
`

// runRaftRemovePeer is `concord operator raft remove-peer`.
func runRaftRemovePeer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(raftRemovePeerUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	id := fs.String("id", "", "Raft ID of the server to remove.")
	address := fs.String("address", "", "Address (IP:port of the server port) of the server to remove.")
	c, err := parseAndConnect(ctx, fs, &hf, args)
	switch {
	case err != nil:
		return err
	case *id == "" && *address == "":
		return errors.New("One of -id or -address is required")
	case *id != "" && *address != "":
		return errors.New("Only one of -id or -address may be given")
	}
	what, value := "id", *id
	if *id != "" {
		err = c.Operator().RaftRemovePeerByID(*id)
	} else {
		what, value = "address", *address
		err = c.Operator().RaftRemovePeerByAddress(*address)
	}
	if err != nil {
		return verbatimf("Error removing peer: %v", err)
	}
	fmt.Fprintf(stdout, "Removed peer with %s %q\n", what, value)
	return nil
}

const raftTransferLeaderUsage = `
Usage: concord operator raft transfer-leader [options] [-id=ID]

  Makes the leader hand leadership to the voter with Raft ID ID, or,
  without -id, to the voter Raft finds most up to date.
`

// runRaftTransferLeader is `concord operator raft transfer-leader`.
func runRaftTransferLeader(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(raftTransferLeaderUsage, stderr)
	var hf httpFlags
	hf.register(fs)
	id := fs.String("id", "", "Raft ID of the server to hand leadership to.")
	c, err := parseAndConnect(ctx, fs, &hf, args)
	if err != nil {
		return err
	}
	resp, err := c.Operator().RaftLeaderTransfer(*id)
	if err != nil {
		return verbatimf("Error transferring leadership: %v", err)
	}
	fmt.Fprintf(stdout, "Success: %v\n", resp.Success)
	return nil
}
