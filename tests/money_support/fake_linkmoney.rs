//! A minimal Link Money on loopback whose records carry statuses the documents
//! do not list.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub struct FakeLinkMoney {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

fn answer(method: &str, path: &str) -> (u16, String) {
    let body = match (method, path) {
        ("POST", "/v1/tokens") => {
            r#"{"access_token":"fake-token","token_type":"Bearer","expires_in":3600,"scope":"Link-Core"}"#
        }
        ("GET", "/v1/customers/cus_frozen") => {
            r#"{"id":"cus_frozen","firstName":"Zoë","lastName":"Frost","email":"zoe@example.test","customerStatus":"FROZEN","creationDate":"2024-01-02T03:04:05Z"}"#
        }
        ("GET", "/v1/customers/cus_frozen/accounts") => {
            r#"{"customerId":"cus_frozen","accountDetails":[{"accountId":7,"financialInstitutionName":"Bank","accountLastFourDigits":"0007","accountType":"CHECKING","accountStatus":"PAUSED","preferred":true}]}"#
        }
        ("GET", "/v1/transactions/txn_settling") => {
            r#"{"transactionId":"txn_settling","transactionType":"DEBIT","customerId":"cus_frozen","transactionStatus":"SETTLING","amount":{"value":12.3,"currency":"USD"}}"#
        }
        ("GET", "/v1/transactions/txn_frozen_paid") => {
            r#"{"transactionId":"txn_frozen_paid","transactionType":"DEBIT","customerId":"cus_frozen","transactionStatus":"SUCCEEDED","amount":{"value":40,"currency":"USD"}}"#
        }
        ("GET", "/v1/payouts/po_reversed") => {
            r#"{"payoutId":"po_reversed","payoutStatus":"REVERSED","amount":{"value":5,"currency":"USD"}}"#
        }
        _ => {
            return (
                404,
                r#"{"errorId":404,"errorCode":"NOT_FOUND","errorMessage":"not found","errorSeverity":"ERROR"}"#
                    .into(),
            )
        }
    };
    (200, body.into())
}

impl FakeLinkMoney {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head = loop {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break (String::from_utf8_lossy(&buf[..end]).to_string(), end + 4);
                        }
                    };
                    let (head, body_start) = head;
                    // Read the whole body first: closing with unread bytes
                    // would reset the connection under the answer.
                    let length: usize = head
                        .to_ascii_lowercase()
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix("content-length:")
                                .map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while buf.len() < body_start + length {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let mut parts = head.split_whitespace();
                    let method = parts.next().unwrap_or_default().to_string();
                    let path = parts.next().unwrap_or_default().to_string();
                    let (status, body) = answer(&method, &path);
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        Self { addr, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stop(self) {
        self.task.abort();
    }
}
