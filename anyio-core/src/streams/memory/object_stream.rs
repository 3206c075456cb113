//! The object-stream traits for memory object streams.

use super::{MemoryReceiveStream, MemorySendStream, ReceiveError, SendError};
use crate::streams::attributes::TypedAttributeProvider;
use crate::streams::error::{ObjectSendError, StreamError};
use crate::streams::traits::{
    AsyncResource, ObjectReceiveStream, ObjectSendStream, UnreliableObjectReceiveStream,
    UnreliableObjectSendStream,
};

impl<T> TypedAttributeProvider for MemorySendStream<T> {}
impl<T> TypedAttributeProvider for MemoryReceiveStream<T> {}

impl<T: Send> AsyncResource for MemorySendStream<T> {
    async fn aclose(&self) {
        self.close();
    }
}

impl<T: Send> AsyncResource for MemoryReceiveStream<T> {
    async fn aclose(&self) {
        self.close();
    }
}

impl<T: Send> UnreliableObjectSendStream<T> for MemorySendStream<T> {
    async fn send(&self, item: T) -> Result<(), ObjectSendError<T>> {
        MemorySendStream::send(self, item)
            .await
            .map_err(|error| match error {
                SendError::Closed(item) => ObjectSendError::new(StreamError::ClosedResource, item),
                SendError::Broken(item) => {
                    ObjectSendError::new(StreamError::BrokenResource(None), item)
                }
            })
    }
}

impl<T: Send> ObjectSendStream<T> for MemorySendStream<T> {}

impl<T: Send> UnreliableObjectReceiveStream<T> for MemoryReceiveStream<T> {
    async fn receive(&self) -> Result<T, StreamError> {
        MemoryReceiveStream::receive(self)
            .await
            .map_err(|error| match error {
                ReceiveError::Closed => StreamError::ClosedResource,
                ReceiveError::EndOfStream => StreamError::EndOfStream,
            })
    }
}

impl<T: Send> ObjectReceiveStream<T> for MemoryReceiveStream<T> {}
