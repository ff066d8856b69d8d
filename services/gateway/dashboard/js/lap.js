// The lap view: traces against a reference, delta, track map, coaching report and corner table.
import { getLap, getSession, getDelta, getCompare, getTelemetry, listSessionsOf } from "./api.js";
import { el, lapTime, signed, durationS, fixed, flagText } from "./format.js";
import { breadcrumb, trackName, carName } from "./sessions.js";
import { createTraces, resample } from "./traces.js";
import { createTrackMap } from "./trackmap.js";
import { cornerTable } from "./corners.js";
import { reportPanel, remarkRange } from "./report.js";
import { addressZoom, rangeFrom } from "./zoom.js";

const CHANNELS = ["lap_dist_m", "speed_mps", "steering_rad", "lat_deg", "lon_deg", "yaw_rad", "yaw_rate_rps"];
const enc = encodeURIComponent;

export function parseRef(value) {
  if (value && value.startsWith("lap:")) return { kind: "lap", lapId: value.slice(4) };
  if (value === "personal-best") return { kind: "personal-best" };
  return { kind: "session-best" };
}
const refValue = (ref) => (ref.kind === "lap" ? `lap:${ref.lapId}` : ref.kind);

const OTHER_SESSIONS = 8;  // the newest sessions of the same track, layout and car whose laps the chooser offers
const sameLayout = (a, b) => a && b && (a.track || {}).name === (b.track || {}).name
  && ((a.track || {}).layout || "") === ((b.track || {}).layout || "") && ((a.car || {}).name || "") === ((b.car || {}).name || "");

// Laps of the driver's other sessions of the same track, layout and car (each session's fastest valid lap) and
// of the references imported for it (replay --as-reference: every valid lap), added to the chooser when known.
async function otherLaps(select, lap, session, ref) {
  let listed;
  try { listed = await listSessionsOf(session.track.name, (session.car || {}).name || ""); } catch { return; }
  const others = (listed.sessions || []).map((s) => s.session)
    .filter((s) => s.sessionId !== lap.sessionId && sameLayout(s, session)).slice(0, OTHER_SESSIONS);
  const details = await Promise.all(others.map((s) => getSession(s.sessionId).catch(() => null)));
  const imported = el("optgroup", { label: "Imported references" });
  const own = el("optgroup", { label: "Your other sessions" });
  // the laps offered already (a placeholder for the address's reference gives way to its place in a group)
  const shown = new Set([...select.options].filter((o) => !o.dataset.placeholder).map((o) => o.value));
  const offer = (group, value, text) => {
    if (shown.has(value)) return;
    shown.add(value);
    for (const o of [...select.options]) if (o.dataset.placeholder && o.value === value) o.remove();
    group.append(el("option", { value, text }));
  };
  others.forEach((other, i) => {
    const valid = ((details[i] || {}).laps || []).filter((l) => l.valid && l.lapTime);
    const when = other.startTime ? new Date(other.startTime).toLocaleDateString() : "";
    const who = other.sourceName || other.driverName || "imported";
    if (other.source === "SESSION_SOURCE_REFERENCE_IBT") {
      for (const l of valid) offer(imported, `lap:${l.lapId}`, `${who}: lap ${l.lapNumber} — ${lapTime(l.lapTime)}`);
    } else if (valid.length) {
      const best = valid.reduce((a, b) => (durationS(b.lapTime) < durationS(a.lapTime) ? b : a));
      offer(own, `lap:${best.lapId}`, `${when} lap ${best.lapNumber} — ${lapTime(best.lapTime)}`);
    }
  });
  for (const group of [imported, own]) if (group.children.length) select.append(group);
  select.value = refValue(ref);  // a reference from another session, named in the address, shows as chosen
}

