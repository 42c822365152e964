// opsroom browser UI: sign in, choose a room, see its shared items on an
// offline map, follow them live and share new ones with a TLP marking.
// Plain JavaScript module; Leaflet (L), Leaflet.markercluster and
// milsymbol (ms) are loaded as classic scripts before it.

const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
// Layers the map knows by name; kinds not listed still get a layer.
const KNOWN_KINDS = ['site', 'track', 'event', 'area', 'operation', 'movement', 'note'];
const STREAM_PATH = '/api/v1/rooms/{room}/stream';
const SIGNED_IN = 'opsroom.signedIn';

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
  for (const k of kids.flat()) {
    if (k === undefined || k === null || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return el;
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

const fmtTime = (t) => new Date(t).toISOString().replace('T', ' ').slice(0, 16) + 'Z';

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
    if (parts[2] === 'items') return showItems(main, slug);
    if (parts[2] === 'item' && parts[3]) return showItem(main, slug, parts[3]);
    return showRoom(main, slug);
  }
  return showRooms(main);
}

function setTabs(slug, current) {
  const nav = $('#tabs');
  nav.replaceChildren();
  if (!slug) return;
  const tabs = [['map', `#/r/${slug}`, 'Map', 'm'], ['items', `#/r/${slug}/items`, 'Items', 'i']];
  for (const [id, href, label, key] of tabs) {
    nav.append(h('a', { href, 'aria-current': id === current ? 'page' : null, 'aria-keyshortcuts': key }, label, h('kbd', {}, key)));
  }
  nav.append(h('a', { href: '#/' }, 'Rooms'));
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
  main.append(form);
  form.username.focus();
}

async function rooms() {
  if (!state.rooms) state.rooms = await all('/api/v1/rooms');
  return state.rooms;
}

