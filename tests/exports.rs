//! CSV exports never write where the window says: no command takes a path,
//! and exports into the export folder (LINKDESK_EXPORT_DIR) each get a new,
//! unique file, never replacing one that exists.

use std::path::{Path, PathBuf};

use linkdesk::app::{builtin_environment, App};
use linkdesk::biller::{NewRtl, RtlFilter};
use linkdesk::export::{self, ExportTarget, Exported};
use linkdesk::journal::AuditFilter;
use linkdesk::{audit, rtls};

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn assert_two_distinct(a: &Exported, b: &Exported, stem: &str) {
    assert_ne!(a.path, b.path);
    assert_ne!(a.file_name, b.file_name);
    for e in [a, b] {
        assert!(
            e.file_name.starts_with(&format!("{stem}-")) && e.file_name.ends_with(".csv"),
            "{e:?}"
        );
        assert!(Path::new(&e.path).ends_with(&e.file_name), "{e:?}");
    }
    assert_eq!(a.rows, b.rows);
    assert_eq!(
        std::fs::read_to_string(&a.path).unwrap(),
        std::fs::read_to_string(&b.path).unwrap(),
        "the same rows, in two files"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_exports_in_a_row_make_two_files() {
    let sandbox = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        rtls: 30,
        customers: 10,
        no_rate_limit: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let url = sandbox.url();
    let data = tempfile::tempdir().unwrap();
    let app = App::open(
        data.path().to_path_buf(),
        builtin_environment("Test sandbox", &url, &url),
        None,
    )
    .unwrap();
    // Fill the cache, and put a write in the audit log.
    rtls::list(
        &app,
        RtlFilter::default(),
        1,
        100,
        None,
        linkdesk::rtls::ReadFrom::Service,
    )
    .await
    .unwrap();
    rtls::create(
        &app,
        NewRtl {
            client_user_id: "export_user".into(),
            biller_id: None,
            metadata: None,
        },
    )
    .await
    .unwrap();

    let folder = tempfile::tempdir().unwrap();
    let target = ExportTarget::Folder(folder.path().to_path_buf());
    let whole = rtls::export_check(&app, &RtlFilter::default(), false)
        .await
        .unwrap();
    assert!(whole.complete(), "{whole:?}");
    let first = rtls::export_csv(&app, RtlFilter::default(), None, target.clone(), &whole)
        .await
        .unwrap();
    let second = rtls::export_csv(&app, RtlFilter::default(), None, target.clone(), &whole)
        .await
        .unwrap();
    assert_eq!(first.rows, 31);
    assert!(!first.partial);
    // The file is the cache's copy and says how old each row is; the answer
    // says how old the oldest is.
    let oldest = first
        .oldest_fetched_at
        .clone()
        .expect("the oldest row's age");
    let oldest = chrono::DateTime::parse_from_rfc3339(&oldest).unwrap();
    assert!(
        oldest <= chrono::Utc::now() && oldest > chrono::Utc::now() - chrono::Duration::minutes(5)
    );
    let text = std::fs::read_to_string(&first.path).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().ends_with(",updated_at,fetched_at"));
    for line in lines {
        let fetched = line.rsplit(',').next().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(fetched).is_ok(),
            "{line}"
        );
    }
    assert_two_distinct(&first, &second, export::RTLS_STEM);

    let first_audit = audit::export_csv(&app, AuditFilter::default(), target.clone())
        .await
        .unwrap();
    let second_audit = audit::export_csv(&app, AuditFilter::default(), target)
        .await
        .unwrap();
    assert_eq!(first_audit.rows, 1);
    assert_two_distinct(&first_audit, &second_audit, export::AUDIT_STEM);

    // Four files, nothing else (no partial files left behind).
    assert_eq!(files_in(folder.path()).len(), 4);
    sandbox.stop().await;
}

#[test]
fn a_taken_name_gets_a_number_and_the_file_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let at = "2026-12-03T10:41:07Z".parse().unwrap();
    let (_, first) = export::create_unique(dir.path(), export::RTLS_STEM, at).unwrap();
    std::fs::write(&first, "kept").unwrap();
    let (_, second) = export::create_unique(dir.path(), export::RTLS_STEM, at).unwrap();
    let (_, third) = export::create_unique(dir.path(), export::RTLS_STEM, at).unwrap();
    let names: Vec<String> = [&first, &second, &third]
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "linkdesk-rtls-2026-12-03T10-41-07Z.csv",
            "linkdesk-rtls-2026-12-03T10-41-07Z-2.csv",
            "linkdesk-rtls-2026-12-03T10-41-07Z-3.csv",
        ]
    );
    assert_eq!(std::fs::read_to_string(&first).unwrap(), "kept");
    assert_eq!(files_in(dir.path()).len(), 3);
}

