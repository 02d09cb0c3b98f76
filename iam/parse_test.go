package iam

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const okStmt = `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`

func TestParseErrors(t *testing.T) {
	big := `{"Version":"2012-10-17","Statement":[` + okStmt + `],"Id":"` + strings.Repeat("x", 2048) + `"}`
	cases := []struct {
		name  string
		kind  Kind
		doc   string
		want  string
		stmt  int
		field string
	}{
		{"kind", 0, idPolicy(okStmt), "unknown policy kind 0", 0, ""},
		{"size", IdentityPolicy, big, fmt.Sprintf("policy is %d bytes, the limit is 2048", len(big)), 0, ""},
		{"empty", IdentityPolicy, "  \n", "policy is empty", 0, ""},
		{"syntax", IdentityPolicy, `{"Version": "2012-10-17",}`, "invalid JSON at offset 25: invalid character '}' looking for beginning of object key string", 0, ""},
		{"truncated", IdentityPolicy, `{"Version": "2012-10-17"`, "invalid JSON at offset 24: unexpected end of JSON input", 0, ""},
		{"trailing", IdentityPolicy, idPolicy(okStmt) + "x", fmt.Sprintf("invalid JSON at offset %d: invalid character 'x' after top-level value", len(idPolicy(okStmt))), 0, ""},
		{"not object", IdentityPolicy, `[1]`, "policy must be a JSON object, not an array", 0, ""},
		{"dup top", IdentityPolicy, `{"Statement":[` + okStmt + `],"Statement":[]}`, `duplicate element "Statement"`, 0, "Statement"},
		{"unknown top", IdentityPolicy, `{"Statement":[` + okStmt + `],"Foo":1}`, `unknown element "Foo"`, 0, "Foo"},
		{"case top", IdentityPolicy, `{"statement":[` + okStmt + `]}`, `unknown element "statement" (element names are case-sensitive: did you mean "Statement"?)`, 0, "statement"},
		{"version type", IdentityPolicy, `{"Version":2012,"Statement":[` + okStmt + `]}`, "Version must be a string, not a number", 0, "Version"},
		{"version value", IdentityPolicy, `{"Version":"2012-10-18","Statement":[` + okStmt + `]}`, `Version must be "2012-10-17" or "2008-10-17", got "2012-10-18"`, 0, "Version"},
		{"id type", IdentityPolicy, `{"Id":1,"Statement":[` + okStmt + `]}`, "Id must be a string, not a number", 0, "Id"},
		{"no statement", IdentityPolicy, `{"Version":"2012-10-17"}`, "missing Statement", 0, "Statement"},
		{"empty statement", IdentityPolicy, `{"Version":"2012-10-17","Statement":[]}`, "Statement is empty", 0, "Statement"},
		{"statement type", IdentityPolicy, `{"Statement":"x"}`, "Statement must be an object or an array of objects, not a string", 0, "Statement"},
		{"statement elem type", IdentityPolicy, idPolicy(okStmt, `7`), "statement 2: statement must be a JSON object, not a number", 2, ""},
		{"dup in statement", IdentityPolicy, idPolicy(`{"Effect":"Allow","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}`), `statement 1: duplicate element "Effect"`, 1, "Effect"},
		{"unknown in statement", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Foo":1}`), `statement 1: unknown element "Foo"`, 1, "Foo"},
		{"case in statement", IdentityPolicy, idPolicy(`{"effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), `statement 1: unknown element "effect" (element names are case-sensitive: did you mean "Effect"?)`, 1, "effect"},
		{"sid type", IdentityPolicy, idPolicy(`{"Sid":1,"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), "statement 1: Sid must be a string, not a number", 1, "Sid"},
		{"dup sid", IdentityPolicy, idPolicy(`{"Sid":"a","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`, okStmt, `{"Sid":"a","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}`), `statement 3: duplicate Sid "a" (also statement 1)`, 3, "Sid"},
		{"no effect", IdentityPolicy, idPolicy(`{"Action":"s3:GetObject","Resource":"*"}`), "statement 1: missing Effect", 1, "Effect"},
		{"effect case", IdentityPolicy, idPolicy(`{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}`), `statement 1: Effect must be Allow or Deny, got "allow"`, 1, "Effect"},
		{"effect type", IdentityPolicy, idPolicy(`{"Effect":true,"Action":"s3:GetObject","Resource":"*"}`), `statement 1: Effect must be Allow or Deny, not a boolean`, 1, "Effect"},
		{"no action", IdentityPolicy, idPolicy(`{"Effect":"Allow","Resource":"*"}`), "statement 1: missing Action or NotAction", 1, "Action"},
		{"action and notaction", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*"}`), "statement 1: Action and NotAction may not both be present", 1, "Action"},
		{"action type", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":{},"Resource":"*"}`), "statement 1: Action must be a string or an array of strings, not an object", 1, "Action"},
		{"action elem type", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":["s3:GetObject",1],"Resource":"*"}`), "statement 1: Action must be a string or an array of strings, but element 2 is a number", 1, "Action"},
		{"action empty list", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "statement 1: Action is empty", 1, "Action"},
		{"action empty string", IdentityPolicy, idPolicy(`{"Effect":"Allow","NotAction":[""],"Resource":"*"}`), "statement 1: empty action", 1, "NotAction"},
		{"unknown action", IdentityPolicy, idPolicy(okStmt, `{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjekt"],"Resource":"*"}`), `statement 2: unknown action "s3:GetObjekt"`, 2, "Action"},
		{"no prefix", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"GetObject","Resource":"*"}`), `statement 1: action "GetObject" has no service prefix (as in "s3:GetObject")`, 1, "Action"},
		{"wild prefix", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s*:GetObject","Resource":"*"}`), `statement 1: action "s*:GetObject": wildcards are not allowed in the service prefix`, 1, "Action"},
		{"other service", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`), `statement 1: action "iam:*": service "iam" is not supported (only s3 and sts actions are)`, 1, "Action"},
		{"no action name", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:","Resource":"*"}`), `statement 1: action "s3:" has no action name`, 1, "Action"},
		{"unknown sts", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"sts:GetSessionToken","Resource":"*"}`), `statement 1: unknown action "sts:GetSessionToken"`, 1, "Action"},
		{"bucket s3:*", BucketPolicy, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b"}}`, `statement 1: bucket policies may not use "s3:*" as an Action`, 1, "Action"},
		{"bucket *", BucketPolicy, `{"Statement":{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","*"],"Resource":"arn:aws:s3:::b"}}`, `statement 1: bucket policies may not use "*" as an Action`, 1, "Action"},
		{"no resource", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject"}`), "statement 1: missing Resource or NotResource", 1, "Resource"},
		{"resource and notresource", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","NotResource":"*"}`), "statement 1: Resource and NotResource may not both be present", 1, "Resource"},
		{"resource not arn", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"bucket/*"}`), `statement 1: resource "bucket/*" is not "*" or an "arn:aws:s3:::" ARN`, 1, "Resource"},
		{"resource other service", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","NotResource":["arn:aws:iam::1:user/x"]}`), `statement 1: resource "arn:aws:iam::1:user/x" is not "*" or an "arn:aws:s3:::" ARN`, 1, "NotResource"},
		{"resource no bucket", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::"}`), `statement 1: resource "arn:aws:s3:::" names no bucket`, 1, "Resource"},
		{"resource empty list", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":[]}`), "statement 1: Resource is empty", 1, "Resource"},
		{"resource bad var", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:nope}/*"}`), `statement 1: resource "arn:aws:s3:::b/${aws:nope}/*": unknown policy variable "${aws:nope}": unknown condition key "aws:nope"`, 1, "Resource"},
		{"identity principal", IdentityPolicy, idPolicy(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), "statement 1: identity policies may not have a Principal", 1, "Principal"},
		{"identity notprincipal", IdentityPolicy, idPolicy(`{"Effect":"Allow","NotPrincipal":"*","Action":"s3:GetObject","Resource":"*"}`), "statement 1: identity policies may not have a NotPrincipal", 1, "NotPrincipal"},
		{"bucket no principal", BucketPolicy, idPolicy(okStmt), "statement 1: missing Principal or NotPrincipal", 1, "Principal"},
		{"bucket both principals", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:GetObject","Resource":"*"}`), "statement 1: Principal and NotPrincipal may not both be present", 1, "Principal"},
		{"principal string", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":"alice","Action":"s3:GetObject","Resource":"*"}`), `statement 1: Principal must be "*" or {"AWS": ...}, got "alice"`, 1, "Principal"},
		{"principal type", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":["*"],"Action":"s3:GetObject","Resource":"*"}`), `statement 1: Principal must be "*" or {"AWS": ...}, not an array`, 1, "Principal"},
		{"principal empty", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":{},"Action":"s3:GetObject","Resource":"*"}`), `statement 1: Principal is empty`, 1, "Principal"},
		{"principal service", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"s3:GetObject","Resource":"*"}`), `statement 1: unsupported Principal type "Service" (only "AWS" is supported)`, 1, "Principal"},
		{"principal dup", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":{"AWS":"a","AWS":"b"},"Action":"s3:GetObject","Resource":"*"}`), `statement 1: duplicate Principal type "AWS"`, 1, "Principal"},
		{"principal list empty", BucketPolicy, idPolicy(`{"Effect":"Allow","NotPrincipal":{"AWS":[]},"Action":"s3:GetObject","Resource":"*"}`), `statement 1: NotPrincipal is empty`, 1, "NotPrincipal"},
		{"principal wildcard", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":{"AWS":"ali*"},"Action":"s3:GetObject","Resource":"*"}`), `statement 1: invalid principal "ali*": wildcards are not allowed in principals other than "*"`, 1, "Principal"},
		{"principal role", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/r"},"Action":"s3:GetObject","Resource":"*"}`), `statement 1: invalid principal "arn:aws:iam::123456789012:role/r": only user principals ("arn:aws:iam::ACCOUNT:user/NAME") are supported`, 1, "Principal"},
		{"principal root", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"]},"Action":"s3:GetObject","Resource":"*"}`), `statement 1: invalid principal "arn:aws:iam::123456789012:root": only user principals ("arn:aws:iam::ACCOUNT:user/NAME") are supported`, 1, "Principal"},
		{"principal other arn", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::1:x"},"Action":"s3:GetObject","Resource":"*"}`), `statement 1: invalid principal "arn:aws:sts::1:x": only "arn:aws:iam::ACCOUNT:user/NAME" ARNs are supported`, 1, "Principal"},
		{"principal bad name", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":{"AWS":"a b"},"Action":"s3:GetObject","Resource":"*"}`), `statement 1: invalid principal "a b": not a user name or an "arn:aws:iam::ACCOUNT:user/NAME" ARN`, 1, "Principal"},
		{"principal empty name", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":{"AWS":""},"Action":"s3:GetObject","Resource":"*"}`), `statement 1: invalid principal "": empty principal`, 1, "Principal"},
		{"principal arn no name", BucketPolicy, idPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:user/"},"Action":"s3:GetObject","Resource":"*"}`), `statement 1: invalid principal "arn:aws:iam::1:user/": no user name`, 1, "Principal"},
		{"condition type", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":[]}`), "statement 1: Condition must be an object, not an array", 1, "Condition"},
		{"condition dup op", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"Bool":{}}}`), `statement 1: duplicate condition operator "Bool"`, 1, "Condition"},
		{"unknown operator", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEq":{"s3:prefix":"a"}}}`), `statement 1: unknown condition operator "StringEq"`, 1, "Condition"},
		{"operator case", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"stringequals":{"s3:prefix":"a"}}}`), `statement 1: unknown condition operator "stringequals"`, 1, "Condition"},
		{"bad qualifier", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"s3:prefix":"a"}}}`), `statement 1: unknown condition operator "ForSomeValues:StringEquals"`, 1, "Condition"},
		{"null ifexists", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NullIfExists":{"s3:prefix":"true"}}}`), `statement 1: condition operator "NullIfExists": Null takes no set qualifier and no IfExists`, 1, "Condition"},
		{"null qualifier", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:Null":{"s3:prefix":"true"}}}`), `statement 1: condition operator "ForAnyValue:Null": Null takes no set qualifier and no IfExists`, 1, "Condition"},
		{"block type", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":"a"}}`), `statement 1: condition StringEquals must map keys to values, not be a string`, 1, "Condition"},
		{"block empty", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{}}}`), `statement 1: condition StringEquals has no keys`, 1, "Condition"},
		{"block dup key", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"a","s3:prefix":"b"}}}`), `statement 1: duplicate key "s3:prefix" in condition StringEquals`, 1, "Condition"},
		{"unknown key", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:prefx":"a"}}}`), `statement 1: unknown condition key "s3:prefx" in StringEquals`, 1, "Condition"},
		{"unknown service key", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"ec2:Region":"a"}}}`), `statement 1: unknown condition key "ec2:Region" in StringEquals`, 1, "Condition"},
		{"empty tag key", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/":"a"}}}`), `statement 1: condition key "s3:ExistingObjectTag/" has no tag key after the "/" in StringEquals`, 1, "Condition"},
		{"value type", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:prefix":{}}}}`), `statement 1: StringEquals value for key "s3:prefix" must be a string, number, boolean or an array of them, not an object`, 1, "Condition"},
		{"value null", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:prefix":null}}}`), `statement 1: StringEquals value for key "s3:prefix" must be a string, number, boolean or an array of them, not null`, 1, "Condition"},
		{"value elem type", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:prefix":["a",[]]}}}`), `statement 1: StringEquals value for key "s3:prefix" must be a string, number, boolean or an array of them, but element 2 is an array`, 1, "Condition"},
		{"values empty", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:prefix":[]}}}`), `statement 1: StringEquals has no values for key "s3:prefix"`, 1, "Condition"},
		{"bad number", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}`), `statement 1: NumericLessThan value "ten" for key "s3:max-keys" is not a number`, 1, "Condition"},
		{"bad date", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}`), `statement 1: DateLessThan value "tomorrow" for key "aws:CurrentTime" is not a date (ISO 8601 or epoch seconds)`, 1, "Condition"},
		{"bad bool", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}`), `statement 1: Bool value "yes" for key "aws:SecureTransport" is not true or false`, 1, "Condition"},
		{"bad null", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Null":{"s3:prefix":"1"}}}`), `statement 1: Null value "1" for key "s3:prefix" is not true or false`, 1, "Condition"},
		{"bad ip", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}`), `statement 1: IpAddress value "10.0.0.0/33" for key "aws:SourceIp" is not an IP address or CIDR block`, 1, "Condition"},
		{"bad arn", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"user/x"}}}`), `statement 1: ArnLike value "user/x" for key "aws:PrincipalArn" is not an ARN (arn:partition:service:region:account:resource)`, 1, "Condition"},
		{"bad base64", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"BinaryEquals":{"s3:x-amz-content-sha256":"!!"}}}`), `statement 1: BinaryEquals value "!!" for key "s3:x-amz-content-sha256" is not base64`, 1, "Condition"},
		{"bad condition var", IdentityPolicy, idPolicy(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringLike":{"s3:prefix":"${aws:nope}/*"}}}`), `statement 1: unknown policy variable "${aws:nope}": unknown condition key "aws:nope"`, 1, "Condition"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(c.doc), c.kind)
			if err == nil {
				t.Fatalf("Parse accepted %s", c.doc)
			}
			if p != nil {
				t.Errorf("Parse returned a policy with an error")
			}
			if err.Error() != c.want {
				t.Errorf("error\n got: %s\nwant: %s", err, c.want)
			}
			if !errors.Is(err, ErrMalformedPolicy) {
				t.Errorf("error %v does not wrap ErrMalformedPolicy", err)
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, want *PolicyError", err)
			}
			if pe.Statement != c.stmt || pe.Field != c.field {
				t.Errorf("PolicyError{Statement: %d, Field: %q}, want {%d, %q}", pe.Statement, pe.Field, c.stmt, c.field)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	cases := []struct {
		name string
		kind Kind
		doc  string
	}{
		{"statement object", IdentityPolicy, `{"Version":"2012-10-17","Statement":` + okStmt + `}`},
		{"no version", IdentityPolicy, `{"Statement":[` + okStmt + `]}`},
		{"version 2008", IdentityPolicy, `{"Version":"2008-10-17","Statement":[` + okStmt + `]}`},
		{"id and sid", IdentityPolicy, `{"Id":"x","Statement":[{"Sid":"S1","Effect":"Deny","Action":["s3:*"],"Resource":["*"]}]}`},
		{"empty sids repeat", IdentityPolicy, idPolicy(`{"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`, `{"Sid":"","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}`)},
		{"action case", IdentityPolicy, idPolicy(allow(`["S3:GETOBJECT","s3:listbucket"]`, `"*"`, ""))},
		{"star action", IdentityPolicy, idPolicy(allow(`"*"`, `"*"`, ""))},
		{"wildcard matching nothing", IdentityPolicy, idPolicy(allow(`"s3:Frobnicate*"`, `"*"`, ""))},
		{"sts", IdentityPolicy, idPolicy(allow(`["sts:AssumeRole","sts:*"]`, `"*"`, ""))},
		{"bucket notaction s3:*", BucketPolicy, `{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"s3:*","Resource":"arn:aws:s3:::b"}]}`},
		{"bucket s3:Get*", BucketPolicy, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}]}`},
		{"principals", BucketPolicy, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["alice","arn:aws:iam::123456789012:user/bob","arn:aws:iam:::user/path/carol"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`},
		{"condition scalars", IdentityPolicy, idPolicy(allow(`"s3:ListBucket"`, `"*"`, `{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},"StringEquals":{"s3:prefix":["a",1,false]}}`))},
		{"every operator", IdentityPolicy, idPolicy(allow(`"s3:ListBucket"`, `"*"`, `{
			"StringEquals":{"s3:prefix":"a"},"StringNotEquals":{"s3:prefix":"a"},
			"StringEqualsIgnoreCase":{"s3:prefix":"a"},"StringNotEqualsIgnoreCase":{"s3:prefix":"a"},
			"StringLike":{"s3:prefix":"a*"},"StringNotLike":{"s3:prefix":"a*"},
			"NumericEquals":{"s3:max-keys":"1"},"NumericNotEquals":{"s3:max-keys":"1"},
			"NumericLessThan":{"s3:max-keys":"1"},"NumericLessThanEquals":{"s3:max-keys":"1"},
			"NumericGreaterThan":{"s3:max-keys":"1"},"NumericGreaterThanEquals":{"s3:max-keys":"1.5"},
			"DateEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"DateNotEquals":{"aws:CurrentTime":"2020-01-01"},
			"DateLessThan":{"aws:CurrentTime":"1577836800"},"DateLessThanEquals":{"aws:CurrentTime":"2020-01-01T00:00:00.000Z"},
			"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00+02:00"},"DateGreaterThanEquals":{"aws:EpochTime":"20200101T000000Z"},
			"Bool":{"aws:SecureTransport":"TRUE"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1","2001:db8::/32"]},
			"NotIpAddress":{"aws:SourceIp":"192.168.1.1"},"Null":{"s3:prefix":false},
			"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::1:user/a"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"},
			"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::1:user/a"},"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::x:y"},
			"BinaryEquals":{"s3:x-amz-content-sha256":"aGVsbG8="},
			"ForAnyValue:StringLike":{"s3:RequestObjectTagKeys":"a*"},"ForAllValues:StringEqualsIfExists":{"s3:RequestObjectTagKeys":"a"},
			"StringLikeIfExists":{"s3:ExistingObjectTag/Project":"x"}
		}`))},
		{"variables 2008 literal", IdentityPolicy, `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:nope}/*"}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(c.doc), c.kind)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Kind() != c.kind || string(p.JSON()) != c.doc {
				t.Errorf("Kind %v / JSON round trip wrong", p.Kind())
			}
		})
	}
}

func TestPolicyAccessors(t *testing.T) {
	p := mustParse(t, IdentityPolicy, `{"Version":"2012-10-17","Id":"my-id","Statement":`+okStmt+`}`)
	if p.Version() != Version2012 || p.ID() != "my-id" {
		t.Fatalf("Version %q ID %q", p.Version(), p.ID())
	}
	j := p.JSON()
	j[0] = 'X'
	if p.JSON()[0] != '{' {
		t.Fatal("JSON returned the policy's own buffer")
	}
	q := mustParse(t, IdentityPolicy, `{"Statement":`+okStmt+`}`)
	if q.Version() != "" {
		t.Fatalf("Version %q, want empty", q.Version())
	}
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{MaxPolicySize: 0, MaxBucketPolicySize: 10}, "invalid iam config: MaxPolicySize is 0 bytes, want 1 to 1048576"},
		{Config{MaxPolicySize: 10, MaxBucketPolicySize: 1<<20 + 1}, "invalid iam config: MaxBucketPolicySize is 1048577 bytes, want 1 to 1048576"},
	} {
		err := c.cfg.Validate()
		if err == nil || err.Error() != c.want || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Validate(%+v) = %v, want %q", c.cfg, err, c.want)
		}
		if _, err := c.cfg.Parse([]byte(idPolicy(okStmt)), IdentityPolicy); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Parse with %+v: %v", c.cfg, err)
		}
	}
	doc := []byte(idPolicy(okStmt))
	small := Config{MaxPolicySize: len(doc), MaxBucketPolicySize: 20}
	if _, err := small.Parse(doc, IdentityPolicy); err != nil {
		t.Fatalf("document of exactly the limit: %v", err)
	}
	small.MaxPolicySize--
	_, err := small.Parse(doc, IdentityPolicy)
	if err == nil || !strings.Contains(err.Error(), "the limit is") {
		t.Fatalf("over the limit: %v", err)
	}
	// Bucket policies have their own, larger default limit.
	bp := `{"Id":"` + strings.Repeat("x", 3000) + `","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`
	if _, err := Parse([]byte(bp), BucketPolicy); err != nil {
		t.Fatalf("3 KB bucket policy: %v", err)
	}
	if _, err := small.Parse([]byte(bp), BucketPolicy); err == nil {
		t.Fatal("bucket policy over MaxBucketPolicySize accepted")
	}
}

func TestValidateBucket(t *testing.T) {
	cases := []struct {
		resource string
		ok       bool
	}{
		{"*", true},
		{"arn:aws:s3:::b", true},
		{"arn:aws:s3:::b/*", true},
		{"arn:aws:s3:::b/x/y", true},
		{"arn:aws:s3:::*", true},
		{"arn:aws:s3:::b*", true},
		{"arn:aws:s3:::b/${aws:username}/*", true},
		{"arn:aws:s3:::${aws:username}", true},
		{"arn:aws:s3:::bb", false},
		{"arn:aws:s3:::c/*", false},
		{"arn:aws:s3:::bx*", false},
		{"arn:aws:s3:::c${aws:username}", false},
	}
	for _, c := range cases {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/ok"},{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + c.resource + `"}]}`
		p := mustParse(t, BucketPolicy, doc)
		err := p.ValidateBucket("b")
		if (err == nil) != c.ok {
			t.Errorf("ValidateBucket for %q: %v", c.resource, err)
		}
		if err != nil {
			want := `statement 2: resource "` + c.resource + `" is not in bucket "b"`
			if err.Error() != want || !errors.Is(err, ErrMalformedPolicy) {
				t.Errorf("error %q, want %q", err, want)
			}
		}
	}
	// NotResource is not checked: it names what the statement excludes.
	p := mustParse(t, BucketPolicy, `{"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::other/*"}}`)
	if err := p.ValidateBucket("b"); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyErrorFormat(t *testing.T) {
	e := &PolicyError{Statement: 3, Field: "Action", Msg: "bad"}
	if e.Error() != "statement 3: bad" {
		t.Fatal(e.Error())
	}
	e.Statement = 0
	if e.Error() != "bad" {
		t.Fatal(e.Error())
	}
	if Kind(9).String() != "unknown" || BucketPolicy.String() != "bucket" || IdentityPolicy.String() != "identity" {
		t.Fatal("Kind.String")
	}
}
