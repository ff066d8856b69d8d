// Stacked uPlot charts of a lap and its reference on one distance axis: one cursor, one zoom
// (drag to zoom, or pinch and drag on a touch screen; double-click or "Reset zoom" to see the
// whole lap), corner markers on each.
/* global uPlot */
import { el } from "./format.js";
import { touchZoom } from "./zoom.js";

export const COLORS = { lap: "#4fc3f7", ref: "#ff9f43", delta: "#e8eef2" };
const AXIS = { stroke: "#9fb1bf", grid: { stroke: "#24303a", width: 1 }, ticks: { stroke: "#24303a" }, font: "11px system-ui" };
const Y_AXIS_SIZE = 46;

// Linear interpolation of (dist, values) at each grid point, null outside the samples (uPlot's gaps).
export function resample(dist, values, grid) {
  const order = [];
  for (let i = 0; i < dist.length; i++) if (Number.isFinite(dist[i]) && Number.isFinite(values[i])) order.push(i);
  order.sort((a, b) => dist[a] - dist[b]);
  const xs = [], ys = [];
  for (const i of order) {
    if (xs.length && dist[i] <= xs[xs.length - 1]) continue;
    xs.push(dist[i]);
    ys.push(values[i]);
  }
  const out = new Array(grid.length).fill(null);
  if (xs.length < 2) return out;
  let j = 0;
  for (let k = 0; k < grid.length; k++) {
    const x = grid[k];
    if (x < xs[0] || x > xs[xs.length - 1]) continue;
    while (j < xs.length - 2 && xs[j + 1] < x) j++;
    const t = (x - xs[j]) / (xs[j + 1] - xs[j]);
    out[k] = ys[j] + t * (ys[j + 1] - ys[j]);
  }
  return out;
}

const scaled = (values, factor) => Array.from(values || [], (v) => (Number.isFinite(v) ? v * factor : null));

function channelCharts(compare, steering) {
  const step = compare.stepM || 5;
  const lap = compare.lap || {}, ref = compare.reference || {};
  const n = (lap.speedMps || []).length;
  const x = Float64Array.from({ length: n }, (_, i) => i * step);
  const charts = [
    { name: "speed", title: "Speed, km/h", height: 190, data: [x, scaled(lap.speedMps, 3.6), scaled(ref.speedMps, 3.6)], unit: "km/h", digits: 0, labels: true },
    { name: "throttle", title: "Throttle, %", height: 80, data: [x, scaled(lap.throttle, 100), scaled(ref.throttle, 100)], unit: "%", digits: 0, range: [0, 100] },
    { name: "brake", title: "Brake, %", height: 80, data: [x, scaled(lap.brake, 100), scaled(ref.brake, 100)], unit: "%", digits: 0, range: [0, 100] },
    { name: "gear", title: "Gear", height: 70, data: [x, scaled(lap.gear, 1), scaled(ref.gear, 1)], unit: "", digits: 0, stepped: true },
  ];
  if (steering) charts.push({ name: "steering", title: "Steering, °", height: 90, data: [x, steering.lap, steering.ref], unit: "°", digits: 0 });
  return charts;
}

function deltaChart(delta) {
  const step = delta.stepM || 1;
  const values = Float64Array.from(delta.deltaS || [], Number);
  const x = Float64Array.from({ length: values.length }, (_, i) => i * step);
  return { name: "delta", title: "Delta to reference, s (above 0: slower)", height: 120, data: [x, values], unit: "s", digits: 3, single: true };
}

function cornerPlugin(corners, labels) {
  return {
    hooks: {
      drawAxes: [(u) => {  // shading under the series
        const { ctx } = u, { top, height } = u.bbox;
        ctx.save();
        ctx.fillStyle = "rgba(255,255,255,0.045)";
        for (const c of corners) {
          const x0 = u.valToPos(c.entryM || 0, "x", true), x1 = u.valToPos(c.exitM || 0, "x", true);
          if (x1 > x0) ctx.fillRect(x0, top, x1 - x0, height);
        }
        ctx.restore();
      }],
      draw: [(u) => {
        const { ctx } = u, { left, top, width, height } = u.bbox;
        const px = devicePixelRatio || 1;
        ctx.save();
        ctx.beginPath();
        ctx.rect(left, top, width, height);
        ctx.clip();
        ctx.strokeStyle = "rgba(232,238,242,0.35)";
        ctx.setLineDash([3 * px, 3 * px]);
        ctx.font = `${11 * px}px system-ui`;
        ctx.textBaseline = "top";
        ctx.textAlign = "left";  // uPlot leaves the axes' alignment on the context
        let lastRight = -Infinity;
        for (const c of corners) {
          const x = u.valToPos(c.apexM || 0, "x", true);
          if (x < left || x > left + width) continue;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          if (!labels) continue;
          const span = u.valToPos(c.exitM || 0, "x", true) - u.valToPos(c.entryM || 0, "x", true);
          const full = c.name ? `${c.number} ${c.name}` : String(c.number);
          const text = ctx.measureText(full).width + 8 * px < Math.max(span, 40 * px) ? full : String(c.number);
          const w = ctx.measureText(text).width + 6 * px;
          const x0 = Math.max(x - w / 2, lastRight + 2 * px);
          ctx.fillStyle = "rgba(16,20,24,0.85)";
          ctx.fillRect(x0, top + 2 * px, w, 15 * px);
          ctx.fillStyle = "#e8eef2";
          ctx.fillText(text, x0 + 3 * px, top + 4 * px);
          lastRight = x0 + w;
        }
        ctx.restore();
      }],
    },
  };
}

