//! What every route handler shares: reading a request body under a size limit, and running
//! storage work off the async threads.
//!
//! Owns the body limit and the drain: an oversized body is read (up to a bound) and dropped so
//! the client sees its `413`. Must never keep more than the limit in memory or log what it reads.

use std::pin::Pin;

use axum::body::HttpBody as _;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};

use crate::error::ApiError;

/// How much of an oversized body is read and dropped so the client can read its 413 answer
/// (closing on an unread body makes many clients see a reset instead).
const DRAIN_BYTES: usize = 1024 * 1024;

/// Reads the whole body, at most `limit` bytes; more is `413`.
pub async fn read_body(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > (limit + DRAIN_BYTES) as u64) {
        return Err(ApiError::too_large(limit));
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Err(_)) => return Err(ApiError::bad_request("the body could not be read")),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    seen = seen.saturating_add(data.len());
                    if seen > limit + DRAIN_BYTES {
                        return Err(ApiError::too_large(limit));
                    }
                    if seen <= limit {
                        buf.extend_from_slice(&data);
                    }
                }
            }
        }
    }
    if seen > limit {
        return Err(ApiError::too_large(limit));
    }
    Ok(Bytes::from(buf))
}

/// Runs storage or file work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::unavailable())?
}
