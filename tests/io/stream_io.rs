//! `StreamIo`: a stream of one's own with only async methods, under the `futures_io` and
//! `tokio::io` traits, checked against a model (random buffer sizes, abandoned calls,
//! flushes and closes), and the case of a write abandoned by a timeout.
#![cfg(all(feature = "net", feature = "tokio-io"))]

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::Mutex;
use std::task::Poll;

use anyio::streams::attributes::TypedAttributeProvider;
use anyio::streams::compat::StreamIo;
use anyio::streams::{AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, StreamError};

/// xorshift64*: a small seeded generator, so that a failing seed replays.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Mostly small sizes, sometimes past the adapter's 64 KiB chunk.
    fn size(&mut self) -> usize {
        match self.below(10) {
            0 => 1,
            1..=6 => 1 + self.below(300),
            7 | 8 => 1 + self.below(5000),
            _ => 1 + self.below(150_000),
        }
    }
}

/// Returns `Pending` once (waking at once), as a stream that waits for the transport would.
async fn yield_once() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}

/// A stream with async methods only: sends land on `wire` a piece at a time, with a pause
/// before each; receives serve `source` a piece at a time, then end.
#[derive(Debug)]
struct Scripted {
    piece: usize,
    wire: Mutex<Vec<u8>>,
    source: Mutex<(Vec<u8>, usize)>,
    eof_sent: Mutex<bool>,
}

impl Scripted {
    fn new(piece: usize, source: Vec<u8>) -> Scripted {
        Scripted {
            piece,
            wire: Mutex::new(Vec::new()),
            source: Mutex::new((source, 0)),
            eof_sent: Mutex::new(false),
        }
    }
}

impl TypedAttributeProvider for Scripted {}

impl AsyncResource for Scripted {
    async fn aclose(&self) {}
}

impl ByteReceiveStream for Scripted {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        yield_once().await;
        let mut source = self.source.lock().unwrap();
        let (data, pos) = &mut *source;
        if *pos == data.len() {
            return Err(StreamError::EndOfStream);
        }
        let n = buf.len().min(self.piece).min(data.len() - *pos);
        buf[..n].copy_from_slice(&data[*pos..*pos + n]);
        *pos += n;
        Ok(n)
    }
}

impl ByteSendStream for Scripted {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        for piece in data.chunks(self.piece) {
            yield_once().await;
            if *self.eof_sent.lock().unwrap() {
                return Err(StreamError::ClosedResource);
            }
            self.wire.lock().unwrap().extend_from_slice(piece);
        }
        Ok(())
    }
}

impl ByteStream for Scripted {
    async fn send_eof(&self) -> Result<(), StreamError> {
        yield_once().await;
        *self.eof_sent.lock().unwrap() = true;
        Ok(())
    }
}

fn data(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.next() as u8).collect()
}

/// Polls `future` once, then drops it if it is not ready: a caller that gives up.
async fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    match futures::poll!(pin!(future)) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// One random operation on the writing side, through `futures_io` or `tokio::io`, awaited or
/// abandoned after one poll. Accepted bytes (checked to be within the call's buffer) go to
/// `model`; returns `false` once writing is over.
async fn write_op(rng: &mut Rng, io: &mut StreamIo<Scripted>, model: &mut Vec<u8>) -> bool {
    let tokio_traits = rng.below(2) == 0;
    let abandon = rng.below(3) == 0;
    match rng.below(10) {
        0..=6 => {
            let len = rng.size();
            let buf = data(rng, len);
            let mut io = Pin::new(io);
            let write = poll_fn(|cx| {
                if tokio_traits {
                    tokio::io::AsyncWrite::poll_write(io.as_mut(), cx, &buf)
                } else {
                    futures::AsyncWrite::poll_write(io.as_mut(), cx, &buf)
                }
            });
            let result = if abandon {
                poll_once(write).await
            } else {
                Some(write.await)
            };
            if let Some(result) = result {
                let n = result.expect("a write before the close succeeds");
                assert!(0 < n && n <= buf.len(), "accepted {n} of {}", buf.len());
                model.extend_from_slice(&buf[..n]);
            }
        }
        7 | 8 => {
            let flush = poll_fn(|cx| futures::AsyncWrite::poll_flush(Pin::new(&mut *io), cx));
            if abandon {
                poll_once(flush).await.map(Result::unwrap);
            } else {
                flush.await.unwrap();
                let wire = io.get_ref().wire.lock().unwrap();
                assert!(*wire == *model, "a flush sends exactly what was accepted");
            }
        }
        _ => {
            let close = poll_fn(|cx| {
                if tokio_traits {
                    tokio::io::AsyncWrite::poll_shutdown(Pin::new(&mut *io), cx)
                } else {
                    futures::AsyncWrite::poll_close(Pin::new(&mut *io), cx)
                }
            });
            // Writing is over either way: an abandoned close resumes at the final one.
            if abandon {
                poll_once(close).await.map(Result::unwrap);
            } else {
                close.await.unwrap();
            }
            return false;
        }
    }
    true
}

