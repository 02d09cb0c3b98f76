package node_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tessera-s3/tessera/admin"
)

// TestShardFilesOwnedByWriter: when the server runs as root, the shard files
// of an object on every drive belong to the writer's POSIX uid/gid.
func TestShardFilesOwnedByWriter(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	e := newEnv(t)
	e.bucket("owned")
	uid := uint32(4321)
	gid := uint32(765)
	if _, err := e.admin.CreateUser(e.ctx, admin.CreateUserRequest{Name: "owner", Role: "s3", Password: "Owner-Pass-1", PosixUID: &uid, PosixGID: &gid}); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.AttachPolicy(e.ctx, "readwrite", "owner"); err != nil {
		t.Fatal(err)
	}
	c := e.n.S3With(t, "owner", "Owner-Pass-1", "")
	// Larger than the inline threshold, so the shards live in files.
	if err := e.put(c, "owned", "big", strings.Repeat("x", 1<<20)); err != nil {
		t.Fatal(err)
	}
	drivesWithFiles := 0
	for _, d := range e.n.Drives {
		found := false
		_ = filepath.WalkDir(filepath.Join(d, "data"), func(p string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return nil
			}
			fi, err := os.Stat(p)
			if err != nil {
				return nil
			}
			st := fi.Sys().(*syscall.Stat_t)
			if st.Uid != uid || st.Gid != gid {
				t.Errorf("%s owned by %d:%d, want %d:%d", p, st.Uid, st.Gid, uid, gid)
			}
			found = true
			return nil
		})
		if found {
			drivesWithFiles++
		}
	}
	if drivesWithFiles != len(e.n.Drives) {
		t.Fatalf("shard files on %d of %d drives", drivesWithFiles, len(e.n.Drives))
	}
}
