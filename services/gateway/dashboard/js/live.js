// The live view: the session being driven, updated by the gateway's server-sent events
// (/api/v1/sessions/{id}/live: storage polled every 0.5 s). It shows what storage holds as the
// car runs: the lap being driven with its running delta to the reference and the live cues the
// driver is given, the samples stored, laps as analysis closes them, and the newest lap's delta
// to the session best with its coaching remarks.
/* global uPlot */
import { getSession } from "./api.js";
import { el, lapTime, signed, flagText } from "./format.js";
import { breadcrumb, trackName, carName } from "./sessions.js";

const enc = encodeURIComponent;
const AXIS = { stroke: "#9fb1bf", grid: { stroke: "#24303a", width: 1 }, ticks: { stroke: "#24303a" }, font: "11px system-ui" };

function deltaChart(box, height = 200) {
  const width = () => Math.max(box.clientWidth - 4, 200);
  const u = new uPlot({
    width: width(), height, legend: { show: false },
    series: [{}, { label: "Δ", stroke: "#e8eef2", width: 1.5, fill: "rgba(239,83,80,0.12)" }],
    scales: { x: { time: false }, y: { range: (u2, min, max) => [Math.min(min * 1.1, -0.2), Math.max(max * 1.1, 0.2)] } },  // jitter not magnified
    axes: [{ ...AXIS, values: (u2, vals) => vals.map((v) => `${Math.round(v)} m`) }, { ...AXIS, size: 50, values: (u2, vals) => vals.map((v) => signed(v, 2, "")) }],
  }, [[], []], box);
  new ResizeObserver(() => u.setSize({ width: width(), height })).observe(box);
  return u;
}

function liveCueItem(cue) {
  return el("li", { dataset: { corner: cue.cornerNumber || 0, kind: cue.kind } }, cue.text,
    el("span", { class: "muted small", text: ` · ${Math.round(cue.leadDistanceM)} m before ${Math.round(cue.targetDistanceM)} m` }));
}

// The lap being driven: how far round, the running delta to the reference (a number and a trace).
function showCurrent(now, parts) {
  const { head, number, chart, cues } = parts;
  const refText = now.referenceLapNumber ? `lap ${now.referenceLapNumber}${now.referenceSessionId === parts.sessionId ? "" : " (personal best)"}` : "";
  const where = now.lapNumber == null ? "Waiting for samples…"
    : now.started ? `Lap ${now.lapNumber} · ${Math.round(now.distanceM)} m · ${lapTime(now.elapsedS)}` : `Lap ${now.lapNumber}: out-lap, the delta starts at the line`;
  head.textContent = where;
  const delta = now.deltaS;
  number.className = `live-number ${Number.isFinite(delta) ? (delta > 0 ? "loss" : "gain") : "muted"}`;
  number.textContent = Number.isFinite(delta) ? signed(delta) : "—";
  number.title = refText ? `against ${refText}` : "no reference lap yet";
  parts.vs.textContent = Number.isFinite(delta) ? `vs ${refText}` : now.started ? "no reference lap yet" : "";
  chart.setData([now.trace.distanceM, now.trace.deltaS]);
  cues.replaceChildren(...(now.cues.length ? now.cues.map(liveCueItem)
    : [el("li", { class: "muted", text: now.referenceLapId ? "No cue yet on this lap." : "Cues start once a lap is completed." })]));
}

function cueItem(cue) {
  const where = cue.cornerName || (cue.cornerNumber ? `Corner ${cue.cornerNumber}` : "");
  const loss = Number(cue.timeLossS || 0);
  const text = cue.description || "";
  return el("li", { dataset: { corner: cue.cornerNumber || 0 } }, where && !text.startsWith(where) ? el("b", { text: `${where}: ` }) : null, text,
    loss > 0 ? el("span", { class: "loss", text: ` (${signed(loss)})` }) : null);
}

