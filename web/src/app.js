// opsroom browser UI: sign in, choose a room, see its shared items on an
// offline map, follow them live and share new ones with a TLP marking.
// Plain JavaScript module; Leaflet (L), Leaflet.markercluster and
// milsymbol (ms) are loaded as classic scripts before it.

const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
// Layers the map knows by name; kinds not listed still get a layer.
const KNOWN_KINDS = ['site', 'track', 'event', 'area', 'operation', 'movement', 'note'];
const STREAM_PATH = '/api/v1/rooms/{room}/stream';
const SIGNED_IN = 'opsroom.signedIn';
// FIRST_PAGE is how many of a room's newest items the map draws before it
// fetches the rest in the background.
const FIRST_PAGE = 250;

// ---------- small helpers ----------

// h builds an element: h('a', {href: '#'}, 'text', child). Text is always
// set as text, never parsed as HTML.
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  return add(el, ...kids);
}

// add appends kids to el as h does: arrays at any depth are flattened,
// null, undefined and false are left out (the DOM's own append would
// print them as "null"), anything else that is not a node is text.
function add(el, ...kids) {
  for (const k of kids.flat(Infinity)) {
    if (k === undefined || k === null || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return el;
}

// fill replaces el's children with kids, as add appends them.
function fill(el, ...kids) {
  el.replaceChildren();
  return add(el, ...kids);
}

const $ = (sel, root = document) => root.querySelector(sel);

class APIError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.fields = problem.errors || [];
  }
}

async function api(method, path, body) {
  const opts = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401) { localStorage.removeItem(SIGNED_IN); state.me = null; }
    throw new APIError(res.status, data);
  }
  return data;
}

// all follows next_cursor until the list ends.
async function all(path) {
  const out = [];
  let cursor = '';
  const sep = path.includes('?') ? '&' : '?';
  for (;;) {
    const page = await api('GET', `${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

function toast(msg) {
  const el = h('div', {}, msg);
  $('#toast').append(el);
  setTimeout(() => el.remove(), 4000);
}

function tlpBadge(m) {
  const tlp = (m && m.tlp) || 'CLEAR';
  return h('span', { class: `tlp tlp-${tlp}`, title: `Traffic Light Protocol ${tlp}` }, `TLP:${tlp}`);
}

function releasability(m) {
  const parts = [];
  if (m && m.releasable_to && m.releasable_to.length) parts.push(`REL ${m.releasable_to.join(', ')}`);
  if (m && m.recipients && m.recipients.length) parts.push(`to ${m.recipients.join(', ')}`);
  return parts.length ? h('span', { class: 'rel' }, parts.join(' · ')) : null;
}

// GEONAMES credits the gazetteer wherever its place names show.
const GEONAMES = 'Place names © GeoNames, CC BY 4.0';
const geonames = () => h('p', { class: 'credit' }, GEONAMES);

const fmtTime = (t) => new Date(t).toISOString().replace('T', ' ').slice(0, 16) + 'Z';

// fmtInterval shows an interval in UTC, the day once when both ends fall
// on it: "2015-09-30 00:00–23:59Z".
function fmtInterval(start, end) {
  if (!start) return end ? `until ${fmtTime(end)}` : '—';
  if (!end || end === start) return fmtTime(start);
  const a = fmtTime(start), b = fmtTime(end);
  return a.slice(0, 10) === b.slice(0, 10) ? `${a.slice(0, 16)}–${b.slice(11)}` : `${a.slice(0, 16)} – ${b}`;
}

// readable turns the ISO 8601 times and intervals (start/end) in a text
// into the UI's format.
function readable(text) {
  const t = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(?::\\d\\d(?:\\.\\d+)?)?(?:Z|[+-]\\d\\d:\\d\\d)';
  return String(text).replace(new RegExp(`(${t})(?:/(${t}))?`, 'g'), (m, a, b) => (b ? fmtInterval(a, b) : fmtTime(a)));
}

// eventTimes fetches the times of the room's events the member may see,
// by event ID (empty when the member may not read the picture).
async function eventTimes(slug) {
  const times = new Map();
  try {
    const p = await api('GET', `/api/v1/rooms/${encodeURIComponent(slug)}/picture?from=1970-01-01T00:00:00Z&to=${encodeURIComponent(new Date().toISOString())}`);
    for (const e of p.events || []) if (e.start) times.set(e.id, { label: 'Event time', start: e.start, end: e.end });
  } catch { /* no picture: only share times */ }
  return times;
}

// whenLine shows an item's own time and its share time apart, labelled.
function whenLine(when, shared) {
  return h('span', { class: 'whenline' },
    when ? [h('span', { class: 'when' }, `${when.label.toLowerCase()} ${fmtInterval(when.start, when.end)}`), ' · '] : null,
    h('span', { class: 'shared' }, `shared ${fmtTime(shared)}`));
}

// itemInterval is when the thing an item stands for happened or is
// planned, with its label: an event's time, a report's observation, an
// operation's window. Null when the item says nothing of it (then only
// its share time is known).
function itemInterval(it) {
  if (!it) return null;
  const b = bodyOf(it);
  if (it.start) return { label: 'Event time', start: it.start, end: it.end };
  const w = it.window || b.window;
  if (w && w.start) return { label: 'Time window', start: w.start, end: w.end };
  const o = it.observed || b.observed;
  if (o && o.start) return { label: 'Observed', start: o.start, end: o.end };
  return null;
}

// body reads an item's body, whatever its kind.
const bodyOf = (it) => (it.body && typeof it.body === 'object' ? it.body : {});

// field looks a property up on the body, then on body.data (notes keep
// their free-form data there).
function field(it, name) {
  const b = bodyOf(it);
  if (b[name] !== undefined) return b[name];
  if (b.data && typeof b.data === 'object') return b.data[name];
  return undefined;
}

// geometryOf returns the item's GeoJSON geometry: body.geometry, or a
// point from lat/lon (on the body or in its data), or null.
function geometryOf(it) {
  const g = field(it, 'geometry');
  if (g && typeof g === 'object' && g.type) return g;
  for (const src of [field(it, 'position'), bodyOf(it), bodyOf(it).data]) {
    if (src && typeof src.lat === 'number' && typeof src.lon === 'number') {
      return { type: 'Point', coordinates: [src.lon, src.lat] };
    }
  }
  return null;
}

// ---------- state and routing ----------

const state = { me: null, rooms: null, view: null, openapi: null };

async function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (state.view && state.view.close) state.view.close();
  state.view = null;
  const main = $('#main');
  main.replaceChildren();
  if (!state.me) return showLogin(main);
  $('#top').hidden = false;
  $('#who').textContent = `${state.me.display_name || state.me.username} · ${state.me.partner}`;
  if (parts[0] === 'r' && parts[1]) {
    const slug = parts[1];
    const tab = { item: 'items', report: 'intel', at: 'map' }[parts[2]] || parts[2] || 'map';
    await setTabs(slug, tab);
    switch (parts[2]) {
      case 'items': return showItems(main, slug);
      case 'item': return showItem(main, slug, parts[3]);
      case 'ops': return showOps(main, slug);
      case 'log': return showLog(main, slug);
      case 'rfis': return showRFIs(main, slug);
      case 'intel': return showIntel(main, slug);
      case 'report': return showReport(main, slug, parts[3]);
      case 'claims': return showClaims(main, slug, parts[3]);
      default: return showRoom(main, slug, parts[2] === 'at' ? parts[3] : null);
    }
  }
  await setTabs(null);
  return showRooms(main);
}

// caps says which parts of the API this server has, from its OpenAPI
// document, so the UI offers only the views it can back with data.
async function caps() {
  const paths = (await openapi()).paths || {};
  const has = (p) => Boolean(paths[p]);
  return {
    stream: has(STREAM_PATH),
    picture: has('/api/v1/rooms/{room}/picture'),
    operations: has('/api/v1/rooms/{room}/operations'),
    movements: has('/api/v1/rooms/{room}/movements'),
    conflicts: has('/api/v1/rooms/{room}/conflicts'),
    log: has('/api/v1/rooms/{room}/log'),
    rfis: has('/api/v1/rooms/{room}/rfis'),
    intel: has('/api/v1/rooms/{room}/reports') && has('/api/v1/rooms/{room}/search'),
    claims: has('/api/v1/rooms/{room}/events/{id}/board'),
  };
}

// VIEWS are the room's tabs: id, path, label, shortcut, needed capability.
const VIEWS = [
  ['map', '', 'Map', 'm', null],
  ['items', '/items', 'Items', 'i', null],
  ['intel', '/intel', 'Intelligence', 'g', 'intel'],
  ['claims', '/claims', 'Claims', 'c', 'claims'],
  ['ops', '/ops', 'Operations', 'o', 'operations'],
  ['log', '/log', 'Watch log', 'l', 'log'],
  ['rfis', '/rfis', 'RFIs', 'r', 'rfis'],
];

async function setTabs(slug, current) {
  const nav = $('#tabs');
  nav.replaceChildren();
  if (!slug) return;
  const c = await caps();
  for (const [id, path, label, key, need] of VIEWS) {
    if (need && !c[need]) continue;
    nav.append(h('a', { href: `#/r/${encodeURIComponent(slug)}${path}`, 'aria-current': id === current ? 'page' : null, 'aria-keyshortcuts': key,
      'data-view': id }, label, h('kbd', {}, key), id === 'ops' && c.conflicts ? h('span', { class: 'alert-count', hidden: true, role: 'status' }) : null));
  }
  nav.append(h('a', { href: '#/' }, 'Rooms'));
  if (c.conflicts) watchConflicts(slug);
}

// watchConflicts keeps the count of the room's open conflicts on the
// Operations tab, an alert that stays until each is accepted or resolved.
let conflictTimer = 0;
async function watchConflicts(slug) {
  clearTimeout(conflictTimer);
  const badge = $('#tabs a[data-view="ops"] .alert-count');
  if (!badge) return;
  try {
    const open = await all(`/api/v1/rooms/${encodeURIComponent(slug)}/conflicts?status=open`);
    if (!badge.isConnected) return;
    badge.hidden = open.length === 0;
    badge.textContent = String(open.length);
    badge.title = `${open.length} open conflict${open.length === 1 ? '' : 's'}`;
    badge.setAttribute('aria-label', badge.title);
  } catch { /* kept as it was; tried again below */ }
  if (badge.isConnected) conflictTimer = setTimeout(() => watchConflicts(slug), 5000);
}

// ---------- sign in and rooms ----------

function showLogin(main) {
  $('#top').hidden = true;
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'center', id: 'login' },
    h('h1', {}, 'Sign in to opsroom'),
    h('label', { for: 'username' }, 'Username'),
    h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autofocus: true }),
    h('label', { for: 'password' }, 'Password'),
    h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { class: 'primary', type: 'submit' }, 'Sign in'), err);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      state.me = await api('POST', '/api/v1/login', { username: form.username.value, password: form.password.value });
      localStorage.setItem(SIGNED_IN, '1');
      await route();
    } catch (x) {
      err.textContent = x.status === 429 ? 'Too many attempts; wait a moment.' : 'Wrong username or password.';
    }
  });
  add(main, form);
  form.username.focus();
}

async function rooms() {
  if (!state.rooms) state.rooms = await all('/api/v1/rooms');
  return state.rooms;
}

async function showRooms(main) {
  const box = h('section', { class: 'center' }, h('h1', {}, 'Choose a room'));
  add(main, box);
  const list = h('ul', { class: 'rooms' });
  for (const r of await rooms()) {
    list.append(h('li', {}, h('a', { href: `#/r/${encodeURIComponent(r.slug)}` }, r.name,
      h('small', {}, `${r.purpose} · ${r.partners.join(', ')}`))));
  }
  if (!list.children.length) list.append(h('li', {}, 'You are not a member of any room.'));
  box.append(list);
  const first = $('a', list);
  if (first) first.focus();
}

