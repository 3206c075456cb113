/// A snapshot of a memory object stream's state, the same from either end.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::memory::create_memory_object_stream;
/// let (tx, rx) = create_memory_object_stream::<u8>(4);
/// tx.try_send(1).unwrap();
/// let statistics = rx.statistics();
/// assert_eq!(statistics, tx.statistics());
/// assert_eq!(statistics.current_buffer_used, 1);
/// assert_eq!(statistics.max_buffer_size, 4);
/// assert_eq!((statistics.open_send_streams, statistics.open_receive_streams), (1, 1));
/// assert_eq!((statistics.tasks_waiting_send, statistics.tasks_waiting_receive), (0, 0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryStreamStatistics {
    /// Items in the buffer. It can briefly exceed `max_buffer_size` by items given back by
    /// receivers that were cancelled after an item had been handed to them.
    pub current_buffer_used: usize,
    /// The buffer size the stream was created with (`usize::MAX`: unbounded).
    pub max_buffer_size: usize,
    /// Send handles not yet closed.
    pub open_send_streams: usize,
    /// Receive handles not yet closed.
    pub open_receive_streams: usize,
    /// Sends waiting for room (or, unbuffered, for a receiver).
    pub tasks_waiting_send: usize,
    /// Receives waiting for an item.
    pub tasks_waiting_receive: usize,
}
