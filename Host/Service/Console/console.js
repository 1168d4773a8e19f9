// The Search admin console: a single page over the REST API. Every call carries the key the user signed in with
// (kept in this tab's session storage only); the page shows only what /access says the key may do, and the service
// refuses the rest anyway. All text from the service is set as text, never parsed as HTML.
'use strict';

const MODES = ['bm25', 'dense', 'situated', 'hybrid', 'ranked'];
const ACTIONS = ['search', 'documents.write', 'tasks', 'admin', 'keys', '*'];
const POLL_MS = 1000;
const state = { key: sessionStorage.getItem('search.key'), access: null, timers: [], render: 0 };

// ---- DOM and formatting helpers ----

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const fmt = n => (n === null || n === undefined) ? '–' : Number(n).toLocaleString('en-US');
const pct = x => `${Math.round((x || 0) * 100)} %`;
function bytes(n) {
  if (!n) return '0 B';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}
function clock(s) {
  if (s === null || s === undefined) return '';
  s = Math.floor(s);
  const hh = Math.floor(s / 3600), mm = Math.floor(s % 3600 / 60), ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}
const span = (a, b) => (a === null || a === undefined) ? '' : (b === null || b === undefined ? clock(a) : `${clock(a)}–${clock(b)}`);
const when = t => t ? new Date(t).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '–';
const table = (head, rows, label) => h('div', { class: 'scroll' }, h('table', { 'aria-label': label },
  h('thead', {}, h('tr', {}, head.map(c => h('th', { scope: 'col', class: /^(#|documents|segments|size|sequence|pending|score|value|done|failed)$/i.test(c) ? 'num' : null }, c)))),
  h('tbody', {}, rows)));
const cell = (v, num) => h('td', { class: num ? 'num' : null }, v);
const dl = pairs => h('dl', {}, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
const link = (route, text) => h('a', { href: '#' + route }, text);
const enc = encodeURIComponent;

function say(message, bad) {
  const s = document.getElementById('status');
  s.textContent = message || '';
  s.className = bad ? 'bad' : '';
}

// ---- the API ----

class ApiError extends Error { constructor(status, message) { super(message); this.status = status; } }

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (state.key) headers.Authorization = 'Bearer ' + state.key;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (typeof body === 'string') { headers['Content-Type'] = 'application/x-ndjson'; payload = body; }
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const r = await fetch(path, { method, headers, body: payload });
  if (r.status === 204) return null;
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!r.ok) throw new ApiError(r.status, `${r.status} ${(data && (data.detail || (data.error && data.error.message) || data.title)) || r.statusText}`);
  return data;
}

function may(action, collection) {
  const a = state.access;
  if (!a) return false;
  const acts = a.actions.includes('*') || a.actions.includes(action);
  if (!acts || collection === undefined) return acts;
  return a.collections.some(p => p === '*' || p === collection || (p.endsWith('*') && collection.startsWith(p.slice(0, -1))));
}

// ---- routing ----

function route() {
  const raw = location.hash.replace(/^#/, '') || '/collections';
  const [path, query] = raw.split('?');
  const decode = p => { try { return decodeURIComponent(p); } catch { return p; } }; // a hand-typed '%' is not an escape
  return { parts: path.split('/').filter(Boolean).map(decode), params: new URLSearchParams(query || '') };
}

// Polls one at a time: the next starts ms after the last ended, and none after the page has changed.
function every(ms, fn) {
  const token = state.render;
  const tick = async () => { await fn(); if (token === state.render) state.timers.push(setTimeout(tick, ms)); };
  state.timers.push(setTimeout(tick, ms));
}

async function render() {
  state.timers.forEach(clearTimeout);
  state.timers = [];
  const token = ++state.render;
  const main = document.getElementById('main');
  const { parts, params } = route();
  if (!state.access && parts[0] !== 'signin') {
    try { state.access = await api('GET', '/access'); }
    catch (e) {
      if (e.status === 401) { location.hash = '#/signin'; return; }
      say(`The service did not answer: ${e.message}`, true); return;
    }
  }
  drawChrome(parts[0]);
  const page = h('div', {});
  const live = () => token === state.render;
  main.replaceChildren(page);
  try {
    if (parts[0] === 'signin') await signIn(page);
    else if (parts[0] === 'collections' && parts[2] === 'documents') await documentPage(page, parts[1], parts.slice(3).join('/'), params, live);
    else if (parts[0] === 'collections' && parts[1]) await collectionPage(page, parts[1], live);
    else if (parts[0] === 'search') await searchPage(page, params, live);
    else if (parts[0] === 'tasks') await tasksPage(page, live);
    else if (parts[0] === 'keys') await keysPage(page, live);
    else await collectionsPage(page, live);
  } catch (e) {
    if (live()) page.append(h('p', { class: 'error', role: 'alert' }, e.message));
  }
}

function drawChrome(current) {
  const nav = document.getElementById('nav');
  const items = [];
  if (state.access) {
    if (may('search')) items.push(['collections', 'Collections'], ['search', 'Search']);
    if (may('tasks')) items.push(['tasks', 'Tasks']);
    if (may('keys') && state.access.keysRequired) items.push(['keys', 'API keys']);
  }
  nav.replaceChildren(...items.map(([r, t]) => h('a', { href: '#/' + r, 'aria-current': r === current ? 'page' : null }, t)));
  const who = document.getElementById('who');
  const a = state.access;
  if (!a) { who.replaceChildren(); return; }
  who.replaceChildren(a.principal === 'open'
    ? h('span', {}, 'open service: loopback only, no keys')
    : h('span', {}, `signed in with ${a.name} · ${a.actions.join(', ')} · ${a.collections.join(', ')}`),
    a.keysRequired ? h('button', { class: 'secondary', type: 'button', onclick: signOut }, 'Sign out') : null);
}

function signOut() {
  sessionStorage.removeItem('search.key');
  state.key = null; state.access = null;
  location.hash = '#/signin';
}

// ---- pages ----

async function signIn(page) {
  const input = h('input', { type: 'password', id: 'key', name: 'key', autocomplete: 'off', required: true, class: 'wide' });
  const error = h('p', { class: 'error', role: 'alert' });
  page.append(h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Give an API key (or the master key). It is kept in this tab only.'),
    h('form', { class: 'row', onsubmit: async ev => {
      ev.preventDefault();
      state.key = input.value.trim();
      try {
        state.access = await api('GET', '/access');
        sessionStorage.setItem('search.key', state.key);
        location.hash = '#/collections';
      } catch (e) { state.key = null; state.access = null; error.textContent = e.message; }
    } }, h('label', { for: 'key' }, 'API key', input), h('button', { type: 'submit' }, 'Sign in')),
    error);
  input.focus();
}

async function collectionsPage(page, live) {
  page.append(h('h1', {}, 'Collections'));
  if (may('admin')) {
    const name = h('input', { id: 'new-collection', required: true });
    page.append(h('form', { class: 'row', onsubmit: async ev => {
      ev.preventDefault();
      try { await api('POST', '/collections', { name: name.value }); location.hash = '#/collections/' + enc(name.value); }
      catch (e) { say(e.message, true); }
    } }, h('label', { for: 'new-collection' }, 'New collection', name), h('button', { type: 'submit' }, 'Create')));
  }
  const list = await api('GET', '/collections');
  // The list carries counts only; each collection's own view adds its serving generation and stages.
  const views = await Promise.all(list.slice(0, 100).map(c => api('GET', '/collections/' + enc(c.name)).catch(() => c)));
  if (!live()) return;
  page.append(views.length === 0 ? h('p', { class: 'muted' }, 'No collections yet.') : table(
    ['Name', 'Documents', 'Segments', 'Generation', 'Embedder', 'Searchable (lexical · dense)', 'Created'],
    views.map(c => {
      const st = n => (c.index?.stages || []).find(s => s.name === n);
      return h('tr', {}, h('td', {}, link('/collections/' + enc(c.name), c.name)), cell(fmt(c.documents), 1), cell(fmt(c.segments), 1),
        cell(c.index ? c.index.generation : '–'), cell(c.embedder),
        cell(c.index ? `${fmt(st('lexical')?.documents)} · ${fmt(st('dense')?.documents)} of ${fmt(c.documents)}` : '–'), cell(when(c.createdAt)));
    }), 'Collections'));
}

async function collectionPage(page, name, live) {
  const summary = h('div', { class: 'cards' });
  const stages = h('div', {});
  page.append(h('h1', {}, name), summary, h('h2', {}, 'Indexing stages: stored vs searchable'), stages);
  const gens = h('div', {}), dense = h('div', { class: 'card' }), ranker = h('div', { class: 'card' });
  if (may('admin', name)) {
    const reindex = h('button', { type: 'button', id: 'reindex', onclick: async () => {
      reindex.disabled = true;
      try { const g = await api('POST', `/admin/collections/${enc(name)}/reindex`); say(`Reindex started: generation ${g.id} is building while the current one serves.`); }
      catch (e) { say(e.message, true); }
      finally { reindex.disabled = false; }
    } }, 'Reindex');
    page.append(h('h2', {}, 'Generations'), h('div', { class: 'row' }, reindex, h('span', { class: 'muted' }, 'Builds generation N+1 stage by stage while N serves, then swaps and retires N.')),
      gens, h('h2', {}, 'Dense side and ranking'), h('div', { class: 'cards' }, dense, ranker));
  }
  if (may('documents.write', name)) page.append(h('h2', {}, 'Add documents'), ingestForms(name));
  const docs = h('div', {});
  page.append(h('h2', {}, 'Documents'), docs);

  async function refresh() {
    const c = await api('GET', '/collections/' + enc(name));
    if (!live()) return;
    const ix = c.index;
    summary.replaceChildren(h('div', { class: 'card' }, dl([
      ['Documents stored', fmt(c.documents)], ['Segments', fmt(c.segments)], ['Serving generation', ix ? ix.generation : '–'],
      ['Embedder', c.embedder], ['Maintained here', ix ? (ix.owned ? 'yes' : 'no, read-only') : '–'],
      ['Latest change', fmt(c.latestChange)], ['Statistics', c.statistics ? `v${c.statistics.version} through change ${fmt(c.statistics.through)}` : 'not published yet']])));
    stages.replaceChildren(table(['Stage', 'Documents', 'Segments', 'Sequence', 'Pending', 'Build', 'Error'],
      (ix?.stages || []).map(s => h('tr', {}, cell(s.name), cell(`${fmt(s.documents)} of ${fmt(c.documents)}`, 1), cell(`${fmt(s.segments)} of ${fmt(c.segments)}`, 1),
        cell(`${fmt(s.sequence)} (durable ${fmt(s.checkpoint)})`, 1), cell(fmt(s.pendingChanges), 1),
        cell(h('span', {}, h('progress', { max: 1, value: s.progress, 'aria-label': `${s.name} build` }), ' ', pct(s.progress))), cell(s.error || ''))), 'Indexing stages'));
    if (!may('admin', name)) return;
    const [g, d, r] = await Promise.all([api('GET', `/admin/collections/${enc(name)}/generations`), api('GET', `/admin/collections/${enc(name)}/dense`), api('GET', '/admin/ranker')]);
    if (!live()) return;
    const onDisk = g.filter(x => x.state !== 'retired').reduce((sum, x) => sum + x.sizeBytes, 0);
    summary.firstChild.querySelector('dl').append(h('dt', {}, 'Indexes on disk'), h('dd', { id: 'size-on-disk' }, bytes(onDisk)));
    gens.replaceChildren(table(['#', 'State', 'Segments', 'Size', 'Sequence', 'Created', 'Build', 'Stages'], g.slice().sort((a, b) => b.id - a.id).map(x => h('tr', { 'data-generation': x.id, 'data-state': x.state },
      cell(x.id, 1), cell(h('span', { class: 'badge ' + x.state }, x.state)), cell(fmt(x.segments), 1), cell(bytes(x.sizeBytes), 1), cell(fmt(x.sequence), 1), cell(when(x.createdAt)),
      cell(h('span', {}, h('progress', { max: 1, value: x.progress, 'aria-label': `generation ${x.id} build` }), ' ', pct(x.progress))),
      cell(x.stages.map(s => `${s.name} ${pct(s.progress)}${s.error ? ' (' + s.error + ')' : ''}`).join(' · ')))), 'Generations'));
    dense.replaceChildren(h('h3', {}, 'Dense vectors'), dl([
      ['Embedder', d.embedder || '–'], ['Runtime', d.runtime || 'not built yet'], ['Vectors', `${fmt(d.segments)} × ${d.dimension || '–'}`],
      ['Vector index', d.vectorIndex || '–'], ['Embedding now', fmt(d.embedding)], ['Word classes', fmt(d.wordClasses)], ['Loaded from disk', d.loadedFromDisk ? 'yes' : 'no']]));
    const kv = r.passageKv;
    ranker.replaceChildren(h('h3', {}, 'Ranker'), dl([
      ['Ranker', r.name || 'none: ranked searches answer in hybrid order'], ['Depth', r.name ? fmt(r.depth) : '–'], ['Time limit', `${r.timeoutSeconds} s`],
      ...(r.attention ? [['Attention on', r.attention]] : []),
      ...(r.layers ? [['Dense layers on', r.layers]] : []),
      ...(r.trainedOn ? [['Trained on', r.trainedOn.join(', ')]] : []),
      ['Fell back to hybrid', fmt(r.fallbacks)],
      ...(kv ? [['Passage-KV memory', `${fmt(kv.entries)} passages, ${bytes(kv.bytes)} of ${bytes(kv.memoryBudget)}`],
        ['Passage-KV files', `${fmt(kv.diskEntries)} passages, ${bytes(kv.diskBytes)} of ${bytes(kv.diskBudget)}`],
        ['Hit rate', `${pct(kv.hitRate)} (${fmt(kv.hits)} memory, ${fmt(kv.diskHits)} file, ${fmt(kv.misses)} encoded)`],
        ['Evicted · damaged', `${fmt(kv.evictions)} · ${fmt(kv.damaged)}`]]
        : [['Passage-KV store', 'none: the configured ranker keeps no passage key/value states']])]));
  }
  await refresh();
  if (live()) every(POLL_MS, () => refresh().catch(e => say(e.message, true)));
  const list = await api('GET', `/collections/${enc(name)}/documents?limit=100`);
  if (!live()) return;
  docs.replaceChildren(list.length === 0 ? h('p', { class: 'muted' }, 'No documents.') : table(['Title', 'Kind', 'Segments', 'Updated'],
    list.map(d => h('tr', {}, h('td', {}, link(`/collections/${enc(name)}/documents/${enc(d.id)}`, d.title || d.id)), cell(d.kind), cell(fmt(d.segments), 1), cell(when(d.updatedAt)))), 'Documents'));
}

function ingestForms(name) {
  const files = h('input', { type: 'file', id: 'upload-files', multiple: true });
  const lines = h('textarea', { id: 'bulk-lines', rows: 3, placeholder: '{"id": "a", "title": "A", "text": "..."}' });
  const out = h('p', { class: 'muted', role: 'status' });
  return h('div', {},
    h('form', { class: 'row', onsubmit: async ev => {
      ev.preventDefault();
      let n = 0;
      for (const f of files.files) {
        const form = new FormData(); form.append('file', f, f.name);
        try { const w = await api('POST', `/collections/${enc(name)}/documents/upload`, form); n++; out.textContent = `${f.name}: ${w.outcome} (${w.document.segments} segments)`; }
        catch (e) { out.textContent = `${f.name}: ${e.message}`; return; }
      }
      out.textContent = `${n} file(s) stored; the indexing stages make them searchable.`;
    } }, h('label', { for: 'upload-files' }, 'Upload files (txt, md, html, docx, pdf, vtt, srt, json)', files), h('button', { type: 'submit' }, 'Upload')),
    h('form', { class: 'row', onsubmit: async ev => {
      ev.preventDefault();
      try { const t = await api('POST', `/collections/${enc(name)}/bulk`, lines.value.trim() + '\n'); out.replaceChildren(`Task ${t.id} queued (${t.total} documents). `, link('/tasks', 'Follow it')); }
      catch (e) { out.textContent = e.message; }
    } }, h('label', { for: 'bulk-lines' }, 'Bulk: one JSON document per line', lines), h('button', { type: 'submit' }, 'Queue task')),
    out);
}

async function documentPage(page, name, id, params, live) {
  const d = await api('GET', `/collections/${enc(name)}/documents/${enc(id)}`);
  if (!live()) return;
  const doc = d.document, chosen = params.has('segment') ? Number(params.get('segment')) : null;
  const base = `/collections/${enc(name)}/documents/${enc(id)}`;
  page.append(h('p', {}, link('/collections/' + enc(name), '← ' + name)), h('h1', {}, doc.title || doc.id),
    h('div', { class: 'card' }, dl([['Id', doc.id], ['Kind', `${doc.kind} (${doc.mediaType})`], ['Segments', fmt(d.segments.length)], ['Source', doc.source || '–'],
      ['Metadata', JSON.stringify(doc.metadata)], ['Version', doc.version], ['Updated', when(doc.updatedAt)]])));
  // A transcript's chapters, each linking to its first segment.
  const chapters = [];
  for (const s of d.segments) if (s.chapter && !chapters.some(c => c.ordinal === s.chapter.ordinal)) chapters.push({ ...s.chapter, first: s.ordinal });
  if (chapters.length) {
    page.append(h('h2', { id: 'chapters' }, 'Chapters'), h('ol', { class: 'chapters' }, chapters.map(c =>
      h('li', {}, link(`${base}?segment=${c.first}`, c.title), ' ', h('span', { class: 'muted' }, span(c.startSeconds, c.endSeconds))))));
  }
  page.append(h('h2', {}, 'Segments'));
  let target = null;
  for (const s of d.segments) {
    const where = [s.sectionPath, s.chapter && `chapter ${s.chapter.ordinal + 1}: ${s.chapter.title}`, span(s.startSeconds, s.endSeconds), s.speaker].filter(Boolean).join(' · ');
    const el = h('article', { class: 'segment' + (s.ordinal === chosen ? ' chosen' : ''), id: 'segment-' + s.ordinal, tabindex: s.ordinal === chosen ? -1 : null },
      h('div', { class: 'where' }, `#${s.ordinal}`, where ? ' · ' + where : ''), h('div', { class: 'passage' }, s.text));
    if (s.ordinal === chosen) target = el;
    page.append(el);
  }
  if (target) { target.scrollIntoView({ block: 'start' }); target.focus({ preventScroll: true }); }
}

async function searchPage(page, params, live) {
  const collections = await api('GET', '/collections');
  if (!live()) return;
  const c = params.get('c') || (collections[0] && collections[0].name) || '';
  const q = h('input', { type: 'search', id: 'q', name: 'q', value: params.get('q') || '', required: true, class: 'wide' });
  const coll = h('select', { id: 'collection' }, collections.map(x => h('option', { value: x.name, selected: x.name === c }, x.name)));
  const mode = h('select', { id: 'mode' }, MODES.map(m => h('option', { value: m, selected: m === (params.get('mode') || 'hybrid') }, m)));
  const k = h('input', { type: 'number', id: 'k', min: 1, max: 100, value: params.get('k') || 10, style: null });
  page.append(h('h1', {}, 'Search'), h('form', { class: 'row', role: 'search', onsubmit: ev => {
    ev.preventDefault();
    location.hash = `#/search?c=${enc(coll.value)}&q=${enc(q.value)}&mode=${enc(mode.value)}&k=${enc(k.value)}`;
  } }, h('label', { for: 'collection' }, 'Collection', coll), h('label', { for: 'q' }, 'Query', q), h('label', { for: 'mode' }, 'Mode', mode),
    h('label', { for: 'k' }, 'Hits', k), h('button', { type: 'submit' }, 'Search')));
  if (!params.get('q')) { q.focus(); return; }
  const r = await api('POST', `/collections/${enc(c)}/search`, { q: params.get('q'), k: Number(params.get('k') || 10), mode: params.get('mode') || 'hybrid' });
  if (!live()) return;
  const results = h('section', { id: 'results', 'aria-label': 'Results' },
    h('p', { class: 'muted' }, `${r.hits.length} hits in ${r.tookMs.toFixed(1)} ms · ${r.mode} · generation ${r.index.generation} · lexical through ${fmt(r.index.lexical)}, dense through ${fmt(r.index.dense)} of ${fmt(r.index.latestChange)}`),
    r.warnings.map(w => h('p', { class: 'warning', role: 'note' }, '⚠ ' + w)));
  for (const hit of r.hits) {
    const doc = `/collections/${enc(c)}/documents/${enc(hit.documentId)}`;
    const where = [];
    if (hit.sectionPath) where.push(h('span', {}, hit.sectionPath));
    if (hit.chapter) where.push(h('span', {}, 'chapter ', link(`${doc}?segment=${hit.segment}`, hit.chapter.title), ` (${span(hit.chapter.startSeconds, hit.chapter.endSeconds)})`));
    if (hit.startSeconds !== null && hit.startSeconds !== undefined) where.push(h('span', {}, span(hit.startSeconds, hit.endSeconds)));
    if (hit.speaker) where.push(h('span', {}, hit.speaker));
    const comps = Object.entries(hit.components);
    results.append(h('article', { class: 'hit', 'data-document': hit.documentId },
      h('h3', {}, `${hit.rank}. `, link(`${doc}?segment=${hit.segment}`, hit.title || hit.documentId), ' ', h('span', { class: 'muted' }, `score ${hit.score.toFixed(4)}`)),
      h('div', { class: 'where' }, where.flatMap((w, i) => i ? [' · ', w] : [w])),
      h('div', { class: 'passage' }, hit.answer
        ? [hit.text.slice(0, hit.answer.start), h('mark', { class: 'answer' }, hit.text.slice(hit.answer.start, hit.answer.end)), hit.text.slice(hit.answer.end)]
        : hit.text),
      h('details', {}, h('summary', {}, `Score components (${comps.length})`),
        h('table', { class: 'components', 'aria-label': 'Score components' }, h('tbody', {}, comps.map(([n, v]) => h('tr', {}, h('th', { scope: 'row' }, n), cell(Number.isInteger(v) ? v : v.toFixed(4), 1))))))));
  }
  page.append(results);
}

async function tasksPage(page, live) {
  const body = h('div', {});
  const errors = h('div', {});
  page.append(h('h1', {}, 'Tasks'), body, errors);
  async function refresh() {
    const tasks = await api('GET', '/tasks?limit=50');
    if (!live()) return;
    body.replaceChildren(tasks.length === 0 ? h('p', { class: 'muted' }, 'No tasks yet.') : table(['Task', 'Collection', 'State', 'Done', 'Failed', 'Progress', 'Created', ''],
      tasks.map(t => {
        const fraction = t.total ? (t.done + t.failed) / t.total : (t.state === 'succeeded' ? 1 : 0);
        const open = t.state === 'queued' || t.state === 'running';
        return h('tr', { 'data-task': t.id, 'data-state': t.state }, cell(h('code', {}, t.id)), cell(t.collection), cell(h('span', { class: 'badge ' + t.state }, t.cancelRequested && open ? 'cancelling' : t.state)),
          cell(`${fmt(t.done)} of ${fmt(t.total)}`, 1), cell(fmt(t.failed), 1),
          cell(h('span', { class: 'progress' }, h('progress', { max: 1, value: fraction, 'aria-label': `task ${t.id}` }), ' ', pct(fraction))), cell(when(t.createdAt)),
          cell(h('span', {}, t.failed ? h('button', { type: 'button', class: 'secondary', onclick: () => showErrors(t.id) }, 'Errors') : null,
            open && !t.cancelRequested ? h('button', { type: 'button', class: 'danger', onclick: async () => {
              try { await api('POST', `/tasks/${enc(t.id)}/cancel`); await refresh(); } catch (e) { say(e.message, true); }
            } }, 'Cancel') : null)));
      }), 'Tasks'));
  }
  async function showErrors(id) {
    const v = await api('GET', `/tasks/${enc(id)}`);
    errors.replaceChildren(h('h2', {}, `Errors of task ${id}`), table(['Item', 'Input', 'Error'], v.errors.map(e => h('tr', {}, cell(e.item, 1), cell(e.input), cell(e.error || ''))), 'Task errors'));
  }
  await refresh();
  if (live()) every(POLL_MS, () => refresh().catch(e => say(e.message, true)));
}

async function keysPage(page, live) {
  page.append(h('h1', {}, 'API keys'));
  if (!state.access.keysRequired) { page.append(h('p', {}, 'This service runs without a master key (loopback only); API keys need one.')); return; }
  await api('GET', '/keys'); // a key without the keys action is refused here, before any form is shown
  const list = h('div', {});
  const created = h('div', { role: 'status' });
  const name = h('input', { id: 'key-name', required: true });
  const colls = h('input', { id: 'key-collections', value: '*' });
  const expires = h('input', { id: 'key-expires', type: 'datetime-local' });
  const boxes = ACTIONS.map(a => h('input', { type: 'checkbox', value: a, id: 'action-' + a.replace(/\W/g, '_'), checked: a === 'search' }));
  page.append(h('h2', {}, 'Create a key'), h('form', { class: 'row', onsubmit: async ev => {
    ev.preventDefault();
    const body = { name: name.value, actions: boxes.filter(b => b.checked).map(b => b.value), collections: colls.value.split(',').map(s => s.trim()).filter(Boolean),
      expiresAt: expires.value ? new Date(expires.value + 'Z').toISOString() : null };
    try {
      const k = await api('POST', '/keys', body);
      created.replaceChildren(h('p', {}, `Key “${k.name}” created. Copy it now: it is not shown again.`), h('p', { class: 'secret', id: 'new-key' }, k.key));
      await refresh();
    } catch (e) { created.replaceChildren(h('p', { class: 'error', role: 'alert' }, e.message)); }
  } }, h('label', { for: 'key-name' }, 'Name', name),
    h('fieldset', {}, h('legend', {}, 'Actions'), boxes.map(b => h('label', { for: b.id }, b, b.value))),
    h('label', { for: 'key-collections' }, 'Collections (comma-separated; prefix* or *)', colls), h('label', { for: 'key-expires' }, 'Expires (UTC, optional)', expires),
    h('button', { type: 'submit' }, 'Create key')), created, h('h2', {}, 'Keys'), list);
  async function refresh() {
    const keys = await api('GET', '/keys');
    if (!live()) return;
    list.replaceChildren(keys.length === 0 ? h('p', { class: 'muted' }, 'No keys yet.') : table(['Name', 'Prefix', 'Actions', 'Collections', 'Expires', 'Created', ''],
      keys.map(k => h('tr', { 'data-key': k.uid }, cell(k.name), cell(h('code', {}, k.prefix)), cell(k.actions.join(', ')), cell(k.collections.join(', ')), cell(k.expiresAt ? when(k.expiresAt) : 'never'),
        cell(when(k.createdAt)), cell(h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${k.name}`, onclick: async () => {
          try { await api('DELETE', '/keys/' + enc(k.uid)); say(`Key “${k.name}” revoked.`); await refresh(); } catch (e) { say(e.message, true); }
        } }, 'Revoke')))), 'API keys'));
  }
  await refresh();
}

window.addEventListener('hashchange', () => { say(''); render(); });
// The skip link moves focus, not the route (its #main would otherwise be read as one).
document.querySelector('.skip').addEventListener('click', ev => { ev.preventDefault(); document.getElementById('main').focus(); });
render();
