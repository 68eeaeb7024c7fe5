#!/usr/bin/env bash
# fuzz.sh PKG TARGET FUZZTIME: go test -fuzz on one target, where a failure
# counts when it is one. Go 1.26's fuzz coordinator may report the end of
# -fuzztime itself as "context deadline exceeded" while a worker is in the
# middle of an input (golang/go#75804, fixed in Go 1.27); such a run wrote
# no failing input, found nothing, and passes here with a note.
set -uo pipefail
pkg=$1 target=$2 fuzztime=$3
out=$(go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ $rc -ne 0 ] && ! grep -q "Failing input written to" <<<"$out" &&
  [ "$(grep -c -- '--- FAIL' <<<"$out")" = 1 ] && grep -q "^    context deadline exceeded$" <<<"$out"; then
  echo "fuzz.sh: $target stopped on golang/go#75804 (no failing input); not a failure"
  exit 0
fi
exit $rc
