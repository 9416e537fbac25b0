// "Go to ID" (Ctrl+K): finds any cached record by ID or ID prefix and opens
// it; an ID the cache does not hold is looked up at the service its shape
// belongs to (rtl_… at BillerAPI, a UUID at Link Money), and anything else is
// offered as a client user ID whose requests to link are listed.

import { call } from "./api.js";
import { h, clear, $ } from "./dom.js";

const VIEW_OF = { rtl: "rtls", customer: "customers", transaction: "transactions", payout: "payouts" };
const SERVICE_OF = { rtl: "BillerAPI", link_money: "Link Money" };
let results = [];
let active = 0;
let asked = ""; // the query `results` answer
let searching = null; // the search under way, if any
let timer = null;
let problem = null; // what the last look-up at the service said
let busy = false; // a look-up at the service is under way

/** The options for what was typed: cached records, then what else can be done with it. */
function options(answer, query) {
  const found = answer.found.map((r) => ({ ...r, action: "open" }));
  const exact = found.some((r) => r.id === query);
  const extra = [];
  if (answer.shape === "other") {
    extra.push({ action: "user", kind: "user", id: query, label: "Requests to link of this client user ID" });
  } else if (!exact) {
    extra.push({
      action: "lookup", kind: "lookup", id: query,
      label: found.length
        ? `Look up exactly this ID at ${SERVICE_OF[answer.shape]}`
        : `Not in the local cache: look it up at ${SERVICE_OF[answer.shape]}`,
    });
  }
  // Cached records the text names (the ID or a prefix of it) come first;
  // with none, what can be done with the text.
  return found.length && (exact || answer.shape !== "other") ? [...found, ...extra] : [...extra, ...found];
}

function render() {
  const list = clear($("#goto-results"));
  const input = $("#goto-input");
  input.removeAttribute("aria-activedescendant");
  if (!input.value.trim()) return;
  results.forEach((r, i) => {
    const id = `goto-option-${i}`;
    if (i === active) input.setAttribute("aria-activedescendant", id);
    list.append(h("li", {
      id, role: "option", "aria-selected": i === active ? "true" : "false",
      class: i === active ? "active" : "", testid: "goto-result", dataset: { kind: r.kind, id: r.id, action: r.action },
      onmousedown: (e) => e.preventDefault(), // keep the focus in the field
      onclick: () => choose(r),
    }, h("span", { class: "kind-tag" }, r.kind === "lookup" ? "look up" : r.kind === "user" ? "user ID" : r.kind),
    h("span", { class: "mono goto-id", title: r.id }, r.id), h("span", { class: "label" }, r.label)));
  });
  if (problem) {
    list.append(busy
      ? h("li", { class: "empty-row", testid: "goto-busy", role: "status" }, problem)
      : h("li", { class: "empty-row problem", testid: "goto-problem", role: "alert" }, problem));
  }
}

function search() {
  clearTimeout(timer);
  const query = $("#goto-input").value.trim();
  problem = null;
  if (!query) { results = []; asked = ""; render(); return Promise.resolve(); }
  if (query === asked && !searching) return Promise.resolve();
  const run = call("find_by_id", { query }).then((answer) => {
    if ($("#goto-input").value.trim() !== query) return;
    results = options(answer, query);
    asked = query;
    active = 0;
    render();
  }).catch((err) => {
    problem = err.message;
    render();
  }).finally(() => { if (searching === run) searching = null; });
  searching = run;
  return run;
}

/** Enter right after a paste: the search for what is in the field first. */
async function current() {
  const query = $("#goto-input").value.trim();
  if (query !== asked) await search();
  else if (searching) await searching;
  return results[active];
}

export function close() {
  const dialog = $("#goto");
  if (!dialog.open) return;
  // The field lets go of the focus first: keys typed right after closing
  // must reach the window, not a field that is no longer shown.
  $("#goto-input").blur();
  dialog.close();
}

async function choose(option) {
  if (!option) return;
  if (option.action === "user" || option.kind === "biller") {
    close();
    window.linkdeskShowRtls(option.kind === "biller" ? { billerId: option.id } : { clientUserId: option.id });
    return;
  }
  if (option.action === "open") { close(); window.linkdeskShow(VIEW_OF[option.kind], option.id); return; }
  // Not cached: ask the service; the palette stays open until it answers.
  problem = `Looking up ${option.id}…`;
  busy = true;
  render();
  try {
    const found = await call("locate_id", { id: option.id });
    busy = false;
    problem = null;
    close();
    window.linkdeskShow(VIEW_OF[found.kind], found.id);
  } catch (err) {
    busy = false;
    problem = err.message;
    render();
  }
}

export function toggle(prefill = "") {
  const dialog = $("#goto");
  if (dialog.open) { close(); return; }
  const input = $("#goto-input");
  input.value = prefill;
  results = [];
  asked = "";
  problem = null;
  render();
  dialog.showModal();
  input.focus();
  if (prefill) search();
}

export function init() {
  const dialog = $("#goto");
  const input = $("#goto-input");
  $("#goto-open").addEventListener("click", () => toggle());
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 120); });
  // A click on the backdrop (outside the palette's box) closes it.
  dialog.addEventListener("click", (e) => { if (e.target === dialog) close(); });
  dialog.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") { e.preventDefault(); e.stopPropagation(); close(); return; }
    if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); close(); return; }
    if (e.key === "ArrowDown") { active = Math.min(active + 1, results.length - 1); render(); e.preventDefault(); }
    if (e.key === "ArrowUp") { active = Math.max(active - 1, 0); render(); e.preventDefault(); }
    if (e.key === "Enter" && !e.isComposing) { e.preventDefault(); current().then(choose); }
  });
}
