package state

import (
	"fmt"

	"github.com/concordhq/concord/api"
	"github.com/hashicorp/go-memdb"
)

// tableAutopilot holds the one autopilot configuration row.
const tableAutopilot = "autopilot"

// autopilotID is the ID of the only row of tableAutopilot.
const autopilotID = "config"

// autopilotRow is the autopilot configuration as stored.
type autopilotRow struct {
	ID     string
	Config api.AutopilotConfiguration
}

// operatorTables are the object tables of this feature.
func operatorTables() []objectTable {
	return []objectTable{{
		schema: &memdb.TableSchema{
			Name: tableAutopilot,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			},
		},
		decode: jsonRows[autopilotRow],
	}}
}

// AutopilotConfig returns the autopilot configuration, or nil before the
// first leader has written one.
func (s *Store) AutopilotConfig(ws memdb.WatchSet) (uint64, *api.AutopilotConfiguration, error) {
	tx := s.db.Txn(false)
	defer tx.Abort()
	watch, raw, err := tx.FirstWatch(tableAutopilot, "id", autopilotID)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot read autopilot configuration: %w", err)
	}
	ws.Add(watch)
	idx := maxIndex(tx, tableAutopilot)
	if raw == nil {
		return idx, nil, nil
	}
	cfg := raw.(*autopilotRow).Config
	return idx, &cfg, nil
}

// AutopilotSetConfig stores cfg. With cas, it is stored only if the
// current configuration's ModifyIndex is cfg.ModifyIndex, where 0 means
// that there is none yet; the result says whether it was stored.
func (t *Txn) AutopilotSetConfig(idx uint64, cfg *api.AutopilotConfiguration, cas bool) (bool, error) {
	raw, err := t.tx.First(tableAutopilot, "id", autopilotID)
	if err != nil {
		return false, fmt.Errorf("cannot read autopilot configuration: %w", err)
	}
	row := &autopilotRow{ID: autopilotID, Config: *cfg}
	row.Config.CreateIndex, row.Config.ModifyIndex = idx, idx
	if raw != nil {
		current := raw.(*autopilotRow).Config
		if cas && current.ModifyIndex != cfg.ModifyIndex {
			return false, nil
		}
		row.Config.CreateIndex = current.CreateIndex
	} else if cas && cfg.ModifyIndex != 0 {
		return false, nil
	}
	if err := t.tx.Insert(tableAutopilot, row); err != nil {
		return false, fmt.Errorf("cannot store autopilot configuration: %w", err)
	}
	t.setIndex(tableAutopilot, idx)
	return true, nil
}

// Usage counts what the catalog and the KV store hold, for
// /v1/operator/usage. serverService is the servers' own service, which
// does not count as billable.
func (s *Store) Usage(ws memdb.WatchSet, serverService string) (uint64, *api.ServiceUsage, error) {
	s.kvWatch.watch(ws, "")
	tx := s.db.Txn(false)
	defer tx.Abort()
	out := &api.ServiceUsage{ConnectServiceInstances: map[string]int{
		"api-gateway": 0, "connect-native": 0, "connect-proxy": 0,
		"ingress-gateway": 0, "mesh-gateway": 0, "terminating-gateway": 0,
	}}
	names := map[string]bool{}
	err := eachRow(tx, ws, tableServices, func(raw any) {
		row := raw.(*serviceRow)
		names[row.Service] = true
		out.ServiceInstances++
		if row.Service != serverService {
			out.BillableServiceInstances++
		}
	})
	if err == nil {
		err = eachRow(tx, ws, tableNodes, func(any) { out.Nodes++ })
	}
	out.KVEntries = kvTreeOf(tx).size
	out.Services = len(names)
	return maxIndex(tx, tableNodes, tableServices, tableKVs), out, err
}

// eachRow calls fn for every row of table, watching the table in ws.
func eachRow(tx *memdb.Txn, ws memdb.WatchSet, table string, fn func(any)) error {
	it, err := tx.Get(table, "id")
	if err != nil {
		return fmt.Errorf("cannot list %s: %w", table, err)
	}
	ws.Add(it.WatchCh())
	for raw := it.Next(); raw != nil; raw = it.Next() {
		fn(raw)
	}
	return nil
}