/// Every `#[tauri::command]` in src-tauri/commands/ with its parameter list.
fn commands() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/commands");
    let mut found = Vec::new();
    for file in files_in(&dir) {
        let source = std::fs::read_to_string(&file).unwrap();
        // The attribute on a line of its own (not in a comment).
        let mut offset = 0;
        for line in source.split_inclusive('\n') {
            offset += line.len();
            if line.trim() != "#[tauri::command]" {
                continue;
            }
            let rest = &source[offset..];
            let fn_at = rest
                .find("fn ")
                .expect("a function after #[tauri::command]");
            let signature = &rest[fn_at + 3..];
            let name_end = signature.find(['(', '<']).unwrap();
            let name = signature[..name_end].trim().to_string();
            let open = signature.find('(').unwrap();
            // Parameters hold no parentheses in this codebase; the first ')'
            // closes the list.
            let close = signature[open..].find(')').unwrap() + open;
            found.push((name, signature[open + 1..close].to_string()));
        }
    }
    found
}

/// `a: A<'_, B>, c: C` → `["a: A<'_, B>", "c: C"]`.
fn split_params(params: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in params.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(params[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(params[start..].trim());
    out.retain(|p| !p.is_empty());
    out
}

#[test]
fn no_command_takes_a_path() {
    let commands = commands();
    let names: Vec<&str> = commands.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"export_rtls_csv"), "{names:?}");
    assert!(names.contains(&"audit_export"), "{names:?}");
    assert!(!names.contains(&"choose_save_path"), "{names:?}");
    for (name, params) in &commands {
        for param in split_params(params) {
            let (pname, ptype) = param.split_once(':').unwrap_or((param, ""));
            let pname = pname.to_ascii_lowercase();
            assert!(
                !["path", "file", "dir", "folder"]
                    .iter()
                    .any(|w| pname.contains(w)),
                "{name} takes {param}"
            );
            assert!(
                !["Path", "OsStr", "OsString"]
                    .iter()
                    .any(|t| ptype.contains(t)),
                "{name} takes {param}"
            );
        }
    }
    // Every registered command was looked at, and nothing else is registered.
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/lib.rs"))
            .unwrap();
    let mut registered: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("commands::"))
        .filter_map(|l| l.trim_end_matches(',').rsplit("::").next())
        .collect();
    registered.sort();
    let mut checked = names.clone();
    checked.sort();
    assert_eq!(registered, checked);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_is_the_whole_list_or_knowingly_partial() {
    let sandbox = linkdesk_sandbox::start(linkdesk_sandbox::Options {
        rtls: 300,
        no_rate_limit: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let url = sandbox.url();
    let data = tempfile::tempdir().unwrap();
    let app = App::open(
        data.path().to_path_buf(),
        builtin_environment("Test sandbox", &url, &url),
        None,
    )
    .unwrap();
    // One page seen: the cache holds 20 of the 300.
    rtls::list(
        &app,
        RtlFilter::default(),
        1,
        20,
        None,
        linkdesk::rtls::ReadFrom::Service,
    )
    .await
    .unwrap();
    let err = rtls::export_check(&app, &RtlFilter::default(), false)
        .await
        .unwrap_err();
    assert_eq!(err.code, linkdesk::error::ErrorCode::Incomplete);
    assert!(
        err.message.contains("holds 20 of the 300 requests")
            && err.message.contains("280 are missing"),
        "{err:?}"
    );
    let folder = tempfile::tempdir().unwrap();
    let target = ExportTarget::Folder(folder.path().to_path_buf());
    let part = rtls::export_check(&app, &RtlFilter::default(), true)
        .await
        .unwrap();
    let written = rtls::export_csv(&app, RtlFilter::default(), None, target, &part)
        .await
        .unwrap();
    assert_eq!(
        (written.rows, written.partial, written.partial_of),
        (20, true, Some(300))
    );
    assert!(
        written.file_name.starts_with(export::RTLS_PARTIAL_STEM),
        "{written:?}"
    );
    assert_eq!(files_in(folder.path()).len(), 1);

    // A sort is answered by the cache and says how much of the list it holds.
    let sort: linkdesk::cache::RtlSort = serde_json::from_value(
        serde_json::json!({"column": "client_user_id", "descending": false}),
    )
    .unwrap();
    let sorted = rtls::list(
        &app,
        RtlFilter::default(),
        1,
        20,
        Some(sort),
        linkdesk::rtls::ReadFrom::Service,
    )
    .await
    .unwrap();
    let coverage = sorted.coverage.expect("a sorted answer says its coverage");
    assert_eq!((coverage.cached, coverage.service_total), (20, Some(300)));
    assert!(!coverage.complete());

    // The service gone: its count is unknown, and the export says so.
    sandbox.stop().await;
    let err = rtls::export_check(&app, &RtlFilter::default(), false)
        .await
        .unwrap_err();
    assert_eq!(err.code, linkdesk::error::ErrorCode::Incomplete);
    assert!(err.message.contains("cannot ask BillerAPI"), "{err:?}");
}
