package iam

import (
	"net/netip"
	"testing"
)

type evalCase struct {
	name string
	req  Request
	want Decision
}

func runEval(t *testing.T, p *Policy, cases []evalCase) {
	t.Helper()
	for _, c := range cases {
		r := c.req
		if got := p.Evaluate(&r); got != c.want {
			t.Errorf("%s: Evaluate(%+v) = %v, want %v", c.name, c.req, got, c.want)
		}
		if got := Decide(&r, p); got != c.want {
			t.Errorf("%s: Decide = %v, want %v", c.name, got, c.want)
		}
	}
}

func obj(action, bucket, key string) Request {
	return Request{Action: action, Bucket: bucket, Key: key}
}

func TestActionMatching(t *testing.T) {
	p := mustParse(t, IdentityPolicy, idPolicy(
		allow(`["s3:Get*","s3:*Object*Tagging","s3:List?ucket"]`, `"*"`, ""),
		allow(`"S3:PUTOBJECT"`, `"arn:aws:s3:::up/*"`, ""),
	))
	runEval(t, p, []evalCase{
		{"prefix wildcard", obj("s3:GetObject", "b", "k"), Allow},
		{"prefix wildcard bucket action", obj("s3:GetBucketPolicy", "b", ""), Allow},
		{"request action case-insensitive", obj("S3:getobject", "b", "k"), Allow},
		{"infix wildcard", obj("s3:PutObjectTagging", "b", "k"), Allow},
		{"infix wildcard 2", obj("s3:DeleteObjectVersionTagging", "b", "k"), Allow},
		{"question mark", obj("s3:ListBucket", "b", ""), Allow},
		{"question mark needs one char", obj("s3:ListBucketVersions", "b", ""), NotApplicable},
		{"not matched", obj("s3:PutObject", "b", "k"), NotApplicable},
		{"upper-case policy action", obj("s3:PutObject", "up", "k"), Allow},
		{"unknown request action matched by wildcard", obj("s3:GetSomethingNew", "b", "k"), Allow},
		{"unknown request action not matched", obj("s3:FrobObject", "b", "k"), NotApplicable},
		{"empty action", obj("", "b", "k"), NotApplicable},
	})
	star := mustParse(t, IdentityPolicy, idPolicy(allow(`"*"`, `"*"`, "")))
	runEval(t, star, []evalCase{
		{"star matches s3", obj("s3:DeleteBucket", "b", ""), Allow},
		{"star matches sts", obj("sts:AssumeRole", "", ""), Allow},
		{"star matches unknown", obj("s3:Anything", "b", ""), Allow},
	})
	s3star := mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:*"`, `"*"`, "")))
	runEval(t, s3star, []evalCase{
		{"s3:* matches s3", obj("s3:PutBucketPolicy", "b", ""), Allow},
		{"s3:* does not match sts", obj("sts:AssumeRole", "", ""), NotApplicable},
	})
}

func TestNotActionNotResource(t *testing.T) {
	p := mustParse(t, IdentityPolicy, idPolicy(
		`{"Effect":"Allow","NotAction":["s3:Delete*","s3:Put*"],"Resource":"arn:aws:s3:::b/*"}`,
		`{"Effect":"Allow","Action":"s3:PutObject","NotResource":["arn:aws:s3:::b/secret/*","arn:aws:s3:::other*"]}`,
	))
	runEval(t, p, []evalCase{
		{"notaction allows others", obj("s3:GetObject", "b", "k"), Allow},
		{"notaction excludes delete", obj("s3:DeleteObject", "b", "k"), NotApplicable},
		{"notaction still needs resource", obj("s3:GetObject", "c", "k"), NotApplicable},
		{"notaction matches unknown actions", obj("s3:SomethingNew", "b", "k"), Allow},
		{"notresource allows others", obj("s3:PutObject", "b", "public/k"), Allow},
		{"notresource allows other buckets", obj("s3:PutObject", "c", "k"), Allow},
		{"notresource excludes", obj("s3:PutObject", "b", "secret/k"), NotApplicable},
		{"notresource excludes wildcard", obj("s3:PutObject", "other2", "k"), NotApplicable},
	})
}

