//! The ecosystem's I/O traits on every anyio byte stream, implemented once over the poll core
//! ([`PollByteReceive`], [`PollByteSend`]) so that each stream gets the same contract:
//!
//! - `futures_io::{AsyncRead, AsyncWrite}` always;
//! - `tokio::io::{AsyncRead, AsyncWrite}` with the `tokio-io` feature (only tokio's traits,
//!   not its runtime);
//! - `hyper::rt::{Read, Write}` with the `hyper` feature.
//!
//! Each is implemented for the stream and for a shared reference to it (as std does for
//! `&TcpStream`), so one task can read while another writes. A read returns 0 at the end of
//! the stream; `poll_close` / `poll_shutdown` flushes, then ends sending
//! ([`poll_send_eof`](PollByteSend::poll_send_eof)); other [`StreamError`]s become
//! `io::Error`s with the stream error inside. A `Ready(Ok(n))` write accepted exactly the first
//! `n` bytes of that call's buffer, and a call that returned `Pending` holds nothing, so a
//! caller that gives up on a write (a timeout around `write_all`) leaves no data behind to be
//! sent later or credited to another call.

use std::io;
use std::task::{ready, Context, Poll};

use crate::streams::error::StreamError;
use crate::streams::traits::{PollByteReceive, PollByteSend};

#[cfg(feature = "hyper")]
mod hyper_read;
#[cfg(feature = "hyper")]
pub(crate) use hyper_read::poll_hyper_read;

/// `futures_io::AsyncRead::poll_read` over the poll core.
pub(crate) fn poll_read<S: PollByteReceive + ?Sized>(
    stream: &S,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    if buf.is_empty() {
        return Poll::Ready(Ok(0));
    }
    match ready!(stream.poll_receive_into(cx, buf)) {
        Ok(received) => Poll::Ready(Ok(received)),
        Err(StreamError::EndOfStream) => Poll::Ready(Ok(0)),
        Err(error) => Poll::Ready(Err(error.into())),
    }
}

/// `AsyncWrite::poll_write` over the poll core.
pub(crate) fn poll_write<S: PollByteSend + ?Sized>(
    stream: &S,
    cx: &mut Context<'_>,
    data: &[u8],
) -> Poll<io::Result<usize>> {
    if data.is_empty() {
        return Poll::Ready(Ok(0));
    }
    stream.poll_send(cx, data).map_err(io::Error::from)
}

/// `AsyncWrite::poll_flush` over the poll core.
pub(crate) fn poll_flush<S: PollByteSend + ?Sized>(
    stream: &S,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    stream.poll_flush(cx).map_err(io::Error::from)
}

/// `poll_close` / `poll_shutdown`: flushes, then ends sending.
pub(crate) fn poll_close<S: PollByteSend + ?Sized>(
    stream: &S,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    ready!(stream.poll_flush(cx))?;
    stream.poll_send_eof(cx).map_err(io::Error::from)
}

/// `tokio::io::AsyncRead::poll_read` over the poll core. tokio's buffer remembers what it
/// initialised, so a reused buffer is zeroed once, not on every read.
#[cfg(feature = "tokio-io")]
pub(crate) fn poll_tokio_read<S: PollByteReceive + ?Sized>(
    stream: &S,
    cx: &mut Context<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let received = ready!(poll_read(stream, cx, buf.initialize_unfilled()))?;
    buf.advance(received);
    Poll::Ready(Ok(()))
}

/// Implements the ecosystem's reading traits for a type with [`PollByteReceive`] and for a
/// shared reference to it: `impl_read_traits!([generics] Type)`.
macro_rules! impl_read_traits {
    ([$($generics:tt)*] $ty:ty) => {
        impl<$($generics)*> futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::streams::io::poll_read(&*self, cx, buf)
            }
        }

        impl<'io_ref, $($generics)*> futures_io::AsyncRead for &'io_ref $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::streams::io::poll_read(&**self, cx, buf)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<$($generics)*> tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::streams::io::poll_tokio_read(&*self, cx, buf)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<'io_ref, $($generics)*> tokio::io::AsyncRead for &'io_ref $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::streams::io::poll_tokio_read(&**self, cx, buf)
            }
        }

        #[cfg(feature = "hyper")]
        impl<$($generics)*> hyper::rt::Read for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: hyper::rt::ReadBufCursor<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::streams::io::poll_hyper_read(&*self, cx, buf)
            }
        }

        #[cfg(feature = "hyper")]
        impl<'io_ref, $($generics)*> hyper::rt::Read for &'io_ref $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: hyper::rt::ReadBufCursor<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::streams::io::poll_hyper_read(&**self, cx, buf)
            }
        }
    };
}

/// The write methods shared by `futures_io`, `tokio::io` and `hyper::rt` (only the name of
/// the closing method differs).
macro_rules! write_methods {
    ($close:ident, $this:ident => $stream:expr) => {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            data: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let $this = &self;
            $crate::streams::io::poll_write($stream, cx, data)
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            let $this = &self;
            $crate::streams::io::poll_flush($stream, cx)
        }

        fn $close(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            let $this = &self;
            $crate::streams::io::poll_close($stream, cx)
        }
    };
}

/// Implements the ecosystem's writing traits for a type with [`PollByteSend`] and for a
/// shared reference to it: `impl_write_traits!([generics] Type)`.
macro_rules! impl_write_traits {
    ([$($generics:tt)*] $ty:ty) => {
        impl<$($generics)*> futures_io::AsyncWrite for $ty {
            $crate::streams::io::write_methods!(poll_close, this => &**this);
        }

        impl<'io_ref, $($generics)*> futures_io::AsyncWrite for &'io_ref $ty {
            $crate::streams::io::write_methods!(poll_close, this => &***this);
        }

        #[cfg(feature = "tokio-io")]
        impl<$($generics)*> tokio::io::AsyncWrite for $ty {
            $crate::streams::io::write_methods!(poll_shutdown, this => &**this);
        }

        #[cfg(feature = "tokio-io")]
        impl<'io_ref, $($generics)*> tokio::io::AsyncWrite for &'io_ref $ty {
            $crate::streams::io::write_methods!(poll_shutdown, this => &***this);
        }

        #[cfg(feature = "hyper")]
        impl<$($generics)*> hyper::rt::Write for $ty {
            $crate::streams::io::write_methods!(poll_shutdown, this => &**this);
        }

        #[cfg(feature = "hyper")]
        impl<'io_ref, $($generics)*> hyper::rt::Write for &'io_ref $ty {
            $crate::streams::io::write_methods!(poll_shutdown, this => &***this);
        }
    };
}

/// Both [`impl_read_traits`] and [`impl_write_traits`].
macro_rules! impl_io_traits {
    ([$($generics:tt)*] $ty:ty) => {
        $crate::streams::io::impl_read_traits!([$($generics)*] $ty);
        $crate::streams::io::impl_write_traits!([$($generics)*] $ty);
    };
}

pub(crate) use {impl_io_traits, impl_read_traits, impl_write_traits, write_methods};
