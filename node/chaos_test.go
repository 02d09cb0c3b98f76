package node_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/node/nodetest"
	"github.com/tessera-s3/tessera/raftfsm"
)

var (
	chaosDuration = flag.Duration("chaos.duration", 15*time.Second, "how long TestChaosIdentity injects faults")
	chaosSeed     = flag.Int64("chaos.seed", 0, "seed of TestChaosIdentity (0: time-based)")
)

// chaosContent is the content of object key: a pure function of the key,
// 100 B to ~300 KiB, so both inline and file-backed objects occur.
func chaosContent(key string) []byte {
	h := sha256.Sum256([]byte(key))
	n := 100 + int(h[0])*1200
	return bytes.Repeat(h[:], n/32+1)[:n]
}

// TestChaosIdentity mixes node restarts and partitions with concurrent IAM
// and S3 traffic for a bounded time, then checks: the identity state is
// identical on all nodes, every acknowledged user exists, every acknowledged
// deletion holds, no credential was accepted by any serving node after its
// revocation returned, and every acknowledged object reads back byte-exact. The seed is printed; rerun with -chaos.seed.
func TestChaosIdentity(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test")
	}
	seed := *chaosSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	if v := os.Getenv("CHAOS_SEED"); v != "" {
		fmt.Sscan(v, &seed)
	}
	t.Logf("chaos seed %d (rerun: go test ./node -run TestChaosIdentity -chaos.seed=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))

	faults := nodetest.NewLinkFaults(t)
	c := nodetest.StartCluster(t, 3, faults.Option())
	ids := map[*nodetest.Node]string{}
	for _, n := range c.Nodes {
		ids[n] = n.Node.NodeID()
	}
	isolate := faults.Isolate

	ctx := context.Background()
	var (
		stateMu  sync.Mutex
		created  = map[string]bool{} // acknowledged, not deleted
		deleted  = map[string]bool{} // acknowledged deletions
		violated []string
	)
	if _, err := c.Nodes[0].S3(t).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("chaos")}); err != nil {
		t.Fatal(err)
	}
	var ackedObjects []string // written and acknowledged
	// down marks a node being restarted; the traffic goroutines read it
	// instead of the nodetest.Node fields Restart rewrites.
	down := map[*nodetest.Node]*atomic.Bool{}
	for _, n := range c.Nodes {
		down[n] = new(atomic.Bool)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// S3 traffic: PUTs through every node in turn; each acknowledged object
	// must read back byte-exact at the end.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			n := c.Nodes[i%len(c.Nodes)]
			if down[n].Load() {
				continue
			}
			key := fmt.Sprintf("obj-%d", i)
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, err := n.S3(t, func(o *s3.Options) { o.RetryMaxAttempts = 1 }).PutObject(cctx, &s3.PutObjectInput{
				Bucket: aws.String("chaos"), Key: aws.String(key), Body: bytes.NewReader(chaosContent(key)),
			})
			cancel()
			if err == nil {
				stateMu.Lock()
				ackedObjects = append(ackedObjects, key)
				stateMu.Unlock()
			}
		}
	}()
	// IAM traffic: create users, check them, delete some and check that no
	// serving node accepts them afterwards.
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := c.Nodes[(i+w)%len(c.Nodes)]
				if down[n].Load() {
					continue
				}
				ac := admin.NewClient(n.Endpoint, n.AccessKey, n.SecretKey, nil)
				name := fmt.Sprintf("w%du%d", w, i)
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_, err := ac.CreateUser(cctx, admin.CreateUserRequest{Name: name, Role: raftfsm.RoleS3, Password: "Chaos-Pass-1"})
				cancel()
				if err != nil {
					continue // unavailable during faults: allowed, must not be half-applied
				}
				stateMu.Lock()
				created[name] = true
				stateMu.Unlock()
				if i%3 != 0 {
					continue
				}
				cctx, cancel = context.WithTimeout(ctx, 5*time.Second)
				err = ac.DeleteUser(cctx, name)
				cancel()
				if err != nil {
					// A failed delete is ambiguous (it may have been applied
					// before the error): the user's fate is unknown.
					stateMu.Lock()
					delete(created, name)
					stateMu.Unlock()
					continue
				}
				stateMu.Lock()
				delete(created, name)
				deleted[name] = true
				stateMu.Unlock()
				// The moment the delete returned, no serving node accepts it.
				for _, m := range c.Nodes {
					if down[m].Load() {
						continue
					}
					err := listBuckets(t, m, name, "Chaos-Pass-1")
					switch apiCode(err) {
					case "InvalidAccessKeyId", "ServiceUnavailable":
					default:
						if err == nil || apiCode(err) == "AccessDenied" {
							stateMu.Lock()
							violated = append(violated, fmt.Sprintf("%s accepted deleted user %s (%v)", m.Endpoint, name, err))
							stateMu.Unlock()
						}
					}
				}
			}
		}(w)
	}
	// Faults: partition a node or restart it, one at a time.
	deadline := time.Now().Add(*chaosDuration)
	for time.Now().Before(deadline) {
		victim := c.Nodes[rng.Intn(len(c.Nodes))]
		switch rng.Intn(2) {
		case 0:
			t.Logf("partition %s", ids[victim])
			isolate(victim, false)
			time.Sleep(time.Duration(500+rng.Intn(2500)) * time.Millisecond)
			isolate(victim, true)
		case 1:
			t.Logf("restart %s", ids[victim])
			down[victim].Store(true)
			victim.Restart(t)
			down[victim].Store(false)
		}
		time.Sleep(time.Duration(200+rng.Intn(1000)) * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	// Let the cluster settle, then compare every node's state.
	var states []string
	settle := time.Now().Add(20 * time.Second)
	for {
		states = states[:0]
		for _, n := range c.Nodes {
			us, err := admin.NewClient(n.Endpoint, n.AccessKey, n.SecretKey, nil).ListUsers(ctx)
			if err != nil {
				states = append(states, "error: "+err.Error())
				continue
			}
			var names []string
			for _, u := range us {
				names = append(names, u.Name)
			}
			sort.Strings(names)
			states = append(states, fmt.Sprint(names))
		}
		if states[0] == states[1] && states[1] == states[2] && states[0][:5] != "error" {
			break
		}
		if time.Now().After(settle) {
			t.Fatalf("nodes disagree after settling:\n%s", states)
		}
		time.Sleep(200 * time.Millisecond)
	}
	stateMu.Lock()
	defer stateMu.Unlock()
	for _, v := range violated {
		t.Error(v)
	}
	n := c.Nodes[0]
	us, _ := admin.NewClient(n.Endpoint, n.AccessKey, n.SecretKey, nil).ListUsers(ctx)
	have := map[string]bool{}
	for _, u := range us {
		have[u.Name] = true
	}
	for name := range created {
		if !have[name] {
			t.Errorf("acknowledged user %s lost", name)
		}
	}
	for name := range deleted {
		if have[name] {
			t.Errorf("acknowledged deletion of %s undone", name)
		}
	}
	// Read back once the reading node sees every drive online again (it
	// re-probes drives of nodes that were cut off or restarted).
	reader := c.Nodes[1]
	rac := admin.NewClient(reader.Endpoint, reader.AccessKey, reader.SecretKey, nil)
	onlineBy := time.Now().Add(20 * time.Second)
	for {
		st, err := rac.ClusterStatus(ctx)
		online, total := 0, 0
		if err == nil {
			for _, nd := range st.Nodes {
				if nd.ID == reader.Node.NodeID() {
					for _, d := range nd.Drives {
						total++
						if d.Online {
							online++
						}
					}
				}
			}
		}
		if total > 0 && online == total {
			break
		}
		if time.Now().After(onlineBy) {
			t.Fatalf("reader sees %d of %d drives online (%v)", online, total, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cl := reader.S3(t)
	for _, key := range ackedObjects {
		out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("chaos"), Key: aws.String(key)})
		if err != nil {
			t.Errorf("acknowledged object %s: %v", key, err)
			continue
		}
		b, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(b, chaosContent(key)) {
			t.Errorf("acknowledged object %s differs (%d bytes, %v)", key, len(b), err)
		}
	}
	t.Logf("%d acknowledged objects read back byte-exact", len(ackedObjects))
	t.Logf("%d users created and kept, %d deleted, %d users in the final state", len(created), len(deleted), len(us))
}
