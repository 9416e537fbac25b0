// The request-to-link view: filters, paging, the table, the detail pane and
// its actions.

import { call, startMarks } from "./api.js";
import { h, clear, $, debounce, append } from "./dom.js";
import { num, dateTime, shortDateTime, range, timeLeft, clock } from "./format.js";
import { showError, hideError, toast, badge, copyButton, openDialog, freshness } from "./ui.js";
import { shell } from "./shell.js";
import * as sync from "./sync.js";

const STORE_KEY = "linkdesk.rtl.view";
const SORT_COLUMNS = ["id", "client_user_id", "biller", "status", "created_at", "updated_at"];

const state = {
  filter: { search: "", status: "", clientUserId: "", billerId: "" },
  page: 1,
  limit: 20,
  sort: null, // {column, descending}; null = the service's order
  items: [],
  total: 0,
  selected: -1,
  detail: null, // RtlDetail on screen
  proceeds: new Map(), // rtl id → ProceedResult shown in its detail
  billers: new Map(),
  seq: 0,
  early: null, // {key, answer}: the first page, asked for at start-up
  detailSeq: 0,
  retryTimer: null,
};

function remember() {
  const { filter, limit } = state;
  localStorage.setItem(STORE_KEY, JSON.stringify({ filter, limit }));
}

function restore() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE_KEY) || "{}");
    if (saved.filter) Object.assign(state.filter, saved.filter);
    if ([20, 50, 100].includes(saved.limit)) state.limit = saved.limit;
  } catch { /* a damaged saved view is simply forgotten */ }
}

const filterArg = () => Object.fromEntries(
  Object.entries(state.filter).map(([k, v]) => [k, v && v.trim() !== "" ? v.trim() : null]),
);

export async function loadBillers() {
  try {
    const res = await call("list_billers");
    state.billers = new Map(res.data.map((b) => [b.id, b.name || b.id]));
  } catch (err) {
    showError(err, { retry: loadBillers });
  }
  const select = $("#f-biller");
  const current = state.filter.billerId;
  clear(select).append(h("option", { value: "" }, "All billers"));
  for (const [id, name] of [...state.billers].sort((a, b) => a[1].localeCompare(b[1]))) {
    select.append(h("option", { value: id }, name));
  }
  if (current && !state.billers.has(current)) select.append(h("option", { value: current }, current));
  select.value = current;
}

/**
 * Loads the current page; `cached` answers from the local cache on purpose;
 * `before` (the billers loading) is awaited before the rows are drawn.
 */
/**
 * Start-up: the first page is asked for at once, beside the window's own
 * `app_info`, instead of after it; `load` takes the answer if it still asks
 * the same.
 */
export function prefetch() {
  restore();
  const args = { filter: filterArg(), page: state.page, limit: state.limit, sort: state.sort, cached: false };
  startMarks.askRows = performance.now();
  const answer = call("list_rtls", args);
  answer.catch(() => {}); // `load` reports a failure when it takes the answer
  state.early = { key: JSON.stringify(args), answer };
}

