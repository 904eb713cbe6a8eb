package local_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"testing"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/local"
)

// TestSyncFullWritesNodeMeta: a full sync that finds the node's metadata
// differing from Config.NodeMeta rewrites the node with it, keeping the
// address and tagged addresses the servers gave it; once they agree, no
// node write follows. A failed node write is retried by the next push.
func TestSyncFullWritesNodeMeta(t *testing.T) {
	want := map[string]string{"rack": "r1", "consul-version": "1.20.0", "consul-network-segment": ""}
	l := local.New(local.Config{
		NodeName: testNode, NodeID: testID, Datacenter: "dc1", Address: "10.0.0.5", NodeMeta: want,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	cat := newMemCatalog()
	tagged := map[string]string{"lan": "10.0.0.77", "wan": "10.0.0.77"}
	cat.node = &api.Node{ID: testID, Node: testNode, Address: "10.0.0.77", TaggedAddresses: tagged,
		Meta: map[string]string{"consul-network-segment": ""}}

	mock := cat.mock()
	fail := true
	mock.RegisterFunc = func(ctx context.Context, req *api.CatalogRegistration) error {
		if fail {
			fail = false
			return errors.New("No cluster leader")
		}
		return cat.register(ctx, req)
	}
	if err := l.SyncFull(context.Background(), mock); err == nil {
		t.Fatalf("SyncFull with a failing catalog = nil, want the error")
	}
	mustSync(t, "SyncChanges after the failure", l.SyncChanges, mock)
	n := cat.node
	if !maps.Equal(n.Meta, want) || n.Address != "10.0.0.77" || !maps.Equal(n.TaggedAddresses, tagged) {
		t.Errorf("catalog node = Meta %v, Address %s, TaggedAddresses %v; want %v, 10.0.0.77, %v",
			n.Meta, n.Address, n.TaggedAddresses, want, tagged)
	}

	before := len(cat.regs)
	mustSync(t, "SyncFull with the node in line", l.SyncFull, mock)
	if len(cat.regs) != before {
		t.Errorf("SyncFull with the node in line made %d registrations, want none", len(cat.regs)-before)
	}
}
