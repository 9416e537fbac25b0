//! A loopback TCP proxy in front of the sandbox that reports the moment a
//! refund request (POST /v1/payments) passes, and either forwards it or holds
//! it back. It never closes the sandbox side early, so a forwarded request is
//! processed even when its sender is killed.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const MARKER: &[u8] = b"POST /v1/payments";

pub struct Proxy {
    addr: SocketAddr,
    seen: mpsc::UnboundedReceiver<()>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, forward: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, seen) = mpsc::unbounded_channel();
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let registry = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let tx = tx.clone();
                let up = tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    let mut tail: Vec<u8> = Vec::new();
                    let mut holding = false;
                    loop {
                        let n = match client_read.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        tail.extend_from_slice(&buf[..n]);
                        if tail.windows(MARKER.len()).any(|w| w == MARKER) {
                            let _ = tx.send(());
                            holding |= !forward;
                            tail.clear();
                        } else if tail.len() > MARKER.len() {
                            tail.drain(..tail.len() - MARKER.len());
                        }
                        if !holding && server_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    // The sender is gone; the sandbox side stays open so
                    // that what it received is processed to the end.
                    std::future::pending::<()>().await;
                    drop(server_write);
                });
                let down = tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match server_read.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let _ = client_write.write_all(&buf[..n]).await;
                    }
                });
                let mut t = registry.lock().unwrap();
                t.push(up);
                t.push(down);
            }
        });
        tasks.lock().unwrap().push(accept);
        Proxy { addr, seen, tasks }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn wait_for_refund_request(&mut self) {
        tokio::time::timeout(std::time::Duration::from_secs(60), self.seen.recv())
            .await
            .expect("the child sent no refund within 60 s")
            .expect("the proxy stopped");
    }

    pub fn stop(self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}
