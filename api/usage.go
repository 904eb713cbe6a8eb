package api

// Usage is /v1/operator/usage: counts by datacenter.
type Usage struct {
	Usage map[string]ServiceUsage
}

// ServiceUsage is one datacenter's counts. Concord has no service mesh,
// so every Connect kind counts 0.
type ServiceUsage struct {
	Nodes                    int
	Services                 int
	ServiceInstances         int
	ConnectServiceInstances  map[string]int
	BillableServiceInstances int // instances other than the servers' own service
	KVEntries                int `json:",omitempty"` // Concord's: keys in the KV store
}
