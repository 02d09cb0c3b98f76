package erasure

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashConfig is the store config shared by the crash test and its child.
func crashConfig(dir string) Config {
	cfg := DefaultConfig()
	for i := 0; i < 6; i++ {
		cfg.Drives = append(cfg.Drives, filepath.Join(dir, fmt.Sprintf("drive%d", i)))
	}
	cfg.BlockSize = 16 << 10
	cfg.InlineThreshold = 2 << 10
	cfg.Sync = true
	cfg.HealthInterval = -1
	cfg.MetaCacheSize = 4 << 20
	cfg.MetaMemTableSize = 1 << 20
	return cfg
}

// crashPayload is the deterministic content of version v of a key.
func crashPayload(key string, v int) []byte {
	sizes := []int{100, 20 << 10, 2 << 10, 70<<10 + 3, 0, 40 << 10}
	seed := sha256.Sum256([]byte(fmt.Sprint(key, "/", v)))
	rng := rand.New(rand.NewSource(int64(seed[0]) | int64(seed[1])<<8 | int64(seed[2])<<16))
	b := make([]byte, sizes[v%len(sizes)])
	rng.Read(b)
	return b
}

func crashKey(i int) string { return fmt.Sprintf("key-%04d", i) }

// TestCrashChild is the re-executed child of TestCrashRecovery: it PUTs
// objects in a loop (new keys and overwrites) and prints "ACK key version"
// after each acknowledged one, until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("ERASURE_CRASH_DIR")
	if dir == "" {
		t.Skip("helper process for TestCrashRecovery")
	}
	start, _ := strconv.Atoi(os.Getenv("ERASURE_CRASH_START"))
	cfg := crashConfig(dir)
	cfg.Logger = testLogger(t)
	s, err := Open(cfg)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	ctx := context.Background()
	for i := start; ; i++ {
		key, v := crashKey(i), i
		if i%4 == 3 && i > 0 {
			key = crashKey(i / 2) // overwrite an older key with a new version
		}
		data := crashPayload(key, v)
		if _, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(data), int64(len(data)), PutOptions{}); err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		fmt.Printf("ACK %s %d\n", key, v)
	}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	acked := map[string]int{}   // key -> last acknowledged version
	started := map[string]int{} // key -> highest version a child may have started
	next := 0
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for round := 0; round < 3; round++ {
		killAfter := 5 + rng.Intn(25)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ERASURE_CRASH_DIR="+dir, "ERASURE_CRASH_START="+strconv.Itoa(next))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n := 0
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "ERR") {
				cmd.Process.Kill()
				t.Fatalf("child: %s", line)
			}
			var key string
			var v int
			if _, err := fmt.Sscanf(line, "ACK %s %d", &key, &v); err != nil {
				continue
			}
			acked[key] = v
			n++
			if n == killAfter {
				// kill -9 in the middle of the next PUT.
				time.Sleep(time.Duration(rng.Intn(3000)) * time.Microsecond)
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		// Drain what the child printed before it died.
		for sc.Scan() {
			var key string
			var v int
			if _, err := fmt.Sscanf(sc.Text(), "ACK %s %d", &key, &v); err == nil {
				acked[key] = v
				n++
			}
		}
		cmd.Wait()
		// The child started versions next .. next+n (the last one in flight).
		for i := next; i <= next+n; i++ {
			key := crashKey(i)
			if i%4 == 3 && i > 0 {
				key = crashKey(i / 2)
			}
			started[key] = max(started[key], i)
		}
		next += n + 1
		t.Logf("round %d: killed after %d acknowledged PUTs", round, n)

		// Reopen: every acknowledged object is there, byte-exact, and every
		// visible object is complete.
		cfg := crashConfig(dir)
		cfg.Logger = testLogger(t)
		s, err := Open(cfg)
		if err != nil {
			t.Fatalf("reopen after kill: %v", err)
		}
		for key, v := range acked {
			got, oi, err := getRange(s, "bkt", key, 0, -1)
			if err != nil {
				t.Fatalf("acknowledged %s (version %d): %v", key, v, err)
			}
			ok := false
			// The acknowledged version, or a later one that was in flight.
			for w := v; w <= started[key]; w++ {
				if bytes.Equal(got, crashPayload(key, w)) {
					ok = true
				}
			}
			if !ok || oi.ETag != md5hex(got) {
				t.Fatalf("%s: %d bytes match no version >= acknowledged %d", key, len(got), v)
			}
		}
		res, err := s.ListObjects(context.Background(), "bkt", "", "", "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			got, _, err := getRange(s, "bkt", o.Key, 0, -1)
			if err != nil || int64(len(got)) != o.Size || md5hex(got) != o.ETag {
				t.Fatalf("listed %s is not complete: %d bytes, %v", o.Key, len(got), err)
			}
			if _, ok := started[o.Key]; !ok {
				t.Fatalf("listed %s was never written", o.Key)
			}
		}
		// No data dir is left that no record points at.
		if n, err := s.CleanupOrphans(context.Background(), 0); err != nil || n != 0 {
			t.Fatalf("orphans after reopen: %d, %v", n, err)
		}
		if err := s.HealAll(context.Background(), nil); err != nil && !errors.Is(err, ErrObjectNotFound) {
			t.Fatalf("HealAll after crash: %v", err)
		}
		s.Close()
	}
}