function chooser(lap, laps, ref, resolved, session) {
  const select = el("select", { id: "reference", "aria-label": "reference lap" });
  const label = (text, kind) => (refValue(ref) === kind && resolved ? `${text} (lap ${resolved.lapNumber}, ${lapTime(resolved.lapTime)})` : text);
  select.append(
    el("option", { value: "session-best", text: label("Session best", "session-best") }),
    el("option", { value: "personal-best", text: label("Personal best", "personal-best") }));
  const group = el("optgroup", { label: "Laps of this session" });
  for (const other of laps) {
    if (other.lapId === lap.lapId || !other.lapTime) continue;
    group.append(el("option", { value: `lap:${other.lapId}`, text: `Lap ${other.lapNumber} — ${lapTime(other.lapTime)}${other.valid ? "" : ` (${flagText(other.flags)})`}` }));
  }
  if (group.children.length) select.append(group);
  if (ref.kind === "lap" && resolved && ![...select.options].some((o) => o.value === refValue(ref))) {
    select.append(el("option", { value: refValue(ref), dataset: { placeholder: "1" },
      text: `Lap ${resolved.lapNumber} — ${lapTime(resolved.lapTime)} (another session)` }));
  }
  select.value = refValue(ref);
  select.addEventListener("change", () => { location.hash = `#/laps/${enc(lap.lapId)}?ref=${enc(select.value)}`; });
  if (session && session.track && session.track.name) otherLaps(select, lap, session, ref);
  return el("label", { class: "chooser" }, "Reference ", select);
}

function readout(values, distance) {
  const parts = [el("b", { text: `${Math.round(distance)} m` })];
  const names = { speed: "speed", throttle: "throttle", brake: "brake", gear: "gear", steering: "steer", delta: "Δ" };
  for (const [name, v] of Object.entries(values)) {
    const show = (x) => (name === "delta" ? signed(x, 3, "") : fixed(x, v.digits));
    const text = v.ref === undefined ? `${show(v.lap)} ${v.unit}` : null;
    parts.push(el("span", { class: "value", dataset: { channel: name } }, `${names[name]} `,
      text ?? [el("span", { class: "lap", text: show(v.lap) }), " / ", el("span", { class: "ref", text: show(v.ref) }), v.unit ? ` ${v.unit}` : ""]));
  }
  return parts;
}

