package iam

import (
	"net/netip"
	"testing"
	"time"
)

// condCase evaluates one Condition block (cond) against a request and
// expects the Allow statement to apply (want true) or not.
type condCase struct {
	name string
	cond string
	req  Request
	want bool
}

func runConds(t *testing.T, cases []condCase) {
	t.Helper()
	for _, c := range cases {
		doc := idPolicy(allow(`"s3:*"`, `"*"`, c.cond))
		p, err := Parse([]byte(doc), IdentityPolicy)
		if err != nil {
			t.Errorf("%s: Parse: %v", c.name, err)
			continue
		}
		r := c.req
		if r.Action == "" {
			r.Action, r.Bucket = "s3:ListBucket", "b"
		}
		want := NotApplicable
		if c.want {
			want = Allow
		}
		if got := p.Evaluate(&r); got != want {
			t.Errorf("%s: %s => %v, want %v", c.name, c.cond, got, want)
		}
	}
}

// kv builds a request whose Conditions map holds key = values.
func kv(key string, values ...string) Request {
	return Request{Conditions: map[string][]string{key: values}}
}

func TestStringOperators(t *testing.T) {
	runConds(t, []condCase{
		{"StringEquals match", `{"StringEquals":{"s3:prefix":"docs/"}}`, kv("s3:prefix", "docs/"), true},
		{"StringEquals case", `{"StringEquals":{"s3:prefix":"docs/"}}`, kv("s3:prefix", "Docs/"), false},
		{"StringEquals no wildcard", `{"StringEquals":{"s3:prefix":"docs/*"}}`, kv("s3:prefix", "docs/a"), false},
		{"StringEquals values ORed", `{"StringEquals":{"s3:prefix":["a","b"]}}`, kv("s3:prefix", "b"), true},
		{"StringEquals missing key", `{"StringEquals":{"s3:prefix":"a"}}`, Request{}, false},
		{"StringEquals key case-insensitive", `{"StringEquals":{"S3:Prefix":"a"}}`, kv("s3:prefix", "a"), true},
		{"StringEquals number value", `{"StringEquals":{"s3:max-keys":10}}`, kv("s3:max-keys", "10"), true},
		{"StringNotEquals differs", `{"StringNotEquals":{"s3:prefix":"a"}}`, kv("s3:prefix", "b"), true},
		{"StringNotEquals equal", `{"StringNotEquals":{"s3:prefix":"a"}}`, kv("s3:prefix", "a"), false},
		{"StringNotEquals NOR", `{"StringNotEquals":{"s3:prefix":["a","b"]}}`, kv("s3:prefix", "b"), false},
		{"StringNotEquals missing key", `{"StringNotEquals":{"s3:prefix":"a"}}`, Request{}, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"s3:x-amz-acl":"PUBLIC-read"}}`, kv("s3:x-amz-acl", "public-READ"), true},
		{"StringEqualsIgnoreCase unicode", `{"StringEqualsIgnoreCase":{"s3:prefix":"ÄB"}}`, kv("s3:prefix", "äb"), true},
		{"StringEqualsIgnoreCase differs", `{"StringEqualsIgnoreCase":{"s3:x-amz-acl":"private"}}`, kv("s3:x-amz-acl", "public-read"), false},
		{"StringNotEqualsIgnoreCase equal", `{"StringNotEqualsIgnoreCase":{"s3:x-amz-acl":"PRIVATE"}}`, kv("s3:x-amz-acl", "private"), false},
		{"StringNotEqualsIgnoreCase differs", `{"StringNotEqualsIgnoreCase":{"s3:x-amz-acl":"PRIVATE"}}`, kv("s3:x-amz-acl", "public-read"), true},
		{"StringEqualsIgnoreCase variable", `{"StringEqualsIgnoreCase":{"s3:prefix":"${aws:username}/"}}`, Request{Username: "Alice", Conditions: map[string][]string{"s3:prefix": {"ALICE/"}}}, true},
		{"StringLike star", `{"StringLike":{"s3:prefix":"home/*"}}`, kv("s3:prefix", "home/a/b"), true},
		{"StringLike question", `{"StringLike":{"s3:prefix":"v?"}}`, kv("s3:prefix", "v1"), true},
		{"StringLike mismatch", `{"StringLike":{"s3:prefix":"home/*"}}`, kv("s3:prefix", "etc/"), false},
		{"StringLike case-sensitive", `{"StringLike":{"s3:prefix":"home/*"}}`, kv("s3:prefix", "HOME/x"), false},
		{"StringNotLike mismatch", `{"StringNotLike":{"s3:prefix":["home/*","tmp/*"]}}`, kv("s3:prefix", "etc/"), true},
		{"StringNotLike match", `{"StringNotLike":{"s3:prefix":["home/*","tmp/*"]}}`, kv("s3:prefix", "tmp/x"), false},
		{"StringNotLike missing", `{"StringNotLike":{"s3:prefix":"home/*"}}`, Request{}, true},
		{"tag key keeps case", `{"StringEquals":{"s3:ExistingObjectTag/Project":"x"}}`, kv("s3:existingobjecttag/Project", "x"), true},
		{"tag key case differs", `{"StringEquals":{"s3:ExistingObjectTag/Project":"x"}}`, kv("s3:existingobjecttag/project", "x"), false},
		{"typed username", `{"StringEquals":{"aws:username":"alice"}}`, Request{Username: "alice"}, true},
		{"typed principal type", `{"StringEquals":{"aws:PrincipalType":"User"}}`, Request{PrincipalType: "User"}, true},
		{"typed userid missing", `{"StringEquals":{"aws:userid":"x"}}`, Request{}, false},
		{"multiple keys ANDed", `{"StringEquals":{"s3:prefix":"a","s3:delimiter":"/"}}`, Request{Conditions: map[string][]string{"s3:prefix": {"a"}, "s3:delimiter": {"/"}}}, true},
		{"multiple keys ANDed fail", `{"StringEquals":{"s3:prefix":"a","s3:delimiter":"/"}}`, kv("s3:prefix", "a"), false},
		{"multiple operators ANDed", `{"StringEquals":{"s3:prefix":"a"},"StringLike":{"s3:delimiter":"?"}}`, Request{Conditions: map[string][]string{"s3:prefix": {"a"}, "s3:delimiter": {"//"}}}, false},
		{"empty values list in request is absent", `{"StringNotEquals":{"s3:prefix":"a"}}`, kv("s3:prefix"), true},
	})
}

func TestNumericOperators(t *testing.T) {
	mk := kv("s3:max-keys", "10")
	runConds(t, []condCase{
		{"Equals", `{"NumericEquals":{"s3:max-keys":"10"}}`, mk, true},
		{"Equals decimal", `{"NumericEquals":{"s3:max-keys":10.0}}`, mk, true},
		{"Equals no", `{"NumericEquals":{"s3:max-keys":"11"}}`, mk, false},
		{"NotEquals", `{"NumericNotEquals":{"s3:max-keys":"11"}}`, mk, true},
		{"NotEquals no", `{"NumericNotEquals":{"s3:max-keys":["11","10"]}}`, mk, false},
		{"NotEquals missing", `{"NumericNotEquals":{"s3:max-keys":"11"}}`, Request{}, true},
		{"LessThan", `{"NumericLessThan":{"s3:max-keys":"11"}}`, mk, true},
		{"LessThan equal", `{"NumericLessThan":{"s3:max-keys":"10"}}`, mk, false},
		{"LessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, mk, true},
		{"LessThanEquals no", `{"NumericLessThanEquals":{"s3:max-keys":"9"}}`, mk, false},
		{"GreaterThan", `{"NumericGreaterThan":{"s3:max-keys":"9.5"}}`, mk, true},
		{"GreaterThan equal", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, mk, false},
		{"GreaterThanEquals", `{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}`, mk, true},
		{"GreaterThanEquals no", `{"NumericGreaterThanEquals":{"s3:max-keys":"11"}}`, mk, false},
		{"missing key", `{"NumericLessThan":{"s3:max-keys":"11"}}`, Request{}, false},
		{"request not a number", `{"NumericLessThan":{"s3:max-keys":"11"}}`, kv("s3:max-keys", "ten"), false},
		{"epoch time numeric", `{"NumericGreaterThan":{"aws:EpochTime":"1600000000"}}`, Request{Now: time.Unix(1700000000, 0)}, true},
		{"epoch time numeric no", `{"NumericLessThan":{"aws:EpochTime":"1600000000"}}`, Request{Now: time.Unix(1700000000, 0)}, false},
	})
}

func TestDateOperators(t *testing.T) {
	now := Request{Now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	runConds(t, []condCase{
		{"Equals", `{"DateEquals":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}`, now, true},
		{"Equals other zone", `{"DateEquals":{"aws:CurrentTime":"2024-06-01T14:00:00+02:00"}}`, now, true},
		{"Equals epoch", `{"DateEquals":{"aws:CurrentTime":"1717243200"}}`, now, true},
		{"Equals no", `{"DateEquals":{"aws:CurrentTime":"2024-06-01"}}`, now, false},
		{"NotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2024-06-01"}}`, now, true},
		{"NotEquals no", `{"DateNotEquals":{"aws:CurrentTime":"2024-06-01T12:00:00.000Z"}}`, now, false},
		{"LessThan", `{"DateLessThan":{"aws:CurrentTime":"2024-06-02"}}`, now, true},
		{"LessThan no", `{"DateLessThan":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}`, now, false},
		{"LessThanEquals", `{"DateLessThanEquals":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}`, now, true},
		{"LessThanEquals no", `{"DateLessThanEquals":{"aws:CurrentTime":"2024-06-01T11:59:59Z"}}`, now, false},
		{"GreaterThan", `{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}`, now, true},
		{"GreaterThan no", `{"DateGreaterThan":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}`, now, false},
		{"GreaterThanEquals", `{"DateGreaterThanEquals":{"aws:CurrentTime":"20240601T120000Z"}}`, now, true},
		{"GreaterThanEquals no", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-06-01T12:00:01Z"}}`, now, false},
		{"epoch key as date", `{"DateLessThan":{"aws:EpochTime":"2030-01-01"}}`, now, true},
		{"no time: absent", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}`, Request{}, false},
		{"no time: negated true", `{"DateNotEquals":{"aws:CurrentTime":"2030-01-01"}}`, Request{}, true},
		{"map date", `{"DateLessThan":{"s3:object-lock-retain-until-date":"2030-01-01"}}`, kv("s3:object-lock-retain-until-date", "2029-12-31T00:00:00Z"), true},
		{"map date unparsable", `{"DateLessThan":{"s3:object-lock-retain-until-date":"2030-01-01"}}`, kv("s3:object-lock-retain-until-date", "soon"), false},
	})
}

func TestBoolIPArnBinaryOperators(t *testing.T) {
	runConds(t, []condCase{
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, Request{SecureTransport: true}, true},
		{"Bool json literal", `{"Bool":{"aws:SecureTransport":true}}`, Request{SecureTransport: true}, true},
		{"Bool false vs true", `{"Bool":{"aws:SecureTransport":"false"}}`, Request{SecureTransport: true}, false},
		{"Bool false", `{"Bool":{"aws:SecureTransport":"false"}}`, Request{}, true},
		{"Bool map", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, kv("aws:multifactorauthpresent", "TRUE"), true},
		{"Bool map garbage", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, kv("aws:multifactorauthpresent", "yes"), false},
		{"IpAddress v4", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, Request{SourceIP: netip.MustParseAddr("203.0.113.9")}, true},
		{"IpAddress v4 out", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, Request{SourceIP: netip.MustParseAddr("203.0.114.9")}, false},
		{"IpAddress bare address", `{"IpAddress":{"aws:SourceIp":"203.0.113.9"}}`, Request{SourceIP: netip.MustParseAddr("203.0.113.9")}, true},
		{"IpAddress v6", `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}`, Request{SourceIP: netip.MustParseAddr("2001:db8::1")}, true},
		{"IpAddress v6 vs v4 block", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, Request{SourceIP: netip.MustParseAddr("2001:db8::1")}, false},
		{"IpAddress unmasked block", `{"IpAddress":{"aws:SourceIp":"10.1.2.3/8"}}`, Request{SourceIP: netip.MustParseAddr("10.200.0.1")}, true},
		{"IpAddress missing", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, Request{}, false},
		{"NotIpAddress outside", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, Request{SourceIP: netip.MustParseAddr("192.0.2.1")}, true},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, Request{SourceIP: netip.MustParseAddr("10.0.0.1")}, false},
		{"NotIpAddress missing", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, Request{}, true},
		{"IpAddress map key", `{"IpAddress":{"aws:VpcSourceIp":"10.0.0.0/8"}}`, kv("aws:vpcsourceip", "10.9.9.9"), true},
		{"IpAddress map garbage", `{"IpAddress":{"aws:VpcSourceIp":"10.0.0.0/8"}}`, kv("aws:vpcsourceip", "ten"), false},
		{"ArnEquals", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123:user/alice"}}`, kv("aws:principalarn", "arn:aws:iam::123:user/alice"), true},
		{"ArnEquals wildcard per part", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}`, kv("aws:principalarn", "arn:aws:iam::123:user/alice"), true},
		{"ArnLike star does not cross parts", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:i*::123:user/alice"}}`, kv("aws:principalarn", "arn:aws:iam:x::123:user/alice"), false},
		{"ArnLike resource with colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::b:*"}}`, kv("aws:sourcearn", "arn:aws:s3:::b:x:y"), true},
		{"ArnLike mismatch", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123:user/a*"}}`, kv("aws:principalarn", "arn:aws:iam::123:user/bob"), false},
		{"ArnLike request not an ARN", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123:user/a*"}}`, kv("aws:principalarn", "alice"), false},
		{"ArnLike variable", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${aws:username}"}}`, Request{Username: "alice", Conditions: map[string][]string{"aws:principalarn": {"arn:aws:iam::1:user/alice"}}}, true},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123:user/alice"}}`, kv("aws:principalarn", "arn:aws:iam::123:user/bob"), true},
		{"ArnNotEquals same", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123:user/alice"}}`, kv("aws:principalarn", "arn:aws:iam::123:user/alice"), false},
		{"ArnNotLike", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/a*"}}`, kv("aws:principalarn", "arn:aws:iam::123:user/bob"), true},
		{"ArnNotLike match", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/a*"}}`, kv("aws:principalarn", "arn:aws:iam::123:user/alice"), false},
		{"ArnNotLike missing", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/a*"}}`, Request{}, true},
		{"BinaryEquals", `{"BinaryEquals":{"s3:x-amz-content-sha256":"aGVsbG8="}}`, kv("s3:x-amz-content-sha256", "hello"), true},
		{"BinaryEquals no", `{"BinaryEquals":{"s3:x-amz-content-sha256":"aGVsbG8="}}`, kv("s3:x-amz-content-sha256", "hellO"), false},
	})
}

