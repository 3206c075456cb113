//! With the `tracing` feature: a child task runs in the span that was current where it was
//! spawned, inside a span of its own that carries its name.

use std::sync::Arc;

use crate::cancel::node::Node;

/// The span a new child runs in: an `anyio.task` span (with the task's name and id) under the
/// spawner's current span, or that current span alone when `anyio.task` spans are filtered
/// out, so that the child's events keep their context either way.
pub(crate) fn child_span(node: Option<&Arc<Node>>) -> tracing::Span {
    let parent = tracing::Span::current();
    let span = tracing::info_span!(
        parent: &parent,
        "anyio.task",
        task.name = tracing::field::Empty,
        task.id = tracing::field::Empty,
    );
    if span.is_disabled() {
        return parent;
    }
    if let Some(info) = node.and_then(|node| node.task_info()) {
        if let Some(name) = &info.name {
            span.record("task.name", name.as_str());
        }
        span.record("task.id", info.id.as_u64());
    }
    span
}
