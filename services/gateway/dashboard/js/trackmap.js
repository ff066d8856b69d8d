// The track map (SVG): the lap's line from Lat/Lon, or rebuilt from heading (yaw) or yaw rate and
// speed when a recording has no position; coloured by the delta's slope (green gaining, red losing).
import { el } from "./format.js";

const NS = "http://www.w3.org/2000/svg";
const EARTH_RADIUS_M = 6371000;
const SEGMENT_M = 20;
const NEUTRAL_S_PER_M = 0.0002;  // below 0.2 ms per metre the segment is neither gaining nor losing
const FULL_S_PER_M = 0.004;       // 4 ms per metre is full colour

const svg = (tag, attrs = {}) => {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
};
const finite = (values) => values && values.length > 1 && values.every((v) => Number.isFinite(v));

// Points {x, y, d} in metres (x east, y south so SVG's y runs down), and how they were found.
export function trackPoints(tel) {
  const dist = tel.lap_dist_m || [];
  const n = dist.length;
  if (n < 10) return { points: [], source: "none" };
  const lat = tel.lat_deg, lon = tel.lon_deg;
  if (finite(lat) && finite(lon) && lat.some((v) => v !== lat[0])) {
    const lat0 = lat.reduce((a, b) => a + b, 0) / n, lon0 = lon.reduce((a, b) => a + b, 0) / n;
    const k = (Math.PI / 180) * EARTH_RADIUS_M;
    const cos0 = Math.cos(lat0 * Math.PI / 180);
    return { source: "position", points: Array.from(dist, (d, i) => ({ x: (lon[i] - lon0) * k * cos0, y: -(lat[i] - lat0) * k, d })) };
  }
  let heading = null, source = "heading";
  if (finite(tel.yaw_rad)) heading = tel.yaw_rad;
  else if (finite(tel.yaw_rate_rps) && finite(tel.session_time_s)) {
    source = "yaw rate";
    heading = new Float64Array(n);
    for (let i = 1; i < n; i++) heading[i] = heading[i - 1] + tel.yaw_rate_rps[i] * (tel.session_time_s[i] - tel.session_time_s[i - 1]);
  }
  if (!heading) return { points: [], source: "none" };
  const points = [{ x: 0, y: 0, d: dist[0] }];
  for (let i = 1; i < n; i++) {
    let ds = dist[i] - dist[i - 1];
    if (!(ds >= 0 && ds < 200) && finite(tel.speed_mps) && tel.session_time_s) ds = tel.speed_mps[i] * (tel.session_time_s[i] - tel.session_time_s[i - 1]);
    const prev = points[i - 1];
    points.push({ x: prev.x + ds * Math.cos(heading[i]), y: prev.y - ds * Math.sin(heading[i]), d: dist[i] });
  }
  // A rebuilt line never quite closes: spread the gap between the end and the start along the lap.
  const gx = points[n - 1].x - points[0].x, gy = points[n - 1].y - points[0].y;
  const span = points[n - 1].d - points[0].d || 1;
  for (const p of points) { const t = (p.d - points[0].d) / span; p.x -= gx * t; p.y -= gy * t; }
  return { points, source };
}

function deltaAt(delta, d) {
  const values = delta.deltaS || [], step = delta.stepM || 1;
  const i = Math.min(Math.max(d / step, 0), values.length - 1);
  const lo = Math.floor(i), hi = Math.min(lo + 1, values.length - 1);
  return values[lo] + (values[hi] - values[lo]) * (i - lo);
}

export function slopeColor(slope) {
  const t = Math.min(Math.max((Math.abs(slope) - NEUTRAL_S_PER_M) / (FULL_S_PER_M - NEUTRAL_S_PER_M), 0), 1);
  const [r, g, b] = slope > 0 ? [239, 83, 80] : [102, 187, 106];
  const mix = (c, grey) => Math.round(grey + (c - grey) * t);
  return `rgb(${mix(r, 120)},${mix(g, 132)},${mix(b, 142)})`;
}

function bounds(points, pad = 0.08, minSize = 0) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of points) { x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y); }
  let w = Math.max(x1 - x0, minSize), h = Math.max(y1 - y0, minSize);
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  w *= 1 + 2 * pad; h *= 1 + 2 * pad;
  return { x: cx - w / 2, y: cy - h / 2, w, h };
}

