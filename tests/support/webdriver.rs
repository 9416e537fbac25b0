//! A small W3C WebDriver client over HTTP. Each `App` starts its own
//! tauri-driver on free ports with its own data directory, and stops both the
//! app and the driver when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// One window at a time: the machine running the tests has two cores.
pub static WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long a wait for something on screen may take before the test fails.
const WAIT: Duration = Duration::from_secs(30);

pub struct App {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    pub data_dir: tempfile::TempDir,
}

#[derive(Clone, Debug)]
pub struct El(pub String);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Fails loudly when the end-to-end environment is missing, so a run can never
/// pass without them. `LINKDESK_E2E=skip` is the only way to leave them out.
pub fn e2e_enabled() -> bool {
    if std::env::var("LINKDESK_E2E").as_deref() == Ok("skip") {
        eprintln!("LINKDESK_E2E=skip: end-to-end test NOT run");
        return false;
    }
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "end-to-end tests need a display: run them through scripts/test.sh (which starts Xvfb)"
    );
    true
}

pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e");
    std::fs::create_dir_all(&dir).expect("target/e2e is writable");
    dir
}

impl App {
    /// Launches the app with these extra environment variables.
    pub async fn launch(env: &[(&str, String)]) -> App {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let native = free_port();
        let mut cmd = Command::new("tauri-driver");
        // Its own process group, so the driver, WebKitWebDriver and the app
        // all stop together even when a test fails half-way.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .env("LINKDESK_DATA_DIR", data_dir.path())
        // No update check unless a test serves one.
        .env("LINKDESK_UPDATE_URL", "off")
        // WebKit's compositor stays on, as on a machine with a GPU: the
        // WebDriver screenshot never answers for a page drawn without it,
        // which Linkdesk chooses on a machine without one
        // (`NO_GPU_WEBKIT`; the installer test and the start-up benchmark
        // run the app that way).
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let driver = cmd
            .spawn()
            .expect("tauri-driver must be installed (scripts/setup.sh installs it)");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let mut app = App {
            driver,
            base,
            session: String::new(),
            http,
            data_dir,
        };
        let deadline = Instant::now() + WAIT;
        while app
            .http
            .get(format!("{}/status", app.base))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "tauri-driver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {
            "application": env!("CARGO_BIN_EXE_linkdesk")
        }}}});
        let v = app.raw("POST", "/session", Some(caps)).await;
        app.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        app
    }

    async fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{}", self.base, path);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or(json!({}))),
        };
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("webdriver {path}: {e}"));
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        v["value"].clone()
    }

    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.raw(method, &format!("/session/{}{}", self.session, path), body)
            .await
    }

    /// Runs `script` in the window; `arguments[0..]` are `args`.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    pub async fn find_all(&self, css: &str) -> Vec<El> {
        let v = self
            .cmd(
                "POST",
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str())
                    .map(|s| El(s.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits for a *visible* element matching `css`.
    pub async fn wait(&self, css: &str) -> El {
        self.wait_until(css, |_| true).await
    }

    pub async fn wait_until(&self, css: &str, ok: impl Fn(&str) -> bool) -> El {
        let deadline = Instant::now() + WAIT;
        loop {
            for el in self.find_all(css).await {
                if self.displayed(&el).await && ok(&self.text(&el).await) {
                    return el;
                }
            }
            if Instant::now() > deadline {
                self.screenshot(&format!("timeout-{}", sanitize(css))).await;
                panic!("nothing visible matched {css} in time");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `check` (a JS expression returning a boolean) is true.
    pub async fn wait_js(&self, what: &str, check: &str) {
        let deadline = Instant::now() + WAIT;
        while self.js(&format!("return !!({check});"), vec![]).await != json!(true) {
            if Instant::now() > deadline {
                self.screenshot(&format!("timeout-{}", sanitize(what)))
                    .await;
                panic!("timed out waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn displayed(&self, el: &El) -> bool {
        self.cmd("GET", &format!("/element/{}/displayed", el.0), None)
            .await
            == json!(true)
    }

    pub async fn text(&self, el: &El) -> String {
        self.cmd("GET", &format!("/element/{}/text", el.0), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn attr(&self, el: &El, name: &str) -> Option<String> {
        self.cmd("GET", &format!("/element/{}/attribute/{name}", el.0), None)
            .await
            .as_str()
            .map(str::to_string)
    }

    pub async fn enabled(&self, el: &El) -> bool {
        self.cmd("GET", &format!("/element/{}/enabled", el.0), None)
            .await
            == json!(true)
    }

    /// Clicks like a person. A table row is clicked on its first cell, as a
    /// person would: WebKitWebDriver finds a bare `<tr>` not interactable.
    pub async fn click(&self, el: &El) {
        let v = self.try_click(el).await;
        assert!(v.get("error").is_none(), "click refused: {v}");
    }

    async fn try_click(&self, el: &El) -> Value {
        let tag = self
            .cmd("GET", &format!("/element/{}/name", el.0), None)
            .await;
        let target = if tag.as_str().is_some_and(|t| t.eq_ignore_ascii_case("tr")) {
            let cell = self
                .cmd(
                    "POST",
                    &format!("/element/{}/element", el.0),
                    Some(json!({"using": "css selector", "value": "td"})),
                )
                .await;
            cell[ELEMENT_KEY]
                .as_str()
                .map(|s| El(s.to_string()))
                .unwrap_or_else(|| el.clone())
        } else {
            el.clone()
        };
        self.cmd(
            "POST",
            &format!("/element/{}/click", target.0),
            Some(json!({})),
        )
        .await
    }

    /// Waits for a visible element matching `css` and clicks it. A view that
    /// renders again between the find and the click (Settings does, once its
    /// environments arrive) is found again rather than failing the test.
    pub async fn click_on(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let el = self.wait(css).await;
            let v = self.try_click(&el).await;
            let stale = v["error"] == json!("stale element reference");
            // Covered for a moment (a toast, a view still laying out) or
            // scrolled out of its container: brought into view and tried
            // again, as a person would scroll and click.
            let covered = v["error"] == json!("element not interactable");
            if (!stale && !covered) || Instant::now() > deadline {
                if v.get("error").is_some() {
                    self.screenshot(&format!("refused-{}", sanitize(css))).await;
                }
                assert!(v.get("error").is_none(), "click on {css} refused: {v}");
                return;
            }
            if covered {
                self.js(
                    "arguments[0].scrollIntoView({block: 'center'});",
                    vec![json!({ELEMENT_KEY: el.0})],
                )
                .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn type_into(&self, el: &El, text: &str) {
        self.cmd(
            "POST",
            &format!("/element/{}/value", el.0),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub async fn clear(&self, el: &El) {
        self.cmd("POST", &format!("/element/{}/clear", el.0), Some(json!({})))
            .await;
    }

    /// Picks an <option> of a <select> by value and fires `change`, as a person would.
    pub async fn select_value(&self, css: &str, value: &str) {
        self.wait(css).await;
        self.js(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![json!(css), json!(value)],
        )
        .await;
    }

    /// Presses a key on the page (no element focused).
    pub async fn press(&self, key: &str) {
        self.js(
            "document.activeElement && document.activeElement.blur(); document.dispatchEvent(new KeyboardEvent('keydown', {key: arguments[0], bubbles: true}));",
            vec![json!(key)],
        )
        .await;
    }

    /// Presses and releases a key where the focus is, as a person would: real
    /// key events through WebDriver's actions API (`key` is a character, or
    /// a WebDriver key code such as "\u{E007}" for Enter).
    pub async fn key(&self, key: &str) {
        let actions = json!({"actions": [{
            "type": "key", "id": "keyboard",
            "actions": [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        }]});
        self.cmd("POST", "/actions", Some(actions)).await;
        self.cmd("DELETE", "/actions", None).await;
    }

    /// Presses `key` while `modifier` is held (e.g. Control "\u{E009}" and
    /// "k" for Ctrl+K): one keystroke, as real key events.
    pub async fn chord(&self, modifier: &str, key: &str) {
        let actions = json!({"actions": [{
            "type": "key", "id": "keyboard",
            "actions": [
                {"type": "keyDown", "value": modifier}, {"type": "keyDown", "value": key},
                {"type": "keyUp", "value": key}, {"type": "keyUp", "value": modifier}
            ]
        }]});
        self.cmd("POST", "/actions", Some(actions)).await;
        self.cmd("DELETE", "/actions", None).await;
    }

    /// Moves the pointer to (x, y) of the viewport and, with `click`, clicks
    /// there: real pointer events (hover, a click on a dialog's backdrop).
    pub async fn pointer_at(&self, x: i64, y: i64, click: bool) {
        let mut steps = vec![
            json!({"type": "pointerMove", "duration": 0, "origin": "viewport", "x": x, "y": y}),
        ];
        if click {
            steps.push(json!({"type": "pointerDown", "button": 0}));
            steps.push(json!({"type": "pointerUp", "button": 0}));
        }
        let actions = json!({"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": steps
        }]});
        let v = self.cmd("POST", "/actions", Some(actions)).await;
        assert!(v.get("error").is_none(), "pointer refused: {v}");
    }

    /// Sets the window's outer size, in CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Saves a PNG of the window under target/e2e/.
    pub async fn screenshot(&self, name: &str) {
        use base64::Engine;
        let v = self.cmd("GET", "/screenshot", None).await;
        if let Some(b64) = v.as_str() {
            if let Ok(png) = base64::engine::general_purpose::STANDARD.decode(b64) {
                let _ = std::fs::write(screenshot_dir().join(format!("{name}.png")), png);
            }
        }
    }

    /// Closes the window; `Drop` then stops the driver's whole process group.
    pub async fn quit(self) {
        let _ = self
            .raw("DELETE", &format!("/session/{}", self.session), None)
            .await;
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
