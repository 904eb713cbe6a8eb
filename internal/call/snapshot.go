package call

// Snapshots: the whole replicated state as one archive (package
// snapshot), saved from a server and restored through the leader.

// MaxSnapshotArchive bounds a snapshot archive, saved or restored: the
// archive travels whole in one call (over the server port between agents
// and servers, base64 in the call's JSON, which the RPC caps at 256 MiB),
// so a save of a state whose archive would be larger fails with a clear
// error instead of breaking the connection. Archives are gzip-compressed;
// 128 MiB holds several times that much state.
const MaxSnapshotArchive = 128 << 20

type (
	SnapshotSaveArgs    struct{ Query }
	SnapshotRestoreArgs struct{ Archive []byte }
)

// Saving and restoring need a management token, as in Consul (acl:write).
var (
	SnapshotSave = declare[SnapshotSaveArgs, Result[[]byte]]("SnapshotSave", Read,
		func(*SnapshotSaveArgs) []Resource { return one("acl", "", write) })
	SnapshotRestore = declare[SnapshotRestoreArgs, struct{}]("SnapshotRestore", Write,
		func(*SnapshotRestoreArgs) []Resource { return one("acl", "", write) })
)
