//go:build linux

package erasure

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// Shard files are written with O_DIRECT on Linux: the kernel then DMAs
// from user memory instead of copying every byte into freshly allocated
// page-cache pages, which was most of a large PUT's CPU (DESIGN.md,
// "Shard files: O_DIRECT"). Reads stay buffered.
//
// O_DIRECT needs the memory address, the file offset and the length of
// every write aligned (to the device's logical block size; dioAlign covers
// 512 and 4096). A shard stream is [8-byte hash][shard] per block, so the
// caller's bytes are never at aligned file offsets: each Write copies the
// carry (the unaligned end of what came before, < dioAlign bytes, kept in
// the writer) and the new bytes into a pooled aligned buffer, writes the
// aligned prefix with pwrite, and keeps the rest as the new carry. The
// big buffer is held only during a Write, so an open writer costs its
// carry, not a buffer (heal keeps one writer per part open until it
// commits). Commit writes the last carry after clearing O_DIRECT
// (fcntl F_SETFL), so the file ends at its real size.

// dioAlign is the alignment of O_DIRECT buffers, offsets and lengths.
const dioAlign = 4096

// dioBufSize is the pooled staging buffer: a 1 MiB data frame (the
// largest Write a remote stream makes) plus a carry fits in one write.
const dioBufSize = 1<<20 + dioAlign

var dioBufs = sync.Pool{New: func() any {
	b := make([]byte, dioBufSize+dioAlign)
	// The Go heap does not move objects, so an aligned slice of an
	// over-allocated one stays aligned (and keeps the whole array alive).
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(b))) & (dioAlign - 1))
	b = b[off : off+dioBufSize : off+dioBufSize]
	return &b
}}

// openShardFile opens a shard file for writing, with O_DIRECT unless the
// Store is configured buffered or the drive's file system refused it
// before (then direct is false).
func (d *localDrive) openShardFile(path string) (f *os.File, direct bool, err error) {
	open := d.o.openFile
	if open == nil {
		open = os.OpenFile
	}
	const flag = os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if !d.o.buffered && !d.noDirect.Load() {
		f, err = open(path, flag|syscall.O_DIRECT, 0o644)
		if err == nil {
			return f, true, nil
		}
		if !errors.Is(err, syscall.EINVAL) {
			return nil, false, err
		}
		d.refuseDirect(err)
	}
	f, err = open(path, flag, 0o644)
	return f, false, err
}

// refuseDirect remembers that the drive's file system does not take
// O_DIRECT (open or an aligned write failed with EINVAL): its later shard
// files are written through the page cache.
func (d *localDrive) refuseDirect(err error) {
	if d.noDirect.CompareAndSwap(false, true) {
		d.o.logger.Info("erasure: file system refuses O_DIRECT, writing shard files through the page cache",
			"drive", d.dir, "err", err)
	}
}

// directShardWriter writes a shard file opened with O_DIRECT. Like every
// shardWriter it is used by one goroutine at a time.
type directShardWriter struct {
	localShardWriter
	off    int64 // file offset of carry[0]; always a multiple of dioAlign
	direct bool  // the file still has O_DIRECT set
	err    error // first write error; the writer is then dead
	// prefix is where O_DIRECT starts: the bytes before it go through the
	// page cache (Config.BufferedPrefix), so the GETs that follow the PUT
	// of a small or medium object read cached pages, as with buffered
	// writes; 0 once O_DIRECT is on.
	prefix int64
	nc     int // bytes in carry, < dioAlign
	carry  [dioAlign]byte
}

func newDirectShardWriter(w *localShardWriter, prefix int64) shardWriter {
	dw := &directShardWriter{localShardWriter: *w, direct: true}
	if prefix > 0 {
		if err := dw.clearDirect(); err == nil {
			dw.prefix = (prefix + dioAlign - 1) &^ (dioAlign - 1)
		}
	}
	return dw
}