async function showRooms(main) {
  setTabs(null);
  const box = h('section', { class: 'center' }, h('h1', {}, 'Choose a room'));
  main.append(box);
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
  constructor(slug) {
    this.slug = slug;
    this.items = new Map();
    this.listeners = new Set();
    this.closed = false;
  }

  on(fn) { this.listeners.add(fn); }
  emit(kind, it) { for (const fn of this.listeners) fn(kind, it); }

  async load() {
    const list = await all(`/api/v1/rooms/${encodeURIComponent(this.slug)}/items`);
    this.items = new Map(list.map((it) => [it.id, it]));
    this.emit('reset');
  }

  async start() {
    await this.load();
    const doc = await openapi();
    if (doc.paths && doc.paths[STREAM_PATH]) this.stream();
    else this.poll();
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
    const isNew = !this.items.has(it.id);
    this.items.set(it.id, it);
    this.emit(isNew ? 'add' : 'update', it);
  }

  remove(id) {
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

const TLP_COLOUR = { RED: '#FF2B2B', AMBER: '#FFC000', 'AMBER+STRICT': '#FFC000', GREEN: '#33FF00', CLEAR: '#FFFFFF' };

function popupFor(it, slug) {
  return h('div', {},
    h('h3', {}, it.title),
    h('div', {}, tlpBadge(it.marking), ' ', releasability(it.marking)),
    h('div', { class: 'hint' }, `${it.kind} · ${it.owner} · ${fmtTime(it.created_at)}`),
    field(it, 'contested') ? h('div', {}, 'Contested: competing claims') : null,
    h('a', { href: `#/r/${encodeURIComponent(slug)}/item/${encodeURIComponent(it.id)}` }, 'Open'));
}

async function showRoom(main, slug) {
  setTabs(slug, 'map');
  const room = await roomBySlug(slug);
  const feed = new Feed(slug);
  const layerOn = new Map(KNOWN_KINDS.map((k) => [k, true]));
  let until = null; // null: now (live); else a time in ms
  let filter = '';

  const layersBox = h('div', { class: 'layers', role: 'group', 'aria-label': 'Layers' });
  const search = h('input', { type: 'search', placeholder: 'Filter items  ( / )', 'aria-label': 'Filter items' });
  const list = h('ul', { class: 'list', 'aria-label': 'Items on the map' });
  const side = h('aside', { class: 'side' },
    h('h2', {}, room.name),
    h('h2', {}, 'Layers'), layersBox,
    h('h2', {}, 'Items'),
    h('div', { class: 'filter' }, search, h('button', { type: 'button', onclick: () => newItem(room, feed), title: 'New item (n)' }, 'New')),
    list);
  const mapEl = h('div', { class: 'map', id: 'map', role: 'region', 'aria-label': 'Map' });
  const slider = h('input', { type: 'range', min: 0, max: 1000, value: 1000, 'aria-label': 'Time (t); End returns to now' });
  const out = h('output', {}, 'Now');
  const liveBtn = h('button', { type: 'button', onclick: () => { slider.value = 1000; onSlide(); } }, 'Now');
  const timebar = h('div', { class: 'timebar' }, h('span', {}, 'Time'), slider, out, liveBtn);
  const box = h('div', { class: 'room' }, side, mapEl, timebar);
  main.append(box);

  const map = L.map(mapEl, { preferCanvas: true, zoomControl: true, minZoom: 2, maxZoom: 17, worldCopyJump: false,
    maxBounds: [[-90, -200], [90, 200]] });
  const lat = room.place && room.place.lat, lon = room.place && room.place.lon;
  map.setView([lat ?? 33.5, lon ?? 38], lat !== undefined ? 7 : 5);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution('Natural Earth (public domain) · milsymbol');
  basemap().then((gj) => {
    L.geoJSON(gj, { interactive: false, style: { color: '#6d8aa6', weight: 0.7, fillColor: '#1a2430', fillOpacity: 1 } }).addTo(map).bringToBack();
  });
  const cluster = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40, spiderfyOnMaxZoom: true });
  const shapes = L.geoJSON(null, {
    style: (f) => ({ color: TLP_COLOUR[f.properties.tlp] || '#fff', weight: 2, fillOpacity: 0.15, dashArray: f.properties.kind === 'movement' ? '6 4' : null }),
  });
  shapes.addTo(map);
  cluster.addTo(map);

  map.on('click', (e) => {
    const { lat: la, lng: lo } = e.latlng;
    const btn = h('button', { type: 'button', onclick: () => { map.closePopup(); newItem(room, feed, { lat: la, lon: lo }); } }, 'New item here');
    L.popup().setLatLng(e.latlng).setContent(h('div', {}, h('div', { class: 'hint' }, `${la.toFixed(4)}, ${lo.toFixed(4)}`), btn)).openOn(map);
  });

  const markers = new Map(); // item id -> {layer, version}
  function layerFor(it) {
    let m = markers.get(it.id);
    if (m && m.version === it.version) return m.layer;
    const g = geometryOf(it);
    let layer = null;
    if (g && g.type === 'Point') {
      const [x, y] = g.coordinates;
      const sidc = field(it, 'sidc');
      const tlp = it.marking.tlp;
      const extra = [field(it, 'protected') ? 'protected' : '', field(it, 'contested') ? 'contested' : ''].join(' ').trim();
      const icon = sidc && window.ms ? symbolIcon(sidc) : pinIcon(tlp, extra);
      layer = L.marker([y, x], { icon, title: it.title, alt: `${it.kind}: ${it.title}`, keyboard: true });
      layer.bindPopup(() => popupFor(it, slug));
    } else if (g) {
      layer = { feature: { type: 'Feature', geometry: g, properties: { id: it.id, tlp: it.marking.tlp, kind: it.kind } } };
    }
    markers.set(it.id, { layer, version: it.version });
    return layer;
  }

  const visible = (it) => (layerOn.get(it.kind) ?? true)
    && (until === null || Date.parse(it.created_at) <= until)
    && (!filter || it.title.toLowerCase().includes(filter));

  function drawLayers() {
    const counts = new Map();
    for (const it of feed.items.values()) counts.set(it.kind, (counts.get(it.kind) || 0) + 1);
    for (const k of counts.keys()) if (!layerOn.has(k)) layerOn.set(k, true);
    layersBox.replaceChildren(...[...layerOn.keys()].map((k) => h('label', {},
      h('input', { type: 'checkbox', checked: layerOn.get(k), 'data-kind': k,
        onchange: (e) => { layerOn.set(k, e.target.checked); redraw(); } }),
      `${k}s`, h('span', { class: 'n' }, counts.get(k) || 0))));
  }

  let fresh = new Set();
  function redraw() {
    const its = [...feed.items.values()].filter(visible).sort((a, b) => b.created_at.localeCompare(a.created_at));
    const pts = [];
    const polys = [];
    for (const it of its) {
      const l = layerFor(it);
      if (!l) continue;
      if (l.feature) polys.push(l.feature);
      else pts.push(l);
    }
    cluster.clearLayers();
    cluster.addLayers(pts);
    shapes.clearLayers();
    if (polys.length) shapes.addData(polys);
    list.replaceChildren(...its.slice(0, 300).map((it) => h('li', {
      tabindex: 0, 'data-id': it.id, class: fresh.has(it.id) ? 'fresh' : null,
      onclick: () => focusItem(it), onkeydown: (e) => { if (e.key === 'Enter') focusItem(it); },
    }, h('span', { class: 't' }, it.title),
    h('span', { class: 'm' }, tlpBadge(it.marking), releasability(it.marking), `${it.kind} · ${it.owner} · ${fmtTime(it.created_at)}`))));
    if (its.length > 300) list.append(h('li', { class: 'hint' }, `and ${its.length - 300} more; filter to narrow`));
    fresh = new Set();
  }

  function focusItem(it) {
    const m = markers.get(it.id);
    if (m && m.layer && m.layer.getLatLng) {
      cluster.zoomToShowLayer(m.layer, () => m.layer.openPopup());
    } else {
      location.hash = `#/r/${encodeURIComponent(slug)}/item/${encodeURIComponent(it.id)}`;
    }
  }

  // The slider spans from the room's first item to now.
  function span() {
    let min = Date.now();
    for (const it of feed.items.values()) min = Math.min(min, Date.parse(it.created_at));
    return [min, Date.now()];
  }
  let raf = 0;
  function onSlide() {
    cancelAnimationFrame(raf);
    raf = requestAnimationFrame(() => {
      const v = Number(slider.value);
      if (v >= 1000) {
        until = null;
        out.replaceChildren(h('span', { class: 'nowlive' }, 'Now (live)'));
      } else {
        const [a, b] = span();
        until = a + ((b - a) * v) / 1000;
        out.textContent = fmtTime(until);
      }
      redraw();
    });
  }
  slider.addEventListener('input', onSlide);

  let pending = 0;
  feed.on((kind, it) => {
    if (it) {
      if (kind === 'remove') markers.delete(it.id);
      if (kind === 'add') { fresh.add(it.id); toast(`New: ${it.title}`); }
    }
    // Coalesce bursts of changes into one redraw.
    clearTimeout(pending);
    pending = setTimeout(() => { drawLayers(); redraw(); }, kind === 'reset' ? 0 : 100);
  });
  search.addEventListener('input', () => { filter = search.value.trim().toLowerCase(); redraw(); });

  const keys = (e) => {
    if (e.target.closest('input, textarea, select, dialog')) return;
    if (e.key === '/') { e.preventDefault(); search.focus(); }
    else if (e.key === 't') { e.preventDefault(); slider.focus(); }
    else if (e.key === 'n') { e.preventDefault(); newItem(room, feed); }
  };
  document.addEventListener('keydown', keys);

  state.view = {
    close() { document.removeEventListener('keydown', keys); feed.close(); map.remove(); },
  };
  onSlide();
  await feed.start();
  box.dataset.ready = '1';
}

