// Number and text formatting shared by the views.
export function durationS(value) {
  if (value === undefined || value === null || value === "") return NaN;
  return parseFloat(value);
}

export function lapTime(value) {
  const s = durationS(value);
  if (!Number.isFinite(s)) return "—";
  const m = Math.floor(s / 60);
  return `${m}:${(s - 60 * m).toFixed(3).padStart(6, "0")}`;
}

export function signed(value, digits = 3, unit = "s") {
  if (!Number.isFinite(value)) return "—";
  const text = Math.abs(value).toFixed(digits);
  const sign = Number(text) === 0 ? "" : value > 0 ? "+" : "−";
  return `${sign}${text}${unit ? ` ${unit}` : ""}`;
}

export const kmh = (mps) => (Number.isFinite(mps) ? mps * 3.6 : NaN);
export const fixed = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "—");

const FLAGS = {
  LAP_FLAG_OUT_LAP: "out-lap", LAP_FLAG_IN_LAP: "in-lap", LAP_FLAG_INCOMPLETE: "incomplete", LAP_FLAG_RESET: "reset",
  LAP_FLAG_OFF_TRACK: "off track", LAP_FLAG_PIT: "pit", LAP_FLAG_SPIN: "spin", LAP_FLAG_NEAR_STOP: "near stop",
};
export const flagText = (flags) => (flags || []).map((f) => FLAGS[f] || f.toLowerCase()).join(", ");

export const PHASES = ["APPROACH", "BRAKING", "ENTRY", "APEX", "EXIT", "STRAIGHT"];
export const phaseName = (phase) => (phase || "").replace("CORNER_PHASE_", "").toLowerCase();

export function cornerLabel(corner) {
  if (!corner) return "";
  return corner.name ? `${corner.number} · ${corner.name}` : `Corner ${corner.number}`;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}
