// Tables whose rows open something (click, Enter or Space; rows are in the tab order) and sortable headers.
import { el } from "./format.js";

export function linkRow(cells, href, { className, label } = {}) {
  const open = () => { location.hash = href; };
  return el("tr", {
    tabindex: "0", class: className, role: "link", "aria-label": label, dataset: { href },
    onclick: open,
    onkeydown: (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(); }
      else if (event.key === "ArrowDown") event.currentTarget.nextElementSibling?.focus();
      else if (event.key === "ArrowUp") event.currentTarget.previousElementSibling?.focus();
    },
  }, cells.map((cell) => (cell instanceof Node && cell.tagName === "TD" ? cell : el("td", {}, cell))));
}

// columns: [{key, label, title, numeric}]; rows: [{cells: [Node|string], values: {key: sortValue}}]
export function sortableTable(columns, rows, { id, initial, caption } = {}) {
  const head = el("tr");
  const body = el("tbody");
  const table = el("table", { id, class: "sortable" }, caption ? el("caption", { text: caption }) : null, el("thead", {}, head), body);
  let sort = { key: initial, dir: 1 };
  const render = () => {
    const sorted = [...rows];
    if (sort.key) {
      sorted.sort((a, b) => {
        const x = a.values[sort.key], y = b.values[sort.key];
        const xn = Number.isFinite(x) ? x : Infinity * sort.dir, yn = Number.isFinite(y) ? y : Infinity * sort.dir;
        return (xn - yn) * sort.dir || 0;
      });
    }
    body.replaceChildren(...sorted.map((row) => row.node));
    for (const th of head.children) {
      th.setAttribute("aria-sort", th.dataset.key === sort.key ? (sort.dir > 0 ? "ascending" : "descending") : "none");
    }
  };
  for (const column of columns) {
    const button = el("button", { type: "button", title: column.title }, column.label, column.unit ? el("small", { text: column.unit }) : null);
    button.addEventListener("click", () => {
      sort = { key: column.key, dir: sort.key === column.key ? -sort.dir : 1 };
      render();
    });
    head.append(el("th", { scope: "col", class: column.numeric ? "num" : undefined, dataset: { key: column.key } }, button));
  }
  for (const row of rows) {
    row.node ||= el("tr", {}, row.cells.map((cell, i) => el("td", { class: columns[i].numeric ? "num" : undefined }, cell)));
  }
  render();
  return table;
}
