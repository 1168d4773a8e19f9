#!/usr/bin/env python3
"""Offline search for hybrid-fusion settings over candidate dumps (``./search eval|eval-spans --dump DIR``).

usage: fusion_tune.py [--dumps DIR] [--encoders a,b] [--sets cranfield,cisi,med,qmsum] [--grid NAME] [--top N]

DIR/<encoder>/<set>/ holds segments.jsonl, plain.f32, situated.f32 and queries.jsonl as CandidateDump writes them.
Each setting is replayed exactly as Ranking/Hybrid does it (query feedback, dense search, score normalisation,
weighting, neighbour smoothing, grouping by document for BEIR sets) and scored with the shared scorers
(../shared/scorers/ir_metrics.py and span_metrics.py), so a setting's numbers here are the ones ./search eval reports.
Prints every setting's scores, then the leave-one-collection-out table: for each set, the setting chosen on the others.
Tools only (numpy); never part of the product.
"""
import argparse, base64, itertools, json, math, os, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, '..', '..', 'shared'))
sys.path.insert(0, os.path.join(SHARED, 'scorers'))
import ir_metrics, span_metrics  # noqa: E402


class Dump:
    """One encoder's dump of one evaluation set."""

    def __init__(self, directory, name):
        self.name = name
        rows = [json.loads(l) for l in open(os.path.join(directory, 'segments.jsonl'), encoding='utf-8')]
        self.doc = [r['doc'] for r in rows]
        self.key = [(r['doc'], r['ordinal']) for r in rows]
        self.turns = [(r['first_turn'], r['last_turn']) for r in rows]
        n = len(rows)
        self.directory, self.count = directory, n
        names = {x: i for i, x in enumerate(dict.fromkeys(self.doc))}
        self.doc_index = np.array([names[x] for x in self.doc])
        self._vectors = {}
        self.queries = []
        for l in open(os.path.join(directory, 'queries.jsonl'), encoding='utf-8'):
            q = json.loads(l)
            bm = np.array(q['bm25'], dtype=np.float64).reshape(-1, 2)
            self.queries.append((q['id'], np.frombuffer(base64.b64decode(q['vector']), '<f4'), bm[:, 0].astype(np.int64), bm[:, 1]))
        self.spans = name == 'qmsum'
        if self.spans:
            self.qrels = span_metrics.load_qrels(os.path.join(SHARED, 'data', 'qmsum_retrieval'))
        else:
            self.qrels = ir_metrics.load_qrels(os.path.join(SHARED, 'data', name, 'qrels', 'test.tsv'))

    def vectors(self, kind):
        """Segment vectors: 'plain', 'situated', or any other <kind>.f32 beside them (e.g. an experiment's situating)."""
        if kind not in self._vectors:
            self._vectors[kind] = np.fromfile(os.path.join(self.directory, kind + '.f32'), '<f4').reshape(self.count, -1)
        return self._vectors[kind]

    def score(self, rankings, spread=0):
        """nDCG@10 (ndcg@10_once for spans) of row rankings, one per query, as the shared scorers compute it.
        spread > 0 skips a passage within that many segments of a better one of the same document."""
        run = {}
        for (qid, *_), rows in zip(self.queries, rankings):
            if self.spans:
                kept = []
                for r in rows:
                    d, o = self.key[r]
                    if spread and any(d == kd and abs(o - ko) <= spread for kd, ko in (self.key[k] for k in kept)):
                        continue
                    kept.append(r)
                    if len(kept) == 10:
                        break
                run[qid] = [(self.doc[r],) + self.turns[r] for r in kept]
            else:
                seen, docs = set(), []
                for r in rows:
                    d = self.doc[r]
                    if d not in seen:
                        seen.add(d)
                        docs.append(d)
                        if len(docs) == 10:
                            break
                run[qid] = docs
        if self.spans:
            return span_metrics.evaluate(self.qrels, run)['ndcg@10_once']
        return ir_metrics.evaluate(self.qrels, run)['ndcg@10']