func TestResourceMatching(t *testing.T) {
	p := mustParse(t, IdentityPolicy, idPolicy(
		allow(`"s3:ListBucket"`, `"arn:aws:s3:::b"`, ""),
		allow(`"s3:GetObject"`, `["arn:aws:s3:::b/docs/*","arn:aws:s3:::b/?.txt","arn:aws:s3:::logs-*/*/app.log"]`, ""),
		allow(`"s3:ListAllMyBuckets"`, `"arn:aws:s3:::*"`, ""),
		allow(`"s3:PutObject"`, `"arn:aws:s3:::B/*"`, ""),
	))
	runEval(t, p, []evalCase{
		{"bucket exact", obj("s3:ListBucket", "b", ""), Allow},
		{"bucket other", obj("s3:ListBucket", "bb", ""), NotApplicable},
		{"bucket resource does not cover objects", Request{Action: "s3:ListBucket", Bucket: "b", Key: "k"}, NotApplicable},
		{"prefix", obj("s3:GetObject", "b", "docs/a/b.txt"), Allow},
		{"prefix only", obj("s3:GetObject", "b", "docs/"), Allow},
		{"prefix mismatch", obj("s3:GetObject", "b", "doc/a"), NotApplicable},
		{"question mark", obj("s3:GetObject", "b", "a.txt"), Allow},
		{"question mark one char", obj("s3:GetObject", "b", "ab.txt"), NotApplicable},
		{"star crosses slashes", obj("s3:GetObject", "logs-eu", "2024/01/app.log"), Allow},
		{"star middle mismatch", obj("s3:GetObject", "logs-eu", "2024/01/db.log"), NotApplicable},
		{"service level", obj("s3:ListAllMyBuckets", "", ""), Allow},
		{"case-sensitive", obj("s3:PutObject", "b", "k"), NotApplicable},
	})
	star := mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:ListAllMyBuckets"`, `"*"`, "")))
	runEval(t, star, []evalCase{{"star resource", obj("s3:ListAllMyBuckets", "", ""), Allow}})
	one := mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:ListAllMyBuckets"`, `"arn:aws:s3:::b"`, "")))
	runEval(t, one, []evalCase{{"bucket ARN is not the service resource", obj("s3:ListAllMyBuckets", "", ""), NotApplicable}})
}

