//! A line protocol over TCP, framed with `BufferedByteReceiveStream::receive_until`.
//!
//! A tiny key-value server: `SET key value`, `GET key` and `QUIT`, one command per line, one
//! reply per line. A line longer than 1 KiB gets `ERR line too long` and the connection
//! closes (`DelimiterNotFound`). `cargo run --example line_protocol` runs the server and a
//! scripted client in one process, on the default backend.

use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex};

use anyio::net::{connect_tcp, create_tcp_listener, TcpStream};
use anyio::streams::{BufferedByteReceiveStream, ByteSendStream, Listener, StreamError};
use anyio::{task_group, CancelScope};

type BoxError = Box<dyn Error + Send + Sync>;
type Store = Arc<Mutex<HashMap<String, String>>>;

const MAX_LINE: usize = 1024;

fn execute(store: &Store, line: &str) -> Option<String> {
    let mut words = line.splitn(3, ' ');
    let reply = match (words.next(), words.next(), words.next()) {
        (Some("SET"), Some(key), Some(value)) => {
            store.lock().unwrap().insert(key.into(), value.into());
            "OK".to_owned()
        }
        (Some("GET"), Some(key), None) => match store.lock().unwrap().get(key) {
            Some(value) => format!("VALUE {value}"),
            None => "NOT FOUND".to_owned(),
        },
        (Some("QUIT"), None, None) => return None,
        _ => format!("ERR unknown command {line:?}"),
    };
    Some(reply)
}

/// Serves one connection: a line in, a line out.
async fn session(store: Store, stream: TcpStream) -> Result<(), StreamError> {
    let reader = BufferedByteReceiveStream::new(&stream);
    loop {
        let line = match reader.receive_until(b"\n", MAX_LINE).await {
            Ok(line) => line,
            Err(StreamError::DelimiterNotFound { .. }) => {
                return stream.send_all(b"ERR line too long\n").await;
            }
            // The client left without QUIT.
            Err(StreamError::EndOfStream | StreamError::IncompleteRead) => return Ok(()),
            Err(error) => return Err(error),
        };
        let line = String::from_utf8_lossy(&line);
        match execute(&store, line.trim_end_matches('\r')) {
            Some(reply) => stream.send_all(format!("{reply}\n").as_bytes()).await?,
            None => return stream.send_all(b"BYE\n").await,
        }
    }
}

/// Sends each command and prints the server's reply line.
async fn client(port: u16, commands: &[String]) -> Result<(), BoxError> {
    let stream = connect_tcp("127.0.0.1", port).await?;
    let reader = BufferedByteReceiveStream::new(&stream);
    for command in commands {
        stream.send_all(format!("{command}\n").as_bytes()).await?;
        let reply = reader.receive_until(b"\n", MAX_LINE).await?;
        let shown: String = command.chars().take(40).collect();
        println!("> {shown}\n< {}", String::from_utf8_lossy(&reply));
    }
    Ok(())
}

#[anyio::main]
async fn main() -> Result<(), BoxError> {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await?;
    let port = listener.local_addrs()[0].port();
    let store = Store::default();
    let server = CancelScope::new();
    let stop = server.handle();
    task_group(|tg| async move {
        tg.start_soon(async move {
            server
                .run(listener.serve(move |stream| {
                    let store = store.clone();
                    async move {
                        if let Err(error) = session(store, stream).await {
                            eprintln!("session failed: {error}");
                        }
                    }
                }))
                .await;
        })?;
        let script = ["SET language rust", "GET language", "GET missing", "QUIT"];
        client(port, &script.map(String::from)).await?;
        // Too long for one line: the server says so and hangs up.
        client(port, &["SET big ".to_owned() + &"x".repeat(2 * MAX_LINE)]).await?;
        stop.cancel();
        Ok::<_, BoxError>(())
    })
    .await
    .map_err(|error| format!("{error:?}"))?;
    Ok(())
}
