//! The module's configs (`tally.<name>`): names, defaults and ranges, defined once here and
//! read by the module's registration, its load-argument check and the wasm build.

/// A numeric config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numeric {
    /// The name without the `tally.` prefix.
    pub name: &'static str,
    pub default: i64,
    pub min: i64,
    pub max: i64,
    /// A size in bytes: values may carry Redis' memory units (`64kb`, `1mb`, `2g`).
    pub memory: bool,
}

pub const MAX_MEMBER_BYTES: Numeric =
    Numeric { name: "max-member-bytes", default: 128, min: 1, max: 65_536, memory: false };
pub const MAX_RANGE: Numeric = Numeric { name: "max-range", default: 1000, min: 1, max: 100_000, memory: false };
/// The most bytes of a leaderboard member's data (`DATA`); 0 turns member data off.
pub const MAX_DATA_BYTES: Numeric =
    Numeric { name: "max-data-bytes", default: 1024, min: 0, max: 65_536, memory: false };
pub const LIMIT_MAX_LOG: Numeric =
    Numeric { name: "limit-max-log", default: 100_000, min: 1, max: 10_000_000, memory: false };
pub const AUDIT_MAX_LEN: Numeric =
    Numeric { name: "audit-max-len", default: 10_000, min: 1, max: 100_000_000, memory: false };
/// 0 turns retention off; the most is a hundred years.
pub const AUDIT_RETENTION_MS: Numeric =
    Numeric { name: "audit-retention-ms", default: 0, min: 0, max: 100 * 365 * 24 * 3600 * 1000, memory: false };
pub const AUDIT_MAX_FIELD_BYTES: Numeric =
    Numeric { name: "audit-max-field-bytes", default: 65_536, min: 1, max: 512 * 1024 * 1024, memory: true };
pub const AUDIT_MAX_PRODUCERS: Numeric =
    Numeric { name: "audit-max-producers", default: 10_000, min: 1, max: 10_000_000, memory: false };
/// The most links one AUDIT.VERIFY call checks (its COUNT's bound), so one call never holds
/// the server for long.
pub const AUDIT_VERIFY_MAX: Numeric =
    Numeric { name: "audit-verify-max", default: 100_000, min: 1, max: 10_000_000, memory: false };

/// Every numeric config, in the order `CONFIG GET tally.*` lists them.
pub const NUMERIC: [Numeric; 9] = [
    MAX_MEMBER_BYTES,
    MAX_RANGE,
    MAX_DATA_BYTES,
    LIMIT_MAX_LOG,
    AUDIT_MAX_LEN,
    AUDIT_RETENTION_MS,
    AUDIT_MAX_FIELD_BYTES,
    AUDIT_MAX_PRODUCERS,
    AUDIT_VERIFY_MAX,
];

/// A yes/no config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    /// The name without the `tally.` prefix.
    pub name: &'static str,
    pub default: bool,
}

/// Shadow mode: LIMIT.* calls that would be refused are answered as allowed (and counted),
/// so a new limit can be watched before it is enforced.
pub const LIMIT_SHADOW: Flag = Flag { name: "limit-shadow", default: false };

/// Every yes/no config, listed after the numeric ones.
pub const FLAGS: [Flag; 1] = [LIMIT_SHADOW];

impl Flag {
    /// Parses `yes` or `no` (any case), as the server reads its own yes/no configs.
    pub fn parse(&self, text: &[u8]) -> Result<bool, String> {
        if text.eq_ignore_ascii_case(b"yes") {
            Ok(true)
        } else if text.eq_ignore_ascii_case(b"no") {
            Ok(false)
        } else {
            Err(format!("{} {} is not yes or no", self.name, String::from_utf8_lossy(text)))
        }
    }
}

/// `tally.require-hashtag`: whether keys must carry a hash tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashtagMode {
    /// Required when the server runs in cluster mode.
    Auto,
    Yes,
    No,
}

impl HashtagMode {
    pub const NAME: &'static str = "require-hashtag";
    pub const DEFAULT: HashtagMode = HashtagMode::Auto;
    /// Every value, as users type it, in the order the server lists them.
    pub const ALL: [HashtagMode; 3] = [HashtagMode::Auto, HashtagMode::Yes, HashtagMode::No];

