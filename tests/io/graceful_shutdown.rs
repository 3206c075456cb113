//! Graceful shutdown of servers: `Listener::serve` (TCP, TLS) and hyper connections stop
//! taking new work when their task group is asked to shut down, finish what is in flight, and
//! are cancelled only when the grace period ends.
#![cfg(all(feature = "hyper", feature = "net"))]

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{connect_tcp, create_tcp_listener, TcpStream};
use anyio::streams::{ByteReceiveStream, ByteSendStream, Listener};
use anyio::{
    fail_after, sleep, task_group, with_graceful_shutdown, Event, SpawnError, TaskGroupError,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};

use crate::common::Flag;

/// Waits until connecting to `port` is refused: the server closed its listener. A connection
/// made before that (the kernel queues it) is dropped, and the server may see it end at once.
async fn refused_soon(port: u16) {
    fail_after(Duration::from_secs(20), async {
        while let Ok(stray) = connect_tcp("127.0.0.1", port).await {
            drop(stray);
            sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the listener closed");
}

#[anyio::test]
async fn serve_closes_the_listener_and_lets_in_flight_handlers_finish() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = listener.local_addrs()[0].port();
    let (in_flight, release) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let (started, finish) = (in_flight.clone(), release.clone());
    let served = task_group(|server| async move {
        let serving = server.spawn(async move {
            let result = listener
                .serve(move |stream: TcpStream| {
                    let (started, finish) = (started.clone(), finish.clone());
                    async move {
                        // A connection made while the listener was closing may end at once.
                        let Ok(request) = stream.receive(64).await else {
                            return;
                        };
                        started.set();
                        finish.wait().await;
                        stream.send_all(&request).await.unwrap();
                    }
                })
                .await;
            result.is_ok()
        })?;
        let client = connect_tcp("127.0.0.1", port).await.unwrap();
        client.send_all(b"in flight").await.unwrap();
        in_flight.wait().await;

        server.shutdown(Duration::from_secs(30));
        refused_soon(port).await;
        release.set();
        assert_eq!(client.receive(64).await.unwrap(), b"in flight");
        assert_eq!(
            serving.await,
            Ok(true),
            "serve returned Ok(()) after its handlers"
        );
        Ok::<_, SpawnError>("stopped")
    })
    .await;
    assert_eq!(served, Ok("stopped"));
}

#[anyio::test]
async fn a_handler_that_outlives_the_grace_period_is_cancelled() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = listener.local_addrs()[0].port();
    let in_flight = Arc::new(Event::new());
    let started = in_flight.clone();
    let handler_cancelled = Flag::new();
    let dropped = handler_cancelled.clone();
    let served = task_group(|server| async move {
        server.start_soon(async move {
            let _ = listener
                .serve(move |_stream: TcpStream| {
                    let (started, dropped) = (started.clone(), dropped.clone());
                    async move {
                        let _guard = dropped.on_drop();
                        started.set();
                        anyio::sleep_forever().await;
                    }
                })
                .await;
        })?;
        let _client = connect_tcp("127.0.0.1", port).await.unwrap();
        in_flight.wait().await;
        server.shutdown(Duration::from_millis(50));
        anyio::sleep_forever().await;
        Ok::<(), SpawnError>(())
    })
    .await;
    assert_eq!(served, Err(TaskGroupError::Cancelled));
    assert!(handler_cancelled.is_set());
}

type Reply = Result<Response<Full<Bytes>>, Infallible>;

/// `/slow` waits for `release`; anything else answers at once.
async fn route(request: Request<Incoming>, started: Arc<Event>, release: Arc<Event>) -> Reply {
    if request.uri().path() == "/slow" {
        started.set();
        release.wait().await;
    }
    Ok(Response::new(Full::new(Bytes::from("done"))))
}

#[anyio::test]
async fn a_hyper_server_finishes_the_request_in_flight_then_closes_its_connections() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let address = listener.local_addrs()[0];
    let (in_flight, release) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let (started, finish) = (in_flight.clone(), release.clone());
    let served = task_group(|server| async move {
        server.start_soon(async move {
            listener
                .serve(move |stream: TcpStream| {
                    let (started, finish) = (started.clone(), finish.clone());
                    async move {
                        let service = service_fn(move |request| {
                            route(request, started.clone(), finish.clone())
                        });
                        let connection = hyper::server::conn::http1::Builder::new()
                            .serve_connection(stream, service);
                        let _ = with_graceful_shutdown(connection, |connection: Pin<&mut _>| {
                            connection.graceful_shutdown();
                        })
                        .await;
                    }
                })
                .await
                .unwrap();
        })?;

        // One client with a request in flight, one idle keep-alive connection.
        let (mut busy, busy_connection) =
            hyper::client::conn::http1::handshake(TcpStream::connect(address).await.unwrap())
                .await
                .unwrap();
        let busy_closed = server.spawn(async move { busy_connection.await.is_ok() })?;
        let (mut idle, idle_connection) =
            hyper::client::conn::http1::handshake(TcpStream::connect(address).await.unwrap())
                .await
                .unwrap();
        let idle_closed = server.spawn(async move { idle_connection.await.is_ok() })?;
        let warm_up = idle.send_request(Request::get("/").body(Empty::<Bytes>::new()).unwrap());
        assert_eq!(warm_up.await.unwrap().status(), 200);
        let slow = server.spawn(async move {
            let response = busy
                .send_request(Request::get("/slow").body(Empty::<Bytes>::new()).unwrap())
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, body)
        })?;
        in_flight.wait().await;

        server.shutdown(Duration::from_secs(30));
        assert_eq!(
            idle_closed.await,
            Ok(true),
            "the idle connection closes at once"
        );
        refused_soon(address.port()).await;
        release.set();
        assert_eq!(slow.await, Ok((200, Bytes::from("done"))));
        assert_eq!(
            busy_closed.await,
            Ok(true),
            "then its connection closes cleanly"
        );
        Ok::<_, SpawnError>("stopped")
    })
    .await;
    assert_eq!(served, Ok("stopped"));
}
