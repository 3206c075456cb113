use std::any::Any;
use std::fmt;

/// How a child failed: the error it returned, or the payload it panicked with.
///
/// A failure handler ([`TaskBuilder::on_failure`](crate::task_group::TaskBuilder::on_failure),
/// [`Supervisor::on_failure`](super::Supervisor::on_failure)) receives it instead of the group.
///
/// # Examples
///
/// ```
/// use anyio_core::supervise::ChildFailure;
/// let failure = ChildFailure::<std::io::Error>::Panic(Box::new("index out of bounds"));
/// assert_eq!(failure.panic_message(), Some("index out of bounds"));
/// assert_eq!(failure.to_string(), "task panicked: index out of bounds");
/// ```
#[non_exhaustive]
pub enum ChildFailure<E> {
    /// The child returned this error.
    Error(E),
    /// The child panicked with this payload (`resume_unwind` it to re-raise).
    Panic(Box<dyn Any + Send>),
}

impl<E> ChildFailure<E> {
    /// The error, if the child returned one.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::supervise::ChildFailure;
    /// assert_eq!(ChildFailure::Error("disk full").error(), Some(&"disk full"));
    /// ```
    pub fn error(&self) -> Option<&E> {
        match self {
            ChildFailure::Error(error) => Some(error),
            ChildFailure::Panic(_) => None,
        }
    }

    /// The panic's message, if the child panicked with a string (as `panic!` does).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::supervise::ChildFailure;
    /// let failure = ChildFailure::<()>::Panic(Box::new(String::from("bad state")));
    /// assert_eq!(failure.panic_message(), Some("bad state"));
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        let ChildFailure::Panic(payload) = self else {
            return None;
        };
        payload
            .downcast_ref::<&'static str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
    }

    /// Whether the child panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::supervise::ChildFailure;
    /// assert!(!ChildFailure::Error(1).is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, ChildFailure::Panic(_))
    }
}

impl<E: fmt::Debug> fmt::Debug for ChildFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildFailure::Error(error) => f.debug_tuple("Error").field(error).finish(),
            ChildFailure::Panic(_) => f
                .debug_tuple("Panic")
                .field(&self.panic_message().unwrap_or("<non-string payload>"))
                .finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for ChildFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildFailure::Error(error) => write!(f, "task failed: {error}"),
            ChildFailure::Panic(_) => match self.panic_message() {
                Some(message) => write!(f, "task panicked: {message}"),
                None => f.write_str("task panicked"),
            },
        }
    }
}