export async function load({ cached = false, before } = {}) {
  const seq = ++state.seq;
  clearTimeout(state.retryTimer);
  $("#rtl-loading").hidden = false;
  // Rows of the last answer under a new filter or page are not its answer:
  // dimmed (and busy for screen readers) once the wait can be seen.
  const wrap = $("#rtl-table-wrap");
  clearTimeout(state.dimTimer);
  state.dimTimer = setTimeout(() => {
    if (seq !== state.seq) return;
    wrap.classList.add("stale");
    wrap.setAttribute("aria-busy", "true");
  }, 250);
  try {
    if (!state.firstShown) startMarks.askRows ??= performance.now();
    const args = { filter: filterArg(), page: state.page, limit: state.limit, sort: state.sort, cached };
    // At start-up the first page was asked for already (`prefetch`).
    const early = state.early;
    state.early = null;
    const res = await (early?.key === JSON.stringify(args) ? early.answer : call("list_rtls", args));
    if (!state.firstShown) startMarks.answered ??= performance.now();
    await before;
    if (seq !== state.seq) return; // a newer request is on its way
    const { items, total } = res.data;
    if (!items.length && total > 0 && state.page > lastPageOf(total)) {
      // The list shrank under this page: show its last page, never "281– of 280".
      state.page = lastPageOf(total);
      load({ cached });
      return;
    }
    hideError();
    state.items = items;
    state.total = total;
    state.source = res;
    state.answeredAt = new Date().toISOString();
    // The selection follows the record on screen, not a row number.
    state.selected = state.shownId ? state.items.findIndex((r) => r.id === state.shownId) : Math.min(state.selected, state.items.length - 1);
    shell.setSource(res);
    if (res.offline && !shell.workOffline) {
      // Go back online by ourselves as soon as the service answers again.
      state.retryTimer = setTimeout(load, 5000);
    }
    render();
    if (state.items.length && !state.firstShown) {
      state.firstShown = true;
      // The second animation frame comes after the rows were painted.
      const rows = state.items.length;
      startMarks.rows = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() => {
        startMarks.painted = performance.now();
        const nav = performance.getEntriesByType("navigation")[0];
        if (nav) Object.assign(startMarks, { html: nav.responseEnd, dom: nav.domInteractive });
        call("first_rows_painted", { rows, origin: performance.timeOrigin, marks: startMarks }).catch(() => {});
      }));
    }
  } catch (err) {
    // The billers' own failure is said first, so the list's (with its offer
    // of the cached copy) is the one left on screen.
    await before;
    if (seq !== state.seq) return;
    // What is on screen is no longer the service's answer: say so.
    $("#rtl-table-wrap").classList.add("stale");
    shell.setFailed(err);
    showError(err, { retry: load, cached: () => load({ cached: true }) });
    return false;
  } finally {
    if (seq === state.seq) {
      $("#rtl-loading").hidden = true;
      clearTimeout(state.dimTimer);
      wrap.removeAttribute("aria-busy");
    }
  }
}

function render() {
  const tbody = clear($("#rtl-rows"));
  state.items.forEach((rtl, i) => {
    const biller = rtl.biller_id ? state.billers.get(rtl.biller_id) || rtl.biller_id : "—";
    const row = h("tr", {
      testid: "rtl-row", dataset: { id: rtl.id }, class: i === state.selected ? "selected" : "",
      "aria-selected": i === state.selected ? "true" : "false", tabindex: i === Math.max(state.selected, 0) ? "0" : "-1",
      onclick: () => { select(i); openDetail(rtl.id); },
      onfocus: () => { if (state.selected !== i) select(i); },
    },
      h("td", { class: "mono" }, rtl.id),
      h("td", { title: rtl.client_user_id }, rtl.client_user_id),
      h("td", { title: rtl.biller_id || "" }, biller),
      h("td", {}, badge(rtl.status, "rtl-status")),
      h("td", { class: "num", title: dateTime(rtl.created_at) }, shortDateTime(rtl.created_at)),
      h("td", { class: "num", title: dateTime(rtl.updated_at) }, shortDateTime(rtl.updated_at)),
    );
    tbody.append(row);
  });
  $("#rtl-table-wrap").classList.remove("stale");
  const empty = $("#rtl-empty");
  empty.hidden = state.items.length > 0;
  const filtered = Object.values(state.filter).some((v) => v && v.trim());
  const fromCache = state.source?.source === "cache";
  empty.textContent = fromCache
    ? (filtered ? "The local cache holds no requests matching these filters." : "The local cache holds no requests to link for this environment.")
    : filtered ? "No requests match these filters. An ID? Go to ID (Ctrl K) looks it up at the service."
      : "No requests to link yet. Create one with “New request”.";
  $("#rtl-empty-goto").hidden = state.items.length > 0 || !filtered;
  const coverage = state.source?.coverage;
  const partial = coverage && !(coverage.serviceTotal != null && coverage.cached >= coverage.serviceTotal);
  $("#rtl-coverage").hidden = !partial;
  if (partial) {
    $("#rtl-coverage-text").textContent = coverage.serviceTotal != null
      ? `Sorted from the ${num(coverage.cached)} cached of ${num(coverage.serviceTotal)} requests — sync to sort all of them.`
      : `Sorted from the ${num(coverage.cached)} cached requests; BillerAPI could not be asked how many there are (${coverage.unknownReason || "no answer"}).`;
  }
  // Where the rows on screen came from, and when.
  const src = state.source;
  const note = $("#rtl-source");
  if (!src) {
    note.textContent = "";
    note.title = "";
  } else if (src.source === "live") {
    note.textContent = `BillerAPI · ${clock(state.answeredAt)}`;
    note.title = `Read from BillerAPI at ${dateTime(state.answeredAt)}`;
  } else {
    note.textContent = src.cachedAt ? `Local cache · last fetched ${clock(src.cachedAt)}` : "Local cache";
    note.title = src.cachedAt ? `From the local cache; its newest row was fetched at ${dateTime(src.cachedAt)}` : "From the local cache";
  }
  const of = partial ? " cached" : "";
  $("#rtl-total").textContent = range(state.page, state.limit, state.items.length, state.total) + (state.total ? of : "");
  const last = lastPage();
  $("#page-first").disabled = $("#page-prev").disabled = state.page <= 1;
  $("#page-next").disabled = $("#page-last").disabled = state.page >= last;
  for (const th of document.querySelectorAll("#view-rtls th[data-sort]")) {
    const col = th.dataset.sort;
    th.classList.toggle("sorted-asc", state.sort?.column === col && !state.sort.descending);
    th.classList.toggle("sorted-desc", state.sort?.column === col && state.sort.descending);
    th.setAttribute("aria-sort", state.sort?.column !== col ? "none" : state.sort.descending ? "descending" : "ascending");
  }
}

