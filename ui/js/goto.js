// "Go to ID" (Ctrl+K): finds any cached record by ID or ID prefix and opens it.

import { call } from "./api.js";
import { h, clear, $, debounce } from "./dom.js";
import { showError } from "./ui.js";

const VIEW_OF = { rtl: "rtls", customer: "customers", transaction: "transactions", payout: "payouts" };
let results = [];
let active = 0;

function render() {
  const list = clear($("#goto-results"));
  if (!$("#goto-input").value.trim()) return;
  if (!results.length) {
    list.append(h("li", { class: "empty-row", testid: "goto-empty" }, "Nothing in the local cache has this ID or prefix."));
    return;
  }
  results.forEach((r, i) => list.append(h("li", {
    class: i === active ? "active" : "", testid: "goto-result", dataset: { kind: r.kind, id: r.id },
    onclick: () => open(r),
  }, h("span", { class: "kind-tag" }, r.kind), h("span", { class: "mono" }, r.id), h("span", { class: "label" }, r.label))));
}

const search = debounce(async () => {
  const query = $("#goto-input").value.trim();
  if (!query) { results = []; render(); return; }
  try {
    results = await call("find_by_id", { query });
    active = 0;
    render();
  } catch (err) {
    showError(err);
  }
}, 120);

function open(record) {
  $("#goto").close();
  const view = VIEW_OF[record.kind];
  if (view) window.linkdeskShow(view, record.id);
}

export function init() {
  const dialog = $("#goto");
  const input = $("#goto-input");
  $("#goto-open").addEventListener("click", () => {
    input.value = "";
    results = [];
    render();
    dialog.showModal();
    input.focus();
  });
  input.addEventListener("input", search);
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") { active = Math.min(active + 1, results.length - 1); render(); e.preventDefault(); }
    if (e.key === "ArrowUp") { active = Math.max(active - 1, 0); render(); e.preventDefault(); }
    if (e.key === "Enter" && results[active]) { open(results[active]); e.preventDefault(); }
  });
}