func TestIfExistsAndNull(t *testing.T) {
	runConds(t, []condCase{
		{"IfExists missing", `{"StringEqualsIfExists":{"s3:x-amz-acl":"private"}}`, Request{}, true},
		{"IfExists present match", `{"StringEqualsIfExists":{"s3:x-amz-acl":"private"}}`, kv("s3:x-amz-acl", "private"), true},
		{"IfExists present mismatch", `{"StringEqualsIfExists":{"s3:x-amz-acl":"private"}}`, kv("s3:x-amz-acl", "public-read"), false},
		{"negated IfExists missing", `{"StringNotLikeIfExists":{"s3:prefix":"a*"}}`, Request{}, true},
		{"negated IfExists match", `{"StringNotLikeIfExists":{"s3:prefix":"a*"}}`, kv("s3:prefix", "ab"), false},
		{"numeric IfExists missing", `{"NumericLessThanEqualsIfExists":{"s3:max-keys":"100"}}`, Request{}, true},
		{"numeric IfExists present", `{"NumericLessThanEqualsIfExists":{"s3:max-keys":"100"}}`, kv("s3:max-keys", "1000"), false},
		{"ip IfExists missing", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, Request{}, true},
		{"date IfExists", `{"DateLessThanIfExists":{"aws:CurrentTime":"2000-01-01"}}`, Request{Now: time.Unix(0, 0)}, true},
		{"bool IfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, Request{}, true},
		{"Null true, absent", `{"Null":{"s3:x-amz-server-side-encryption":"true"}}`, Request{}, true},
		{"Null true, present", `{"Null":{"s3:x-amz-server-side-encryption":"true"}}`, kv("s3:x-amz-server-side-encryption", "AES256"), false},
		{"Null false, present", `{"Null":{"s3:x-amz-server-side-encryption":false}}`, kv("s3:x-amz-server-side-encryption", "AES256"), true},
		{"Null false, absent", `{"Null":{"s3:x-amz-server-side-encryption":"false"}}`, Request{}, false},
		{"Null typed absent", `{"Null":{"aws:username":"true"}}`, Request{}, true},
		{"Null typed present", `{"Null":{"aws:username":"true"}}`, Request{Username: "a"}, false},
		{"Null SourceIp", `{"Null":{"aws:SourceIp":"false"}}`, Request{SourceIP: netip.MustParseAddr("::1")}, true},
		{"Null CurrentTime absent", `{"Null":{"aws:CurrentTime":"true"}}`, Request{}, true},
		{"Null SecureTransport always present", `{"Null":{"aws:SecureTransport":"true"}}`, Request{}, false},
	})
}

func TestSetOperators(t *testing.T) {
	tags := func(keys ...string) Request { return kv("s3:requestobjecttagkeys", keys...) }
	runConds(t, []condCase{
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, tags("x", "b"), true},
		{"ForAnyValue none match", `{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, tags("x", "y"), false},
		{"ForAnyValue empty is false", `{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, Request{}, false},
		{"ForAllValues all match", `{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, tags("a", "b", "a"), true},
		{"ForAllValues one does not", `{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, tags("a", "c"), false},
		{"ForAllValues empty is true", `{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, Request{}, true},
		{"ForAllValues empty list is true", `{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, tags(), true},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"s3:RequestObjectTagKeys":"key1*"}}`, tags("key1:a", "key1:b"), true},
		// Negated operators apply to each request value.
		{"ForAllValues StringNotLike all unlike", `{"ForAllValues:StringNotLike":{"s3:RequestObjectTagKeys":"key1*"}}`, tags("key2:audit"), true},
		{"ForAllValues StringNotLike one like", `{"ForAllValues:StringNotLike":{"s3:RequestObjectTagKeys":"key1*"}}`, tags("key2:audit", "key1:hr"), false},
		{"ForAllValues StringNotLike missing", `{"ForAllValues:StringNotLike":{"s3:RequestObjectTagKeys":"key1*"}}`, Request{}, true},
		{"ForAnyValue StringNotEquals one differs", `{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, tags("a", "c"), true},
		{"ForAnyValue StringNotEquals all in set", `{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, tags("a", "b"), false},
		{"ForAnyValue StringNotEquals missing", `{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, Request{}, false},
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringEqualsIfExists":{"s3:RequestObjectTagKeys":"a"}}`, Request{}, true},
		{"ForAllValues IfExists present", `{"ForAllValues:StringEqualsIfExists":{"s3:RequestObjectTagKeys":"a"}}`, tags("b"), false},
		{"ForAnyValue numeric", `{"ForAnyValue:NumericGreaterThan":{"s3:max-keys":"5"}}`, kv("s3:max-keys", "1", "9"), true},
		{"ForAllValues numeric", `{"ForAllValues:NumericGreaterThan":{"s3:max-keys":"5"}}`, kv("s3:max-keys", "1", "9"), false},
		{"ForAnyValue IP", `{"ForAnyValue:IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, Request{SourceIP: netip.MustParseAddr("10.0.0.1")}, true},
		{"ForAllValues NotIpAddress", `{"ForAllValues:NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, Request{SourceIP: netip.MustParseAddr("10.0.0.1")}, false},
		// Without a qualifier a multi-valued request key matches if any value matches.
		{"no qualifier, many values", `{"StringEquals":{"s3:RequestObjectTagKeys":"a"}}`, tags("x", "a"), true},
		{"no qualifier negated, many values", `{"StringNotEquals":{"s3:RequestObjectTagKeys":"a"}}`, tags("x", "a"), false},
	})
}

func TestConditionKeyHelpers(t *testing.T) {
	cases := map[string]string{
		"s3:prefix":                       "s3:prefix",
		"AWS:SourceIP":                    "aws:sourceip",
		"s3:ExistingObjectTag/MyTag":      "s3:existingobjecttag/MyTag",
		"S3:RequestObjectTag/a/b":         "s3:requestobjecttag/a/b",
		"s3:x-amz-server-side-encryption": "s3:x-amz-server-side-encryption",
	}
	for in, want := range cases {
		got, ok := ConditionKey(in)
		if !ok || got != want {
			t.Errorf("ConditionKey(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"s3:nope", "s3:ExistingObjectTag/", "aws:PrincipalTag", ""} {
		if _, ok := ConditionKey(bad); ok {
			t.Errorf("ConditionKey(%q) accepted", bad)
		}
	}
	// Every listed key parses in a policy.
	for _, k := range ConditionKeys() {
		name := k
		if name[len(name)-1] == '/' {
			name += "t"
		}
		doc := idPolicy(allow(`"s3:GetObject"`, `"*"`, `{"StringEqualsIfExists":{"`+name+`":"x"}}`))
		if _, err := Parse([]byte(doc), IdentityPolicy); err != nil {
			t.Errorf("key %q: %v", k, err)
		}
	}
}

func TestTypedValuesUnderOtherOperators(t *testing.T) {
	r := Request{
		SourceIP: netip.MustParseAddr("10.0.0.1"),
		Now:      time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC),
		Username: "alice",
	}
	runConds(t, []condCase{
		{"StringLike on SourceIp", `{"StringLike":{"aws:SourceIp":"10.*"}}`, r, true},
		{"StringEquals on EpochTime", `{"StringEquals":{"aws:EpochTime":"1717243200"}}`, r, true},
		{"StringLike on CurrentTime", `{"StringLike":{"aws:CurrentTime":"2024-06-01T*"}}`, r, true},
		{"Numeric on CurrentTime never matches", `{"NumericGreaterThan":{"aws:CurrentTime":"0"}}`, r, false},
		{"Numeric on SourceIp never matches", `{"NumericGreaterThan":{"aws:SourceIp":"0"}}`, r, false},
		{"Date on SourceIp never matches", `{"DateGreaterThan":{"aws:SourceIp":"1970-01-01"}}`, r, false},
		{"Date from map epoch", `{"DateGreaterThan":{"s3:object-lock-retain-until-date":"-100"}}`, kv("s3:object-lock-retain-until-date", "-1"), true},
		{"variable from time", `{"StringEquals":{"s3:prefix":"${aws:EpochTime}"}}`, Request{Now: r.Now, Conditions: map[string][]string{"s3:prefix": {"1717243200"}}}, true},
		{"mapped CIDR in policy", `{"IpAddress":{"aws:SourceIp":"::ffff:10.0.0.0/104"}}`, r, true},
		{"mapped CIDR in policy, outside", `{"IpAddress":{"aws:SourceIp":"::ffff:11.0.0.0/104"}}`, r, false},
		// A negated ARN operator whose value has an unresolved variable is false.
		{"ArnNotLike unresolved variable", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${aws:userid}"}}`, kv("aws:principalarn", "arn:aws:iam::1:user/x"), false},
		{"ArnNotLike resolved variable", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${aws:userid}"}}`, Request{UserID: "y", Conditions: map[string][]string{"aws:principalarn": {"arn:aws:iam::1:user/x"}}}, true},
		{"StringNotLike unresolved variable", `{"StringNotLike":{"s3:prefix":["a*","${aws:userid}/*"]}}`, kv("s3:prefix", "b"), false},
		{"StringLike middle segment with ?", `{"StringLike":{"s3:prefix":"*a?c*"}}`, kv("s3:prefix", "xxabcyy"), true},
		{"StringLike middle segment with ?, no", `{"StringLike":{"s3:prefix":"*a?c*"}}`, kv("s3:prefix", "xxacyy"), false},
		{"StringLike middle segment with variable", `{"StringLike":{"s3:prefix":"*/${aws:username}/*"}}`, Request{Username: "alice", Conditions: map[string][]string{"s3:prefix": {"home/alice/x"}}}, true},
		{"StringLike middle segment with variable, no", `{"StringLike":{"s3:prefix":"*/${aws:username}/*"}}`, Request{Username: "alice", Conditions: map[string][]string{"s3:prefix": {"home/alicex/x"}}}, false},
	})
}
