package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// signingKey is a derived SigV4 signing key and what it was derived from.
// Immutable once published, except token.
type signingKey struct {
	secret    string
	accessKey string
	date      [8]byte
	key       [32]byte
	// token is the last security token seen with this key, so that
	// requests from one STS session share one string.
	token atomic.Pointer[string]
}

// internToken returns tok as a string, reusing the previous one when equal.
func (k *signingKey) internToken(tok []byte) string {
	if len(tok) == 0 {
		return ""
	}
	if p := k.token.Load(); p != nil && *p == string(tok) {
		return *p
	}
	s := string(tok)
	k.token.Store(&s)
	return s
}

// keyCache maps a credential string ("AK/date/region/service/aws4_request")
// to its signing key. It is sharded to keep lock hold times short; each
// shard holds at most perShard keys and, when full, first drops keys of
// other dates (the day rolled over), then arbitrary ones.
type keyCache struct {
	seed     maphash.Seed
	perShard int
	shards   [keyShards]keyShard
}

const keyShards = 16

type keyShard struct {
	mu sync.RWMutex
	m  map[string]*signingKey
	_  [40]byte // keep shards on separate cache lines
}

func newKeyCache(size int) *keyCache {
	c := &keyCache{seed: maphash.MakeSeed(), perShard: max(1, size/keyShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*signingKey)
	}
	return c
}

// get returns the signing key for cred and secret, deriving and caching it
// on a miss or when the secret changed. It does not allocate on a hit.
func (c *keyCache) get(cred *credential, secret string) *signingKey {
	sh := &c.shards[maphash.Bytes(c.seed, cred.raw)%keyShards]
	sh.mu.RLock()
	k := sh.m[string(cred.raw)]
	sh.mu.RUnlock()
	if k != nil && k.secret == secret {
		return k
	}
	k = deriveKey(cred, secret)
	sh.mu.Lock()
	if len(sh.m) >= c.perShard {
		sh.evict(k.date, c.perShard)
	}
	sh.m[string(cred.raw)] = k
	sh.mu.Unlock()
	return k
}

// evict makes room: keys of other dates go first, then arbitrary keys
// until the shard is three quarters full. Caller holds mu.
func (sh *keyShard) evict(today [8]byte, limit int) {
	for id, k := range sh.m {
		if k.date != today {
			delete(sh.m, id)
		}
	}
	for id := range sh.m {
		if len(sh.m) < limit*3/4 || len(sh.m) == 0 {
			break
		}
		delete(sh.m, id)
	}
}

// len returns the number of cached keys (for tests).
func (c *keyCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// deriveKey computes
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveKey(cred *credential, secret string) *signingKey {
	k := &signingKey{secret: secret, accessKey: string(cred.accessKey)}
	copy(k.date[:], cred.date)
	sum := SigningKey(secret, string(cred.date), string(cred.region), cred.service)
	copy(k.key[:], sum)
	return k
}

// SigningKey derives the SigV4 signing key of secret for a date
// ("yyyymmdd"), region and service.
func SigningKey(secret, date, region, service string) []byte {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), date)
	k = mac(k, region)
	k = mac(k, service)
	return mac(k, terminal)
}
