// The coaching report beside the traces: each remark is a button that jumps to its place.
import { el, signed, phaseName } from "./format.js";

const SEVERITY = { SEVERITY_CRITICAL: "critical", SEVERITY_MAJOR: "major", SEVERITY_MINOR: "minor", SEVERITY_INFO: "info" };

export function remarkRange(item, corners, lapLength) {
  const corner = corners.find((c) => c.number === item.cornerNumber);
  const at = item.distanceM || (corner ? corner.brakeOnsetM || corner.entryM : 0);
  const from = Math.min(at, corner ? corner.brakeOnsetM || corner.entryM || at : at) - 120;
  const to = Math.max(at, corner ? corner.exitM || at : at) + 120;
  return { at, from: Math.max(from, 0), to: Math.min(to, lapLength || to) };
}

export function reportPanel(report, { referenceNote, onSelect }) {
  const box = el("section", { id: "report", class: "report", "aria-label": "coaching report" }, el("h3", { text: "Coaching" }));
  if (!report) {
    box.append(el("p", { class: "empty", text: "No coaching report for this lap (an out-lap, an incomplete lap, or the first lap of a session has no reference)." }));
    return box;
  }
  box.append(el("p", { id: "lap-summary", class: "summary" },
    el("b", { class: "score", text: `Score ${Math.round(report.score || 0)}` }), " ", report.summary || ""));
  if (report.note) box.append(el("p", { class: "note", text: report.note }));
  if (referenceNote) box.append(el("p", { class: "muted small", text: referenceNote }));
  const list = el("ol", { id: "feedback", class: "remarks" });
  for (const item of report.feedback || []) {
    const severity = SEVERITY[item.severity] || "info";
    const where = [item.cornerName || (item.cornerNumber ? `Corner ${item.cornerNumber}` : ""), phaseName(item.phase)].filter(Boolean).join(" · ");
    const button = el("button", {
      type: "button", class: `remark ${severity}`, dataset: { distance: item.distanceM || 0, corner: item.cornerNumber || 0 },
      onclick: (event) => {
        for (const other of list.querySelectorAll(".remark")) other.setAttribute("aria-pressed", "false");
        event.currentTarget.setAttribute("aria-pressed", "true");
        onSelect(item);
      },
    },
    el("span", { class: "remark-head" },
      item.cornerNumber ? el("b", { class: "badge", text: String(item.cornerNumber) }) : null,
      el("span", { class: "where", text: where || "Lap" }),
      item.timeLossS ? el("span", { class: "loss", text: signed(item.timeLossS, 2) }) : null),
    el("span", { class: "text", text: item.description }));
    button.setAttribute("aria-pressed", "false");
    list.append(el("li", {}, button));
  }
  if (!(report.feedback || []).length) list.append(el("li", { class: "empty", text: "Nothing to coach on this lap against its reference." }));
  box.append(list);
  return box;
}
