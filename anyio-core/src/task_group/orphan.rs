//! The children of a task group whose future was dropped before they ended.
//!
//! Foreign code can drop a group's future at any `Pending` (a `select`, a foreign timeout),
//! outside every anyio scope, and a destructor cannot wait. The group then closes and cancels
//! its children, which end at their next `Pending` (a `finally` cleanup or a shielded scope
//! in them still runs to its end), and hands the waiting over to an [`Orphans`] watch, woken
//! by the children's ends as the group itself would have been. Until the last child ended
//! the watch keeps the group's node in the scope tree and among its tops, so introspection
//! still lists the children, and keeps the group's `run` call from returning (see
//! `task::runs`).

use std::sync::{Arc, Mutex, Weak};
use std::task::{Wake, Waker};

use super::shared::GroupShared;
use crate::cancel::node::lock;
use crate::task::registry::RootRegistration;
use crate::task::runs::Straggler;

/// Waits for the children of a dropped group; the group's node wakes it.
struct Orphans<E> {
    // Weak: the node holding this watch's waker belongs to the group.
    group: Weak<GroupShared<E>>,
    /// Dropped once every child ended.
    keep: Mutex<Option<Keep>>,
}

/// What the watch keeps while children run.
struct Keep {
    _listed: RootRegistration,
    _run: Option<Straggler>,
}

/// Closes and cancels the group of a dropped future, and watches its children until they
/// ended; then the group's node leaves the scope tree.
pub(crate) fn abandon<E: Send + 'static>(group: &Arc<GroupShared<E>>) {
    group.close();
    group.node.cancel();
    if group.all_ended() {
        group.node.detach();
        return;
    }
    let run = group.runtime_if_set().and_then(|runtime| runtime.run);
    let watch = Arc::new(Orphans {
        group: Arc::downgrade(group),
        keep: Mutex::new(Some(Keep {
            _listed: RootRegistration::new(group.node.clone()),
            _run: run.and_then(Straggler::join),
        })),
    });
    watch.watch();
}

impl<E: Send + 'static> Orphans<E> {
    /// Ends the watch if every child ended; otherwise (re)registers it as the node's waker.
    ///
    /// Waking a node takes its waker out (a spurious wake, such as a cancellation propagating
    /// or a refused spawn, included), so the watch must register itself again after every
    /// wake that did not end it: a watch left out would be dropped, and with it the run's
    /// wait for these children.
    fn watch(self: &Arc<Self>) {
        let Some(group) = self.group.upgrade() else {
            return;
        };
        if self.end_if_all_ended(&group) {
            return;
        }
        group.node.register_waker(&Waker::from(self.clone()));
        // An end between the look above and the registration woke nobody.
        self.end_if_all_ended(&group);
    }

    fn end_if_all_ended(&self, group: &GroupShared<E>) -> bool {
        if !group.all_ended() {
            return false;
        }
        let kept = lock(&self.keep).take();
        if kept.is_some() {
            group.node.detach();
        }
        // Released outside the lock: the run may end as a result.
        drop(kept);
        true
    }
}

impl<E: Send + 'static> Wake for Orphans<E> {
    fn wake(self: Arc<Self>) {
        self.watch();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.watch();
    }
}