export async function showLap(main, lapId, params, stale) {
  const ref = parseRef(params.get("ref"));
  const detail = await getLap(lapId);
  const { lap, session } = detail;
  const sessionDetail = await getSession(lap.sessionId).catch(() => ({ laps: [] }));
  if (stale()) return;
  const title = `${trackName(session)} — ${carName(session)}`;
  const head = [breadcrumb([title, `#/sessions/${enc(lap.sessionId)}`], [`Lap ${lap.lapNumber || 0}`])];
  if (!lap.lapTime) {
    main.replaceChildren(...head, el("h2", { text: `Lap ${lap.lapNumber || 0}` }),
      el("p", { class: "empty", id: "no-laps", text: `This lap is not complete (${flagText(lap.flags) || "no start/finish crossing at both ends"}): it has no time to compare.` }));
    return;
  }

  let delta = null, deltaError = null;
  try { delta = await getDelta(lapId, ref); } catch (error) { deltaError = error; }
  const refId = delta ? delta.referenceLapId : lapId;
  const [compare, tel, refTel] = await Promise.all([
    getCompare(lapId, refId), getTelemetry(lapId, CHANNELS),
    refId === lapId ? null : getTelemetry(refId, ["lap_dist_m", "steering_rad"]).catch(() => null),
  ]);
  if (stale()) return;
  const refLap = delta ? compare.reference.lap : null;
  const corners = lap.corners || [];
  const lapLength = lap.distanceM || (session.track && session.track.lengthM) || 0;

  const lapDelta = delta ? durationS(delta.lapDelta) : NaN;
  const deltaChip = delta
    ? el("span", { id: "lap-delta", class: lapDelta > 0 ? "chip loss" : "chip gain", text: `${signed(lapDelta)} vs lap ${refLap.lapNumber} (${lapTime(refLap.lapTime)})` })
    : el("span", { id: "lap-delta", class: "chip muted", text: `No reference: ${deltaError ? deltaError.message : "none found"}` });
  head.push(el("div", { class: "lap-head" },
    el("h2", { id: "lap-title", text: `Lap ${lap.lapNumber || 0}: ${lapTime(lap.lapTime)}` }), deltaChip,
    chooser(lap, sessionDetail.laps || [], ref, refLap, session)));
  if (!lap.valid) head.push(el("p", { class: "invalid", text: `Not a clean lap: ${flagText(lap.flags)}.` }));

  const cursorBar = el("div", { id: "readout", class: "readout", "aria-live": "off", text: "Hover the traces or the map to read both laps at one distance." });
  const tracesBox = el("div", { id: "traces", class: "traces" });
  const mapBox = el("section", { id: "map", class: "map", "aria-label": "track map" });
  let traces = null, map = null;
  const report = reportPanel(detail.report, {
    referenceNote: detail.report && detail.report.referenceLapId && detail.report.referenceLapId !== refId
      ? `These remarks compare with lap ${String(detail.report.referenceLapId).split(".").pop()}, the reference when the lap was coached.` : "",
    onSelect: (item) => {
      const range = remarkRange(item, corners, lapLength);
      traces.zoom(range.from, range.to);
      pointAt(range.at);
    },
  });
  const cornersBox = el("section", { id: "corners", class: "corners" }, el("h3", { text: "Corners" }));
  main.replaceChildren(...head, cursorBar,
    el("div", { class: "lap-grid" }, el("section", { class: "charts", "aria-label": "traces" }, tracesBox), el("aside", { class: "side" }, mapBox, report)),
    cornersBox);

  // After a zoom uPlot redraws (and moves its cursor) once the current task ends: point after that.
  function pointAt(distance) {
    setTimeout(() => { traces.showCursor(distance); map.showCursor(distance); showValues(distance); }, 0);
  }

  function showValues(distance) {
    cursorBar.replaceChildren(...readout(traces.valuesAt(distance), distance));
  }

  const grid = Float64Array.from({ length: (compare.lap.speedMps || []).length }, (_, i) => i * (compare.stepM || 5));
  const steeringOf = (t) => (t && t.steering_rad ? resample(t.lap_dist_m, Float64Array.from(t.steering_rad, (v) => (v * 180) / Math.PI), grid) : null);
  const lapSteer = steeringOf(tel), refSteer = refTel ? steeringOf(refTel) : lapSteer;
  const address = addressZoom();  // the zoomed range in the address: reload keeps it, Back undoes a zoom
  traces = createTraces(tracesBox, {
    compare, delta, corners,
    steering: lapSteer ? { lap: lapSteer, ref: refSteer || new Array(grid.length).fill(null) } : null,
    lapLabel: ` Lap ${lap.lapNumber} `, refLabel: refLap ? ` Reference: lap ${refLap.lapNumber} ` : " (no reference) ",
    onCursor: (d) => { map.showCursor(d); showValues(d); },
    address,
    onRange: (min, max, whole) => { if (map) map.showRange(min, max, whole); address.onRange(min, max, whole); },
  });
  map = createTrackMap(mapBox, { tel, delta, corners, onHover: (d) => { traces.showCursor(d); showValues(d); } });
  cornersBox.append(cornerTable({
    corners, refCorners: refLap ? refLap.corners : [], phaseDeltas: delta ? delta.phaseDeltas : [],
    onSelect: (c) => {
      traces.zoom(Math.max((c.brakeOnsetM || c.entryM || 0) - 120, 0), (c.exitM || 0) + 120);
      pointAt(c.apexM || 0);
      tracesBox.scrollIntoView({ block: "nearest", behavior: "smooth" });
    },
  }));
  const applyRange = (range) => address.applying(() => traces.zoom(...(range || traces.fullRange)));
  applyRange(rangeFrom(params));
  window.racecoach = { view: "lap", lapId, refParam: params.get("ref") || "", referenceLapId: refId, lapDelta, traces, map, applyRange };
}
