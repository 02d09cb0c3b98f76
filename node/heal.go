package node

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/erasure"
)

// heal runs one healing pass over every object (bucket == "") or one
// bucket's objects, calling progress after each object.
func (n *Node) heal(ctx context.Context, bucket string, progress func(done, total int)) (int, error) {
	if bucket == "" {
		done := 0
		err := n.store.HealAll(ctx, func(d, t int) {
			done = d
			progress(d, t)
		})
		return done, err
	}
	var keys []string
	marker := ""
	for {
		page, err := n.store.ListObjects(ctx, bucket, "", marker, "", 1000)
		if err != nil {
			return 0, err
		}
		for _, o := range page.Objects {
			keys = append(keys, o.Key)
		}
		if !page.IsTruncated || len(page.Objects) == 0 {
			break
		}
		marker = page.Objects[len(page.Objects)-1].Key
	}
	var errs []error
	for i, k := range keys {
		if err := ctx.Err(); err != nil {
			return i, err
		}
		if err := n.store.Heal(ctx, bucket, k); err != nil && !errors.Is(err, erasure.ErrObjectNotFound) {
			errs = append(errs, err)
		}
		progress(i+1, len(keys))
	}
	return len(keys), errors.Join(errs...)
}

// serveHeal streams a healing pass as newline-delimited JSON progress
// (admin.HealProgress), the last line with Done set.
func (n *Node) serveHeal(rc *fasthttp.RequestCtx, bucket string) {
	rc.SetContentType("application/x-ndjson")
	rc.SetBodyStreamWriter(func(w *bufio.Writer) {
		start := time.Now()
		enc := json.NewEncoder(w)
		last := time.Time{}
		done, err := n.heal(context.Background(), bucket, func(d, t int) {
			if time.Since(last) > 500*time.Millisecond || d == t {
				last = time.Now()
				_ = enc.Encode(admin.HealProgress{Healed: d, Total: t})
				_ = w.Flush()
			}
		})
		final := admin.HealProgress{Healed: done, Total: done, Finished: true, Seconds: time.Since(start).Seconds()}
		if err != nil {
			final.Error = err.Error()
		}
		_ = enc.Encode(final)
		_ = w.Flush()
	})
}

// ServeHeal implements admin.Healer.
func (n *Node) ServeHeal(rc *fasthttp.RequestCtx, bucket string) { n.serveHeal(rc, bucket) }

// healLoop runs a background healing pass every HealInterval on the Raft
// leader (one node at a time: every node reaches every drive).
func (n *Node) healLoop(ctx context.Context) {
	defer n.bgDone.Done()
	t := time.NewTicker(time.Duration(n.cfg.HealInterval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !n.raft.IsLeader() {
				continue
			}
			start := time.Now()
			done, err := n.heal(ctx, "", func(int, int) {})
			if err != nil {
				n.log.Warn("background heal pass", "objects", done, "err", err)
			} else {
				n.log.Info("background heal pass", "objects", done, "seconds", time.Since(start).Seconds())
			}
		}
	}
}
