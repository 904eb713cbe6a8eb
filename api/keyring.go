package api

// KeyringRequest is the body of /v1/operator/keyring's POST, PUT and
// DELETE: one base64 gossip key.
type KeyringRequest struct {
	Key string
}

// KeyringResponse is one gossip pool's answer to a keyring operation:
// how many of its members hold each key, and each key as primary.
type KeyringResponse struct {
	WAN         bool
	Datacenter  string
	Segment     string
	Messages    map[string]string `json:",omitempty"` // member → error or warning
	Keys        map[string]int
	PrimaryKeys map[string]int
	NumNodes    int
}