const lastPageOf = (total) => Math.max(1, Math.ceil(total / state.limit));
const lastPage = () => lastPageOf(state.total);

function goTo(page) {
  const target = Math.min(Math.max(1, page), lastPage());
  if (target === state.page) return;
  const from = state.page;
  state.page = target;
  state.selected = -1;
  load().then((ok) => {
    // A page that did not load is not the page on screen: the pager stays
    // with the rows shown (still marked stale), so the next step is not a skip.
    if (ok === false && state.page === target) {
      state.page = from;
      render();
      $("#rtl-table-wrap").classList.add("stale");
    }
  });
}

function select(i) {
  if (!state.items.length) return;
  state.selected = Math.max(0, Math.min(i, state.items.length - 1));
  const rows = document.querySelectorAll("#rtl-rows tr");
  // The keyboard follows the selection out of a button clicked before (Clear,
  // Export…), so Enter opens the row rather than pressing that button again.
  const active = document.activeElement;
  const focusIn = $("#rtl-rows").contains(active) || !active || active === document.body
    || (active.matches("button") && !active.closest("dialog, .detail"));
  rows.forEach((r, j) => {
    r.classList.toggle("selected", j === state.selected);
    r.setAttribute("aria-selected", j === state.selected ? "true" : "false");
    r.tabIndex = j === state.selected ? 0 : -1;
  });
  if (focusIn) rows[state.selected]?.focus();
  rows[state.selected]?.scrollIntoView({ block: "nearest" });
}

// With the pane open, moving the selection moves the pane: the row's list
// data at once, the record itself once the keys stop for a moment.
const followSelection = debounce(() => {
  const rtl = state.items[state.selected];
  if (rtl && !$("#rtl-detail").hidden && state.shownId !== rtl.id) openDetail(rtl.id);
}, 200);

function move(by) {
  select(state.selected + by);
  const rtl = state.items[state.selected];
  if (!rtl || $("#rtl-detail").hidden) return;
  if (state.shownId !== rtl.id) renderDetail({ data: detailOf(rtl), source: "list" }, { loading: true });
  followSelection();
}

/** What the list row knows of a record, shaped like `get_rtl`'s answer. */
function detailOf(rtl) {
  return { rtl, canCancel: false, canProceed: false, nextStatuses: [] };
}

/** Puts a freshly read record into its list row. */
function patchRow(rtl) {
  const i = state.items.findIndex((r) => r.id === rtl.id);
  if (i < 0) return;
  state.items[i] = { ...state.items[i], ...rtl };
  render();
}

function filtersChanged() {
  state.page = 1;
  state.selected = -1;
  remember();
  load();
}

// ---- detail pane -------------------------------------------------------

/**
 * Opens one record in the pane. At once: the row's list data (when the list
 * has it), marked loading, every action disabled. Then the record as the
 * service answers; only that enables the actions it allows.
 */
