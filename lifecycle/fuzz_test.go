package lifecycle

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
	"time"
)

// FuzzParseLifecycle feeds ParseXML untrusted bodies. Whatever it accepts
// must be valid, survive the stored JSON form and the GET XML unchanged,
// and be usable by Expiry; whatever it refuses must be a *ValidationError.
func FuzzParseLifecycle(f *testing.F) {
	seeds := []string{
		doc(`<Rule><ID>ExampleRule</ID><Filter><Prefix>documents/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>365</Days></Expiration></Rule>`),
		doc(`<Rule><Filter><Tag><Key>temp</Key><Value>yes</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>`),
		doc(`<Rule><ID>a</ID><Filter><And><Prefix>tax/</Prefix><Tag><Key>k1</Key><Value>v1</Value></Tag><Tag><Key>k2</Key><Value>v2</Value></Tag></And></Filter>` +
			`<Status>Disabled</Status><Expiration><Date>2099-11-10T00:00:00.000Z</Date></Expiration></Rule>`),
		doc(`<Rule><ID>old</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>`,
			`<Rule><ID>all</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration></Rule>`),
		doc(`<Rule><ID>t</ID><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>`),
		doc(`<Rule><ID>z</ID><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>`),
		doc(`<Rule><ID>&#x9;odd&amp;id&#xD;</ID><Filter><Prefix>&lt;&gt;&#xA;</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`),
		`<LifecycleConfiguration><Rule><Status>Enabled</Status></Rule></LifecycleConfiguration>`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	mod := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseXML(body)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Code == "" || ve.Message == "" || errors.Unwrap(err) == nil {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted an invalid configuration: %v", err)
		}
		stored, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(stored)
		if err != nil {
			t.Fatalf("Decode(Encode) = %v\n%s", err, stored)
		}
		if !reflect.DeepEqual(back, normalized(c)) {
			t.Fatalf("stored round trip:\n got %+v\nwant %+v", back.Rules, c.Rules)
		}
		again, err := ParseXML(c.XML())
		if err != nil {
			t.Fatalf("own XML refused: %v\n%s", err, c.XML())
		}
		if !reflect.DeepEqual(normalized(again), normalized(c)) {
			t.Fatalf("XML round trip:\n got %+v\nwant %+v", again.Rules, c.Rules)
		}
		for _, r := range c.Rules {
			key := r.Filter.Prefix + "x"
			var tags string
			for i, tg := range r.Filter.Tags {
				if i > 0 {
					tags += "&"
				}
				tags += url.QueryEscape(tg.Key) + "=" + url.QueryEscape(tg.Value)
			}
			exp, ok := Expiry([]Rule{r}, key, tags, mod)
			if ok != (r.Status == Enabled) {
				t.Fatalf("rule %+v: its own object matched = %v", r, ok)
			}
			if ok && exp.Before(mod) && r.Expiration.Days != 0 {
				t.Fatalf("rule %+v: expiry %v before modification", r, exp)
			}
		}
	})
}

// normalized makes empty tag slices nil (the stored form omits them).
func normalized(c *Configuration) *Configuration {
	out := &Configuration{Rules: append([]Rule(nil), c.Rules...)}
	for i := range out.Rules {
		if len(out.Rules[i].Filter.Tags) == 0 {
			out.Rules[i].Filter.Tags = nil
		}
	}
	return out
}
