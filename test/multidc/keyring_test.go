package multidc_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	consul "github.com/hashicorp/consul/api"
)

// TestKeyringAcrossDatacenters: gossip is encrypted in dc1 and dc2 (one
// server and one client agent each). A key installed through dc1's
// client agent reaches the WAN pool and both datacenters' LAN pools (the
// agent forwards to a server, which runs it everywhere); made primary
// through dc2's server and the old key removed through dc1's client
// agent, it is the only key left, and the WAN pool goes on gossiping.
// A listing has the WAN pool once, first, then each datacenter's LAN.
func TestKeyringAcrossDatacenters(t *testing.T) {
	oldKey := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	newKey := base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
	f := startFederationWith(t, "", func(string) []string { return []string{"-encrypt=" + oldKey} }, 1, 1)
	viaClient1 := f.agent(t, "dc1").Operator()
	viaClient2 := f.agent(t, "dc2").Operator()
	viaServer2 := client(t, f.dcs["dc2"].Servers()[0]).Operator()

	mustOK(t, "install through dc1's client agent", viaClient1.KeyringInstall(newKey, nil))
	wantKeyring(t, viaClient2, nil, map[string]int{oldKey: 2, newKey: 2}, map[string]int{oldKey: 2})
	mustOK(t, "use through dc2's server", viaServer2.KeyringUse(newKey, nil))
	mustOK(t, "remove through dc1's client agent", viaClient1.KeyringRemove(oldKey, nil))
	wantKeyring(t, viaClient1, nil, map[string]int{newKey: 2}, map[string]int{newKey: 2})

	local, err := viaClient1.KeyringList(&consul.QueryOptions{LocalOnly: true})
	if err != nil || len(local) != 1 || local[0].WAN || local[0].Datacenter != "dc1" {
		t.Errorf("KeyringList(local-only) via dc1's client agent = %s, %v; want dc1's LAN pool alone", keyringString(local), err)
	}

	// The listing above was a query across the WAN pool that every server
	// answered with the new key alone; the servers still reach each other.
	mustOK(t, "KV put in dc2 through dc1 after the rotation", errOf(f.agent(t, "dc1").KV().Put(&consul.KVPair{Key: "k", Value: []byte("v")}, to("dc2"))))
}

// wantKeyring lists the keyring through op and checks its shape: WAN
// first (2 servers), then dc1's and dc2's LAN pools (2 agents each), each
// pool holding keys and primary keys as given.
func wantKeyring(t *testing.T, op *consul.Operator, q *consul.QueryOptions, keys, primary map[string]int) {
	t.Helper()
	list, err := op.KeyringList(q)
	if err != nil {
		t.Fatalf("KeyringList: %v", err)
	}
	if len(list) != 3 || !list[0].WAN || list[1].WAN || list[2].WAN {
		t.Fatalf("KeyringList = %s; want WAN, then two LAN pools", keyringString(list))
	}
	lans := map[string]bool{list[1].Datacenter: true, list[2].Datacenter: true}
	if !lans["dc1"] || !lans["dc2"] {
		t.Fatalf("KeyringList = %s; want the LAN pools of dc1 and dc2", keyringString(list))
	}
	for _, r := range list {
		if r.NumNodes != 2 || !sameCounts(r.Keys, keys) || !sameCounts(r.PrimaryKeys, primary) {
			t.Errorf("KeyringList: %s; want 2 nodes, keys %v, primary %v", keyringString([]*consul.KeyringResponse{r}), keys, primary)
		}
	}
}

func sameCounts(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, n := range want {
		if got[k] != n {
			return false
		}
	}
	return true
}

// keyringString shows a listing for a failure message.
func keyringString(list []*consul.KeyringResponse) string {
	var parts []string
	for _, r := range list {
		pool := r.Datacenter + " (LAN)"
		if r.WAN {
			pool = "WAN"
		}
		parts = append(parts, fmt.Sprintf("%s: keys %v, primary %v, %d nodes", pool, r.Keys, r.PrimaryKeys, r.NumNodes))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}
