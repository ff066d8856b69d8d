// Racing Coach dashboard: hash routes, one view at a time.
//   #/                       sessions
//   #/sessions/{id}          a session's laps
//   #/laps/{id}?ref=...      a lap against a reference (session-best, personal-best, lap:{id});
//                            &from=…&to=… the zoomed range in metres (a zoom only re-zooms the view)
//   #/live/{id}              the session being driven
// The fragment #token=…&session=…&lap=… signs in with the token (the gateway sets its session
// cookie; the page keeps nothing) and opens the session or lap.
import { signIn } from "./api.js";
import { el } from "./format.js";
import { showSessions } from "./sessions.js";
import { showLap } from "./lap.js";
import { showSessionView } from "./session.js";
import { showLive } from "./live.js";
import { rangeFrom } from "./zoom.js";

const main = document.getElementById("view");
let generation = 0;

export function route(hash) {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(query) };
}

let signInError = null;

async function takeFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("token") && !params.has("lap") && !params.has("session")) return;
  const token = params.get("token");
  const target = params.get("lap") ? `#/laps/${encodeURIComponent(params.get("lap"))}`
    : params.get("session") ? `#/sessions/${encodeURIComponent(params.get("session"))}` : "#/";
  history.replaceState(null, "", location.pathname + target);  // the token leaves the address bar
  if (token) await signIn(token).catch((error) => { signInError = error; });
}

export function errorBox(error) {
  const text = error.status === 401
    ? `${error.message} — open the login link of racing-coach open, or paste a token above.` : error.message || String(error);
  return el("p", { class: "error", role: "alert", text });
}

async function render() {
  const mine = ++generation;
  const { parts, params } = route(location.hash);
  const stale = () => mine !== generation;
  document.body.dataset.view = "loading";
  window.racecoach = { view: "loading" };
  let view = "sessions";
  try {
    if (signInError) { const error = signInError; signInError = null; throw error; }
    if (parts[0] === "sessions" && parts[1]) { view = "session"; await showSessionView(main, parts[1], stale); }
    else if (parts[0] === "live" && parts[1]) { view = "live"; await showLive(main, parts[1], stale); }
    else if (parts[0] === "laps" && parts[1]) { view = "lap"; await showLap(main, parts[1], params, stale); }
    else await showSessions(main, stale);
  } catch (error) {
    if (stale()) return;
    main.replaceChildren(errorBox(error));
    view = error.status === 401 ? "signed-out" : "error";
  }
  if (stale()) return;
  document.body.dataset.view = view;
  window.racecoach.view = view;
}

document.getElementById("token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("token");
  await signIn(input.value.trim()).catch((error) => { signInError = error; });
  input.value = "";
  render();
});
// Back and Forward between zooms of the shown lap re-zoom it; any other address renders its view.
function onHashChange() {
  const { parts, params } = route(location.hash);
  const shown = window.racecoach;
  if (parts[0] === "laps" && shown && shown.view === "lap" && shown.applyRange && shown.lapId === parts[1]
      && shown.refParam === (params.get("ref") || "")) {
    shown.applyRange(rangeFrom(params));
    return;
  }
  render();
}
window.addEventListener("hashchange", onHashChange);
takeFragment().then(render);
