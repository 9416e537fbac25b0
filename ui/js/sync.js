// "Sync all RTLs": the full sync's progress bar, cancel and resume.

import { call, listen } from "./api.js";
import { $ } from "./dom.js";
import { num } from "./format.js";
import { showError, toast } from "./ui.js";
import { shell } from "./shell.js";

/** A sync belongs to one environment: its events show only there. */
const here = (event) => !event.env || event.env === shell.info?.environment.id;

let onDone = () => {};

const PHASES = {
  full: "Fetching every RTL",
  new: "Fetching new RTLs",
  pending: "Refreshing PENDING",
  in_progress: "Refreshing IN_PROGRESS",
  inProgress: "Refreshing IN_PROGRESS",
  refetch: "Re-reading changed RTLs",
  done: "Done",
};

function duration(secs) {
  if (secs == null || !Number.isFinite(secs)) return "—";
  const m = Math.floor(secs / 60);
  return m ? `${m} min ${Math.round(secs % 60)} s` : `${Math.round(secs)} s`;
}

let waitTimer = null;

function show(p) {
  $("#sync-panel").hidden = false;
  $("#sync-panel").classList.remove("failed");
  $("#sync-text").removeAttribute("role");
  clearInterval(waitTimer);
  if (p.waiting) { showWait(p.waiting); return; }
  const bar = $("#sync-progress");
  bar.max = Math.max(1, p.pagesTotal || 1);
  bar.value = p.pagesDone || 0;
  const pages = p.pagesTotal ? `page ${num(p.pagesDone)} of ${num(p.pagesTotal)}` : `page ${num(p.pagesDone)}`;
  const records = p.recordsTotal ? `${num(p.recordsDone)} of ${num(p.recordsTotal)} RTLs` : `${num(p.recordsDone)} RTLs`;
  // One page is too little to tell a rate from.
  const rate = p.ratePerMinute && p.pagesDone > 1 ? `${num(Math.round(p.ratePerMinute))} RTLs/min` : "";
  const eta = p.etaSeconds != null ? `about ${duration(p.etaSeconds)} left` : "";
  $("#sync-text").textContent = [PHASES[p.phase] || p.phase, pages, records, rate, eta].filter(Boolean).join(" · ");
}

/** "Waiting 53 s — BillerAPI asked Linkdesk to slow down (HTTP 429)", counting down; Cancel stays. */
function showWait({ seconds, reason }) {
  const until = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    $("#sync-text").textContent = `Waiting ${duration(left)} before the next request — ${reason}`;
    if (!left) clearInterval(waitTimer);
  };
  tick();
  waitTimer = setInterval(tick, 1000);
}

function setRunning(running, resumable) {
  $("#sync-start").disabled = running;
  $("#sync-start").textContent = resumable && !running ? "Resume sync" : "Sync all RTLs";
  $("#sync-cancel").hidden = !running;
}

export async function init(done) {
  onDone = done;
  $("#sync-start").addEventListener("click", start);
  $("#sync-cancel").addEventListener("click", () => call("cancel_sync").catch(showError));
  $("#sync-close").addEventListener("click", () => { $("#sync-panel").hidden = true; });
  await listen("sync-progress", (p) => { if (!here(p)) return; show(p); setRunning(true, false); });
  await listen("sync-finished", (outcome) => {
    if (!here(outcome)) { status(); return; }
    clearInterval(waitTimer);
    setRunning(false, !outcome.complete);
    if (outcome.complete) $("#sync-progress").value = $("#sync-progress").max;
    // The outcome stays in the panel until the person closes it or syncs
    // again: a failure is never only a banner the next list load clears.
    $("#sync-panel").hidden = false;
    $("#sync-panel").classList.toggle("failed", !!outcome.error);
    if (outcome.error) $("#sync-text").setAttribute("role", "alert");
    else toast(outcome.complete ? `Sync finished: ${num(outcome.recordsDone)} RTLs cached` : "Sync paused; resume it any time");
    $("#sync-text").textContent = outcome.message;
    onDone();
  });
  await status();
}

/** The active environment's sync: its button, and its panel or none. */
export async function status() {
  try {
    const s = await call("sync_status");
    setRunning(s.running, s.resumable);
    if (s.progress && (s.running || s.resumable)) show(s.progress);
    else if (!$("#sync-panel").classList.contains("failed") || s.running) $("#sync-panel").hidden = true;
  } catch { /* status is a nicety; the buttons still work */ }
}

/** Another environment is active: nothing of the last one's sync stays. */
export function environmentChanged() {
  $("#sync-panel").hidden = true;
  $("#sync-panel").classList.remove("failed");
  $("#sync-text").textContent = "";
  return status();
}

async function start() {
  setRunning(true, false);
  // The panel (and its Cancel) is there from the click, not from the first page.
  $("#sync-panel").hidden = false;
  $("#sync-text").textContent = "Starting…";
  try {
    await call("start_sync");
  } catch (err) {
    setRunning(false, false);
    showError(err);
  }
}
