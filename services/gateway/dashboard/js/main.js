// Racing Coach dashboard: hash routes, one view at a time.
//   #/                       sessions
//   #/sessions/{id}          a session's laps
//   #/laps/{id}?ref=...      a lap against a reference (session-best, personal-best, lap:{id})
// The legacy fragment #token=…&session=…&lap=… stores the token and opens the session or lap.
import { auth } from "./api.js";
import { el } from "./format.js";
import { showSessions, showSession } from "./sessions.js";
import { showLap } from "./lap.js";

const main = document.getElementById("view");
let generation = 0;

export function route(hash) {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(query) };
}

function takeLegacyFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("token") && !params.has("lap") && !params.has("session")) return;
  if (params.get("token")) auth.token = params.get("token");
  const target = params.get("lap") ? `#/laps/${encodeURIComponent(params.get("lap"))}`
    : params.get("session") ? `#/sessions/${encodeURIComponent(params.get("session"))}` : "#/";
  history.replaceState(null, "", location.pathname + target);  // the token leaves the address bar
}

export function errorBox(error) {
  const text = error.status === 401 ? `${error.message} — paste a valid token above.` : error.message || String(error);
  return el("p", { class: "error", role: "alert", text });
}

async function render() {
  const mine = ++generation;
  const { parts, params } = route(location.hash);
  const stale = () => mine !== generation;
  document.body.dataset.view = "loading";
  window.racecoach = { view: "loading" };
  if (!auth.token) {
    main.replaceChildren(el("p", { class: "empty", text: "Paste an API token above (racing-coach token create) to see your sessions." }));
    document.body.dataset.view = "no-token";
    return;
  }
  let view = "sessions";
  try {
    if (parts[0] === "sessions" && parts[1]) { view = "session"; await showSession(main, parts[1], stale); }
    else if (parts[0] === "laps" && parts[1]) { view = "lap"; await showLap(main, parts[1], params, stale); }
    else await showSessions(main, stale);
  } catch (error) {
    if (stale()) return;
    main.replaceChildren(errorBox(error));
    view = "error";
  }
  if (stale()) return;
  document.body.dataset.view = view;
  window.racecoach.view = view;
}

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  auth.token = document.getElementById("token").value.trim();
  render();
});
window.addEventListener("hashchange", render);
takeLegacyFragment();
render();