async function roomBySlug(slug) {
  const r = (await rooms()).find((x) => x.slug === slug);
  return r || api('GET', `/api/v1/rooms/${encodeURIComponent(slug)}`);
}

async function openapi() {
  if (!state.openapi) state.openapi = await api('GET', '/api/v1/openapi.json');
  return state.openapi;
}

// ---------- the live feed of a room ----------

// Feed keeps the items of a room a member may see, follows the live
// stream (or, where the server has none, polls the newest page) and tells
// its listeners what changed.
class Feed {
  constructor(slug, hasStream) {
    this.slug = slug;
    this.hasStream = hasStream;
    this.items = new Map();
    this.listeners = new Set();
    this.closed = false;
    this.seq = 0;
    this.touched = new Set();
    this.complete = false;
    this.rest = Promise.resolve();
  }

  on(fn) { this.listeners.add(fn); }
  emit(kind, it) { for (const fn of this.listeners) fn(kind, it); }

  // load fetches the room's items: the first page at once (the map draws
  // it), the rest page by page in the background, each page announced as
  // 'more' so the map grows while it stays usable. It resolves once the
  // first page is in; this.rest resolves when every page is.
  async load() {
    const seq = ++this.seq;
    const seen = new Set();
    this.touched = new Set();
    this.complete = false;
    const enc = encodeURIComponent(this.slug);
    let page = null;
    let n = 0;
    const next = async () => {
      const cursor = page && page.next_cursor;
      page = await api('GET', `/api/v1/rooms/${enc}/items?limit=${n++ === 0 ? FIRST_PAGE : 500}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (seq !== this.seq || this.closed) return false;
      for (const it of page.items) {
        seen.add(it.id);
        const old = this.items.get(it.id);
        if (!old || old.version <= it.version) this.items.set(it.id, it);
      }
      return true;
    };
    if (!(await next())) return;
    this.emit('reset');
    this.rest = (async () => {
      while (page.next_cursor) {
        if (!(await next())) return;
        this.emit('more', page.items);
      }
      // Items held from before a reload that the reload did not return
      // are no longer visible (unless the stream told of them meanwhile).
      let gone = 0;
      for (const id of [...this.items.keys()]) {
        if (!seen.has(id) && !this.touched.has(id)) { this.items.delete(id); gone++; }
      }
      this.complete = true;
      this.emit(gone ? 'reset' : 'complete');
    })();
    this.rest.catch((x) => { if (!this.closed) fail(x); });
  }

  async start() {
    // The stream opens first, so nothing shared while the pages load is
    // missed; what it tells of meanwhile is merged by version.
    if (this.hasStream) this.stream();
    await this.load();
    if (!this.hasStream) this.poll();
  }

  setLive(on, how) {
    const el = $('#live');
    el.classList.toggle('on', on);
    el.title = on ? `Live (${how})` : 'Reconnecting…';
  }

  stream() {
    const es = new EventSource(`/api/v1/rooms/${encodeURIComponent(this.slug)}/stream`);
    this.es = es;
    es.onopen = () => this.setLive(true, 'stream');
    es.onerror = () => this.setLive(false);
    es.addEventListener('change', (e) => {
      const c = JSON.parse(e.data);
      if (c.op === 'delete') this.remove(c.item_id);
      else this.refresh(c.item_id);
    });
    const refetch = () => this.load().catch(() => {});
    es.addEventListener('lagged', refetch);
    es.addEventListener('reset', refetch);
  }

  // poll asks for the newest page every few seconds: the fallback while the
  // server has no stream.
  poll() {
    this.setLive(true, 'polling every 3 s');
    const tick = async () => {
      if (this.closed) return;
      try {
        const page = await api('GET', `/api/v1/rooms/${encodeURIComponent(this.slug)}/items?limit=100`);
        for (const it of page.items) {
          const old = this.items.get(it.id);
          if (!old || old.version !== it.version) this.upsert(it);
        }
        this.setLive(true, 'polling every 3 s');
      } catch {
        this.setLive(false);
      }
      this.timer = setTimeout(tick, 3000);
    };
    this.timer = setTimeout(tick, 3000);
  }

  async refresh(id) {
    try {
      this.upsert(await api('GET', `/api/v1/items/${encodeURIComponent(id)}`));
    } catch (x) {
      if (x.status === 404) this.remove(id); // no longer visible to us
    }
  }

  upsert(it) {
    this.touched.add(it.id);
    const old = this.items.get(it.id);
    if (old && old.version > it.version) return;
    const isNew = !old;
    this.items.set(it.id, it);
    this.emit(isNew ? 'add' : 'update', it);
  }

  remove(id) {
    this.touched.add(id);
    const it = this.items.get(id);
    if (!it) return;
    this.items.delete(id);
    this.emit('remove', it);
  }

  close() {
    this.closed = true;
    if (this.es) this.es.close();
    clearTimeout(this.timer);
    $('#live').classList.remove('on');
  }
}

// ---------- the map ----------

let basemapData = null;
async function basemap() {
  if (!basemapData) {
    const res = await fetch(document.body.dataset.basemap);
    basemapData = await res.json();
  }
  return basemapData;
}

// cotToSIDC turns a Cursor-on-Target type (a-h-G-U-C) into a
// MIL-STD-2525C symbol code (SHGPUC---------) for milsymbol.
function cotToSIDC(type) {
  const p = String(type || '').split('-');
  if (p[0] !== 'a' || p.length < 3) return null;
  const aff = { f: 'F', h: 'H', n: 'N', u: 'U', a: 'A', s: 'S', j: 'J', k: 'K', p: 'P', o: 'U', x: 'U' }[p[1]] || 'U';
  const dim = /^[PAGSUF]$/.test(p[2]) ? p[2] : 'G';
  const fn = p.slice(3).join('').toUpperCase().replace(/[^A-Z]/g, '').slice(0, 6);
  return `S${aff}${dim}P${fn.padEnd(6, '-')}-----`;
}

const symbolCache = new Map();
// symbolIcon draws a MIL-STD-2525 symbol once per SIDC.
function symbolIcon(sidc) {
  let icon = symbolCache.get(sidc);
  if (!icon) {
    const sym = new ms.Symbol(sidc, { size: 26, outlineWidth: 3, outlineColor: '#000' });
    const size = sym.getSize();
    const a = sym.getAnchor();
    icon = L.icon({ iconUrl: sym.asCanvas().toDataURL(), iconSize: [size.width, size.height], iconAnchor: [a.x, a.y] });
    symbolCache.set(sidc, icon);
  }
  return icon;
}

const pinCache = new Map();
function pinIcon(tlp, extra) {
  const key = `${tlp}|${extra}`;
  let icon = pinCache.get(key);
  if (!icon) {
    icon = L.divIcon({ className: `tlp-${tlp}`, html: `<div class="pin ${extra}"></div>`, iconSize: [22, 22], iconAnchor: [11, 11] });
    pinCache.set(key, icon);
  }
  return icon;
}

// PROTECTED_ICON marks a protected site: a white shield, larger than
// the pins, that no cluster takes in.
let protectedIcon = null;
const PROTECTED_ICON_OF = () => protectedIcon || (protectedIcon = L.divIcon({ className: 'protected-site', html: '<div class="shield">✚</div>', iconSize: [30, 30], iconAnchor: [15, 15] }));

const TLP_COLOUR = { RED: '#FF2B2B', AMBER: '#FFC000', 'AMBER+STRICT': '#FFC000', GREEN: '#33FF00', CLEAR: '#FFFFFF' };
// LAYERS are the map's layers, in the order the panel lists them.
const LAYERS = ['sites', 'protected sites', 'tracks', 'events', 'areas', 'places', 'operations', 'movements', 'conflicts', 'notes'];
const PICTURE_LAYERS = new Set(['sites', 'protected sites', 'tracks', 'events', 'areas', 'places']);
const SHAPE_STYLE = {
  operations: (f) => ({ color: '#4da3ff', weight: 2, fillOpacity: 0.08, dashArray: f.status === 'approved' || f.status === 'active' ? null : '8 6' }),
  movements: () => ({ color: '#ff9d3c', weight: 4, dashArray: '10 6', fill: false }),
  conflicts: () => ({ color: '#ff2bd6', weight: 2, fillColor: '#ff2bd6', fillOpacity: 0.5 }),
  'protected sites': () => ({ color: '#ffffff', weight: 3, fillColor: '#ffffff', fillOpacity: 0.25 }),
};

function popupFor(f, slug) {
  return h('div', {},
    h('h3', {}, readable(f.title)),
    h('div', {}, tlpBadge(f.marking), ' ', releasability(f.marking)),
    h('div', { class: 'hint' }, [f.layer, f.status, f.owner].filter(Boolean).join(' · ')),
    f.when ? h('div', { class: 'when' }, h('span', { class: 'lbl' }, `${f.when.label}: `), fmtInterval(f.when.start, f.when.end)) : null,
    f.created_at ? h('div', { class: 'shared' }, h('span', { class: 'lbl' }, 'Shared: '), fmtTime(f.created_at)) : null,
    f.protected ? h('div', { class: 'prot' }, 'Protected site: no strike') : null,
    f.contested ? h('div', { class: 'contested-note' }, 'Contested: competing claims') : null,
    f.extra ? h('div', {}, f.extra) : null,
    f.id ? h('a', { href: `#/r/${encodeURIComponent(slug)}/item/${encodeURIComponent(f.id)}` }, 'Open') : null);
}

// feature makes a map feature of an item of any kind: its layer, geometry
// and what the popup shows.
function feature(it, layer, geometry, more) {
  return Object.assign({ id: it.id, title: it.title || it.name, marking: it.marking, owner: it.owner, created_at: it.created_at,
    version: it.version, layer, geometry, when: itemInterval(it) }, more);
}

// pictureFeatures turns the picture (sites, tracks, events, areas, places)
// into map features.
function pictureFeatures(p) {
  const out = [];
  for (const s of p.sites || []) {
    if (s.geometry) out.push(feature(s, s.protected ? 'protected sites' : 'sites', s.geometry, { protected: s.protected, extra: s.category }));
  }
  for (const t of p.tracks || []) {
    const pos = (t.positions || []).reduce((a, b) => (!a || b.at > a.at ? b : a), null);
    if (!pos) continue;
    out.push(feature(t, 'tracks', { type: 'Point', coordinates: [pos.lon, pos.lat] },
      { sidc: field(t, 'sidc') || cotToSIDC(t.type), extra: `${t.type || ''} · seen ${fmtTime(pos.at)}` }));
  }
  for (const e of p.events || []) {
    if (e.geometry) out.push(feature(e, 'events', e.geometry, { contested: Boolean(e.contested || field(e, 'contested')), extra: e.event_kind }));
  }
  for (const a of p.areas || []) if (a.geometry) out.push(feature(a, 'areas', a.geometry, { extra: a.area_kind }));
  for (const pl of p.places || []) out.push(feature(pl, 'places', { type: 'Point', coordinates: [pl.lon, pl.lat] }, { extra: pl.country }));
  return out;
}

async function showRoom(main, slug, focusID) {
  const room = await roomBySlug(slug);
  const c = await caps();
  const feed = new Feed(slug, c.stream);
  const layerOn = new Map(LAYERS.map((k) => [k, true]));
  let until = null; // null: now (live); else a time in ms
  let filter = '';
  let mapFeatures = []; // from the picture and the operations lists
  let first = Date.now();
  // times holds what each item stands for happened or is planned (an
  // event's time, an operation's window), by item ID; the list and the
  // slider follow it rather than the share time.
  const times = new Map();
  // auto is true while the moment shown is the one the room opened at (its
  // latest activity), not one the member chose: something shared live
  // then brings the map to now.
  let auto = false;

  const layersBox = h('div', { class: 'layers', role: 'group', 'aria-label': 'Layers' });
  const search = h('input', { type: 'search', placeholder: 'Filter  ( / )', 'aria-label': 'Filter items' });
  const list = h('ul', { class: 'list', 'aria-label': 'Items' });
  const side = h('aside', { class: 'side' },
    h('div', { class: 'roomname' }, room.name),
    h('h2', {}, 'Layers'), layersBox,
    h('h2', {}, 'Items'),
    h('div', { class: 'filter' }, search, h('button', { type: 'button', onclick: () => newItem(room, feed), title: 'New item (n)' }, 'New')),
    list);
  const mapEl = h('div', { class: 'map', id: 'map', role: 'region', 'aria-label': 'Map' });
  const slider = h('input', { type: 'range', min: 0, max: 1000, value: 1000, 'aria-label': 'Time (t); End returns to now' });
  const out = h('output', {}, 'Now');
  const liveBtn = h('button', { type: 'button', onclick: () => { slider.value = 1000; onSlide(); } }, 'Now');
  const when = h('input', { type: 'datetime-local', class: 'when', 'aria-label': 'Go to a moment (UTC)' });
  const timebar = h('div', { class: 'timebar' }, h('span', {}, 'Time'), slider, out, when, liveBtn);
  const box = h('div', { class: 'room' }, side, mapEl, timebar);
  add(main, box);

  const map = L.map(mapEl, { preferCanvas: true, zoomControl: true, minZoom: 2, maxZoom: 17, worldCopyJump: false,
    maxBounds: [[-90, -200], [90, 200]] });
  const lat = room.place && room.place.lat, lon = room.place && room.place.lon;
  map.setView([lat ?? 33.5, lon ?? 38], lat !== undefined ? 7 : 5);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(`Natural Earth (public domain) · ${GEONAMES} · milsymbol`);
  basemap().then((gj) => {
    L.geoJSON(gj, { interactive: false, style: { color: '#6d8aa6', weight: 0.7, fillColor: '#1a2430', fillOpacity: 1 } }).addTo(map).bringToBack();
  });
  // The plugin's own chunked loading is off (it goes on after the map is
  // removed and interleaves with the next redraw's); redraw adds markers in
  // slices itself. Clustering stops at street level (zoom 15): fewer zoom levels to
  // cluster 10,000 markers into, and points at one place still spread out
  // when their cluster is clicked at zoom 14.
  const cluster = L.markerClusterGroup({ chunkedLoading: false, showCoverageOnHover: false, maxClusterRadius: 40, spiderfyOnMaxZoom: true,
    disableClusteringAtZoom: 15 });
  const shapes = L.geoJSON(null, {
    style: (g) => (SHAPE_STYLE[g.properties.f.layer] || ((f) => ({ color: TLP_COLOUR[f.marking.tlp] || '#fff', weight: 2, fillOpacity: 0.15 })))(g.properties.f),
    onEachFeature: (g, l) => l.bindPopup(() => popupFor(g.properties.f, slug)),
  });
  shapes.addTo(map);
  cluster.addTo(map);
  // Protected sites are never clustered: each stays in sight on its own,
  // drawn above every other marker.
  const protectedSites = L.layerGroup().addTo(map);

  map.on('click', (e) => {
    const { lat: la, lng: lo } = e.latlng;
    const btn = h('button', { type: 'button', onclick: () => { map.closePopup(); newItem(room, feed, { lat: la, lon: lo }); } }, 'New item here');
    L.popup().setLatLng(e.latlng).setContent(h('div', {}, h('div', { class: 'hint' }, `${la.toFixed(4)}, ${lo.toFixed(4)}`), btn)).openOn(map);
  });

  // Markers are made once per item version and reused across redraws.
  const markers = new Map();
  function markerFor(f) {
    const key = `${f.layer}|${f.id}|${f.contested ? 'c' : ''}`;
    const m = markers.get(key);
    if (m && m.version === f.version) return m.layer;
    const [x, y] = f.geometry.coordinates;
    const extra = [f.protected ? 'protected' : '', f.contested ? 'contested' : ''].join(' ').trim();
    const icon = f.protected ? PROTECTED_ICON_OF() : f.sidc && window.ms ? symbolIcon(f.sidc) : pinIcon(f.marking.tlp, extra);
    const layer = L.marker([y, x], { icon, title: f.title, alt: `${f.layer}: ${f.title}`, keyboard: true, zIndexOffset: f.protected ? 1000 : 0 });
    layer.bindPopup(() => popupFor(f, slug));
    markers.set(key, { layer, version: f.version });
    return layer;
  }

  // noteFeatures are the room's items that carry a position of their own
  // (notes shared with a point).
  const noteCache = new Map(); // item ID -> its feature, made once per version
  function noteFeatures() {
    const out = [];
    for (const it of feed.items.values()) {
      if (it.kind !== 'note') continue;
      let c = noteCache.get(it.id);
      if (!c || c.version !== it.version) {
        const g = geometryOf(it);
        c = { version: it.version, f: g ? feature(it, 'notes', g, { extra: field(it, 'text') }) : null };
        noteCache.set(it.id, c);
      }
      if (c.f) out.push(c.f);
    }
    return out;
  }

  const inTime = (t) => until === null || !t || Date.parse(t) <= until;
  const matches = (title) => !filter || String(title).toLowerCase().includes(filter);

  function drawLayers(all) {
    const counts = new Map();
    for (const f of all) counts.set(f.layer, (counts.get(f.layer) || 0) + 1);
    layersBox.replaceChildren(...LAYERS.map((k) => h('label', {},
      h('input', { type: 'checkbox', checked: layerOn.get(k), 'data-layer': k,
        onchange: (e) => { layerOn.set(k, e.target.checked); redraw(); } }),
      k, h('span', { class: 'n' }, counts.get(k) || 0))));
  }

  let fresh = new Set();
  let listKey = '';
  const more = h('li', { class: 'hint' });
  let inCluster = new Set(); // the marker layers in the clusters
  let queue = []; // markers waiting to join them
  let sliceTimer = 0;
  const SLICE = 500;
  function clusterSlice(all) {
    clearTimeout(sliceTimer);
    if (queue.length) {
      const n = all ? queue.length : SLICE;
      const batch = queue.slice(0, n);
      queue = queue.slice(n);
      cluster.addLayers(batch);
      for (const l of batch) inCluster.add(l);
      if (queue.length) {
        sliceTimer = setTimeout(clusterSlice, 0);
        return;
      }
    }
    if (feed.complete && box.dataset.ready) box.dataset.complete = '1';
  }

  // activityOf is when what an item stands for happened: its own time, or
  // that of the event a claim is about; null if only its share time is known.
  function activityOf(it) {
    const b = bodyOf(it);
    return times.get(it.id) || itemInterval(it) || (b.event && times.get(b.event)) || null;
  }
  // timeOf is the time the slider and the list's order go by.
  const timeOf = (it) => { const a = activityOf(it); return a ? a.start : it.created_at; };

  function redraw() {
    const all = [...mapFeatures, ...noteFeatures()];
    drawLayers(all);
    const pts = [];
    const polys = [];
    const prot = [];
    for (const f of all) {
      // The picture's layers come already as they were at the moment.
      if (!layerOn.get(f.layer) || !inTime(PICTURE_LAYERS.has(f.layer) ? null : (f.when ? f.when.start : f.created_at)) || !matches(f.title)) continue;
      if (f.geometry.type === 'Point' && f.protected) prot.push(markerFor(f));
      else if (f.geometry.type === 'Point') pts.push(markerFor(f));
      else polys.push({ type: 'Feature', geometry: f.geometry, properties: { f } });
    }
    // Only the markers that changed go in or out of the clusters, so a
    // page of items arriving or the slider moving does not re-cluster
    // every marker; new markers join in slices between frames, so the page
    // answers clicks and keys while thousands are clustered.
    const want = new Set(pts);
    const gone = [];
    for (const l of inCluster) if (!want.has(l)) gone.push(l);
    if (gone.length > inCluster.size / 2 && gone.length > 100) {
      cluster.clearLayers();
      inCluster = new Set();
    } else if (gone.length) {
      cluster.removeLayers(gone);
      for (const l of gone) inCluster.delete(l);
    }
    queue = pts.filter((l) => !inCluster.has(l));
    const keep = new Set(prot);
    for (const l of protectedSites.getLayers()) if (!keep.has(l)) protectedSites.removeLayer(l);
    for (const l of prot) if (!protectedSites.hasLayer(l)) protectedSites.addLayer(l);
    clusterSlice();
    shapes.clearLayers();
    if (polys.length) shapes.addData(polys);

    const its = [...feed.items.values()].filter((it) => inTime(timeOf(it)) && matches(it.title))
      .sort((a, b) => { const x = timeOf(a), y = timeOf(b); return x < y ? 1 : x > y ? -1 : 0; });
    // The list is redrawn only when its newest 300 changed (pages of older
    // items arriving change only the count below it).
    const top = its.slice(0, 300);
    const key = top.map((it) => `${it.id}.${it.version}`).join(' ') + (fresh.size ? ' fresh' : '');
    if (key !== listKey) {
      listKey = key;
      list.replaceChildren(...top.map((it) => h('li', {
        tabindex: 0, 'data-id': it.id, class: fresh.has(it.id) ? 'fresh' : null,
        onclick: () => focusOn(it.id), onkeydown: (e) => { if (e.key === 'Enter') focusOn(it.id); },
      }, h('span', { class: 't' }, readable(it.title)),
      h('span', { class: 'm' }, tlpBadge(it.marking), releasability(it.marking), `${it.kind} · ${it.owner}`),
      whenLine(activityOf(it), it.created_at))), more);
    }
    more.hidden = its.length <= 300;
    more.textContent = `and ${its.length - 300} more; filter to narrow`;
    fresh = new Set();
  }

  // focusOn shows an item on the map if it is drawn there, else opens it.
  function focusOn(id) {
    const f = [...mapFeatures, ...noteFeatures()].find((x) => x.id === id);
    if (!f) {
      location.hash = `#/r/${encodeURIComponent(slug)}/item/${encodeURIComponent(id)}`;
      return;
    }
    if (f.geometry.type === 'Point' && f.protected) {
      const m = markerFor(f);
      map.setView(m.getLatLng(), Math.max(map.getZoom(), 10));
      m.openPopup();
    } else if (f.geometry.type === 'Point') {
      const m = markerFor(f);
      if (!inCluster.has(m)) clusterSlice(true);
      cluster.zoomToShowLayer(m, () => m.openPopup());
    } else {
      const l = L.geoJSON(f.geometry);
      map.fitBounds(l.getBounds(), { maxZoom: 12, padding: [40, 40] });
      L.popup().setLatLng(l.getBounds().getCenter()).setContent(popupFor(f, slug)).openOn(map);
    }
  }

  // loadMap fetches the picture at the slider's moment and the room's
  // operations, movements and open conflicts.
  let loading = 0;
  async function loadMap() {
    const n = ++loading;
    const enc = encodeURIComponent(slug);
    const at = until === null ? '' : `?at=${encodeURIComponent(new Date(until).toISOString())}`;
    const [pic, ops, movs, cons] = await Promise.all([
      c.picture ? api('GET', `/api/v1/rooms/${enc}/picture${at}`) : null,
      c.operations ? all(`/api/v1/rooms/${enc}/operations`) : [],
      c.movements ? all(`/api/v1/rooms/${enc}/movements`) : [],
      c.conflicts ? all(`/api/v1/rooms/${enc}/conflicts?status=open`) : [],
    ]);
    if (n !== loading) return;
    const build = () => {
      const fs = pic ? pictureFeatures(pic) : [];
      for (const o of ops) {
        if (o.area) fs.push(feature(o, 'operations', o.area, { status: o.status, extra: `lead ${o.lead}` }));
      }
      for (const m of movs) if (m.route) fs.push(feature(m, 'movements', m.route, { status: m.status, extra: m.purpose }));
      for (const x of cons) {
        if (!x.region) continue;
        const title = x.title || `Conflict: ${x.sides.map((s) => (s.visible ? s.title : `a ${s.kind} not released to you`)).join(' × ')}`;
        fs.push(feature(Object.assign({ marking: { tlp: 'AMBER' } }, x, { title }), 'conflicts', x.region, { status: x.status, extra: x.reason }));
      }
      return fs;
    };
    const fs = build();
    if (!mapFeatures.length && fs.length && !focusID) {
      // First load: frame what the room has drawn.
      const b = L.geoJSON({ type: 'FeatureCollection', features: fs.map((f) => ({ type: 'Feature', geometry: f.geometry, properties: {} })) }).getBounds();
      if (b.isValid()) map.fitBounds(b, { maxZoom: 9, padding: [60, 60] });
    }
    mapFeatures = fs;
    // The slider reaches back to the earliest time the room's plans name.
    for (const x of [...ops, ...movs]) {
      if (!x.window || !x.window.start) continue;
      first = Math.min(first, Date.parse(x.window.start));
      times.set(x.id, itemInterval(x));
    }
    redraw();
    if (pic && c.claims && (pic.events || []).length) {
      // Then mark contested events from each event's claims board (the
      // first 50), without holding the map up.
      Promise.all(pic.events.slice(0, 50).map((e) => api('GET', `/api/v1/rooms/${enc}/events/${encodeURIComponent(e.id)}/board`)
        .then((b) => { e.contested = b.contest.contested; }, () => {}))).then(() => {
        if (n !== loading || state.view !== view) return;
        mapFeatures = build();
        redraw();
        box.dataset.contest = '1';
      });
    }
  }

  // setMoment shows the picture at t (ms), or live when t is null.
  function setMoment(t, automatic) {
    auto = Boolean(automatic);
    until = t;
    if (t === null) out.replaceChildren(h('span', { class: 'nowlive' }, 'Now (live)'));
    else out.textContent = fmtTime(t);
    redraw();
    scheduleMap(150);
  }
  let raf = 0;
  function onSlide() {
    cancelAnimationFrame(raf);
    raf = requestAnimationFrame(() => {
      const v = Number(slider.value);
      setMoment(v >= 1000 ? null : first + ((Date.now() - first) * v) / 1000);
    });
  }
  slider.addEventListener('input', onSlide);
  when.addEventListener('change', () => {
    const t = Date.parse(`${when.value}Z`);
    if (!Number.isFinite(t)) return;
    first = Math.min(first, t);
    slider.value = Math.min(999, Math.round(((t - first) / (Date.now() - first)) * 1000));
    setMoment(t);
  });

  let mapTimer = 0;
  const scheduleMap = (ms) => { clearTimeout(mapTimer); mapTimer = setTimeout(() => loadMap().catch(fail), ms); };
  let pending = 0;
  feed.on((kind, it) => {
    if (kind === 'add' && it) {
      fresh.add(it.id);
      toast(`New: ${it.title}`);
      // Opened at its latest activity, the room follows what is shared now.
      if (auto) { slider.value = 1000; setMoment(null); }
    }
    for (const x of kind === 'more' ? it : kind === 'complete' ? [] : it ? [it] : feed.items.values()) first = Math.min(first, Date.parse(x.created_at));
    // Coalesce bursts of changes into one redraw, and refetch the picture
    // when something drawn from it changed.
    clearTimeout(pending);
    pending = setTimeout(() => {
      redraw();
    }, kind === 'reset' ? 0 : 100);
    if ((kind === 'add' || kind === 'update' || kind === 'remove') && it.kind !== 'note') scheduleMap(300);
  });
  search.addEventListener('input', () => { filter = search.value.trim().toLowerCase(); redraw(); });

  const keys = (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest('input, textarea, select, dialog')) return;
    if (e.key === '/') { e.preventDefault(); search.focus(); }
    else if (e.key === 't') { e.preventDefault(); slider.focus(); }
    else if (e.key === 'n') { e.preventDefault(); newItem(room, feed); }
  };
  document.addEventListener('keydown', keys);

  const view = {
    close() { document.removeEventListener('keydown', keys); clearTimeout(mapTimer); clearTimeout(pending); clearTimeout(sliceTimer); feed.close(); map.remove(); },
  };
  state.view = view;
  out.replaceChildren(h('span', { class: 'nowlive' }, 'Now (live)'));
  // The slider reaches back to the room's earliest event or track
  // position; the room opens at its latest one: the middle of the latest
  // event, or the latest track position, when that is over an hour ago.
  let latest = null;
  const history = c.picture
    ? api('GET', `/api/v1/rooms/${encodeURIComponent(slug)}/picture?from=1970-01-01T00:00:00Z&to=${encodeURIComponent(new Date().toISOString())}`).then((p) => {
      const now = Date.now();
      for (const e of p.events || []) {
        if (!e.start) continue;
        const a = Date.parse(e.start), b = Math.min(now, e.end ? Date.parse(e.end) : a);
        first = Math.min(first, a);
        times.set(e.id, { label: 'Event time', start: e.start, end: e.end });
        latest = Math.max(latest ?? a, a + (b - a) / 2);
      }
      for (const t of p.tracks || []) {
        for (const x of t.positions || []) {
          first = Math.min(first, Date.parse(x.at));
          latest = Math.max(latest ?? 0, Date.parse(x.at));
        }
      }
    }, () => {})
    : Promise.resolve();
  // The map is ready (usable, the newest items drawn) once the picture
  // and the first page of items are in; the rest of the items follow.
  await history;
  if (latest !== null && !focusID && Date.now() - latest > 3600e3) {
    until = latest;
    auto = true;
    out.textContent = fmtTime(latest);
    slider.value = Math.min(999, Math.round(((latest - first) / (Date.now() - first)) * 1000));
  }
  await Promise.all([feed.start(), loadMap()]);
  if (state.view !== view) return;
  redraw();
  if (focusID) focusOn(focusID);
  box.dataset.ready = '1';
  clusterSlice();
}

// ---------- markings and sharing ----------

// markingPicker is the TLP chooser of every form that creates an item:
// the label, the partners it is released to and, for TLP:RED, the named
// recipients. It adds the member's own partner and the member, without
// which the server refuses a marking its author could not see.
function markingPicker(room, prefix, init) {
  const def = (init && init.tlp) || room.default_tlp || 'AMBER';
  const rel0 = (init && init.releasable_to) || [];
  const tlps = h('div', { class: 'tlps', role: 'radiogroup', 'aria-label': 'TLP' }, TLPS.map((t) => h('label', {},
    h('input', { type: 'radio', name: `${prefix}-tlp`, value: t, checked: t === def }), h('span', { class: `tlp tlp-${t}` }, `TLP:${t}`))));
  const partners = h('div', { class: 'partners', role: 'group', 'aria-label': 'Releasable to' }, room.partners.map((p) => h('label', {},
    h('input', { type: 'checkbox', name: `${prefix}-rel`, value: p, checked: rel0.includes(p) }), p)));
  const recipients = h('input', { type: 'text', name: `${prefix}-rcpt`, id: `${prefix}-rcpt`, placeholder: 'usernames, comma-separated',
    value: (init && init.recipients || []).join(', ') });
  const el = h('fieldset', { class: 'marking' }, h('legend', {}, 'Marking'), tlps,
    h('label', {}, 'Releasable to (none ticked: every partner the TLP allows)'), partners,
    h('label', { for: `${prefix}-rcpt` }, 'Recipients (TLP:RED only)'), recipients);
  return {
    el,
    value() {
      const tlp = el.querySelector(`input[name="${prefix}-tlp"]:checked`).value;
      const rel = [...el.querySelectorAll(`input[name="${prefix}-rel"]:checked`)].map((x) => x.value);
      if (rel.length && !rel.includes(state.me.partner)) rel.push(state.me.partner);
      const m = { tlp, releasable_to: rel };
      if (tlp === 'RED') {
        const r = recipients.value.split(',').map((x) => x.trim()).filter(Boolean);
        if (!r.includes(state.me.username)) r.push(state.me.username);
        m.recipients = r;
      }
      return m;
    },
  };
}

function errorText(x) {
  return x.fields && x.fields.length ? x.fields.map((f) => `${f.field}: ${f.detail}`).join('; ') : x.message;
}

// reasonForm is an inline form for an action that needs a reason: a text
// field, a button, and the API's refusal shown beside them. act gets the
// reason and returns a promise; done runs after it succeeds.
function reasonForm({ label, button, cls, required = true, act, done }) {
  const input = h('input', { type: 'text', class: 'reason', placeholder: required ? 'Reason (required)' : 'Reason (optional)', 'aria-label': label });
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: `inline ${cls || ''}` }, input, h('button', { type: 'submit', class: 'primary' }, button), err);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const btn = form.querySelector('button');
    btn.disabled = true;
    try {
      await act(input.value.trim());
      await done();
    } catch (x) {
      err.textContent = errorText(x);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

function newItem(room, feed, at) {
  const err = h('p', { class: 'error', role: 'alert' });
  const marking = markingPicker(room, 'ni');
  const form = h('form', { method: 'dialog' },
    h('h2', {}, `New item in ${room.name}`),
    h('label', { for: 'ni-title' }, 'Title'), h('input', { id: 'ni-title', name: 'title', type: 'text', required: true }),
    h('label', { for: 'ni-text' }, 'Text'), h('textarea', { id: 'ni-text', name: 'text', rows: 3 }),
    marking.el,
    h('div', { class: 'row' },
      h('div', {}, h('label', { for: 'ni-lat' }, 'Latitude'), h('input', { id: 'ni-lat', name: 'lat', type: 'text', inputmode: 'decimal', value: at ? at.lat.toFixed(5) : '' })),
      h('div', {}, h('label', { for: 'ni-lon' }, 'Longitude'), h('input', { id: 'ni-lon', name: 'lon', type: 'text', inputmode: 'decimal', value: at ? at.lon.toFixed(5) : '' }))),
    h('p', { class: 'hint' }, 'Click the map to place an item there.'),
    err,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel'),
      h('button', { class: 'primary', type: 'submit', id: 'ni-share' }, 'Share')));
  const dlg = h('dialog', { 'aria-label': 'New item' }, form);
  dlg.addEventListener('close', () => dlg.remove());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const data = {};
    const la = form.lat.value.trim(), lo = form.lon.value.trim();
    if (la || lo) {
      data.lat = Number(la);
      data.lon = Number(lo);
      if (!la || !lo || !Number.isFinite(data.lat) || Math.abs(data.lat) > 90 || !Number.isFinite(data.lon) || Math.abs(data.lon) > 180) {
        err.textContent = 'Latitude must be within ±90 and longitude within ±180.';
        return;
      }
    }
    const body = { title: form.title.value.trim(), text: form.text.value, marking: marking.value() };
    if (Object.keys(data).length) body.data = data;
    try {
      const it = await api('POST', `/api/v1/rooms/${encodeURIComponent(room.slug)}/notes`, body);
      feed.upsert(it);
      dlg.close();
    } catch (x) {
      err.textContent = errorText(x);
    }
  });
  document.body.append(dlg);
  dlg.showModal();
  form.title.focus();
}

