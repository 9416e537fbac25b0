//! Payments and refunds (POST /v1/payments with a Link-Payment token).
//!
//! A payment call is never retried here: moving money twice is worse than
//! not knowing. Instead each failure says what is known about delivery, and
//! the refund journal built on top retries only `Uncertain` with the same
//! `requestKey`, which Link Money rejects if the first attempt went through.

use reqwest::{Method, StatusCode};

use super::client::{LinkMoneyClient, SendError};
use super::errors::{self, DUPLICATE_REQUEST_KEY, SERVICE};
use super::tokens::Scope;
use super::types::{Party, PaymentBody, PaymentResult, RefundRequest};
use super::validate::validate_transfer;
use crate::error::{AppError, ErrorCode};
use crate::http;

/// How a payment or refund call failed, by what is known about its effect.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PaymentFailure {
    /// Provably not delivered (no token, connection refused, DNS, invalid
    /// URL, rate limited): nothing happened; sending again is safe.
    #[error("{0}")]
    NotSent(AppError),
    /// Sent, but the outcome is unknown (timeout, connection closed after
    /// sending, 5xx, unreadable success answer): it may have gone through.
    /// Retry with the same request key, never a new one.
    #[error("{0}")]
    Uncertain(AppError),
    /// The request key was already used: a payment with this key exists, so
    /// an earlier attempt went through.
    #[error("Link Money already has a payment with this request key")]
    DuplicateKey,
    /// Refused (validation, 4xx): nothing happened, and sending the same
    /// request again would be refused again.
    #[error("{0}")]
    Rejected(AppError),
}

impl PaymentFailure {
    /// The error as the UI sees it.
    pub fn app_error(&self) -> AppError {
        match self {
            PaymentFailure::NotSent(e)
            | PaymentFailure::Uncertain(e)
            | PaymentFailure::Rejected(e) => e.clone(),
            PaymentFailure::DuplicateKey => AppError::new(ErrorCode::Conflict, self.to_string()),
        }
    }
}

impl From<PaymentFailure> for AppError {
    fn from(f: PaymentFailure) -> Self {
        f.app_error()
    }
}

/// The request key of the `number`-th refund (1, 2, …) of payment
/// `payment_id` for merchant `merchant_id`: a name-based UUID (version 5,
/// SHA-1) in Linkdesk's refund namespace — the version-5 UUID of the name
/// `linkdesk:refund` in the URL namespace — over the JSON text
/// `["<merchant ID>","<payment ID>",<number>]`. Every seat computes the same
/// key for the same refund, so Link Money's "key already used" answer stops a
/// second refund #n of one payment wherever it comes from.
pub fn refund_request_key(merchant_id: &str, payment_id: &str, number: u32) -> String {
    let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"linkdesk:refund");
    let name = serde_json::json!([merchant_id, payment_id, number]).to_string();
    uuid::Uuid::new_v5(&namespace, name.as_bytes()).to_string()
}

impl LinkMoneyClient {
    /// A refund from this merchant to a customer.
    pub async fn send_refund(
        &self,
        request: &RefundRequest,
    ) -> Result<PaymentResult, PaymentFailure> {
        let descriptor = validate_transfer(
            &request.customer_id,
            &request.amount,
            request.soft_descriptor.as_deref(),
            &request.request_key,
        )
        .map_err(PaymentFailure::Rejected)?;
        let body = PaymentBody {
            source: self.merchant(),
            destination: customer(&request.customer_id),
            amount: request.amount.clone(),
            client_reference_id: non_empty(request.client_reference_id.as_deref()),
            soft_descriptor: descriptor,
            request_key: request.request_key.trim().to_string(),
        };
        self.post_payment(&body).await
    }

    fn merchant(&self) -> Party {
        Party {
            id: self.merchant_id.clone(),
            party_type: "MERCHANT",
        }
    }