export function createTrackMap(container, { tel, delta, corners, onHover }) {
  const { points, source } = trackPoints(tel);
  if (points.length < 10) {
    container.replaceChildren(el("p", { class: "empty", id: "no-map", text: "No map: this recording has neither position (Lat/Lon) nor heading channels." }));
    return { showCursor() {}, showRange() {}, source };
  }
  const full = bounds(points);
  const root = svg("svg", { id: "track-map", viewBox: `${full.x} ${full.y} ${full.w} ${full.h}`, role: "img", "aria-label": "track map coloured by time gained and lost" });
  root.dataset.source = source;
  root.style.aspectRatio = String(Math.min(Math.max(full.w / full.h, 0.7), 2).toFixed(3));
  const lines = svg("g", { class: "segments" });
  const labels = svg("g", { class: "corner-labels" });
  const cursor = svg("circle", { r: 6, class: "map-cursor", visibility: "hidden" });
  root.append(lines, labels, cursor);

  // Segments of SEGMENT_M metres, each coloured by how fast the delta grows there.
  const segments = [];
  let start = 0;
  for (let i = 1; i < points.length; i++) {
    if (points[i].d - points[start].d < SEGMENT_M && i < points.length - 1) continue;
    const run = points.slice(start, i + 1);
    const d0 = run[0].d, d1 = run[run.length - 1].d;
    const slope = delta && d1 > d0 ? (deltaAt(delta, d1) - deltaAt(delta, d0)) / (d1 - d0) : 0;
    const path = svg("path", {
      d: `M${run.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join("L")}`,
      stroke: delta ? slopeColor(slope) : "#8aa0b0", "stroke-width": 5, fill: "none", "stroke-linecap": "round",
      "vector-effect": "non-scaling-stroke",
    });
    path.dataset.from = d0.toFixed(0);
    path.dataset.slope = slope.toExponential(2);
    lines.append(path);
    segments.push({ path, d0, d1 });
    start = i;
  }

  const at = (d) => {
    let best = points[0];
    for (const p of points) if (Math.abs(p.d - d) < Math.abs(best.d - d)) best = p;
    return best;
  };

  // Corner badges sit outside each corner, sized in screen pixels whatever the zoom.
  function drawLabels(box) {
    const view = { w: box.w ?? box.width };
    const k = view.w / Math.max(root.clientWidth || 300, 1);
    labels.replaceChildren();
    for (const c of corners) {
      const p = at(c.apexM || 0), q = at((c.apexM || 0) + 10);
      let nx = q.y - p.y, ny = -(q.x - p.x);
      const len = Math.hypot(nx, ny) || 1;
      const side = c.direction === "CORNER_DIRECTION_LEFT" ? -1 : 1;
      nx = (nx / len) * side * 16 * k; ny = (ny / len) * side * 16 * k;
      const g = svg("g", { class: "corner-label", transform: `translate(${p.x + nx},${p.y + ny})` });
      g.dataset.corner = c.number;
      const title = svg("title");
      title.textContent = c.name ? `${c.number} · ${c.name}` : `Corner ${c.number}`;
      g.append(title, svg("circle", { r: 9 * k }), Object.assign(svg("text", { "font-size": 11 * k, dy: 4 * k, "text-anchor": "middle" }), { textContent: String(c.number) }));
      labels.append(g);
    }
    cursor.setAttribute("r", 6 * k);
  }

  root.addEventListener("mousemove", (event) => {
    const m = root.getScreenCTM();
    if (!m) return;
    const pt = new DOMPoint(event.clientX, event.clientY).matrixTransform(m.inverse());
    let best = points[0], bestD = Infinity;
    for (const p of points) { const dd = (p.x - pt.x) ** 2 + (p.y - pt.y) ** 2; if (dd < bestD) { bestD = dd; best = p; } }
    showCursor(best.d);
    if (onHover) onHover(best.d);
  });

  function showCursor(d) {
    const p = at(d);
    cursor.setAttribute("cx", p.x);
    cursor.setAttribute("cy", p.y);
    cursor.setAttribute("visibility", "visible");
  }

  function showRange(d0, d1, whole) {
    const inside = whole ? points : points.filter((p) => p.d >= d0 && p.d <= d1);
    const view = whole || inside.length < 2 ? full : bounds(inside, 0.2, 120);
    root.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
    for (const s of segments) s.path.classList.toggle("outside", !whole && (s.d1 < d0 || s.d0 > d1));
    drawLabels(view);
  }

  container.replaceChildren(root, el("p", { class: "map-note", text:
    `${source === "position" ? "From Lat/Lon" : `Rebuilt from ${source} and speed`} · green: gaining, red: losing against the reference` }));
  drawLabels(full);
  new ResizeObserver(() => drawLabels(root.viewBox.baseVal)).observe(root);
  return { showCursor, showRange, source, points, segments };
}
