//! A loopback TCP proxy in front of the sandbox that reports the moment a
//! refund request (POST /v1/payments) passes, and either forwards it, holds
//! it back, or forwards it and loses its answer (closing the connection
//! instead). It never closes the sandbox side early, so a forwarded request
//! is processed even when its sender is killed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
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
    behaviour: Arc<Behaviour>,
}

/// What the proxy does with the refund requests it sees from now on.
#[derive(Default)]
struct Behaviour {
    hold: AtomicBool,
    /// How many more refund answers to lose.
    lose_answers: AtomicU32,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, forward: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, seen) = mpsc::unbounded_channel();
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let registry = tasks.clone();
        let behaviour = Arc::new(Behaviour::default());
        behaviour.hold.store(!forward, Ordering::SeqCst);
        let shared = behaviour.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let tx = tx.clone();
                let behaviour = shared.clone();
                let lose = Arc::new(AtomicBool::new(false));
                let lose_up = lose.clone();
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
                            holding |= behaviour.hold.load(Ordering::SeqCst);
                            let lost = behaviour.lose_answers.fetch_update(
                                Ordering::SeqCst,
                                Ordering::SeqCst,
                                |n| n.checked_sub(1),
                            );
                            if lost.is_ok() {
                                lose_up.store(true, Ordering::SeqCst);
                            }
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
                        if lose.load(Ordering::SeqCst) {
                            // The answer is lost: the sender's connection closes.
                            let _ = client_write.shutdown().await;
                            break;
                        }
                        let _ = client_write.write_all(&buf[..n]).await;
                    }
                });
                let mut t = registry.lock().unwrap();
                t.push(up);
                t.push(down);
            }
        });
        tasks.lock().unwrap().push(accept);
        Proxy {
            addr,
            seen,
            tasks,
            behaviour,
        }
    }

    /// Refund requests seen from now on are forwarded (true) or held back.
    pub fn forward(&self, on: bool) {
        self.behaviour.hold.store(!on, Ordering::SeqCst);
    }

    /// The answers to the next `n` refund requests are lost after Link Money
    /// made them.
    pub fn lose_answers(&self, n: u32) {
        self.behaviour.lose_answers.store(n, Ordering::SeqCst);
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
