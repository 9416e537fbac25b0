//! Where CSV exports are written. The window never names a file: the export
//! command asks in the native save dialog (its answer is an `ExportTarget::Chosen`
//! path), or, when `LINKDESK_EXPORT_DIR` is set, the export gets a fresh,
//! unique name in that folder and nothing there is ever replaced.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// The folder exports go to without a dialog (automation and tests).
pub const EXPORT_DIR_VAR: &str = "LINKDESK_EXPORT_DIR";

/// The first part of each export's file name.
pub const RTLS_STEM: &str = "linkdesk-rtls";
/// A knowingly partial RTL export: the cache did not hold the whole list.
pub const RTLS_PARTIAL_STEM: &str = "linkdesk-rtls-partial";
pub const AUDIT_STEM: &str = "linkdesk-audit";
pub const TEAM_AUDIT_STEM: &str = "linkdesk-team-audit";

/// How many numbered names are tried before giving up.
const MAX_SUFFIX: u32 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportTarget {
    /// The path picked in the native save dialog, which asked before
    /// replacing an existing file.
    Chosen(PathBuf),
    /// A folder: the export is created in it under a new name, never over
    /// an existing file.
    Folder(PathBuf),
}

impl ExportTarget {
    /// `LINKDESK_EXPORT_DIR`, when it is set and not empty.
    pub fn from_env() -> Option<Self> {
        std::env::var_os(EXPORT_DIR_VAR)
            .filter(|d| !d.is_empty())
            .map(|d| Self::Folder(PathBuf::from(d)))
    }
}

/// What an export wrote, for the window to say.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    pub rows: u64,
    pub file_name: String,
    pub path: String,
    /// Set when the person knowingly exported part of a list: how many
    /// records the whole list has (None when unknown or when complete).
    pub partial_of: Option<u64>,
    /// True for a knowingly partial export (its name says "partial" too).
    pub partial: bool,
    /// For an export of cached records: when the oldest row was read from
    /// the service (RFC 3339, UTC).
    pub oldest_fetched_at: Option<String>,
}

/// `<stem>-<UTC time>.csv` for the first try, then `<stem>-<UTC time>-2.csv`,
/// `-3` … e.g. `linkdesk-rtls-2026-12-03T10-41-07Z.csv`. Colons are left out
/// so the name is valid on every file system.
pub fn file_name(stem: &str, at: DateTime<Utc>, attempt: u32) -> String {
    let stamp = at.format("%Y-%m-%dT%H-%M-%SZ");
    if attempt <= 1 {
        format!("{stem}-{stamp}.csv")
    } else {
        format!("{stem}-{stamp}-{attempt}.csv")
    }
}

/// Creates a new file in `dir` named by `name(1)`, `name(2)` … taking the
/// first name no file has. `create_new` makes the check and the creation one
/// step, so an existing file is never opened, let alone overwritten.
pub fn create_first_free(dir: &Path, name: impl Fn(u32) -> String) -> io::Result<(File, PathBuf)> {
    for attempt in 1..=MAX_SUFFIX {
        let path = dir.join(name(attempt));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{MAX_SUFFIX} files with that name already exist"),
    ))
}

/// A new, uniquely named export file in `dir`, e.g.
/// `linkdesk-rtls-2026-12-03T10-41-07Z.csv` or `…-2.csv` when that exists.
pub fn create_unique(dir: &Path, stem: &str, at: DateTime<Utc>) -> io::Result<(File, PathBuf)> {
    create_first_free(dir, |attempt| file_name(stem, at, attempt))
}

/// Runs `write` into the export's file and returns what was written.
///
/// - `Folder`: a new file with a unique name (`create_unique`), written in
///   place; on failure it is removed.
/// - `Chosen`: written to a new `<name>.partial` beside it, then renamed over
///   the chosen path, so that path only ever holds a complete file.
pub fn write_export(
    target: &ExportTarget,
    stem: &str,
    write: impl FnOnce(&mut BufWriter<File>) -> AppResult<u64>,
) -> AppResult<Exported> {
    let (file, written_to, final_path) = match target {
        ExportTarget::Folder(dir) => {
            let (file, path) = create_unique(dir, stem, Utc::now())
                .map_err(|e| file_error(&dir.display().to_string(), e))?;
            (file, path.clone(), path)
        }
        ExportTarget::Chosen(path) => {
            if !path.is_absolute() || path.file_name().is_none() {
                return Err(AppError::invalid("Choose where to save the CSV file"));
            }
            let dir = path.parent().unwrap_or(Path::new("/"));
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let (file, partial) = create_first_free(dir, |attempt| match attempt {
                1 => format!("{name}.partial"),
                n => format!("{name}.{n}.partial"),
            })
            .map_err(|e| file_error(&dir.display().to_string(), e))?;
            (file, partial, path.clone())
        }
    };
    let mut out = BufWriter::new(file);
    let result = write(&mut out).and_then(|rows| {
        out.into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .map_err(|e| file_error(&written_to.display().to_string(), e))?;
        if written_to != final_path {
            std::fs::rename(&written_to, &final_path)
                .map_err(|e| file_error(&final_path.display().to_string(), e))?;
        }
        Ok(rows)
    });
    match result {
        Ok(rows) => Ok(Exported {
            rows,
            file_name: final_path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            path: final_path.display().to_string(),
            partial_of: None,
            partial: false,
            oldest_fetched_at: None,
        }),
        Err(e) => {
            // Only the file this export created is removed.
            let _ = std::fs::remove_file(&written_to);
            Err(e)
        }
    }
}

fn file_error(where_: &str, e: io::Error) -> AppError {
    AppError::internal(format!("Could not write the CSV file ({where_}): {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn at() -> DateTime<Utc> {
        "2026-12-03T10:41:07.345Z".parse().unwrap()
    }

    #[test]
    fn names_carry_the_time_and_a_number_after_the_first() {
        assert_eq!(
            file_name(RTLS_STEM, at(), 1),
            "linkdesk-rtls-2026-12-03T10-41-07Z.csv"
        );
        assert_eq!(
            file_name(AUDIT_STEM, at(), 3),
            "linkdesk-audit-2026-12-03T10-41-07Z-3.csv"
        );
    }

    #[test]
    fn an_existing_file_is_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join(file_name(RTLS_STEM, at(), 1));
        std::fs::write(&first, "someone else's file").unwrap();
        let (mut f, path) = create_unique(dir.path(), RTLS_STEM, at()).unwrap();
        assert_eq!(path, dir.path().join(file_name(RTLS_STEM, at(), 2)));
        f.write_all(b"export").unwrap();
        assert_eq!(
            std::fs::read_to_string(&first).unwrap(),
            "someone else's file"
        );
    }

    #[test]
    fn a_failed_export_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = ExportTarget::Folder(dir.path().to_path_buf());
        let err = write_export(&target, RTLS_STEM, |out| {
            out.write_all(b"id\r\n").unwrap();
            Err(AppError::invalid("bad filter"))
        })
        .unwrap_err();
        assert_eq!(err.message, "bad filter");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        let chosen = ExportTarget::Chosen(dir.path().join("mine.csv"));
        write_export(&chosen, RTLS_STEM, |_| Err(AppError::invalid("no"))).unwrap_err();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_chosen_path_must_be_absolute() {
        let target = ExportTarget::Chosen(PathBuf::from("relative.csv"));
        let err = write_export(&target, RTLS_STEM, |_| Ok(0)).unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::InvalidInput);
    }
}