    pub fn word(self) -> &'static str {
        match self {
            HashtagMode::Auto => "auto",
            HashtagMode::Yes => "yes",
            HashtagMode::No => "no",
        }
    }

    /// The mode a value names (case-insensitive, as the server's enum configs).
    pub fn parse(text: &[u8]) -> Option<HashtagMode> {
        HashtagMode::ALL.into_iter().find(|mode| mode.word().as_bytes().eq_ignore_ascii_case(text))
    }

    /// Whether keys must carry a hash tag, given whether the server is a cluster node.
    pub fn required(self, cluster: bool) -> bool {
        match self {
            HashtagMode::Auto => cluster,
            HashtagMode::Yes => true,
            HashtagMode::No => false,
        }
    }
}

/// The names of every config, for the message that lists them.
pub fn names() -> impl Iterator<Item = &'static str> {
    NUMERIC
        .iter()
        .map(|config| config.name)
        .chain(FLAGS.iter().map(|flag| flag.name))
        .chain(std::iter::once(HashtagMode::NAME))
}

impl Numeric {
    /// Parses a value as the server parses this config in a config file or CONFIG SET:
    /// a decimal integer, with memory units for memory configs; then checks the range.
    /// The error says which config and value, as `<name> <value> is ...`.
    pub fn parse(&self, text: &[u8]) -> Result<i64, String> {
        let shown = String::from_utf8_lossy(text.get(..text.len().min(64)).unwrap_or_default()).into_owned();
        let value = if self.memory { parse_memory(text) } else { crate::number::parse_i64(text).ok() };
        let Some(value) = value else {
            let kind = if self.memory { "not a size in bytes (like 65536 or 64kb)" } else { "not an integer" };
            return Err(format!("{} {shown} is {kind}", self.name));
        };
        if !(self.min..=self.max).contains(&value) {
            return Err(format!("{} {shown} is out of range ({}..{})", self.name, self.min, self.max));
        }
        Ok(value)
    }
}

/// A size as Redis reads memory configs: digits with an optional unit, `b`, `k` (1000),
/// `kb` (1024), `m`, `mb`, `g` or `gb`, in any case. `None` when it is not one or overflows.
pub fn parse_memory(text: &[u8]) -> Option<i64> {
    let digits = text.iter().take_while(|byte| byte.is_ascii_digit()).count();
    let (number, unit) = text.split_at(digits);
    let unit = unit.to_ascii_lowercase();
    let scale: i64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if number.is_empty() {
        return None;
    }
    let value = std::str::from_utf8(number).ok()?.parse::<i64>().ok()?;
    value.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units_as_redis_reads_them() {
        assert_eq!(parse_memory(b"65536"), Some(65_536));
        assert_eq!(parse_memory(b"64kb"), Some(65_536));
        assert_eq!(parse_memory(b"64KB"), Some(65_536));
        assert_eq!(parse_memory(b"2k"), Some(2000));
        assert_eq!(parse_memory(b"1mb"), Some(1_048_576));
        assert_eq!(parse_memory(b"1gb"), Some(1_073_741_824));
        assert_eq!(parse_memory(b"10b"), Some(10));
        for bad in [&b""[..], b"kb", b"-1", b"1.5mb", b"12x", b"99999999999999999999", b"9999999999gb"] {
            assert_eq!(parse_memory(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn parse_names_the_config_and_value() {
        assert_eq!(AUDIT_MAX_FIELD_BYTES.parse(b"64kb"), Ok(65_536));
        assert_eq!(LIMIT_MAX_LOG.parse(b"abc"), Err("limit-max-log abc is not an integer".to_string()));
        assert_eq!(LIMIT_MAX_LOG.parse(b"0"), Err("limit-max-log 0 is out of range (1..10000000)".to_string()));
        assert_eq!(LIMIT_MAX_LOG.parse(b"64kb").map_err(|e| e.contains("not an integer")), Err(true));
        assert_eq!(AUDIT_RETENTION_MS.parse(b"0"), Ok(0));
    }

    #[test]
    fn defaults_are_in_range_and_names_unique() {
        for config in NUMERIC {
            assert!((config.min..=config.max).contains(&config.default), "{}", config.name);
        }
        let mut all: Vec<&str> = names().collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count);
    }

    #[test]
    fn flags_read_yes_and_no() {
        assert_eq!(LIMIT_SHADOW.parse(b"YES"), Ok(true));
        assert_eq!(LIMIT_SHADOW.parse(b"no"), Ok(false));
        assert_eq!(LIMIT_SHADOW.parse(b"1"), Err("limit-shadow 1 is not yes or no".to_string()));
    }

    #[test]
    fn hashtag_mode_words() {
        assert_eq!(HashtagMode::parse(b"YES"), Some(HashtagMode::Yes));
        assert_eq!(HashtagMode::parse(b"maybe"), None);
        assert!(HashtagMode::Auto.required(true));
        assert!(!HashtagMode::Auto.required(false));
    }
}