export function createTraces(container, { compare, delta, steering, corners, lapLabel, refLabel, onCursor, onRange, address }) {
  const specs = [...channelCharts(compare, steering), ...(delta ? [deltaChart(delta)] : [])];
  const charts = [];
  let syncing = false, programmatic = false;
  const width = () => Math.max(container.clientWidth - 2, 200);
  const fullRange = [0, Math.max(...specs.map((s) => s.data[0][s.data[0].length - 1] || 0))];

  container.replaceChildren(el("div", { class: "legend" },
    el("span", { class: "swatch lap" }), lapLabel, el("span", { class: "swatch ref" }), refLabel,
    el("span", { class: "hint", text: "drag (or pinch) to zoom · double-click to reset" }),
    el("button", { type: "button", id: "reset-zoom", text: "Reset zoom", onclick: () => zoom(...fullRange) })));

  specs.forEach((spec, index) => {
    const last = index === specs.length - 1;
    const series = [{}, spec.single
      ? { label: "delta", stroke: COLORS.delta, width: 1.5, fill: "rgba(232,238,242,0.06)" }
      : { label: "lap", stroke: COLORS.lap, width: 1.5, paths: spec.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined },
    ];
    if (!spec.single) series.push({ label: "reference", stroke: COLORS.ref, width: 1.2, paths: spec.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined });
    const box = el("figure", { class: "chart", dataset: { chart: spec.name } }, el("figcaption", { text: spec.title }));
    container.append(box);
    const opts = {
      width: width(), height: spec.height,
      legend: { show: false },
      cursor: { y: false, sync: { key: "racecoach-lap", setSeries: false }, drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
      scales: { x: { time: false }, y: spec.range ? { range: spec.range } : { auto: true } },
      axes: [
        { ...AXIS, size: last || index === 0 ? 28 : 6, values: last || index === 0 ? (u, splits) => splits.map((v) => `${Math.round(v)} m`) : (u, splits) => splits.map(() => "") },
        { ...AXIS, size: Y_AXIS_SIZE, values: (u, splits) => splits.map((v) => v.toFixed(spec.digits === 3 ? 2 : 0)) },
      ],
      series,
      plugins: [cornerPlugin(corners, spec.labels)],
      hooks: {
        setScale: [(u, key) => {
          if (key !== "x" || syncing) return;
          syncing = true;
          const { min, max } = u.scales.x;
          for (const other of charts) if (other.u !== u) other.u.setScale("x", { min, max });
          syncing = false;
          if (onRange && charts.length === specs.length) onRange(min, max, min <= fullRange[0] + 1 && max >= fullRange[1] - 1);
        }],
        setCursor: [(u) => {
          if (programmatic || u.cursor.left == null || u.cursor.left < 0) return;
          if (onCursor) onCursor(u.posToVal(u.cursor.left, "x"));
        }],
      },
    };
    const u = new uPlot(opts, spec.data, box);
    charts.push({ name: spec.name, spec, u });
    if (address) touchZoom(u.over, u, { zoom, fullRange, address });
  });

  const observer = new ResizeObserver(() => { for (const { u } of charts) u.setSize({ width: width(), height: u.height }); });
  observer.observe(container);

  function zoom(min, max) {
    charts[0]?.u.setScale("x", { min: Math.max(min, fullRange[0]), max: Math.min(max, fullRange[1]) });
  }

  function showCursor(distance) {
    programmatic = true;
    for (const { u } of charts) {
      const left = u.valToPos(distance, "x");
      if (left >= 0 && left <= u.bbox.width / (devicePixelRatio || 1)) u.setCursor({ left, top: u.bbox.height / (devicePixelRatio || 1) / 2 });
    }
    programmatic = false;
  }

  function valuesAt(distance) {
    const out = {};
    for (const { spec } of charts) {
      const xs = spec.data[0];
      const step = xs.length > 1 ? xs[1] - xs[0] : 1;
      const i = Math.min(Math.max(Math.round(distance / step), 0), xs.length - 1);
      out[spec.name] = { unit: spec.unit, digits: spec.digits, lap: spec.data[1][i], ref: spec.single ? undefined : spec.data[2][i] };
    }
    return out;
  }

  return { charts, zoom, showCursor, valuesAt, fullRange, destroy: () => { observer.disconnect(); charts.forEach(({ u }) => u.destroy()); } };
}
