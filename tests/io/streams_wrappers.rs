//! Stream wrappers and adapters: buffered receives, incremental UTF-8 text, stapled object
//! streams, typed attributes through layers, boxed streams, memory object streams through the
//! object-stream traits, `Listener::serve`, and the futures-io / tokio adapters.
#![cfg(feature = "tokio-io")]

use std::sync::{Arc, Mutex};

use anyio::streams::attributes::{
    AttributeRequest, LocalPort, RemotePort, TlsVersion, TypedAttributeProvider,
};
use anyio::streams::compat::{FuturesIoStream, StreamIo, TokioIoStream};
use anyio::streams::{
    AsyncResource, BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, ByteStream,
    Listener, ObjectStream, StapledByteStream, StapledObjectStream, StreamError, TextStream,
    UnreliableObjectReceiveStream, UnreliableObjectSendStream,
};
use anyio::testing::{memory_stream_pair, MemoryByteStream};
use anyio::{create_memory_object_stream, task_group, SpawnError};

#[anyio::test]
async fn receive_until_and_exactly_across_chunks() {
    let (a, b) = memory_stream_pair();
    for chunk in [&b"li"[..], b"ne1\r", b"\nline2\r\n12", b"345"] {
        a.send_all(chunk).await.unwrap();
    }
    a.send_eof().await.unwrap();
    let reader = BufferedByteReceiveStream::new(b);
    assert_eq!(reader.receive_until(b"\r\n", 100).await.unwrap(), b"line1");
    assert_eq!(reader.receive_until(b"\r\n", 100).await.unwrap(), b"line2");
    assert_eq!(reader.receive_exactly(3).await.unwrap(), b"123");
    assert!(matches!(
        reader.receive_until(b"\n", 100).await,
        Err(StreamError::IncompleteRead)
    ));
    assert_eq!(reader.buffer(), b"45", "the partial data stays buffered");
    assert_eq!(reader.receive(10).await.unwrap(), b"45");
    assert!(matches!(
        reader.receive(10).await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn delimiter_not_found_keeps_the_data() {
    let (a, b) = memory_stream_pair();
    a.send_all(b"0123456789").await.unwrap();
    let reader = BufferedByteReceiveStream::new(b);
    assert!(matches!(
        reader.receive_until(b"\n", 5).await,
        Err(StreamError::DelimiterNotFound { max_bytes: 5 })
    ));
    assert!(matches!(
        reader.receive_until(b"\n", 0).await,
        Err(StreamError::InvalidMaxBytes { max_bytes: 0 })
    ));
    assert_eq!(reader.receive_exactly(10).await.unwrap(), b"0123456789");
}

#[anyio::test]
async fn concurrent_buffered_receives_are_busy() {
    let (_a, b) = memory_stream_pair();
    let reader = BufferedByteReceiveStream::new(b);
    let mut blocked = std::pin::pin!(reader.receive_exactly(1));
    assert!(futures::poll!(blocked.as_mut()).is_pending());
    assert!(matches!(
        reader.receive_until(b"\n", 10).await,
        Err(StreamError::BusyResource(_))
    ));
}

#[anyio::test]
async fn text_decodes_characters_split_across_chunks() {
    let (a, b) = memory_stream_pair();
    let text = TextStream::new(b);
    let bytes = "añ☃🦀".as_bytes();
    for byte in bytes {
        a.send_all(std::slice::from_ref(byte)).await.unwrap();
    }
    a.send_eof().await.unwrap();
    let mut got = String::new();
    loop {
        match text.receive().await {
            Ok(piece) => {
                assert!(!piece.is_empty());
                got.push_str(&piece);
            }
            Err(StreamError::EndOfStream) => break,
            Err(error) => panic!("{error}"),
        }
    }
    assert_eq!(got, "añ☃🦀");
}

#[anyio::test]
async fn text_rejects_invalid_utf8() {
    let (a, b) = memory_stream_pair();
    let text = TextStream::new(b);
    a.send_all(b"ok\xff").await.unwrap();
    let error = text.receive().await.unwrap_err();
    assert!(matches!(error, StreamError::InvalidUtf8 { valid_up_to: 2 }));
    assert!(error.to_string().contains("invalid UTF-8"));

    // A stream ending inside a character is invalid too.
    let (a, b) = memory_stream_pair();
    let text = TextStream::new(b);
    a.send_all(&"☃".as_bytes()[..2]).await.unwrap();
    a.send_eof().await.unwrap();
    assert!(matches!(
        text.receive().await,
        Err(StreamError::InvalidUtf8 { .. })
    ));
}

#[anyio::test]
async fn text_streams_send_both_ways() {
    let (a, b) = memory_stream_pair();
    let (a, b) = (TextStream::new(a), TextStream::new(b));
    a.send("héllo".to_owned()).await.unwrap();
    assert_eq!(b.receive().await.unwrap(), "héllo");
    b.send_str("back").await.unwrap();
    assert_eq!(a.receive().await.unwrap(), "back");
    a.send_eof().await.unwrap();
    assert!(matches!(b.receive().await, Err(StreamError::EndOfStream)));
    let error = a.send("late".to_owned()).await.unwrap_err();
    assert!(matches!(error.error(), StreamError::ClosedResource));
    assert_eq!(error.into_inner(), "late");
}

#[anyio::test]
async fn memory_object_streams_through_the_traits() {
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    let stream = StapledObjectStream::new(tx, rx);
    stream.send(1).await.unwrap();
    assert_eq!(
        UnreliableObjectReceiveStream::receive(&stream)
            .await
            .unwrap(),
        1
    );
    stream.send_eof().await.unwrap();
    let error = stream.send(2).await.unwrap_err();
    assert!(matches!(error.error(), StreamError::ClosedResource));
    assert_eq!(error.into_inner(), 2);
    assert!(matches!(
        UnreliableObjectReceiveStream::receive(&stream).await,
        Err(StreamError::EndOfStream)
    ));

    let (tx, rx) = create_memory_object_stream::<String>(1);
    rx.aclose().await;
    let error = UnreliableObjectSendStream::send(&tx, "lost?".to_owned())
        .await
        .unwrap_err();
    assert!(matches!(error.error(), StreamError::BrokenResource(None)));
    assert_eq!(
        format!("{error:?}"),
        "ObjectSendError { error: BrokenResource(None), .. }"
    );
    assert_eq!(error.into_inner(), "lost?");
    assert!(matches!(
        UnreliableObjectReceiveStream::receive(&rx).await,
        Err(StreamError::ClosedResource)
    ));
}

/// A stream with addresses, to check lookups through wrappers.
struct Addressed(MemoryByteStream, u16);

impl TypedAttributeProvider for Addressed {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request
            .provide::<LocalPort>(|| self.1)
            .provide::<RemotePort>(|| 9);
        self.0.provide_attributes(request);
    }
}

impl AsyncResource for Addressed {
    async fn aclose(&self) {
        self.0.aclose().await;
    }
}

impl ByteReceiveStream for Addressed {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.0.receive_into(buf).await
    }
}

impl ByteSendStream for Addressed {
    async fn send_all(&self, data: &[u8]) -> Result<(), StreamError> {
        self.0.send_all(data).await
    }
}

impl ByteStream for Addressed {
    async fn send_eof(&self) -> Result<(), StreamError> {
        self.0.send_eof().await
    }
}

#[anyio::test]
async fn typed_attributes_look_through_layers() {
    let (a, b) = memory_stream_pair();
    let (c, d) = memory_stream_pair();
    let stapled = StapledByteStream::new(Addressed(a, 1), Addressed(d, 2));
    // The send stream answers first.
    assert_eq!(stapled.extra::<LocalPort>(), Some(1));
    let text = TextStream::new(BufferedByteReceiveStream::new(Addressed(c, 3)));
    assert_eq!(text.extra::<LocalPort>(), Some(3));
    assert_eq!(text.extra::<RemotePort>(), Some(9));
    assert_eq!(text.extra::<TlsVersion>(), None);
    let error = text.try_extra::<TlsVersion>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "the resource has no typed attribute `tls_version`"
    );
    let boxed: anyio::streams::BoxedByteStream = Box::new(Addressed(b, 4));
    assert_eq!(boxed.extra::<LocalPort>(), Some(4));
    assert_eq!(Arc::new(boxed).extra::<RemotePort>(), Some(9));
}