export async function openDetail(id, { cached = false } = {}) {
  const seq = ++state.detailSeq;
  const pane = $("#rtl-detail");
  pane.hidden = false;
  const known = state.items.find((r) => r.id === id) || (state.detail?.rtl.id === id ? state.detail.rtl : null);
  state.shownId = id;
  state.detail = null;
  renderDetail({ data: detailOf(known || { id, status: null }), source: "list" }, { loading: true });
  try {
    const res = await call("get_rtl", { id, cached });
    if (seq !== state.detailSeq) return; // another record was asked for since
    state.detail = res.data;
    const rtl = res.data.rtl;
    if (rtl.status !== "IN_PROGRESS") state.proceeds.delete(rtl.id); // a spent or unused link session
    renderDetail(res);
    patchRow(rtl);
  } catch (err) {
    if (seq !== state.detailSeq) return;
    renderDetail({ data: detailOf(known || { id, status: null }), source: "list" }, { error: err });
    showError(err, { retry: () => openDetail(id), cached: () => openDetail(id, { cached: true }) });
  }
}

export function closeDetail() {
  state.detailSeq++;
  $("#rtl-detail").hidden = true;
  state.detail = null;
  state.shownId = null;
}

/** Reads the record on screen and the list again (R). */
function refreshRecord() {
  if (state.shownId) openDetail(state.shownId);
  load();
}

function field(label, value, { mono = false, copy = false, node = null } = {}) {
  const shown = node ?? (value === null || value === undefined || value === ""
    ? h("span", { class: "null" }, "none")
    : h("span", { class: mono ? "value mono" : "value" }, value));
  return [h("dt", {}, label), h("dd", {}, shown, copy && value ? copyButton(String(value)) : null)];
}

function renderDetail(res, { loading = false, error = null } = {}) {
  const { rtl, canCancel, canProceed, nextStatuses } = res.data;
  const unloaded = loading || error;
  const writeBlock = unloaded ? (error ? "This record could not be read: nothing can be done to it" : "Loading this record…")
    : shell.writeBlock(res) || (res.source === "cache" ? "This is the cached copy: reload it from the service first" : "");
  const pane = clear($("#rtl-detail"));
  const billerName = rtl.biller_id ? state.billers.get(rtl.biller_id) : null;
  const sessionUrl = rtl.session_url
    ? h("span", { class: "value mono" }, rtl.session_url) : null;

  const statusSelect = h("select", { testid: "rtl-status-select", disabled: !nextStatuses.length || !!writeBlock },
    h("option", { value: "" }, nextStatuses.length ? "Change status to…" : "No status change allowed"),
    nextStatuses.map((s) => h("option", { value: s }, s)));
  const applyStatus = h("button", { testid: "rtl-status-apply", disabled: true, onclick: () => changeStatus(rtl, statusSelect.value) }, "Apply");
  statusSelect.addEventListener("change", () => { applyStatus.disabled = !statusSelect.value; });

  append(pane,
    h("div", { class: "detail-head" },
      h("h2", {}, "Request to link"), h("span", { class: "spacer" }),
      h("button", { class: "ghost", title: "Close (Esc)", testid: "detail-close", onclick: closeDetail }, "×")),
    loading ? h("div", { class: "detail-loading", testid: "rtl-detail-loading", role: "status" }, "Loading the record… (shown: the list's data)") : null,
    error ? h("div", { class: "banner error", testid: "rtl-detail-error", role: "alert" }, `Could not read this record: ${error.message}`) : null,
    !unloaded ? freshness(res, "BillerAPI", refreshRecord, "rtl-freshness") : null,
    h("dl", { class: "fields" },
      field("ID", rtl.id, { mono: true, copy: true }),
      field("Status", null, { node: rtl.status ? badge(rtl.status, "rtl-status") : null }),
      field("Client user ID", rtl.client_user_id, { copy: true }),
      field("Biller", billerName ? `${billerName} (${rtl.biller_id})` : rtl.biller_id),
      field("Client ID", rtl.client_id, { mono: true }),
      field("Link token ID", rtl.link_token_id, { mono: true, copy: true }),
      field("Session URL", rtl.session_url, { copy: true, node: sessionUrl }),
      field("Created", dateTime(rtl.created_at)),
      field("Updated", dateTime(rtl.updated_at)),
    ),
    rtl.session_url ? h("div", {}, h("button", { class: "small", testid: "open-session-url", onclick: () => openExternal(rtl.session_url) }, "Open session in browser")) : null,
    h("div", { class: "section-title" }, "Metadata"),
    h("pre", { class: "json", testid: "rtl-metadata" }, rtl.metadata == null ? "none" : JSON.stringify(rtl.metadata, null, 2)),
    unloaded ? null : proceedBox(rtl.id),
    h("div", { class: "actions" },
      h("button", { class: "danger", testid: "rtl-cancel", disabled: !canCancel || !!writeBlock, title: writeBlock || (canCancel ? "Cancel this request" : `A ${rtl.status} request cannot be cancelled`), onclick: () => cancel(rtl) }, "Cancel request"),
      h("button", { testid: "rtl-proceed", disabled: !canProceed || !!writeBlock, title: writeBlock || (canProceed ? "Create a link token and session URL" : `A ${rtl.status} request cannot proceed`), onclick: () => proceed(rtl) }, "Proceed to link"),
      statusSelect, applyStatus,
    ),
  );
  pane.setAttribute("aria-busy", loading ? "true" : "false");
}