// follow reloads a board when the room's live stream tells of a change to
// an item of one of kinds (the stream carries only what the member may
// see). While the member is in a form inside the board, the reload waits,
// so nothing typed is lost: reload gets busy and, when the member opened a
// form while it was reading, renders nothing and returns false (it is
// tried again later). It returns the function that stops following.
async function follow(slug, kinds, reload, root) {
  if (!(await caps()).stream) return () => {};
  const es = new EventSource(`/api/v1/rooms/${encodeURIComponent(slug)}/stream`);
  let timer = 0;
  const busy = () => root.querySelector('details[open] form, .card details[open]') !== null ||
    (document.activeElement && document.activeElement !== document.body && root.contains(document.activeElement) &&
      document.activeElement.matches('input:not([type=checkbox]):not([type=radio]), textarea') && document.activeElement.value !== '');
  const later = (ms) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (busy()) later(2000);
      else reload(busy).then((done) => { if (done === false) later(2000); }, fail);
    }, ms);
  };
  es.onopen = () => $('#live').classList.add('on');
  es.onerror = () => $('#live').classList.remove('on');
  es.addEventListener('change', (e) => { if (kinds.includes(JSON.parse(e.data).kind)) later(300); });
  es.addEventListener('lagged', () => later(300));
  es.addEventListener('reset', () => later(300));
  return () => { clearTimeout(timer); es.close(); $('#live').classList.remove('on'); };
}