/// Hands out the receiving ends of memory stream pairs as connections.
struct MemoryListener {
    incoming: anyio::MemoryReceiveStream<MemoryByteStream>,
}

impl TypedAttributeProvider for MemoryListener {}

impl AsyncResource for MemoryListener {
    async fn aclose(&self) {
        self.incoming.close();
    }
}

impl Listener for MemoryListener {
    type Connection = MemoryByteStream;

    async fn accept(&self) -> Result<MemoryByteStream, StreamError> {
        UnreliableObjectReceiveStream::receive(&self.incoming).await
    }
}

#[anyio::test]
async fn serve_runs_each_connection_in_a_task() {
    let (connect, incoming) = create_memory_object_stream(0);
    let listener = MemoryListener { incoming };
    let replies = Arc::new(Mutex::new(Vec::new()));
    task_group(|tg| {
        let replies = replies.clone();
        async move {
            tg.start_soon(async move {
                for i in 0..3u8 {
                    let (client, server) = memory_stream_pair();
                    connect.send(server).await.unwrap();
                    client.send_all(&[i]).await.unwrap();
                    let reply = client.receive(1).await.unwrap()[0];
                    replies.lock().unwrap().push(reply);
                }
                // `connect` drops: accept ends with EndOfStream.
            })?;
            let error = listener
                .serve(|connection| async move {
                    let byte = connection.receive(1).await.unwrap()[0];
                    connection.send_all(&[byte + 10]).await.unwrap();
                })
                .await
                .unwrap_err();
            assert!(matches!(error, StreamError::EndOfStream));
            Ok::<_, SpawnError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(*replies.lock().unwrap(), [10, 11, 12]);
}

#[anyio::test]
async fn futures_io_adapters_round_trip() {
    use futures::{AsyncReadExt, AsyncWriteExt};
    let (a, b) = memory_stream_pair();
    // anyio -> futures-io -> anyio again.
    let a = FuturesIoStream::new(StreamIo::new(a));
    let mut b = StreamIo::new(b);
    a.send_all(b"hello").await.unwrap();
    a.send_eof().await.unwrap();
    let mut text = String::new();
    b.read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "hello");
    b.write_all(b"back").await.unwrap();
    assert_eq!(a.receive(10).await.unwrap(), b"back");
    b.close().await.unwrap();
    assert!(matches!(a.receive(10).await, Err(StreamError::EndOfStream)));
    assert!(matches!(
        a.send_all(b"x").await,
        Err(StreamError::ClosedResource)
    ));
    a.aclose().await;
    assert!(matches!(
        a.receive(10).await,
        Err(StreamError::ClosedResource)
    ));
}

#[anyio::test]
async fn tokio_io_adapters_round_trip() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (a, b) = memory_stream_pair();
    let a = TokioIoStream::new(StreamIo::new(a));
    let mut b = StreamIo::new(b);
    a.send_all(b"hello").await.unwrap();
    a.send_eof().await.unwrap();
    let mut text = String::new();
    b.read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "hello");
    b.write_all(b"back").await.unwrap();
    b.shutdown().await.unwrap();
    assert_eq!(a.receive(10).await.unwrap(), b"back");
    assert!(matches!(a.receive(10).await, Err(StreamError::EndOfStream)));
}

#[anyio::test]
async fn adapted_streams_refuse_concurrent_receives() {
    let (a, _b) = memory_stream_pair();
    let a = FuturesIoStream::new(StreamIo::new(a));
    let mut blocked = std::pin::pin!(a.receive(1));
    assert!(futures::poll!(blocked.as_mut()).is_pending());
    assert!(matches!(
        a.receive(1).await,
        Err(StreamError::BusyResource(_))
    ));
}

#[anyio::test(autojump)]
async fn adapted_memory_streams_conform() {
    anyio::testing::check_half_closeable_stream(|| async {
        let (a, b) = memory_stream_pair();
        (
            FuturesIoStream::new(StreamIo::new(a)),
            FuturesIoStream::new(StreamIo::new(b)),
        )
    })
    .await;
}