def normalize(v):
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def query_vector(d, qvec, lex_rows, vectors, feedback, weight):
    if feedback <= 0 or len(lex_rows) == 0:
        return qvec
    c = normalize(vectors[lex_rows[:feedback]].sum(axis=0))
    return normalize(qvec + weight * c)


def zscore(x, over):
    m, s = over.mean(), over.std()
    return (x - m) / (s if s > 1e-12 else 1.0)


def gate(lex_scores, dense_scores, cfg):
    n = min(len(lex_scores), 100)
    if cfg['agree'] <= 0 or n < 3:
        return cfg['w']
    c = np.corrcoef(lex_scores[:n], dense_scores[:n])[0, 1]
    if not np.isfinite(c):
        return cfg['w']
    return cfg['w'] * min(max(c / cfg['agree'], 0.0), 1.0)


def document_evidence(d, rows, scores, k):
    """Per candidate: the mean of its document's k best candidate scores (a document the query is about holds several good passages)."""
    docs = d.doc_index[rows]
    order = np.lexsort((-scores, docs))
    sd, ss = docs[order], scores[order]
    starts = np.r_[0, np.flatnonzero(sd[1:] != sd[:-1]) + 1]
    ends = np.r_[starts[1:], len(sd)]
    mean = np.empty(len(starts))
    for i, (a, b) in enumerate(zip(starts, ends)):
        mean[i] = ss[a:min(b, a + k)].mean()
    per_doc = dict(zip(sd[starts].tolist(), mean.tolist()))
    return np.array([per_doc[x] for x in docs.tolist()])


def smooth(rows, scores, vectors, depth, neighbours, weight):
    n = min(depth, len(rows))
    if n < 2 or weight <= 0:
        return rows, scores
    top = scores[:n]
    lo, hi = top.min(), top.max()
    if hi - lo <= 1e-12:
        return rows, scores
    x = (top - lo) / (hi - lo)
    v = vectors[rows[:n]]
    sim = v @ v.T
    np.fill_diagonal(sim, -np.inf)
    k = min(neighbours, n - 1)
    nearest = np.argsort(-sim, axis=1, kind='stable')[:, :k]
    ns = np.take_along_axis(sim, nearest, axis=1)
    ns = np.where(ns > 0, ns, 0.0)
    mass = ns.sum(axis=1)
    mean = (ns * x[nearest]).sum(axis=1) / np.where(mass > 0, mass, 1)
    out = np.where(mass > 0, (1 - weight) * x + weight * mean, x)
    new = lo + out * (hi - lo)
    order = np.argsort(-new, kind='stable')
    return np.concatenate([rows[:n][order], rows[n:]]), np.concatenate([new[order], scores[n:]])


