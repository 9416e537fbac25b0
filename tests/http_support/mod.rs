//! A loopback HTTP server that records the request line of everything sent
//! to it, exactly as it arrived, and answers 404 in both services' error
//! shapes (and a token to `POST …/v1/tokens`, so Link Money calls go out) —
//! or, made with `Recorder::answering`, one canned answer to everything else:
//! a broken or hostile server.
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

pub struct Recorder {
    addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Recorder {
    pub async fn start() -> Self {
        Self::serve(None).await
    }

    /// A server that answers every request (but a token request) with `canned`.
    pub async fn answering(canned: Canned) -> Self {
        Self::serve(Some(Arc::new(canned))).await
    }

    async fn serve(canned: Option<Arc<Canned>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = lines.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(answer(socket, seen, canned.clone()));
            }
        });
        Self { addr, lines, task }
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

async fn answer(mut socket: TcpStream, seen: Arc<Mutex<Vec<String>>>, canned: Option<Arc<Canned>>) {
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
    let token_request = method == "POST" && target.ends_with("/v1/tokens");
    if let (Some(c), false) = (canned, token_request) {
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
