//! The window and the core agree on field names. The UI mirrors the Rust
//! answers' fields by hand (no build step, no generated types), so this test
//! reads every field name the UI's modules read from an object
//! (`answer.someField`, `row.snake_case`, not a method call) and checks that
//! each is a field the core serializes or accepts: a `pub` field of a struct
//! in `src-tauri/` (in its snake_case or camelCase form, as `rename_all`
//! makes it) or an explicit `#[serde(rename = "…")]`. What the browser itself
//! provides and the UI's own state are listed below by name. A field renamed
//! or removed in Rust, or misspelt in JS, fails here instead of showing an
//! empty cell.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;

/// Property names the browser provides (DOM, events).
const BROWSER: &[&str] = &[
    "textContent",
    "className",
    "classList",
    "firstChild",
    "tagName",
    "isContentEditable",
    "isConnected",
    "metaKey",
    "ctrlKey",
    "altKey",
    "isComposing",
    "shiftKey",
    "defaultPrevented",
    "activeElement",
    "offsetParent",
    "tabIndex",
    "timeOrigin",
    "responseEnd",
    "domInteractive",
];

/// Names of the UI's own state and functions (not from the core).
const UI_OWN: &[&str] = &[
    "retryTimer",
    "dimTimer",
    "answeredAt",
    "detailSeq",
    "shownId",
    "firstShown",
    "openRecord",
    "onChange",
    "linkdeskShow",
    "linkdeskShowRtls",
    "linkdeskGoto",
    "letterShortcuts",
    "formError",
    "appInfo",
    "askRows",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Every field name the core's structs have, in both spellings, and every
/// explicit serde rename.
fn core_fields() -> BTreeSet<String> {
    let field = Regex::new(r"(?m)^\s*pub(?:\([a-z]+\))?\s+(?:r#)?([a-z_][a-z0-9_]*)\s*:").unwrap();
    let rename = Regex::new(r#"serde\(rename\s*=\s*"([^"]+)"\)"#).unwrap();
    let mut sources = Vec::new();
    files(&root().join("src-tauri"), "rs", &mut sources);
    let mut names = BTreeSet::new();
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for c in field.captures_iter(&text) {
            names.insert(c[1].to_string());
            names.insert(camel(&c[1]));
        }
        for c in rename.captures_iter(&text) {
            names.insert(c[1].to_string());
        }
    }
    names
}

/// Field names read in `js`: `.camelCase` or `.snake_case` not called as a
/// method. Plain lower-case names (`.id`, `.name`) are too common to tell
/// apart from the browser's and are not checked.
fn fields_read(js: &str) -> BTreeSet<String> {
    let read =
        Regex::new(r"\.([a-z][a-z0-9]*(?:[A-Z][A-Za-z0-9]*|_[a-z0-9_]+))\b\s*(\(?)").unwrap();
    read.captures_iter(js)
        .filter(|c| c[2].is_empty())
        .map(|c| c[1].to_string())
        .collect()
}

fn unknown(js: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    fields_read(js)
        .into_iter()
        .filter(|f| {
            !known.contains(f) && !BROWSER.contains(&f.as_str()) && !UI_OWN.contains(&f.as_str())
        })
        .collect()
}

#[test]
fn every_field_the_window_reads_is_one_the_core_has() {
    let known = core_fields();
    let mut scripts = Vec::new();
    files(&root().join("ui"), "js", &mut scripts);
    assert!(scripts.len() > 10, "the UI's modules were not found");
    let mut problems = Vec::new();
    for path in &scripts {
        let js = std::fs::read_to_string(path).unwrap();
        for name in unknown(&js, &known) {
            problems.push(format!("{}: .{name}", path.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "the UI reads fields no Rust struct has (renamed, removed or misspelt?):\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_misspelt_or_renamed_field_is_caught() {
    let known = core_fields();
    assert!(known.contains("capCents") && known.contains("client_user_id"));
    let js = "const a = d.capCent; b.client_user; el.textContent = x; d.capCents; f.someCall(1);";
    let found = unknown(js, &known);
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        vec!["capCent".to_string(), "client_user".to_string()]
    );
}
