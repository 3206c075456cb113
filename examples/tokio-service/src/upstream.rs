//! A stand-in for an upstream quote service: answers every request with a fixed quote after a
//! fixed delay. Plain tokio + hyper, nothing from anyio.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use hyper::StatusCode;
use tokio::net::TcpListener;

/// Binds a loopback port and serves `quote` there, after `delay`, on a detached tokio task
/// that lives as long as the runtime. Returns the address.
///
/// # Errors
///
/// Binding the port failed.
pub async fn spawn(quote: &str, delay: Duration) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let quote = Bytes::from(quote.to_owned());
    tokio::spawn(crate::serve_http(listener, move |_request| {
        let quote = quote.clone();
        async move {
            tokio::time::sleep(delay).await;
            crate::text(StatusCode::OK, quote)
        }
    }));
    Ok(addr)
}
