package lifecycle

import (
	"testing"
	"time"
)

func TestExpiresAtRoundsUpToMidnight(t *testing.T) {
	tests := []struct {
		mod  string
		days int
		want string
	}{
		// AWS's example: created 1/15/2014 10:30 UTC, 3 days -> 1/19/2014 00:00 UTC.
		{"2014-01-15T10:30:00Z", 3, "2014-01-19T00:00:00Z"},
		{"2026-01-15T10:30:00Z", 1, "2026-01-17T00:00:00Z"},
		{"2026-01-15T00:00:00Z", 1, "2026-01-17T00:00:00Z"},
		{"2026-01-15T23:59:59.999Z", 1, "2026-01-17T00:00:00Z"},
		// The day is the UTC day, whatever zone modTime is in.
		{"2026-01-15T23:30:00-05:00", 1, "2026-01-18T00:00:00Z"},
		{"2026-01-16T01:00:00+03:00", 1, "2026-01-17T00:00:00Z"},
		// Month, year and leap-day boundaries.
		{"2026-01-31T12:00:00Z", 1, "2026-02-02T00:00:00Z"},
		{"2028-02-28T12:00:00Z", 1, "2028-03-01T00:00:00Z"},
		{"2026-12-31T12:00:00Z", 365, "2028-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		mod, _ := time.Parse(time.RFC3339Nano, tt.mod)
		r := Rule{Status: Enabled, Expiration: Expiration{Days: tt.days}}
		got := r.ExpiresAt(mod)
		if got.Format(time.RFC3339) != tt.want || got.Location() != time.UTC {
			t.Errorf("%s + %d days = %v, want %s", tt.mod, tt.days, got, tt.want)
		}
	}
}

func TestExpiry(t *testing.T) {
	mod := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2026, 1, 15+d, 0, 0, 0, 0, time.UTC) }
	days := func(id, prefix string, n int, tags ...Tag) Rule {
		return Rule{ID: id, Status: Enabled, Filter: Filter{Prefix: prefix, Tags: tags, And: len(tags) > 1 || (prefix != "" && len(tags) > 0)},
			Expiration: Expiration{Days: n}}
	}
	disabled := func(r Rule) Rule { r.Status = Disabled; return r }
	onDate := func(id, prefix string, d time.Time) Rule {
		return Rule{ID: id, Status: Enabled, Filter: Filter{Prefix: prefix}, Expiration: Expiration{Date: d}}
	}
	dateFeb := date(2026, 2, 1)

	tests := []struct {
		name  string
		rules []Rule
		key   string
		tags  string
		want  time.Time // zero: no expiry
	}{
		{"prefix matches", []Rule{days("l", "logs/", 1)}, "logs/a", "", day(2)},
		{"prefix does not match", []Rule{days("l", "logs/", 1)}, "log/a", "", time.Time{}},
		{"prefix is case-sensitive", []Rule{days("l", "logs/", 1)}, "LOGS/a", "", time.Time{}},
		{"empty prefix matches all", []Rule{days("all", "", 5)}, "x", "a=b", day(6)},
		{"tag matches", []Rule{days("t", "", 3, Tag{"temp", "yes"})}, "k", "a=1&temp=yes", day(4)},
		{"tag value differs", []Rule{days("t", "", 3, Tag{"temp", "yes"})}, "k", "temp=no", time.Time{}},
		{"tag missing", []Rule{days("t", "", 3, Tag{"temp", "yes"})}, "k", "", time.Time{}},
		{"tag with empty value", []Rule{days("t", "", 3, Tag{"flag", ""})}, "k", "flag=", day(4)},
		{"tag escaped in the stored form", []Rule{days("t", "", 3, Tag{"the key", "a&b=c"})}, "k", "the+key=a%26b%3Dc&z=1", day(4)},
		{"and: prefix and tags all match", []Rule{days("a", "tax/", 2, Tag{"k1", "v1"}, Tag{"k2", "v2"})}, "tax/2026", "k2=v2&k1=v1", day(3)},
		{"and: one tag missing", []Rule{days("a", "tax/", 2, Tag{"k1", "v1"}, Tag{"k2", "v2"})}, "tax/2026", "k1=v1", time.Time{}},
		{"and: prefix differs", []Rule{days("a", "tax/", 2, Tag{"k1", "v1"}, Tag{"k2", "v2"})}, "fax/2026", "k1=v1&k2=v2", time.Time{}},
		{"overlap: earliest wins (longer prefix, shorter days)",
			[]Rule{days("logs", "logs/", 30), days("debug", "logs/debug/", 7)}, "logs/debug/x", "", day(8)},
		{"overlap: earliest wins (order does not matter)",
			[]Rule{days("debug", "logs/debug/", 7), days("logs", "logs/", 30)}, "logs/debug/x", "", day(8)},
		{"overlap: only the broader rule matches", []Rule{days("logs", "logs/", 30), days("debug", "logs/debug/", 7)}, "logs/info/x", "", day(31)},
		{"overlap: tag rule earlier than prefix rule",
			[]Rule{days("p", "tmp/", 10), days("t", "", 1, Tag{"temp", "yes"})}, "tmp/a", "temp=yes", day(2)},
		{"disabled rule ignored", []Rule{disabled(days("fast", "", 1)), days("slow", "", 10)}, "k", "", day(11)},
		{"only disabled rules", []Rule{disabled(days("fast", "", 1))}, "k", "", time.Time{}},
		{"date rule", []Rule{onDate("d", "", dateFeb)}, "k", "", dateFeb},
		{"date earlier than days", []Rule{days("long", "", 100), onDate("d", "", dateFeb)}, "k", "", dateFeb},
		{"days earlier than date", []Rule{days("short", "", 2), onDate("d", "", dateFeb)}, "k", "", day(3)},
		{"date in the past still applies", []Rule{onDate("d", "", date(2020, 1, 1))}, "k", "", date(2020, 1, 1)},
		{"no rules", nil, "k", "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Expiry(tt.rules, tt.key, tt.tags, mod)
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Fatalf("Expiry = %v, %v; want %v", got, ok, tt.want)
			}
			// Matches agrees with Expiry for single enabled rules.
			if len(tt.rules) == 1 && tt.rules[0].Status == Enabled {
				if m := tt.rules[0].Matches(tt.key, tt.tags); m != ok {
					t.Fatalf("Matches = %v, Expiry found %v", m, ok)
				}
			}
		})
	}
}

func TestExpiryManyObjectTags(t *testing.T) {
	// More than ten tags (not possible through S3, but the stored form
	// does not forbid it) still match.
	tags := "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11&l=12"
	r := []Rule{{ID: "r", Status: Enabled, Filter: Filter{Tags: []Tag{{"l", "12"}}}, Expiration: Expiration{Days: 1}}}
	if _, ok := Expiry(r, "x", tags, time.Now()); !ok {
		t.Fatal("tag beyond the tenth not matched")
	}
}
