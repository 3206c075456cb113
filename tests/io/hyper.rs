//! hyper on every backend (feature `hyper`): HTTP/1.1 and HTTP/2 over anyio TCP, with
//! `anyio::hyper_rt`'s executor and timer; shutdown by cancelling the server's scope; deadlines
//! from anyio's scopes and hyper's own timeouts on virtual time.
#![cfg(all(feature = "hyper", feature = "net"))]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyio::hyper_rt::{AnyioSleep, AnyioTimer, TaskGroupExecutor};
use anyio::net::{create_tcp_listener, TcpListener, TcpStream};
use anyio::streams::{ByteSendStream, Listener};
use anyio::{checkpoint, current_time, move_on_after, task_group, CancelScope, Event, SpawnError};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::rt::{Executor, Timer};
use hyper::service::service_fn;
use hyper::{Request, Response};

use crate::common;

use common::Flag;

type Reply = Result<Response<Full<Bytes>>, Infallible>;

async fn loopback_listener() -> TcpListener {
    create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap()
}

/// Answers with the request's path and body: `"<path> <body>"`.
async fn echo(request: Request<Incoming>) -> Reply {
    let path = request.uri().path().to_owned();
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let text = format!("{path} {}", String::from_utf8_lossy(&body));
    Ok(Response::new(Full::new(Bytes::from(text))))
}