export async function showLive(main, sessionId, stale) {
  const detail = await getSession(sessionId);
  if (stale()) return;
  const session = detail.summary.session;
  const title = `${trackName(session)} — ${carName(session)}`;
  const dot = el("span", { class: "live-dot", "aria-hidden": "true" });
  const status = el("p", { id: "live-status", class: "small" }, dot, "Connecting…");
  const lastLap = el("div", { id: "live-last-lap", class: "lap-head" }, el("span", { class: "muted", text: "No lap completed yet." }));
  const chartBox = el("figure", { id: "live-delta", class: "chart", "aria-label": "delta of the last lap" });
  const cues = el("ol", { id: "live-remarks", class: "cues" });
  const laps = el("p", { id: "live-laps", class: "small muted" });
  const current = { sessionId, head: el("p", { id: "live-now", class: "small" }), number: el("b", { id: "live-now-delta", class: "live-number muted", text: "—" }),
    vs: el("span", { id: "live-now-ref", class: "muted small" }), box: el("figure", { id: "live-now-chart", class: "chart", "aria-label": "running delta of this lap" }),
    cues: el("ol", { id: "live-cues", class: "cues", "aria-live": "polite" }) };
  main.replaceChildren(
    breadcrumb([title, `#/sessions/${enc(sessionId)}`], ["Live"]),
    el("h2", { id: "live-title", text: `Live: ${title}` }), status,
    el("div", { class: "live-grid" },
      el("section", { class: "charts", id: "live-current" }, el("h3", { text: "This lap: delta to the reference, s" }), current.head,
        el("div", { class: "live-delta-now" }, current.number, current.vs), current.box),
      el("section", { class: "charts" }, el("h3", { text: "Live cues" }), current.cues)),
    lastLap,
    el("section", { class: "charts" }, el("h3", { text: "Last lap: delta to the session best, s" }), chartBox),
    el("section", { class: "charts" }, el("h3", { text: "Last lap's remarks" }), cues), laps);
  const chart = deltaChart(chartBox);
  current.chart = deltaChart(current.box, 150);
  const state = { view: "live", sessionId, updates: 0, sampleCount: 0, lastLap: null, currentLap: null, chart, currentChart: current.chart };
  window.racecoach = state;
  let lastGrowth = 0;

  const source = new EventSource(`/api/v1/sessions/${enc(sessionId)}/live`);
  const close = () => { source.close(); window.removeEventListener("hashchange", close); };
  window.addEventListener("hashchange", close);
  source.addEventListener("update", (event) => {
    const data = JSON.parse(event.data);
    if (data.sampleCount > state.sampleCount) lastGrowth = Date.now();
    state.updates += 1;
    state.sampleCount = data.sampleCount;
    const driving = Date.now() - lastGrowth < 3000;
    dot.classList.toggle("on", driving);
    status.replaceChildren(dot, `${driving ? "Driving" : "Idle"} · ${data.sampleCount.toLocaleString()} samples stored · ${data.lapCount} laps`);
    const timed = data.laps.filter((lap) => lap.lapTimeS);
    laps.textContent = timed.map((lap) => `Lap ${lap.lapNumber} ${lapTime(lap.lapTimeS)}${lap.valid ? "" : ` (${flagText(lap.flags)})`}`).join(" · ");
    if (data.currentLap) { state.currentLap = data.currentLap; showCurrent(data.currentLap, current); }
    const last = data.lastLap;
    if (!last || (state.lastLap && state.lastLap.lapId === last.lapId && state.lastLap.reported === last.reported)) return;
    state.lastLap = last;
    const delta = Number.isFinite(last.lapDeltaS) ? last.lapDeltaS : NaN;
    lastLap.replaceChildren(el("a", { href: `#/laps/${enc(last.lapId)}`, id: "live-lap-title", text: `Lap ${last.lapNumber}: ${lapTime(last.lapTimeS)}` }),
      el("span", { id: "live-lap-delta", class: `chip ${delta > 0 ? "loss" : "gain"}`, text: Number.isFinite(delta) ? `${signed(delta)} to the session best` : "first lap: no reference yet" }),
      last.summary ? el("span", { class: "muted small", text: last.summary }) : null);
    const x = last.deltaS.map((_, i) => i * (last.stepM || 5));
    chart.setData([x, last.deltaS]);
    cues.replaceChildren(...(last.cues.length ? last.cues.slice(0, 5).map(cueItem)
      : [el("li", { class: "muted", text: last.reported ? "No remarks on this lap." : "The report is on its way…" })]));
  });
  source.addEventListener("failure", (event) => {
    status.replaceChildren(el("span", { class: "error", text: JSON.parse(event.data).detail }));
    close();
  });
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) status.replaceChildren("Disconnected: reload to reconnect."); };
}
