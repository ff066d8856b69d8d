"use strict";
// Racing Coach dashboard: talks only to the REST/JSON API of the gateway.
const state = { token: localStorage.getItem("racecoach.token") || "" };
const $ = (id) => document.getElementById(id);

function seconds(duration) {
  if (!duration) return "";
  const s = parseFloat(duration);
  const m = Math.floor(s / 60);
  return `${m}:${(s - 60 * m).toFixed(3).padStart(6, "0")}`;
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${state.token}` } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || response.statusText);
  return body;
}

function row(cells, onClick) {
  const tr = document.createElement("tr");
  for (const text of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
  }
  tr.addEventListener("click", onClick);
  return tr;
}

async function loadSessions() {
  $("status").textContent = "";
  const body = $("sessions").querySelector("tbody");
  body.replaceChildren();
  try {
    const page = await api("/api/v1/sessions?pageSize=50");
    for (const s of page.sessions || []) {
      const session = s.session;
      body.appendChild(row([
        session.startTime ? new Date(session.startTime).toLocaleString() : "",
        session.track ? session.track.displayName || session.track.name : "",
        session.car ? session.car.name : "",
        String(s.lapCount || 0),
        seconds(s.bestLapTime),
      ], () => loadSession(session.sessionId)));
    }
    if (!(page.sessions || []).length) $("status").textContent = "No sessions yet: replay an .ibt file with racing-coach replay.";
  } catch (error) {
    $("status").textContent = error.message;
  }
}

async function loadSession(sessionId) {
  const detail = await api(`/api/v1/sessions/${encodeURIComponent(sessionId)}`);
  const session = detail.summary.session;
  $("session-title").textContent = `${session.track ? session.track.displayName : ""} — ${session.car ? session.car.name : ""}`;
  const body = $("laps").querySelector("tbody");
  body.replaceChildren();
  for (const lap of detail.laps || []) {
    const tr = row([String(lap.lapNumber || 0), seconds(lap.lapTime), lap.valid ? "yes" : (lap.flags || []).join(", "),
      String((lap.corners || []).length), String((lap.brakingZones || []).length)], () => loadLap(lap.lapId));
    if (!lap.valid) tr.classList.add("invalid");
    body.appendChild(tr);
  }
  $("session-panel").hidden = false;
}

async function loadLap(lapId) {
  const detail = await api(`/api/v1/laps/${encodeURIComponent(lapId)}`);
  $("lap-title").textContent = `Lap ${detail.lap.lapNumber || 0}: ${seconds(detail.lap.lapTime)}`;
  const report = detail.report || {};
  $("lap-summary").textContent = report.summary ? `Score ${Math.round(report.score || 0)} — ${report.summary}` : "No coaching report for this lap.";
  const list = $("feedback");
  list.replaceChildren();
  for (const item of report.feedback || []) {
    const li = document.createElement("li");
    li.textContent = item.description;
    list.appendChild(li);
  }
  $("lap-panel").hidden = false;
  await drawSpeed(lapId);
}

async function drawSpeed(lapId) {
  // The telemetry route answers with server-sent events; fetch (unlike EventSource) can send the token.
  const canvas = $("speed");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const response = await fetch(`/api/v1/laps/${encodeURIComponent(lapId)}/telemetry?maxSamples=900&channels=lap_dist_m&channels=speed_mps`,
    { headers: { Authorization: `Bearer ${state.token}` } });
  if (!response.ok) return;
  const points = [];
  for (const line of (await response.text()).split("\n")) {
    if (!line.startsWith("data:")) continue;
    const chunk = JSON.parse(line.slice(5)).chunk;
    const dist = chunk.lapDistM || [], speed = chunk.speedMps || [];
    for (let i = 0; i < dist.length; i++) points.push([dist[i], speed[i] * 3.6]);
  }
  if (!points.length) return;
  const maxD = Math.max(...points.map((p) => p[0])), maxV = Math.max(...points.map((p) => p[1]));
  ctx.strokeStyle = "#4fc3f7";
  ctx.lineWidth = 2;
  ctx.beginPath();
  points.forEach(([d, v], i) => {
    const x = (d / maxD) * (canvas.width - 10) + 5, y = canvas.height - 5 - (v / maxV) * (canvas.height - 10);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
  canvas.dataset.points = String(points.length);
  ctx.fillStyle = "#e8eef2";
  ctx.fillText(`speed, km/h (max ${Math.round(maxV)})`, 10, 14);
}

// Deep links: #token=…&session=…&lap=… (the fragment never reaches the server).
async function openFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get("token")) {
    state.token = params.get("token");
    localStorage.setItem("racecoach.token", state.token);
    history.replaceState(null, "", location.pathname + (params.get("session") ? `#session=${params.get("session")}` : ""));
  }
  if (!state.token) return;
  await loadSessions();
  try {
    if (params.get("session")) await loadSession(params.get("session"));
    if (params.get("lap")) await loadLap(params.get("lap"));
  } catch (error) {
    $("status").textContent = error.message;
  }
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = $("token").value.trim();
  localStorage.setItem("racecoach.token", state.token);
  loadSessions();
});
openFromFragment();
