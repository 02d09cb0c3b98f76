package lifecycle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// storedVersion is the version of the stored (JSON) form. The form is kept
// in Raft logs and snapshots forever: change it only by adding a version
// and keeping Decode able to read every older one.
const storedVersion = 1

// storedConfig is the stored form, version 1:
//
//	{"v":1,"rules":[{"id":"logs","status":"Enabled","prefix":"logs/","days":30},
//	                {"id":"tmp","status":"Enabled","tags":[{"k":"temp","v":"yes"}],"date":"2027-01-01T00:00:00Z"}]}
type storedConfig struct {
	V     int          `json:"v"`
	Rules []storedRule `json:"rules"`
}

type storedRule struct {
	ID     string     `json:"id"`
	Status Status     `json:"status"`
	Prefix string     `json:"prefix,omitempty"`
	Tags   []Tag      `json:"tags,omitempty"`
	And    bool       `json:"and,omitempty"`
	Legacy bool       `json:"legacy_prefix,omitempty"`
	Days   int        `json:"days,omitempty"`
	Date   *time.Time `json:"date,omitempty"`
}

// Encode returns the stored form of a valid configuration: the JSON kept
// in raftfsm.Bucket.Lifecycle. It fails (with a *ValidationError) when c
// breaks Validate.
func (c *Configuration) Encode() (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	s := storedConfig{V: storedVersion, Rules: make([]storedRule, len(c.Rules))}
	for i := range c.Rules {
		r := &c.Rules[i]
		sr := storedRule{ID: r.ID, Status: r.Status, Prefix: r.Filter.Prefix, Tags: r.Filter.Tags,
			And: r.Filter.And, Legacy: r.LegacyPrefix, Days: r.Expiration.Days}
		if !r.Expiration.Date.IsZero() {
			d := r.Expiration.Date.UTC()
			sr.Date = &d
		}
		s.Rules[i] = sr
	}
	b, err := json.Marshal(&s)
	if err != nil {
		return "", fmt.Errorf("lifecycle: encode: %w", err)
	}
	return string(b), nil
}

// Decode reads a stored form written by Encode (of this or an older
// version) and checks it with Validate. Errors wrap ErrBadStoredConfig.
func Decode(stored string) (*Configuration, error) {
	var s storedConfig
	d := json.NewDecoder(bytes.NewReader([]byte(stored)))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadStoredConfig, err)
	}
	if d.More() {
		return nil, fmt.Errorf("%w: data after the document", ErrBadStoredConfig)
	}
	if s.V != storedVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrBadStoredConfig, s.V)
	}
	c := &Configuration{Rules: make([]Rule, len(s.Rules))}
	for i, sr := range s.Rules {
		r := Rule{ID: sr.ID, Status: sr.Status, LegacyPrefix: sr.Legacy,
			Filter:     Filter{Prefix: sr.Prefix, Tags: sr.Tags, And: sr.And},
			Expiration: Expiration{Days: sr.Days}}
		if sr.Date != nil {
			r.Expiration.Date = sr.Date.UTC()
		}
		c.Rules[i] = r
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadStoredConfig, err)
	}
	return c, nil
}
