package lifecycle

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits, as AWS applies them.
const (
	// MaxRules is the most rules a bucket's configuration may hold.
	MaxRules = 1000
	// MaxIDLength is the longest rule ID, in characters.
	MaxIDLength = 255
	// MaxPrefixLength is the longest filter prefix, in bytes (an object
	// key's limit).
	MaxPrefixLength = 1024
	// MaxTagKeyLength and MaxTagValueLength bound filter tags, in
	// characters.
	MaxTagKeyLength   = 128
	MaxTagValueLength = 256
	// MaxDays is the largest Expiration Days (the S3 schema's int32).
	MaxDays = 1<<31 - 1
)

// Status says whether a rule is applied.
type Status string

// Rule statuses.
const (
	Enabled  Status = "Enabled"
	Disabled Status = "Disabled"
)

// Tag is one object tag a filter requires.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// Filter selects the objects a rule applies to: every object whose key
// starts with Prefix and whose tag set holds every tag in Tags (same key,
// same value). The zero Filter selects every object.
type Filter struct {
	Prefix string
	Tags   []Tag
	// And records that the predicates were given inside <And>; it only
	// shapes the XML written back for GET.
	And bool
}

// Expiration is when a rule expires the objects it matches: Days after
// their modification (rounded up to midnight UTC), or on Date. Exactly one
// is set.
type Expiration struct {
	// Days is at least 1, or 0 when Date is set.
	Days int
	// Date is a midnight UTC, or zero when Days is set.
	Date time.Time
}

// Rule is one lifecycle rule.
type Rule struct {
	// ID is unique within the configuration (1-255 characters).
	ID     string
	Status Status
	Filter Filter
	// LegacyPrefix records that the rule used the top-level <Prefix>
	// element instead of <Filter> (Filter.Prefix holds it); it only shapes
	// the XML written back for GET.
	LegacyPrefix bool
	Expiration   Expiration
}

// Configuration is a bucket's lifecycle configuration: its rules, in the
// order they were given.
type Configuration struct {
	Rules []Rule
}

// Validate checks the model's invariants (what ParseXML guarantees): 1 to
// MaxRules rules, unique non-empty IDs of at most MaxIDLength characters, a
// known Status, a prefix of at most MaxPrefixLength bytes, valid and
// distinct tag keys, and exactly one of Days >= 1 or a midnight-UTC Date.
// Errors are *ValidationError.
func (c *Configuration) Validate() error {
	if len(c.Rules) == 0 {
		return malformed(0, "at least one Rule is required")
	}
	if len(c.Rules) > MaxRules {
		return malformed(0, fmt.Sprintf("a lifecycle configuration holds at most %d rules, got %d", MaxRules, len(c.Rules)))
	}
	ids := make(map[string]struct{}, len(c.Rules))
	for i := range c.Rules {
		r := &c.Rules[i]
		n := i + 1
		if r.ID == "" {
			return invalidArgument(n, "Rule ID must not be empty")
		}
		if err := checkID(n, r.ID); err != nil {
			return err
		}
		if _, dup := ids[r.ID]; dup {
			return invalidArgument(n, "Rule ID must be unique. Found same ID for more than one rule")
		}
		ids[r.ID] = struct{}{}
		if r.Status != Enabled && r.Status != Disabled {
			return malformed(n, "Status must be Enabled or Disabled")
		}
		if err := checkFilter(n, &r.Filter); err != nil {
			return err
		}
		if r.LegacyPrefix && (r.Filter.And || len(r.Filter.Tags) > 0) {
			return malformed(n, "a rule's Prefix element cannot select tags")
		}
		if err := checkExpiration(n, r.Expiration); err != nil {
			return err
		}
	}
	return nil
}

func checkID(n int, id string) error {
	if !utf8.ValidString(id) {
		return malformed(n, "ID is not UTF-8")
	}
	if utf8.RuneCountInString(id) > MaxIDLength {
		return invalidArgument(n, fmt.Sprintf("ID length should not exceed allowed limit of %d", MaxIDLength))
	}
	return nil
}

func checkFilter(n int, f *Filter) error {
	if len(f.Prefix) > MaxPrefixLength {
		return invalidRequest(n, fmt.Sprintf("The maximum size of a prefix is %d bytes", MaxPrefixLength))
	}
	if !f.And && len(f.Tags) > 1 {
		return malformed(n, "a Filter holds one Tag; use And for several")
	}
	if f.And && len(f.Tags) == 0 {
		// An <And> combines two or more predicates: a prefix and at
		// least one tag, or several tags.
		return malformed(n, "And must combine two or more predicates")
	}
	seen := make(map[string]struct{}, len(f.Tags))
	for _, t := range f.Tags {
		if !utf8.ValidString(t.Key) || t.Key == "" || utf8.RuneCountInString(t.Key) > MaxTagKeyLength {
			return invalidTag(n, "The TagKey you have provided is invalid")
		}
		if !utf8.ValidString(t.Value) || utf8.RuneCountInString(t.Value) > MaxTagValueLength {
			return invalidTag(n, "The TagValue you have provided is invalid")
		}
		if _, dup := seen[t.Key]; dup {
			return invalidRequest(n, "Duplicate Tag Keys are not allowed.")
		}
		seen[t.Key] = struct{}{}
	}
	return nil
}

