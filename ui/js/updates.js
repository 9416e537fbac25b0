// The update check, as the window shows it: a quiet "Update available —
// x.y.z" in the top bar once a signed package is downloaded and verified,
// and the check's state in About. Nothing installs without the person's
// click, and the click installs the version the dialog showed.

import { call, listen } from "./api.js";
import { h, $ } from "./dom.js";
import { clock } from "./format.js";
import { showError, openDialog } from "./ui.js";

let status = null;

export async function init() {
  $("#update-notice").addEventListener("click", offer);
  listen("update-status", show).catch(() => {});
  try {
    show(await call("update_status"));
  } catch {
    // No update state: the top bar simply shows no notice.
  }
}

function show(next) {
  status = next;
  const notice = $("#update-notice");
  const available = status.state === "available";
  notice.hidden = !available;
  notice.title = available ? `Linkdesk ${status.version} is ready to install` : "";
  $("#update-notice-version").textContent = available ? status.version : "";
  const line = document.querySelector("[data-testid=about-updates]");
  if (line) line.textContent = describe(status);
}

/** One paragraph for About: what the last check found, and whether one runs now. */
export function describe(s) {
  const when = s.checkedAt ? ` (checked at ${clock(s.checkedAt)})` : "";
  const now = s.checking ? " Checking now…" : "";
  switch (s.state) {
    case "off": return `Off: ${s.offReason || "no update address"}.`;
    case "not_checked": return `Not checked yet: Linkdesk checks once the first rows are on screen, then daily.${now}`;
    case "up_to_date": return `Up to date${when}.${now}`;
    case "available": {
      const problem = s.error ? ` ${s.error.message}` : "";
      return `Linkdesk ${s.version} is downloaded and verified, ready to install${when}.${problem}${now}`;
    }
    case "refused": return `${s.error?.message || `Linkdesk ${s.version} was refused.`}${when}${now}`;
    case "failed": return `${s.error?.message || "The update check failed."}${when}${now}`;
    case "installing": return `Installing Linkdesk ${s.version}…`;
    default: return s.state;
  }
}

/** The rows About shows: the state, "Check now" and the address asked. */
export function aboutRows() {
  const line = h("span", { class: "about-updates", testid: "about-updates", "aria-live": "polite" }, status ? describe(status) : "");
  // Never disabled while it runs: the focus stays on it for the next key.
  let busy = false;
  const check = h("button", { class: "ghost", type: "button", testid: "update-check",
    onclick: async () => {
      if (busy) return;
      busy = true;
      check.setAttribute("aria-busy", "true");
      try { show(await call("update_check")); } catch (err) { showError(err); } finally { busy = false; check.removeAttribute("aria-busy"); }
    } }, "Check now");
  check.hidden = !status || status.state === "off";
  return [
    h("dt", {}, "Updates"),
    h("dd", {}, line, " ", check),
    status?.endpoint ? h("dt", {}, "Update address") : null,
    status?.endpoint ? h("dd", { class: "mono wrap-anywhere", testid: "about-update-endpoint" }, status.endpoint) : null,
  ];
}

/** The notice's click: what the update is, and the one button that installs it. */
async function offer() {
  if (status?.state !== "available") return;
  const version = status.version;
  const notes = status.notes
    ? [h("p", { class: "muted" }, "Release notes, from the update server (the signature covers the package, not these notes):"),
      h("pre", { class: "release-notes", testid: "update-notes" }, status.notes)]
    : null;
  await openDialog({
    title: `Update to Linkdesk ${version}`,
    body: h("div", { testid: "update-offer", class: "wrap-anywhere" },
      h("p", {}, `This is Linkdesk ${status.current}. Version ${version} is downloaded and its signature matches Linkdesk's release key.`),
      notes,
      h("p", { class: "muted" }, "Linkdesk closes, installs it and starts again. The operating system may ask for your password.")),
    okLabel: "Install and restart",
    cancelLabel: "Later",
    focusCancel: true,
    onOk: async () => { await call("update_install", { version }); return true; },
  });
}
