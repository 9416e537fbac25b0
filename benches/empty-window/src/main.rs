//! The reference window of `scripts/bench-startup.sh`: Tauri 2 with one
//! window and a page holding one line of text on the colour the benchmark
//! looks for, and nothing else. Linkdesk's first rows are compared with it.
//!
//! With `LINKDESK_BENCH_SHOW_WHEN_LOADED` set, the window is created hidden
//! and shown once its page has loaded, as Linkdesk shows its own
//! (`startup::open_window`); unset, it is Tauri's default window.

use tauri::webview::PageLoadEvent;

fn main() {
    let show_when_loaded = std::env::var_os("LINKDESK_BENCH_SHOW_WHEN_LOADED").is_some();
    tauri::Builder::default()
        .setup(move |app| {
            let config = app.config().app.windows[0].clone();
            tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?
                .visible(!show_when_loaded)
                .on_page_load(|window, page| {
                    if page.event() == PageLoadEvent::Finished {
                        let _ = window.show();
                    }
                })
                .build()?;
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the empty window could not start");
}