// ---------- sharing a new item ----------

function newItem(room, feed, at) {
  const def = room.default_tlp || 'AMBER';
  const err = h('p', { class: 'error', role: 'alert' });
  const tlps = h('div', { class: 'tlps', role: 'radiogroup', 'aria-label': 'TLP' }, TLPS.map((t) => h('label', {},
    h('input', { type: 'radio', name: 'tlp', value: t, checked: t === def }), h('span', { class: `tlp tlp-${t}` }, `TLP:${t}`))));
  const partners = h('div', { class: 'partners', role: 'group', 'aria-label': 'Releasable to' }, room.partners.map((p) => h('label', {},
    h('input', { type: 'checkbox', name: 'rel', value: p }), p)));
  const form = h('form', { method: 'dialog' },
    h('h2', {}, `New item in ${room.name}`),
    h('label', { for: 'ni-title' }, 'Title'), h('input', { id: 'ni-title', name: 'title', type: 'text', required: true }),
    h('label', { for: 'ni-text' }, 'Text'), h('textarea', { id: 'ni-text', name: 'text', rows: 3 }),
    h('label', {}, 'Marking'), tlps,
    h('label', {}, 'Releasable to (none ticked: every partner the TLP allows)'), partners,
    h('div', { class: 'row' },
      h('div', {}, h('label', { for: 'ni-lat' }, 'Latitude'), h('input', { id: 'ni-lat', name: 'lat', type: 'text', inputmode: 'decimal', value: at ? at.lat.toFixed(5) : '' })),
      h('div', {}, h('label', { for: 'ni-lon' }, 'Longitude'), h('input', { id: 'ni-lon', name: 'lon', type: 'text', inputmode: 'decimal', value: at ? at.lon.toFixed(5) : '' }))),
    h('p', { class: 'hint' }, 'Click the map to place an item there.'),
    err,
    h('div', { class: 'actions' }, h('button', { type: 'button', value: 'cancel', onclick: () => dlg.close() }, 'Cancel'),
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
      if (!Number.isFinite(data.lat) || Math.abs(data.lat) > 90 || !Number.isFinite(data.lon) || Math.abs(data.lon) > 180) {
        err.textContent = 'Latitude must be within ±90 and longitude within ±180.';
        return;
      }
    }
    const body = {
      title: form.title.value.trim(), text: form.text.value,
      marking: { tlp: form.querySelector('input[name=tlp]:checked').value, releasable_to: [...form.querySelectorAll('input[name=rel]:checked')].map((x) => x.value) },
    };
    if (Object.keys(data).length) body.data = data;
    try {
      const it = await api('POST', `/api/v1/rooms/${encodeURIComponent(room.slug)}/notes`, body);
      feed.upsert(it);
      dlg.close();
    } catch (x) {
      err.textContent = x.fields.length ? x.fields.map((f) => `${f.field}: ${f.detail}`).join('; ') : x.message;
    }
  });
  document.body.append(dlg);
  dlg.showModal();
  form.title.focus();
}

