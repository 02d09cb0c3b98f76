package lifecycle

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// doc wraps rules in a LifecycleConfiguration with the S3 namespace, as
// the SDKs send it.
func doc(rules ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` +
		`<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		strings.Join(rules, "") + `</LifecycleConfiguration>`
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseXMLAccepts(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []Rule // IDs "" are checked to be generated
	}{
		{
			// AWS user guide: "Specifying a filter", key name prefix.
			"filter prefix",
			doc(`<Rule><ID>ExampleRule</ID><Filter><Prefix>documents/</Prefix></Filter><Status>Enabled</Status>` +
				`<Expiration><Days>365</Days></Expiration></Rule>`),
			[]Rule{{ID: "ExampleRule", Status: Enabled, Filter: Filter{Prefix: "documents/"}, Expiration: Expiration{Days: 365}}},
		},
		{
			// AWS user guide: filtering on one object tag.
			"filter tag",
			doc(`<Rule><ID>t</ID><Filter><Tag><Key>key1</Key><Value>value1</Value></Tag></Filter><Status>Enabled</Status>` +
				`<Expiration><Days>1</Days></Expiration></Rule>`),
			[]Rule{{ID: "t", Status: Enabled, Filter: Filter{Tags: []Tag{{"key1", "value1"}}}, Expiration: Expiration{Days: 1}}},
		},
		{
			// AWS user guide: prefix and two tags combined with And.
			"filter and",
			doc(`<Rule><ID>a</ID><Filter><And><Prefix>tax/</Prefix><Tag><Key>key1</Key><Value>value1</Value></Tag>` +
				`<Tag><Key>key2</Key><Value>value2</Value></Tag></And></Filter><Status>Enabled</Status>` +
				`<Expiration><Days>30</Days></Expiration></Rule>`),
			[]Rule{{ID: "a", Status: Enabled, Filter: Filter{Prefix: "tax/", And: true, Tags: []Tag{{"key1", "value1"}, {"key2", "value2"}}},
				Expiration: Expiration{Days: 30}}},
		},
		{
			"and of two tags",
			doc(`<Rule><ID>a</ID><Filter><And><Tag><Key>a</Key><Value></Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag></And></Filter>` +
				`<Status>Disabled</Status><Expiration><Days>2</Days></Expiration></Rule>`),
			[]Rule{{ID: "a", Status: Disabled, Filter: Filter{And: true, Tags: []Tag{{"a", ""}, {"b", "2"}}}, Expiration: Expiration{Days: 2}}},
		},
		{
			// An empty filter applies the rule to every object.
			"empty filter",
			doc(`<Rule><ID>all</ID><Filter></Filter><Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule>`),
			[]Rule{{ID: "all", Status: Enabled, Expiration: Expiration{Days: 7}}},
		},
		{
			"self-closing filter and empty prefix",
			doc(`<Rule><ID>x</ID><Filter/><Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule>`,
				`<Rule><ID>y</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>8</Days></Expiration></Rule>`),
			[]Rule{{ID: "x", Status: Enabled, Expiration: Expiration{Days: 7}}, {ID: "y", Status: Enabled, Expiration: Expiration{Days: 8}}},
		},
		{
			// The legacy (pre-Filter) form: Prefix directly in the Rule.
			"legacy prefix",
			doc(`<Rule><ID>old</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>`),
			[]Rule{{ID: "old", Status: Enabled, LegacyPrefix: true, Filter: Filter{Prefix: "logs/"}, Expiration: Expiration{Days: 30}}},
		},
		{
			// AWS user guide: expire on a date (midnight UTC).
			"date",
			doc(`<Rule><ID>d</ID><Filter><Prefix>x</Prefix></Filter><Status>Enabled</Status>` +
				`<Expiration><Date>2099-11-10T00:00:00.000Z</Date></Expiration></Rule>`),
			[]Rule{{ID: "d", Status: Enabled, Filter: Filter{Prefix: "x"}, Expiration: Expiration{Date: date(2099, 11, 10)}}},
		},
		{
			"date as the SDK writes it",
			doc(`<Rule><ID>d</ID><Filter><Prefix>x</Prefix></Filter><Status>Enabled</Status>` +
				`<Expiration><Date>2099-11-10T00:00:00Z</Date></Expiration></Rule>`),
			[]Rule{{ID: "d", Status: Enabled, Filter: Filter{Prefix: "x"}, Expiration: Expiration{Date: date(2099, 11, 10)}}},
		},
		{
			"no namespace, white space, elements in another order",
			`<LifecycleConfiguration>
			  <Rule>
			    <Expiration> <Days> 3 </Days> </Expiration>
			    <Status>Enabled</Status>
			    <Filter><Prefix>a b/</Prefix></Filter>
			    <ID>ws</ID>
			  </Rule>
			</LifecycleConfiguration>
			`,
			[]Rule{{ID: "ws", Status: Enabled, Filter: Filter{Prefix: "a b/"}, Expiration: Expiration{Days: 3}}},
		},
		{
			"missing IDs are generated",
			doc(`<Rule><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
				`<Rule><ID></ID><Filter><Prefix>b/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>`),
			[]Rule{{Status: Enabled, Filter: Filter{Prefix: "a/"}, Expiration: Expiration{Days: 1}},
				{Status: Enabled, Filter: Filter{Prefix: "b/"}, Expiration: Expiration{Days: 2}}},
		},
		{
			"expired object delete marker false is ignored",
			doc(`<Rule><ID>m</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days>` +
				`<ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration></Rule>`),
			[]Rule{{ID: "m", Status: Enabled, Expiration: Expiration{Days: 1}}},
		},
		{
			"largest days",
			doc(`<Rule><ID>big</ID><Filter/><Status>Enabled</Status><Expiration><Days>2147483647</Days></Expiration></Rule>`),
			[]Rule{{ID: "big", Status: Enabled, Expiration: Expiration{Days: MaxDays}}},
		},
		{
			"255-character ID",
			doc(`<Rule><ID>` + strings.Repeat("é", 255) + `</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`),
			[]Rule{{ID: strings.Repeat("é", 255), Status: Enabled, Expiration: Expiration{Days: 1}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseXML([]byte(tt.doc))
			if err != nil {
				t.Fatalf("ParseXML: %v", err)
			}
			if len(c.Rules) != len(tt.want) {
				t.Fatalf("%d rules, want %d", len(c.Rules), len(tt.want))
			}
			seen := map[string]bool{}
			for i := range c.Rules {
				got, want := c.Rules[i], tt.want[i]
				if want.ID == "" {
					if len(got.ID) != 16 || seen[got.ID] {
						t.Fatalf("rule %d: generated ID %q", i+1, got.ID)
					}
					want.ID = got.ID
				}
				seen[got.ID] = true
				if len(want.Filter.Tags) == 0 && len(got.Filter.Tags) == 0 {
					got.Filter.Tags = nil
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("rule %d:\n got %+v\nwant %+v", i+1, got, want)
				}
			}
		})
	}
}

func TestParseXMLRefuses(t *testing.T) {
	rule := func(inner string) string { return doc(`<Rule>` + inner + `</Rule>`) }
	const ok = `<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`
	many := func(n int) string {
		var rs []string
		for i := range n {
			rs = append(rs, fmt.Sprintf(`<Rule><ID>r%d</ID><Filter><Prefix>p%d/</Prefix></Filter>%s</Rule>`, i, i, ok))
		}
		return doc(rs...)
	}
	tests := []struct {
		name string
		doc  string
		code string
		msg  string // substring of the message, when it matters
		kind error
	}{
		{"not xml", "lifecycle please", CodeMalformedXML, "", ErrMalformedXML},
		{"empty", "", CodeMalformedXML, "", ErrMalformedXML},
		{"wrong root", `<Tagging><Rule/></Tagging>`, CodeMalformedXML, "", ErrMalformedXML},
		{"no rules", doc(), CodeMalformedXML, "at least one Rule", ErrMalformedXML},
		{"1001 rules", many(1001), CodeMalformedXML, "at most 1000 rules", ErrMalformedXML},
		{"unknown top element", doc(`<Rules/>`), CodeMalformedXML, "unknown element Rules", ErrMalformedXML},
		{"trailing element", doc(`<Rule><ID>a</ID><Filter/>`+ok+`</Rule>`) + `<Rule/>`, CodeMalformedXML, "", ErrMalformedXML},
		{"unknown rule element", rule(`<Filter/>` + ok + `<Priority>1</Priority>`), CodeMalformedXML, "Priority", ErrMalformedXML},
		{"no status", rule(`<Filter/><Expiration><Days>1</Days></Expiration>`), CodeMalformedXML, "Status", ErrMalformedXML},
		// s3-tests test_lifecycle_invalid_status.
		{"bad status", rule(`<Filter/><Status>invalid</Status><Expiration><Days>1</Days></Expiration>`), CodeMalformedXML, "Status", ErrMalformedXML},
		{"lower-case status", rule(`<Filter/><Status>enabled</Status><Expiration><Days>1</Days></Expiration>`), CodeMalformedXML, "Status", ErrMalformedXML},
		{"two statuses", rule(`<Filter/><Status>Enabled</Status>` + ok), CodeMalformedXML, "", ErrMalformedXML},
		{"two expirations", rule(`<Filter/>` + ok + `<Expiration><Days>2</Days></Expiration>`), CodeMalformedXML, "", ErrMalformedXML},
		{"no filter nor prefix", rule(ok), CodeMalformedXML, "Filter or Prefix", ErrMalformedXML},
		{"filter and prefix", rule(`<Prefix>a</Prefix><Filter><Prefix>a</Prefix></Filter>` + ok), CodeMalformedXML, "not both", ErrMalformedXML},
		{"filter prefix and tag", rule(`<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>` + ok), CodeMalformedXML, "exactly one", ErrMalformedXML},
		{"filter two tags", rule(`<Filter><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>l</Key><Value>v</Value></Tag></Filter>` + ok), CodeMalformedXML, "exactly one", ErrMalformedXML},
		{"and of one predicate", rule(`<Filter><And><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>` + ok), CodeMalformedXML, "two or more", ErrMalformedXML},
		{"and of a prefix only", rule(`<Filter><And><Prefix>a/</Prefix></And></Filter>` + ok), CodeMalformedXML, "two or more", ErrMalformedXML},
		{"empty and", rule(`<Filter><And></And></Filter>` + ok), CodeMalformedXML, "two or more", ErrMalformedXML},
		{"tag without value", rule(`<Filter><Tag><Key>k</Key></Tag></Filter>` + ok), CodeMalformedXML, "Key and one Value", ErrMalformedXML},
		{"unknown filter element", rule(`<Filter><Suffix>x</Suffix></Filter>` + ok), CodeMalformedXML, "Suffix", ErrMalformedXML},
		{"empty tag key", rule(`<Filter><Tag><Key></Key><Value>v</Value></Tag></Filter>` + ok), CodeInvalidTag, "TagKey", ErrInvalidTag},
		{"long tag key", rule(`<Filter><Tag><Key>` + strings.Repeat("k", 129) + `</Key><Value>v</Value></Tag></Filter>` + ok), CodeInvalidTag, "TagKey", ErrInvalidTag},
		{"long tag value", rule(`<Filter><Tag><Key>k</Key><Value>` + strings.Repeat("v", 257) + `</Value></Tag></Filter>` + ok), CodeInvalidTag, "TagValue", ErrInvalidTag},
		{"duplicate tag keys", rule(`<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter>` + ok),
			CodeInvalidRequest, "Duplicate Tag Keys are not allowed.", ErrInvalidRequest},
		{"long prefix", rule(`<Filter><Prefix>` + strings.Repeat("p", 1025) + `</Prefix></Filter>` + ok), CodeInvalidRequest, "prefix", ErrInvalidRequest},
		// s3-tests test_lifecycle_set_expiration_zero.
		{"days 0", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration>`),
			CodeInvalidArgument, "'Days' for Expiration action must be a positive integer", ErrInvalidArgument},
		{"days negative", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>-3</Days></Expiration>`),
			CodeInvalidArgument, "'Days' for Expiration action must be a positive integer", ErrInvalidArgument},
		{"days hugely negative", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>-99999999999999999999</Days></Expiration>`),
			CodeInvalidArgument, "positive integer", ErrInvalidArgument},
		{"days beyond int32", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>2147483648</Days></Expiration>`), CodeMalformedXML, "range", ErrMalformedXML},
		{"days not a number", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>1.5</Days></Expiration>`), CodeMalformedXML, "integer", ErrMalformedXML},
		{"days and date", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2099-01-01T00:00:00Z</Date></Expiration>`),
			CodeMalformedXML, "not both", ErrMalformedXML},
		{"empty expiration", rule(`<Filter/><Status>Enabled</Status><Expiration></Expiration>`), CodeMalformedXML, "Days or Date", ErrMalformedXML},
		// s3-tests test_lifecycle_set_invalid_date.
		{"date at noon", rule(`<Filter/><Status>Enabled</Status><Expiration><Date>2099-11-10T12:00:00Z</Date></Expiration>`),
			CodeInvalidArgument, "'Date' must be at midnight GMT", ErrInvalidArgument},
		{"date at local midnight", rule(`<Filter/><Status>Enabled</Status><Expiration><Date>2099-11-10T00:00:00+02:00</Date></Expiration>`),
			CodeInvalidArgument, "midnight GMT", ErrInvalidArgument},
		{"date not a date", rule(`<Filter/><Status>Enabled</Status><Expiration><Date>tomorrow</Date></Expiration>`), CodeMalformedXML, "ISO 8601", ErrMalformedXML},
		// s3-tests test_lifecycle_id_too_long.
		{"id too long", rule(`<ID>` + strings.Repeat("a", 256) + `</ID><Filter/>` + ok), CodeInvalidArgument, "ID length should not exceed allowed limit of 255", ErrInvalidArgument},
		// s3-tests test_lifecycle_same_id.
		{"same id", doc(`<Rule><ID>rule1</ID><Filter><Prefix>test1/</Prefix></Filter>`+ok+`</Rule>`,
			`<Rule><ID>rule1</ID><Filter><Prefix>test2/</Prefix></Filter><Status>Disabled</Status><Expiration><Days>2</Days></Expiration></Rule>`),
			CodeInvalidArgument, "Rule ID must be unique. Found same ID for more than one rule", ErrInvalidArgument},
		{"no action", rule(`<Filter/><Status>Enabled</Status>`), CodeInvalidRequest, "At least one action needs to be specified in a rule", ErrInvalidRequest},
		{"transition", rule(`<Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>`),
			CodeNotImplemented, "Transition", ErrNotImplemented},
		{"expiration and transition", rule(`<Filter/>` + ok + `<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>`),
			CodeNotImplemented, "Transition", ErrNotImplemented},
		{"noncurrent transition", rule(`<Filter/><Status>Enabled</Status><NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>`),
			CodeNotImplemented, "NoncurrentVersionTransition", ErrNotImplemented},
		// s3-tests test_lifecycle_set_noncurrent.
		{"noncurrent expiration", rule(`<Filter><Prefix>past/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration>`),
			CodeNotImplemented, "NoncurrentVersionExpiration", ErrNotImplemented},
		// s3-tests test_lifecycle_set_multipart.
		{"abort multipart", rule(`<Filter><Prefix>test1/</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
			CodeNotImplemented, "AbortIncompleteMultipartUpload", ErrNotImplemented},
		// s3-tests test_lifecycle_set_delete_marker.
		{"delete marker", rule(`<Filter><Prefix>test1/</Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`),
			CodeNotImplemented, "ExpiredObjectDeleteMarker", ErrNotImplemented},
		{"delete marker with days", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`),
			CodeInvalidArgument, "cannot be specified with Days or Date", ErrInvalidArgument},
		{"size filter", rule(`<Filter><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan></Filter>` + ok), CodeNotImplemented, "size", ErrNotImplemented},
		{"size filter in and", rule(`<Filter><And><Prefix>a</Prefix><ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter>` + ok), CodeNotImplemented, "size", ErrNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseXML([]byte(tt.doc))
			if err == nil {
				t.Fatalf("accepted: %+v", c.Rules)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v, want *ValidationError", err, err)
			}
			if ve.Code != tt.code || !errors.Is(err, tt.kind) {
				t.Fatalf("code %s (%v), want %s: %v", ve.Code, ve.Unwrap(), tt.code, err)
			}
			if !strings.Contains(ve.Message, tt.msg) {
				t.Fatalf("message %q does not contain %q", ve.Message, tt.msg)
			}
		})
	}
	// Exactly 1000 rules are fine.
	if _, err := ParseXML([]byte(many(1000))); err != nil {
		t.Fatalf("1000 rules: %v", err)
	}
}

// TestXMLRoundTrip checks that what GET writes parses back to the same
// rules (the CLI gets, modifies and puts back), in each filter form.
func TestXMLRoundTrip(t *testing.T) {
	in := doc(
		`<Rule><ID>p</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
		`<Rule><ID>all</ID><Filter/><Status>Disabled</Status><Expiration><Days>2</Days></Expiration></Rule>`,
		`<Rule><ID>t</ID><Filter><Tag><Key>temp</Key><Value>yes &amp; no</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>`,
		`<Rule><ID>and1</ID><Filter><And><Prefix></Prefix><Tag><Key>a</Key><Value>1</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>4</Days></Expiration></Rule>`,
		`<Rule><ID>and2</ID><Filter><And><Prefix>x/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Date>2030-02-03T00:00:00Z</Date></Expiration></Rule>`,
		`<Rule><ID>legacy</ID><Prefix>&lt;odd&gt;/</Prefix><Status>Enabled</Status><Expiration><Days>5</Days></Expiration></Rule>`,
	)
	c, err := ParseXML([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out := c.XML()
	if !strings.HasPrefix(string(out), `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`) {
		t.Fatalf("document start: %s", out)
	}
	for _, frag := range []string{
		`<Rule><ID>p</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
		`<Filter><Prefix></Prefix></Filter><Status>Disabled</Status>`,
		`<Filter><Tag><Key>temp</Key><Value>yes &amp; no</Value></Tag></Filter>`,
		`<Filter><And><Prefix></Prefix><Tag><Key>a</Key><Value>1</Value></Tag></And></Filter>`,
		`<Expiration><Date>2030-02-03T00:00:00.000Z</Date></Expiration>`,
		`<Rule><ID>legacy</ID><Prefix>&lt;odd&gt;/</Prefix><Status>Enabled</Status>`,
	} {
		if !strings.Contains(string(out), frag) {
			t.Errorf("XML lacks %s:\n%s", frag, out)
		}
	}
	back, err := ParseXML(out)
	if err != nil {
		t.Fatalf("parse of own XML: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(back, c) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back.Rules, c.Rules)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c, err := ParseXML([]byte(doc(
		`<Rule><ID>p</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
		`<Rule><ID>and</ID><Filter><And><Prefix>x/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag></And></Filter><Status>Disabled</Status><Expiration><Date>2030-02-03T00:00:00Z</Date></Expiration></Rule>`,
		`<Rule><ID>legacy</ID><Prefix>old/</Prefix><Status>Enabled</Status><Expiration><Days>5</Days></Expiration></Rule>`,
	)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"v":1,"rules":[` +
		`{"id":"p","status":"Enabled","prefix":"logs/","days":1},` +
		`{"id":"and","status":"Disabled","prefix":"x/","tags":[{"k":"a","v":"1"}],"and":true,"date":"2030-02-03T00:00:00Z"},` +
		`{"id":"legacy","status":"Enabled","prefix":"old/","legacy_prefix":true,"days":5}]}`
	if s != want {
		t.Fatalf("stored form\n got %s\nwant %s", s, want)
	}
	back, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back.Rules, c.Rules)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, s := range []string{
		``,
		`{`,
		`{"rules":[{"id":"r1","days":30}]}`, // no version
		`{"v":2,"rules":[{"id":"r","status":"Enabled","days":1}]}`,
		`{"v":1,"rules":[]}`,
		`{"v":1,"rules":[{"id":"r","status":"Enabled","days":0}]}`,
		`{"v":1,"rules":[{"id":"r","status":"On","days":1}]}`,
		`{"v":1,"rules":[{"id":"","status":"Enabled","days":1}]}`,
		`{"v":1,"rules":[{"id":"r","status":"Enabled","days":1},{"id":"r","status":"Enabled","days":2}]}`,
		`{"v":1,"rules":[{"id":"r","status":"Enabled","date":"2030-01-01T10:00:00Z"}]}`,
		`{"v":1,"rules":[{"id":"r","status":"Enabled","days":1,"priority":3}]}`,
		`{"v":1,"rules":[{"id":"r","status":"Enabled","and":true,"days":1}]}`,
		`{"v":1,"rules":[{"id":"r","status":"Enabled","days":1}]} {}`,
	} {
		if _, err := Decode(s); !errors.Is(err, ErrBadStoredConfig) {
			t.Errorf("Decode(%s) = %v, want ErrBadStoredConfig", s, err)
		}
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	c := &Configuration{Rules: []Rule{{ID: "a", Status: Enabled, Expiration: Expiration{Days: 0}}}}
	if _, err := c.Encode(); !errors.Is(err, ErrMalformedXML) {
		t.Fatalf("Encode = %v", err)
	}
}

func TestNewRuleID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewRuleID()
		if len(id) != 16 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" || seen[id] {
			t.Fatalf("id %q", id)
		}
		seen[id] = true
	}
}
