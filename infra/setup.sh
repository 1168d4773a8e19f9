#!/usr/bin/env bash
# Installs what the project needs on Debian 12 (PostgreSQL 15 server, poppler-utils for PDF text, Node for the OpenAPI linter, Chromium for the console's browser tests)
# and builds the solution. Safe to run again: it installs only what is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi

need=()
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
command -v afl-fuzz >/dev/null 2>&1 || need+=(afl++)
# The console's browser tests drive Debian's Chromium through Playwright (which never downloads a browser here).
[ -x /usr/lib/chromium/chromium ] || [ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian starts a system cluster on install; the project runs its own clusters on other ports, so stop it.
if command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | grep -q online; then
  $sudo_cmd pg_ctlcluster --force "$(pg_lsclusters -h | awk 'NR==1{print $1}')" main stop >/dev/null 2>&1 || true
fi
"$root/infra/native/build.sh"
# The OpenAPI linter the service tests run over /openapi/v1.json.
"$root/infra/openapi-lint.sh" --install
echo "setup: building" >&2
dotnet build "$root/Search.sln" -c Release -nologo -v q
