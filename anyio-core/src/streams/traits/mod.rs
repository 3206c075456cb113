//! The stream traits (AnyIO's `anyio.abc` streams) and their dyn-compatible forms.

mod boxed;
mod boxed_listener;
mod boxed_poll;
mod byte;
mod listener;
mod object;
mod poll;
mod resource;

pub use boxed::{
    BoxFuture, BoxedByteReceiveStream, BoxedByteSendStream, BoxedByteStream,
    BoxedObjectReceiveStream, BoxedObjectSendStream, DynAsyncResource, DynByteReceiveStream,
    DynByteSendStream, DynByteStream, DynObjectReceiveStream, DynObjectSendStream,
};
pub use boxed_listener::{boxed_byte_stream_listener, BoxConnections, BoxedListener, DynListener};
pub use boxed_poll::{BoxedPollByteStream, DynPollByteStream};
pub use byte::{ByteReceiveStream, ByteSendStream, ByteStream, DEFAULT_MAX_BYTES};
pub use listener::Listener;
pub use object::{
    ObjectReceiveStream, ObjectSendStream, ObjectStream, UnreliableObjectReceiveStream,
    UnreliableObjectSendStream,
};
pub use poll::{PollByteReceive, PollByteSend, PollByteStream};
pub use resource::AsyncResource;