// ---------- operations board ----------

const OP_STATUSES = ['draft', 'proposed', 'approved', 'active', 'completed', 'rejected', 'cancelled'];

function windowText(w) {
  return w && w.start ? `${fmtTime(w.start)} – ${fmtTime(w.end)}` : 'no time window';
}

async function showOps(main, slug) {
  const room = await roomBySlug(slug);
  const c = await caps();
  const enc = encodeURIComponent(slug);
  const page = h('section', { class: 'page' });
  add(main, page);
  const mayDecide = (room.authorities || []).includes(state.me.username);
  // The partner of each authority, to name them on the cards.
  const partnerOf = new Map();
  try {
    for (const m of await all(`/api/v1/rooms/${enc}/members`)) partnerOf.set(m.username, m.partner);
  } catch { /* named by username */ }
  const hhmm = (t) => fmtTime(t).slice(11, 16);
  let openCons = [];

  async function act(o, verb, reason) {
    try {
      await api('POST', `/api/v1/operations/${encodeURIComponent(o.id)}/${verb}`, { reason });
      toast(`${o.title}: ${verb} done`);
      await load();
    } catch (x) {
      toast(errorText(x));
    }
  }

  // approvers lists every authority the proposal needs, with their
  // decision and its time, or pending: "IR ✓ 14:02 · IQ pending".
  function approvers(o) {
    const auth = room.authorities || [];
    if (!auth.length) return null;
    const by = new Map((o.decisions || []).map((d) => [d.by, d]));
    return h('div', { class: 'approvers', 'aria-label': 'Approvers' }, auth.map((u, i) => {
      const d = by.get(u);
      const who = partnerOf.get(u) || u;
      const yes = d && /^approv/.test(d.decision);
      return [i ? ' · ' : '', h('span', { class: `approver ${d ? (yes ? 'yes' : 'no') : 'pending'}`, 'data-user': u, title: u },
        d ? `${who} ${yes ? '✓' : '✗'} ${hhmm(d.at)}` : `${who} pending`)];
    }));
  }

  function card(o) {
    const reason = h('input', { type: 'text', placeholder: 'Reason (optional)', 'aria-label': `Reason for ${o.title}` });
    const actions = [];
    const mine = (o.decisions || []).find((d) => d.by === state.me.username);
    const cons = openCons.filter((x) => x.sides.some((sd) => sd.item_id === o.id));
    if (o.status === 'proposed' || cons.length) {
      actions.push(cons.length ? h('div', { class: 'op-conflicts', role: 'alert' },
        h('strong', {}, `${cons.length} open conflict${cons.length === 1 ? '' : 's'}`),
        h('ul', {}, cons.map((x) => h('li', {}, x.sides.map((sd) => (sd.visible ? `${sd.kind} “${sd.title}” (${sd.partner})` : `a ${sd.kind} not released to you`)).join(' × '),
          x.window ? ` · ${windowText(x.window)} ` : ' ',
          x.region ? h('a', { href: `#/r/${enc}/at/${encodeURIComponent(x.id)}` }, 'Show on map') : null)))) : null);
    }
    if (o.status === 'proposed' && mayDecide && mine) {
      const waiting = (room.authorities || []).filter((u) => !(o.decisions || []).some((d) => d.by === u)).map((u) => partnerOf.get(u) || u);
      actions.push(h('p', { class: 'hint decided' }, `You ${/^approv/.test(mine.decision) ? 'approved' : 'rejected'} this proposal at ${fmtTime(mine.at)}`,
        waiting.length ? `; waiting for ${waiting.join(', ')}.` : '.'));
    } else if (o.status === 'proposed' && mayDecide) {
      actions.push(h('div', { class: 'approval', role: 'group', 'aria-label': 'Approval' }, reason,
        h('button', { class: 'primary approve', type: 'button', onclick: () => act(o, 'approve', reason.value) }, 'Approve'),
        h('button', { class: 'reject', type: 'button', onclick: () => act(o, 'reject', reason.value) }, 'Reject')));
    } else if (o.status === 'proposed') {
      actions.push(h('p', { class: 'hint cannot' }, 'Only the room\'s ', (room.authorities || []).length > 1 ? 'co-directors' : 'director', ' decide on proposals.'));
    }
    if (o.status === 'draft' && o.owner === state.me.partner) {
      actions.push(h('button', { type: 'button', onclick: () => act(o, 'propose', '') }, 'Propose'));
    }
    return h('article', { class: 'card', 'data-id': o.id, 'data-status': o.status },
      h('h3', {}, o.title), h('div', {}, tlpBadge(o.marking), ' ', releasability(o.marking)),
      h('div', { class: 'hint' }, `lead ${o.lead || o.owner} · ${windowText(o.window)}`),
      (o.components || []).length ? h('ul', { class: 'comp' }, o.components.map((x) => h('li', {}, `${x.partner}: ${x.component}`))) : null,
      (o.phases || []).length ? h('div', { class: 'hint' }, `Phases: ${o.phases.map((p) => p.name).join('; ')}`) : null,
      o.status === 'proposed' ? approvers(o) : null,
      (o.decisions || []).map((d) => h('div', { class: 'decision' }, `${d.decision} by ${d.by} at ${fmtTime(d.at)}${d.reason ? `: ${d.reason}` : ''}`)),
      o.area ? h('a', { href: `#/r/${enc}/at/${encodeURIComponent(o.id)}` }, 'Show on map') : null,
      actions);
  }

  async function load(busy) {
    const [ops, cons] = await Promise.all([all(`/api/v1/rooms/${enc}/operations`),
      c.conflicts ? all(`/api/v1/rooms/${enc}/conflicts`) : []]);
    openCons = cons.filter((x) => x.status === 'open');
    watchConflicts(slug);
    // The list leaves the decisions out; each proposal's own page has them.
    await Promise.all(ops.filter((o) => o.status === 'proposed').map((o) => api('GET', `/api/v1/operations/${encodeURIComponent(o.id)}`)
      .then((full) => { o.decisions = full.decisions || []; }, () => {})));
    if (busy && busy()) return false;
    const by = new Map();
    for (const o of ops) {
      if (!by.has(o.status)) by.set(o.status, []);
      by.get(o.status).push(o);
    }
    const statuses = [...OP_STATUSES, ...[...by.keys()].filter((s) => !OP_STATUSES.includes(s))];
    fill(page, h('h1', {}, 'Operations'),
      mayDecide ? h('p', { class: 'hint' }, 'You decide on proposed operations and accept conflicts in this room.') : null,
      h('div', { class: 'board' }, statuses.filter((s) => by.has(s) || ['proposed', 'approved', 'active'].includes(s)).map((s) =>
        h('section', { class: 'col', 'data-status': s, 'aria-label': s }, h('h2', {}, `${s} (${(by.get(s) || []).length})`),
          (by.get(s) || []).map(card)))),
      c.conflicts ? h('h2', {}, 'Conflicts') : null,
      c.conflicts ? h('ul', { class: 'conflicts' }, cons.length ? cons.map((x) => h('li', { 'data-id': x.id, 'data-status': x.status },
        h('strong', { class: `cstatus cs-${x.status}` }, x.status), ' ', tlpBadge(x.marking), ' ',
        x.status === 'open' && x.reason ? `${x.reason} — ` : '',
        x.sides.map((s) => (s.visible ? `${s.kind} “${s.title}” (${s.partner})` : `a ${s.kind} not released to you`)).join(' × '),
        x.window ? ` · ${windowText(x.window)} ` : ' ',
        x.region && x.status === 'open' ? h('a', { href: `#/r/${enc}/at/${encodeURIComponent(x.id)}` }, 'Show the overlap on the map') : null,
        x.status !== 'open' && (x.resolved_by || x.reason)
          ? h('div', { class: 'decision' }, `${x.status}${x.resolved_by ? ` by ${x.resolved_by}` : ''}${x.resolved_at ? ` at ${fmtTime(x.resolved_at)}` : ''}${x.reason ? `: ${x.reason}` : ''}`)
          : null,
        x.status === 'open' && mayDecide
          ? reasonForm({ label: 'Reason for accepting the conflict', button: 'Accept the conflict', cls: 'accept-conflict',
            act: (reason) => api('POST', `/api/v1/conflicts/${encodeURIComponent(x.id)}/accept`, { reason }),
            done: async () => { toast('Conflict accepted'); await load(); } })
          : null)) : h('li', {}, 'No conflicts.')) : null);
  }
  await load();
  state.view = { close: await follow(slug, ['operation', 'conflict'], load, main) };
}