    async fn post_payment(&self, body: &PaymentBody) -> Result<PaymentResult, PaymentFailure> {
        tracing::info!(
            request_key = %body.request_key,
            source = body.source.party_type,
            amount = %body.amount,
            "sending a Link Money payment"
        );
        let url = self
            .base
            .endpoint(&["v1", "payments"])
            .map_err(PaymentFailure::NotSent)?;
        let sent = self
            .send_authed(Scope::Payment, |t| {
                self.request(Method::POST, &url, t).json(body)
            })
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(SendError::Token(e)) => return Err(PaymentFailure::NotSent(e)),
            Err(SendError::Transport(e)) => return Err(classify_transport(&e)),
        };
        let status = resp.status();
        if status.is_success() {
            return http::read_json::<PaymentResult>(SERVICE, resp)
                .await
                .map_err(|e| PaymentFailure::Uncertain(uncertain(e)));
        }
        let err = errors::from_response(resp).await;
        Err(classify_status(
            status,
            err.error_code.as_deref(),
            err.error,
        ))
    }
}

fn customer(id: &str) -> Party {
    Party {
        id: id.trim().to_string(),
        party_type: "CUSTOMER",
    }
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// No connection means no delivery; once connected, any failure may have
/// happened after the service read the request.
fn classify_transport(err: &reqwest::Error) -> PaymentFailure {
    let app = http::transport_error(SERVICE, err);
    if err.is_connect() || err.is_builder() {
        PaymentFailure::NotSent(app)
    } else {
        PaymentFailure::Uncertain(uncertain(app))
    }
}

/// Says plainly that the money may have moved; the code stays as mapped.
fn uncertain(mut err: AppError) -> AppError {
    err.message = format!(
        "The request was sent, but no answer came back, so its outcome is unknown: it may have gone through (what happened: {})",
        err.message
    );
    err
}

fn classify_status(status: StatusCode, error_code: Option<&str>, err: AppError) -> PaymentFailure {
    if status == StatusCode::BAD_REQUEST && error_code == Some(DUPLICATE_REQUEST_KEY) {
        return PaymentFailure::DuplicateKey;
    }
    match status.as_u16() {
        // Turned away before any processing: sending later is safe.
        429 => PaymentFailure::NotSent(err),
        400..=499 => PaymentFailure::Rejected(err),
        _ => PaymentFailure::Uncertain(uncertain(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err() -> AppError {
        AppError::new(ErrorCode::InvalidInput, "x")
    }

    #[test]
    fn statuses_are_classified_by_what_is_known() {
        assert_eq!(
            classify_status(
                StatusCode::BAD_REQUEST,
                Some("DUPLICATE_REQUEST_KEY"),
                err()
            ),
            PaymentFailure::DuplicateKey
        );
        assert!(matches!(
            classify_status(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"), err()),
            PaymentFailure::Rejected(_)
        ));
        assert!(matches!(
            classify_status(StatusCode::FORBIDDEN, None, err()),
            PaymentFailure::Rejected(_)
        ));
        assert!(matches!(
            classify_status(StatusCode::TOO_MANY_REQUESTS, None, err()),
            PaymentFailure::NotSent(_)
        ));
        assert!(matches!(
            classify_status(StatusCode::INTERNAL_SERVER_ERROR, None, err()),
            PaymentFailure::Uncertain(_)
        ));
        assert!(matches!(
            classify_status(
                StatusCode::BAD_GATEWAY,
                Some("DUPLICATE_REQUEST_KEY"),
                err()
            ),
            PaymentFailure::Uncertain(_)
        ));
    }

    #[test]
    fn refund_keys_are_the_same_on_every_seat_and_differ_by_refund() {
        let k = refund_request_key("merchant_sandbox", "txn-1", 1);
        assert_eq!(k, refund_request_key("merchant_sandbox", "txn-1", 1));
        // Fixed for ever: other seats and older versions compute this key.
        assert_eq!(k, "c14c8195-7e68-583b-862b-74ad5562d2a1");
        assert_eq!(uuid::Uuid::parse_str(&k).unwrap().get_version_num(), 5);
        for other in [
            refund_request_key("merchant_sandbox", "txn-1", 2),
            refund_request_key("merchant_other", "txn-1", 1),
            refund_request_key("merchant_sandbox", "txn-2", 1),
            // No two (merchant, payment) pairs share a name.
            refund_request_key("merchant_sandbox\",\"txn", "1", 1),
        ] {
            assert_ne!(k, other);
        }
    }

    #[test]
    fn duplicate_key_reads_as_a_conflict() {
        assert_eq!(
            PaymentFailure::DuplicateKey.app_error().code,
            ErrorCode::Conflict
        );
    }
}
