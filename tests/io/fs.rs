//! Files and paths (DESIGN §9): `open_file`/`AsyncFile` and the async `Path` round-trip real
//! files in a temporary directory on every backend, and errors keep their path.
#![cfg(feature = "fs")]

use std::io::{ErrorKind, SeekFrom};

use anyio::fs::{open_file, AsyncFile, FsError, OpenOptions, Path};
use anyio::{current_backend, move_on_after, CancelScope, Duration};
use futures::{StreamExt, TryStreamExt};

/// A fresh directory under the system temp dir, unique to this test and backend, removed
/// when dropped.
struct TempDir(Path);

impl TempDir {
    async fn new(test: &str) -> TempDir {
        let backend = current_backend().map(|b| b.to_string()).unwrap_or_default();
        let dir = Path::new(std::env::temp_dir())
            .join(format!("anyio-fs-{test}-{backend}-{}", std::process::id()));
        let _ = dir.remove_dir_all().await;
        dir.create_dir_all().await.unwrap();
        TempDir(dir)
    }

    fn join(&self, name: &str) -> Path {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[anyio::test]
async fn write_then_read_back_through_path() {
    let dir = TempDir::new("path-round-trip").await;
    let file = dir.join("data.bin");
    let bytes: Vec<u8> = (0..=255).cycle().take(200_000).collect();
    file.write(&bytes).await.unwrap();
    assert_eq!(file.read().await.unwrap(), bytes);
    assert_eq!(file.metadata().await.unwrap().len(), 200_000);
    assert!(file.exists().await && file.is_file().await && !file.is_dir().await);

    let text = dir.join("text.txt");
    text.write("héllo\n").await.unwrap();
    assert_eq!(text.read_to_string().await.unwrap(), "héllo\n");
    let error = file.read_to_string().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidData);
}

#[anyio::test]
async fn async_file_read_write_seek_and_truncate() {
    let dir = TempDir::new("file-ops").await;
    let path = dir.join("file.txt");
    let mut file = open_file(
        &path,
        OpenOptions::new().read(true).write(true).create_new(true),
    )
    .await
    .unwrap();
    assert_eq!(file.path(), path.as_std_path());
    file.write_all(b"hello world").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(file.seek(SeekFrom::Start(6)).await.unwrap(), 6);
    let mut buf = [0; 3];
    assert_eq!(file.read(&mut buf).await.unwrap(), 3);
    assert_eq!(&buf, b"wor");
    assert_eq!(file.read_to_end().await.unwrap(), b"ld");
    let mut empty = [0; 8];
    assert_eq!(file.read(&mut empty).await.unwrap(), 0, "end of file");

    file.set_len(5).await.unwrap();
    file.sync_all().await.unwrap();
    file.sync_data().await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 5);
    file.seek(SeekFrom::Start(0)).await.unwrap();
    assert_eq!(file.read_to_string().await.unwrap(), "hello");
    drop(file);

    // create_new refuses an existing file.
    let error = open_file(&path, OpenOptions::new().write(true).create_new(true))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AlreadyExists);
    assert_eq!(error.path(), path.as_std_path());
}

#[anyio::test]
async fn append_and_create_shortcuts() {
    let dir = TempDir::new("append").await;
    let path = dir.join("log.txt");
    AsyncFile::create(&path)
        .await
        .unwrap()
        .write_all(b"one\n")
        .await
        .unwrap();
    let mut log = OpenOptions::new().append(true).open(&path).await.unwrap();
    log.write_all(b"two\n").await.unwrap();
    drop(log);
    let mut file = AsyncFile::open(&path).await.unwrap();
    assert_eq!(file.read_to_string().await.unwrap(), "one\ntwo\n");
    let mut opened = path.open(OpenOptions::new().read(true)).await.unwrap();
    assert_eq!(opened.read_to_end().await.unwrap(), b"one\ntwo\n");
}

#[anyio::test]
async fn lines_stream_every_line_across_chunks() {
    let dir = TempDir::new("lines").await;
    let path = dir.join("lines.txt");
    // Long enough to span several 64 KiB chunks, with a CRLF line and no final newline.
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!("line number {i}\n"));
    }
    text.push_str("crlf line\r\nlast line");
    path.write(&text).await.unwrap();

    let lines: Vec<String> = AsyncFile::open(&path)
        .await
        .unwrap()
        .lines()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(lines.len(), 20_002);
    assert_eq!(lines[0], "line number 0");
    assert_eq!(lines[19_999], "line number 19999");
    assert_eq!(lines[20_000], "crlf line");
    assert_eq!(lines[20_001], "last line");

    // From the current position, after a seek.
    let mut file = AsyncFile::open(&path).await.unwrap();
    file.seek(SeekFrom::Start(14)).await.unwrap();
    let mut lines = file.lines();
    assert_eq!(lines.next().await.unwrap().unwrap(), "line number 1");
}

