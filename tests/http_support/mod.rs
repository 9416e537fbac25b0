//! A loopback HTTP server that records the request line of everything sent
//! to it, exactly as it arrived, and answers 404 in both services' error
//! shapes (and a token to `POST …/v1/tokens`, so Link Money calls go out) —
//! or, made with `Recorder::answering`, one canned answer to everything else:
//! a broken or hostile server; or, made with `Recorder::files`, a plain file
//! server (an update endpoint).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const NOT_FOUND: &str = r#"{"statusCode":404,"message":"recorded","error":"Not Found","errorCode":"NOT_FOUND","errorMessage":"recorded"}"#;
const TOKEN: &str = r#"{"access_token":"recorder-token","token_type":"Bearer","expires_in":3600}"#;

/// What a hostile server answers: a status line, extra header lines, a body,
/// and whether it declares the body's length (without, it streams the body
/// and closes the connection).
#[derive(Clone)]
pub struct Canned {
    pub status: &'static str,
    pub headers: String,
    pub body: Vec<u8>,
    pub declare_length: bool,
}

/// How a `Recorder` answers.
enum Mode {
    Services,
    Canned(Canned),
    /// `GET path` answers these bytes; anything else is 404.
    Files(Mutex<Vec<(String, Vec<u8>)>>),
}

pub struct Recorder {
    addr: SocketAddr,
    mode: Arc<Mode>,
    lines: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Recorder {
    pub async fn start() -> Self {
        Self::serve(Mode::Services).await
    }

    /// A server that answers `GET path` with the bytes given for that path.
    pub async fn files(files: Vec<(String, Vec<u8>)>) -> Self {
        Self::serve(Mode::Files(Mutex::new(files))).await
    }

    /// A file server's `path` answers `bytes` from now on.
    pub fn put(&self, path: &str, bytes: Vec<u8>) {
        let Mode::Files(files) = &*self.mode else {
            panic!("only a file server has files");
        };
        let mut files = files.lock().unwrap();
        files.retain(|(p, _)| p != path);
        files.push((path.to_string(), bytes));
    }

    /// A server that answers every request (but a token request) with `canned`.
    pub async fn answering(canned: Canned) -> Self {
        Self::serve(Mode::Canned(canned)).await
    }

    async fn serve(mode: Mode) -> Self {
        let mode = Arc::new(mode);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = lines.clone();
        let serving = mode.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(answer(socket, seen, serving.clone()));
            }
        });
        Self {
            addr,
            mode,
            lines,
            task,
        }
    }

    /// The base URL, with `path` (e.g. "/prefix") after the address.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// "METHOD target" of every request so far, in arrival order.
    pub fn requests(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

async fn answer(mut socket: TcpStream, seen: Arc<Mutex<Vec<String>>>, mode: Arc<Mode>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(str::to_string)
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < end + 4 + length {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let mut request_line = head.lines().next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default();
    let target = request_line.next().unwrap_or_default();
    seen.lock().unwrap().push(format!("{method} {target}"));
    if let Mode::Files(files) = &*mode {
        let file = files
            .lock()
            .unwrap()
            .iter()
            .find(|(path, _)| path == target)
            .map(|(_, bytes)| bytes.clone());
        let (status, body) = match file {
            Some(bytes) if method == "GET" => ("200 OK", bytes),
            _ => ("404 Not Found", b"not here".to_vec()),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let _ = socket.write_all(head.as_bytes()).await;
        let _ = socket.write_all(&body).await;
        let _ = socket.shutdown().await;
        return;
    }
    let token_request = method == "POST" && target.ends_with("/v1/tokens");
    if let (Mode::Canned(c), false) = (&*mode, token_request) {
        let length = if c.declare_length {
            format!("content-length: {}\r\n", c.body.len())
        } else {
            String::new()
        };
        let head = format!(
            "HTTP/1.1 {}\r\ncontent-type: application/json\r\n{length}{}connection: close\r\n\r\n",
            c.status, c.headers
        );
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for part in c.body.chunks(64 * 1024) {
            if socket.write_all(part).await.is_err() {
                return; // the client stopped reading
            }
        }
        let _ = socket.shutdown().await;
        return;
    }
    let (status, body) = if token_request {
        ("200 OK", TOKEN)
    } else {
        ("404 Not Found", NOT_FOUND)
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}
