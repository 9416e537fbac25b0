// The audit log: every write Linkdesk made (or refused), filtered by action,
// environment and date, exported as CSV.

import { call } from "./api.js";
import { h, $, fill } from "./dom.js";
import { dateTimeSeconds, num } from "./format.js";
import { showError, hideError, toast } from "./ui.js";

const LIMIT = 50;
const state = { offset: 0, total: 0 };
let els = null;

export function init() {
  const action = h("select", { testid: "audit-action", "aria-label": "Action" }, h("option", { value: "" }, "All actions"));
  const env = h("select", { testid: "audit-env", "aria-label": "Environment" }, h("option", { value: "" }, "All environments"));
  const from = h("input", { type: "date", testid: "audit-from", title: "From (local date)" });
  const to = h("input", { type: "date", testid: "audit-to", title: "To (local date, included)" });
  for (const el of [action, env, from, to]) el.addEventListener("change", () => { state.offset = 0; load(); });
  const clearBtn = h("button", { class: "ghost", testid: "audit-clear", onclick: () => { action.value = env.value = from.value = to.value = ""; state.offset = 0; load(); } }, "Clear");
  const team = h("input", { type: "checkbox", testid: "audit-team" });
  team.addEventListener("change", () => { state.offset = 0; load(); });
  const teamLabel = h("label", { class: "switch", title: "The team store's audit trail: every agent's writes (team mode)" }, team, h("span", {}, "Whole team"));
  const exportBtn = h("button", { testid: "audit-export", onclick: exportCsv }, "Export CSV");
  const rows = h("tbody", {});
  const empty = h("div", { class: "empty", testid: "audit-empty", hidden: true }, "Nothing recorded for these filters.");
  const prev = h("button", { class: "ghost", testid: "audit-prev", onclick: () => { state.offset = Math.max(0, state.offset - LIMIT); load(); } }, "‹ Newer");
  const next = h("button", { class: "ghost", testid: "audit-next", onclick: () => { state.offset += LIMIT; load(); } }, "Older ›");
  const total = h("span", { class: "total", testid: "audit-total" });
  $("#view-audit").append(
    h("div", { class: "toolbar" }, h("h1", { class: "view-title" }, "Audit log"), action, env,
      h("label", { class: "inline-label" }, "From", from), h("label", { class: "inline-label" }, "To", to), clearBtn,
      h("div", { class: "toolbar-spacer" }), teamLabel, exportBtn),
    h("div", { class: "table-wrap" },
      h("table", { class: "grid", testid: "audit-table" },
        h("thead", {}, h("tr", {}, ["Time", "Agent", "Environment", "Action", "Target", "Outcome", "Result", "Fields"].map((x) => h("th", {}, x)))),
        rows),
      empty),
    h("div", { class: "toolbar pager" }, prev, total, next),
  );
  els = { action, env, from, to, team, rows, empty, prev, next, total };
}

/** A local calendar day as the instant it starts, in UTC. */
function dayStart(value, plusDays = 0) {
  if (!value) return null;
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString();
}

function filter() {
  return {
    action: els.action.value || null,
    envId: els.env.value || null,
    from: dayStart(els.from.value),
    to: dayStart(els.to.value, 1),
  };
}

async function loadFacets() {
  try {
    const f = await call("audit_facets");
    const keep = (select, options, label) => {
      const current = select.value;
      fill(select, h("option", { value: "" }, label), options);
      select.value = current;
    };
    keep(els.action, f.actions.map((a) => h("option", { value: a }, a)), "All actions");
    keep(els.env, f.environments.map(([id, name]) => h("option", { value: id }, name)), "All environments");
  } catch (err) {
    showError(err);
  }
}

async function load() {
  if (els.from.value && els.to.value && els.from.value > els.to.value) {
    // Nothing can match: said, not shown as an empty log.
    fill(els.rows);
    els.empty.hidden = false;
    els.empty.textContent = "“From” is after “To”: no entry can match. Swap the dates or clear one.";
    els.total.textContent = "";
    els.prev.disabled = els.next.disabled = true;
    return;
  }
  els.empty.textContent = "Nothing recorded for these filters.";
  try {
    const command = els.team.checked ? "team_audit_page" : "audit_page";
    const page = await call(command, { filter: filter(), offset: state.offset, limit: LIMIT });
    hideError();
    state.total = page.total;
    fill(els.rows, page.rows.map(row));
    els.empty.hidden = page.rows.length > 0;
    const end = state.offset + page.rows.length;
    els.total.textContent = page.total ? `${num(state.offset + 1)}–${num(end)} of ${num(page.total)}` : "0 of 0";
    els.prev.disabled = state.offset === 0;
    els.next.disabled = end >= page.total;
  } catch (err) {
    showError(err);
  }
}

function row(r) {
  const result = r.outcome === "ok" ? (r.detail || "") : [r.errorCode, r.errorMessage].filter(Boolean).join(": ");
  const fields = JSON.stringify(r.fields);
  return h("tr", { testid: "audit-row", class: "static", dataset: { action: r.action } },
    h("td", { class: "nowrap" }, dateTimeSeconds(r.at)),
    h("td", { testid: "audit-agent" }, r.agent || h("span", { class: "muted" }, "this seat")),
    h("td", {}, r.envName),
    h("td", {}, h("span", { class: "mono", testid: "audit-row-action" }, r.action)),
    h("td", { class: "mono", title: r.target }, r.target),
    h("td", {}, h("span", { class: `badge ${r.outcome === "ok" ? "s-succeeded" : "s-failed"}`, testid: "audit-outcome" }, r.outcome)),
    h("td", { title: result, testid: "audit-result" }, result),
    h("td", { class: "mono", title: JSON.stringify(r.fields, null, 2), testid: "audit-fields" }, fields),
  );
}

async function exportCsv() {
  try {
    // Linkdesk asks where to save (or uses its export folder); the window
    // never names a file.
    const done = await call(els.team.checked ? "team_audit_export" : "audit_export", { filter: filter() });
    if (!done) { toast("Export cancelled"); return; }
    toast(`Exported ${num(done.rows)} ${done.rows === 1 ? "entry" : "entries"} to ${done.path}`);
  } catch (err) {
    showError(err);
  }
}

export async function refresh() {
  await loadFacets();
  await load();
}

export function onKey(e) {
  switch (e.key) {
    case "[": if (!els.prev.disabled) els.prev.click(); return true;
    case "]": if (!els.next.disabled) els.next.click(); return true;
    default: return false;
  }
}

export function openRecord() { refresh(); }
