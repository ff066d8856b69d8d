// The live view: the session being driven, updated by the gateway's server-sent events
// (/api/v1/sessions/{id}/live: storage polled every 0.5 s). It shows what storage holds as the
// car runs: samples stored, laps as analysis closes them, the newest lap's delta to the session
// best and its coaching remarks (the cues the next lap draws on).
/* global uPlot */
import { getSession } from "./api.js";
import { el, lapTime, signed, flagText } from "./format.js";
import { breadcrumb, trackName, carName } from "./sessions.js";

const enc = encodeURIComponent;
const AXIS = { stroke: "#9fb1bf", grid: { stroke: "#24303a", width: 1 }, ticks: { stroke: "#24303a" }, font: "11px system-ui" };

function deltaChart(box) {
  const width = () => Math.max(box.clientWidth - 4, 260);
  const u = new uPlot({
    width: width(), height: 200, legend: { show: false },
    series: [{}, { label: "Δ", stroke: "#e8eef2", width: 1.5, fill: "rgba(239,83,80,0.12)" }],
    scales: { x: { time: false } },
    axes: [{ ...AXIS, values: (u2, vals) => vals.map((v) => `${Math.round(v)} m`) }, { ...AXIS, size: 50, values: (u2, vals) => vals.map((v) => signed(v, 2, "")) }],
  }, [[], []], box);
  new ResizeObserver(() => u.setSize({ width: width(), height: 200 })).observe(box);
  return u;
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
  const cues = el("ol", { id: "live-cues", class: "cues" });
  const laps = el("p", { id: "live-laps", class: "small muted" });
  main.replaceChildren(
    breadcrumb([title, `#/sessions/${enc(sessionId)}`], ["Live"]),
    el("h2", { id: "live-title", text: `Live: ${title}` }), status, lastLap,
    el("section", { class: "charts" }, el("h3", { text: "Last lap: delta to the session best, s" }), chartBox),
    el("section", { class: "charts" }, el("h3", { text: "Latest cues: the last lap's remarks" }), cues), laps);
  const chart = deltaChart(chartBox);
  const state = { view: "live", sessionId, updates: 0, sampleCount: 0, lastLap: null, chart };
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
