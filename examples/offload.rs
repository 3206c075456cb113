//! Blocking work off the event loop, and a child process, under structured concurrency.
//!
//! - lists and hashes this crate's source files on worker threads with `anyio::to_thread`, at
//!   most `HASHERS` at once through a `CapacityLimiter`;
//! - runs `uname -sr` with `anyio::run_process` (Unix), collecting its output;
//! - every worker reports progress through a memory object stream to one printer task, which
//!   ends on its own once every sender is gone;
//! - all of it in one task group: the first failure would cancel the rest, and nothing
//!   outlives the group.
//!
//! Run it with `cargo run --example offload` (tokio, the default backend), or on another
//! backend: `cargo run --example offload --no-default-features --features smol`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyio::sync::CapacityLimiter;
use anyio::to_thread::{self, ToThread};
use anyio::{create_memory_object_stream, current_backend, task_group, MemorySendStream};

/// How many files are hashed at once.
const HASHERS: usize = 4;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What the workers tell the printer.
#[derive(Debug)]
enum Progress {
    Hashed {
        path: PathBuf,
        bytes: usize,
        hash: u64,
    },
    Command {
        line: String,
        output: String,
    },
}

/// FNV-1a, 64 bits: a small, well-known non-cryptographic hash, enough to fingerprint files.
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// Every `.rs` file under `dir`, sorted: plain blocking `std::fs`, so it runs on a worker
/// thread.
fn rust_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Reads and hashes `path` on a worker thread holding one of `limiter`'s tokens, and reports
/// it. `running` counts the hashers at work, to show the limit holds.
async fn hash_file(
    path: PathBuf,
    limiter: Arc<CapacityLimiter>,
    running: Arc<AtomicUsize>,
    progress: MemorySendStream<Progress>,
) -> Result<(), Error> {
    let (path, bytes, hash) = ToThread::new()
        .limiter(&limiter)
        .run_sync(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            assert!(now <= HASHERS, "the limiter lets at most {HASHERS} run");
            let contents = std::fs::read(&path);
            running.fetch_sub(1, Ordering::SeqCst);
            contents.map(|contents| (path, contents.len(), fnv1a(&contents)))
        })
        .await?;
    progress
        .send(Progress::Hashed { path, bytes, hash })
        .await?;
    Ok(())
}

/// Runs `uname -sr` and reports its output.
#[cfg(unix)]
async fn describe_system(progress: MemorySendStream<Progress>) -> Result<(), Error> {
    use anyio::process::Command;

    let mut uname = Command::new("uname");
    uname.arg("-sr").check(true);
    let done = anyio::run_process(&uname).await?;
    let output = String::from_utf8_lossy(&done.stdout).trim().to_owned();
    let line = "uname -sr".to_owned();
    progress.send(Progress::Command { line, output }).await?;
    Ok(())
}

#[cfg(not(unix))]
async fn describe_system(progress: MemorySendStream<Progress>) -> Result<(), Error> {
    let (line, output) = ("(none)".to_owned(), "subprocesses need Unix".to_owned());
    progress.send(Progress::Command { line, output }).await?;
    Ok(())
}

#[anyio::main]
async fn main() -> Result<(), Error> {
    println!(
        "offload example, running on {}",
        current_backend().expect("a backend")
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = root.join("anyio-core").join("src");
    let files = to_thread::run_sync(move || rust_files(&sources)).await?;
    println!("hashing {} files, {HASHERS} at a time", files.len());

    let limiter = Arc::new(CapacityLimiter::new(HASHERS));
    let running = Arc::new(AtomicUsize::new(0));
    let (progress, reports) = create_memory_object_stream::<Progress>(16);

    let summary = task_group(|tg| async move {
        // The printer: while the group runs, the only task that writes to stdout. It ends when
        // every sender is gone (each worker owns a clone; the original is dropped below) and
        // hands back what it collected.
        let total = files.len();
        let printer = tg.spawn(async move {
            let mut hashed: Vec<(usize, u64, PathBuf)> = Vec::with_capacity(total);
            while let Ok(report) = reports.receive().await {
                match report {
                    Progress::Hashed { path, bytes, hash } => {
                        hashed.push((bytes, hash, path));
                        if hashed.len() % 25 == 0 || hashed.len() == total {
                            println!("  {:>4}/{total} files hashed", hashed.len());
                        }
                    }
                    Progress::Command { line, output } => println!("  $ {line}: {output}"),
                }
            }
            Ok(hashed)
        })?;

        tg.start_soon(describe_system(progress.clone()))?;
        for path in files {
            let (limiter, running) = (Arc::clone(&limiter), Arc::clone(&running));
            tg.start_soon(hash_file(path, limiter, running, progress.clone()))?;
        }
        drop(progress);

        Ok::<_, Error>(printer.await?)
    })
    .await;

    let mut hashed = summary.map_err(|error| format!("offload failed: {error}"))?;
    hashed.sort_unstable_by_key(|(bytes, ..)| std::cmp::Reverse(*bytes));
    println!("the largest files:");
    for (bytes, hash, path) in hashed.iter().take(3) {
        let shown = path.strip_prefix(root).unwrap_or(path);
        println!("  {hash:016x}  {bytes:>6} B  {}", shown.display());
    }
    let total_bytes: usize = hashed.iter().map(|(bytes, ..)| bytes).sum();
    // XOR does not depend on the order the hashers finished in.
    let combined = hashed.iter().fold(0, |all, (_, hash, _)| all ^ hash);
    println!(
        "hashed {} files, {total_bytes} bytes; combined fingerprint {combined:016x}",
        hashed.len()
    );
    Ok(())
}
