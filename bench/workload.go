package bench

import (
	"context"
)

// workload is one kind of traffic. setup runs once before the timed phase
// (its requests are not recorded); step runs concurrently from every worker,
// each call on its own worker, and records the requests it makes.
type workload interface {
	setup(ctx context.Context, e *env) error
	// step performs one workload step; errExhausted ends the worker.
	step(w *worker) error
}

func newWorkload(cfg *Config) workload {
	switch cfg.Workload {
	case WorkloadGet:
		return getWorkload{}
	case WorkloadMixed:
		return &mixedWorkload{picker: newOpPicker(cfg.Mix)}
	case WorkloadList:
		return listWorkload{}
	case WorkloadMultipart:
		return multipartWorkload{}
	case WorkloadDelete:
		return deleteWorkload{}
	case WorkloadSTS:
		return stsWorkload{}
	case WorkloadAuth:
		return authWorkload{}
	}
	return putWorkload{}
}

// nextKey returns the keys 0..Keys-1 round-robin across all workers.
func (e *env) nextKey() int { return int((e.seq.Add(1) - 1) % int64(e.cfg.Keys)) }

// putWorkload: PutObject of Keys keys round-robin, sizes from the
// distribution.
type putWorkload struct{}

func (putWorkload) setup(context.Context, *env) error { return nil }
func (putWorkload) step(w *worker) error {
	w.put(w.e.nextKey(), w.e.sizes.pick(w.rng))
	return nil
}

// getWorkload: GetObject of random keys among Keys prepared objects.
type getWorkload struct{}

func (getWorkload) setup(ctx context.Context, e *env) error { return e.prefill(ctx) }
func (getWorkload) step(w *worker) error {
	w.get(w.rng.IntN(w.e.cfg.Keys), nil)
	return nil
}

// listWorkload: ListObjectsV2 pages of ListMaxKeys over Keys prepared
// objects; each worker pages through the prefix and starts over.
type listWorkload struct{}

func (listWorkload) setup(ctx context.Context, e *env) error { return e.prefill(ctx) }
func (listWorkload) step(w *worker) error {
	w.list()
	return nil
}

// multipartWorkload: one step is a whole multipart upload of Parts parts
// of PartSize bytes to Keys keys round-robin.
type multipartWorkload struct{}

func (multipartWorkload) setup(context.Context, *env) error { return nil }
func (multipartWorkload) step(w *worker) error {
	w.multipart(w.e.nextKey())
	return nil
}

// deleteWorkload: DeleteObject of each of Keys prepared objects once; the
// run ends when all are deleted.
type deleteWorkload struct{}

func (deleteWorkload) setup(ctx context.Context, e *env) error { return e.prefill(ctx) }
func (deleteWorkload) step(w *worker) error {
	i := w.e.seq.Add(1) - 1
	if i >= int64(w.e.cfg.Keys) {
		return errExhausted
	}
	w.del(int(i))
	return nil
}

// stsWorkload: AssumeRole (STS query API, POST /) with key pairs of the
// user pool.
type stsWorkload struct{}

func (stsWorkload) setup(ctx context.Context, e *env) error { return e.setupPool(ctx) }
func (stsWorkload) step(w *worker) error {
	w.assumeRole(&w.e.pool[w.rng.IntN(len(w.e.pool))])
	return nil
}

// authWorkload: GetObject of prepared objects, each request signed by a
// random key pair of the user pool, so that the server authenticates many
// different keys.
type authWorkload struct{}

func (authWorkload) setup(ctx context.Context, e *env) error {
	if err := e.setupPool(ctx); err != nil {
		return err
	}
	return e.prefill(ctx)
}
func (authWorkload) step(w *worker) error {
	w.get(w.rng.IntN(w.e.cfg.Keys), &w.e.pool[w.rng.IntN(len(w.e.pool))])
	return nil
}

// mixedWorkload: operations drawn from Mix. Every worker owns the keys
// k with k mod Concurrency == its id and tracks which of them exist, so
// that gets, heads and deletes only name existing objects (a get or delete
// with none left becomes a put).
type mixedWorkload struct{ picker opPicker }

func (m *mixedWorkload) setup(ctx context.Context, e *env) error {
	if err := e.prefill(ctx); err != nil {
		return err
	}
	n := len(e.workers)
	for _, w := range e.workers {
		own := (e.cfg.Keys - w.id + n - 1) / n
		w.present = make([]bool, own)
		for i := range w.present {
			w.present[i] = true
		}
		w.nPresent = own
	}
	return nil
}

func (m *mixedWorkload) step(w *worker) error {
	n := len(w.e.workers)
	key := func(local int) int { return w.id + local*n }
	op := m.picker.pick(w.rng)
	if op == OpList {
		w.list()
		return nil
	}
	local := -1
	if op != OpPut {
		local = w.randomPresent()
		if local < 0 {
			op = OpPut
		}
	}
	switch op {
	case OpPut:
		local = w.rng.IntN(len(w.present))
		if r := w.put(key(local), w.e.sizes.pick(w.rng)); r.ok() && !w.present[local] {
			w.present[local] = true
			w.nPresent++
		}
	case OpGet:
		w.get(key(local), nil)
	case OpHead:
		w.head(key(local))
	case OpDelete:
		if r := w.del(key(local)); r.ok() {
			w.present[local] = false
			w.nPresent--
		}
	}
	return nil
}

// randomPresent returns a random existing key of the worker's share, or
// -1 when none exists.
func (w *worker) randomPresent() int {
	if w.nPresent == 0 {
		return -1
	}
	n := len(w.present)
	i := w.rng.IntN(n)
	for j := 0; j < n; j++ {
		if k := (i + j) % n; w.present[k] {
			return k
		}
	}
	return -1
}