func checkExpiration(n int, e Expiration) error {
	switch {
	case e.Days != 0 && !e.Date.IsZero():
		return malformed(n, "Expiration takes Days or Date, not both")
	case e.Days == 0 && e.Date.IsZero():
		return malformed(n, "Expiration needs Days or Date")
	case e.Days < 0:
		return invalidArgument(n, "'Days' for Expiration action must be a positive integer")
	case e.Days > MaxDays:
		return malformed(n, "Days is out of range")
	case !e.Date.IsZero() && !isMidnightUTC(e.Date):
		return invalidArgument(n, "'Date' must be at midnight GMT")
	}
	return nil
}

func isMidnightUTC(t time.Time) bool {
	_, off := t.Zone()
	h, m, s := t.Clock()
	return off == 0 && h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0
}

// ruleIDEncoding writes generated rule IDs: lower-case base32, no padding.
var ruleIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewRuleID returns a new random rule ID (16 characters of a-z and 2-7),
// the kind ParseXML gives rules that have none.
func NewRuleID() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return ruleIDEncoding.EncodeToString(b[:])
}

// Matches reports whether the rule's filter selects the object with key
// and tags (the stored form "k1=v1&k2=v2", URL-query encoded). It ignores
// Status.
func (r *Rule) Matches(key, tags string) bool {
	if !strings.HasPrefix(key, r.Filter.Prefix) {
		return false
	}
	if len(r.Filter.Tags) == 0 {
		return true
	}
	var buf [maxObjectTags]Tag
	return hasTags(parseTags(tags, buf[:0]), r.Filter.Tags)
}

// ExpiresAt returns when the rule expires an object last modified at
// modTime (whether or not the rule matches it).
func (r *Rule) ExpiresAt(modTime time.Time) time.Time {
	if r.Expiration.Days == 0 {
		return r.Expiration.Date
	}
	y, m, d := modTime.UTC().Date()
	return time.Date(y, m, d+r.Expiration.Days+1, 0, 0, 0, 0, time.UTC)
}

// Expiry returns the earliest expiry, over every enabled rule in rules that
// matches the object with key, tags (the stored form "k1=v1&k2=v2") and
// modTime, and false when no enabled rule matches. It does not allocate
// unless the object's tags hold escaped characters or rules have filter
// tags and the object has more than ten tags.
func Expiry(rules []Rule, key, tags string, modTime time.Time) (time.Time, bool) {
	var (
		best   time.Time
		found  bool
		parsed bool
		buf    [maxObjectTags]Tag
		objs   []Tag
	)
	for i := range rules {
		r := &rules[i]
		if r.Status != Enabled || !strings.HasPrefix(key, r.Filter.Prefix) {
			continue
		}
		if len(r.Filter.Tags) > 0 {
			if !parsed {
				objs, parsed = parseTags(tags, buf[:0]), true
			}
			if !hasTags(objs, r.Filter.Tags) {
				continue
			}
		}
		t := r.ExpiresAt(modTime)
		if !found || t.Before(best) {
			best, found = t, true
		}
	}
	return best, found
}

// maxObjectTags is the most tags an S3 object has.
const maxObjectTags = 10

// parseTags appends the tags of the stored form "k1=v1&k2=v2" (URL-query
// encoded) to dst. Unreadable pairs are skipped.
func parseTags(s string, dst []Tag) []Tag {
	for s != "" {
		var part string
		if i := strings.IndexByte(s, '&'); i >= 0 {
			part, s = s[:i], s[i+1:]
		} else {
			part, s = s, ""
		}
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, ok1 := unescape(k)
		v, ok2 := unescape(v)
		if ok1 && ok2 {
			dst = append(dst, Tag{Key: k, Value: v})
		}
	}
	return dst
}

// unescape query-unescapes s, without allocating when there is nothing to
// unescape.
func unescape(s string) (string, bool) {
	if !strings.ContainsAny(s, "%+") {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}

// hasTags reports whether obj holds every tag of want.
func hasTags(obj, want []Tag) bool {
	for _, w := range want {
		ok := false
		for _, o := range obj {
			if o.Key == w.Key {
				ok = o.Value == w.Value
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
