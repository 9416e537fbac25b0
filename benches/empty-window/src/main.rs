//! The reference window of `scripts/bench-startup.sh`: Tauri 2 with one
//! window and a page holding one line of text on the colour the benchmark
//! looks for, and nothing else. Linkdesk's first rows are compared with it.

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the empty window could not start");
}
