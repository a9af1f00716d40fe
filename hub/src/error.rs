//! The hub's errors: [`HubError`] for starting and running it, [`ApiError`] for what a request
//! gets back (always an `ErrorBody` JSON with the matching status).
//!
//! Neither ever carries a request's content, a client's address, an idempotency key or a push
//! endpoint: messages are fixed text, ids and counts.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use silbato_proto::protocol::ErrorBody;

use crate::push::PushError;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("configuration: {reason}")]
    Config { reason: String },
    /// A document named in the configuration is missing or does not verify.
    #[error("{what} {path}: {reason}")]
    Document {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error("cannot listen on {listen}: {source}")]
    Bind {
        listen: String,
        source: std::io::Error,
    },
    #[error("storage: {0}")]
    Store(#[from] silbato_store::StoreError),
    #[error("push: {0}")]
    Push(#[from] PushError),
    #[error("runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// An error answer to one request.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retryable: bool,
    pub retry_after: Option<u64>,
    /// The finer stable reason (`ErrorBody::reason`), when there is one.
    pub reason: Option<&'static str>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retryable: false,
            retry_after: None,
            reason: None,
        }
    }

    /// The same error with a finer stable reason (`docs/protocol.md`).
    #[must_use]
    pub fn with_reason(mut self, reason: &'static str) -> ApiError {
        self.reason = Some(reason);
        self
    }

    /// The request took longer than the hub's whole-request timeout.
    pub fn timeout() -> ApiError {
        ApiError {
            retryable: true,
            ..ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request took too long; retry",
            )
        }
    }

    /// A storage quota is reached (the client's or the hub's): retry later.
    pub fn quota(retry_after: u64) -> ApiError {
        ApiError {
            retryable: true,
            retry_after: Some(retry_after),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "the hub holds as many reports as it may right now; retry later",
            )
        }
        .with_reason("quota")
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the request is not signed by a current dispatcher of this network",
        )
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "bad_request",
            "this method is not allowed here",
        )
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than the {limit}-byte limit"),
        )
    }

    pub fn rejected(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rejected", message)
    }

    pub fn rate_limited(retry_after: u64) -> ApiError {
        ApiError {
            retryable: true,
            retry_after: Some(retry_after),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests; retry later",
            )
        }
    }

    pub fn unavailable() -> ApiError {
        ApiError {
            retryable: true,
            retry_after: Some(5),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the hub cannot answer right now; retry later",
            )
        }
    }
}

impl From<silbato_store::StoreError> for ApiError {
    /// Storage trouble: logged by kind only (store errors carry no content), answered as 503.
    fn from(e: silbato_store::StoreError) -> ApiError {
        tracing::error!(error = %e, "storage error");
        ApiError::unavailable()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.to_owned(),
            message: self.message,
            retryable: self.retryable,
            reason: self.reason.map(str::to_owned),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
