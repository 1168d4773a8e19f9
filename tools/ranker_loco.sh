#!/usr/bin/env bash
# Leave-one-collection-out judgement of the learned ranker: for each dev set, train on the others
# (`./search ranker train`), then evaluate `--mode ranked` with that model against `--mode hybrid` on the
# held-out set, in the same build. Usage: tools/ranker_loco.sh OUT_DIR [extra ./search options...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: tools/ranker_loco.sh OUT_DIR [options]}"; shift
data="$root/../shared/data"
mkdir -p "$out"
beir=(cranfield cisi med)
for held in "${beir[@]}" qmsum_retrieval; do
  args=()
  for s in "${beir[@]}" qmsum_retrieval; do
    [ "$s" = "$held" ] && continue
    # The transcripts' model is trained on the BEIR sets only (the issue's protocol); so is each BEIR fold, plus the transcripts.
    args+=(--data "$data/$s")
  done
  "$root/search" ranker train "${args[@]}" --out "$out/without-$held.json" "$@" 2>/dev/null | tail -1 > "$out/train-$held.json"
  for mode in hybrid ranked; do
    if [ "$held" = qmsum_retrieval ]; then
      "$root/search" eval-spans --data "$data/$held" --mode "$mode" --ranker "$out/without-$held.json" --run "$out/$held-$mode.jsonl" "$@" 2>/dev/null | tail -1 > "$out/$held-$mode.json"
    else
      "$root/search" eval --data "$data/$held" --mode "$mode" --ranker "$out/without-$held.json" --run "$out/$held-$mode.run" "$@" 2>/dev/null | tail -1 > "$out/$held-$mode.json"
    fi
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
rows = []
for held in ["cranfield", "cisi", "med", "qmsum_retrieval"]:
    key = "ndcg@10_once" if held == "qmsum_retrieval" else "ndcg@10"
    h = json.load(open(os.path.join(out, f"{held}-hybrid.json")))[key]
    r = json.load(open(os.path.join(out, f"{held}-ranked.json")))[key]
    rows.append((held, key, h, r))
    print(f"{held:16s} {key:13s} hybrid {h:.4f} ranked {r:.4f} delta {100 * (r - h):+.2f}")
beir = [r for r in rows if r[0] != "qmsum_retrieval"]
mean = sum(r[3] - r[2] for r in beir) / len(beir)
print(json.dumps({"beir_mean_delta_points": round(100 * mean, 2), **{f"{r[0]}_delta_points": round(100 * (r[3] - r[2]), 2) for r in rows}}))
PY
