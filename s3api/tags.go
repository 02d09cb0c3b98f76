package s3api

import (
	"encoding/xml"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// Tag limits.
const (
	maxObjectTags   = 10
	maxBucketTags   = 50
	maxTagKeyLen    = 128 // Unicode characters
	maxTagValueLen  = 256 // Unicode characters
	reservedTagPref = "aws:"
)

// validateTags checks a tag set against the S3 rules: at most max tags,
// keys of 1-128 and values of 0-256 Unicode characters, valid UTF-8, no
// duplicate keys and no key with the reserved "aws:" prefix.
func validateTags(tags []tag, max int) error {
	if len(tags) > max {
		if max == maxObjectTags {
			return s3err.ErrInvalidTag.WithMessage("Object tags cannot be greater than 10")
		}
		return s3err.ErrInvalidTag.WithMessage("Bucket tag count cannot be greater than 50")
	}
	seen := make(map[string]struct{}, len(tags))
	for _, t := range tags {
		if !utf8.ValidString(t.Key) || n(t.Key) < 1 || n(t.Key) > maxTagKeyLen ||
			strings.HasPrefix(t.Key, reservedTagPref) {
			return s3err.ErrInvalidTag
		}
		if !utf8.ValidString(t.Value) || n(t.Value) > maxTagValueLen {
			return s3err.ErrInvalidTag.WithMessage("The TagValue you have provided is invalid")
		}
		if _, dup := seen[t.Key]; dup {
			return s3err.ErrInvalidTag.WithMessage("Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = struct{}{}
	}
	return nil
}

func n(s string) int { return utf8.RuneCountInString(s) }

// parseTaggingXML decodes and validates a Tagging request body.
func parseTaggingXML(body []byte, max int) ([]tag, error) {
	var t tagging
	if err := xml.Unmarshal(body, &t); err != nil {
		return nil, s3err.ErrMalformedXML
	}
	if err := validateTags(t.TagSet.Tags, max); err != nil {
		return nil, err
	}
	return t.TagSet.Tags, nil
}

// parseTagQuery decodes and validates an x-amz-tagging header value
// ("k1=v1&k2=v2", URL-query encoded).
func parseTagQuery(s string) ([]tag, error) {
	if s == "" {
		return nil, nil
	}
	var tags []tag
	for part := range strings.SplitSeq(s, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, s3err.ErrInvalidTag.WithMessage("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
		}
		tags = append(tags, tag{Key: key, Value: val})
	}
	if err := validateTags(tags, maxObjectTags); err != nil {
		return nil, err
	}
	return tags, nil
}

// encodeTags returns the stored form of a tag set: URL-query encoded,
// sorted by key.
func encodeTags(tags []tag) string {
	if len(tags) == 0 {
		return ""
	}
	sorted := append([]tag(nil), tags...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	var b strings.Builder
	for i, t := range sorted {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(t.Key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(t.Value))
	}
	return b.String()
}

// decodeTags parses the stored form of a tag set. Stored sets were
// validated on the way in; a damaged one yields what can be read.
func decodeTags(s string) []tag {
	if s == "" {
		return nil
	}
	var tags []tag
	for part := range strings.SplitSeq(s, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			val = v
		}
		tags = append(tags, tag{Key: key, Value: val})
	}
	return tags
}

// tagCount returns how many tags a stored tag set holds, without
// allocating.
func tagCount(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(s, "&") + 1
}

// tagsToMap and mapToTags convert between the XML and the bucket form.
func tagsToMap(tags []tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

func mapToTags(m map[string]string) []tag {
	tags := make([]tag, 0, len(m))
	for k, v := range m {
		tags = append(tags, tag{Key: k, Value: v})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags
}
