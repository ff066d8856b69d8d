// The sessions list (and what the views share: breadcrumb, track and car names).
import { listSessions } from "./api.js";
import { el, lapTime } from "./format.js";
import { linkRow } from "./table.js";

const enc = encodeURIComponent;

export function breadcrumb(...items) {
  const nav = el("nav", { class: "crumbs", "aria-label": "breadcrumb" }, el("a", { href: "#/", text: "Sessions" }));
  for (const [text, href] of items) nav.append(" › ", href ? el("a", { href, text }) : el("span", { text }));
  return nav;
}

export const trackName = (session) => (session.track ? session.track.displayName || session.track.name : "");
export const carName = (session) => (session.car ? session.car.name : "");

export async function showSessions(main, stale) {
  const page = await listSessions();
  if (stale()) return;
  const sessions = page.sessions || [];
  if (!sessions.length) {
    main.replaceChildren(el("h2", { text: "Sessions" }),
      el("p", { class: "empty", text: "No sessions yet: replay an .ibt file with racing-coach replay, or drive with racing-coach live." }));
    return;
  }
  const rows = sessions.map((s) => {
    const session = s.session;
    return linkRow([
      session.startTime ? new Date(session.startTime).toLocaleString() : "",
      trackName(session), carName(session), String(s.lapCount || 0), lapTime(s.bestLapTime),
    ], `#/sessions/${enc(session.sessionId)}`, { label: `${trackName(session)} ${carName(session)}` });
  });
  main.replaceChildren(
    el("h2", { text: "Sessions" }),
    el("div", { class: "scroll" }, el("table", { id: "sessions" },
      el("thead", {}, el("tr", {}, ["Started", "Track", "Car", "Laps", "Best"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows))),
  );
}