#[anyio::test]
async fn lines_report_invalid_utf8_and_go_on() {
    let dir = TempDir::new("lines-utf8").await;
    let path = dir.join("mixed.txt");
    path.write(b"good\n\xff\xfe\nafter\n").await.unwrap();
    let lines: Vec<Result<String, FsError>> = AsyncFile::open(&path)
        .await
        .unwrap()
        .lines()
        .collect()
        .await;
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].as_ref().unwrap(), "good");
    assert_eq!(
        lines[1].as_ref().unwrap_err().kind(),
        ErrorKind::InvalidData
    );
    assert_eq!(lines[2].as_ref().unwrap(), "after");
}

#[anyio::test]
async fn directories_create_list_rename_and_remove() {
    let dir = TempDir::new("dirs").await;
    let nested = dir.join("a/b/c");
    nested.create_dir_all().await.unwrap();
    nested.create_dir_all().await.unwrap(); // existing is fine
    assert!(nested.is_dir().await);
    for name in ["x.txt", "y.txt", "z.txt"] {
        dir.join(name).write(name).await.unwrap();
    }

    let mut names: Vec<String> = dir
        .0
        .read_dir()
        .await
        .unwrap()
        .map_ok(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .try_collect()
        .await
        .unwrap();
    names.sort();
    assert_eq!(names, ["a", "x.txt", "y.txt", "z.txt"]);

    let from = dir.join("x.txt");
    let to = dir.join("a/moved.txt");
    from.rename(&to).await.unwrap();
    assert!(!from.exists().await);
    assert_eq!(to.read_to_string().await.unwrap(), "x.txt");
    assert_eq!(to.copy(&from).await.unwrap(), 5);
    assert_eq!(from.read().await.unwrap(), b"x.txt");

    to.remove_file().await.unwrap();
    assert!(!to.exists().await);
    assert!(dir.join("a").remove_dir().await.is_err(), "not empty");
    dir.join("a").remove_dir_all().await.unwrap();
    assert!(!nested.exists().await);
    assert_eq!(
        dir.0.canonicalize().await.unwrap(),
        Path::new(std::fs::canonicalize(&dir.0).unwrap())
    );
}

#[anyio::test]
async fn read_dir_of_a_large_directory_yields_every_entry() {
    let dir = TempDir::new("many").await;
    for i in 0..300 {
        dir.join(&format!("f{i}")).write("").await.unwrap();
    }
    let count = dir.0.read_dir().await.unwrap().count().await;
    assert_eq!(count, 300);
}

#[anyio::test]
async fn errors_name_the_path_and_keep_the_io_error() {
    let dir = TempDir::new("errors").await;
    let missing = dir.join("missing.txt");
    let error = missing.read().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(error.path(), missing.as_std_path());
    assert_eq!(
        error.to_string(),
        format!("failed to read `{}`", missing.display())
    );
    let source = std::error::Error::source(&error).expect("the io::Error is the source");
    assert!(source.downcast_ref::<std::io::Error>().is_some());
    let io: std::io::Error = error.into();
    assert_eq!(io.kind(), ErrorKind::NotFound);
    assert!(io.to_string().contains("missing.txt"));

    let error = AsyncFile::open(&missing).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("failed to open `{}`", missing.display())
    );
    let error = missing.rename(dir.join("other")).await.unwrap_err();
    assert_eq!(error.destination(), Some(dir.join("other").as_std_path()));
    assert!(error.to_string().starts_with("failed to rename `"));
    assert!(error.to_string().contains("` to `"));
    assert!(missing.metadata().await.is_err());
    assert!(!missing.exists().await);
    assert!(!missing.try_exists().await.unwrap());
    assert!(missing.read_dir().await.is_err());
}

#[anyio::test]
async fn operations_complete_in_a_cancelled_scope_window() {
    // An operation is a protected region: the cancellation lands once it is done, so a write
    // cut by a deadline is either not started or complete.
    let dir = TempDir::new("cancel").await;
    let path = dir.join("data.bin");
    let data = vec![7u8; 4 << 20];
    let outcome = move_on_after(Duration::from_micros(1), path.write(data.clone())).await;
    let written = path.read().await.map(|bytes| bytes.len()).unwrap_or(0);
    match outcome {
        // Cancelled before the thread started: nothing, or the whole write, never a part.
        None => assert!(
            written == 0 || written == data.len(),
            "partial write: {written}"
        ),
        // The write ran to its end while the deadline passed, and its result came back.
        Some(result) => {
            result.unwrap();
            assert_eq!(written, data.len());
        }
    }
    // In an already-cancelled scope, nothing runs.
    let never = dir.join("never.txt");
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(never.write("x")).await.is_none());
    assert!(!never.exists().await);
}

