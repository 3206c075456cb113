use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use super::error::BusyResourceError;

/// Catches concurrent use of a resource that allows one user at a time, such as the receiving
/// side of a stream that two tasks must not read at once (AnyIO's `ResourceGuard`).
///
/// [`enter`](ResourceGuard::enter) marks the resource in use until the returned
/// [`ResourceInUse`] drops; a second `enter` meanwhile fails with [`BusyResourceError`] instead
/// of interleaving two users' operations.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::ResourceGuard;
/// let guard = ResourceGuard::new("writing to");
/// {
///     let _writing = guard.enter().unwrap();
///     assert!(guard.enter().is_err());
/// }
/// assert!(guard.enter().is_ok());
/// ```
pub struct ResourceGuard {
    action: &'static str,
    in_use: AtomicBool,
}

impl fmt::Debug for ResourceGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceGuard")
            .field("action", &self.action)
            .field("in_use", &self.in_use.load(Ordering::Relaxed))
            .finish()
    }
}

impl ResourceGuard {
    /// A guard whose error says "another task is already `action` this resource".
    ///
    /// # Examples
    ///
    /// ```
    /// let guard = anyio_core::sync::ResourceGuard::new("reading from");
    /// assert!(!guard.in_use());
    /// ```
    pub const fn new(action: &'static str) -> ResourceGuard {
        ResourceGuard {
            action,
            in_use: AtomicBool::new(false),
        }
    }

    /// Marks the resource in use until the returned value drops.
    ///
    /// # Errors
    ///
    /// [`BusyResourceError`] if it is already in use.
    ///
    /// # Examples
    ///
    /// ```
    /// let guard = anyio_core::sync::ResourceGuard::new("reading from");
    /// let reading = guard.enter().unwrap();
    /// assert!(guard.in_use());
    /// drop(reading);
    /// assert!(!guard.in_use());
    /// ```
    pub fn enter(&self) -> Result<ResourceInUse<'_>, BusyResourceError> {
        if self.in_use.swap(true, Ordering::Acquire) {
            Err(BusyResourceError {
                action: self.action,
            })
        } else {
            Ok(ResourceInUse { guard: self })
        }
    }

    /// Whether the resource is in use.
    ///
    /// # Examples
    ///
    /// ```
    /// let guard = anyio_core::sync::ResourceGuard::new("using");
    /// let _using = guard.enter().unwrap();
    /// assert!(guard.in_use());
    /// ```
    pub fn in_use(&self) -> bool {
        self.in_use.load(Ordering::Acquire)
    }
}

/// Marks a [`ResourceGuard`]'s resource in use; dropping it frees the resource.
///
/// # Examples
///
/// ```
/// let guard = anyio_core::sync::ResourceGuard::new("using");
/// let in_use = guard.enter().unwrap();
/// drop(in_use);
/// assert!(!guard.in_use());
/// ```
#[must_use = "the resource is free again as soon as this is dropped"]
pub struct ResourceInUse<'a> {
    guard: &'a ResourceGuard,
}

impl fmt::Debug for ResourceInUse<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceInUse")
            .field("action", &self.guard.action)
            .finish()
    }
}

impl Drop for ResourceInUse<'_> {
    fn drop(&mut self) {
        self.guard.in_use.store(false, Ordering::Release);
    }
}