// ---------- items list and one item ----------

async function showItems(main, slug) {
  setTabs(slug, 'items');
  const q = h('input', { type: 'search', placeholder: 'Search titles  ( / )', 'aria-label': 'Search titles' });
  const kind = h('select', { 'aria-label': 'Kind' }, h('option', { value: '' }, 'All kinds'), KNOWN_KINDS.map((k) => h('option', { value: k }, k)));
  const tlp = h('select', { 'aria-label': 'TLP' }, h('option', { value: '' }, 'Any TLP'), TLPS.map((t) => h('option', { value: t }, `TLP:${t}`)));
  const tbody = h('tbody');
  const count = h('p', { class: 'hint' });
  const page = h('section', { class: 'page' }, h('h1', {}, 'Items'),
    h('div', { class: 'filter' }, q, kind, tlp), count,
    h('table', { class: 'items' }, h('thead', {}, h('tr', {}, ['Marking', 'Title', 'Kind', 'Owner', 'Created'].map((c) => h('th', {}, c)))), tbody));
  main.append(page);
  let seq = 0;
  async function load() {
    const n = ++seq;
    const params = new URLSearchParams();
    if (q.value.trim()) params.set('q', q.value.trim());
    if (kind.value) params.set('kind', kind.value);
    const its = (await all(`/api/v1/rooms/${encodeURIComponent(slug)}/items?${params}`)).filter((it) => !tlp.value || it.marking.tlp === tlp.value);
    if (n !== seq) return;
    count.textContent = `${its.length} item${its.length === 1 ? '' : 's'}`;
    tbody.replaceChildren(...its.map((it) => h('tr', {},
      h('td', {}, tlpBadge(it.marking), ' ', releasability(it.marking)),
      h('td', {}, h('a', { href: `#/r/${encodeURIComponent(slug)}/item/${encodeURIComponent(it.id)}` }, it.title)),
      h('td', {}, it.kind), h('td', {}, it.owner), h('td', {}, fmtTime(it.created_at)))));
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

async function showItem(main, slug, id) {
  setTabs(slug, 'items');
  const page = h('section', { class: 'page' });
  main.append(page);
  let it;
  try {
    it = await api('GET', `/api/v1/items/${encodeURIComponent(id)}`);
  } catch (x) {
    page.append(h('h1', {}, 'Not found'), h('p', {}, 'This item does not exist or is not released to you.'));
    return;
  }
  const b = bodyOf(it);
  page.append(
    h('p', {}, tlpBadge(it.marking), ' ', releasability(it.marking)),
    h('h1', {}, it.title),
    b.text ? h('p', {}, b.text) : null,
    h('dl', {},
      h('dt', {}, 'Kind'), h('dd', {}, it.kind),
      h('dt', {}, 'Owner'), h('dd', {}, `${it.owner} (${it.created_by})`),
      h('dt', {}, 'Created'), h('dd', {}, fmtTime(it.created_at)),
      h('dt', {}, 'Updated'), h('dd', {}, `${fmtTime(it.updated_at)} · version ${it.version}`)),
    h('h2', {}, 'Body'), h('pre', {}, JSON.stringify(b, null, 2)),
    h('p', {}, h('a', { href: `#/r/${encodeURIComponent(slug)}` }, 'Back to the map')));
}

// ---------- keyboard help ----------

function showHelp() {
  const rows = [['m', 'Map of the room'], ['i', 'Items list'], ['/', 'Filter or search'], ['n', 'New item (on the map)'],
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
  else if (m && e.key === 'm') location.hash = `#/r/${m[1]}`;
  else if (m && e.key === 'i') location.hash = `#/r/${m[1]}/items`;
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
