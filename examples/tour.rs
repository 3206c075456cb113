//! A tour of anyio: each section shows one capability and prints what happened.
//!
//! Run it with `cargo run --example tour` (tokio, the default backend), or pick another
//! backend: `cargo run --example tour --no-default-features --features smol`.

use anyio::net::{connect_tcp, create_tcp_listener, TcpStream};
use anyio::streams::{BufferedByteReceiveStream, ByteSendStream, Listener};
use anyio::{
    current_backend, fail_after, finally, get_current_task, move_on_after, sleep, sleep_forever,
    task_group, CancelScope, Duration, SpawnError, TaskGroupError, TaskStatus,
};

#[anyio::main]
async fn main() {
    println!(
        "anyio tour, running on {}",
        current_backend().expect("a backend")
    );

    println!("\n-- task groups: children run concurrently; the group waits for all of them");
    let result = task_group(|tg| async move {
        for (name, delay) in [("slow", 30), ("fast", 10)] {
            tg.task().name(name).start_soon(async move {
                sleep(Duration::from_millis(delay)).await;
                println!("   {name} child finished after {delay} ms");
            })?;
        }
        Ok::<_, SpawnError>("body done")
    })
    .await;
    println!("   group returned {result:?}");

    println!("\n-- the first failure cancels the siblings; every error is collected");
    let result = task_group(|tg| async move {
        tg.start_soon(async {
            sleep(Duration::from_secs(3600)).await;
            println!("   never printed: this child is cancelled");
        })
        .unwrap();
        tg.start_soon(async {
            sleep(Duration::from_millis(5)).await;
            Err("database unreachable")
        })
        .unwrap();
        Ok(())
    })
    .await;
    assert_eq!(
        result,
        Err(TaskGroupError::Failed(vec!["database unreachable"]))
    );
    println!("   group returned {result:?}");

    println!("\n-- timeouts work on any future, including foreign ones");
    let gave_up = move_on_after(Duration::from_millis(10), std::future::pending::<()>()).await;
    println!("   move_on_after(10 ms, pending()) -> {gave_up:?}");
    let failed = fail_after(Duration::from_millis(10), sleep_forever()).await;
    println!(
        "   fail_after(10 ms, sleep_forever()) -> Err({})",
        failed.expect_err("sleep_forever cannot finish")
    );

    println!("\n-- a shielded scope finishes its work although its surroundings are cancelled");
    let outcome = move_on_after(Duration::from_millis(5), async {
        CancelScope::new()
            .shielded(true)
            .run(async {
                sleep(Duration::from_millis(20)).await;
                println!("   shielded work completed past the outer deadline");
            })
            .await;
        sleep(Duration::from_secs(3600)).await;
    })
    .await;
    println!("   outer scope -> {outcome:?}");

    println!("\n-- finally: async cleanup runs after cancellation");
    move_on_after(
        Duration::from_millis(5),
        finally(sleep_forever(), async {
            sleep(Duration::from_millis(5)).await;
            println!("   cleanup ran (it may await, bounded by its own timeouts)");
        }),
    )
    .await;

    println!("\n-- start: wait until a task reports it is ready, then keep it running");
    let result = task_group(|tg| async move {
        let port = tg
            .task()
            .name("server")
            .start(|status: TaskStatus<u16>| async move {
                sleep(Duration::from_millis(5)).await; // binding...
                status.started(8080);
                sleep_forever().await;
            })
            .await
            .expect("the server starts");
        println!("   server ready on port {port}");
        let handle = tg.spawn(async { Ok::<_, ()>(21 * 2) }).unwrap();
        println!("   a spawned task computed {:?}", handle.await);
        let me = get_current_task().unwrap();
        println!("   this is task {} ({:?})", me.id, me.name);
        tg.cancel();
        Ok::<_, ()>(())
    })
    .await;
    println!("   group returned {result:?} after cancelling the server");

    println!("\n-- streams and networking: a TCP listener serving each connection in a task");
    let listener = create_tcp_listener(Some("127.0.0.1"), 0)
        .await
        .expect("a listener");
    let port = listener.local_addrs()[0].port();
    let server = CancelScope::new();
    let stop = server.handle();
    task_group(|tg| async move {
        tg.start_soon(async move {
            server
                .run(listener.serve(|stream: TcpStream| async move {
                    let lines = BufferedByteReceiveStream::new(&stream);
                    if let Ok(name) = lines.receive_until(b"\n", 64).await {
                        let reply = format!("hello, {}\n", String::from_utf8_lossy(&name));
                        let _ = stream.send_all(reply.as_bytes()).await;
                    }
                }))
                .await;
        })?;
        // connect_tcp resolves the name and races IPv6 and IPv4 (RFC 8305).
        let client = connect_tcp("localhost", port).await.expect("connected");
        client.send_all(b"tour\n").await.expect("sent");
        let reply = BufferedByteReceiveStream::new(&client)
            .receive_until(b"\n", 64)
            .await
            .expect("a reply");
        println!("   the server said {:?}", String::from_utf8_lossy(&reply));
        stop.cancel();
        Ok::<_, SpawnError>(())
    })
    .await
    .expect("the server task group");
}
