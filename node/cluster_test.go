package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/node/nodetest"
	"github.com/tessera-s3/tessera/raftfsm"
)

func listBuckets(t *testing.T, n *nodetest.Node, ak, sk string) error {
	t.Helper()
	_, err := n.S3With(t, ak, sk, "").ListBuckets(context.Background(), &s3.ListBucketsInput{})
	return err
}

// TestClusterIdentity: identity written through any node works on every
// node at once, and a revocation that returned is refused everywhere.
func TestClusterIdentity(t *testing.T) {
	c := nodetest.StartCluster(t, 3)
	ctx := context.Background()
	leader := c.Leader()
	if leader == nil {
		t.Fatal("no leader")
	}
	f := c.Followers()
	if len(f) != 2 {
		t.Fatalf("%d followers", len(f))
	}
	// Writes through a follower are forwarded and read back there.
	fa := admin.NewClient(f[0].Endpoint, f[0].AccessKey, f[0].SecretKey, nil)
	if _, err := fa.CreateUser(ctx, admin.CreateUserRequest{Name: "alice", Role: raftfsm.RoleS3, Password: "Alice-Pass-1"}); err != nil {
		t.Fatalf("create user via follower: %v", err)
	}
	if err := fa.AttachPolicy(ctx, "readwrite", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := f[0].S3(t).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared")}); err != nil {
		t.Fatalf("create bucket via follower: %v", err)
	}
	for _, n := range c.Nodes {
		if err := listBuckets(t, n, "alice", "Alice-Pass-1"); err != nil {
			t.Fatalf("alice on %s: %v", n.Endpoint, err)
		}
		if _, err := n.S3With(t, "alice", "Alice-Pass-1", "").HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("shared")}); err != nil {
			t.Fatalf("bucket on %s: %v", n.Endpoint, err)
		}
	}
	// Service account created through the other follower works everywhere.
	sa, err := admin.NewClient(f[1].Endpoint, "alice", "Alice-Pass-1", nil).AddServiceAccount(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes {
		if err := listBuckets(t, n, sa.AccessKey, sa.SecretKey); err != nil {
			t.Fatalf("service account on %s: %v", n.Endpoint, err)
		}
	}
	// Revoke through a follower: the moment it returns, no node accepts.
	if err := fa.DetachPolicy(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes {
		expectCode(t, "detached on "+n.Endpoint, listBuckets(t, n, "alice", "Alice-Pass-1"), "AccessDenied")
	}
	if err := fa.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes {
		expectCode(t, "deleted on "+n.Endpoint, listBuckets(t, n, sa.AccessKey, sa.SecretKey), "InvalidAccessKeyId")
	}
}

// TestPartitionedNodeStopsServing: a follower cut off from the others
// refuses authenticated requests once its lease has passed while the
// majority keeps serving, and it serves again after the partition heals.
func TestPartitionedNodeStopsServing(t *testing.T) {
	faults := nodetest.NewLinkFaults(t)
	c := nodetest.StartCluster(t, 3, faults.Option())
	victim := c.Followers()[0]
	if err := listBuckets(t, victim, victim.AccessKey, victim.SecretKey); err != nil {
		t.Fatal(err)
	}
	cut := func(heal bool) { faults.Isolate(victim, heal) }
	cut(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := listBuckets(t, victim, victim.AccessKey, victim.SecretKey)
		if apiCode(err) == "ServiceUnavailable" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("partitioned node still serving after 10 s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The majority side keeps serving, and its writes do not wait for
	// the cut-off node beyond its lease.
	var majority *nodetest.Node
	for _, n := range c.Nodes {
		if n != victim {
			majority = n
		}
	}
	start := time.Now()
	if _, err := admin.NewClient(majority.Endpoint, majority.AccessKey, majority.SecretKey, nil).CreateUser(context.Background(),
		admin.CreateUserRequest{Name: "during", Role: raftfsm.RoleS3, Password: "During-Pass-1"}); err != nil {
		t.Fatalf("write on the majority side: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("majority write took %v", d)
	}
	cut(true)
	deadline = time.Now().Add(15 * time.Second)
	for {
		err := listBuckets(t, victim, "during", "During-Pass-1")
		if apiCode(err) == "AccessDenied" { // authenticated: it caught up (no policy yet)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healed node not serving the new user: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestClusterStatusAndMembership: status lists every node with its role,
// term, applied index and drives; a node started with join = true is added
// at run time, serves the replicated identity, and can be removed.
func TestClusterStatusAndMembership(t *testing.T) {
	c := nodetest.StartCluster(t, 3)
	ctx := context.Background()
	f := c.Followers()[0]
	ac := admin.NewClient(f.Endpoint, f.AccessKey, f.SecretKey, nil)
	// Each node sees the cluster's 12 drives (4 per node), all online.
	var st admin.ClusterStatus
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		if st, err = ac.ClusterStatus(ctx); err != nil {
			t.Fatal(err)
		}
		online := 0
		for _, n := range st.Nodes {
			for _, d := range n.Drives {
				if d.Online {
					online++
				}
			}
		}
		if online == 36 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	leaders := 0
	for _, n := range st.Nodes {
		if !n.Reachable || n.Term == 0 || n.AppliedIndex == 0 || len(n.Drives) != 12 || n.Suffrage != "Voter" {
			t.Fatalf("node status %+v", n)
		}
		for _, d := range n.Drives {
			if !d.Online {
				t.Fatalf("node %s: drive offline: %+v", n.ID, d)
			}
		}
		if n.Role == "Leader" {
			leaders++
		}
	}
	if len(st.Nodes) != 3 || leaders != 1 || st.Leader == "" {
		t.Fatalf("status %+v", st)
	}
	if _, err := ac.CreateUser(ctx, admin.CreateUserRequest{Name: "early", Role: raftfsm.RoleS3, Password: "Early-Pass-1"}); err != nil {
		t.Fatal(err)
	}

	j := c.StartJoiner(t, "node4")
	if _, err := ac.AddNode(ctx, j.ID, j.ClusterAddr); err != nil {
		t.Fatalf("add node through a follower: %v", err)
	}
	n4 := j.Wait(t)
	// The new node has the state written before it joined.
	expectCode(t, "early user on the new node", listBuckets(t, n4, "early", "Early-Pass-1"), "AccessDenied")
	st, _ = ac.ClusterStatus(ctx)
	if len(st.Nodes) != 4 {
		t.Fatalf("after add: %+v", st)
	}
	if err := ac.RemoveNode(ctx, "node4"); err != nil {
		t.Fatal(err)
	}
	// The follower answering learns the new configuration from the leader.
	deadline = time.Now().Add(10 * time.Second)
	for st, _ = ac.ClusterStatus(ctx); len(st.Nodes) != 3; st, _ = ac.ClusterStatus(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("after remove: %d nodes", len(st.Nodes))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestClusterConcurrentAssumeRole: many AssumeRoles at once through a
// follower all succeed, each session works on every node the moment it is
// returned, and the cluster port reuses its connections (forwarding and
// the propagation wait do not dial per change, and a burst does not dial
// more at once than the leader accepts).
func TestClusterConcurrentAssumeRole(t *testing.T) {
	c := nodetest.StartCluster(t, 3)
	ctx := context.Background()
	f := c.Followers()
	if len(f) != 2 {
		t.Fatalf("%d followers", len(f))
	}
	fa := admin.NewClient(f[0].Endpoint, f[0].AccessKey, f[0].SecretKey, nil)
	if _, err := fa.CreateUser(ctx, admin.CreateUserRequest{Name: "bob", Role: raftfsm.RoleS3, Password: "Bob-Pass-123"}); err != nil {
		t.Fatal(err)
	}
	if err := fa.AttachPolicy(ctx, "readwrite", "bob"); err != nil {
		t.Fatal(err)
	}
	dialed := func() (d uint64) {
		for _, n := range c.Nodes {
			d += n.Node.ClusterStats().Dialed
		}
		return d
	}
	before := dialed()
	// More concurrent forwards than a node accepts handshakes from one host
	// (32): the callers' dials must queue, not be refused.
	const workers, each = 48, 4
	sc := stsClient(t, f[0], "bob", "Bob-Pass-123", "")
	type cred struct{ ak, sk, tok string }
	out := make(chan cred, workers*each)
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for range each {
				r, err := assume(t, sc, 900, "")
				if err != nil {
					errs <- err
					return
				}
				out <- cred{*r.Credentials.AccessKeyId, *r.Credentials.SecretAccessKey, *r.Credentials.SessionToken}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatalf("AssumeRole through a follower: %v", err)
		}
	}
	close(out)
	n := 0
	for cr := range out {
		// Every third session is tried on every node; a session returned
		// must work everywhere at once.
		if n%3 == 0 {
			for _, nd := range c.Nodes {
				if err := listBuckets(t, nd, cr.ak, cr.sk); err == nil {
					t.Fatalf("session without its token accepted on %s", nd.Endpoint)
				}
				if _, err := nd.S3With(t, cr.ak, cr.sk, cr.tok).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
					t.Fatalf("session %d on %s: %v", n, nd.Endpoint, err)
				}
			}
		}
		n++
	}
	if n != workers*each {
		t.Fatalf("%d sessions", n)
	}
	// One connection per change and per poll would be several hundred.
	if d := dialed() - before; d > 3*workers+20 {
		t.Fatalf("%d cluster connections dialed for %d changes", d, workers*each)
	}
	for _, nd := range c.Nodes {
		if st := nd.Node.ClusterStats(); st.RejectedOverload != 0 {
			t.Fatalf("%s refused %d cluster handshakes as overload", nd.Endpoint, st.RejectedOverload)
		}
	}
}