function proceedBox(id) {
  const p = state.proceeds.get(id);
  if (!p) return null;
  const left = h("span", { testid: "proceed-expires" }, `${dateTime(p.expires_at)} (${timeLeft(p.expires_at)} left)`);
  const timer = setInterval(() => {
    const remaining = timeLeft(p.expires_at);
    if (!left.isConnected || remaining === "expired") clearInterval(timer);
    left.textContent = remaining === "expired" ? `${dateTime(p.expires_at)} (expired)` : `${dateTime(p.expires_at)} (${remaining} left)`;
  }, 1000);
  return h("div", { class: "proceed-result", testid: "proceed-result" },
    h("div", { class: "section-title" }, "Link session"),
    h("dl", { class: "fields" },
      field("Link token", p.link_token, { mono: true, copy: true }),
      field("Session URL", p.session_url, { copy: true }),
      field("Expires", null, { node: left }),
    ),
    h("div", {}, h("button", { class: "small", onclick: () => openExternal(p.session_url) }, "Open in browser")));
}

async function openExternal(url) {
  try { await call("open_external", { url }); } catch (err) { showError(err); }
}

async function afterWrite(id, message, written) {
  // The service's answer to the write is on screen before the toast says it
  // happened; the record and the list are then read again.
  if (written?.id === id) patchRow(written);
  toast(message);
  await Promise.all([openDetail(id), load()]);
}

/**
 * A write from a dialog. Whatever its outcome, the record and the list are
 * read again, so a conflict (the record changed meanwhile) shows what the
 * record is now and which actions it allows.
 */
function writing(id, send) {
  return async () => {
    try {
      return await send();
    } catch (err) {
      openDetail(id);
      load();
      if (err.code === "conflict") throw { ...err, message: `${err.message} The record was read again: see its current state.` };
      throw err;
    }
  };
}

async function cancel(rtl) {
  const reason = h("textarea", { testid: "cancel-reason", placeholder: "Optional: why is it cancelled?", maxlength: 500 });
  const done = await openDialog({
    title: "Cancel this request?",
    body: [h("p", {}, `${rtl.id} for ${rtl.client_user_id} will be cancelled. This cannot be undone.`), h("label", {}, "Reason", reason)],
    okLabel: "Cancel request", okClass: "danger", cancelLabel: "Keep it",
    onOk: writing(rtl.id, () => call("cancel_rtl", { id: rtl.id, reason: reason.value.trim() || null })),
  });
  if (done) afterWrite(rtl.id, `Cancelled ${rtl.id}`, done);
}

async function changeStatus(rtl, status) {
  if (!status) return;
  const done = await openDialog({
    title: "Change status?",
    body: h("p", {}, `${rtl.id}: ${rtl.status} → ${status}`),
    okLabel: "Change status",
    onOk: writing(rtl.id, () => call("set_rtl_status", { id: rtl.id, status })),
  });
  if (done) afterWrite(rtl.id, `${rtl.id} is now ${status}`, done);
}

