#!/usr/bin/env bash
# Runs every fuzz target in the module for the given time (default 5s).
# A crasher fails the run (go test writes it under testdata/fuzz/ and prints
# "Failing input written to"). Go's fuzzer can also end with a bare
# "context deadline exceeded" when the time runs out while a worker is still
# executing an input on a loaded machine; that is not a finding, so such a
# target is run once more and only a repeat without a crasher is tolerated.
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-5s}"
fail=0
log=$(mktemp)
run() { go test -run='^$' -fuzz="^$2\$" -fuzztime="$t" "$1" >"$log" 2>&1; }
while IFS= read -r line; do
  file="${line%%:*}"
  name="$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"${line#*:}")"
  pkg="./$(dirname "$file")"
  echo "fuzz $pkg $name ($t)"
  if run "$pkg" "$name"; then continue; fi
  if ! grep -q "Failing input written to" "$log" && grep -q "context deadline exceeded" "$log"; then
    echo "  (fuzzer timed out mid-input without a finding; running again)"
    if run "$pkg" "$name"; then continue; fi
    if ! grep -q "Failing input written to" "$log" && grep -q "context deadline exceeded" "$log"; then
      echo "  (timed out again without a finding: not a crasher)"
      continue
    fi
  fi
  cat "$log"
  fail=1
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . | sed -E 's/^\.\///; s/^([^:]*):[0-9]+:/\1:/')
rm -f "$log"
exit $fail
