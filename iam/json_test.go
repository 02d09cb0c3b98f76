package iam

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// toAny converts a jval to what encoding/json (with UseNumber) produces:
// the last of duplicated object members wins.
func toAny(v jval) any {
	switch v.kind {
	case jBool:
		return v.b
	case jNumber:
		return json.Number(v.str)
	case jString:
		return v.str
	case jArray:
		out := make([]any, len(v.arr))
		for i := range v.arr {
			out[i] = toAny(v.arr[i])
		}
		return out
	case jObject:
		out := make(map[string]any, len(v.obj))
		for _, f := range v.obj {
			out[f.name] = toAny(f.val)
		}
		return out
	}
	return nil
}

// checkJSONAgainstStdlib decodes doc with decodeJSON and encoding/json and
// reports any disagreement (validity or value).
func checkJSONAgainstStdlib(t *testing.T, doc []byte) {
	t.Helper()
	got, err := decodeJSON(doc)
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var want any
	stdErr := dec.Decode(&want)
	if stdErr == nil && dec.More() {
		stdErr = errTrailing
	}
	if stdErr == nil {
		// Decoder tolerates trailing values; json.Valid does not.
		if !json.Valid(doc) {
			stdErr = errTrailing
		}
	}
	if (err == nil) != (stdErr == nil) {
		if err != nil && strings.Contains(err.Error(), "nesting deeper") {
			return // our depth limit is lower than encoding/json's
		}
		t.Fatalf("doc %q: decodeJSON error %v, encoding/json error %v", doc, err, stdErr)
	}
	if err != nil {
		return
	}
	if g := toAny(got); !reflect.DeepEqual(g, want) {
		t.Fatalf("doc %q: decodeJSON %#v, encoding/json %#v", doc, g, want)
	}
}

var errTrailing = &json.SyntaxError{}

func TestDecodeJSONMatchesStdlib(t *testing.T) {
	docs := []string{
		`{}`, `[]`, `""`, `0`, `-0`, `1.5e+3`, `-12.5E-2`, `true`, `false`, `null`,
		` { "a" : [ 1 , "x" , { } ] } `, `{"a":1,"a":2}`,
		`"\u00e9\n\t\"\\\/\b\f\r"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`,
		"\"\xff\xfe\"", "\"caf\xc3\xa9\"", `"\u12"`, `"\x"`, "\"a\nb\"",
		`01`, `1.`, `.5`, `-`, `1e`, `+1`, `tru`, `nul`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`,
		`[1 2]`, `{"a":1} x`, `{"a":1}{}`, ``, `   `, `[`, `{"a":`, `"abc`, "\"\x01\"",
	}
	for _, d := range docs {
		checkJSONAgainstStdlib(t, []byte(d))
	}
}

func TestDecodeJSONDuplicatesAndDepth(t *testing.T) {
	v, err := decodeJSON([]byte(`{"a":1,"b":2,"a":3,"b":4}`))
	if err != nil || v.dup != "a" || len(v.obj) != 4 {
		t.Fatalf("dup = %q, err %v", v.dup, err)
	}
	deep := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	if _, err := decodeJSON([]byte(deep)); err != nil {
		t.Fatalf("depth %d: %v", maxJSONDepth, err)
	}
	_, err = decodeJSON([]byte("[" + deep + "]"))
	if err == nil || !strings.Contains(err.Error(), "nesting deeper than 64 levels") {
		t.Fatalf("too deep: %v", err)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x",{"b":null}]}`, `"\ud83d\ude00"`, `1e5`, tenStatements} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkJSONAgainstStdlib(t, doc)
	})
}
