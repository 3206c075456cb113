//! RFC 8305 ("Happy Eyeballs v2") connection racing, for any kind of connection.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::addr::AddressFamily;
use crate::sync::Event;
use crate::task_group::{task_group, TaskGroup};

/// The delay RFC 8305 recommends between connection attempts (250 ms), which
/// [`connect_tcp`](super::connect_tcp) uses unless told otherwise.
///
/// # Examples
///
/// ```
/// assert_eq!(anyio_core::net::DEFAULT_HAPPY_EYEBALLS_DELAY.as_millis(), 250);
/// ```
pub const DEFAULT_HAPPY_EYEBALLS_DELAY: Duration = Duration::from_millis(250);

/// Orders addresses for connection attempts as RFC 8305 §4 asks: families alternate,
/// starting with the family of the first address, and each family keeps its own order. So
/// the first address of the other family moves to second place.
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// let parse = |s: &str| -> SocketAddr { s.parse().unwrap() };
/// let ordered = anyio_core::net::interleave_families([
///     parse("[::1]:80"), parse("[::2]:80"), parse("[::3]:80"), parse("10.0.0.1:80"),
/// ]);
/// assert_eq!(ordered, [
///     parse("[::1]:80"), parse("10.0.0.1:80"), parse("[::2]:80"), parse("[::3]:80"),
/// ]);
/// ```
pub fn interleave_families(addresses: impl IntoIterator<Item = SocketAddr>) -> Vec<SocketAddr> {
    let addresses: Vec<SocketAddr> = addresses.into_iter().collect();
    let Some(first) = addresses.first() else {
        return addresses;
    };
    let first_family = AddressFamily::of(first);
    let (mut preferred, mut other): (VecDeque<SocketAddr>, VecDeque<SocketAddr>) = addresses
        .iter()
        .partition(|address| AddressFamily::of(address) == first_family);
    let mut ordered = Vec::with_capacity(addresses.len());
    while !preferred.is_empty() || !other.is_empty() {
        ordered.extend(preferred.pop_front());
        ordered.extend(other.pop_front());
    }
    ordered
}

/// Races connection attempts to `addresses` the RFC 8305 way and returns the first that
/// succeeds.
///
/// The addresses are ordered with [`interleave_families`]. The first attempt starts at
/// once; each next one starts when the one before it fails, or `delay` after it started,
/// whichever comes first. The first success wins: every other attempt is cancelled (its
/// future dropped, which closes its socket), and a connection that succeeds after the winner
/// is dropped too. [`connect_tcp`](super::connect_tcp) is this with TCP attempts; use it
/// directly for other transports, or to test with scripted attempts.
///
/// # Errors
///
/// When every attempt fails: each address with its error, in the order the attempts
/// started (empty when `addresses` was).
///
/// # Cancellation
///
/// In an already-cancelled scope no attempt starts. Cancelling it cancels every attempt in
/// flight; no connection is left open. A cancelled race never returns: without a winner, it
/// leaves the cancellation to the enclosing scope that catches it (`move_on_after` gives
/// `None`, `fail_after` its timeout error) rather than reporting the cancelled attempts as
/// failures. A connection that won before the cancellation is returned.
///
/// # Examples
///
/// ```
/// # anyio_core::run(async {
/// use std::net::SocketAddr;
/// use std::time::Duration;
/// let addresses: Vec<SocketAddr> = vec!["[::1]:80".parse().unwrap(), "127.0.0.1:80".parse().unwrap()];
/// // A scripted connector: IPv6 is refused, IPv4 answers.
/// let winner = anyio_core::net::happy_eyeballs(addresses, Duration::from_millis(250), |address| async move {
///     if address.is_ipv6() { Err("refused") } else { Ok(address) }
/// })
/// .await
/// .unwrap();
/// assert!(winner.is_ipv4());
/// # });
/// ```
pub async fn happy_eyeballs<T, E, F, Fut>(
    addresses: impl IntoIterator<Item = SocketAddr>,
    delay: Duration,
    mut attempt: F,
) -> Result<T, Vec<(SocketAddr, E)>>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    // In a cancelled scope no attempt starts (an attempt may have effects, a TCP SYN say).
    crate::checkpoint_if_cancelled().await;
    let addresses = interleave_families(addresses);
    let winner: Arc<Mutex<Option<T>>> = Arc::new(Mutex::new(None));
    let failures: Arc<Mutex<Vec<(usize, SocketAddr, E)>>> = Arc::new(Mutex::new(Vec::new()));
    // The group ends cancelled when an attempt wins; what it returns says nothing more. A
    // cancellation from outside that reaches it while its body still runs leaves it pending
    // (the enclosing scope drops us); one that reaches it after its body started the last
    // attempt only cancels the attempts, and the group then ends as if they had all failed.
    let _ = task_group(|group: TaskGroup<Infallible>| {
        let winner = winner.clone();
        let failures = failures.clone();
        async move {
            let cancel = group.cancel_handle();
            for (index, &address) in addresses.iter().enumerate() {
                let failed = Arc::new(Event::new());
                let connecting = attempt(address);
                let (winner, failures, failed_here) =
                    (winner.clone(), failures.clone(), failed.clone());
                let cancel = cancel.clone();
                let started = group.start_soon(async move {
                    match connecting.await {
                        Ok(connection) => {
                            let mut winner = winner.lock().unwrap_or_else(PoisonError::into_inner);
                            if winner.is_none() {
                                *winner = Some(connection);
                                cancel.cancel();
                            }
                        }
                        Err(error) => {
                            failures
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push((index, address, error));
                            failed_here.set();
                        }
                    }
                });
                debug_assert!(started.is_ok(), "the group is open while its body runs");
                if index + 1 < addresses.len() {
                    crate::move_on_after(delay, failed.wait()).await;
                }
            }
            Ok(())
        }
    })
    .await;
    let won = winner.lock().unwrap_or_else(PoisonError::into_inner).take();
    match won {
        Some(connection) => Ok(connection),
        None => {
            // The attempts that did not report a failure were cancelled from outside (only a
            // win cancels them from inside): that is the enclosing scope's cancellation, to be
            // caught there, not a failure of the race.
            crate::checkpoint_if_cancelled().await;
            let mut failures =
                std::mem::take(&mut *failures.lock().unwrap_or_else(PoisonError::into_inner));
            failures.sort_by_key(|(index, _, _)| *index);
            Err(failures
                .into_iter()
                .map(|(_, address, error)| (address, error))
                .collect())
        }
    }
}
