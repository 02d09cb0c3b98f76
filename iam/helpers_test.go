package iam

import (
	"strings"
	"testing"
)

// mustParse parses doc or fails the test.
func mustParse(t testing.TB, kind Kind, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc), kind)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

// idPolicy builds an identity policy from statements (JSON objects).
func idPolicy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// allow builds a statement allowing action on resource with an optional
// condition block (a JSON object, or "").
func allow(action, resource, cond string) string {
	return stmt("Allow", action, resource, cond)
}

func deny(action, resource, cond string) string {
	return stmt("Deny", action, resource, cond)
}

func stmt(effect, action, resource, cond string) string {
	s := `{"Effect":"` + effect + `","Action":` + action + `,"Resource":` + resource
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + "}"
}
