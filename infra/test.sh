#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing (PostgreSQL, poppler-utils, Node, afl++), builds, runs every
# test project, then fuzzes every input parser for a few seconds each (SEARCH_FUZZ_SECONDS, 0 skips it). The PostgreSQL tests start their own server on 127.0.0.1 through infra/postgres.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/infra/setup.sh"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test "$root/Search.sln" -c Release --no-build -nologo 2>&1 | tee "$log" || status=$?
# A bounded fuzz run over every target (afl++ through SharpFuzz); a crash or hang fails the suite.
fuzz_seconds="${SEARCH_FUZZ_SECONDS:-8}"
if [ "$fuzz_seconds" -gt 0 ]; then
  "$root/tools/fuzz.sh" "$fuzz_seconds" | tail -1 || status=1
fi
# One closing line in the plain 'N passed, N failed' form, summed over every test assembly.
awk '/(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $status
