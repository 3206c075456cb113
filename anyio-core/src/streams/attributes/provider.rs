use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

/// A typed attribute key: a (usually zero-sized) type naming one fact about a resource and the
/// type of its value.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::attributes::TypedAttribute;
///
/// /// The name of the connection's user, for this application.
/// struct UserName;
/// impl TypedAttribute for UserName {
///     type Value = String;
///     const NAME: &'static str = "user_name";
/// }
/// assert_eq!(UserName::NAME, "user_name");
/// ```
pub trait TypedAttribute: 'static {
    /// The type of the attribute's value.
    type Value: Send + 'static;
    /// A name for messages.
    const NAME: &'static str;
}

/// A lookup in progress: [`provide`](AttributeRequest::provide) answers it when it asks for
/// the given key and nobody answered yet.
///
/// # Examples
///
/// See [`TypedAttributeProvider`].
pub struct AttributeRequest<'a> {
    key: TypeId,
    name: &'static str,
    slot: &'a mut dyn Any,
    filled: bool,
}

impl fmt::Debug for AttributeRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttributeRequest")
            .field("attribute", &self.name)
            .field("filled", &self.filled)
            .finish()
    }
}

impl AttributeRequest<'_> {
    /// Answers the request with `value()` if it asks for `A` and is not answered yet (outer
    /// layers answer first, so they win). `value` runs only then.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::attributes::{AttributeRequest, LocalPort, TypedAttributeProvider};
    /// struct Fixed;
    /// impl TypedAttributeProvider for Fixed {
    ///     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
    ///         request.provide::<LocalPort>(|| 1).provide::<LocalPort>(|| 2);
    ///     }
    /// }
    /// assert_eq!(Fixed.extra::<LocalPort>(), Some(1)); // the first answer wins
    /// ```
    pub fn provide<A: TypedAttribute>(&mut self, value: impl FnOnce() -> A::Value) -> &mut Self {
        self.provide_opt::<A>(|| Some(value()))
    }

    /// Like [`provide`](AttributeRequest::provide) for a value that may be absent (`None`
    /// leaves the request to inner layers).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::attributes::{AttributeRequest, TlsAlpnProtocol, TypedAttributeProvider};
    /// struct NoAlpn;
    /// impl TypedAttributeProvider for NoAlpn {
    ///     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
    ///         request.provide_opt::<TlsAlpnProtocol>(|| None);
    ///     }
    /// }
    /// assert_eq!(NoAlpn.extra::<TlsAlpnProtocol>(), None);
    /// ```
    pub fn provide_opt<A: TypedAttribute>(
        &mut self,
        value: impl FnOnce() -> Option<A::Value>,
    ) -> &mut Self {
        if !self.filled && self.key == TypeId::of::<A>() {
            if let Some(slot) = self.slot.downcast_mut::<Option<A::Value>>() {
                *slot = value();
                self.filled = slot.is_some();
            }
        }
        self
    }

    /// Whether the request was answered.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::attributes::{AttributeRequest, LocalPort, TypedAttributeProvider};
    /// struct Probe;
    /// impl TypedAttributeProvider for Probe {
    ///     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
    ///         assert!(!request.is_answered());
    ///         request.provide::<LocalPort>(|| 1);
    ///         assert!(request.is_answered());
    ///     }
    /// }
    /// Probe.extra::<LocalPort>();
    /// ```
    pub fn is_answered(&self) -> bool {
        self.filled
    }
}

/// A resource with typed attributes (AnyIO's `TypedAttributeProvider`), implemented by every
/// stream and listener.
///
/// Implementors override [`provide_attributes`](TypedAttributeProvider::provide_attributes):
/// answer their own attributes, then pass the request to the wrapped stream. Callers use
/// [`extra`](TypedAttributeProvider::extra). The default provides nothing.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::attributes::{
///     AttributeRequest, LocalPort, RemotePort, TypedAttributeProvider,
/// };
/// struct Inner;
/// impl TypedAttributeProvider for Inner {
///     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
///         request.provide::<LocalPort>(|| 1).provide::<RemotePort>(|| 2);
///     }
/// }
/// struct Wrapper(Inner);
/// impl TypedAttributeProvider for Wrapper {
///     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
///         request.provide::<LocalPort>(|| 10); // overrides the inner layer
///         self.0.provide_attributes(request);
///     }
/// }
/// let stream = Wrapper(Inner);
/// assert_eq!(stream.extra::<LocalPort>(), Some(10));
/// assert_eq!(stream.extra::<RemotePort>(), Some(2)); // looked up through the layers
/// ```
pub trait TypedAttributeProvider {
    /// Answers `request` if this resource (or a layer it wraps) has the attribute.
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        let _ = request;
    }

    /// The value of attribute `A`, or `None` if no layer has it.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::attributes::{LocalAddress, TypedAttributeProvider};
    /// let (tx, _rx) = anyio_core::create_memory_object_stream::<u8>(0);
    /// assert_eq!(tx.extra::<LocalAddress>(), None);
    /// ```
    fn extra<A: TypedAttribute>(&self) -> Option<A::Value>
    where
        Self: Sized,
    {
        lookup::<A>(|request| self.provide_attributes(request))
    }

    /// The value of attribute `A`.
    ///
    /// # Errors
    ///
    /// [`MissingAttribute`] (naming the attribute) if no layer has it.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::attributes::{RemotePort, TypedAttributeProvider};
    /// let (tx, _rx) = anyio_core::create_memory_object_stream::<u8>(0);
    /// let error = tx.try_extra::<RemotePort>().unwrap_err();
    /// assert_eq!(error.to_string(), "the resource has no typed attribute `remote_port`");
    /// ```
    fn try_extra<A: TypedAttribute>(&self) -> Result<A::Value, MissingAttribute>
    where
        Self: Sized,
    {
        self.extra::<A>()
            .ok_or(MissingAttribute { attribute: A::NAME })
    }
}

fn lookup<A: TypedAttribute>(provide: impl FnOnce(&mut AttributeRequest<'_>)) -> Option<A::Value> {
    let mut slot: Option<A::Value> = None;
    let mut request = AttributeRequest {
        key: TypeId::of::<A>(),
        name: A::NAME,
        slot: &mut slot,
        filled: false,
    };
    provide(&mut request);
    slot
}

impl<P: TypedAttributeProvider + ?Sized> TypedAttributeProvider for Box<P> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        (**self).provide_attributes(request);
    }
}

impl<P: TypedAttributeProvider + ?Sized> TypedAttributeProvider for &P {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        (**self).provide_attributes(request);
    }
}

impl<P: TypedAttributeProvider + ?Sized> TypedAttributeProvider for Arc<P> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        (**self).provide_attributes(request);
    }
}

/// A typed attribute that no layer of the resource has.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::attributes::{TlsVersion, TypedAttributeProvider};
/// let (_tx, rx) = anyio_core::create_memory_object_stream::<u8>(0);
/// assert_eq!(rx.try_extra::<TlsVersion>().unwrap_err().attribute(), "tls_version");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("the resource has no typed attribute `{attribute}`")]
pub struct MissingAttribute {
    attribute: &'static str,
}

impl MissingAttribute {
    /// The name of the missing attribute.
    ///
    /// # Examples
    ///
    /// See [`MissingAttribute`].
    pub fn attribute(&self) -> &'static str {
        self.attribute
    }
}