def rank(d, cfg, extra=None):
    """Row rankings of every query of dump d under setting cfg; extra: a second encoder's dump of the same set."""
    out = []
    vectors = d.vectors(cfg['situated'] if isinstance(cfg['situated'], str) else 'situated' if cfg['situated'] else 'plain')
    depth = cfg.get('depth', 1000)
    for qi, (qid, qvec, lex_rows, lex_scores) in enumerate(d.queries):
        lex_rows, lex_scores = lex_rows[:depth], lex_scores[:depth]
        qv = query_vector(d, qvec, lex_rows, vectors, cfg['fb'], cfg['fbw'])
        dense_all = vectors @ qv
        if cfg['mode'] == 'bm25':
            out.append(lex_rows)
            continue
        if cfg['mode'] == 'dense':
            out.append(np.argsort(-dense_all, kind='stable')[:1000])
            continue
        dense_top = np.argsort(-dense_all, kind='stable')[:depth]
        lists = [(lex_rows, lex_scores, None), (dense_top, dense_all[dense_top], dense_all)]
        if extra is not None:
            ev = extra.vectors(cfg['situated'] if isinstance(cfg['situated'], str) else 'situated' if cfg['situated'] else 'plain')
            _, eqvec, _, _ = extra.queries[qi]
            eqv = query_vector(extra, eqvec, lex_rows, ev, cfg['fb'], cfg['fbw'])
            e_all = ev @ eqv
            e_top = np.argsort(-e_all, kind='stable')[:depth]
            lists.append((e_top, e_all[e_top], e_all))
        n_all = len(dense_all)
        union = np.unique(np.concatenate([l[0] for l in lists]))
        w = gate(lex_scores, dense_all[lex_rows], cfg)
        fused = np.zeros(len(union))
        norm = cfg['norm']
        for li, (rows, scores, full) in enumerate(lists):
            weight = (1 - w) if li == 0 else (w if extra is None else w / 2)
            if norm == 'rrf':
                rr = np.zeros(n_all)
                rr[rows] = 1.0 / (cfg['k'] + np.arange(1, len(rows) + 1))
                fused += weight * rr[union]
                continue
            if full is None:
                full = np.full(n_all, scores.min() if len(scores) else 0.0)
                full[rows] = scores
            vals = full[union]
            if norm == 'z':
                fused += weight * zscore(vals, scores)
            elif norm == 'minmax':
                lo, hi = scores.min(), scores.max()
                fused += weight * (vals - lo) / (hi - lo if hi - lo > 1e-12 else 1)
            elif norm == 'ztop':
                fused += weight * zscore(vals, scores[:cfg.get('ztop', 100)])
        if cfg.get('docw', 0) > 0:
            fused = fused + cfg['docw'] * document_evidence(d, union, fused, cfg.get('dock', 3))
        order = np.argsort(-fused, kind='stable')
        rows, scores = union[order], fused[order]
        if cfg['sw'] > 0:
            sw = cfg['sw'] * (w / cfg['w'] if cfg['w'] > 0 else 0)
            rows, scores = smooth(rows, scores, vectors, 100, 5, sw)
        out.append(rows)
    return out


def grid(name):
    base = dict(mode='hybrid', situated=True, fb=10, fbw=0.5, norm='z', w=0.7, agree=0.7, sw=0.2, k=60)
    if name == 'current':
        return [base]
    if name == 'modes':
        return [dict(base, mode='bm25'), dict(base, mode='dense', situated=False), dict(base, mode='dense', situated=False, fb=0),
                dict(base, mode='dense', situated=True), dict(base, mode='dense', situated=True, fb=0), base]
    if name.startswith('chosen'):
        # The shipped defaults (HybridOptions) over the given vector kinds: dense with feedback, and hybrid.
        kinds = name.split(':')[1].split(',') if ':' in name else ['plain']
        chosen = dict(base, fb=0, w=0.6, agree=0.2, sw=0.3)
        return [dict(chosen, situated=k, **m) for k in kinds for m in (dict(mode='dense', fb=10), {})]
    if name.startswith('situate'):
        kinds = name.split(':')[1].split(',') if ':' in name else ['plain', 'situated', 'prefix', 'late']
        best = dict(base, fb=0, w=0.5, agree=0, sw=0.2)
        return [dict(best, situated=k, **m) for k in kinds for m in (dict(mode='dense'), dict(mode='dense', fb=10), {}, dict(fb=10, w=0.7))]
    if name == 'final':
        return [dict(base, situated=sv, fb=fb, w=w, agree=agree, sw=sw) for sv in (False, True) for fb in (0, 10) for w in (0.4, 0.5, 0.6, 0.7)
                for agree in (0, 0.2, 0.35, 0.5) for sw in (0, 0.1, 0.2, 0.3)]
    if name == 'pick':
        return [dict(base, situated=sv, fb=fb, w=w, agree=0, sw=sw) for sv in (False, True) for fb in (0, 10) for w in (0.4, 0.5, 0.6, 0.7)
                for sw in (0.1, 0.2, 0.3)]
    if name == 'gate':
        return [dict(base, situated=False, fb=0, w=w, agree=agree, sw=sw) for w in (0.5, 0.6) for sw in (0.2, 0.3) for agree in (0, 0.1, 0.2, 0.3)]
    if name == 'best':
        return [dict(base, situated=False, fb=0, w=w, agree=0, sw=sw) for w in (0.4, 0.5, 0.6) for sw in (0, 0.2)]
    if name == 'docs':
        best = dict(base, situated=False, fb=0, w=0.5, agree=0, sw=0.2)
        return [best] + [dict(best, docw=w, dock=k) for w in (0.25, 0.5, 1.0) for k in (1, 3, 5)]
    if name == 'spread':
        return [dict(base, spread=r) for r in (0, 1, 2, 3, 5)] + [dict(base, mode='bm25', spread=r) for r in (1, 2, 3)]
    if name == 'wide':
        out = []
        for situated, fb, norm, w, agree, sw in itertools.product([False, True], [0, 10], ['z', 'minmax', 'rrf'], [0.3, 0.4, 0.5, 0.6, 0.7],
                                                                 [0, 0.5, 0.7], [0, 0.2]):
            if norm == 'rrf' and (agree > 0):
                continue
            out.append(dict(base, situated=situated, fb=fb, norm=norm, w=w, agree=agree, sw=sw))
        return out
    raise SystemExit(f'unknown grid {name}')