// ---------- watch log and requests for information ----------

async function showLog(main, slug) {
  const room = await roomBySlug(slug);
  const enc = encodeURIComponent(slug);
  const marking = markingPicker(room, 'log');
  const text = h('textarea', { id: 'log-text', rows: 2, required: true, 'aria-label': 'Entry' });
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'entry' }, h('label', { for: 'log-text' }, 'New entry'), text, marking.el, err,
    h('button', { class: 'primary', type: 'submit' }, 'Add to the log'));
  const list = h('ol', { class: 'log', reversed: true });
  const mayDecide = (room.authorities || []).includes(state.me.username);
  add(main, h('section', { class: 'page' }, h('h1', {}, 'Watch log'), logGrade(room, mayDecide || state.me.is_admin), form, list));
  // Fetched alongside, never before the form listens: a submit must not
  // reach the browser's own handling.
  const timesP = eventTimes(slug);
  async function load(busy) {
    const [raw, times] = await Promise.all([all(`/api/v1/rooms/${enc}/log`), timesP]);
    const es = raw.reverse(); // newest first
    if (busy && busy()) return false;
    list.replaceChildren(...es.map((e) => {
      const strike = !e.struck && (e.created_by === state.me.username || mayDecide)
        ? h('details', { class: 'strike' }, h('summary', {}, 'Strike through'),
          reasonForm({ label: 'Reason for striking the entry through', button: 'Strike', cls: 'strike-form',
            act: (reason) => api('POST', `/api/v1/log/${encodeURIComponent(e.id)}/strike`, { reason }), done: load }))
        : null;
      return h('li', { class: e.struck ? 'struck' : null, 'data-id': e.id },
        h('time', { datetime: e.at || e.created_at }, `logged ${fmtTime(e.at || e.created_at)}`), ' ', tlpBadge(e.marking), ' ',
        h('span', { class: 'text' }, readable(e.text || e.title)), ' ',
        e.source_kind === 'event' && times.get(e.source_id)
          ? h('span', { class: 'when' }, `event time ${fmtInterval(times.get(e.source_id).start, times.get(e.source_id).end)}`) : null, ' ',
        h('span', { class: 'hint' }, `${e.created_by}${e.automatic ? ' · automatic' : ''}`),
        e.struck ? h('div', { class: 'struck-by' }, `Struck through by ${e.struck_by}${e.struck_at ? ` at ${fmtTime(e.struck_at)}` : ''}: ${e.strike_reason}`) : null,
        strike);
    }));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      await api('POST', `/api/v1/rooms/${enc}/log`, { text: text.value, marking: marking.value() });
      text.value = '';
      await load();
    } catch (x) {
      err.textContent = errorText(x);
    }
  });
  await load();
  state.view = { close: await follow(slug, ['log-entry'], load, list) };
}

