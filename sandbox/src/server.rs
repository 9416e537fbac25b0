//! The accept loop. Hand-rolled rather than `axum::serve` because two behaviours
//! need control over each connection: `--drop-after-commit-rate` closes a socket
//! without answering, and `stop` must close every open connection, idle
//! keep-alive ones included, so that clients then see "connection refused".
//! With a certificate and key the same loop serves HTTPS (TLS by rustls).

use std::{io, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use axum::Router;
use hyper::{body::Incoming, server::conn::http1, Request};
use hyper_util::rt::TokioIo;
use tokio::{
    net::{TcpListener, TcpSocket},
    sync::{watch, Notify},
    task::{JoinHandle, JoinSet},
};
use tokio_rustls::{
    rustls::{
        self,
        pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    },
    TlsAcceptor,
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

/// A TLS acceptor for the PEM certificate chain (leaf first) and key files.
pub fn tls_acceptor(cert: &Path, key: &Path) -> io::Result<TlsAcceptor> {
    let invalid = |what: &str, path: &Path, e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what} {}: {e}", path.display()),
        )
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid("no certificate in", cert, &e))?;
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| invalid("no private key in", key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| invalid("unusable certificate or key", cert, &e))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

pub fn serve(listener: TcpListener, app: Router, tls: Option<TlsAcceptor>) -> ServerHandle {
    let (shutdown, signal) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, app, tls, signal));
    ServerHandle { shutdown, task }
}

async fn accept_loop(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    mut signal: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop_requested(&mut signal) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let conn = (remote, app.clone(), signal.clone());
                    match tls.clone() {
                        None => connections.spawn(serve_connection(stream, conn)),
                        Some(tls) => connections.spawn(async move {
                            // A client that fails the handshake (it does not trust
                            // the certificate) or stalls in it loses its connection.
                            let handshake = tokio::time::timeout(Duration::from_secs(10), tls.accept(stream));
                            if let Ok(Ok(stream)) = handshake.await {
                                serve_connection(stream, conn).await;
                            }
                        }),
                    };
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

async fn serve_connection<S>(
    stream: S,
    (remote, app, mut signal): (SocketAddr, Router, watch::Receiver<bool>),
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
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
