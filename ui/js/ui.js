// Shared pieces of the window: the error banner, toasts, badges, copy buttons
// and dialogs.

import { call } from "./api.js";
import { h, clear, $ } from "./dom.js";
import { statusClass, clock } from "./format.js";

// One rate-limit countdown for the whole window: every view that hits the
// limit while it runs joins it, and all of them are retried when it ends.
const countdown = { timer: null, until: 0, retries: [] };

/** Failures after which the window offers the cached copy. */
const CACHE_OFFERED = ["server_error", "bad_response"];

/**
 * Shows `{code, message}` in the error banner until the person acts.
 * `retry` adds a Retry button (a rate limit retries by itself after one
 * countdown); `cached` adds "Show the cached copy" when the service failed.
 */
export function showError(err, { retry, cached } = {}) {
  const banner = $("#error-banner");
  const text = banner.querySelector(".banner-text");
  const actions = clear(banner.querySelector(".banner-actions"));
  const message = `${err.message}`;
  banner.dataset.code = err.code || "internal";
  banner.querySelector(".error-code").textContent = banner.dataset.code;
  banner.title = message;
  if (err.code === "rate_limited" && err.retry_after_secs) {
    const until = Date.now() + err.retry_after_secs * 1000;
    countdown.until = Math.max(countdown.until, until);
    if (retry) countdown.retries.push(retry);
    const tick = () => {
      const left = Math.max(0, Math.ceil((countdown.until - Date.now()) / 1000));
      text.textContent = countdown.retries.length
        ? `${message} Retrying in ${left} s…`
        : `${message} Try again in ${left} s.`;
      if (left > 0) return;
      clearInterval(countdown.timer);
      countdown.timer = null;
      const retries = countdown.retries.splice(0);
      countdown.until = 0;
      if (retries.length) { hideError(); retries.forEach((r) => r()); }
    };
    if (!countdown.timer) countdown.timer = setInterval(tick, 1000);
    tick();
  } else {
    if (countdown.timer && err.code !== "rate_limited") stopCountdown();
    text.textContent = message;
    if (retry) actions.append(h("button", { class: "small", testid: "error-retry", onclick: () => { hideError(); retry(); } }, "Retry"));
    if (cached && CACHE_OFFERED.includes(err.code)) {
      actions.append(h("button", { class: "small", testid: "error-show-cached", onclick: () => { hideError(); cached(); } }, "Show the cached copy"));
    }
  }
  banner.hidden = false;
}

function stopCountdown() {
  clearInterval(countdown.timer);
  countdown.timer = null;
  countdown.until = 0;
  countdown.retries = [];
}

/** Hides the banner. A running rate-limit countdown keeps its retries. */
export function hideError() {
  $("#error-banner").hidden = true;
}

/** True while a rate-limit countdown runs (its retries are queued). */
export const rateLimited = () => countdown.timer !== null;

export function toast(message, kind = "") {
  const el = h("div", { class: `toast ${kind}`, testid: "toast" }, message);
  // A modal dialog hides everything behind it: its own toasts go inside it.
  const dialog = $("#dialog");
  let host = $("#toasts");
  if (dialog.open) {
    host = dialog.querySelector(".toasts") || dialog.appendChild(h("div", { class: "toasts", "aria-live": "polite" }));
  }
  host.append(el);
  // Long enough to be read: a longer message stays longer.
  setTimeout(() => el.remove(), Math.max(4000, message.length * 60));
}

export function badge(status, testid) {
  return h("span", { class: statusClass(status), testid }, status ?? "—");
}

export function copyButton(text, label = "Copy") {
  return h("button", {
    class: "ghost copy", title: "Copy to clipboard", testid: "copy",
    onclick: async (e) => {
      e.stopPropagation();
      try { await call("copy_text", { text }); toast("Copied"); } catch (err) { showError(err); }
    },
  }, label);
}

/**
 * A modal dialog. Resolves with what `onOk` returned (true without one), or
 * undefined on Esc or Cancel; an `onOk` that throws keeps it open with the
 * error. The focus goes to `focus` (a selector in the body), else Cancel with
 * `focusCancel`, else the first field, else OK.
 */