// logGrade shows the room's threshold for automatic entries and, to those
// who may change it (admins, the room's authority), a form to change it.
function logGrade(room, mayChange) {
  const says = (g) => (g
    ? `Reports graded ${g} or better (source ${g[0]} or better, credibility ${g[1]} or better) are entered automatically, with events that become contested and conflicts.`
    : 'No report is entered automatically (the log grade is off); events that become contested and conflicts are.');
  const line = h('span', { id: 'log-grade-line' }, says(room.log_grade));
  if (!mayChange) return h('p', { class: 'hint' }, line);
  const input = h('input', { id: 'log-grade', value: room.log_grade || '', size: 3, maxlength: 2, placeholder: 'B2', 'aria-describedby': 'log-grade-help' });
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'log-grade' },
    h('label', { for: 'log-grade' }, 'Log grade'), input,
    h('button', { type: 'submit' }, 'Set'),
    h('small', { id: 'log-grade-help' }, 'A reliability A–F and a credibility 1–6, such as B2; empty turns it off. It applies from now on.'), err);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      const r = await api('PATCH', `/api/v1/rooms/${encodeURIComponent(room.slug)}`, { log_grade: input.value.trim().toUpperCase() });
      room.log_grade = r.log_grade;
      input.value = r.log_grade || '';
      line.textContent = says(r.log_grade);
      toast(r.log_grade ? `Log grade set to ${r.log_grade}` : 'Log grade turned off');
    } catch (x) {
      err.textContent = errorText(x);
    }
  });
  return h('details', { class: 'log-grade' }, h('summary', {}, line, ' ', h('span', { class: 'hint' }, '(change)')), form);
}

async function showRFIs(main, slug) {
  const room = await roomBySlug(slug);
  const enc = encodeURIComponent(slug);
  const marking = markingPicker(room, 'rfi');
  const question = h('textarea', { id: 'rfi-q', rows: 2, required: true });
  const others = room.partners.filter((p) => p !== state.me.partner);
  const assignee = h('select', { id: 'rfi-a', required: true }, room.partners.map((p) => h('option', { value: p, selected: p === others[0] }, p)));
  const deadline = h('input', { id: 'rfi-d', type: 'datetime-local', required: true,
    value: new Date(Date.now() + 24 * 3600e3).toISOString().slice(0, 16) });
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'entry' }, h('label', { for: 'rfi-q' }, 'Question'), question,
    h('div', { class: 'row' }, h('div', {}, h('label', { for: 'rfi-a' }, 'Assigned to (partner)'), assignee),
      h('div', {}, h('label', { for: 'rfi-d' }, 'Deadline (UTC)'), deadline)),
    marking.el, err, h('button', { class: 'primary', type: 'submit' }, 'Ask'));
  const list = h('div', { class: 'rfis' });
  add(main, h('section', { class: 'page' }, h('h1', {}, 'Requests for information'), form, list));

  // answerForm lets a member of the assigned partner find the room's
  // reports and other items and link the ones that answer.
  function answerForm(r) {
    const q = h('input', { type: 'search', class: 'answer-q', placeholder: 'Search reports and items by title', 'aria-label': 'Search items to link' });
    const found = h('ul', { class: 'pick' });
    const ferr = h('p', { class: 'error', role: 'alert' });
    const picked = new Set();
    let seq = 0;
    async function search() {
      const n = ++seq;
      const p = new URLSearchParams({ limit: '30' });
      if (q.value.trim()) p.set('q', q.value.trim());
      // Reports first (what an answer usually links), then other items.
      const [reports, items] = await Promise.all([api('GET', `/api/v1/rooms/${enc}/items?kind=report&${p}`), api('GET', `/api/v1/rooms/${enc}/items?${p}`)]);
      if (n !== seq) return;
      const ids = new Set();
      const its = [...reports.items, ...items.items].filter((it) => {
        if (ids.has(it.id) || it.id === r.id || ['rfi', 'log-entry', 'conflict'].includes(it.kind)) return false;
        ids.add(it.id);
        return true;
      });
      found.replaceChildren(...(its.length ? its.map((it) => h('li', {}, h('label', {},
        h('input', { type: 'checkbox', value: it.id, checked: picked.has(it.id),
          onchange: (e) => { if (e.target.checked) picked.add(it.id); else picked.delete(it.id); } }),
        tlpBadge(it.marking), ' ', it.title, h('span', { class: 'hint' }, ` ${it.kind} · ${it.owner}`))))
        : [h('li', { class: 'hint' }, 'Nothing matches.')]));
    }
    let t = 0;
    q.addEventListener('input', () => { clearTimeout(t); t = setTimeout(() => search().catch(fail), 250); });
    const f = h('form', { class: 'answer' }, q, found, ferr, h('button', { class: 'primary', type: 'submit' }, 'Link as the answer'));
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      ferr.textContent = '';
      try {
        await api('POST', `/api/v1/rfis/${encodeURIComponent(r.id)}/answer`, { items: [...picked] });
        toast('Answer linked');
        await load();
      } catch (x) {
        ferr.textContent = errorText(x);
      }
    });
    const d = h('details', { class: 'answer-box' }, h('summary', {}, 'Answer by linking reports or items'), f);
    d.addEventListener('toggle', () => { if (d.open && !found.children.length) search().catch(fail); });
    return d;
  }

  function card(r) {
    const asker = r.created_by === state.me.username;
    const answerer = r.assignee === state.me.partner && r.status !== 'accepted';
    const acceptErr = h('p', { class: 'error', role: 'alert' });
    return h('article', { class: 'card rfi', 'data-id': r.id, 'data-status': r.status },
      h('h3', {}, r.question || r.title),
      h('div', {}, tlpBadge(r.marking), ' ', releasability(r.marking), ' ', h('strong', { class: 'rstatus' }, r.status),
        r.overdue ? h('span', { class: 'overdue' }, ' overdue') : null),
      h('div', { class: 'hint' }, `asked by ${r.created_by} (${r.owner}) · for ${r.assignee}${r.deadline ? ` · due ${fmtTime(r.deadline)}` : ''}`),
      (r.answers || []).length ? h('div', {}, h('h4', {}, 'Answered with'), h('ul', { class: 'answers' }, r.answers.map((a) => h('li', {},
        h('a', { href: a.kind === 'report' ? `#/r/${enc}/report/${encodeURIComponent(a.item)}` : `#/r/${enc}/item/${encodeURIComponent(a.item)}` }, a.title || a.item),
        ` (${a.kind}, linked by ${a.by}, ${fmtTime(a.at)})`)))) : null,
      answerer ? answerForm(r) : null,
      asker && r.status === 'answered' ? h('div', { class: 'inline' },
        h('button', { type: 'button', class: 'primary accept-rfi', onclick: async () => {
          acceptErr.textContent = '';
          try {
            await api('POST', `/api/v1/rfis/${encodeURIComponent(r.id)}/accept`, {});
            toast('Answer accepted');
            await load();
          } catch (x) {
            acceptErr.textContent = errorText(x);
          }
        } }, 'Accept the answer'), acceptErr) : null,
      asker && (r.status === 'answered' || r.status === 'accepted') ? h('details', { class: 'reopen' }, h('summary', {}, 'Reopen'),
        reasonForm({ label: 'Reason for reopening', button: 'Reopen', cls: 'reopen-form',
          act: (reason) => api('POST', `/api/v1/rfis/${encodeURIComponent(r.id)}/reopen`, { reason }), done: load })) : null);
  }

  async function load(busy) {
    // The list carries no answers (each reader may see different ones):
    // ask for each request that has been answered.
    const rs = await Promise.all((await all(`/api/v1/rooms/${enc}/rfis`)).map((r) => (r.status === 'open'
      ? r : api('GET', `/api/v1/rfis/${encodeURIComponent(r.id)}`).catch(() => r))));
    if (busy && busy()) return false;
    list.replaceChildren(...(rs.length ? rs.map(card) : [h('p', { class: 'hint' }, 'No requests for information.')]));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const body = { question: question.value, assignee: assignee.value, marking: marking.value() };
    if (deadline.value) body.deadline = new Date(`${deadline.value}Z`).toISOString();
    try {
      await api('POST', `/api/v1/rooms/${enc}/rfis`, body);
      question.value = '';
      await load();
    } catch (x) {
      err.textContent = errorText(x);
    }
  });
  await load();
  state.view = { close: await follow(slug, ['rfi'], load, list) };
}

// ---------- intelligence: feed, report page, claims board ----------

const RELIABILITY = ['A', 'B', 'C', 'D', 'E', 'F'];

function grade(r) {
  const g = r.grade || `${r.reliability || '?'}${r.credibility || '?'}`;
  return h('span', { class: `grade grade-${g[0]}`, title: 'Admiralty grade: source reliability (A–F) and information credibility (1–6)' }, g);
}

// intelIndex loads the room's reports and sources once per view, to name
// the reports and sources that claims and links refer to by ID.
async function intelIndex(slug) {
  const enc = encodeURIComponent(slug);
  const [reports, sources] = await Promise.all([all(`/api/v1/rooms/${enc}/reports`), all(`/api/v1/rooms/${enc}/sources`)]);
  return { reports: new Map(reports.map((r) => [r.id, r])), sources: new Map(sources.map((s) => [s.id, s])) };
}

