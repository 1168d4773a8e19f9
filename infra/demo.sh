#!/usr/bin/env bash
# The main job on the embedded default: installs and builds, ingests the sample corpus, starts the
# service on 127.0.0.1, and shows example queries through curl and ./search.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${SEARCH_PORT:-8080}"
export SEARCH_DATA_DIR="${SEARCH_DATA_DIR:-$root/.data}"
"$root/infra/setup.sh"

# A service left by an earlier run would own the indexes; stop it so the ingest below indexes them itself.
pidfile="$SEARCH_DATA_DIR/serve.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  kill "$(cat "$pidfile")"
  while kill -0 "$(cat "$pidfile")" 2>/dev/null; do sleep 0.2; done
fi

echo "== ingesting samples/corpus into collection 'samples' (store: $SEARCH_DATA_DIR)"
"$root/search" ingest "$root/samples/corpus" --collection samples

echo "== starting the service on http://127.0.0.1:$port (log: $SEARCH_DATA_DIR/serve.log)"
nohup "$root/search" serve --urls "http://127.0.0.1:$port" >"$SEARCH_DATA_DIR/serve.log" 2>&1 &
echo $! >"$pidfile"
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$port/health" >/dev/null || { echo "the service did not start; see $SEARCH_DATA_DIR/serve.log" >&2; exit 1; }

echo
echo "== example queries over REST (top hit of each)"
while IFS= read -r q; do
  [ -n "$q" ] || continue
  echo "\$ curl -s 'http://127.0.0.1:$port/collections/samples/search?q=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote_plus(sys.argv[1]))' "$q")&k=1'"
  curl -fs "http://127.0.0.1:$port/collections/samples/search" -G --data-urlencode "q=$q" -d k=1 | python3 -c '
import json, sys
r = json.load(sys.stdin)
for h in r["hits"]:
    where = h["sectionPath"] or ""
    if h.get("startSeconds") is not None:
        where += " [%d:%02d]" % divmod(int(h["startSeconds"]), 60)
    print("  -> %.2f  %s  %s" % (h["score"], h["title"], where))
    print("     " + h["text"][:200].replace("\n", " ") + ("…" if len(h["text"]) > 200 else ""))'
done <"$root/samples/queries.txt"

echo
echo "== the dense side: which encoder made the vectors, and what runs it"
echo "\$ curl -s http://127.0.0.1:$port/admin/collections/samples/dense"
curl -fs "http://127.0.0.1:$port/admin/collections/samples/dense" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("  -> embedder %s on %s: %d segments, %d dimensions" % (d["embedder"], d["runtime"], d["segments"], d["dimension"]))'

echo
echo "== a hybrid query (BM25 and the encoder's vectors fused), each hit with both ranks"
q="who decided the battery should be rechargeable"
echo "\$ curl -s 'http://127.0.0.1:$port/collections/samples/search?q=...&mode=hybrid&k=3'"
curl -fs "http://127.0.0.1:$port/collections/samples/search" -G --data-urlencode "q=$q" -d mode=hybrid -d k=3 | python3 -c '
import json, sys
for h in json.load(sys.stdin)["hits"]:
    c = h["components"]
    print("  -> %.3f  bm25 rank %d, dense rank %d  %s  %s" % (h["score"], c.get("bm25_rank", 0), c.get("dense_rank", 0), h["title"], (h.get("chapter") or {}).get("title", "")))'

echo
echo "== the same query ranked: the shipped learned ranker re-scores the hybrid top 30 with the packaged encoders' evidence"
echo "\$ curl -s 'http://127.0.0.1:$port/collections/samples/search?q=...&mode=ranked&k=3'"
curl -fs "http://127.0.0.1:$port/collections/samples/search" -G --data-urlencode "q=$q" -d mode=ranked -d k=3 | python3 -c '
import json, sys
r = json.load(sys.stdin)
for w in r.get("warnings", []): print("  note: " + w)
for h in r["hits"]:
    c = h["components"]
    print("  -> %.3f  ranker rank %d, hybrid rank %d  %s  %s" % (h["score"], c.get("ranker_rank", 0), c.get("hybrid_rank", 0), h["title"], (h.get("chapter") or {}).get("title", "")))'

echo
echo "== OpenAI-style embeddings from the default encoder (no model named)"
echo "\$ curl -s http://127.0.0.1:$port/v1/embeddings -H 'content-type: application/json' -d '{\"input\": \"rechargeable battery\"}'"
curl -fs "http://127.0.0.1:$port/v1/embeddings" -H 'content-type: application/json' -d '{"input": "rechargeable battery"}' | python3 -c '
import json, sys
r = json.load(sys.stdin)
v = r["data"][0]["embedding"]
print("  -> model %s: %d numbers, starting %s" % (r["model"], len(v), ", ".join("%.4f" % x for x in v[:4])))'

echo
echo "== the same from the command line"
echo "\$ ./search query \"refund policy for annual plans\" --collection samples --k 2"
"$root/search" query "refund policy for annual plans" --collection samples --k 2

echo
echo "== the same through the running service (the command line as its client)"
echo "\$ ./search query \"kinetic energy remote control\" --collection samples --k 1 --service http://127.0.0.1:$port"
"$root/search" query "kinetic energy remote control" --collection samples --k 1 --service "http://127.0.0.1:$port"

echo
echo "== a Semantic Kernel kernel with the collection as its plugin (samples/SemanticKernel)"
echo "\$ dotnet samples/SemanticKernel/bin/Release/net10.0/Search.SemanticKernel.Sample.dll --url http://127.0.0.1:$port \"what happens to my refund if my account is terminated\""
dotnet "$root/samples/SemanticKernel/bin/Release/net10.0/Search.SemanticKernel.Sample.dll" --url "http://127.0.0.1:$port" "what happens to my refund if my account is terminated"

cat <<TXT

The admin console: http://127.0.0.1:$port/console/ (no sign-in on loopback without a master key).
The service is running (pid $(cat "$pidfile")). Try:
  curl -s 'http://127.0.0.1:$port/collections/samples/search?q=varroa+mites&k=3'
  curl -s 'http://127.0.0.1:$port/collections/samples/search?q=gearbox&group=document'
  curl -s -X POST 'http://127.0.0.1:$port/collections/samples/documents?wait=indexed' -H 'content-type: application/json' \\
       -d '{"id": "note-1", "title": "Note", "text": "Lighthouses use Fresnel lenses."}'
  curl -s -F file=@samples/corpus/annual-report.md http://127.0.0.1:$port/collections/samples/documents/upload
  curl -s http://127.0.0.1:$port/collections/samples
  curl -s http://127.0.0.1:$port/openapi/v1.json
  ./search query "kinetic energy remote control" --collection samples
  ./search query "who decided the battery should be rechargeable" --collection samples --mode hybrid
  ./search eval --data ../shared/data/cranfield --mode bm25 --run /tmp/cranfield.run
Stop it with: kill \$(cat $pidfile)
TXT
