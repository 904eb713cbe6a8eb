//go:build !linux

package agent

import (
	"errors"

	"github.com/concordhq/concord/api"
)

// errHostInfo is reported in /v1/agent/host where Concord cannot read the
// host's details (anything but Linux).
var errHostInfo = errors.New("agent: host details are only read on Linux")

func readHost() (*api.HostIdentity, error) { return nil, errHostInfo }

func readDisk(string) (*api.HostDisk, error) { return nil, errHostInfo }