async function showIntel(main, slug) {
  const enc = encodeURIComponent(slug);
  const q = h('input', { type: 'search', id: 'intel-q', placeholder: 'Search reports  ( / )', 'aria-label': 'Search reports' });
  const rel = h('select', { 'aria-label': 'Source reliability' }, h('option', { value: '' }, 'Any reliability'), RELIABILITY.map((x) => h('option', { value: x }, `Reliability ${x}`)));
  const cred = h('select', { 'aria-label': 'Credibility at least' }, h('option', { value: '' }, 'Any credibility'), [1, 2, 3, 4, 5, 6].map((x) => h('option', { value: x }, `Credibility 1–${x}`)));
  const contested = h('input', { type: 'checkbox', id: 'intel-contested' });
  const list = h('div', { class: 'reports' });
  const count = h('p', { class: 'hint' });
  const credit = geonames();
  add(main, h('section', { class: 'page' }, h('h1', {}, 'Intelligence'),
    h('div', { class: 'filter' }, q, rel, cred, h('label', { class: 'check' }, contested, 'Contested events only')), count, list, credit));
  let seq = 0;
  async function load() {
    const n = ++seq;
    const p = new URLSearchParams();
    if (q.value.trim()) p.set('q', q.value.trim());
    if (rel.value) p.set('reliability', rel.value);
    if (cred.value) p.set('max_credibility', cred.value);
    if (contested.checked) p.set('contested', 'true');
    let reports;
    if ([...p.keys()].length) {
      const page = await api('GET', `/api/v1/rooms/${enc}/search?${p}&limit=200`);
      reports = page.hits.map((x) => x.report);
    } else {
      reports = await all(`/api/v1/rooms/${enc}/reports`);
    }
    if (n !== seq) return;
    count.textContent = `${reports.length} report${reports.length === 1 ? '' : 's'}`;
    credit.hidden = !reports.some((r) => (r.places || []).length);
    list.replaceChildren(...reports.map((r) => h('article', { class: 'report', 'data-id': r.id },
      grade(r),
      h('div', {},
        h('a', { class: 'rt', href: `#/r/${enc}/report/${encodeURIComponent(r.id)}` }, r.title),
        h('div', { class: 'm' }, tlpBadge(r.marking), ' ', releasability(r.marking), ' ',
          `${r.source_name || ''} · ${r.owner}`, r.observed ? ` · observed ${fmtTime(r.observed.start)}` : '',
          (r.places || []).length ? ` · ${r.places.map((x) => x.name).join(', ')}` : ''),
        h('p', {}, r.text)))));
  }
  let t = 0;
  q.addEventListener('input', () => { clearTimeout(t); t = setTimeout(() => load().catch(fail), 250); });
  for (const el of [rel, cred, contested]) el.addEventListener('change', () => load().catch(fail));
  const keys = (e) => { if (e.key === '/' && !e.target.closest('input, select, textarea')) { e.preventDefault(); q.focus(); } };
  document.addEventListener('keydown', keys);
  state.view = { close() { document.removeEventListener('keydown', keys); } };
  await load();
}

// provenance walks a report's links both ways (up to 40 reports) and
// returns the reports met and the links between them.
async function provenance(slug, id) {
  const enc = encodeURIComponent(slug);
  const depth = new Map([[id, 0]]);
  const links = new Map();
  let frontier = [id];
  while (frontier.length && depth.size < 40) {
    const next = [];
    const got = await Promise.all(frontier.map((x) => api('GET', `/api/v1/rooms/${enc}/reports/${encodeURIComponent(x)}/links`)));
    got.forEach((l, i) => {
      const d = depth.get(frontier[i]);
      for (const k of l.upstream || []) {
        links.set(`${k.report}>${k.target}`, k);
        if (!depth.has(k.target)) { depth.set(k.target, d - 1); next.push(k.target); }
      }
      for (const k of l.downstream || []) {
        links.set(`${k.report}>${k.target}`, k);
        if (!depth.has(k.report)) { depth.set(k.report, d + 1); next.push(k.report); }
      }
    });
    frontier = next;
  }
  return { depth, links: [...links.values()] };
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const k of kids) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return el;
}

