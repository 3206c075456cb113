//! Where a child's failure goes: to its group (Trio's rule), or to a handler of its own.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::shared::{Failure, GroupShared};
use crate::supervise::ChildFailure;

/// Reports a child's end to its group, routing its failure.
pub(crate) trait FailureRoute<E>: Send + 'static {
    fn child_done(self, shared: &GroupShared<E>, failure: Option<Failure<E>>);

    /// Takes the handler out, if there is one; the route then reports to the group.
    fn take_handler(&mut self) -> Option<FailureHandler<E>>;
}

/// The failure goes to the group, which cancels the siblings and reports it.
pub(crate) struct ToGroup;

impl<E> FailureRoute<E> for ToGroup {
    fn child_done(self, shared: &GroupShared<E>, failure: Option<Failure<E>>) {
        shared.child_done(failure);
    }

    fn take_handler(&mut self) -> Option<FailureHandler<E>> {
        None
    }
}

/// The failure goes to a handler the child was spawned with; the group does not see it.
pub(crate) struct ToHandler<E>(Option<FailureHandler<E>>);

impl<E> ToHandler<E> {
    pub(crate) fn new(handler: FailureHandler<E>) -> ToHandler<E> {
        ToHandler(Some(handler))
    }
}

/// A handler of one child's failure.
pub(crate) type FailureHandler<E> = Box<dyn FnOnce(ChildFailure<E>) + Send>;

/// Hands `failure` to `handler`. A handler that panics fails the group as the child's own
/// panic would, so a failure is never lost: that panic is what is left.
pub(crate) fn handle<E>(handler: FailureHandler<E>, failure: Failure<E>) -> Option<Failure<E>> {
    let failure = match failure {
        Failure::Error(error) => ChildFailure::Error(error),
        Failure::Panic(payload) => ChildFailure::Panic(payload),
    };
    catch_unwind(AssertUnwindSafe(|| handler(failure)))
        .err()
        .map(Failure::Panic)
}

impl<E: Send + 'static> FailureRoute<E> for ToHandler<E> {
    fn child_done(self, shared: &GroupShared<E>, failure: Option<Failure<E>>) {
        let left = match (self.0, failure) {
            (Some(handler), Some(failure)) => handle(handler, failure),
            (_, failure) => failure,
        };
        shared.child_done(left);
    }

    fn take_handler(&mut self) -> Option<FailureHandler<E>> {
        self.0.take()
    }
}
