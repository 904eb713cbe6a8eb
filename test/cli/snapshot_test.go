package cli_test

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSnapshotSaveInspectRestore drives `concord snapshot` against a dev
// agent: save writes a verified archive, inspect prints its metadata and
// record counts, restore brings the saved keys back, and a damaged
// archive is refused by both restore and inspect, with nothing changed.
func TestSnapshotSaveInspectRestore(t *testing.T) {
	a := startDevAgent(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "backup.snap")

	kv(t, a.Addr, "put", "snap/a", "1").want(t, "kv put", 0, "Success! Data written to: snap/a\n", "")
	kv(t, a.Addr, "put", "snap/b", "2").want(t, "kv put", 0, "Success! Data written to: snap/b\n", "")

	res := concord(t, "snapshot", "save", "-http-addr="+a.Addr, file)
	if res.code != 0 || !regexp.MustCompile(`^Saved and verified snapshot to index \d+\n$`).MatchString(res.stdout) {
		t.Fatalf("snapshot save = exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	if _, err := os.Stat(file + ".unverified"); !os.IsNotExist(err) {
		t.Errorf("snapshot save left %s.unverified behind (%v)", file, err)
	}

	res = concord(t, "snapshot", "inspect", file)
	if res.code != 0 {
		t.Fatalf("snapshot inspect = exit %d, stderr %q", res.code, res.stderr)
	}
	for _, re := range []string{`(?m)^ ID +\d+-\d+-\d+$`, `(?m)^ Size +\d+$`, `(?m)^ Index +\d+$`,
		`(?m)^ Term +\d+$`, `(?m)^ Version +1$`, `(?m)^ Type +Count +Size$`, `(?m)^ KV +2 +\d+B$`,
		`(?m)^ Node +1 +`, `(?m)^ Total +\d`} {
		if !regexp.MustCompile(re).MatchString(res.stdout) {
			t.Errorf("snapshot inspect output lacks %s:\n%s", re, res.stdout)
		}
	}

	// A server's own Raft snapshot (state.bin with meta.json beside it)
	// inspects alike.
	raw := filepath.Join(dir, "raw")
	untar(t, file, raw)
	concord(t, "snapshot", "inspect", filepath.Join(raw, "state.bin")).want(t, "snapshot inspect state.bin", 0, res.stdout, "")

	kv(t, a.Addr, "put", "snap/a", "changed").want(t, "kv put", 0, "Success! Data written to: snap/a\n", "")
	kv(t, a.Addr, "delete", "snap/b").want(t, "kv delete", 0, "Success! Deleted key: snap/b\n", "")

	// A damaged archive: refused, and the agent's state is unchanged.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(dir, "damaged.snap")
	if err := os.WriteFile(damaged, data[:len(data)-20], 0o600); err != nil {
		t.Fatal(err)
	}
	res = concord(t, "snapshot", "restore", "-http-addr="+a.Addr, damaged)
	if res.code != 1 || !strings.HasPrefix(res.stderr, "Error restoring snapshot: ") || !strings.Contains(res.stderr, "damaged") {
		t.Errorf("restore of a damaged archive = exit %d, stderr %q", res.code, res.stderr)
	}
	res = concord(t, "snapshot", "inspect", damaged)
	if res.code != 1 || !strings.HasPrefix(res.stderr, "Error verifying snapshot: snapshot: archive is damaged") {
		t.Errorf("inspect of a damaged archive = exit %d, stderr %q", res.code, res.stderr)
	}
	kv(t, a.Addr, "get", "snap/a").want(t, "kv get snap/a", 0, "changed\n", "")

	concord(t, "snapshot", "restore", "-http-addr="+a.Addr, file).want(t, "snapshot restore", 0, "Restored snapshot\n", "")
	kv(t, a.Addr, "get", "snap/a").want(t, "kv get snap/a", 0, "1\n", "")
	kv(t, a.Addr, "get", "snap/b").want(t, "kv get snap/b", 0, "2\n", "")

	concord(t, "snapshot", "save").want(t, "snapshot save", 1, "", "Missing FILE argument\n")
	concord(t, "snapshot", "restore", "a", "b").want(t, "snapshot restore a b", 1, "", "Too many arguments (expected 1, got 2)\n")
	concord(t, "snapshot", "inspect", filepath.Join(dir, "missing.snap")).want(t, "snapshot inspect missing", 1, "",
		"Error opening snapshot file: open "+filepath.Join(dir, "missing.snap")+": no such file or directory\n")
}

// untar extracts the snapshot archive at path into dir.
func untar(t *testing.T, path, dir string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(hdr.Name)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
