//! WARN and ERROR events of the test binary, captured by a global subscriber installed on
//! first use (tests assert what rmq tells its users).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

/// Captured log events: level and fields.
pub type Logs = Arc<Mutex<Vec<(tracing::Level, String)>>>;

/// Records WARN and ERROR events.
struct Capture(Logs);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, meta: &tracing::Metadata<'_>) -> bool {
        *meta.level() <= tracing::Level::WARN
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut f = Fields(String::new());
        event.record(&mut f);
        self.0
            .lock()
            .unwrap()
            .push((*event.metadata().level(), f.0));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

pub fn captured() -> Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs: Logs = Arc::default();
        let _ = tracing::subscriber::set_global_default(Capture(logs.clone()));
        logs
    })
    .clone()
}

/// The captured WARN/ERROR events whose fields contain every one of `needles`.
pub fn matching(logs: &Logs, needles: &[&str]) -> Vec<String> {
    logs.lock()
        .unwrap()
        .iter()
        .map(|(_, f)| f.clone())
        .filter(|f| needles.iter().all(|n| f.contains(n)))
        .collect()
}
