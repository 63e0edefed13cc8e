//! The values of the module's configs (`tally.<name>`), read lock-free on every call.
//! Their names, defaults and ranges are `tally_core::config`'s; `server::register_configs`
//! registers them with the server, which serves CONFIG GET/SET and range-checks them.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering};
use tally_core::config::{self as spec, Flag, HashtagMode, Numeric, FLAGS, NUMERIC};
use tally_core::tourney::Limits;

/// The value of each config of `NUMERIC`, at the same index.
pub static NUMERIC_VALUES: [AtomicI64; NUMERIC.len()] = {
    let mut values = [const { AtomicI64::new(0) }; NUMERIC.len()];
    let mut index = 0;
    while index < NUMERIC.len() {
        values[index] = AtomicI64::new(NUMERIC[index].default);
        index += 1;
    }
    values
};

/// The value of each config of `FLAGS`, at the same index.
pub static FLAG_VALUES: [AtomicBool; FLAGS.len()] = {
    let mut values = [const { AtomicBool::new(false) }; FLAGS.len()];
    let mut index = 0;
    while index < FLAGS.len() {
        values[index] = AtomicBool::new(FLAGS[index].default);
        index += 1;
    }
    values
};

/// `tally.require-hashtag`, as the discriminant of its `HashtagMode` (the number the
/// server stores for the enum config).
pub static REQUIRE_HASHTAG: AtomicI32 = AtomicI32::new(HashtagMode::DEFAULT as i32);

/// Whether the server runs as a cluster node: fixed at startup, read at module load.
pub static CLUSTER_MODE: AtomicBool = AtomicBool::new(false);

pub fn require_hashtag() -> HashtagMode {
    let stored = REQUIRE_HASHTAG.load(Ordering::Relaxed);
    HashtagMode::ALL.into_iter().find(|mode| *mode as i32 == stored).unwrap_or(HashtagMode::DEFAULT)
}

const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut at = 0;
    while at < a.len() {
        if a[at] != b[at] {
            return false;
        }
        at += 1;
    }
    true
}

/// Where `config` sits in `NUMERIC` (and `NUMERIC_VALUES`), found at compile time: a
/// config missing from `NUMERIC` fails the build.
const fn slot(config: Numeric) -> usize {
    let mut index = 0;
    while index < NUMERIC.len() {
        if same_name(NUMERIC[index].name, config.name) {
            return index;
        }
        index += 1;
    }
    panic!("a config missing from tally_core::config::NUMERIC")
}

/// Where `flag` sits in `FLAGS` (and `FLAG_VALUES`), found at compile time.
const fn flag_slot(flag: Flag) -> usize {
    let mut index = 0;
    while index < FLAGS.len() {
        if same_name(FLAGS[index].name, flag.name) {
            return index;
        }
        index += 1;
    }
    panic!("a config missing from tally_core::config::FLAGS")
}

fn value(slot: usize) -> i64 {
    NUMERIC_VALUES.get(slot).map_or(0, |value| value.load(Ordering::Relaxed))
}

pub fn limits() -> Limits {
    Limits {
        max_member_bytes: value(const { slot(spec::MAX_MEMBER_BYTES) }),
        max_range: value(const { slot(spec::MAX_RANGE) }),
        max_data_bytes: value(const { slot(spec::MAX_DATA_BYTES) }),
    }
}

/// `tally.limit-shadow`: refusals are answered as allowed, and counted.
pub fn limit_shadow() -> bool {
    FLAG_VALUES.get(const { flag_slot(spec::LIMIT_SHADOW) }).is_some_and(|value| value.load(Ordering::Relaxed))
}

/// `tally.limit-max-log`: the most entries one sliding log may hold.
pub fn limit_max_log() -> i64 {
    value(const { slot(spec::LIMIT_MAX_LOG) })
}

pub fn audit_limits() -> tally_core::audit::Limits {
    tally_core::audit::Limits {
        max_len: value(const { slot(spec::AUDIT_MAX_LEN) }),
        max_field_bytes: value(const { slot(spec::AUDIT_MAX_FIELD_BYTES) }),
    }
}

/// `tally.audit-retention-ms`: entries older than this are trimmed (0 = off).
pub fn audit_retention_ms() -> i64 {
    value(const { slot(spec::AUDIT_RETENTION_MS) })
}

/// `tally.audit-max-producers`: the most idempotent producers one stream tracks.
pub fn audit_max_producers() -> i64 {
    value(const { slot(spec::AUDIT_MAX_PRODUCERS) })
}

/// `tally.audit-verify-max`: the most links one AUDIT.VERIFY call checks.
pub fn audit_verify_max() -> i64 {
    value(const { slot(spec::AUDIT_VERIFY_MAX) })
}

/// The configs' values at load: the defaults with the loadmodule arguments' `name value`
/// pairs applied. They become the defaults the configs are registered with (the server
/// applies config-file lines over them).
pub struct LoadValues {
    pub numeric: [i64; NUMERIC.len()],
    pub flags: [bool; FLAGS.len()],
    pub hashtag: HashtagMode,
}

/// Reads the loadmodule arguments. The server range-checks CONFIG SET and config-file
/// values but not registration defaults, so they are parsed and checked here, and names
/// that are no config are refused: a typo fails the load instead of being ignored.
pub fn load_values(args: &[&[u8]]) -> Result<LoadValues, String> {
    if !args.len().is_multiple_of(2) {
        return Err("loadmodule arguments must be pairs of config name and value".into());
    }
    let mut values = LoadValues {
        numeric: NUMERIC.map(|config| config.default),
        flags: FLAGS.map(|flag| flag.default),
        hashtag: HashtagMode::DEFAULT,
    };
    for pair in args.chunks_exact(2) {
        let &[name, value] = pair else { continue };
        if name == HashtagMode::NAME.as_bytes() {
            values.hashtag = HashtagMode::parse(value).ok_or_else(|| {
                let words: Vec<&str> = HashtagMode::ALL.iter().map(|mode| mode.word()).collect();
                format!("{} {} is not one of {}", HashtagMode::NAME, String::from_utf8_lossy(value), words.join(", "))
            })?;
        } else if let Some((config, slot)) =
            NUMERIC.iter().zip(&mut values.numeric).find(|(config, _)| config.name.as_bytes() == name)
        {
            *slot = config.parse(value)?;
        } else if let Some((flag, slot)) =
            FLAGS.iter().zip(&mut values.flags).find(|(flag, _)| flag.name.as_bytes() == name)
        {
            *slot = flag.parse(value)?;
        } else {
            let known: Vec<&str> = spec::names().collect();
            return Err(format!(
                "unknown config '{}' in loadmodule arguments (known: {})",
                String::from_utf8_lossy(name),
                known.join(", ")
            ));
        }
    }
    Ok(values)
}