fn request(path: &str, body: &'static str) -> Request<Full<Bytes>> {
    Request::post(path)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

async fn body_text(response: Response<Incoming>) -> String {
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

/// Keeps virtual time still until `until` is set: a task that is always runnable stops
/// autojump, so network round trips (during which every task waits on a socket) cannot let
/// the clock jump to a deadline before the exchange reached the point a test is about.
async fn hold_virtual_time(until: Arc<Event>) {
    while !until.is_set() {
        checkpoint().await;
    }
}

/// Counts the connection tasks alive; each holds one [`Live`] until it ends.
#[derive(Clone, Default)]
struct Connections(Arc<AtomicUsize>);

struct Live(Arc<AtomicUsize>);

impl Connections {
    fn open(&self) -> Live {
        self.0.fetch_add(1, Ordering::SeqCst);
        Live(self.0.clone())
    }

    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An HTTP/1.1 server: the accept loop and one task per connection, in one group.
async fn serve_http1(listener: TcpListener, connections: Connections) {
    // Only cancellation ends it (a spawn into the running group cannot fail).
    let _: Result<(), anyio::TaskGroupError<SpawnError>> = task_group(|tg| async move {
        loop {
            let stream = listener.accept().await.unwrap();
            let live = connections.open();
            tg.start_soon(async move {
                let _live = live;
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(AnyioTimer::new())
                    .serve_connection(stream, service_fn(echo))
                    .await;
            })?;
        }
    })
    .await;
}

#[anyio::test]
async fn http1_requests_on_one_keep_alive_connection() {
    let listener = loopback_listener().await;
    let address = listener.local_addrs()[0];
    let connections = Connections::default();
    let server = CancelScope::new();
    let shutdown = server.handle();
    let counted = connections.clone();
    task_group(|tg| async move {
        tg.start_soon(async move {
            server.run(serve_http1(listener, counted)).await;
        })?;
        let stream = TcpStream::connect(address).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(stream).await.unwrap();
        let client = tg.spawn(async move { Ok(connection.await.is_ok()) })?;
        for (path, body) in [("/one", "first"), ("/two", "second"), ("/three", "")] {
            // The connection takes the next request only once it finished the last one.
            sender.ready().await.unwrap();
            let response = sender.send_request(request(path, body)).await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(body_text(response).await, format!("{path} {body}"));
        }
        assert_eq!(connections.count(), 1, "all three went over one connection");
        drop(sender);
        assert_eq!(
            client.await,
            Ok(true),
            "the client's connection ends cleanly"
        );
        shutdown.cancel();
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn http2_multiplexes_requests_with_the_task_group_executor_and_timer() {
    let listener = loopback_listener().await;
    let address = listener.local_addrs()[0];
    task_group(|tg| async move {
        tg.start_soon(async move {
            let stream = listener.accept().await.unwrap();
            // hyper spawns each stream's task into the connection's own group.
            task_group(|streams| async move {
                hyper::server::conn::http2::Builder::new(TaskGroupExecutor::new(streams))
                    .timer(AnyioTimer::new())
                    .keep_alive_interval(Duration::from_secs(30))
                    .serve_connection(stream, service_fn(echo))
                    .await
                    .unwrap();
                Ok::<_, SpawnError>(())
            })
            .await
            .unwrap();
        })?;
        let stream = TcpStream::connect(address).await.unwrap();
        let (sender, connection) =
            hyper::client::conn::http2::Builder::new(TaskGroupExecutor::new(tg.clone()))
                .timer(AnyioTimer::new())
                .handshake(stream)
                .await
                .unwrap();
        tg.start_soon(async move { connection.await.unwrap() })?;
        let exchanges = (0..4).map(|i| {
            let mut sender = sender.clone();
            async move {
                let path = format!("/{i}");
                let response = sender.send_request(request(&path, "h2")).await.unwrap();
                assert_eq!(response.version(), hyper::Version::HTTP_2);
                assert_eq!(body_text(response).await, format!("{path} h2"));
            }
        });
        futures::future::join_all(exchanges).await;
        // The last sender gone, both connections end and the group with them.
        drop(sender);
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn cancelling_an_http2_server_drops_the_streams_its_executor_spawned() {
    let listener = loopback_listener().await;
    let address = listener.local_addrs()[0];
    let entered = Arc::new(Event::new());
    let dropped = Flag::new();
    let (handler_entered, handler_dropped) = (entered.clone(), dropped.clone());
    let not_yet_dropped = dropped.clone();
    let server = CancelScope::new();
    let shutdown = server.handle();
    task_group(|tg| async move {
        tg.start_soon(async move {
            let serving = async move {
                let stream = listener.accept().await.unwrap();
                let stuck = service_fn(move |_: Request<Incoming>| {
                    let (entered, guard) = (handler_entered.clone(), handler_dropped.on_drop());
                    async move {
                        let _guard = guard;
                        entered.set();
                        anyio::sleep_forever().await;
                        Reply::Ok(Response::new(Full::new(Bytes::new())))
                    }
                });
                task_group(|streams| async move {
                    let _ =
                        hyper::server::conn::http2::Builder::new(TaskGroupExecutor::new(streams))
                            .timer(AnyioTimer::new())
                            .serve_connection(stream, stuck)
                            .await;
                    Ok::<_, SpawnError>(())
                })
                .await
            };
            assert!(server.run(serving).await.is_none());
        })?;
        let stream = TcpStream::connect(address).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http2::Builder::new(TaskGroupExecutor::new(tg.clone()))
                .handshake(stream)
                .await
                .unwrap();
        tg.start_soon(async move {
            let _ = connection.await;
        })?;
        let request = tg.spawn(async move { Ok(sender.send_request(request("/", "")).await) })?;
        entered.wait().await;
        assert!(!not_yet_dropped.is_set());

        shutdown.cancel();
        // The handler ran in a task hyper spawned through the executor, inside the scope.
        let response = request.await.unwrap();
        assert!(response.is_err(), "the server went away mid-request");
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
    assert!(
        dropped.is_set(),
        "cancelling the server dropped the stream's handler"
    );
}

#[anyio::test]
async fn cancelling_the_server_scope_ends_the_accept_loop_and_every_connection() {
    let listener = loopback_listener().await;
    let address = listener.local_addrs()[0];
    let connections = Connections::default();
    let server = CancelScope::new();
    let shutdown = server.handle();
    let counted = connections.clone();
    let stopped = Arc::new(Event::new());
    let server_stopped = stopped.clone();
    task_group(|tg| async move {
        tg.start_soon(async move {
            assert_eq!(server.run(serve_http1(listener, counted)).await, None);
            server_stopped.set();
        })?;
        let stream = TcpStream::connect(address).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(stream).await.unwrap();
        let client = tg.spawn(async move { Ok(connection.await.is_ok()) })?;
        let response = sender.send_request(request("/", "hi")).await.unwrap();
        assert_eq!(body_text(response).await, "/ hi");
        assert_eq!(
            connections.count(),
            1,
            "the idle keep-alive connection is open"
        );

        shutdown.cancel();
        stopped.wait().await;
        assert_eq!(
            connections.count(),
            0,
            "no connection task outlives the scope"
        );
        // The server closed the idle connection: the client's side ends.
        assert_eq!(client.await, Ok(true));
        assert!(sender.is_closed());
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test(autojump)]
async fn move_on_after_abandons_a_request_and_the_server_drops_the_slow_handler() {
    let listener = loopback_listener().await;
    let address = listener.local_addrs()[0];
    let entered = Arc::new(Event::new());
    let dropped = Flag::new();
    let (handler_entered, handler_dropped) = (entered.clone(), dropped.clone());
    task_group(|tg| async move {
        tg.start_soon(async move {
            let stream = listener.accept().await.unwrap();
            // A handler that never answers: no timer of its own for autojump to reach, so
            // only hyper noticing the client gone can end it.
            let slow = service_fn(move |_: Request<Incoming>| {
                let (entered, guard) = (handler_entered.clone(), handler_dropped.on_drop());
                async move {
                    let _guard = guard;
                    entered.set();
                    anyio::sleep_forever().await;
                    Reply::Ok(Response::new(Full::new(Bytes::new())))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(stream, slow)
                .await;
        })?;
        tg.start_soon(hold_virtual_time(entered))?;

        let start = current_time();
        let response = move_on_after(Duration::from_secs(1), async {
            let stream = TcpStream::connect(address).await.unwrap();
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(stream).await.unwrap();
            let exchange = async move { sender.send_request(request("/", "")).await };
            futures::join!(exchange, connection).0
        })
        .await;
        assert!(response.is_none(), "the deadline ended the request");
        assert_eq!(current_time() - start, Duration::from_secs(1));
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
    // The group waited for the server, which saw the client go and dropped the handler.
    assert!(dropped.is_set(), "the handler was reached and then dropped");
}

#[anyio::test(autojump)]
async fn header_read_timeout_runs_on_the_anyio_clock() {
    let listener = loopback_listener().await;
    let address = listener.local_addrs()[0];
    let done = Arc::new(Event::new());
    let server_done = done.clone();
    task_group(|tg| async move {
        tg.start_soon(async move {
            let stream = listener.accept().await.unwrap();
            let start = current_time();
            let served = hyper::server::conn::http1::Builder::new()
                .timer(AnyioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .serve_connection(stream, service_fn(echo))
                .await;
            assert!(served.unwrap_err().is_timeout());
            // Virtual time: exactly the timeout, and no real time spent waiting.
            assert_eq!(current_time() - start, Duration::from_secs(30));
            server_done.set();
        })?;
        let stream = TcpStream::connect(address).await.unwrap();
        // Headers that never end, on a connection kept open until the server gave up.
        stream
            .send_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        done.wait().await;
        Ok::<_, SpawnError>(())
    })
    .await
    .unwrap();
}

#[anyio::test(autojump)]
async fn timer_sleeps_until_and_resets_on_virtual_time() {
    let timer = AnyioTimer::new();
    let start = timer.now();
    assert_eq!(start, current_time());

    timer.sleep(Duration::from_secs(5)).await;
    assert_eq!(current_time() - start, Duration::from_secs(5));

    timer.sleep_until(start + Duration::from_secs(8)).await;
    assert_eq!(current_time() - start, Duration::from_secs(8));

    let mut pending = timer.sleep_until(start + Duration::from_secs(9));
    timer.reset(&mut pending, start + Duration::from_secs(20));
    let ours = pending.as_mut().downcast_mut_pin::<AnyioSleep>();
    assert_eq!(
        ours.map(|sleep| sleep.deadline()),
        Some(Some(start + Duration::from_secs(20))),
        "reset kept anyio's sleep and moved its deadline"
    );
    pending.await;
    assert_eq!(current_time() - start, Duration::from_secs(20));

    // A sleep from elsewhere is replaced by one of anyio's.
    let mut foreign: std::pin::Pin<Box<dyn hyper::rt::Sleep>> = Box::pin(NeverSleep);
    timer.reset(&mut foreign, start + Duration::from_secs(25));
    assert!(foreign.is::<AnyioSleep>());
    foreign.await;
    assert_eq!(current_time() - start, Duration::from_secs(25));
}

/// A hyper sleep that is not anyio's.
struct NeverSleep;

impl std::future::Future for NeverSleep {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        std::task::Poll::Pending
    }
}

impl hyper::rt::Sleep for NeverSleep {}

#[anyio::test]
async fn executor_drops_a_future_the_finished_group_refuses() {
    let mut kept = None;
    task_group(|tg| {
        kept = Some(TaskGroupExecutor::new(tg));
        async { Ok::<_, ()>(()) }
    })
    .await
    .unwrap();
    let executor = kept.unwrap();
    let (ran, dropped) = (Flag::new(), Flag::new());
    let (ran_flag, guard) = (ran.clone(), dropped.on_drop());
    executor.execute(async move {
        let _guard = guard;
        ran_flag.set();
    });
    assert!(dropped.is_set(), "the refused future was dropped at once");
    assert!(!ran.is_set(), "and never polled");
}

#[test]
fn hyper_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<AnyioTimer>();
    assert_send_sync::<AnyioSleep>();
    assert_send_sync::<TaskGroupExecutor<SpawnError>>();
}
