package lifecycle

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// s3NS is the namespace of S3 documents.
const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// xmlDateFormat is how Date is written back (S3's timestamp form).
const xmlDateFormat = "2006-01-02T15:04:05.000Z"

// The request document. Elements that may appear once are slices so that
// a repeated element is seen (and refused) rather than silently
// overwritten; ",any" fields catch unknown elements.

type xmlElem struct {
	XMLName xml.Name
}

type xmlConfig struct {
	XMLName xml.Name  `xml:"LifecycleConfiguration"`
	Rules   []xmlRule `xml:"Rule"`
	Other   []xmlElem `xml:",any"`
}

type xmlRule struct {
	ID         []string        `xml:"ID"`
	Status     []string        `xml:"Status"`
	Prefix     []string        `xml:"Prefix"`
	Filter     []xmlFilter     `xml:"Filter"`
	Expiration []xmlExpiration `xml:"Expiration"`

	Transition                     []xmlElem `xml:"Transition"`
	NoncurrentVersionTransition    []xmlElem `xml:"NoncurrentVersionTransition"`
	NoncurrentVersionExpiration    []xmlElem `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload []xmlElem `xml:"AbortIncompleteMultipartUpload"`

	Other []xmlElem `xml:",any"`
}

type xmlFilter struct {
	Prefix                []string  `xml:"Prefix"`
	Tag                   []xmlTag  `xml:"Tag"`
	And                   []xmlAnd  `xml:"And"`
	ObjectSizeGreaterThan []string  `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    []string  `xml:"ObjectSizeLessThan"`
	Other                 []xmlElem `xml:",any"`
}

