//! Response bodies: a whole buffer, or a stream fed through a channel (logs, events, pull
//! progress). Also the small builders every handler uses (JSON, docker's error shape).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use hyper::{Response, StatusCode};
use tokio::sync::mpsc;

pub enum Body {
    Full(Option<Bytes>),
    Channel(mpsc::Receiver<Bytes>),
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Body::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::Channel(rx) => rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Body::Full(None) => SizeHint::with_exact(0),
            Body::Channel(_) => SizeHint::default(),
        }
    }
}

pub type Resp = Response<Body>;

/// An API failure: docker's status code and `{"message": ...}` body.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

pub type Result<T> = std::result::Result<T, ApiError>;

pub fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Body::Full(Some(body.into())));
    *r.status_mut() = status;
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

pub fn json(status: StatusCode, value: &serde_json::Value) -> Resp {
    respond(status, "application/json", value.to_string())
}

pub fn ok_json(value: serde_json::Value) -> Resp {
    json(StatusCode::OK, &value)
}

pub fn empty(status: StatusCode) -> Resp {
    let mut r = Response::new(Body::Full(None));
    *r.status_mut() = status;
    r
}

pub fn error(e: &ApiError) -> Resp {
    if e.status == StatusCode::NOT_MODIFIED {
        return empty(e.status);
    }
    json(e.status, &serde_json::json!({ "message": e.message }))
}

/// A streaming response: the returned sender feeds the body; dropping it ends the body.
pub fn stream(content_type: &str) -> (Resp, mpsc::Sender<Bytes>) {
    let (tx, rx) = mpsc::channel(64);
    let mut r = Response::new(Body::Channel(rx));
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    (r, tx)
}

/// Docker's multiplexed stream frame: `[stream, 0, 0, 0, len u32 BE] data`.
pub fn mux_frame(stream: u8, data: &[u8]) -> Bytes {
    let mut v = Vec::with_capacity(data.len() + 8);
    v.extend_from_slice(&[stream, 0, 0, 0]);
    v.extend_from_slice(&(data.len() as u32).to_be_bytes());
    v.extend_from_slice(data);
    Bytes::from(v)
}