func TestResourceARN(t *testing.T) {
	for _, c := range [][3]string{
		{"", "", "arn:aws:s3:::*"},
		{"b", "", "arn:aws:s3:::b"},
		{"b", "k/l", "arn:aws:s3:::b/k/l"},
	} {
		if got := ResourceARN(c[0], c[1]); got != c[2] {
			t.Errorf("ResourceARN(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func TestExplicitDenyWins(t *testing.T) {
	p := mustParse(t, IdentityPolicy, idPolicy(
		allow(`"s3:*"`, `"*"`, ""),
		deny(`"s3:DeleteObject"`, `"arn:aws:s3:::b/keep/*"`, ""),
		deny(`"s3:*"`, `"*"`, `{"Bool":{"aws:SecureTransport":"false"}}`),
	))
	runEval(t, p, []evalCase{
		{"allowed", Request{Action: "s3:DeleteObject", Bucket: "b", Key: "tmp/x", SecureTransport: true}, Allow},
		{"denied by resource", Request{Action: "s3:DeleteObject", Bucket: "b", Key: "keep/x", SecureTransport: true}, Deny},
		{"denied by condition", Request{Action: "s3:GetObject", Bucket: "b", Key: "x"}, Deny},
	})
	// Deny in one policy beats Allow in another.
	allowAll := mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:*"`, `"*"`, "")))
	denyGet := mustParse(t, IdentityPolicy, idPolicy(deny(`"s3:GetObject"`, `"*"`, "")))
	r := obj("s3:GetObject", "b", "k")
	if d := Decide(&r, allowAll, denyGet); d != Deny {
		t.Errorf("Decide(allow, deny) = %v", d)
	}
	if d := Decide(&r, denyGet, allowAll); d != Deny {
		t.Errorf("Decide(deny, allow) = %v", d)
	}
	r2 := obj("s3:PutObject", "b", "k")
	if d := Decide(&r2, allowAll, denyGet); d != Allow {
		t.Errorf("Decide for an action only allowed = %v", d)
	}
}

func TestNoPolicyIsImplicitDeny(t *testing.T) {
	r := obj("s3:GetObject", "b", "k")
	if d := Decide(&r); d != NotApplicable {
		t.Errorf("Decide() = %v", d)
	}
	if d := Decide(&r, nil, nil); d != NotApplicable {
		t.Errorf("Decide(nil, nil) = %v", d)
	}
	var p *Policy
	if d := p.Evaluate(&r); d != NotApplicable {
		t.Errorf("nil policy = %v", d)
	}
	if d := Decide(nil, Must(Predefined(PolicyReadWrite))); d != NotApplicable {
		t.Errorf("nil request = %v", d)
	}
	other := mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:PutObject"`, `"*"`, "")))
	if d := Decide(&r, other); d != NotApplicable {
		t.Errorf("unrelated policy = %v", d)
	}
}

// Must returns p, panicking if ok is false (test helper for Predefined).
func Must(p *Policy, ok bool) *Policy {
	if !ok {
		panic("no such policy")
	}
	return p
}

func TestIntersections(t *testing.T) {
	parent := []*Policy{mustParse(t, IdentityPolicy, idPolicy(
		allow(`["s3:GetObject","s3:PutObject","s3:ListBucket"]`, `["arn:aws:s3:::b","arn:aws:s3:::b/*"]`, ""),
		deny(`"s3:PutObject"`, `"arn:aws:s3:::b/locked/*"`, ""),
	))}
	narrower := []*Policy{mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:GetObject"`, `"arn:aws:s3:::b/*"`, "")))}
	wider := []*Policy{mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:*"`, `"*"`, "")))}
	denying := []*Policy{mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:*"`, `"*"`, ""), deny(`"s3:GetObject"`, `"arn:aws:s3:::b/private/*"`, "")))}

	cases := []struct {
		name          string
		req           Request
		parent, child []*Policy
		want          Decision
	}{
		{"narrower allows what both allow", obj("s3:GetObject", "b", "k"), parent, narrower, Allow},
		{"narrower removes put", obj("s3:PutObject", "b", "k"), parent, narrower, NotApplicable},
		{"wider cannot add delete", obj("s3:DeleteObject", "b", "k"), parent, wider, NotApplicable},
		{"wider cannot add another bucket", obj("s3:GetObject", "c", "k"), parent, wider, NotApplicable},
		{"wider keeps parent's allows", obj("s3:PutObject", "b", "k"), parent, wider, Allow},
		{"parent deny survives a wider child", obj("s3:PutObject", "b", "locked/k"), parent, wider, Deny},
		{"child deny", obj("s3:GetObject", "b", "private/k"), parent, denying, Deny},
		{"empty child allows nothing", obj("s3:GetObject", "b", "k"), parent, nil, NotApplicable},
		{"empty parent allows nothing", obj("s3:GetObject", "b", "k"), nil, wider, NotApplicable},
	}
	for _, c := range cases {
		r := c.req
		if got := DecideIntersect(&r, c.parent, c.child); got != c.want {
			t.Errorf("%s: DecideIntersect = %v, want %v", c.name, got, c.want)
		}
		// The same through the building blocks.
		if got := Intersect(Decide(&r, c.parent...), Decide(&r, c.child...)); got != c.want {
			t.Errorf("%s: Intersect(Decide, Decide) = %v, want %v", c.name, got, c.want)
		}
	}
	if DecideIntersect(nil, parent, narrower) != NotApplicable {
		t.Error("nil request")
	}
}

func TestUnionIntersectTables(t *testing.T) {
	ds := []Decision{NotApplicable, Allow, Deny}
	union := [3][3]Decision{
		{NotApplicable, Allow, Deny},
		{Allow, Allow, Deny},
		{Deny, Deny, Deny},
	}
	inter := [3][3]Decision{
		{NotApplicable, NotApplicable, Deny},
		{NotApplicable, Allow, Deny},
		{Deny, Deny, Deny},
	}
	for i, a := range ds {
		for j, b := range ds {
			if got := Union(a, b); got != union[i][j] {
				t.Errorf("Union(%v, %v) = %v", a, b, got)
			}
			if got := Intersect(a, b); got != inter[i][j] {
				t.Errorf("Intersect(%v, %v) = %v", a, b, got)
			}
		}
	}
	if NotApplicable.String() != "NotApplicable" || Allow.String() != "Allow" || Deny.String() != "Deny" {
		t.Error("Decision.String")
	}
}

func TestBucketPolicyPrincipals(t *testing.T) {
	p := mustParse(t, BucketPolicy, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["alice","arn:aws:iam::123456789012:user/team/bob"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
		{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"},
		{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetBucketLocation","Resource":"arn:aws:s3:::b"},
		{"Effect":"Deny","NotPrincipal":{"AWS":"alice"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"},
		{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}
	]}`)
	runEval(t, p, []evalCase{
		{"named user", Request{Action: "s3:GetObject", Bucket: "b", Key: "k", Principal: "alice"}, Allow},
		{"user from ARN", Request{Action: "s3:GetObject", Bucket: "b", Key: "k", Principal: "bob"}, Allow},
		{"request principal as ARN", Request{Action: "s3:GetObject", Bucket: "b", Key: "k", Principal: "arn:aws:iam::000000000000:user/alice"}, Allow},
		{"other user", Request{Action: "s3:GetObject", Bucket: "b", Key: "k", Principal: "carol"}, NotApplicable},
		{"anonymous not named", Request{Action: "s3:GetObject", Bucket: "b", Key: "k"}, NotApplicable},
		{"star includes anonymous", Request{Action: "s3:ListBucket", Bucket: "b"}, Allow},
		{"AWS star includes anonymous", Request{Action: "s3:GetBucketLocation", Bucket: "b"}, Allow},
		{"star includes users", Request{Action: "s3:ListBucket", Bucket: "b", Principal: "carol"}, Allow},
		{"NotPrincipal spares alice", Request{Action: "s3:DeleteObject", Bucket: "b", Key: "k", Principal: "alice"}, Allow},
		{"NotPrincipal denies others", Request{Action: "s3:DeleteObject", Bucket: "b", Key: "k", Principal: "carol"}, Deny},
		{"NotPrincipal denies anonymous", Request{Action: "s3:DeleteObject", Bucket: "b", Key: "k"}, Deny},
	})
	none := mustParse(t, BucketPolicy, `{"Statement":{"Effect":"Deny","NotPrincipal":"*","Action":"s3:GetObject","Resource":"*"}}`)
	runEval(t, none, []evalCase{{"NotPrincipal * matches nobody", Request{Action: "s3:GetObject", Bucket: "b", Key: "k", Principal: "x"}, NotApplicable}})
	// Identity policies ignore Request.Principal.
	id := mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:GetObject"`, `"*"`, "")))
	runEval(t, id, []evalCase{{"identity ignores principal", Request{Action: "s3:GetObject", Bucket: "b", Key: "k", Principal: "whoever"}, Allow}})
}

func TestPolicyVariablesInResources(t *testing.T) {
	p := mustParse(t, IdentityPolicy, idPolicy(
		allow(`"s3:*"`, `["arn:aws:s3:::home/${aws:username}/*","arn:aws:s3:::shared/${aws:userid, 'anon'}/*"]`, ""),
		allow(`"s3:GetObject"`, `"arn:aws:s3:::lit/${*}${?}${$}"`, ""),
		allow(`"s3:ListBucket"`, `"arn:aws:s3:::${s3:prefix}"`, ""),
	))
	runEval(t, p, []evalCase{
		{"own home", Request{Action: "s3:PutObject", Bucket: "home", Key: "alice/x", Username: "alice"}, Allow},
		{"other's home", Request{Action: "s3:PutObject", Bucket: "home", Key: "bob/x", Username: "alice"}, NotApplicable},
		{"no username", Request{Action: "s3:PutObject", Bucket: "home", Key: "/x"}, NotApplicable},
		{"no username, no match even for empty segment", Request{Action: "s3:PutObject", Bucket: "home", Key: "alice/x"}, NotApplicable},
		{"value is literal", Request{Action: "s3:PutObject", Bucket: "home", Key: "alice/x", Username: "*"}, NotApplicable},
		{"default used", Request{Action: "s3:GetObject", Bucket: "shared", Key: "anon/x"}, Allow},
		{"default not used", Request{Action: "s3:GetObject", Bucket: "shared", Key: "anon/x", UserID: "AID1"}, NotApplicable},
		{"userid", Request{Action: "s3:GetObject", Bucket: "shared", Key: "AID1/x", UserID: "AID1"}, Allow},
		{"escapes", obj("s3:GetObject", "lit", "*?$"), Allow},
		{"escapes are literal", obj("s3:GetObject", "lit", "ab$"), NotApplicable},
		{"map variable", Request{Action: "s3:ListBucket", Bucket: "pfx", Conditions: map[string][]string{"s3:prefix": {"pfx"}}}, Allow},
	})
	old := mustParse(t, IdentityPolicy, `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}`)
	runEval(t, old, []evalCase{
		{"2008: variable is literal text", Request{Action: "s3:PutObject", Bucket: "home", Key: "${aws:username}/x", Username: "alice"}, Allow},
		{"2008: not substituted", Request{Action: "s3:PutObject", Bucket: "home", Key: "alice/x", Username: "alice"}, NotApplicable},
	})
	none := mustParse(t, IdentityPolicy, `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}`)
	runEval(t, none, []evalCase{
		{"no Version: 2008 semantics", Request{Action: "s3:PutObject", Bucket: "home", Key: "alice/x", Username: "alice"}, NotApplicable},
	})
}

func TestPolicyVariablesInConditions(t *testing.T) {
	p := mustParse(t, IdentityPolicy, idPolicy(
		allow(`"s3:ListBucket"`, `"arn:aws:s3:::home"`, `{"StringLike":{"s3:prefix":["${aws:username}/*","${aws:username}"]}}`),
		deny(`"s3:ListBucket"`, `"arn:aws:s3:::home"`, `{"StringNotEquals":{"s3:delimiter":"${aws:userid}"},"Null":{"s3:delimiter":"false"}}`),
	))
	req := func(user, userid, prefix, delim string) Request {
		c := map[string][]string{"s3:prefix": {prefix}}
		if delim != "" {
			c["s3:delimiter"] = []string{delim}
		}
		return Request{Action: "s3:ListBucket", Bucket: "home", Username: user, UserID: userid, Conditions: c}
	}
	runEval(t, p, []evalCase{
		{"own prefix", req("alice", "", "alice/docs/", ""), Allow},
		{"own prefix exact", req("alice", "", "alice", ""), Allow},
		{"other prefix", req("alice", "", "bob/", ""), NotApplicable},
		{"no user: no value matches", req("", "", "/x", ""), NotApplicable},
		{"negated with value", req("alice", "AID", "alice/", "/"), Deny},
		{"negated equal", req("alice", "/", "alice/", "/"), Allow},
		{"negated with unresolved variable is false", req("alice", "", "alice/", "/"), Allow},
	})
}

func TestRequestTypedKeys(t *testing.T) {
	// Typed fields win over the Conditions map for their keys.
	p := mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:GetObject"`, `"*"`, `{"StringEquals":{"aws:username":"alice"}}`)))
	r := Request{Action: "s3:GetObject", Bucket: "b", Key: "k", Conditions: map[string][]string{"aws:username": {"alice"}}}
	if d := p.Evaluate(&r); d != NotApplicable {
		t.Errorf("map value used for a typed key: %v", d)
	}
	r.Username = "alice"
	if d := p.Evaluate(&r); d != Allow {
		t.Errorf("typed key: %v", d)
	}
	// IPv4-mapped IPv6 source addresses match IPv4 blocks.
	ip := mustParse(t, IdentityPolicy, idPolicy(allow(`"s3:GetObject"`, `"*"`, `{"IpAddress":{"aws:SourceIp":"10.1.0.0/16"}}`)))
	r = Request{Action: "s3:GetObject", Bucket: "b", Key: "k", SourceIP: netip.MustParseAddr("::ffff:10.1.2.3")}
	if d := ip.Evaluate(&r); d != Allow {
		t.Errorf("mapped address: %v", d)
	}
}
