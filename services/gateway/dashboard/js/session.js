// The session view: lap-time chart (invalid laps marked), theoretical best, consistency, the laps.
//
// Theoretical best: every valid lap is compared with the session best (CompareLaps), which cuts
// both laps into the same segments, one per corner (from the previous corner's exit to this
// corner's exit, and the run to the line). The theoretical best is the session best's time plus,
// per segment, the largest gain any valid lap made there against it: the sum of the best segment
// times of the session's valid laps. Consistency is the standard deviation of the valid lap times.
/* global uPlot */
import { getSession, getDelta } from "./api.js";
import { el, lapTime, flagText, durationS, signed } from "./format.js";
import { linkRow } from "./table.js";
import { breadcrumb, trackName, carName } from "./sessions.js";

const enc = encodeURIComponent;
const AXIS = { stroke: "#9fb1bf", grid: { stroke: "#24303a", width: 1 }, ticks: { stroke: "#24303a" }, font: "11px system-ui" };

export function consistency(times) {
  if (times.length < 2) return NaN;
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return Math.sqrt(times.reduce((a, t) => a + (t - mean) ** 2, 0) / (times.length - 1));
}

// best: the session best lap; deltas: CompareLaps answers of the other valid laps against it.
export function theoreticalBest(best, deltas) {
  const gain = new Map();  // segment (corner number) → the most negative loss any lap made there
  for (const delta of deltas) {
    if (delta.referenceLapId !== best.lapId) continue;
    for (const segment of delta.cornerDeltas || []) {
      const key = segment.cornerNumber || 0, loss = segment.timeLossS || 0;
      gain.set(key, Math.min(gain.get(key) ?? 0, loss));
    }
  }
  let total = durationS(best.lapTime);
  for (const value of gain.values()) total += value;
  return { time: total, segments: gain.size, laps: deltas.length + 1 };
}

async function limited(items, run, width = 4) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) { const i = next++; out[i] = await run(items[i]).catch(() => null); }
  }));
  return out;
}

function lapChart(box, timed, ideal) {
  const x = timed.map((lap) => lap.lapNumber || 0);
  const valid = timed.map((lap) => (lap.valid ? durationS(lap.lapTime) : null));
  const invalid = timed.map((lap) => (lap.valid ? null : durationS(lap.lapTime)));
  const series = [{ label: "Lap" },
    { label: "Valid lap", stroke: "#4fc3f7", width: 2, points: { show: true, size: 8, fill: "#4fc3f7" }, spanGaps: true, value: (u, v) => lapTime(v) },
    { label: "Invalid lap", stroke: "#e0a050", width: 0, paths: () => null, points: { show: true, size: 10, fill: "#101418", stroke: "#e0a050", width: 2 }, value: (u, v) => lapTime(v) }];
  const data = [x, valid, invalid];
  if (Number.isFinite(ideal)) {
    series.push({ label: "Theoretical best", stroke: "#b39ddb", width: 1.5, dash: [6, 4], points: { show: false }, value: (u, v) => lapTime(v) });
    data.push(x.map(() => ideal));
  }
  const all = [...valid, ...invalid, ideal].filter(Number.isFinite);
  const lo = Math.min(...all), hi = Math.max(...all), pad = Math.max((hi - lo) * 0.15, 0.2);
  const width = () => Math.max(box.clientWidth - 4, 260);
  const u = new uPlot({
    width: width(), height: 240, series, legend: { show: true, live: true },
    scales: { x: { time: false, range: [Math.min(...x) - 0.5, Math.max(...x) + 0.5] }, y: { range: [lo - pad, hi + pad] } },
    axes: [{ ...AXIS, label: "lap", size: 40, incrs: [1, 2, 5, 10], values: (u2, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : "")) },
      { ...AXIS, size: 64, values: (u2, vals) => vals.map((v) => lapTime(v).replace(/0+$/, "").replace(/\.$/, "")) }],
    cursor: { drag: { x: false, y: false } },
  }, data, box);
  new ResizeObserver(() => u.setSize({ width: width(), height: 240 })).observe(box);
  return u;
}

