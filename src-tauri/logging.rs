//! tracing to stderr and to `<log dir>/linkdesk.YYYY-MM-DD.log`: a new file
//! each day, the last `KEEP_DAYS` kept. Nothing logged carries a credential:
//! clients redact them in Debug and never log headers.
//!
//! The file is written by a background thread; `flush_at_exit` (called when
//! the app exits) waits for it to write the last lines.

use std::path::Path;
use std::sync::Mutex;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// How many daily log files are kept; older ones are deleted.
pub const KEEP_DAYS: usize = 14;
pub const FILE_PREFIX: &str = "linkdesk";
pub const FILE_SUFFIX: &str = "log";

/// The file writer's guard, dropped by `flush_at_exit`.
static GUARD: Mutex<Option<WorkerGuard>> = Mutex::new(None);

pub fn init(log_dir: &Path) {
    let filter = EnvFilter::try_from_env("LINKDESK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let (file_layer, guard) = match appender(log_dir) {
        Ok(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (
                Some(fmt::layer().with_ansi(false).with_writer(writer)),
                Some(guard),
            )
        }
        Err(e) => {
            eprintln!("Linkdesk: no log file in {}: {e}", log_dir.display());
            (None, None)
        }
    };
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(file_layer)
        .try_init()
        .is_ok();
    if installed {
        *GUARD.lock().unwrap_or_else(|p| p.into_inner()) = guard;
    }
}

fn appender(log_dir: &Path) -> Result<RollingFileAppender, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(log_dir)?;
    Ok(RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .filename_suffix(FILE_SUFFIX)
        .max_log_files(KEEP_DAYS)
        .build(log_dir)?)
}

/// Writes out every line logged so far and stops the file writer.
pub fn flush_at_exit() {
    tracing::info!("Linkdesk exiting");
    drop(GUARD.lock().unwrap_or_else(|p| p.into_inner()).take());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn daily_files_are_named_by_date_and_old_ones_pruned() {
        let dir = tempfile::tempdir().unwrap();
        // Older files of Linkdesk's, beyond what is kept, and one of someone else's.
        for day in 1..=KEEP_DAYS + 3 {
            let name = format!("{FILE_PREFIX}.2020-01-{day:02}.{FILE_SUFFIX}");
            std::fs::write(dir.path().join(name), "old\n").unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "keep\n").unwrap();
        let mut appender = appender(dir.path()).unwrap();
        writeln!(appender, "today").unwrap();
        appender.flush().unwrap();
        let today = chrono::Utc::now().format("%Y-%m-%d");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.contains(&format!("{FILE_PREFIX}.{today}.{FILE_SUFFIX}")),
            "{names:?}"
        );
        assert!(names.contains(&"notes.txt".to_string()));
        let logs = names.iter().filter(|n| n.starts_with(FILE_PREFIX)).count();
        assert_eq!(logs, KEEP_DAYS, "{names:?}");
    }
}
