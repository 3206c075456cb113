//! Passing file descriptors over a Unix stream (`SCM_RIGHTS`).

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::net::{
    recvmsg, sendmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};

use super::UnixStream;
use crate::checkpoint_if_cancelled;
use crate::net::socket::Failure;
use crate::streams::StreamError;

/// No `SIGPIPE` for a send to a closed peer, where the system allows asking.
#[cfg(any(target_os = "linux", target_os = "android"))]
const SEND_FLAGS: SendFlags = SendFlags::NOSIGNAL;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SEND_FLAGS: SendFlags = SendFlags::empty();

/// Received descriptors are close-on-exec, atomically where the system allows it.
#[cfg(any(target_os = "linux", target_os = "android"))]
const RECEIVE_FLAGS: RecvFlags = RecvFlags::CMSG_CLOEXEC;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const RECEIVE_FLAGS: RecvFlags = RecvFlags::empty();

fn set_cloexec(fd: &OwnedFd) -> io::Result<()> {
    if cfg!(any(target_os = "linux", target_os = "android")) {
        return Ok(());
    }
    rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC).map_err(io::Error::from)
}

fn control_space(fds: usize) -> Vec<MaybeUninit<u8>> {
    vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(fds))]
}

impl UnixStream {
    /// Sends `message` with the file descriptors `fds` attached (AnyIO's `send_fds`): the
    /// peer receives duplicates of them with [`receive_fds`](UnixStream::receive_fds).
    ///
    /// The descriptors travel with the first byte of `message`; the rest of it follows as
    /// ordinary stream data. At most 253 descriptors can go in one message on Linux.
    ///
    /// # Errors
    ///
    /// [`StreamError::ClosedResource`] after [`aclose`](crate::streams::AsyncResource::aclose)
    /// or [`send_eof`](crate::streams::ByteStream::send_eof);
    /// [`StreamError::BusyResource`] while another task sends; the system's refusal (such as
    /// too many descriptors, or a peer that is gone) as [`StreamError::BrokenResource`].
    ///
    /// # Panics
    ///
    /// When `message` is empty but `fds` is not: descriptors need at least one byte to
    /// travel with.
    ///
    /// # Cancellation
    ///
    /// A cancelled send may have sent a prefix of `message`; the descriptors went with its
    /// first byte, if it was sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio_core::run(async {
    /// use anyio_core::net::UnixStream;
    /// use std::io::{Read, Seek, Write};
    /// use std::os::fd::AsFd;
    /// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let (a, b) = (UnixStream::from_std(a).unwrap(), UnixStream::from_std(b).unwrap());
    /// let path = std::env::temp_dir().join(format!("anyio-doc-fds-{}.txt", std::process::id()));
    /// let mut file = std::fs::File::options().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
    /// # std::fs::remove_file(&path).unwrap();
    /// file.write_all(b"shared").unwrap();
    /// a.send_fds(b"here", &[file.as_fd()]).await.unwrap();
    /// let (message, fds) = b.receive_fds(64, 4).await.unwrap();
    /// assert_eq!(message, b"here");
    /// let mut received = std::fs::File::from(fds.into_iter().next().unwrap());
    /// received.rewind().unwrap();
    /// let mut text = String::new();
    /// received.read_to_string(&mut text).unwrap();
    /// assert_eq!(text, "shared");
    /// # });
    /// ```
    pub async fn send_fds(
        &self,
        message: &[u8],
        fds: &[BorrowedFd<'_>],
    ) -> Result<(), StreamError> {
        assert!(
            !message.is_empty() || fds.is_empty(),
            "send_fds needs a non-empty message to carry the descriptors"
        );
        let inner = self.inner();
        let socket = inner.socket();
        let _sending = socket.sending.enter()?;
        if inner.is_send_closed() {
            return Err(StreamError::ClosedResource);
        }
        checkpoint_if_cancelled().await;
        let mut space = control_space(fds.len());
        let mut sent = socket
            .write(|socket| {
                let mut control = SendAncillaryBuffer::new(&mut space);
                if !fds.is_empty() {
                    control.push(SendAncillaryMessage::ScmRights(fds));
                }
                sendmsg(socket, &[IoSlice::new(message)], &mut control, SEND_FLAGS)
                    .map_err(io::Error::from)
            })
            .await
            .map_err(Failure::into_stream_error)?;
        while sent < message.len() {
            let rest = &message[sent..];
            sent += socket
                .write(|socket| {
                    let mut control = SendAncillaryBuffer::default();
                    sendmsg(socket, &[IoSlice::new(rest)], &mut control, SEND_FLAGS)
                        .map_err(io::Error::from)
                })
                .await
                .map_err(Failure::into_stream_error)?;
        }
        Ok(())
    }

    /// Receives up to `max_bytes` bytes of data and the file descriptors that came with them,
    /// at most `max_fds` (AnyIO's `receive_fds`). The descriptors are owned by the caller and
    /// close-on-exec.
    ///
    /// Descriptors beyond `max_fds` in one message are closed by the system and lost. Data
    /// received without descriptors comes back with an empty list.
    ///
    /// # Errors
    ///
    /// [`StreamError::InvalidMaxBytes`] when `max_bytes` is 0; [`StreamError::EndOfStream`]
    /// once the peer closed its side and everything it sent was received;
    /// [`StreamError::ClosedResource`] after [`aclose`](crate::streams::AsyncResource::aclose);
    /// [`StreamError::BusyResource`] while another task receives; the system's failure as
    /// [`StreamError::BrokenResource`].
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a cancelled receive loses neither data nor descriptors.
    ///
    /// # Examples
    ///
    /// See [`send_fds`](UnixStream::send_fds).
    pub async fn receive_fds(
        &self,
        max_bytes: usize,
        max_fds: usize,
    ) -> Result<(Vec<u8>, Vec<OwnedFd>), StreamError> {
        crate::streams::check_max_bytes(max_bytes)?;
        let socket = self.inner().socket();
        let _receiving = socket.receiving.enter()?;
        checkpoint_if_cancelled().await;
        let mut data = vec![0; max_bytes];
        let mut space = control_space(max_fds);
        let (received, fds) = socket
            .read(|socket| {
                let mut control = RecvAncillaryBuffer::new(&mut space);
                let message = recvmsg(
                    socket,
                    &mut [IoSliceMut::new(&mut data)],
                    &mut control,
                    RECEIVE_FLAGS,
                )?;
                let mut fds = Vec::new();
                for item in control.drain() {
                    if let RecvAncillaryMessage::ScmRights(rights) = item {
                        fds.extend(rights);
                    }
                }
                for fd in &fds {
                    set_cloexec(fd)?;
                }
                Ok((message.bytes, fds))
            })
            .await
            .map_err(Failure::into_stream_error)?;
        if received == 0 && fds.is_empty() {
            return Err(StreamError::EndOfStream);
        }
        data.truncate(received);
        Ok((data, fds))
    }
}
