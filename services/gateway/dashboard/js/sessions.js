// The sessions list and one session's laps.
import { listSessions, getSession } from "./api.js";
import { el, lapTime, flagText } from "./format.js";
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

export async function showSession(main, sessionId, stale) {
  const detail = await getSession(sessionId);
  if (stale()) return;
  const session = detail.summary.session;
  const laps = detail.laps || [];
  const timed = laps.filter((lap) => lap.lapTime);
  const best = Math.min(...timed.filter((l) => l.valid).map((l) => parseFloat(l.lapTime)));
  const title = `${trackName(session)} — ${carName(session)}`;
  const parts = [breadcrumb([title]), el("h2", { id: "session-title", text: title })];
  if (!timed.length) {
    parts.push(el("p", { class: "empty", id: "no-laps", text: laps.length
      ? "This recording has no complete lap: a lap counts from one crossing of the start/finish line to the next."
      : "This recording has no complete lap yet: nothing was timed from one start/finish crossing to the next." }));
  }
  if (laps.length) {
    const rows = laps.map((lap) => {
      const isBest = parseFloat(lap.lapTime) === best;
      return linkRow([
        String(lap.lapNumber || 0), lapTime(lap.lapTime) + (isBest ? " ★" : ""),
        lap.valid ? "yes" : flagText(lap.flags) || "no",
        String((lap.corners || []).length), String((lap.brakingZones || []).length),
      ], `#/laps/${enc(lap.lapId)}`, { className: lap.valid ? (isBest ? "best" : undefined) : "invalid", label: `Lap ${lap.lapNumber || 0}` });
    });
    parts.push(el("div", { class: "scroll" }, el("table", { id: "laps" },
      el("thead", {}, el("tr", {}, ["Lap", "Time", "Valid", "Corners", "Braking zones"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows))));
  }
  main.replaceChildren(...parts);
}
