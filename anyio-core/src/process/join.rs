//! Polling three futures concurrently within one task.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

/// Runs the three futures concurrently and returns their outputs.
///
/// Dropping it drops the three futures.
pub(super) async fn join3<A, B, C>(a: A, b: B, c: C) -> (A::Output, B::Output, C::Output)
where
    A: Future,
    B: Future,
    C: Future,
{
    let (mut a, mut b, mut c) = (pin!(a), pin!(b), pin!(c));
    let (mut out_a, mut out_b, mut out_c) = (None, None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(value) = a.as_mut().poll(cx) {
                out_a = Some(value);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(value) = b.as_mut().poll(cx) {
                out_b = Some(value);
            }
        }
        if out_c.is_none() {
            if let Poll::Ready(value) = c.as_mut().poll(cx) {
                out_c = Some(value);
            }
        }
        if out_a.is_some() && out_b.is_some() && out_c.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    match (out_a, out_b, out_c) {
        (Some(a), Some(b), Some(c)) => (a, b, c),
        _ => unreachable!("join3 resolves only once every future has"),
    }
}
