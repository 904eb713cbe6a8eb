package agent

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
)

// Host answers /v1/agent/host with the host's memory, CPUs, identity and
// the disk of the data dir ("/" in dev mode).
func (a *Agent) Host() (*api.HostInfo, error) {
	info := &api.HostInfo{CollectionTime: time.Now().UnixNano(), Errors: []string{}}
	note := func(err error) {
		if err != nil {
			info.Errors = append(info.Errors, err.Error())
		}
	}
	var err error
	info.Memory, err = readMemory()
	note(err)
	info.CPU, err = readCPUs()
	note(err)
	info.Host, err = readHost()
	note(err)
	path := dataDirUnlessDev(a.cfg)
	if path == "" {
		path = "/"
	}
	info.Disk, err = readDisk(path)
	note(err)
	return info, nil
}

// readMemory reads /proc/meminfo (values in kB).
func readMemory() (*api.HostMemory, error) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return nil, err
	}
	kb := map[string]uint64{}
	for line := range strings.Lines(string(data)) {
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseUint(fields[0], 10, 64); err == nil {
			kb[name] = v * 1024
		}
	}
	m := &api.HostMemory{Total: kb["MemTotal"], Free: kb["MemFree"], Available: kb["MemAvailable"]}
	if m.Total > m.Available {
		m.Used = m.Total - m.Available
	}
	if m.Total > 0 {
		m.UsedPercent = float64(m.Used) / float64(m.Total) * 100
	}
	return m, nil
}

// readCPUs reads /proc/cpuinfo: one entry per logical CPU.
func readCPUs() ([]api.HostCPU, error) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cpus []api.HostCPU
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if name == "processor" {
			n, _ := strconv.ParseInt(value, 10, 32)
			cpus = append(cpus, api.HostCPU{CPU: int32(n), Cores: 1})
			continue
		}
		if len(cpus) == 0 {
			continue
		}
		c := &cpus[len(cpus)-1]
		switch name {
		case "vendor_id":
			c.VendorID = value
		case "model name":
			c.ModelName = value
		case "cpu MHz":
			c.Mhz, _ = strconv.ParseFloat(value, 64)
		}
	}
	return cpus, sc.Err()
}