/// One random read, awaited or abandoned; returns `false` at the end of the stream.
async fn read_op(rng: &mut Rng, io: &mut StreamIo<Scripted>, got: &mut Vec<u8>) -> bool {
    let mut buf = vec![0; rng.size()];
    let tokio_traits = rng.below(2) == 0;
    let mut io = Pin::new(io);
    let read = poll_fn(|cx| {
        if tokio_traits {
            let mut read_buf = tokio::io::ReadBuf::new(&mut buf);
            match tokio::io::AsyncRead::poll_read(io.as_mut(), cx, &mut read_buf) {
                Poll::Ready(result) => Poll::Ready(result.map(|()| read_buf.filled().len())),
                Poll::Pending => Poll::Pending,
            }
        } else {
            futures::AsyncRead::poll_read(io.as_mut(), cx, &mut buf)
        }
    });
    let result = if rng.below(3) == 0 {
        poll_once(read).await
    } else {
        Some(read.await)
    };
    match result {
        None => true,
        Some(result) => {
            let n = result.unwrap();
            assert!(n <= buf.len());
            got.extend_from_slice(&buf[..n]);
            n > 0
        }
    }
}

async fn check_seed(seed: u64) {
    let mut rng = Rng::new(seed);
    let len = rng.below(400_000);
    let source = data(&mut rng, len);
    let piece = 1 + rng.below(20_000);
    let mut io = StreamIo::new(Scripted::new(piece, source.clone()));
    let (mut model, mut got) = (Vec::new(), Vec::new());
    let (mut writing, mut reading) = (true, true);
    while writing || reading {
        if writing && (!reading || rng.below(2) == 0) {
            writing = write_op(&mut rng, &mut io, &mut model).await;
        } else {
            reading = read_op(&mut rng, &mut io, &mut got).await;
        }
    }
    assert_eq!(got, source, "seed {seed}: reads give the source, in order");
    futures::AsyncWriteExt::close(&mut io).await.unwrap();
    let wire = io.get_ref().wire.lock().unwrap().clone();
    assert!(*io.get_ref().eof_sent.lock().unwrap());
    assert_eq!(wire.len(), model.len(), "seed {seed}");
    assert!(
        wire == model,
        "seed {seed}: the wire holds exactly the accepted prefixes"
    );
    // After the close, writes fail and accept nothing.
    let refused = futures::AsyncWriteExt::write(&mut io, b"late").await;
    assert!(refused.is_err(), "seed {seed}: {refused:?}");
}

#[anyio::test]
async fn writes_and_reads_match_a_model_with_abandoned_calls() {
    for seed in 0..60 {
        check_seed(seed).await;
    }
}

/// Stress for the interleavings of a writer and a reader sharing one adapter over TCP (the
/// reader drives the writer's sends): random writes, some abandoned after one poll, to an
/// echo server; the reader gets back exactly the accepted bytes.
#[anyio::test]
async fn concurrent_writer_and_reader_over_tcp_echo_exactly_the_accepted_bytes() {
    use anyio::net::{create_tcp_listener, TcpStream};
    use anyio::streams::Listener;
    for seed in 0..8 {
        let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
        let client = TcpStream::connect(listener.local_addrs()[0]).await.unwrap();
        let server = listener.accept().await.unwrap();
        let io = std::sync::Arc::new(StreamIo::new(client));
        let echoed = std::sync::Arc::new(Mutex::new(Vec::new()));
        let model = anyio::task_group(|tg| {
            let (io, echoed) = (io.clone(), echoed.clone());
            async move {
                tg.start_soon(async move {
                    let mut buf = vec![0; 7000];
                    loop {
                        match server.receive_into(&mut buf).await {
                            Ok(n) => server.send_all(&buf[..n]).await.unwrap(),
                            Err(StreamError::EndOfStream) => break,
                            Err(error) => panic!("{error}"),
                        }
                    }
                    server.send_eof().await.unwrap();
                })?;
                let reader = io.clone();
                tg.start_soon(async move {
                    let mut received = Vec::new();
                    futures::AsyncReadExt::read_to_end(&mut &*reader, &mut received)
                        .await
                        .unwrap();
                    *echoed.lock().unwrap() = received;
                })?;
                let mut rng = Rng::new(seed);
                let mut model = Vec::new();
                let mut writer = &*io;
                for _ in 0..200 {
                    let len = rng.size();
                    let buf = data(&mut rng, len);
                    let write = futures::AsyncWriteExt::write(&mut writer, &buf);
                    let result = if rng.below(3) == 0 {
                        poll_once(write).await
                    } else {
                        Some(write.await)
                    };
                    if let Some(result) = result {
                        let n = result.unwrap();
                        assert!(0 < n && n <= buf.len());
                        model.extend_from_slice(&buf[..n]);
                    }
                }
                futures::AsyncWriteExt::close(&mut writer).await.unwrap();
                Ok::<_, anyio::SpawnError>(model)
            }
        })
        .await
        .unwrap();
        let echoed = echoed.lock().unwrap();
        assert!(
            *echoed == model,
            "seed {seed}: {} vs {} bytes",
            echoed.len(),
            model.len()
        );
    }
}
