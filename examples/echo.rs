//! An echo server and its clients over TCP.
//!
//! `cargo run --example echo` starts a server on a free loopback port, runs three clients
//! against it at once, prints what they got back, and shuts the server down by cancelling
//! its scope. `cargo run --example echo -- server 7000` runs just the server (stop it with
//! Ctrl-C); `cargo run --example echo -- client 127.0.0.1 7000 hello` is one client.
//! Add `--no-default-features --features smol` (or `async-std`) to run it on another backend.

use std::error::Error;

use anyio::net::{connect_tcp, create_tcp_listener, TcpStream};
use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError};
use anyio::{task_group, CancelScope};

type BoxError = Box<dyn Error + Send + Sync>;

/// Sends back everything a client sends, until it closes its side.
async fn echo(stream: TcpStream) {
    let peer = stream.peer_addr();
    let mut buf = vec![0; 4096];
    loop {
        match stream.receive_into(&mut buf).await {
            Ok(n) => {
                if let Err(error) = stream.send_all(&buf[..n]).await {
                    eprintln!("{peer}: {error}");
                    return;
                }
            }
            Err(StreamError::EndOfStream) => return,
            Err(error) => {
                eprintln!("{peer}: {error}");
                return;
            }
        }
    }
}

/// Sends `message`, half-closes, and collects the echo until the server closes.
async fn client(host: &str, port: u16, message: &str) -> Result<String, BoxError> {
    let stream = connect_tcp(host, port).await?;
    stream.send_all(message.as_bytes()).await?;
    stream.send_eof().await?;
    let mut echoed = Vec::new();
    loop {
        match stream.receive(4096).await {
            Ok(chunk) => echoed.extend_from_slice(&chunk),
            Err(StreamError::EndOfStream) => break,
            Err(error) => return Err(error.into()),
        }
    }
    Ok(String::from_utf8(echoed)?)
}

async fn demo() -> Result<(), BoxError> {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await?;
    let port = listener.local_addrs()[0].port();
    println!("echo server on 127.0.0.1:{port}");
    let server = CancelScope::new();
    let stop = server.handle();
    task_group(|tg| async move {
        tg.start_soon(async move {
            // Ends only when cancelled: every connection's task ends with it.
            server.run(listener.serve(echo)).await;
        })?;
        task_group(|clients| async move {
            for name in ["ada", "grace", "barbara"] {
                clients.start_soon(async move {
                    let echoed = client("127.0.0.1", port, &format!("hello from {name}")).await?;
                    println!("{name} got back {echoed:?}");
                    Ok::<_, BoxError>(())
                })?;
            }
            Ok::<_, BoxError>(())
        })
        .await
        .map_err(|error| format!("clients failed: {error:?}"))?;
        stop.cancel();
        Ok::<_, BoxError>(())
    })
    .await
    .map_err(|error| format!("{error:?}"))?;
    println!("server stopped");
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
            println!("listening on {:?}", listener.local_addrs());
            listener.serve(echo).await?;
            Ok(())
        }
        ["client", host, port, message] => {
            println!("{}", client(host, port.parse()?, message).await?);
            Ok(())
        }
        _ => Err("usage: echo [server PORT | client HOST PORT MESSAGE]".into()),
    }
}
