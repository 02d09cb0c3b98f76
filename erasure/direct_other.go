//go:build !linux

package erasure

import "os"

// openShardFile opens a shard file for writing. O_DIRECT is Linux only
// (direct_linux.go): elsewhere shard files are always written through the
// page cache.
func (d *localDrive) openShardFile(path string) (f *os.File, direct bool, err error) {
	open := d.o.openFile
	if open == nil {
		open = os.OpenFile
	}
	f, err = open(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	return f, false, err
}

// newDirectShardWriter is never called without O_DIRECT.
func newDirectShardWriter(w *localShardWriter, _ int64) shardWriter { return w }