/// Runs `operation` in an already-cancelled scope and checks that the scope caught it.
async fn caught_in_a_cancelled_scope<F: std::future::Future>(operation: F) {
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(operation).await.is_none());
}

#[anyio::test]
async fn every_operation_in_a_cancelled_scope_is_caught_and_changes_nothing() {
    let dir = TempDir::new("cancelled-ops").await;
    let (kept, absent) = (dir.join("kept.txt"), dir.join("absent"));
    kept.write("kept").await.unwrap();
    caught_in_a_cancelled_scope(kept.read()).await;
    caught_in_a_cancelled_scope(kept.metadata()).await;
    caught_in_a_cancelled_scope(kept.exists()).await;
    caught_in_a_cancelled_scope(kept.write("overwritten")).await;
    caught_in_a_cancelled_scope(kept.remove_file()).await;
    caught_in_a_cancelled_scope(kept.rename(&absent)).await;
    caught_in_a_cancelled_scope(kept.copy(&absent)).await;
    caught_in_a_cancelled_scope(absent.create_dir()).await;
    caught_in_a_cancelled_scope(dir.0.read_dir()).await;
    caught_in_a_cancelled_scope(AsyncFile::create(&absent)).await;
    let mut file = AsyncFile::open(&kept).await.unwrap();
    let mut buf = [0; 16];
    caught_in_a_cancelled_scope(file.read(&mut buf)).await;
    caught_in_a_cancelled_scope(file.seek(SeekFrom::Start(2))).await;
    assert_eq!(
        file.read_to_string().await.unwrap(),
        "kept",
        "nothing moved"
    );
    let mut lines = AsyncFile::open(&kept).await.unwrap().lines();
    caught_in_a_cancelled_scope(lines.next()).await;
    assert_eq!(lines.next().await.unwrap().unwrap(), "kept");
    assert!(!absent.exists().await);
    assert_eq!(kept.read_to_string().await.unwrap(), "kept");
}

#[anyio::test]
async fn a_deadline_around_a_file_operation_is_a_timeout_never_an_error() {
    let dir = TempDir::new("deadline").await;
    let path = dir.join("data.bin");
    let error = anyio::fail_after(Duration::ZERO, path.write("x"))
        .await
        .expect_err("the deadline had passed at entry");
    assert!(error.deadline().is_some());
    assert!(!path.exists().await);
    // Cut mid-way, an operation either completes or is caught: never an error of its own.
    let data = vec![7u8; 1 << 20];
    path.write(&data).await.unwrap();
    for _ in 0..20 {
        match move_on_after(Duration::from_micros(50), path.read()).await {
            None => {}
            Some(read) => assert_eq!(read.unwrap().len(), data.len()),
        }
    }
}

#[anyio::test]
async fn path_conversions_and_pure_methods() {
    let path = Path::new("/tmp/archive.tar.gz");
    assert_eq!(path.file_name().unwrap(), "archive.tar.gz");
    assert_eq!(path.parent(), Some(Path::new("/tmp")));
    assert_eq!(
        path.with_extension("zip"),
        Path::new("/tmp/archive.tar.zip")
    );
    assert_eq!(path.with_file_name("x"), Path::new("/tmp/x"));
    let std_path: std::path::PathBuf = path.clone().into();
    assert_eq!(Path::from(std_path.clone()), path);
    assert_eq!(path.clone().into_path_buf(), std_path);
    assert_eq!(Path::from("/tmp/archive.tar.gz"), path);
    assert_eq!(format!("{path:?}"), "\"/tmp/archive.tar.gz\"");
}

#[anyio::test(timeout = "20s")]
async fn a_stream_left_with_a_read_in_flight_does_not_block_cancellation() {
    let dir = TempDir::new("stream-cancel").await;
    let path = dir.join("lines.txt");
    path.write("a\nb\n").await.unwrap();
    let file = AsyncFile::open(&path).await.unwrap();
    let entries_of = dir.0.clone();
    let outcome = move_on_after(Duration::from_millis(50), async move {
        let mut lines = file.lines();
        let mut entries = entries_of.read_dir().await.unwrap();
        // Start a chunk read and a batch read, then leave both streams unpolled (a plain
        // `select` drops the `next()` futures, not the streams).
        futures::future::select(lines.next(), std::future::ready(())).await;
        futures::future::select(entries.next(), std::future::ready(())).await;
        anyio::sleep_forever().await;
        drop((lines, entries));
    })
    .await;
    assert!(outcome.is_none());
}
