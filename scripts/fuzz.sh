#!/usr/bin/env bash
# Runs every fuzz target in the module for the given time (default 5s).
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-5s}"
fail=0
while IFS= read -r line; do
  file="${line%%:*}"
  name="$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"${line#*:}")"
  pkg="./$(dirname "$file")"
  echo "fuzz $pkg $name ($t)"
  if ! go test -run='^$' -fuzz="^${name}\$" -fuzztime="$t" "$pkg" >/tmp/tessera-fuzz.log 2>&1; then
    cat /tmp/tessera-fuzz.log; fail=1
  fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . | sed -E 's/^\.\///; s/^([^:]*):[0-9]+:/\1:/')
exit $fail