// provenanceGraph draws the reports in columns, the originals left and
// those that repeat them to the right, an arrow from each echo to what it
// repeats.
function provenanceGraph(slug, id, g, index) {
  const cols = new Map();
  for (const [rid, d] of g.depth) {
    if (!cols.has(d)) cols.set(d, []);
    cols.get(d).push(rid);
  }
  const ds = [...cols.keys()].sort((a, b) => a - b);
  const W = 250, H = 64, GX = 110, GY = 18;
  const pos = new Map();
  ds.forEach((d, ci) => cols.get(d).forEach((rid, ri) => pos.set(rid, { x: 10 + ci * (W + GX), y: 10 + ri * (H + GY) })));
  const width = 20 + ds.length * W + (ds.length - 1) * GX;
  const height = 20 + Math.max(...ds.map((d) => cols.get(d).length)) * (H + GY) - GY;
  const svg = s('svg', { class: 'prov', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Provenance graph' },
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
      s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8b98a8' }))));
  for (const l of g.links) {
    const a = pos.get(l.report), b = pos.get(l.target);
    if (!a || !b) continue;
    const x1 = a.x, y1 = a.y + H / 2, x2 = b.x + W, y2 = b.y + H / 2;
    const mx = (x1 + x2) / 2;
    svg.append(s('path', { class: 'edge', d: `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`, 'marker-end': 'url(#arrow)' }),
      s('text', { class: 'edge-label', x: mx, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle' }, l.kind));
  }
  for (const [rid, p] of pos) {
    const r = index.reports.get(rid);
    const title = r ? r.title : 'a report not released to you';
    const label = title.length > 34 ? `${title.slice(0, 33)}…` : title;
    const node = s('g', { class: `node${rid === id ? ' self' : ''}${g.links.some((l) => l.report === rid) ? ' echo' : ''}`, 'data-id': rid, transform: `translate(${p.x},${p.y})` },
      s('rect', { width: W, height: H, rx: 6 }),
      s('text', { x: 10, y: 24, class: 'g' }, r ? (r.grade || '') : ''),
      s('text', { x: 44, y: 24 }, label),
      s('text', { x: 10, y: 48, class: 'sub' }, r ? `${r.source_name || ''} · ${r.owner}` : ''));
    const a = s('a', { href: `#/r/${encodeURIComponent(slug)}/report/${encodeURIComponent(rid)}` }, node);
    a.append(s('title', {}, title));
    svg.append(a);
  }
  return svg;
}

async function showReport(main, slug, id) {
  const enc = encodeURIComponent(slug);
  const page = h('section', { class: 'page' });
  add(main, page);
  let r;
  try {
    r = await api('GET', `/api/v1/rooms/${enc}/reports/${encodeURIComponent(id)}`);
  } catch {
    add(page, h('h1', {}, 'Not found'), h('p', {}, 'This report does not exist or is not released to you.'));
    return;
  }
  const [index, g, claims] = await Promise.all([intelIndex(slug), provenance(slug, id), all(`/api/v1/rooms/${enc}/items?kind=claim`)]);
  const mine = claims.filter((c) => (c.body.supporting || []).includes(id) || (c.body.disputing || []).includes(id));
  const echoes = g.links.filter((l) => l.target === id).length;
  add(page, 
    h('p', {}, tlpBadge(r.marking), ' ', releasability(r.marking)),
    h('h1', { class: 'rh' }, grade(r), ' ', r.title),
    h('p', {}, r.text),
    h('dl', {},
      h('dt', {}, 'Source'), h('dd', {}, r.source ? `${r.source_name || r.source} (reliability ${r.reliability})` : 'not released to you'),
      h('dt', {}, 'Credibility'), h('dd', {}, String(r.credibility)),
      h('dt', {}, 'Observed'), h('dd', {}, r.observed ? `${fmtTime(r.observed.start)} – ${fmtTime(r.observed.end)}` : 'not given'),
      h('dt', {}, 'Reported'), h('dd', {}, r.reported_at ? fmtTime(r.reported_at) : '—'),
      h('dt', {}, 'Places'), h('dd', {}, (r.places || []).map((p) => p.name).join(', ') || '—',
        (r.places || []).some((p) => p.name) ? h('small', { class: 'credit' }, ` (${GEONAMES})`) : null),
      h('dt', {}, 'Shared by'), h('dd', {}, `${r.owner} (${r.created_by}), version ${r.version}`)),
    h('h2', {}, 'Provenance'),
    h('p', { class: 'hint' }, g.links.length
      ? `${g.depth.size} reports linked; ${echoes} repeat${echoes === 1 ? 's' : ''} this one directly. Originals on the left, echoes to the right.`
      : 'No report repeats this one, and it repeats none.'),
    g.links.length ? h('div', { class: 'provbox' }, provenanceGraph(slug, id, g, index)) : null,
    h('h2', {}, 'Claims resting on this report'),
    mine.length ? h('ul', {}, mine.map((c) => h('li', {}, tlpBadge(c.marking), ' ',
      // A claim whose event the reader may not see comes without one.
      c.body.event ? h('a', { href: `#/r/${enc}/claims/${encodeURIComponent(c.body.event)}` }, c.title) : c.title,
      (c.body.disputing || []).includes(id) ? ' (disputes it)' : ''))) : h('p', { class: 'hint' }, 'None.'));
  if (r.owner === state.me.partner) add(page, await reportEditor(slug, r, () => showReportAgain(main, slug, id)));
  if (r.version > 1) {
    const vs = await api('GET', `/api/v1/rooms/${enc}/reports/${encodeURIComponent(id)}/versions`).catch(() => []);
    add(page, h('h2', {}, 'Versions'), h('ol', { class: 'versions' }, vs.map((v) => h('li', { class: v.version === r.version ? 'current' : null },
      `version ${v.version}: “${v.title}” `, tlpBadge(v.marking), ` · ${v.edited_by || ''} · ${fmtTime(v.edited_at)}`,
      v.version === r.version ? ' (current)' : ''))));
  }
}

function showReportAgain(main, slug, id) {
  main.replaceChildren();
  return showReport(main, slug, id);
}

// reportEditor lets the owner partner's members change a report's title,
// text and marking; the server keeps the replaced version.
async function reportEditor(slug, r, done) {
  const room = await roomBySlug(slug);
  const title = h('input', { id: 're-title', type: 'text', required: true, value: r.title });
  const text = h('textarea', { id: 're-text', rows: 5 });
  text.value = r.text || '';
  const marking = markingPicker(room, 're', r.marking);
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'entry edit-report' },
    h('label', { for: 're-title' }, 'Title'), title, h('label', { for: 're-text' }, 'Text'), text, marking.el, err,
    h('p', { class: 'hint' }, `You replace version ${r.version}; it stays readable under Versions.`),
    h('button', { class: 'primary', type: 'submit' }, 'Save a new version'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const body = { version: r.version, title: title.value.trim(), text: text.value, source: r.source, credibility: r.credibility,
      observed: r.observed || null, places: r.places || [], marking: marking.value() };
    if (r.reported_at) body.reported_at = r.reported_at;
    try {
      await api('PUT', `/api/v1/rooms/${encodeURIComponent(slug)}/reports/${encodeURIComponent(r.id)}`, body);
      toast('Report saved');
      await done();
    } catch (x) {
      err.textContent = x.status === 409 ? 'Someone changed this report meanwhile; reload it and edit again.' : errorText(x);
    }
  });
  return h('details', { class: 'edit' }, h('summary', {}, 'Edit this report'), form);
}

// claimCard shows one claim with its independent origins, each origin's
// echoes collapsed into it.
function claimCard(slug, c, corr, index) {
  const enc = encodeURIComponent(slug);
  const name = (rid) => { const r = index.reports.get(rid); return r ? r.title : 'a report not released to you'; };
  const origins = (corr && corr.origins) || [];
  return h('article', { class: `claim ${c.stance}`, 'data-id': c.id },
    h('div', { class: 'stance' }, `${c.actor} ${c.stance}`),
    h('p', { class: 'stmt' }, c.statement),
    h('div', { class: 'indep', title: 'Independent origins among the reports you may see' },
      h('strong', {}, String(corr ? corr.independent : 0)), ` independent origin${corr && corr.independent === 1 ? '' : 's'}`),
    h('ul', { class: 'origins' }, origins.map((o) => {
      const src = index.sources.get(o.source);
      return h('li', {},
        h('div', {}, src ? src.name : 'a source', ': ', o.roots.map((rid) => h('a', { href: `#/r/${enc}/report/${encodeURIComponent(rid)}` }, name(rid)))),
        o.echoes.length ? h('details', { class: 'echoes' }, h('summary', {}, `${o.echoes.length} echo${o.echoes.length === 1 ? '' : 'es'} collapsed`),
          h('ul', {}, o.echoes.map((rid) => h('li', {}, h('a', { href: `#/r/${enc}/report/${encodeURIComponent(rid)}` }, name(rid)))))) : null);
    })));
}

async function showClaims(main, slug, eventID) {
  const enc = encodeURIComponent(slug);
  const page = h('section', { class: 'page' }, h('h1', {}, 'Claims board'));
  add(main, page);
  const [events, index] = await Promise.all([all(`/api/v1/rooms/${enc}/items?kind=event`), intelIndex(slug)]);
  const shown = eventID ? events.filter((e) => e.id === eventID) : events;
  const boards = await Promise.all(shown.map((e) => api('GET', `/api/v1/rooms/${enc}/events/${encodeURIComponent(e.id)}/board`).then((b) => [e, b])));
  boards.sort((a, b) => Number(b[1].contest.contested) - Number(a[1].contest.contested));
  if (eventID) add(page, h('p', {}, h('a', { href: `#/r/${enc}/claims` }, 'All events')));
  for (const [e, b] of boards) {
    const qs = b.contest.questions || [];
    if (!qs.length && !eventID) continue;
    add(page, h('section', { class: `event${b.contest.contested ? ' contested' : ''}`, 'data-id': e.id },
      h('h2', {}, tlpBadge(e.marking), ' ', h('a', { href: `#/r/${enc}/claims/${encodeURIComponent(e.id)}` }, e.title),
        b.contest.contested ? h('span', { class: 'flag' }, 'CONTESTED') : null),
      qs.map((q) => h('div', { class: 'question' },
        h('h3', {}, q.proposition, q.contested ? h('span', { class: 'flag small' }, 'contested') : null),
        h('div', { class: 'sides' },
          h('div', { class: 'side-col' }, h('h4', {}, `Asserting (${q.asserting.length})`), q.asserting.map((c) => claimCard(slug, c, b.corroboration[c.id], index))),
          h('div', { class: 'side-col' }, h('h4', {}, `Denying (${q.denying.length})`), q.denying.map((c) => claimCard(slug, c, b.corroboration[c.id], index)))))),
      (b.contest.contradictions || []).map((x) => h('p', { class: 'hint' }, `Contradiction: ${x.note}`))));
  }
}

// ---------- items list and one item ----------

async function showItems(main, slug) {
  const q = h('input', { type: 'search', placeholder: 'Search titles  ( / )', 'aria-label': 'Search titles' });
  const kind = h('select', { 'aria-label': 'Kind' }, h('option', { value: '' }, 'All kinds'), KNOWN_KINDS.map((k) => h('option', { value: k }, k)));
  const tlp = h('select', { 'aria-label': 'TLP' }, h('option', { value: '' }, 'Any TLP'), TLPS.map((t) => h('option', { value: t }, `TLP:${t}`)));
  const tbody = h('tbody');
  const count = h('p', { class: 'hint' });
  const page = h('section', { class: 'page' }, h('h1', {}, 'Items'),
    h('div', { class: 'filter' }, q, kind, tlp), count,
    h('table', { class: 'items' }, h('thead', {}, h('tr', {}, ['Marking', 'Title', 'Kind', 'Owner', 'Time of the event', 'Shared'].map((c) => h('th', {}, c)))), tbody));
  add(main, page);
  let times = new Map();
  const timesP = eventTimes(slug).then((t) => { times = t; });
  const whenOf = (it) => times.get(it.id) || itemInterval(it) || (bodyOf(it).event && times.get(bodyOf(it).event)) || null;
  let seq = 0;
  async function load() {
    const n = ++seq;
    const params = new URLSearchParams();
    if (q.value.trim()) params.set('q', q.value.trim());
    if (kind.value) params.set('kind', kind.value);
    const [got] = await Promise.all([all(`/api/v1/rooms/${encodeURIComponent(slug)}/items?${params}`), timesP]);
    const its = got.filter((it) => !tlp.value || it.marking.tlp === tlp.value);
    if (n !== seq) return;
    count.textContent = `${its.length} item${its.length === 1 ? '' : 's'}${its.length > 500 ? '; the newest 500 shown, search to narrow' : ''}`;
    tbody.replaceChildren(...its.slice(0, 500).map((it) => h('tr', {},
      h('td', {}, tlpBadge(it.marking), ' ', releasability(it.marking)),
      h('td', {}, h('a', { href: `#/r/${encodeURIComponent(slug)}/item/${encodeURIComponent(it.id)}` }, readable(it.title))),
      h('td', {}, it.kind), h('td', {}, it.owner),
      ((w) => h('td', { class: 'when' }, w ? `${w.label}: ${fmtInterval(w.start, w.end)}` : '—'))(whenOf(it)),
      h('td', { class: 'shared' }, fmtTime(it.created_at)))));
  }
  let t = 0;
  q.addEventListener('input', () => { clearTimeout(t); t = setTimeout(load, 200); });
  kind.addEventListener('change', load);
  tlp.addEventListener('change', load);
  const keys = (e) => { if (e.key === '/' && !e.target.closest('input, select, textarea')) { e.preventDefault(); q.focus(); } };
  document.addEventListener('keydown', keys);
  state.view = { close() { document.removeEventListener('keydown', keys); } };
  await load();
}

// KIND_PATHS names the API collection holding each kind's own fields
// (the items list carries only what all kinds share).
const KIND_PATHS = { site: 'sites', event: 'events', area: 'areas', place: 'places', track: 'tracks', operation: 'operations',
  movement: 'movements', conflict: 'conflicts', 'log-entry': 'log', rfi: 'rfis', 'site-notice': 'site-notices' };
// COMMON are the fields every item has; the item page shows them apart.
const COMMON = new Set(['id', 'room', 'kind', 'title', 'marking', 'owner', 'created_by', 'created_at', 'updated_at', 'version', 'body']);
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

// detailValue shows one field of an item readably: times and intervals
// in UTC, geometries by their type, lists and objects as nested lists.
function detailValue(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'string') return ISO_TIME.test(v) ? fmtTime(v) : v;
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) {
    if (!v.length) return '—';
    return h('ul', { class: 'plain' }, v.map((x) => h('li', {}, detailValue(x))));
  }
  if (v.start !== undefined && Object.keys(v).every((k) => k === 'start' || k === 'end')) return fmtInterval(v.start, v.end);
  if (typeof v.type === 'string' && v.coordinates) {
    return v.type === 'Point' ? `${v.coordinates[1].toFixed(4)}, ${v.coordinates[0].toFixed(4)}` : `${v.type} (shown on the map)`;
  }
  return h('dl', { class: 'nested' }, Object.entries(v).map(([k, x]) => [h('dt', {}, label(k)), h('dd', {}, detailValue(x))]));
}

const label = (k) => k.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

async function showItem(main, slug, id) {
  const page = h('section', { class: 'page item-page' });
  add(main, page);
  let it;
  try {
    it = await api('GET', `/api/v1/items/${encodeURIComponent(id)}`);
  } catch (x) {
    add(page, h('h1', {}, 'Not found'), h('p', {}, 'This item does not exist or is not released to you.'));
    return;
  }
  // The kind's own fields (an event's time and place, a site's category)
  // come from its collection; the items list has only the shared ones.
  let full = it;
  if (KIND_PATHS[it.kind]) {
    try {
      full = Object.assign({}, it, await api('GET', `/api/v1/${KIND_PATHS[it.kind]}/${encodeURIComponent(id)}`));
    } catch { /* shown with what the item has */ }
  }
  const b = bodyOf(it);
  const enc = encodeURIComponent(slug);
  const own = Object.entries(full).filter(([k, v]) => !COMMON.has(k) && k !== 'start' && k !== 'end' && k !== 'text' && v !== undefined)
    .concat(Object.entries(b).filter(([k]) => k !== 'text'));
  const when = itemInterval(full);
  add(page,
    h('p', {}, tlpBadge(it.marking), ' ', releasability(it.marking)),
    h('h1', {}, readable(it.title)),
    b.text || full.text ? h('p', {}, readable(b.text || full.text)) : null,
    h('dl', { class: 'item-facts' },
      h('dt', {}, 'Kind'), h('dd', {}, it.kind),
      when ? [h('dt', {}, when.label), h('dd', { class: 'event-time' }, fmtInterval(when.start, when.end))] : null,
      h('dt', {}, 'Owner'), h('dd', {}, `${it.owner} (${it.created_by})`),
      h('dt', {}, 'Shared'), h('dd', { class: 'share-time' }, fmtTime(it.created_at)),
      h('dt', {}, 'Updated'), h('dd', {}, `${fmtTime(it.updated_at)} · version ${it.version}`)),
    it.kind === 'report' ? h('p', {}, h('a', { href: `#/r/${enc}/report/${encodeURIComponent(it.id)}` },
      it.owner === state.me.partner ? 'Open the report (edit it, see its versions)' : 'Open the report (provenance, claims)')) : null,
    it.kind === 'event' ? h('p', {}, h('a', { href: `#/r/${enc}/claims/${encodeURIComponent(it.id)}` }, 'Claims about this event')) : null,
    own.length ? [h('h2', {}, 'Details'), h('dl', { class: 'details' }, own.map(([k, v]) => [h('dt', {}, label(k)), h('dd', {}, detailValue(v))]))] : null,
    h('p', {}, h('a', { href: `#/r/${enc}` }, 'Back to the map')));
}

// ---------- keyboard help ----------

function showHelp() {
  const rows = [['m', 'Map of the room'], ['i', 'Items list'], ['g', 'Intelligence feed'], ['c', 'Claims board'], ['o', 'Operations board'], ['l', 'Watch log'], ['r', 'Requests for information'], ['/', 'Filter or search'], ['n', 'New item (on the map)'],
    ['t', 'Time slider (arrow keys move it; End returns to now)'], ['?', 'This help'], ['Esc', 'Close a dialog']];
  const dlg = h('dialog', { class: 'help', 'aria-label': 'Keyboard shortcuts' }, h('h2', {}, 'Keyboard shortcuts'),
    h('dl', {}, rows.map(([k, d]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, d)])),
    h('form', { method: 'dialog', class: 'actions' }, h('button', { class: 'primary' }, 'Close')));
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest('input, textarea, select, dialog')) return;
  const m = location.hash.match(/^#\/r\/([^/]+)/);
  if (e.key === '?') showHelp();
  else if (m) {
    const v = VIEWS.find((x) => x[3] === e.key);
    if (v && $(`#tabs a[aria-keyshortcuts="${v[3]}"]`)) location.hash = `#/r/${m[1]}${v[1]}`;
  }
});

$('#logout').addEventListener('click', async () => {
  try { await api('POST', '/api/v1/logout'); } catch { /* the session is gone either way */ }
  localStorage.removeItem(SIGNED_IN);
  state.me = null;
  state.rooms = null;
  location.hash = '#/';
  route();
});

window.addEventListener('hashchange', () => route().catch(fail));
window.addEventListener('unhandledrejection', (e) => { e.preventDefault(); fail(e.reason); });

function fail(x) {
  if (x instanceof APIError && x.status === 401) { route(); return; }
  toast(x && x.message ? x.message : String(x));
}

// Start: ask who we are only when this browser signed in before, so a
// fresh visit does not log a refused request.
(async () => {
  if (localStorage.getItem(SIGNED_IN)) {
    try { state.me = await api('GET', '/api/v1/me'); } catch { state.me = null; }
  }
  route().catch(fail);
})();
