//! The accept loop. Hand-rolled rather than `axum::serve` because two behaviours
//! need control over each connection: `--drop-after-commit-rate` closes a socket
//! without answering, and `stop` must close every open connection, idle
//! keep-alive ones included, so that clients then see "connection refused".

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use hyper::{body::Incoming, server::conn::http1, Request};
use hyper_util::rt::TokioIo;
use tokio::{
    net::{TcpListener, TcpSocket, TcpStream},
    sync::{watch, Notify},
    task::{JoinHandle, JoinSet},
};
use tower::ServiceExt;

/// What the middleware needs to know about the connection a request came on.
#[derive(Clone)]
pub struct ConnInfo {
    pub remote: SocketAddr,
    /// Notified to close this connection without writing anything more.
    pub kill: Arc<Notify>,
}

pub struct ServerHandle {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ServerHandle {
    pub async fn stop(self) {
        // Ignored error: the loop has already ended if nobody listens.
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Binds with SO_REUSEADDR so that a sandbox can be restarted on the port a
/// stopped one used, even while its closed connections sit in TIME_WAIT.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

pub fn serve(listener: TcpListener, app: Router) -> ServerHandle {
    let (shutdown, signal) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, app, signal));
    ServerHandle { shutdown, task }
}

async fn accept_loop(listener: TcpListener, app: Router, mut signal: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop_requested(&mut signal) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    connections.spawn(serve_connection(stream, remote, app.clone(), signal.clone()));
                }
                // Out of descriptors or similar: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    mut signal: watch::Receiver<bool>,
) {
    let kill = Arc::new(Notify::new());
    let info = ConnInfo {
        remote,
        kill: kill.clone(),
    };
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(info.clone());
        app.clone().oneshot(request.map(axum::body::Body::new))
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    // Dropping the connection future closes the socket, whatever it was doing.
    tokio::select! {
        _ = connection => {}
        _ = kill.notified() => {}
        _ = stop_requested(&mut signal) => {}
    }
}

async fn stop_requested(signal: &mut watch::Receiver<bool>) {
    // The sender only disappears when the Sandbox is dropped without `stop`,
    // which by contract leaves it serving.
    if signal.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}
