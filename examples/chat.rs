//! A chat server: every line a client sends goes to every other client.
//!
//! The server is `create_tcp_listener` + `serve`, one task per connection; each client has a
//! bounded memory object stream as its outbox, drained to its socket by a writer task, so a
//! slow reader never holds up the others (a full outbox drops that client's copy).
//! `cargo run --example chat` runs the server and three scripted clients in one process;
//! `cargo run --example chat -- server 7000` runs just the server (try `nc 127.0.0.1 7000`).

use std::collections::HashMap;
use std::error::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyio::net::{connect_tcp, create_tcp_listener, TcpStream};
use anyio::streams::memory::TrySendError;
use anyio::streams::{
    BufferedByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError,
};
use anyio::{create_memory_object_stream, task_group, CancelScope, Event, MemorySendStream};

type BoxError = Box<dyn Error + Send + Sync>;

/// The outboxes of everyone connected, by client number.
#[derive(Default)]
struct Room {
    members: Mutex<HashMap<u64, MemorySendStream<String>>>,
    next_id: AtomicU64,
}

impl Room {
    fn broadcast(&self, from: u64, line: &str) {
        for (&id, outbox) in self.members.lock().unwrap().iter() {
            if id == from {
                continue;
            }
            // A client that is leaving has no writer any more (`Broken`): nothing to report.
            if let Err(TrySendError::WouldBlock(_)) = outbox.try_send(format!("{line}\n")) {
                eprintln!("guest{id} is too slow: a message was dropped");
            }
        }
    }
}

async fn session(room: Arc<Room>, stream: TcpStream) -> Result<(), StreamError> {
    let stream = Arc::new(stream);
    let id = room.next_id.fetch_add(1, Ordering::Relaxed);
    let name = format!("guest{id}");
    let (outbox, inbox) = create_memory_object_stream::<String>(64);
    room.members.lock().unwrap().insert(id, outbox);
    room.broadcast(id, &format!("* {name} joined"));
    let outcome = task_group(|tg| {
        let (room, stream) = (room.clone(), stream.clone());
        async move {
            // The writer drains the outbox to the socket; it ends once the outbox is removed
            // from the room (its only sender gone).
            let writer = stream.clone();
            tg.start_soon(async move {
                let sent = async {
                    while let Ok(line) = inbox.receive().await {
                        writer.send_all(line.as_bytes()).await?;
                    }
                    writer.send_eof().await
                };
                match sent.await {
                    // The client hung up while lines were still on their way to it: it left.
                    Err(StreamError::BrokenResource(_)) => Ok(()),
                    other => other,
                }
            })
            .expect("the group is open while its body runs");
            let reader = BufferedByteReceiveStream::new(&*stream);
            let result = loop {
                match reader.receive_until(b"\n", 4096).await {
                    Ok(line) => {
                        let text = String::from_utf8_lossy(&line);
                        room.broadcast(id, &format!("<{name}> {}", text.trim_end()));
                    }
                    Err(StreamError::EndOfStream | StreamError::IncompleteRead) => break Ok(()),
                    Err(error) => break Err(error),
                }
            };
            room.members.lock().unwrap().remove(&id);
            room.broadcast(id, &format!("* {name} left"));
            result
        }
    })
    .await;
    outcome.map_err(|error| {
        error
            .errors()
            .first()
            .cloned()
            .unwrap_or(StreamError::ClosedResource)
    })
}

/// A scripted client: says `lines`, then leaves once it has heard `expect` chat lines (join
/// and leave notices are not counted).
async fn bot(
    port: u16,
    lines: &[&str],
    expect: usize,
    ready: &Event,
    go: &Event,
) -> Result<Vec<String>, BoxError> {
    let stream = connect_tcp("127.0.0.1", port).await?;
    let reader = BufferedByteReceiveStream::new(&stream);
    ready.set();
    go.wait().await;
    for line in lines {
        stream.send_all(format!("{line}\n").as_bytes()).await?;
    }
    let mut heard = Vec::new();
    while heard.len() < expect {
        let line = reader.receive_until(b"\n", 4096).await?;
        let line = String::from_utf8_lossy(&line).into_owned();
        if line.starts_with('<') {
            heard.push(line);
        }
    }
    Ok(heard)
}

async fn demo() -> Result<(), BoxError> {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await?;
    let port = listener.local_addrs()[0].port();
    let room = Arc::new(Room::default());
    let server = CancelScope::new();
    let stop = server.handle();
    task_group(|tg| async move {
        tg.start_soon(async move {
            server
                .run(listener.serve(move |stream| {
                    let room = room.clone();
                    async move {
                        if let Err(error) = session(room, stream).await {
                            eprintln!("session ended: {error}");
                        }
                    }
                }))
                .await;
        })?;
        let go = Arc::new(Event::new());
        let scripts: [(&str, &[&str]); 3] = [
            ("ada", &["hello, everyone"]),
            ("grace", &["hi ada", "bugs are moths"]),
            ("barbara", &["abstraction!"]),
        ];
        task_group(|bots| async move {
            let mut joined = Vec::new();
            for (name, lines) in scripts {
                let ready = Arc::new(Event::new());
                joined.push(ready.clone());
                let (go, ready_here) = (go.clone(), ready.clone());
                // Each bot hears every line but its own.
                let others: usize = scripts
                    .iter()
                    .filter(|(n, _)| *n != name)
                    .map(|(_, l)| l.len())
                    .sum();
                bots.start_soon(async move {
                    let heard = bot(port, lines, others, &ready_here, &go).await?;
                    println!("{name} heard {heard:?}");
                    Ok::<_, BoxError>(())
                })?;
                ready.wait().await;
            }
            go.set();
            Ok::<_, BoxError>(())
        })
        .await
        .map_err(|error| format!("bots failed: {error:?}"))?;
        stop.cancel();
        Ok::<_, BoxError>(())
    })
    .await
    .map_err(|error| format!("{error:?}"))?;
    Ok(())
}

#[anyio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => demo().await,
        ["server", port] => {
            let listener = create_tcp_listener(None, port.parse()?).await?;
            println!("chat server on {:?}", listener.local_addrs());
            let room = Arc::new(Room::default());
            listener
                .serve(move |stream| {
                    let room = room.clone();
                    async move {
                        let _ = session(room, stream).await;
                    }
                })
                .await?;
            Ok(())
        }
        _ => Err("usage: chat [server PORT]".into()),
    }
}
