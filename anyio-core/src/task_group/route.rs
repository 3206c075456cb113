//! Where a child's failure goes: to its group (Trio's rule), or to a handler of its own.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::shared::{Failure, GroupShared};
use crate::supervise::ChildFailure;

/// Reports a child's end to its group, routing its failure.
pub(crate) trait FailureRoute<E>: Send + 'static {
    fn child_done(self, shared: &GroupShared<E>, failure: Option<Failure<E>>);
}

/// The failure goes to the group, which cancels the siblings and reports it.
pub(crate) struct ToGroup;

impl<E> FailureRoute<E> for ToGroup {
    fn child_done(self, shared: &GroupShared<E>, failure: Option<Failure<E>>) {
        shared.child_done(failure);
    }
}

/// The failure goes to a handler the child was spawned with; the group does not see it.
pub(crate) struct ToHandler<E>(pub(crate) FailureHandler<E>);

/// A handler of one child's failure.
pub(crate) type FailureHandler<E> = Box<dyn FnOnce(ChildFailure<E>) + Send>;

impl<E: Send + 'static> FailureRoute<E> for ToHandler<E> {
    fn child_done(self, shared: &GroupShared<E>, failure: Option<Failure<E>>) {
        let unhandled = failure.and_then(|failure| {
            let failure = match failure {
                Failure::Error(error) => ChildFailure::Error(error),
                Failure::Panic(payload) => ChildFailure::Panic(payload),
            };
            // A handler that panics fails the group as the child's own panic would: the
            // failure is never lost.
            catch_unwind(AssertUnwindSafe(|| (self.0)(failure)))
                .err()
                .map(Failure::Panic)
        });
        shared.child_done(unhandled);
    }
}
