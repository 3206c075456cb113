//! Typed attributes (AnyIO's `TypedAttributeProvider`): facts about a stream or listener, such
//! as its addresses or the TLS protocol in use, looked up by a type-safe key with
//! [`extra`](TypedAttributeProvider::extra).
//!
//! A wrapper answers for itself first and then asks the stream it wraps, so an attribute of
//! any layer (the remote address under TLS under a buffered reader...) is visible from the
//! outermost one. A missing attribute is `None` (or [`MissingAttribute`] from
//! [`try_extra`](TypedAttributeProvider::try_extra)), never a panic.
//!
//! # Examples
//!
//! ```
//! use anyio_core::streams::attributes::{
//!     AttributeRequest, LocalPort, RemotePort, TypedAttributeProvider,
//! };
//!
//! struct Socket;
//! impl TypedAttributeProvider for Socket {
//!     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
//!         request.provide::<LocalPort>(|| 8080);
//!     }
//! }
//! assert_eq!(Socket.extra::<LocalPort>(), Some(8080));
//! assert_eq!(Socket.extra::<RemotePort>(), None);
//! ```

mod keys;
mod provider;

pub use keys::*;
pub use provider::{AttributeRequest, MissingAttribute, TypedAttribute, TypedAttributeProvider};
