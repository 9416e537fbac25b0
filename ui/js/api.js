// The one door to the Rust core. Every failure arrives as {code, message}.

const tauri = window.__TAURI__;

export async function call(command, args = {}) {
  try {
    return await tauri.core.invoke(command, args);
  } catch (err) {
    if (err && typeof err === "object" && "code" in err && "message" in err) throw err;
    throw { code: "internal", message: String(err && err.message ? err.message : err) };
  }
}

export function listen(event, handler) {
  return tauri.event.listen(event, (e) => handler(e.payload));
}

/** The page's start-up steps (performance.now()), sent with the first rows. */
export const startMarks = {};