export function openDialog({ title, body, okLabel = "OK", okClass = "primary", onOk, cancelLabel = "Cancel", focusCancel = false, focus = null }) {
  const dialog = $("#dialog");
  return new Promise((resolve) => {
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      dialog.close();
      clear(dialog);
      resolve(value);
    };
    const error = h("div", { class: "field-error", testid: "dialog-error", role: "alert" });
    const ok = h("button", { class: okClass, testid: "confirm-ok", type: "button" }, okLabel);
    // While its action runs (a write on its way), the dialog stays: neither
    // Cancel nor Esc can hide a write that is still going to happen.
    let busy = false;
    ok.addEventListener("click", async () => {
      error.textContent = "";
      ok.disabled = true;
      busy = true;
      if (cancel) cancel.disabled = true;
      dialog.setAttribute("aria-busy", "true");
      const label = ok.textContent;
      let working = false;
      // Said only when the action takes a moment (a write on a slow line),
      // and only over the button's own label (an action may set its own).
      const slow = setTimeout(() => {
        if (busy && ok.textContent === label) { ok.textContent = "Working…"; working = true; }
      }, 400);
      try {
        const value = onOk ? await onOk() : true;
        if (value !== undefined) finish(value);
      } catch (err) {
        const wait = err.code === "rate_limited" && err.retry_after_secs ? ` Try again in ${err.retry_after_secs} s.` : "";
        error.textContent = `${err.message || String(err)}${wait}`;
      } finally {
        clearTimeout(slow);
        if (working && ok.textContent === "Working…") ok.textContent = label;
        busy = false;
        ok.disabled = false;
        if (cancel) cancel.disabled = false;
        dialog.removeAttribute("aria-busy");
      }
    });
    // A dialog that only tells something has one button (no cancelLabel).
    const cancel = !cancelLabel ? null
      : h("button", { class: "ghost", testid: "confirm-cancel", type: "button", onclick: () => { if (!busy) finish(undefined); } }, cancelLabel);
    dialog.oncancel = (e) => { if (busy) e.preventDefault(); };
    clear(dialog).append(
      h("div", { class: "dialog-body" }, h("h3", { id: "dialog-title" }, title), body, error),
      h("div", { class: "dialog-actions" }, cancel, ok),
    );
    // A dialog closed just before this one opened fires its close event late:
    // only a close of this dialog ends it.
    dialog.onclose = () => { if (!dialog.open) finish(undefined); };
    // Enter in a field does what the primary button does, as in any form.
    dialog.onkeydown = (e) => {
      if (e.key === "Tab") { trapFocus(dialog, e); return; }
      if (e.key !== "Enter" || e.isComposing || e.target.tagName !== "INPUT" || ok.disabled) return;
      if (["checkbox", "radio"].includes(e.target.type)) return;
      e.preventDefault();
      ok.click();
    };
    dialog.showModal();
    const first = dialog.querySelector("input:not([disabled]), textarea, select");
    ((focus && dialog.querySelector(focus)) || (focusCancel && cancel) || first || ok).focus();
  });
}

/** Tab and Shift+Tab go round the dialog's own controls, never behind it. */
function trapFocus(dialog, e) {
  const items = [...dialog.querySelectorAll("button, input, select, textarea, a[href], [tabindex]:not([tabindex='-1'])")]
    .filter((el) => !el.disabled && el.offsetParent !== null);
  if (!items.length) return;
  const first = items[0], last = items[items.length - 1];
  const at = items.indexOf(document.activeElement);
  if (e.shiftKey && (at <= 0)) { last.focus(); e.preventDefault(); }
  else if (!e.shiftKey && (at === -1 || at === items.length - 1)) { first.focus(); e.preventDefault(); }
}

export function confirmDialog(title, message, okLabel = "Confirm", okClass = "primary") {
  return openDialog({ title, body: h("p", {}, message), okLabel, okClass });
}

/**
 * "Updated 12 s ago · BillerAPI" (or "From the local cache, fetched at
 * 14:02") with a Refresh button (R) at the top of a record: how old what is
 * on screen is. The age is kept current by one slow ticker that stops when
 * no record is on screen.
 */
export function freshness(res, service, onRefresh, testid = "freshness") {
  const at = res.source === "cache" ? Date.parse(res.cachedAt || "") : Date.now();
  const label = h("span", { class: "freshness-text", testid: `${testid}-text`, dataset: { at: String(at), source: res.source, service } });
  ageText(label);
  const button = h("button", { class: "ghost small", testid: `${testid}-refresh`, title: "Read it again from the service (R)", onclick: onRefresh }, "Refresh");
  const el = h("div", { class: "freshness", testid }, label, button);
  startAgeTicker();
  return el;
}

function ageText(label) {
  const at = Number(label.dataset.at);
  if (label.dataset.source === "cache") {
    label.textContent = Number.isFinite(at) ? `From the local cache, fetched at ${clock(new Date(at).toISOString())}` : "From the local cache";
    return;
  }
  const secs = Math.max(0, Math.round((Date.now() - at) / 1000));
  const age = secs < 5 ? "just now" : secs < 60 ? `${secs} s ago` : `${Math.floor(secs / 60)} min ago`;
  label.textContent = `Updated ${age} · ${label.dataset.service}`;
}

let ageTicker = null;
function startAgeTicker() {
  if (ageTicker) return;
  ageTicker = setInterval(() => {
    const labels = document.querySelectorAll(".freshness-text");
    if (!labels.length) { clearInterval(ageTicker); ageTicker = null; return; }
    labels.forEach(ageText);
  }, 5000);
}

/** "From the local cache, fetched at 14:02." under a record answered offline. */
export function cachedNote(res, testid) {
  if (res.source !== "cache") return null;
  return h("div", { class: "banner offline", testid }, `From the local cache${res.cachedAt ? `, fetched at ${clock(res.cachedAt)}` : ""}.`);
}
