package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tessera-s3/tessera/node/nodetest"
)

// run runs the tessera CLI (the s3 commands) against node n and returns
// what it printed.
func run(t *testing.T, n *nodetest.Node, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "tessera", SilenceUsage: true, SilenceErrors: true}
	g := &globals{}
	g.bind(root)
	root.AddCommand(s3Cmd(g))
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--endpoint", n.Endpoint, "--access-key", n.AccessKey, "--secret-key", n.SecretKey,
		"--region", n.Region}, args...))
	err := root.Execute()
	return out.String(), err
}

func mustRun(t *testing.T, n *nodetest.Node, args ...string) string {
	t.Helper()
	out, err := run(t, n, args...)
	if err != nil {
		t.Fatalf("tessera %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

type listedRule struct {
	ID     string            `json:"id"`
	Status string            `json:"status"`
	Prefix string            `json:"prefix"`
	Tags   map[string]string `json:"tags"`
	Days   int               `json:"days"`
}

func listRules(t *testing.T, n *nodetest.Node, bucket string) []listedRule {
	t.Helper()
	var rules []listedRule
	if err := json.Unmarshal([]byte(mustRun(t, n, "--json", "s3", "bucket", "lifecycle-rule", "list", bucket)), &rules); err != nil {
		t.Fatal(err)
	}
	return rules
}

func TestLifecycleRuleCommands(t *testing.T) {
	n := nodetest.Start(t)
	mustRun(t, n, "s3", "bucket", "create", "cli-bucket")

	if rules := listRules(t, n, "cli-bucket"); len(rules) != 0 {
		t.Fatalf("new bucket has rules: %+v", rules)
	}
	id1 := strings.TrimSpace(mustRun(t, n, "s3", "bucket", "lifecycle-rule", "add", "cli-bucket", "30", "--prefix", "logs/"))
	id2 := strings.TrimSpace(mustRun(t, n, "s3", "bucket", "lifecycle-rule", "add", "cli-bucket", "7", "--tags", "temp=yes"))
	id3 := strings.TrimSpace(mustRun(t, n, "s3", "bucket", "lifecycle-rule", "add", "cli-bucket", "1",
		"--prefix", "tmp/", "--tags", "a=1&b=two%26three"))
	id4 := strings.TrimSpace(mustRun(t, n, "s3", "bucket", "lifecycle-rule", "add", "cli-bucket", "365"))
	if len(id1) != 16 || id1 == id2 || id2 == id3 || id3 == id4 {
		t.Fatalf("ids %q %q %q %q", id1, id2, id3, id4)
	}
	rules := listRules(t, n, "cli-bucket")
	want := []listedRule{
		{ID: id1, Status: "Enabled", Prefix: "logs/", Tags: map[string]string{}, Days: 30},
		{ID: id2, Status: "Enabled", Tags: map[string]string{"temp": "yes"}, Days: 7},
		{ID: id3, Status: "Enabled", Prefix: "tmp/", Tags: map[string]string{"a": "1", "b": "two&three"}, Days: 1},
		{ID: id4, Status: "Enabled", Tags: map[string]string{}, Days: 365},
	}
	if got, _ := json.Marshal(rules); string(got) != string(must(json.Marshal(want))) {
		t.Fatalf("rules\n got %s\nwant %s", got, must(json.Marshal(want)))
	}
	table := mustRun(t, n, "s3", "bucket", "lifecycle-rule", "list", "cli-bucket")
	for _, s := range []string{"ID", "EXPIRES", id1 + "  Enabled  logs/", "after 30 days", "a=1&b=two%26three", "temp=yes"} {
		if !strings.Contains(table, s) {
			t.Errorf("table lacks %q:\n%s", s, table)
		}
	}

	mustRun(t, n, "s3", "bucket", "lifecycle-rule", "remove", "cli-bucket", id2)
	if rules := listRules(t, n, "cli-bucket"); len(rules) != 3 || rules[0].ID != id1 || rules[1].ID != id3 || rules[2].ID != id4 {
		t.Fatalf("after remove: %+v", rules)
	}
	if _, err := run(t, n, "s3", "bucket", "lifecycle-rule", "remove", "cli-bucket", id2); err == nil ||
		!strings.Contains(err.Error(), "no lifecycle rule") {
		t.Fatalf("removing a missing rule: %v", err)
	}

	// Bad input is refused before anything is sent, or by the server.
	for _, args := range [][]string{
		{"add", "cli-bucket", "0"},
		{"add", "cli-bucket", "-1"},
		{"add", "cli-bucket", "1.5"},
		{"add", "cli-bucket", "1", "--tags", "novalue"},
		{"add", "cli-bucket", "1", "--tags", "k=1&k=2"},
		{"add", "cli-bucket", "1", "--tags", "=v"},
		{"add", "no-such-bucket", "1"},
	} {
		if _, err := run(t, n, append([]string{"s3", "bucket", "lifecycle-rule"}, args...)...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if rules := listRules(t, n, "cli-bucket"); len(rules) != 3 {
		t.Fatalf("refused adds changed the rules: %+v", rules)
	}

	// Removing the last rule, or reset, leaves no configuration.
	mustRun(t, n, "s3", "bucket", "lifecycle-rule", "reset", "cli-bucket")
	if rules := listRules(t, n, "cli-bucket"); len(rules) != 0 {
		t.Fatalf("after reset: %+v", rules)
	}
	id := strings.TrimSpace(mustRun(t, n, "s3", "bucket", "lifecycle-rule", "add", "cli-bucket", "2"))
	mustRun(t, n, "s3", "bucket", "lifecycle-rule", "remove", "cli-bucket", id)
	if rules := listRules(t, n, "cli-bucket"); len(rules) != 0 {
		t.Fatalf("after removing the last rule: %+v", rules)
	}
	mustRun(t, n, "s3", "bucket", "lifecycle-rule", "reset", "cli-bucket") // nothing to reset: fine
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