def label(cfg):
    return ' '.join(f'{k}={cfg[k]}' for k in ('mode', 'situated', 'fb', 'norm', 'w', 'agree', 'sw', 'spread', 'docw', 'dock') if k in cfg) + (' +2enc' if cfg.get('two') else '')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dumps', default='/tmp/dump')
    ap.add_argument('--encoders', default='arctic-embed-xs')
    ap.add_argument('--sets', default='cranfield,cisi,med,qmsum')
    ap.add_argument('--grid', default='current')
    ap.add_argument('--two', action='store_true', help='fuse both encoders of --encoders (a second dense list)')
    a = ap.parse_args()
    encoders = a.encoders.split(',')
    sets = a.sets.split(',')
    dumps = {s: Dump(os.path.join(a.dumps, encoders[0], s), s) for s in sets}
    extras = {s: Dump(os.path.join(a.dumps, encoders[1], s), s) for s in sets} if a.two else {}
    for s in extras:
        assert extras[s].key == dumps[s].key, f'{s}: the two dumps hold different segments'
    bm = {s: dumps[s].score(rank(dumps[s], dict(grid('current')[0], mode='bm25'))) for s in sets}
    print('bm25 ' + ' '.join(f'{s}={bm[s]:.4f}' for s in sets), flush=True)
    results = []
    for cfg in grid(a.grid):
        if a.two:
            cfg = dict(cfg, two=True)
        scores = {s: dumps[s].score(rank(dumps[s], cfg, extras.get(s)), cfg.get('spread', 0)) for s in sets}
        results.append((cfg, scores))
        gains = [scores[s] - bm[s] for s in sets]
        print(f'{label(cfg):70s} ' + ' '.join(f'{s}={scores[s]:.4f}' for s in sets) + f'  mean_gain={np.mean(gains):+.4f} min_gain={min(gains):+.4f}', flush=True)
    if len(results) > 1:
        print('\nleave-one-collection-out (setting chosen by mean gain over BM25 on the other sets):')
        for held in sets:
            others = [s for s in sets if s != held]
            best = max(results, key=lambda r: np.mean([r[1][s] - bm[s] for s in others]))
            print(f'  {held:10s} {best[1][held]:.4f} (bm25 {bm[held]:.4f}, {best[1][held] - bm[held]:+.4f})  chosen: {label(best[0])}')


if __name__ == '__main__':
    main()
