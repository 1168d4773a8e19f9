#!/usr/bin/env bash
# Lints an OpenAPI document with Redocly's CLI, pinned and installed into infra/node/ on first use (needs node and npm;
# infra/setup.sh installs them). Exit 0 when the document has no errors; the report goes to stdout.
#   infra/openapi-lint.sh FILE.json
#   infra/openapi-lint.sh --install      only install it (infra/setup.sh does, so tests need no network)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="1.34.5" # the last line that runs on Debian 12's Node 18
prefix="$root/infra/node"
cli="$prefix/node_modules/.bin/redocly"
if [ ! -x "$cli" ] || ! grep -q "\"version\": \"$version\"" "$prefix/node_modules/@redocly/cli/package.json" 2>/dev/null; then
  echo "openapi-lint: installing @redocly/cli@$version into $prefix" >&2
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "@redocly/cli@$version" >&2
fi
[ "${1:-}" = "--install" ] && exit 0
[ $# -eq 1 ] || { echo "usage: infra/openapi-lint.sh FILE.json | --install" >&2; exit 2; }
# The recommended rules, run offline (no telemetry, no remote rulesets).
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true "$cli" lint --extends=recommended --format=stylish "$1"
