//! tracing to stderr and to `<data dir>/logs/linkdesk.log`. Nothing logged
//! carries a credential: clients redact them in Debug and never log headers.

use std::path::Path;

use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// Keeps the file writer flushing until the app exits.
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

pub fn init(data_dir: &Path) -> LogGuard {
    let filter = EnvFilter::try_from_env("LINKDESK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let dir = data_dir.join("logs");
    let file = std::fs::create_dir_all(&dir)
        .ok()
        .map(|_| tracing_appender::rolling::never(&dir, "linkdesk.log"));
    let (file_layer, guard) = match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (
                Some(fmt::layer().with_ansi(false).with_writer(writer)),
                Some(guard),
            )
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(file_layer)
        .try_init();
    LogGuard(guard)
}
