// The update check, as the window shows it: a quiet "Update available —
// x.y.z" in the top bar once a signed package is downloaded and verified,
// and the check's state in About. Nothing installs without the person's click.

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
  notice.textContent = available ? `Update available — ${status.version}` : "";
  const line = document.querySelector("[data-testid=about-updates]");
  if (line) line.textContent = describe(status);
}

/** One line for About: where Linkdesk looks and what it found. */
export function describe(s) {
  const when = s.checkedAt ? ` (checked at ${clock(s.checkedAt)})` : "";
  switch (s.state) {
    case "off": return "Off: this build does not check for updates.";
    case "checking": return "Checking…";
    case "available": return `Linkdesk ${s.version} is downloaded and verified, ready to install${when}.`;
    case "refused": return `${s.error?.message || `Linkdesk ${s.version} was refused.`}${when}`;
    case "failed": return `${s.error?.message || "The update check failed."}${when}`;
    case "installing": return `Installing Linkdesk ${s.version}…`;
    default: return s.checkedAt ? `Up to date${when}.` : "Checked once the first rows are on screen, then daily.";
  }
}

/** The rows About shows: the state, and "Check now" when there is an endpoint. */
export function aboutRows() {
  const line = h("span", { testid: "about-updates", "aria-live": "polite" }, status ? describe(status) : "");
  const check = h("button", { class: "ghost", type: "button", testid: "update-check",
    onclick: async () => {
      check.disabled = true;
      try { show(await call("update_check")); } catch (err) { showError(err); } finally { check.disabled = false; }
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
  const notes = status.notes ? h("pre", { class: "release-notes", testid: "update-notes" }, status.notes) : null;
  await openDialog({
    title: `Update to Linkdesk ${status.version}`,
    body: h("div", { testid: "update-offer" },
      h("p", {}, `This is Linkdesk ${status.current}. Version ${status.version} is downloaded and its signature matches Linkdesk's release key.`),
      notes,
      h("p", { class: "muted" }, "Linkdesk closes, installs it and starts again. The operating system may ask for your password.")),
    okLabel: "Install and restart",
    cancelLabel: "Later",
    focusCancel: true,
    onOk: async () => { await call("update_install"); return true; },
  });
}
