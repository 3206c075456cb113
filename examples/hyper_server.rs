//! An HTTP/1.1 server on hyper and anyio, and a client talking to it, in one program.
//!
//! `cargo run --example hyper_server --features hyper` starts the server on a free loopback
//! port, sends it two requests over one keep-alive connection, prints the replies, and shuts
//! the server down by cancelling its scope; then it exits. The same code runs on every
//! backend: add `--no-default-features --features hyper,smol` (or `hyper,async-std`).

use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;

use anyio::hyper_rt::AnyioTimer;
use anyio::net::{create_tcp_listener, TcpListener, TcpStream};
use anyio::streams::Listener;
use anyio::{fail_after, task_group, CancelScope, Duration, TaskGroup};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};

type BoxError = Box<dyn Error + Send + Sync>;

/// Greets the path it was asked for.
async fn hello(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let reply = format!("hello from {}\n", request.uri().path());
    Ok(Response::new(Full::new(Bytes::from(reply))))
}

/// The accept loop: one task per connection, all in one group, so cancelling the scope this
/// runs in ends every connection too.
async fn serve(listener: TcpListener) -> Result<(), BoxError> {
    task_group(|connections: TaskGroup<BoxError>| async move {
        loop {
            let stream = listener.accept().await?;
            connections.start_soon(async move {
                let served = hyper::server::conn::http1::Builder::new()
                    .timer(AnyioTimer::new())
                    // A client that stalls mid-headers is dropped after this long.
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(stream, service_fn(hello))
                    .await;
                // A connection's error ends only its own task.
                if let Err(error) = served {
                    eprintln!("connection: {error}");
                }
            })?;
        }
    })
    .await
    .map_err(|error| format!("server: {error:?}").into())
}

/// Two requests over one connection, the whole exchange bounded by a deadline.
async fn client(address: SocketAddr) -> Result<(), BoxError> {
    fail_after(Duration::from_secs(10), async {
        let stream = TcpStream::connect(address).await?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(stream).await?;
        // The connection is driven beside the requests; dropping `sender` ends it.
        let requests = async move {
            for path in ["/", "/anyio"] {
                sender.ready().await?;
                let request = Request::get(path).body(Full::new(Bytes::new()))?;
                let response = sender.send_request(request).await?;
                let status = response.status();
                let body = response.into_body().collect().await?.to_bytes();
                print!("GET {path} -> {status}: {}", String::from_utf8_lossy(&body));
            }
            Ok::<_, BoxError>(())
        };
        let (requests, connection) = futures::join!(requests, connection);
        requests?;
        connection?;
        Ok(())
    })
    .await?
}

fn main() -> Result<(), BoxError> {
    anyio::run(async {
        let listener = create_tcp_listener(Some("127.0.0.1"), 0).await?;
        let address = listener.local_addrs()[0];
        println!("serving on http://{address}");
        let server = CancelScope::new();
        let shutdown = server.handle();
        task_group(|tg| async move {
            tg.start_soon(async move {
                // `None`: the scope was cancelled, which is how this server stops.
                if let Some(Err(error)) = server.run(serve(listener)).await {
                    eprintln!("{error}");
                }
            })?;
            let result = client(address).await;
            shutdown.cancel();
            result
        })
        .await
        .map_err(|error| format!("{error:?}"))?;
        println!("server stopped");
        Ok(())
    })
}
