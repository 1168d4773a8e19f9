#!/usr/bin/env bash
# Build (if needed) and run the Lucene 8.8 reference benchmark.
# Usage: run.sh DOCS_FILE QUERIES_FILE INDEX_DIR RESULTS_OUT k1 b
# Env: LUCENE_BENCH_JAVA_OPTS (default "-Xmx8g") replaces the JVM options.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$SCRIPT_DIR/LuceneBench.java"
BUILD_DIR="${TMPDIR:-/tmp}/search-lucene-bench"
JAVA_DIR=/usr/share/java

if [[ $# -ne 6 ]]; then
    echo "usage: $0 DOCS_FILE QUERIES_FILE INDEX_DIR RESULTS_OUT k1 b" >&2
    exit 2
fi

# Prefer the jars owned by liblucene8-java (Debian's 8.8.1 package names them *-8.7.0.jar);
# fall back to any /usr/share/java/NAME[-version].jar.
find_jar() {
    local name="$1" j
    j="$(dpkg -L liblucene8-java 2>/dev/null | grep -E "^$JAVA_DIR/$name(-[0-9][^/]*)?\.jar\$" | head -n1 || true)"
    if [[ -n "$j" && -f "$j" ]]; then echo "$j"; return 0; fi
    for j in "$JAVA_DIR/$name".jar "$JAVA_DIR/$name"-8.*.jar; do
        if [[ -f "$j" ]]; then echo "$j"; return 0; fi
    done
    return 1
}

if ! find_jar lucene-core >/dev/null || ! find_jar lucene-analyzers-common >/dev/null; then
    SUDO=""
    if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi
    echo "installing liblucene8-java ..." >&2
    if ! $SUDO apt-get install -y -qq liblucene8-java >&2; then
        $SUDO apt-get update -qq >&2
        $SUDO apt-get install -y -qq liblucene8-java >&2
    fi
fi

CORE_JAR="$(find_jar lucene-core)"
ANALYZERS_JAR="$(find_jar lucene-analyzers-common)"
CP="$CORE_JAR:$ANALYZERS_JAR"

mkdir -p "$BUILD_DIR"
CLASS="$BUILD_DIR/LuceneBench.class"
if [[ ! -f "$CLASS" || "$SRC" -nt "$CLASS" ]]; then
    echo "compiling LuceneBench.java -> $BUILD_DIR" >&2
    javac --release 17 -nowarn -cp "$CP" -d "$BUILD_DIR" "$SRC"
fi

# shellcheck disable=SC2086
exec java ${LUCENE_BENCH_JAVA_OPTS:--Xmx8g} -cp "$CP:$BUILD_DIR" LuceneBench "$@"
