package iam

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// refMatch is a straightforward reference wildcard matcher over runes:
// '*' any run, '?' one rune, everything else literal.
func refMatch(pat, s string) bool {
	p, r := []rune(pat), []rune(s)
	// dp[j] = pattern prefix of length i matches subject prefix of length j.
	dp := make([]bool, len(r)+1)
	dp[0] = true
	for i := 1; i <= len(p); i++ {
		next := make([]bool, len(r)+1)
		switch p[i-1] {
		case '*':
			next[0] = dp[0]
			for j := 1; j <= len(r); j++ {
				next[j] = next[j-1] || dp[j]
			}
		case '?':
			for j := 1; j <= len(r); j++ {
				next[j] = dp[j-1]
			}
		default:
			for j := 1; j <= len(r); j++ {
				next[j] = dp[j-1] && p[i-1] == r[j-1]
			}
		}
		dp = next
	}
	return dp[len(r)]
}

func compileWild(t testing.TB, pat string) *pattern {
	t.Helper()
	p, msg := compilePattern(pat, patOpts{wild: true})
	if msg != "" {
		t.Fatalf("compilePattern(%q): %s", pat, msg)
	}
	return p
}

func TestMatchWildcard(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything/at/all", true},
		{"**", "x", true},
		{"?", "", false},
		{"?", "a", true},
		{"?", "ab", false},
		{"?", "é", true},
		{"??", "é", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"abc", "ABC", false},
		{"b/*", "b/k", true},
		{"b/*", "b/", true},
		{"b/*", "b", false},
		{"b/*", "bb/k", false},
		{"*.txt", "a/b.txt", true},
		{"*.txt", "a/b.txt.gz", false},
		{"*/*", "bucket/key", true},
		{"*/*", "bucket", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"a*b*c", "acb", false},
		{"a*b?c", "axxbyc", true},
		{"a*b?c", "abbbc", true},
		{"*a*a*a*", "aaa", true},
		{"*a*a*a*", "aa", false},
		{"*ab", "aab", true},
		{"*ab", "abab", true},
		{"*ab", "aba", false},
		{"?*", "", false},
		{"?*", "x", true},
		{"*?", "é", true},
		{"home/*/docs/*", "home/alice/docs/a.txt", true},
		{"home/*/docs/*", "home/alice/pics/a.txt", false},
		{"x*?y", "xy", false},
		{"x*?y", "xzy", true},
		{"日本*", "日本語", true},
		{"日?語", "日本語", true},
	}
	for _, c := range cases {
		p := compileWild(t, c.pat)
		if got := match(p, c.s, nil); got != c.want {
			t.Errorf("match(%q, %q) = %v, want %v", c.pat, c.s, got, c.want)
		}
		if got := match(p, []byte(c.s), nil); got != c.want {
			t.Errorf("match(%q, []byte(%q)) = %v, want %v", c.pat, c.s, got, c.want)
		}
		if ref := refMatch(c.pat, c.s); ref != c.want {
			t.Errorf("refMatch(%q, %q) = %v, want %v (test table is wrong)", c.pat, c.s, ref, c.want)
		}
	}
}

func TestMatchLiteralWhenNotWild(t *testing.T) {
	p, msg := compilePattern("a*b?", patOpts{})
	if msg != "" {
		t.Fatal(msg)
	}
	if !match(p, "a*b?", nil) || match(p, "aXbY", nil) {
		t.Fatal("non-wild pattern must compare literally")
	}
}

func TestMatchFold(t *testing.T) {
	p, msg := compilePattern("kelvin ${aws:username}", patOpts{vars: true, fold: true})
	if msg != "" {
		t.Fatal(msg)
	}
	pr := prep(&Request{Username: "Ωmega"})
	for s, want := range map[string]bool{
		"kelvin ωMEGA": true, "KELVIN Ωmega": true, "kelvin omega": false, "kelvin ωmega!": false,
		"\u212Aelvin Ωmega": true, // the Kelvin sign folds to k
	} {
		if got := match(p, s, pr); got != want {
			t.Errorf("fold match %q = %v, want %v", s, got, want)
		}
	}
}

func prep(r *Request) *prepared {
	pr := &prepared{}
	pr.init(r)
	return pr
}

