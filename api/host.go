package api

// HostInfo is the body of GET /v1/agent/host: a small part of what
// Consul reports, under the same names. A part the agent cannot read is
// left out and its error listed in Errors.
type HostInfo struct {
	Memory         *HostMemory   `json:",omitempty"`
	CPU            []HostCPU     `json:",omitempty"`
	Host           *HostIdentity `json:",omitempty"`
	Disk           *HostDisk     `json:",omitempty"`
	CollectionTime int64         // Unix time in nanoseconds
	Errors         []string
}

// HostMemory is the host's memory in bytes.
type HostMemory struct {
	Total       uint64  `json:"total"`
	Available   uint64  `json:"available"`
	Used        uint64  `json:"used"`
	UsedPercent float64 `json:"usedPercent"`
	Free        uint64  `json:"free"`
}

// HostCPU is one logical CPU.
type HostCPU struct {
	CPU       int32   `json:"cpu"`
	VendorID  string  `json:"vendorId"`
	ModelName string  `json:"modelName"`
	Cores     int32   `json:"cores"`
	Mhz       float64 `json:"mhz"`
}

// HostIdentity names the host and its kernel (Consul's "Host").
type HostIdentity struct {
	Hostname      string `json:"hostname"`
	Uptime        uint64 `json:"uptime"`   // seconds
	BootTime      uint64 `json:"bootTime"` // Unix seconds
	OS            string `json:"os"`
	KernelVersion string `json:"kernelVersion"`
	KernelArch    string `json:"kernelArch"`
}

// HostDisk is the file system of the agent's data dir, in bytes.
type HostDisk struct {
	Path        string  `json:"path"`
	Total       uint64  `json:"total"`
	Free        uint64  `json:"free"`
	Used        uint64  `json:"used"`
	UsedPercent float64 `json:"usedPercent"`
}
