// build.mjs copies the UI's sources and its npm dependencies into
// internal/web/assets, names each asset after a hash of its content (so the
// server can let browsers cache them for a year) and writes index.html
// pointing at the hashed names. It also turns the Natural Earth countries
// of world-atlas into the offline basemap, cut at the antimeridian.
//
// Run: cd web && npm ci && npm run build
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, extname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as topojson from 'topojson-client';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'internal', 'web', 'assets');
const nm = join(here, 'node_modules');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// emit writes content under a hashed name and returns that name.
function emit(name, content) {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 12);
  const hashed = `${basename(name, extname(name))}.${hash}${extname(name)}`;
  writeFileSync(join(out, hashed), content);
  return hashed;
}

// Leaflet's CSS names its images relatively; they go in beside it unhashed
// under their own folder so those references keep working.
mkdirSync(join(out, 'images'), { recursive: true });
for (const f of readdirSync(join(nm, 'leaflet', 'dist', 'images'))) {
  writeFileSync(join(out, 'images', f), readFileSync(join(nm, 'leaflet', 'dist', 'images', f)));
}

const names = {
  'leaflet.js': emit('leaflet.js', readFileSync(join(nm, 'leaflet/dist/leaflet.js'))),
  'leaflet.css': emit('leaflet.css', readFileSync(join(nm, 'leaflet/dist/leaflet.css'))),
  'markercluster.js': emit('markercluster.js', readFileSync(join(nm, 'leaflet.markercluster/dist/leaflet.markercluster.js'))),
  'markercluster.css': emit('markercluster.css', readFileSync(join(nm, 'leaflet.markercluster/dist/MarkerCluster.css'))),
  'milsymbol.js': emit('milsymbol.js', readFileSync(join(nm, 'milsymbol/dist/milsymbol.js'))),
  'basemap.json': emit('basemap.json', JSON.stringify(basemap())),
};
// The app reads the basemap's hashed name from a data attribute.
names['app.css'] = emit('app.css', readFileSync(join(here, 'src', 'app.css')));
names['app.js'] = emit('app.js', readFileSync(join(here, 'src', 'app.js')));

let html = readFileSync(join(here, 'src', 'index.html'), 'utf8');
html = html.replace(/\{\{([\w.]+)\}\}/g, (m, n) => {
  if (!names[n]) throw new Error(`index.html names unknown asset ${n}`);
  return `/assets/${names[n]}`;
});
writeFileSync(join(out, 'index.html'), html);
console.log(`built ${Object.keys(names).length + 1} assets into ${out}`);

// basemap returns the Natural Earth 1:50m countries as GeoJSON, with
// coordinates rounded to 0.01° and every ring that crosses the
// antimeridian cut into its eastern and western parts, so a planar map
// draws Russia and Fiji whole instead of as stripes across the world.
function basemap() {
  const topo = JSON.parse(readFileSync(join(nm, 'world-atlas', 'countries-50m.json'), 'utf8'));
  const fc = topojson.feature(topo, topo.objects.countries);
  const features = [];
  for (const f of fc.features) {
    if (!f.geometry) continue;
    const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
    const outPolys = [];
    for (const poly of polys) {
      for (const p of splitPolygon(poly)) outPolys.push(p);
    }
    features.push({ type: 'Feature', properties: { name: f.properties.name },
      geometry: { type: 'MultiPolygon', coordinates: outPolys } });
  }
  return { type: 'FeatureCollection', features };
}

function r2(v) { return Math.round(v * 100) / 100; }

// unwrap makes a ring's longitudes continuous (no jump over 180°).
function unwrap(ring) {
  const res = [];
  let shift = 0;
  for (let i = 0; i < ring.length; i++) {
    let [x, y] = ring[i];
    if (i > 0) {
      const prev = ring[i - 1][0];
      if (x - prev > 180) shift -= 360;
      else if (prev - x > 180) shift += 360;
    }
    res.push([x + shift, y]);
  }
  return res;
}

// clip keeps the part of a ring with lo <= x <= hi (Sutherland–Hodgman
// against two vertical lines, correct for any ring since the window is convex).
function clip(ring, lo, hi) {
  const edge = (pts, inside, cross) => {
    const res = [];
    for (let i = 0; i < pts.length; i++) {
      const a = pts[i], b = pts[(i + 1) % pts.length];
      const ia = inside(a), ib = inside(b);
      if (ia) res.push(a);
      if (ia !== ib) res.push(cross(a, b));
    }
    return res;
  };
  const at = (x0) => (a, b) => [x0, a[1] + (b[1] - a[1]) * (x0 - a[0]) / (b[0] - a[0])];
  let pts = ring.slice(0, -1);
  pts = edge(pts, (p) => p[0] >= lo, at(lo));
  pts = edge(pts, (p) => p[0] <= hi, at(hi));
  if (pts.length < 3) return null;
  pts.push(pts[0]);
  return pts;
}

function round(ring) {
  const res = [];
  for (const [x, y] of ring) {
    const p = [r2(x), r2(y)];
    const last = res[res.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) res.push(p);
  }
  return res.length >= 4 ? res : null;
}

// splitPolygon returns the polygon's parts inside [-180, 180], one for
// each 360° copy of the world that the unwrapped outer ring touches.
function splitPolygon(poly) {
  const rings = poly.map(unwrap);
  let min = Infinity, max = -Infinity;
  for (const [x] of rings[0]) { min = Math.min(min, x); max = Math.max(max, x); }
  const res = [];
  for (const off of [-360, 0, 360]) {
    if (max + off < -180 || min + off > 180) continue;
    const parts = [];
    for (const ring of rings) {
      const moved = ring.map(([x, y]) => [x + off, y]);
      const c = clip(moved, -180, 180);
      const r = c && round(c);
      if (r) parts.push(r);
      else if (parts.length === 0) break; // no outer ring: nothing of this copy
    }
    if (parts.length) res.push(parts);
  }
  return res;
}