type xmlAnd struct {
	Prefix                []string  `xml:"Prefix"`
	Tag                   []xmlTag  `xml:"Tag"`
	ObjectSizeGreaterThan []string  `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    []string  `xml:"ObjectSizeLessThan"`
	Other                 []xmlElem `xml:",any"`
}

type xmlTag struct {
	Key   []string  `xml:"Key"`
	Value []string  `xml:"Value"`
	Other []xmlElem `xml:",any"`
}

type xmlExpiration struct {
	Days                      []string  `xml:"Days"`
	Date                      []string  `xml:"Date"`
	ExpiredObjectDeleteMarker []string  `xml:"ExpiredObjectDeleteMarker"`
	Other                     []xmlElem `xml:",any"`
}

// ParseXML parses and validates a PutBucketLifecycleConfiguration body as
// AWS does, and gives every rule without an ID a new one (NewRuleID).
// Errors are *ValidationError (see the package doc for the codes).
func ParseXML(doc []byte) (*Configuration, error) {
	var x xmlConfig
	d := xml.NewDecoder(bytes.NewReader(doc))
	if err := d.Decode(&x); err != nil {
		return nil, malformed(0, "")
	}
	if err := onlyTrailingSpace(d); err != nil {
		return nil, err
	}
	if len(x.Other) > 0 {
		return nil, malformed(0, "unknown element "+x.Other[0].XMLName.Local)
	}
	if len(x.Rules) == 0 {
		return nil, malformed(0, "at least one Rule is required")
	}
	if len(x.Rules) > MaxRules {
		return nil, malformed(0, fmt.Sprintf("a lifecycle configuration holds at most %d rules, got %d", MaxRules, len(x.Rules)))
	}
	c := &Configuration{Rules: make([]Rule, len(x.Rules))}
	ids := make(map[string]struct{}, len(x.Rules))
	for i := range x.Rules {
		if err := parseRule(i+1, &x.Rules[i], &c.Rules[i]); err != nil {
			return nil, err
		}
		if id := c.Rules[i].ID; id != "" {
			if _, dup := ids[id]; dup {
				return nil, invalidArgument(i+1, "Rule ID must be unique. Found same ID for more than one rule")
			}
			ids[id] = struct{}{}
		}
	}
	for i := range c.Rules {
		for c.Rules[i].ID == "" {
			id := NewRuleID()
			if _, dup := ids[id]; !dup {
				c.Rules[i].ID = id
				ids[id] = struct{}{}
			}
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err // cannot happen: parseRule checks as much
	}
	return c, nil
}

// onlyTrailingSpace refuses anything but white space, comments and
// processing instructions after the root element.
func onlyTrailingSpace(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return malformed(0, "")
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return malformed(0, "text after the document")
			}
		case xml.Comment, xml.ProcInst:
		default:
			return malformed(0, "content after the document")
		}
	}
}

func parseRule(n int, x *xmlRule, r *Rule) error {
	switch {
	case len(x.Other) > 0:
		return malformed(n, "unknown element "+x.Other[0].XMLName.Local)
	case len(x.ID) > 1 || len(x.Status) > 1 || len(x.Prefix) > 1 || len(x.Filter) > 1 || len(x.Expiration) > 1:
		return malformed(n, "ID, Status, Prefix, Filter and Expiration may appear once in a Rule")
	case len(x.Status) == 0:
		return malformed(n, "Status is required")
	}
	switch Status(x.Status[0]) {
	case Enabled, Disabled:
		r.Status = Status(x.Status[0])
	default:
		return malformed(n, "Status must be Enabled or Disabled")
	}
	if len(x.ID) == 1 {
		r.ID = x.ID[0]
		if err := checkID(n, r.ID); err != nil {
			return err
		}
	}

	// What the rule selects: the legacy Prefix or a Filter.
	switch {
	case len(x.Prefix) == 1 && len(x.Filter) == 1:
		return malformed(n, "a Rule takes Filter or Prefix, not both")
	case len(x.Prefix) == 1:
		r.Filter.Prefix = x.Prefix[0]
		r.LegacyPrefix = true
	case len(x.Filter) == 1:
		if err := parseFilter(n, &x.Filter[0], &r.Filter); err != nil {
			return err
		}
	default:
		return malformed(n, "a Rule needs Filter or Prefix")
	}
	if err := checkFilter(n, &r.Filter); err != nil {
		return err
	}

	// The actions.
	unsupported := ""
	switch {
	case len(x.Transition) > 0:
		unsupported = "Transition"
	case len(x.NoncurrentVersionTransition) > 0:
		unsupported = "NoncurrentVersionTransition"
	case len(x.NoncurrentVersionExpiration) > 0:
		unsupported = "NoncurrentVersionExpiration"
	case len(x.AbortIncompleteMultipartUpload) > 0:
		unsupported = "AbortIncompleteMultipartUpload"
	}
	if len(x.Expiration) == 0 {
		if unsupported == "" {
			return invalidRequest(n, "At least one action needs to be specified in a rule")
		}
		return notImplementedAction(n, unsupported)
	}
	if err := parseExpiration(n, &x.Expiration[0], &r.Expiration); err != nil {
		return err
	}
	if unsupported != "" {
		return notImplementedAction(n, unsupported)
	}
	return nil
}

func notImplementedAction(n int, action string) error {
	return notImplemented(n, "The lifecycle action "+action+" is not implemented: Tessera supports only Expiration")
}

func parseFilter(n int, x *xmlFilter, f *Filter) error {
	switch {
	case len(x.Other) > 0:
		return malformed(n, "unknown element "+x.Other[0].XMLName.Local+" in Filter")
	case len(x.Prefix)+len(x.Tag)+len(x.And)+len(x.ObjectSizeGreaterThan)+len(x.ObjectSizeLessThan) > 1:
		return malformed(n, "Filter must have exactly one of Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan or And")
	case len(x.ObjectSizeGreaterThan) > 0 || len(x.ObjectSizeLessThan) > 0:
		return notImplemented(n, "Object size filters (ObjectSizeGreaterThan, ObjectSizeLessThan) are not implemented")
	case len(x.Prefix) == 1:
		f.Prefix = x.Prefix[0]
	case len(x.Tag) == 1:
		t, err := parseTag(n, &x.Tag[0])
		if err != nil {
			return err
		}
		f.Tags = []Tag{t}
	case len(x.And) == 1:
		a := &x.And[0]
		switch {
		case len(a.Other) > 0:
			return malformed(n, "unknown element "+a.Other[0].XMLName.Local+" in And")
		case len(a.Prefix) > 1 || len(a.ObjectSizeGreaterThan) > 1 || len(a.ObjectSizeLessThan) > 1:
			return malformed(n, "Prefix, ObjectSizeGreaterThan and ObjectSizeLessThan may appear once in And")
		case len(a.Prefix)+len(a.Tag)+len(a.ObjectSizeGreaterThan)+len(a.ObjectSizeLessThan) < 2:
			return malformed(n, "And must combine two or more predicates")
		case len(a.ObjectSizeGreaterThan) > 0 || len(a.ObjectSizeLessThan) > 0:
			return notImplemented(n, "Object size filters (ObjectSizeGreaterThan, ObjectSizeLessThan) are not implemented")
		}
		f.And = true
		if len(a.Prefix) == 1 {
			f.Prefix = a.Prefix[0]
		}
		f.Tags = make([]Tag, 0, len(a.Tag))
		for i := range a.Tag {
			t, err := parseTag(n, &a.Tag[i])
			if err != nil {
				return err
			}
			f.Tags = append(f.Tags, t)
		}
	}
	// An empty <Filter/> selects every object.
	return nil
}

func parseTag(n int, x *xmlTag) (Tag, error) {
	if len(x.Other) > 0 || len(x.Key) != 1 || len(x.Value) != 1 {
		return Tag{}, malformed(n, "a Tag has one Key and one Value")
	}
	return Tag{Key: x.Key[0], Value: x.Value[0]}, nil
}

func parseExpiration(n int, x *xmlExpiration, e *Expiration) error {
	switch {
	case len(x.Other) > 0:
		return malformed(n, "unknown element "+x.Other[0].XMLName.Local+" in Expiration")
	case len(x.Days) > 1 || len(x.Date) > 1 || len(x.ExpiredObjectDeleteMarker) > 1:
		return malformed(n, "Days, Date and ExpiredObjectDeleteMarker may appear once in Expiration")
	case len(x.Days) == 1 && len(x.Date) == 1:
		return malformed(n, "Expiration takes Days or Date, not both")
	}
	marker := false
	if len(x.ExpiredObjectDeleteMarker) == 1 {
		v, ok := parseXMLBool(x.ExpiredObjectDeleteMarker[0])
		if !ok {
			return malformed(n, "ExpiredObjectDeleteMarker must be true or false")
		}
		if len(x.Days) == 0 && len(x.Date) == 0 {
			return notImplemented(n, "ExpiredObjectDeleteMarker is not implemented: Tessera keeps no object versions or delete markers")
		}
		marker = v
	}
	switch {
	case len(x.Days) == 1:
		s := strings.TrimSpace(x.Days[0])
		v, err := strconv.ParseInt(s, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange) && strings.HasPrefix(s, "-"):
			v = -1
		case errors.Is(err, strconv.ErrRange):
			v = MaxDays + 1
		case err != nil:
			return malformed(n, "Days must be an integer")
		}
		if v <= 0 {
			return invalidArgument(n, "'Days' for Expiration action must be a positive integer")
		}
		if v > MaxDays {
			return malformed(n, "Days is out of range")
		}
		e.Days = int(v)
	case len(x.Date) == 1:
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(x.Date[0]))
		if err != nil {
			return malformed(n, "Date must be an ISO 8601 date and time")
		}
		if !isMidnightUTC(t) {
			return invalidArgument(n, "'Date' must be at midnight GMT")
		}
		e.Date = t.UTC()
	default:
		return malformed(n, "Expiration needs Days or Date")
	}
	if marker {
		return invalidArgument(n, "ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy.")
	}
	return nil
}

// parseXMLBool parses an xs:boolean.
func parseXMLBool(s string) (v, ok bool) {
	switch strings.TrimSpace(s) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// The response document.

type outConfig struct {
	XMLName xml.Name  `xml:"LifecycleConfiguration"`
	NS      string    `xml:"xmlns,attr"`
	Rules   []outRule `xml:"Rule"`
}

type outRule struct {
	ID         string        `xml:"ID"`
	Prefix     *string       `xml:"Prefix"`
	Filter     *outFilter    `xml:"Filter"`
	Status     string        `xml:"Status"`
	Expiration outExpiration `xml:"Expiration"`
}

type outFilter struct {
	Prefix *string `xml:"Prefix"`
	Tag    *outTag `xml:"Tag"`
	And    *outAnd `xml:"And"`
}

type outAnd struct {
	Prefix string   `xml:"Prefix"`
	Tags   []outTag `xml:"Tag"`
}

type outTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type outExpiration struct {
	Date string `xml:"Date,omitempty"`
	Days int    `xml:"Days,omitempty"`
}

// XML returns the configuration as the GetBucketLifecycleConfiguration
// response document (with the XML declaration), rules in order and each
// rule's filter in the form it was given, so that it can be PUT back
// unchanged.
func (c *Configuration) XML() []byte {
	out := outConfig{NS: s3NS, Rules: make([]outRule, len(c.Rules))}
	for i := range c.Rules {
		r := &c.Rules[i]
		o := &out.Rules[i]
		o.ID, o.Status = r.ID, string(r.Status)
		if r.Expiration.Days != 0 {
			o.Expiration.Days = r.Expiration.Days
		} else {
			o.Expiration.Date = r.Expiration.Date.UTC().Format(xmlDateFormat)
		}
		f := &r.Filter
		switch {
		case r.LegacyPrefix:
			o.Prefix = &f.Prefix
		case f.And:
			// The prefix is always written, so that an And of one tag
			// keeps the two predicates And needs.
			a := &outAnd{Prefix: f.Prefix, Tags: make([]outTag, len(f.Tags))}
			for j, t := range f.Tags {
				a.Tags[j] = outTag(t)
			}
			o.Filter = &outFilter{And: a}
		case len(f.Tags) == 1:
			o.Filter = &outFilter{Tag: &outTag{Key: f.Tags[0].Key, Value: f.Tags[0].Value}}
		default:
			o.Filter = &outFilter{Prefix: &f.Prefix}
		}
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	// Marshalling these plain structs of strings and ints cannot fail.
	_ = xml.NewEncoder(&b).Encode(&out)
	return b.Bytes()
}
