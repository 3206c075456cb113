//! [hyper](https://docs.rs/hyper) on every backend (feature `hyper`): an
//! [executor](TaskGroupExecutor) that spawns into a task group and a [timer](AnyioTimer) on
//! anyio's clock. Every anyio byte stream already implements `hyper::rt::{Read, Write}`, so
//! it can be handed to hyper's connection builders directly.
//!
//! # Serving
//!
//! A server is an accept loop in a task group, with one child task per connection running
//! `serve_connection`. Since nothing is detached, stopping the server hard is cancelling the
//! scope it runs in: the accept loop and every connection are dropped (closing their sockets,
//! and dropping the handlers' futures mid-request), and the scope returns once all of them
//! ended. To stop it gently, call [`TaskGroup::shutdown`](crate::TaskGroup::shutdown) on the
//! server's group and run each connection under
//! [`with_graceful_shutdown`](crate::with_graceful_shutdown) with hyper's
//! `graceful_shutdown`: the accept loop (`Listener::serve`, or one that awaits
//! [`shutdown_requested`](crate::shutdown_requested)) stops, each connection finishes the
//! response in flight and closes, and what is left when the grace period ends is cancelled. A connection's error ends only its own task; a handler that needs a deadline wraps
//! its work in [`fail_after`](crate::fail_after) or [`move_on_after`](crate::move_on_after),
//! and a client bounds a request the same way.
//!
//! HTTP/1.1 needs the timer only for its timeouts (`header_read_timeout`). HTTP/2 needs the
//! executor (hyper spawns a task per stream) and the timer: pass
//! [`TaskGroupExecutor::new(tg)`](TaskGroupExecutor::new) of the connection's group to
//! `http2::Builder::new`, so the streams belong to the group too.
//!
//! # Examples
//!
//! An HTTP/1.1 server, a client request, and a graceful shutdown:
//!
//! ```
//! # anyio_core::run(async {
//! use std::convert::Infallible;
//! use std::error::Error;
//!
//! use anyio_core::hyper_rt::AnyioTimer;
//! use anyio_core::net::{create_tcp_listener, TcpListener, TcpStream};
//! use anyio_core::streams::Listener;
//! use anyio_core::{task_group, CancelScope, TaskGroup};
//! use bytes::Bytes;
//! use http_body_util::{BodyExt, Empty, Full};
//! use hyper::body::Incoming;
//! use hyper::service::service_fn;
//! use hyper::{Request, Response};
//!
//! type BoxError = Box<dyn Error + Send + Sync>;
//!
//! async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from("hello"))))
//! }
//!
//! async fn serve(listener: TcpListener) -> Result<(), BoxError> {
//!     task_group(|connections: TaskGroup<BoxError>| async move {
//!         loop {
//!             let stream = listener.accept().await?;
//!             connections.start_soon(async move {
//!                 let served = hyper::server::conn::http1::Builder::new()
//!                     .timer(AnyioTimer::new())
//!                     .serve_connection(stream, service_fn(hello))
//!                     .await;
//!                 if let Err(error) = served {
//!                     eprintln!("connection: {error}"); // ends this connection only
//!                 }
//!             })?;
//!         }
//!     })
//!     .await
//!     .map_err(|error| format!("server: {error:?}").into())
//! }
//!
//! let listener = create_tcp_listener(Some("127.0.0.1"), 0).await?;
//! let address = listener.local_addrs()[0];
//! let server = CancelScope::new();
//! let shutdown = server.handle();
//! task_group(|tg| async move {
//!     tg.start_soon(async move {
//!         // `None` once the scope is cancelled: the server stopped.
//!         server.run(serve(listener)).await;
//!     })?;
//!
//!     let stream = TcpStream::connect(address).await?;
//!     let (mut sender, connection) = hyper::client::conn::http1::handshake(stream).await?;
//!     tg.start_soon(async move {
//!         let _ = connection.await;
//!     })?;
//!     let response = sender.send_request(Request::new(Empty::<Bytes>::new())).await?;
//!     let body = response.into_body().collect().await?.to_bytes();
//!     assert_eq!(body, "hello");
//!
//!     // Graceful shutdown: the accept loop and the open connection end; the client's
//!     // connection then sees the server close it, and the group ends.
//!     shutdown.cancel();
//!     Ok::<_, BoxError>(())
//! })
//! .await
//! .map_err(|error| format!("{error:?}"))?;
//! # Ok::<_, BoxError>(())
//! # }).unwrap();
//! ```

mod executor;
mod timer;

pub use executor::TaskGroupExecutor;
pub use timer::{AnyioSleep, AnyioTimer};
