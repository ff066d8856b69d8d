// The lap view's zoom: kept in the address (#/laps/{id}?ref=…&from=…&to=…, metres) so that a reload
// keeps the range and Back undoes a zoom, and made by touch: pinch to zoom, drag sideways to pan.

// The range an address names, or null (the whole lap).
export function rangeFrom(params) {
  const from = Number(params.get("from")), to = Number(params.get("to"));
  return params.has("from") && params.has("to") && Number.isFinite(from) && Number.isFinite(to) && to > from ? [from, to] : null;
}

export function zoomHash(hash, range) {
  const [path, query = ""] = hash.split("?");
  const params = new URLSearchParams(query);
  params.delete("from");
  params.delete("to");
  if (range) { params.set("from", String(Math.round(range[0]))); params.set("to", String(Math.round(range[1]))); }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

// Writes each zoom the driver makes as a history entry; a range applied from the address, or a
// gesture still under way, writes nothing.
export function addressZoom() {
  let quiet = true, held = false, latest = null;
  const write = () => {
    const next = zoomHash(location.hash || "#/", latest);
    if (next !== location.hash) history.pushState(null, "", next);
  };
  return {
    onRange(min, max, whole) { latest = whole ? null : [min, max]; if (!quiet && !held) write(); },
    // uPlot applies a scale when the current task ends: stay quiet until the next one.
    applying(apply) { quiet = true; apply(); setTimeout(() => { quiet = false; }, 0); },
    hold() { held = true; },
    release() { if (held) { held = false; write(); } },
  };
}

const MIN_SPAN_M = 20;

// Pinch and sideways drag on a chart's plot area, by pointer events of touch pointers (vertical
// swipes still scroll the page: touch-action pan-y).
export function touchZoom(over, u, { zoom, fullRange, address }) {
  const now = new Map();
  let start = null;
  over.style.touchAction = "pan-y";
  const snapshot = () => ({ min: u.scales.x.min, max: u.scales.x.max, at: new Map(now), rect: over.getBoundingClientRect() });
  over.addEventListener("pointerdown", (event) => {
    if (event.pointerType !== "touch") return;
    over.setPointerCapture(event.pointerId);
    now.set(event.pointerId, event.clientX);
    start = snapshot();
    address.hold();
  });
  over.addEventListener("pointermove", (event) => {
    if (!now.has(event.pointerId) || !start) return;
    now.set(event.pointerId, event.clientX);
    const { min, max, at, rect } = start;
    const share = (x) => (x - rect.left) / rect.width;
    const ids = [...at.keys()].filter((id) => now.has(id));
    const [lo, hi] = fullRange;
    if (ids.length >= 2) {  // the distances under both fingers stay under them
      const [a, b] = ids;
      const va = min + share(at.get(a)) * (max - min), vb = min + share(at.get(b)) * (max - min);
      const xa = share(now.get(a)), xb = share(now.get(b));
      if (Math.abs(xb - xa) < 0.02 || Math.abs(vb - va) < 1e-6) return;
      const span = Math.min(Math.max((vb - va) / (xb - xa), MIN_SPAN_M), hi - lo);
      const from = Math.min(Math.max(va - xa * span, lo), hi - span);
      zoom(from, from + span);
    } else if (ids.length === 1 && max - min < hi - lo - 1) {  // pan a zoomed range
      const shift = ((now.get(ids[0]) - at.get(ids[0])) / rect.width) * (max - min);
      const from = Math.min(Math.max(min - shift, lo), hi - (max - min));
      zoom(from, from + (max - min));
    }
    event.preventDefault();
  });
  const end = (event) => {
    if (!now.delete(event.pointerId)) return;
    start = now.size ? snapshot() : null;
    if (!now.size) address.release();
  };
  over.addEventListener("pointerup", end);
  over.addEventListener("pointercancel", end);
}
