//! A one-request HTTP/1 client on a `tokio::net::TcpStream`: what the service uses to call
//! its upstreams, and what the demo and the tests use to call the service.

use std::error::Error;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper::{header, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Any error a request can end with (connecting, HTTP, a body that is not UTF-8).
pub type BoxError = Box<dyn Error + Send + Sync>;

/// Sends `GET path` to `addr` on a new connection and returns the status and the body.
///
/// # Errors
///
/// Connecting failed, the HTTP exchange failed, or the body is not UTF-8.
///
/// # Cancellation
///
/// Dropping the future closes the connection at once: the connection is driven inside this
/// future, not by a detached task that would outlive the call.
pub async fn get(addr: SocketAddr, path: &str) -> Result<(StatusCode, String), BoxError> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    let request = Request::get(path)
        .header(header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let exchange = async move {
        let response = sender.send_request(request).await?;
        // No second request: the connection finishes once this response has been read.
        drop(sender);
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok::<_, hyper::Error>((status, body))
    };
    let ((status, body), ()) = tokio::try_join!(exchange, connection)?;
    Ok((status, String::from_utf8(body.to_vec())?))
}