async function proceed(rtl) {
  const result = await openDialog({
    title: "Start a link session?",
    body: h("p", {}, `A link token valid for 30 minutes and a session URL will be created for ${rtl.id}, and the request moves to IN_PROGRESS.`),
    okLabel: "Proceed",
    onOk: writing(rtl.id, () => call("proceed_rtl", { id: rtl.id })),
  });
  if (result) {
    state.proceeds.set(rtl.id, result);
    afterWrite(rtl.id, "Link session created");
  }
}

async function newRequest() {
  const user = h("input", { type: "text", testid: "new-client-user-id", placeholder: "user_123", autocomplete: "off" });
  const biller = h("select", { testid: "new-biller-id" }, h("option", { value: "" }, "No biller yet"),
    [...state.billers].map(([id, name]) => h("option", { value: id }, name)));
  const metadata = h("textarea", { testid: "new-metadata", placeholder: '{"source": "support"}' });
  const created = await openDialog({
    title: "New request to link",
    body: [h("label", {}, "Client user ID", user), h("label", {}, "Biller", biller), h("label", {}, "Metadata (JSON object, optional)", metadata)],
    okLabel: "Create",
    onOk: async () => {
      if (!user.value.trim()) throw new Error("A client user ID is required.");
      let meta = null;
      if (metadata.value.trim()) {
        try { meta = JSON.parse(metadata.value); } catch (e) { throw new Error(`Metadata is not valid JSON: ${e.message}`); }
        if (meta === null || typeof meta !== "object" || Array.isArray(meta)) throw new Error("Metadata must be a JSON object, like {\"source\": \"support\"}.");
      }
      return call("create_rtl", { new: { clientUserId: user.value.trim(), billerId: biller.value || null, metadata: meta } });
    },
  });
  if (created) {
    toast(`Created ${created.id}`);
    state.page = 1;
    await load();
    openDetail(created.id);
  }
}

/** "1 row", "2,000 rows". */
const rows = (n) => `${num(n)} ${n === 1 ? "row" : "rows"}`;

async function exportCsv({ partial = false } = {}) {
  try {
    // Linkdesk asks where to save (or uses its export folder); the window
    // never names a file. The whole filtered list, or knowingly part of it.
    const done = await call("export_rtls_csv", { filter: filterArg(), sort: state.sort, partial });
    if (!done) { toast("Export cancelled"); return; }
    // The file is the local cache's copy: say how old it is (each row's
    // fetched_at column says it in the file).
    const age = done.oldestFetchedAt ? ` As the local cache holds them: the oldest row was read from BillerAPI ${dateTime(done.oldestFetchedAt)}; sync to refresh them.` : "";
    toast(done.partial
      ? `Exported ${rows(done.rows)}${done.partialOf != null ? ` of ${num(done.partialOf)}` : ""} (partial: only what the local cache holds) to ${done.path}.${age}`
      : `Exported ${rows(done.rows)} to ${done.path}.${age}`);
  } catch (err) {
    if (err.code === "incomplete") { offerPartialExport(err); return; }
    showError(err);
  }
}

/** The cache does not hold the whole list: sync first, or export the cached part knowingly. */
async function offerPartialExport(err) {
  const syncFirst = h("button", { type: "button", testid: "export-sync-first", onclick: () => { $("#dialog").close(); $("#sync-start").click(); } }, "Sync all RTLs first");
  const choice = await openDialog({
    title: "The local cache does not hold the whole list",
    body: [h("p", { testid: "export-incomplete" }, err.message), h("div", {}, syncFirst)],
    okLabel: "Export the cached rows (partial)",
    // A partial file is a deliberate choice, never what Enter does.
    focusCancel: true,
  });
  if (choice) exportCsv({ partial: true });
}

// ---- wiring --------------------------------------------------------------

