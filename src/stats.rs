//! Counters shown by `INFO tally`: relaxed atomics, so counting costs no lock and no
//! allocation on the command path.

use crate::config;
use crate::server::InfoSink;
use std::ffi::CStr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The command families, for per-family counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Tourney = 0,
    Limit = 1,
    Audit = 2,
}

const FAMILIES: [(Family, &CStr, &CStr); 3] = [
    (Family::Tourney, c"tourney_calls", c"tourney_errors"),
    (Family::Limit, c"limit_calls", c"limit_errors"),
    (Family::Audit, c"audit_calls", c"audit_errors"),
];

static CALLS: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
static ERRORS: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

pub static LIMIT_ALLOWED: AtomicU64 = AtomicU64::new(0);
pub static LIMIT_DENIED: AtomicU64 = AtomicU64::new(0);
/// Calls refused by a limit but answered as allowed under `tally.limit-shadow`.
pub static LIMIT_SHADOW_DENIED: AtomicU64 = AtomicU64::new(0);
pub static AUDIT_TRIMMED: AtomicU64 = AtomicU64::new(0);
pub static AUDIT_DUPLICATES: AtomicU64 = AtomicU64::new(0);

pub fn count(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

/// Counts one call of a command of `family`, and whether it failed.
pub fn count_call(family: Family, failed: bool) {
    if let Some(calls) = CALLS.get(family as usize) {
        count(calls, 1);
    }
    if failed {
        if let Some(errors) = ERRORS.get(family as usize) {
            count(errors, 1);
        }
    }
}

fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// Writes the `tally` INFO section: counters, then the effective configs.
pub fn report(info: &InfoSink) {
    info.section();
    for (family, calls, errors) in FAMILIES {
        info.field_u64(calls, CALLS.get(family as usize).map_or(0, get));
        info.field_u64(errors, ERRORS.get(family as usize).map_or(0, get));
    }
    info.field_u64(c"limit_allowed", get(&LIMIT_ALLOWED));
    info.field_u64(c"limit_denied", get(&LIMIT_DENIED));
    info.field_u64(c"limit_shadow_denied", get(&LIMIT_SHADOW_DENIED));
    info.field_u64(c"audit_entries_trimmed", get(&AUDIT_TRIMMED));
    info.field_u64(c"audit_duplicates_dropped", get(&AUDIT_DUPLICATES));
    let limits = config::limits();
    let audit = config::audit_limits();
    info.field_str(c"require_hashtag", config::require_hashtag().word());
    info.field_i64(c"max_member_bytes", limits.max_member_bytes);
    info.field_i64(c"max_range", limits.max_range);
    info.field_i64(c"limit_max_log", config::limit_max_log());
    info.field_str(c"limit_shadow", if config::limit_shadow() { "yes" } else { "no" });
    info.field_i64(c"audit_max_len", audit.max_len);
    info.field_i64(c"audit_retention_ms", config::audit_retention_ms());
    info.field_i64(c"audit_max_field_bytes", audit.max_field_bytes);
    info.field_i64(c"audit_max_producers", config::audit_max_producers());
    info.field_i64(c"audit_verify_max", config::audit_verify_max());
}
