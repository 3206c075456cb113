//! With the `tracing` feature, a child task runs in the span that was current where it was
//! spawned, inside an `anyio.task` span that carries its name.
#![cfg(feature = "tracing")]

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use anyio::task_group;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Instrument, Metadata, Subscriber};

/// A span as recorded: its name, fields and parent.
#[derive(Clone, Debug)]
struct SpanRecord {
    name: &'static str,
    metadata: &'static Metadata<'static>,
    fields: HashMap<String, String>,
    parent: Option<u64>,
}

/// Records every span and, for each event with a `marker` field, the span it happened in.
#[derive(Default)]
struct Recorded {
    next_id: AtomicU64,
    spans: Mutex<HashMap<u64, SpanRecord>>,
    events: Mutex<HashMap<String, Option<u64>>>,
}

thread_local! {
    static ENTERED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

fn current() -> Option<u64> {
    ENTERED.with(|entered| entered.borrow().last().copied())
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

/// The subscriber, whose records live in [`recorder`]'s static.
struct Recorder;

impl std::ops::Deref for Recorder {
    type Target = Recorded;

    fn deref(&self) -> &Recorded {
        recorder()
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = HashMap::new();
        attributes.record(&mut Fields(&mut fields));
        let parent = if attributes.is_contextual() {
            current()
        } else {
            attributes.parent().map(Id::into_u64)
        };
        let metadata = attributes.metadata();
        let record = SpanRecord {
            name: metadata.name(),
            metadata,
            fields,
            parent,
        };
        self.spans.lock().unwrap().insert(id, record);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(record) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut record.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        if let Some(marker) = fields.remove("marker") {
            let span = if event.is_contextual() {
                current()
            } else {
                event.parent().map(Id::into_u64)
            };
            self.events.lock().unwrap().insert(marker, span);
        }
    }

    /// What `Span::current()` asks: the span this thread entered last.
    fn current_span(&self) -> tracing_core::span::Current {
        let spans = self.spans.lock().unwrap();
        match current().and_then(|id| spans.get(&id).map(|span| (id, span.metadata))) {
            Some((id, metadata)) => tracing_core::span::Current::new(Id::from_u64(id), metadata),
            None => tracing_core::span::Current::none(),
        }
    }

    fn enter(&self, span: &Id) {
        ENTERED.with(|entered| entered.borrow_mut().push(span.into_u64()));
    }

    fn exit(&self, _: &Id) {
        ENTERED.with(|entered| entered.borrow_mut().pop());
    }
}

/// The recorder, installed once as the global default: children run on executor threads,
/// which a thread-local default would not reach.
fn recorder() -> &'static Recorded {
    static RECORDED: OnceLock<Recorded> = OnceLock::new();
    static INSTALLED: OnceLock<()> = OnceLock::new();
    let recorded = RECORDED.get_or_init(Recorded::default);
    INSTALLED.get_or_init(|| {
        tracing::dispatcher::set_global_default(tracing::Dispatch::new(Recorder))
            .expect("no other global subscriber");
    });
    recorded
}

/// The spans an event marked `marker` happened in, innermost first.
fn chain_of(marker: &str) -> Vec<SpanRecord> {
    let recorder = recorder();
    let mut span = *recorder
        .events
        .lock()
        .unwrap()
        .get(marker)
        .unwrap_or_else(|| panic!("no event {marker}"));
    let spans = recorder.spans.lock().unwrap();
    let mut chain = Vec::new();
    while let Some(id) = span {
        let record = spans[&id].clone();
        span = record.parent;
        chain.push(record);
    }
    chain
}

fn names(chain: &[SpanRecord]) -> Vec<&'static str> {
    chain.iter().map(|span| span.name).collect()
}

/// A marker unique to this test on this backend (tests run concurrently).
fn marker(test: &str) -> String {
    format!("{test}-{:?}", anyio::current_backend())
}

#[anyio::test]
async fn a_child_runs_in_the_span_current_where_it_was_spawned() {
    recorder();
    let mark = marker("inherit");
    let logged = mark.clone();
    task_group(|tg| async move {
        tg.start_soon(async move {
            anyio::checkpoint().await;
            tracing::info!(marker = logged.as_str(), "in the child");
        })?;
        Ok::<_, anyio::SpawnError>(())
    })
    .instrument(tracing::info_span!("request", path = "/quote"))
    .await
    .unwrap();
    let chain = chain_of(&mark);
    assert_eq!(names(&chain), ["anyio.task", "request"]);
    assert_eq!(chain[1].fields["path"], "/quote");
}

#[anyio::test]
async fn a_named_child_s_span_carries_its_name_and_id() {
    recorder();
    let mark = marker("named");
    let logged = mark.clone();
    task_group(|tg| async move {
        let handle = tg.task().name("worker").spawn(async move {
            tracing::info!(marker = logged.as_str(), "named");
            anyio::get_current_task().unwrap().id.as_u64()
        })?;
        handle.await.map_err(|_| anyio::SpawnError::GroupFinished)
    })
    .await
    .map(|id| {
        let chain = chain_of(&mark);
        assert_eq!(names(&chain)[0], "anyio.task");
        assert_eq!(chain[0].fields["task.name"], "worker");
        assert_eq!(chain[0].fields["task.id"], id.to_string());
    })
    .unwrap();
}

#[anyio::test]
async fn grandchildren_keep_the_whole_chain() {
    recorder();
    let mark = marker("nested");
    let logged = mark.clone();
    task_group(|tg| async move {
        let spawner = tg.clone();
        tg.task().name("outer").start_soon(async move {
            // Created inside the outer child, so under its `anyio.task` span.
            let step = tracing::info_span!("step");
            async move {
                spawner.task().name("inner").start_soon(async move {
                    tracing::info!(marker = logged.as_str(), "grandchild");
                })
            }
            .instrument(step)
            .await
        })?;
        Ok::<_, anyio::SpawnError>(())
    })
    .instrument(tracing::info_span!("request"))
    .await
    .unwrap();
    let chain = chain_of(&mark);
    assert_eq!(
        names(&chain),
        ["anyio.task", "step", "anyio.task", "request"]
    );
    assert_eq!(chain[0].fields["task.name"], "inner");
    assert_eq!(chain[2].fields["task.name"], "outer");
}
