use std::fmt;

/// How a [`task_group`](super::task_group) ended without producing the body's value.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{task_group, TaskGroupError};
/// let result = task_group(|tg| async move {
///     tg.start_soon(async { Err::<(), _>("child failed") }).unwrap();
///     Ok(())
/// })
/// .await;
/// assert_eq!(result, Err(TaskGroupError::Failed(vec!["child failed"])));
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskGroupError<E> {
    /// The body or children failed; every error, in the order they were reported (also when
    /// there was only one).
    Failed(Vec<E>),
    /// The group's own scope was cancelled (by [`TaskGroup::cancel`](super::TaskGroup::cancel)
    /// or its deadline) before the body produced its value, and nothing failed.
    Cancelled,
}

impl<E> TaskGroupError<E> {
    /// The errors collected (empty for [`TaskGroupError::Cancelled`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::TaskGroupError;
    /// assert_eq!(TaskGroupError::Failed(vec![1, 2]).errors(), &[1, 2]);
    /// assert!(TaskGroupError::<i32>::Cancelled.errors().is_empty());
    /// ```
    pub fn errors(&self) -> &[E] {
        match self {
            TaskGroupError::Failed(errors) => errors,
            TaskGroupError::Cancelled => &[],
        }
    }

    /// Takes the errors collected.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::TaskGroupError;
    /// assert_eq!(TaskGroupError::Failed(vec!["a"]).into_errors(), vec!["a"]);
    /// ```
    pub fn into_errors(self) -> Vec<E> {
        match self {
            TaskGroupError::Failed(errors) => errors,
            TaskGroupError::Cancelled => Vec::new(),
        }
    }

    /// The error, when the group failed with exactly one (the common case: one child failed
    /// and the others were cancelled); otherwise the group's error as it was.
    ///
    /// # Errors
    ///
    /// `self` unchanged when it holds no error ([`TaskGroupError::Cancelled`]) or several.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::TaskGroupError;
    /// assert_eq!(TaskGroupError::Failed(vec!["disk full"]).into_single(), Ok("disk full"));
    /// let two = TaskGroupError::Failed(vec!["a", "b"]);
    /// assert_eq!(two.clone().into_single(), Err(two));
    /// ```
    pub fn into_single(self) -> Result<E, TaskGroupError<E>> {
        match self {
            TaskGroupError::Failed(errors) => match <[E; 1]>::try_from(errors) {
                Ok([error]) => Ok(error),
                Err(errors) => Err(TaskGroupError::Failed(errors)),
            },
            TaskGroupError::Cancelled => Err(TaskGroupError::Cancelled),
        }
    }
}

impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskGroupError::Failed(errors) => {
                write!(f, "task group failed with {} error", errors.len())?;
                if errors.len() != 1 {
                    f.write_str("s")?;
                }
                for (index, error) in errors.iter().enumerate() {
                    write!(f, "{}{error}", if index == 0 { ": " } else { "; " })?;
                }
                Ok(())
            }
            TaskGroupError::Cancelled => f.write_str("task group was cancelled"),
        }
    }
}

/// An error for every `E` that prints, so that `?` takes a group's failure into
/// `anyhow::Result` or `Box<dyn Error>` whatever the children's error type (`anyhow::Error` and
/// `Box<dyn Error + Send + Sync>` included, which do not implement `Error` themselves).
///
/// The message already names every error, so `source` is `None`: a report that walks the
/// chain (anyhow's `{:#}`, `{:?}`) prints each error once. Reach the errors themselves with
/// [`errors`](TaskGroupError::errors) or [`into_single`](TaskGroupError::into_single).
impl<E: fmt::Debug + fmt::Display> std::error::Error for TaskGroupError<E> {}

/// A task was spawned into a task group that has already finished.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{task_group, SpawnError};
/// let mut escaped = None;
/// task_group(|tg| {
///     escaped = Some(tg.clone());
///     async { Ok::<_, ()>(()) }
/// })
/// .await
/// .unwrap();
/// let error = escaped.unwrap().start_soon(async {}).unwrap_err();
/// assert_eq!(error, SpawnError::GroupFinished);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// The group ended (or its future was dropped); it accepts no more tasks.
    #[error("cannot spawn into a task group that has finished")]
    GroupFinished,
}

/// Why [`TaskGroup::start`](super::TaskGroup::start) did not return a started value.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{task_group, StartError};
/// task_group(|tg| async move {
///     let error = tg.start(|_status: anyio_core::TaskStatus<u16>| async { Err::<(), _>("no port") }).await;
///     assert_eq!(error, Err(StartError::Failed("no port")));
///     Ok::<_, &str>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartError<E> {
    /// The task failed before calling `started`; the error comes here, not to the group.
    #[error("task failed before it started: {0}")]
    Failed(E),
    /// The task returned without calling `started`.
    #[error("task returned without calling `TaskStatus::started`")]
    NotStarted,
    /// The task was cancelled before calling `started` by something other than the caller's
    /// own cancellation, such as a cancel scope of its own. Until it starts, the task hangs
    /// under the caller's scope (as in Trio), so the target group's cancellation does not
    /// reach it, and the caller's cancellation is caught by the caller's scope instead: a
    /// cancelled caller never sees this.
    #[error("task was cancelled before it started")]
    Cancelled,
    /// The group had already finished.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
}

/// Why a [`TaskHandle`](super::TaskHandle) has no value.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use anyio_core::{task_group, time::sleep_forever, TaskError};
/// task_group(|tg| async move {
///     let handle = tg.spawn(async { sleep_forever().await; Ok::<(), ()>(()) }).unwrap();
///     handle.cancel();
///     assert_eq!(handle.await, Err(TaskError::Cancelled));
///     Ok::<_, ()>(())
/// })
/// .await
/// .unwrap();
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// The task was cancelled (by its handle or its group) before it completed.
    #[error("task was cancelled")]
    Cancelled,
    /// The task returned an error; the error went to the task group.
    #[error("task failed; its error went to the task group")]
    Failed,
    /// The task panicked; the panic resumes in the task group's owner.
    #[error("task panicked; the panic resumes where the task group is awaited")]
    Panicked,
}
