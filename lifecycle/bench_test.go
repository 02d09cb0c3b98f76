package lifecycle

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchRules is a configuration of the kind buckets hold: prefixes, tags,
// an And, a disabled rule and a Date rule.
func benchRules() []Rule {
	c, err := ParseXML([]byte(doc(
		`<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>`,
		`<Rule><ID>debug</ID><Filter><Prefix>logs/debug/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule>`,
		`<Rule><ID>temp</ID><Filter><Tag><Key>temp</Key><Value>yes</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
		`<Rule><ID>tax</ID><Filter><And><Prefix>tax/</Prefix><Tag><Key>k1</Key><Value>v1</Value></Tag><Tag><Key>k3</Key><Value>v3</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>3650</Days></Expiration></Rule>`,
		`<Rule><ID>off</ID><Filter/><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>`,
		`<Rule><ID>end</ID><Filter><Prefix>campaign/</Prefix></Filter><Status>Enabled</Status><Expiration><Date>2027-01-01T00:00:00Z</Date></Expiration></Rule>`,
	)))
	if err != nil {
		panic(err)
	}
	return c.Rules
}

func BenchmarkExpiry(b *testing.B) {
	rules := benchRules()
	mod := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		switch i % 3 {
		case 0:
			Expiry(rules, "logs/debug/app.log", "", mod)
		case 1:
			Expiry(rules, "tmp/upload", "owner=alice&temp=yes", mod)
		default:
			Expiry(rules, "tax/2026/return.pdf", "k1=v1&k2=v2&k3=v3", mod)
		}
	}
}

func BenchmarkParseXML(b *testing.B) {
	var rules []string
	for i := range 100 {
		rules = append(rules, fmt.Sprintf(`<Rule><ID>r%d</ID><Filter><And><Prefix>p%d/</Prefix><Tag><Key>k</Key><Value>%d</Value></Tag></And></Filter>`+
			`<Status>Enabled</Status><Expiration><Days>%d</Days></Expiration></Rule>`, i, i, i, i+1))
	}
	body := []byte(doc(strings.Join(rules, "")))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseXML(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	c := &Configuration{Rules: benchRules()}
	s, err := c.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(s); err != nil {
			b.Fatal(err)
		}
	}
}
