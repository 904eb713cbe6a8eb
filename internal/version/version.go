// Package version holds Concord's version, reported by `concord version`,
// /v1/agent/self and the HTTP Server header.
package version

// Version is the release version. ConsulCompat is the Consul version whose
// HTTP API Concord follows; some clients gate features on the version string.
const (
	Version      = "0.1.0"
	ConsulCompat = "1.20.0"
)

// String is the one-line form `concord version` prints first.
func String() string { return "Concord v" + Version }