func (w *directShardWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	if w.prefix > 0 {
		// Through the page cache up to the prefix (nc is 0 here: every
		// byte so far was written as it came).
		c := int(min(int64(len(p)), w.prefix-w.off))
		if _, err := w.f.WriteAt(p[:c], w.off); err != nil {
			w.err = err
			w.d.ioFailed(err)
			return 0, err
		}
		w.off += int64(c)
		p = p[c:]
		if w.off < w.prefix {
			return n, nil
		}
		w.prefix = 0
		w.setDirect()
	}
	if w.nc+len(p) < dioAlign {
		w.nc += copy(w.carry[w.nc:], p)
		return n, nil
	}
	bp := dioBufs.Get().(*[]byte)
	buf := *bp
	for w.nc+len(p) >= dioAlign {
		done := n - len(p)
		m := copy(buf, w.carry[:w.nc])
		m += copy(buf[m:], p)
		p = p[m-w.nc:]
		a := m &^ (dioAlign - 1)
		if err := w.writeAt(buf[:a], w.off); err != nil {
			dioBufs.Put(bp)
			w.err = err
			w.d.ioFailed(err)
			return done, err
		}
		w.off += int64(a)
		w.nc = copy(w.carry[:], buf[a:m])
	}
	w.nc += copy(w.carry[w.nc:], p)
	dioBufs.Put(bp)
	return n, nil
}

// writeAt writes b at off. An O_DIRECT write refused with EINVAL (a file
// system that accepts the flag at open but not the alignment) is retried
// buffered, and the drive stops using O_DIRECT.
func (w *directShardWriter) writeAt(b []byte, off int64) error {
	_, err := w.f.WriteAt(b, off)
	if err != nil && w.direct && errors.Is(err, syscall.EINVAL) {
		if serr := w.clearDirect(); serr != nil {
			return err
		}
		w.d.refuseDirect(err)
		_, err = w.f.WriteAt(b, off)
	}
	return err
}

// setDirect turns O_DIRECT on (after the buffered prefix); a file system
// that refuses it makes the rest of the file, and the drive's later
// files, buffered.
func (w *directShardWriter) setDirect() {
	fd := w.f.Fd()
	fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	if e == 0 {
		_, _, e = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, fl|syscall.O_DIRECT)
	}
	if e != 0 {
		w.d.refuseDirect(e)
		return
	}
	w.direct = true
}

// clearDirect turns O_DIRECT off on the open file (fcntl F_SETFL), for
// the unaligned end of the stream.
func (w *directShardWriter) clearDirect() error {
	fd := w.f.Fd()
	fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	if e == 0 {
		_, _, e = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, fl&^syscall.O_DIRECT)
	}
	if e != 0 {
		return &os.PathError{Op: "fcntl", Path: w.f.Name(), Err: e}
	}
	w.direct = false
	return nil
}

// commit writes the carry (the last, unaligned bytes) through the page
// cache, fdatasyncs the file when sync (the O_DIRECT writes are on the
// device but maybe in its volatile cache; fdatasync commits the size and
// block allocation and flushes that cache), then renames and syncs the
// folders as the buffered writer does.
//
// Why not pad the last block to dioAlign and ftruncate to the real size:
// on ext4 and xfs a truncate that ends inside a block zeroes the block's
// tail through the page cache (ext4_block_truncate_page, iomap_zero_range),
// which reads the block back from the device and dirties it, and it is one
// more journaled size change (on ext4 with an orphan-list entry). Clearing
// O_DIRECT is one fcntl; the tail starts at an aligned offset past every
// O_DIRECT write, so no page is shared by direct and buffered I/O.
func (w *directShardWriter) commit(sync bool) error {
	err := w.err
	if err == nil && w.nc > 0 {
		if w.direct {
			err = w.clearDirect()
		}
		if err == nil {
			_, err = w.f.WriteAt(w.carry[:w.nc], w.off)
		}
	}
	if err == nil && sync {
		if e := syscall.Fdatasync(int(w.f.Fd())); e != nil {
			err = &os.PathError{Op: "fdatasync", Path: w.f.Name(), Err: e}
		}
	}
	return w.place(sync, err)
}