function lapsTable(laps, best) {
  const rows = laps.map((lap) => {
    const isBest = best && lap.lapId === best.lapId;
    const gap = lap.lapTime && best ? durationS(lap.lapTime) - durationS(best.lapTime) : NaN;
    return linkRow([
      String(lap.lapNumber || 0), lapTime(lap.lapTime) + (isBest ? " ★" : ""), isBest ? "" : signed(gap),
      lap.valid ? "yes" : flagText(lap.flags) || "no",
      String((lap.corners || []).length), String((lap.brakingZones || []).length),
    ], `#/laps/${enc(lap.lapId)}`, { className: lap.valid ? (isBest ? "best" : undefined) : "invalid", label: `Lap ${lap.lapNumber || 0}` });
  });
  return el("div", { class: "scroll" }, el("table", { id: "laps" },
    el("thead", {}, el("tr", {}, ["Lap", "Time", "To best", "Valid", "Corners", "Braking zones"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, rows)));
}

const stat = (id, label, value, note) => el("div", { class: "stat", id },
  el("span", { class: "muted small", text: label }), el("b", { text: value }), note ? el("span", { class: "muted small", text: note }) : null);

export async function showSessionView(main, sessionId, stale) {
  const detail = await getSession(sessionId);
  if (stale()) return;
  const session = detail.summary.session;
  const laps = detail.laps || [];
  const timed = laps.filter((lap) => lap.lapTime);
  const valid = timed.filter((lap) => lap.valid);
  const best = valid.reduce((a, lap) => (!a || durationS(lap.lapTime) < durationS(a.lapTime) ? lap : a), null);
  const title = `${trackName(session)} — ${carName(session)}`;
  const started = session.startTime ? new Date(session.startTime).toLocaleString() : "";
  const parts = [breadcrumb([title]), el("div", { class: "lap-head" }, el("h2", { id: "session-title", text: title }),
    el("a", { id: "live-link", class: "chip", href: `#/live/${enc(sessionId)}`, text: "Live view" })),
  el("p", { class: "muted small", id: "session-meta", text: [started && `Started ${started}`, `${laps.length} laps, ${valid.length} valid`].filter(Boolean).join(" · ") })];
  if (!timed.length) {
    parts.push(el("p", { class: "empty", id: "no-laps", text: laps.length
      ? "This recording has no complete lap: a lap counts from one crossing of the start/finish line to the next."
      : "This recording has no complete lap yet: nothing was timed from one start/finish crossing to the next." }));
    if (laps.length) parts.push(lapsTable(laps, null));
    main.replaceChildren(...parts);
    window.racecoach = { view: "session", sessionId };
    return;
  }
  const others = valid.filter((lap) => lap !== best);
  const deltas = best ? (await limited(others, (lap) => getDelta(lap.lapId, { kind: "session-best" }))).filter(Boolean) : [];
  if (stale()) return;
  const ideal = best ? theoreticalBest(best, deltas) : null;
  const sigma = consistency(valid.map((lap) => durationS(lap.lapTime)));
  const stats = el("div", { class: "stats", id: "session-stats" },
    stat("stat-best", "Best lap", best ? `${lapTime(best.lapTime)} (lap ${best.lapNumber})` : "no valid lap"),
    stat("stat-ideal", "Theoretical best", ideal ? lapTime(ideal.time) : "—",
      ideal ? `${signed(ideal.time - durationS(best.lapTime))}: best segments of ${ideal.laps} valid laps` : ""),
    stat("stat-consistency", "Consistency (σ of valid laps)", Number.isFinite(sigma) ? `${sigma.toFixed(3)} s` : "—",
      Number.isFinite(sigma) ? `over ${valid.length} laps` : "needs two valid laps"));
  const chartBox = el("figure", { id: "lap-times", class: "chart", "aria-label": "lap times" });
  parts.push(stats, el("section", { class: "charts" }, el("h3", { text: "Lap times" }), chartBox,
    el("p", { class: "muted small", text: "Open circles are laps that do not count (out-lap, in-lap, off track, …). The dashed line is the theoretical best." })),
  lapsTable(laps, best));
  main.replaceChildren(...parts);
  const chart = lapChart(chartBox, timed, ideal ? ideal.time : NaN);
  window.racecoach = { view: "session", sessionId, chart, theoreticalBest: ideal ? ideal.time : null, consistency: sigma };
}
