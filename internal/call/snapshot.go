package call

// Snapshots: the whole replicated state as one archive (package
// snapshot), saved from a server and restored through the leader.
//
// An archive travels in parts of at most SnapshotPartSize, one call each,
// so that no call passes the RPC's message bound (256 MiB, with the
// bytes base64 in the call's JSON): a save's first call takes the
// snapshot and returns its first part and, when more remain, a handle
// under which the same server keeps the archive for the next calls; a
// restore sends its parts to the leader, which gathers them under a
// handle and restores on the last. Both sides follow the same route as
// the first call (a client agent sticks to its server, which forwards to
// the leader), so a change of leader mid-transfer fails it cleanly.

const (
	// SnapshotPartSize is the most one call carries.
	SnapshotPartSize = 4 << 20
	// MaxSnapshotArchive bounds an archive, saved or restored: the
	// server holds it whole while it travels. Archives are
	// gzip-compressed; this holds several times as much state.
	MaxSnapshotArchive = 512 << 20
)

type (
	SnapshotSaveArgs struct {
		Query
		Handle string // "" to take a snapshot; else a save under way
		Offset int64  // where the part starts, with Handle
	}
	// SnapshotPart is a piece of an archive.
	SnapshotPart struct {
		Handle string // set while parts remain after this one
		Total  int64  // the archive's size
		Data   []byte
	}
	SnapshotRestoreArgs struct {
		Handle string // "" for the first part; else the one it returned
		Data   []byte
		Last   bool // the archive is complete: restore it
	}
)

// Saving and restoring need a management token, as in Consul (acl:write).
var (
	SnapshotSave = declare[SnapshotSaveArgs, Result[SnapshotPart]]("SnapshotSave", Read,
		func(*SnapshotSaveArgs) []Resource { return one("acl", "", write) })
	// SnapshotRestore returns the handle for the next part.
	SnapshotRestore = declare[SnapshotRestoreArgs, string]("SnapshotRestore", Write,
		func(*SnapshotRestoreArgs) []Resource { return one("acl", "", write) })
)
