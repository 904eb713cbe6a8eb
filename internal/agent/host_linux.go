package agent

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/concordhq/concord/api"
)

// readHost reads the host name, /proc/uptime and uname.
func readHost() (*api.HostIdentity, error) {
	h := &api.HostIdentity{OS: runtime.GOOS}
	var err error
	if h.Hostname, err = os.Hostname(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return nil, err
	}
	if fields := strings.Fields(string(data)); len(fields) > 0 {
		up, _ := strconv.ParseFloat(fields[0], 64)
		h.Uptime = uint64(up)
		h.BootTime = uint64(time.Now().Unix()) - h.Uptime
	}
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return nil, err
	}
	h.KernelVersion, h.KernelArch = utsString(u.Release[:]), utsString(u.Machine[:])
	return h, nil
}

// utsString turns a NUL-terminated utsname field into a string.
func utsString[T int8 | uint8](field []T) string {
	b := make([]byte, 0, len(field))
	for _, c := range field {
		b = append(b, byte(c))
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// readDisk reports the file system holding path.
func readDisk(path string) (*api.HostDisk, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return nil, err
	}
	bsize := uint64(st.Bsize)
	d := &api.HostDisk{Path: path, Total: st.Blocks * bsize, Free: st.Bavail * bsize}
	used := (st.Blocks - st.Bfree) * bsize
	d.Used = used
	if used+d.Free > 0 {
		d.UsedPercent = float64(used) / float64(used+d.Free) * 100
	}
	return d, nil
}
