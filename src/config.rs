//! Module configs (`tally.*`): registered with the server, which range-checks them and
//! serves CONFIG GET/SET; read here lock-free on every call.

use redis_module::configuration::{ConfigurationContext, ConfigurationValue};
use redis_module::{enum_configuration, RedisError};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering};
use tally_core::tourney::Limits;

pub const MAX_MEMBER_BYTES_DEFAULT: i64 = 128;
pub const MAX_MEMBER_BYTES_MAX: i64 = 65536;
pub const MAX_RANGE_DEFAULT: i64 = 1000;
pub const MAX_RANGE_MAX: i64 = 100_000;

pub const AUDIT_MAX_LEN_DEFAULT: i64 = 10_000;
pub const AUDIT_MAX_LEN_MAX: i64 = 100_000_000;
pub const AUDIT_RETENTION_MAX: i64 = 100 * 365 * 24 * 3600 * 1000;
pub const AUDIT_MAX_FIELD_BYTES_DEFAULT: i64 = 65536;
pub const AUDIT_MAX_FIELD_BYTES_MAX: i64 = 512 * 1024 * 1024;
pub const AUDIT_MAX_PRODUCERS_DEFAULT: i64 = 10_000;
pub const AUDIT_MAX_PRODUCERS_MAX: i64 = 10_000_000;

pub static AUDIT_MAX_LEN: AtomicI64 = AtomicI64::new(AUDIT_MAX_LEN_DEFAULT);
pub static AUDIT_RETENTION_MS: AtomicI64 = AtomicI64::new(0);
pub static AUDIT_MAX_FIELD_BYTES: AtomicI64 = AtomicI64::new(AUDIT_MAX_FIELD_BYTES_DEFAULT);
pub static AUDIT_MAX_PRODUCERS: AtomicI64 = AtomicI64::new(AUDIT_MAX_PRODUCERS_DEFAULT);

pub const LIMIT_MAX_LOG_DEFAULT: i64 = 100_000;
pub const LIMIT_MAX_LOG_MAX: i64 = 10_000_000;

pub static LIMIT_MAX_LOG: AtomicI64 = AtomicI64::new(LIMIT_MAX_LOG_DEFAULT);
pub static MAX_MEMBER_BYTES: AtomicI64 = AtomicI64::new(MAX_MEMBER_BYTES_DEFAULT);
pub static MAX_RANGE: AtomicI64 = AtomicI64::new(MAX_RANGE_DEFAULT);
/// Whether the server runs as a cluster node: fixed at startup, read at module load.
pub static CLUSTER_MODE: AtomicBool = AtomicBool::new(false);
pub static REQUIRE_HASHTAG: HashtagSetting = HashtagSetting(AtomicI32::new(HashtagMode::auto as i32));

enum_configuration! {
    /// `tally.require-hashtag`: the variant names are the values users type.
    #[allow(non_camel_case_types)]
    #[derive(Debug, PartialEq, Eq, Copy)]
    pub enum HashtagMode {
        /// Enforced when the server runs in cluster mode.
        auto = 0,
        yes = 1,
        no = 2,
    }
}

/// An enum config kept in an atomic, so reading it costs no lock on the hot path.
pub struct HashtagSetting(AtomicI32);

impl HashtagMode {
    pub fn name(self) -> &'static std::ffi::CStr {
        match self {
            HashtagMode::auto => c"auto",
            HashtagMode::yes => c"yes",
            HashtagMode::no => c"no",
        }
    }
}

impl HashtagSetting {
    pub fn get(&self) -> HashtagMode {
        HashtagMode::try_from(self.0.load(Ordering::Relaxed)).unwrap_or(HashtagMode::auto)
    }
}

impl ConfigurationValue<HashtagMode> for HashtagSetting {
    fn get(&self, _ctx: &ConfigurationContext) -> HashtagMode {
        HashtagSetting::get(self)
    }

    fn set(&self, _ctx: &ConfigurationContext, value: HashtagMode) -> Result<(), RedisError> {
        self.0.store(value as i32, Ordering::Relaxed);
        Ok(())
    }
}

pub fn limits() -> Limits {
    Limits { max_member_bytes: MAX_MEMBER_BYTES.load(Ordering::Relaxed), max_range: MAX_RANGE.load(Ordering::Relaxed) }
}

/// `tally.limit-max-log`: the most entries one sliding log may hold.
pub fn limit_max_log() -> i64 {
    LIMIT_MAX_LOG.load(Ordering::Relaxed)
}

pub fn audit_limits() -> tally_core::audit::Limits {
    tally_core::audit::Limits {
        max_len: AUDIT_MAX_LEN.load(Ordering::Relaxed),
        max_field_bytes: AUDIT_MAX_FIELD_BYTES.load(Ordering::Relaxed),
    }
}

/// `tally.audit-retention-ms`: entries older than this are trimmed (0 = off).
pub fn audit_retention_ms() -> i64 {
    AUDIT_RETENTION_MS.load(Ordering::Relaxed)
}

/// `tally.audit-max-producers`: the most idempotent producers one stream tracks.
pub fn audit_max_producers() -> i64 {
    AUDIT_MAX_PRODUCERS.load(Ordering::Relaxed)
}