func TestPatternVariables(t *testing.T) {
	pr := prep(&Request{Username: "a*b", Conditions: map[string][]string{"s3:prefix": {"p/"}, "s3:delimiter": {"x", "y"}}})
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"home/${aws:username}/*", "home/a*b/x", true},
		// Variable values are literal, not wildcards.
		{"home/${aws:username}/*", "home/aXXb/x", false},
		{"${s3:prefix}*", "p/q", true},
		{"${s3:prefix}*", "q/p", false},
		// Absent variable: nothing matches.
		{"home/${aws:userid}/*", "home//x", false},
		{"*${aws:userid}*", "anything", false},
		// Defaults.
		{"home/${aws:userid, 'nobody'}/*", "home/nobody/x", true},
		{"${aws:userid,'it''s'}", "it's", true},
		{"${ aws:userid , 'a}b' }", "a}b", true},
		// A multi-valued request value is not a single value.
		{"${s3:delimiter}", "x", false},
		{"${s3:delimiter, 'd'}", "d", true},
		// Escapes.
		{"a${*}b", "a*b", true},
		{"a${*}b", "aXb", false},
		{"a${?}b", "a?b", true},
		{"a${?}b", "aXb", false},
		{"a${$}b", "a$b", true},
		{"${$}{aws:username}", "${aws:username}", true},
		// Keys are case-insensitive.
		{"${AWS:UserName}", "a*b", true},
	}
	for _, c := range cases {
		p, msg := compilePattern(c.pat, patOpts{wild: true, vars: true})
		if msg != "" {
			t.Fatalf("compile %q: %s", c.pat, msg)
		}
		if got := match(p, c.s, pr); got != c.want {
			t.Errorf("match(%q, %q) = %v, want %v", c.pat, c.s, got, c.want)
		}
	}
}

func TestPatternVariableErrors(t *testing.T) {
	cases := map[string]string{
		"${aws:foo}":                 `unknown policy variable "${aws:foo}": unknown condition key "aws:foo"`,
		"a${aws:username":            `unterminated policy variable in "a${aws:username"`,
		"${}":                        `empty policy variable "${}"`,
		"${aws:username, nobody}":    `default value of policy variable "${aws:username, nobody}" must be in single quotes`,
		"${aws:username, 'a'b'c'}":   `default value of policy variable "${aws:username, 'a'b'c'}" has an unpaired quote`,
		"${aws:username, 'a'b'}":     `unterminated policy variable in "${aws:username, 'a'b'}"`,
		"${s3:RequestObjectTagKeys}": `policy variable "${s3:RequestObjectTagKeys}" names a multivalued key`,
	}
	for pat, want := range cases {
		_, msg := compilePattern(pat, patOpts{wild: true, vars: true})
		if msg != want {
			t.Errorf("compile %q: got %q, want %q", pat, msg, want)
		}
	}
	// Without variables (Version 2008) the same text is literal.
	p, msg := compilePattern("${aws:foo}", patOpts{wild: true})
	if msg != "" || !match(p, "${aws:foo}", nil) {
		t.Errorf("2008 pattern: %q %v", msg, p)
	}
}

func TestResourceFastPathsAgreeWithGeneral(t *testing.T) {
	pats := []string{"b", "b/k", "b/*", "b*", "*", "b/k/*", "bucket", "bucket/", "bucket/x*", "bu", "x/*", "b?", "*/k"}
	subjects := [][2]string{{"b", ""}, {"b", "k"}, {"b", "k/l"}, {"bucket", ""}, {"bucket", "x"}, {"bucket", "xy/z"}, {"", ""}, {"bb", "k"}}
	for _, ps := range pats {
		p := compileWild(t, ps)
		for _, sub := range subjects {
			pr := prep(&Request{Bucket: sub[0], Key: sub[1]})
			full := strings.TrimPrefix(ResourceARN(sub[0], sub[1]), arnPrefix)
			want := refMatch(ps, full)
			if got := pr.matchResource(p); got != want {
				t.Errorf("matchResource(%q, %q) = %v, want %v", ps, full, got, want)
			}
			if got := pr.matchResourceSlow(p); got != want {
				t.Errorf("matchResourceSlow(%q, %q) = %v, want %v", ps, full, got, want)
			}
		}
	}
}

func TestMatchLongKeyFallsBackToHeap(t *testing.T) {
	key := strings.Repeat("k", 5000) + ".txt"
	p := compileWild(t, "b/*k?txt")
	if !prep(&Request{Bucket: "b", Key: key}).matchResource(p) {
		t.Fatal("long key did not match")
	}
}

func TestRuneHelpers(t *testing.T) {
	s := "aé日\xff"
	want := []int{1, 2, 3, 1}
	i := 0
	for k, w := range want {
		if n := runeLenAt(s, i); n != w {
			t.Errorf("rune %d: len %d, want %d", k, n, w)
		}
		i += want[k]
	}
	if i != len(s) || !utf8.ValidString(s[:i-1]) {
		t.Fatal("walk")
	}
}
