package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tessera-s3/tessera/admin"
)

// setupPool fills e.pool for the sts and auth workloads: the given
// Credentials, else Users new users, else the run's own key pair.
func (e *env) setupPool(ctx context.Context) error {
	cfg := e.cfg
	switch {
	case len(cfg.Credentials) > 0:
		for _, c := range cfg.Credentials {
			e.pool = append(e.pool, aws.Credentials{AccessKeyID: c.AccessKey, SecretAccessKey: c.SecretKey, SessionToken: c.SessionToken})
		}
	case cfg.Users > 0:
		return e.createUsers(ctx)
	default:
		e.pool = []aws.Credentials{e.creds}
	}
	return nil
}

func (e *env) adminClient() *admin.Client {
	c := admin.NewClient(e.cfg.Endpoint, e.cfg.AccessKey, e.cfg.SecretKey, e.cfg.TLS)
	c.SessionToken, c.Region = e.cfg.SessionToken, e.cfg.Region
	return c
}

// userConcurrency bounds parallel admin calls: each is a Raft commit.
const userConcurrency = 8

// createUsers creates Users users named "bench-RUN-i" with random
// passwords and UserPolicy attached, through the admin API.
func (e *env) createUsers(ctx context.Context) error {
	cfg := e.cfg
	var idb [4]byte
	_, _ = rand.Read(idb[:])
	run := hex.EncodeToString(idb[:])
	ac := e.adminClient()
	e.log.Info("creating users", "count", cfg.Users, "policy", cfg.UserPolicy)
	start := time.Now()
	e.pool = make([]aws.Credentials, cfg.Users)
	var mu sync.Mutex
	err := parallelN(ctx, min(userConcurrency, cfg.Users), cfg.Users, func(i int) error {
		var pb [12]byte
		_, _ = rand.Read(pb[:])
		name := "bench-" + run + "-" + strconv.Itoa(i)
		pass := "Bk-" + hex.EncodeToString(pb[:]) + "z"
		if _, err := ac.CreateUser(ctx, admin.CreateUserRequest{Name: name, Role: "s3", Password: pass}); err != nil {
			return fmt.Errorf("%w: creating user %s: %w", ErrSetup, name, err)
		}
		mu.Lock()
		e.created = append(e.created, name)
		mu.Unlock()
		if err := ac.AttachPolicy(ctx, cfg.UserPolicy, name); err != nil {
			return fmt.Errorf("%w: attaching policy %s to %s: %w", ErrSetup, cfg.UserPolicy, name, err)
		}
		e.pool[i] = aws.Credentials{AccessKeyID: name, SecretAccessKey: pass}
		return nil
	})
	if err == nil {
		e.log.Info("users ready", "count", cfg.Users, "took", time.Since(start).Round(time.Millisecond))
	}
	return err
}

// deleteUsers deletes the users createUsers made.
func (e *env) deleteUsers(ctx context.Context) error {
	ac := e.adminClient()
	names := e.created
	e.created = nil
	e.log.Info("deleting users", "count", len(names))
	var errs []error
	var mu sync.Mutex
	_ = parallelN(ctx, min(userConcurrency, len(names)), len(names), func(i int) error {
		if err := ac.DeleteUser(ctx, names[i]); err != nil {
			mu.Lock()
			errs = append(errs, fmt.Errorf("%s: %w", names[i], err))
			mu.Unlock()
		}
		return nil
	})
	return errors.Join(errs...)
}

// parallelN runs fn(i) for i in [0, n) on g goroutines and returns the
// first error; after one, no new i starts.
func parallelN(ctx context.Context, g, n int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// LoadCredentials reads key pairs, one per line: "ACCESS_KEY SECRET_KEY"
// or "ACCESS_KEY SECRET_KEY SESSION_TOKEN", separated by spaces, tabs or
// commas. Blank lines and lines starting with '#' are skipped.
func LoadCredentials(r io.Reader) ([]Credentials, error) {
	var out []Credentials
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.FieldsFunc(t, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		if len(f) < 2 || len(f) > 3 {
			return nil, fmt.Errorf("%w: line %d: want ACCESS_KEY SECRET_KEY [SESSION_TOKEN], got %d fields", ErrInvalidCredentials, line, len(f))
		}
		c := Credentials{AccessKey: f[0], SecretKey: f[1]}
		if len(f) == 3 {
			c.SessionToken = f[2]
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCredentials, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no key pairs", ErrInvalidCredentials)
	}
	return out, nil
}