export function init() {
  restore();
  const search = $("#f-search"), status = $("#f-status"), user = $("#f-client-user-id"), biller = $("#f-biller");
  search.value = state.filter.search;
  status.value = state.filter.status;
  user.value = state.filter.clientUserId;
  $("#page-size").value = String(state.limit);
  const typed = debounce(filtersChanged, 250);
  search.addEventListener("input", () => { state.filter.search = search.value; typed(); });
  user.addEventListener("input", () => { state.filter.clientUserId = user.value; typed(); });
  status.addEventListener("change", () => { state.filter.status = status.value; filtersChanged(); });
  biller.addEventListener("change", () => { state.filter.billerId = biller.value; filtersChanged(); });
  $("#f-clear").addEventListener("click", () => {
    state.filter = { search: "", status: "", clientUserId: "", billerId: "" };
    search.value = user.value = status.value = biller.value = "";
    filtersChanged();
  });
  $("#page-size").addEventListener("change", (e) => {
    // The first row on screen stays on screen.
    const first = (state.page - 1) * state.limit;
    state.limit = Number(e.target.value);
    state.page = Math.floor(first / state.limit) + 1;
    state.selected = -1;
    remember();
    load();
  });
  $("#page-first").addEventListener("click", () => goTo(1));
  $("#page-prev").addEventListener("click", () => goTo(state.page - 1));
  $("#page-next").addEventListener("click", () => goTo(state.page + 1));
  $("#page-last").addEventListener("click", () => goTo(lastPage()));
  $("#rtl-new").addEventListener("click", newRequest);
  $("#export-csv").addEventListener("click", () => exportCsv());
  $("#rtl-coverage-sync").addEventListener("click", () => $("#sync-start").click());
  $("#rtl-empty-goto").querySelector("button").addEventListener("click", () => window.linkdeskGoto(state.filter.search || state.filter.clientUserId));
  sync.init(() => { loadBillers(); load(); });
  for (const th of document.querySelectorAll("#view-rtls th[data-sort]")) {
    if (!SORT_COLUMNS.includes(th.dataset.sort)) continue;
    th.classList.add("sortable");
    th.title = "Sort (answered from the local cache)";
    th.addEventListener("click", () => {
      const col = th.dataset.sort;
      if (state.sort?.column !== col) state.sort = { column: col, descending: false };
      else if (!state.sort.descending) state.sort.descending = true;
      else state.sort = null;
      state.page = 1;
      load();
    });
  }
}

/** Keys for this view; returns true when the key was used. */
export function onKey(e) {
  switch (e.key) {
    case "/": $("#f-search").focus(); $("#f-search").select(); return true;
    case "j": case "ArrowDown": move(1); return true;
    case "k": case "ArrowUp": move(-1); return true;
    case "R": refreshRecord(); return true;
    case "Enter": if (state.selected >= 0) openDetail(state.items[state.selected].id); return true;
    case "Escape": if (!$("#rtl-detail").hidden) { closeDetail(); return true; } return false;
    case "[": goTo(state.page - 1); return true;
    case "]": goTo(state.page + 1); return true;
    case "n": if (!shell.writeBlock()) newRequest(); return true;
    default: return false;
  }
}

let shownEnv = null;

/**
 * Lists the RTLs of one client user ID or one biller (from "Go to ID"): that
 * filter alone.
 */
export function showOnly({ clientUserId = "", billerId = "" }) {
  state.filter = { search: "", status: "", clientUserId, billerId };
  $("#f-search").value = $("#f-status").value = "";
  $("#f-client-user-id").value = clientUserId;
  $("#f-biller").value = billerId;
  filtersChanged();
}

/** Opens one RTL (from "Go to ID"). */
export async function openRecord(id) {
  await refresh();
  openDetail(id);
}

export async function refresh() {
  const env = shell.info?.environment.id;
  if (shownEnv !== null && env !== shownEnv) {
    // Another environment: another set of records.
    closeDetail();
    state.proceeds.clear();
    state.page = 1;
    // Never the last environment's rows under this one's name, even when
    // this one does not answer.
    state.items = [];
    state.total = 0;
    state.source = null;
    state.selected = -1;
    clear($("#rtl-rows"));
    $("#rtl-total").textContent = "";
    $("#rtl-source").textContent = "";
    $("#rtl-empty").hidden = true;
    sync.environmentChanged();
  }
  shownEnv = env;
  const block = shell.writeBlock();
  $("#rtl-new").disabled = !!block;
  $("#rtl-new").title = block || "New request (N)";
  // Both at once; the rows wait for the biller names before they are drawn.
  await load({ before: loadBillers() });
  if (state.shownId) openDetail(state.shownId);
}

