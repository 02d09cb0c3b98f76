package node_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/node/nodetest"
)

// TestClusterObjects: objects written through any node are erasure-coded
// over every node's drives and read back byte-exact through every node,
// also with one node down (its drives are the layout's parity budget).
func TestClusterObjects(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("nodes=%d", n), func(t *testing.T) { clusterObjects(t, n) })
	}
}

func clusterObjects(t *testing.T, nodes int) {
	c := nodetest.StartCluster(t, nodes)
	ctx := context.Background()
	if _, err := c.Nodes[0].S3(t).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("spread")}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for i, size := range []int{0, 100, 200 << 10, 3<<20 + 17} {
		for j, n := range c.Nodes {
			key := fmt.Sprintf("obj-%d-via-%d", i, j)
			b := make([]byte, size)
			rand.Read(b)
			if _, err := n.S3(t).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("spread"), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
				t.Fatalf("put %s: %v", key, err)
			}
			want[key] = b
		}
	}
	check := func(nodes []*nodetest.Node) {
		t.Helper()
		for _, n := range nodes {
			cl := n.S3(t)
			out, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("spread")})
			if err != nil || len(out.Contents) != len(want) {
				t.Fatalf("list via %s: %d objects, %v", n.Endpoint, len(out.Contents), err)
			}
			for key, b := range want {
				got, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("spread"), Key: aws.String(key)})
				if err != nil {
					t.Fatalf("get %s via %s: %v", key, n.Endpoint, err)
				}
				data, err := io.ReadAll(got.Body)
				got.Body.Close()
				if err != nil || !bytes.Equal(data, b) {
					t.Fatalf("get %s via %s: %d bytes, want %d (%v)", key, n.Endpoint, len(data), len(b), err)
				}
			}
		}
	}
	check(c.Nodes)
	// Stop one follower: the others still serve every object.
	down := c.Followers()[0]
	down.Stop(t)
	var up []*nodetest.Node
	for _, n := range c.Nodes {
		if n != down {
			up = append(up, n)
		}
	}
	check(up)
	// Writes still succeed with one node down.
	if _, err := up[0].S3(t).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("spread"), Key: aws.String("while-down"), Body: bytes.NewReader([]byte("x"))}); err != nil {
		t.Fatalf("put with a node down: %v", err)
	}
	want["while-down"] = []byte("x")
	check(up)

	// Bring it back and heal: then the cluster survives the loss of a
	// different node, which needs the shards rebuilt on the returned one.
	down.Restart(t)
	ac := admin.NewClient(up[0].Endpoint, up[0].AccessKey, up[0].SecretKey, nil)
	// Heal from a node that sees the returned node's drives online again.
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := ac.ClusterStatus(ctx)
		online := 0
		if err == nil {
			for _, nd := range st.Nodes {
				if nd.ID == up[0].Node.NodeID() {
					for _, d := range nd.Drives {
						if d.Online {
							online++
						}
					}
				}
			}
		}
		if online == 4*nodes {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("drives online after restart: %d of %d (%v)", online, 4*nodes, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var lines int
	res, err := ac.Heal(ctx, "", func(admin.HealProgress) { lines++ })
	if err != nil || !res.Finished || res.Healed < len(want) || lines < 1 {
		t.Fatalf("heal: %+v after %d lines: %v", res, lines, err)
	}
	// Stop another follower (stopping the leader would leave the rest
	// refusing requests until they elect a new one, which this test does
	// not wait for).
	other := up[0]
	for _, n := range up {
		if !n.Node.IsLeader() {
			other = n
			break
		}
	}
	other.Stop(t)
	var rest []*nodetest.Node
	for _, n := range c.Nodes {
		if n != other {
			rest = append(rest, n)
		}
	}
	check(rest)
}

// TestClusterNodeReplacedDrives: a node whose drives were replaced with
// empty ones is refilled by healing, after which the cluster survives the
// loss of another node.
func TestClusterNodeReplacedDrives(t *testing.T) {
	c := nodetest.StartCluster(t, 3)
	ctx := context.Background()
	cl := c.Nodes[0].S3(t)
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("refill")}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for i := 0; i < 12; i++ {
		key := fmt.Sprintf("k%d", i)
		b := make([]byte, 1000+i*40000)
		rand.Read(b)
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("refill"), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
		want[key] = b
	}
	victim := c.Followers()[0]
	victim.Stop(t)
	for _, d := range victim.Drives {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	victim.Restart(t)
	healer := c.Leader()
	ac := admin.NewClient(healer.Endpoint, healer.AccessKey, healer.SecretKey, nil)
	// Wait until the healer sees the replaced drives online (reformatted).
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := ac.ClusterStatus(ctx)
		online := 0
		if err == nil {
			for _, nd := range st.Nodes {
				if nd.ID == healer.Node.NodeID() {
					for _, d := range nd.Drives {
						if d.Online {
							online++
						}
					}
				}
			}
		}
		if online == 12 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replaced drives not online: %d of 12", online)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res, err := ac.Heal(ctx, "refill", nil); err != nil || res.Healed != len(want) {
		t.Fatalf("heal: %+v %v", res, err)
	}
	// Lose a node other than the refilled one: everything still reads.
	for _, n := range c.Nodes {
		if n != victim && n != healer {
			n.Stop(t)
		}
	}
	for key, b := range want {
		out, err := victim.S3(t).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("refill"), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("get %s after refill: %v", key, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, b) {
			t.Fatalf("%s differs after refill", key)
		}
	}
}
