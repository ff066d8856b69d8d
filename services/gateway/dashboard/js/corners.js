// The corner table: brake point, entry, minimum and exit speed, full throttle, and the time lost by
// phase against the reference (the delta route's phase deltas); headers sort, rows jump to the corner.
import { el, kmh, fixed, signed, PHASES, phaseName } from "./format.js";
import { sortableTable } from "./table.js";

const NOISE_S = 0.005;

function lossCell(value) {
  if (!Number.isFinite(value)) return el("span", { class: "muted", text: "—" });
  const cls = value > NOISE_S ? "loss" : value < -NOISE_S ? "gain" : "muted";
  return el("span", { class: cls, text: signed(value, 2, "") });
}

// A lap's value with its difference to the reference underneath ("2041 m" / "−21").
function measured(value, refValue, digits = 0, { better = 1 } = {}) {
  if (!Number.isFinite(value)) return el("span", { class: "muted", text: "—" });
  const parts = [fixed(value, digits)];
  if (Number.isFinite(refValue)) {
    const diff = value - refValue;
    const shown = Math.abs(diff) >= 0.5 ? signed(diff, digits, "") : "";
    parts.push(el("small", { class: diff * better > 0 ? "gain" : "loss", title: `reference ${fixed(refValue, digits)}`, text: shown || "\u00a0" }));
  }
  return el("span", { class: "measured" }, parts);
}

const brakePoint = (c) => (c && c.braked ? c.brakeOnsetM : NaN);
const fullThrottle = (c) => (c && c.fullThrottleM ? c.fullThrottleM : NaN);

export function phaseLosses(phaseDeltas) {
  const byCorner = new Map();
  for (const p of phaseDeltas || []) {
    const number = p.cornerNumber || 0;
    if (!byCorner.has(number)) byCorner.set(number, {});
    const row = byCorner.get(number), name = phaseName(p.phase).toUpperCase();
    row[name] = (row[name] || 0) + (p.timeLossS || 0);
  }
  return byCorner;
}

export function cornerTable({ corners, refCorners, phaseDeltas, onSelect }) {
  if (!corners.length) return el("p", { class: "empty", text: "Analysis found no corners on this lap." });
  const refs = new Map((refCorners || []).map((c) => [c.number, c]));
  const losses = phaseLosses(phaseDeltas);
  const hasPhases = losses.size > 0;
  const columns = [
    { key: "number", label: "Corner" },
    { key: "brake", label: "Brake", unit: "m", title: "brake onset (below: metres against the reference, + is later)", numeric: true },
    { key: "entry", label: "Entry", unit: "km/h", title: "speed at the brake onset", numeric: true },
    { key: "min", label: "Min", unit: "km/h", title: "apex (minimum) speed", numeric: true },
    { key: "exit", label: "Exit", unit: "km/h", title: "speed at full throttle after the apex", numeric: true },
    { key: "throttle", label: "Full thr.", unit: "m", title: "where the throttle reaches full after the apex (− is earlier)", numeric: true },
  ];
  if (hasPhases) {
    for (const phase of PHASES) columns.push({ key: phase, label: phase[0] + phase.slice(1).toLowerCase(), unit: "s", title: `time lost in the ${phase.toLowerCase()} phase, s (+ lost, − gained)`, numeric: true });
    columns.push({ key: "total", label: "Total", unit: "s", title: "time lost from this corner's approach to the next one's", numeric: true });
  }
  const rows = corners.map((c) => {
    const r = refs.get(c.number);
    const loss = losses.get(c.number) || {};
    const total = hasPhases ? PHASES.reduce((sum, p) => sum + (loss[p] || 0), 0) : NaN;
    const values = {
      number: c.number, brake: brakePoint(c), entry: kmh(c.entrySpeedMps), min: kmh(c.apexSpeedMps), exit: kmh(c.exitSpeedMps),
      throttle: fullThrottle(c), total,
    };
    const cells = [
      el("span", { class: "corner-name" }, el("b", { class: "badge", text: String(c.number) }), ` ${c.name || ""}`),
      measured(values.brake, brakePoint(r)),
      measured(values.entry, kmh(r?.entrySpeedMps)),
      measured(values.min, kmh(r?.apexSpeedMps)),
      measured(values.exit, kmh(r?.exitSpeedMps)),
      measured(values.throttle, fullThrottle(r), 0, { better: -1 }),
    ];
    if (hasPhases) {
      for (const p of PHASES) { values[p] = loss[p]; cells.push(lossCell(loss[p])); }
      cells.push(lossCell(total));
    }
    const select = () => onSelect(c);
    const node = el("tr", {
      tabindex: "0", dataset: { corner: c.number }, "aria-label": `corner ${c.number} ${c.name || ""}`,
      onclick: select, onkeydown: (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(); } },
    }, cells.map((cell, i) => el("td", { class: columns[i].numeric ? "num" : undefined }, cell)));
    return { node, values };
  });
  return el("div", { class: "scroll" }, sortableTable(columns, rows, {
    id: "corner-table", initial: "number",
    caption: hasPhases ? "Below each measure: the difference to the reference. Phase columns: time lost (+) or gained (−) against the reference. Click a header to sort, a row to see the corner." : "",
  }));
}
