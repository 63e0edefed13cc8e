//! The one error type of tally. Its `Display` is the exact RESP error text (code word
//! first, ASCII only) that the module replies and the wasm build returns.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Wrong argument count; carries the lower-case command name as Redis prints it.
    WrongArity(&'static str),
    Syntax,
    NotInteger,
    NotFloat,
    /// A number outside what the argument accepts.
    OutOfRange {
        what: &'static str,
        min: i64,
        max: i64,
    },
    EmptyMember,
    MemberTooLong {
        max: i64,
    },
    /// `DATA` while `tally.max-data-bytes` is 0.
    DataDisabled,
    DataTooLong {
        max: i64,
    },
    /// An increment whose result is infinite or NaN.
    ResultNotFinite,
    /// A key without a hash tag while tags are required; carries the key bytes.
    NeedsHashTag(Vec<u8>),
    CrossSlot,
    WrongType,
    /// An IDEMPOTENT producer id that is empty or too long.
    ProducerId,
    EmptyField,
    EmptyGroup,
    FieldTooLong {
        max: i64,
    },
    /// An IDEMPOTENT sequence below the producer's last accepted one.
    StaleSequence {
        seq: i64,
        last: i64,
    },
    /// A new IDEMPOTENT producer on a stream that already tracks the most it may.
    TooManyProducers {
        max: i64,
    },
    /// A stream whose last ID is the largest possible.
    StreamExhausted,
    /// An entry the stream cannot store.
    EntryTooLarge,
    /// The caller's ACL forbids a key the command derives from its arguments.
    NoPermission,
    /// A multi-key command given the same key twice.
    DuplicateKey,
    /// A GCRA limiter whose full refill would take longer than ten years.
    RefillTooLong,
    /// A string key that does not hold GCRA limiter state.
    NotALimiter,
    /// A string key that does not hold a LIMIT.FIXED count.
    NotACounter,
    /// LIMIT.ACQUIRE, RELEASE or RENEW with an empty token.
    EmptyToken,
    /// A lease token longer than the most a call may name.
    TokenTooLong {
        max: usize,
    },
    /// TIES DENSE asked of a leaderboard whose tournament does not keep dense ranks.
    DenseNotKept,
    /// TOURNEY.CREATE with settings other than the tournament's; carries the key.
    TournamentExists(Vec<u8>),
    /// TIEBREAK FIRST or TIES DENSE asked of a leaderboard that already has members.
    TournamentHasMembers(Vec<u8>),
    /// A tournament's companion keys no longer match its leaderboard; carries the key.
    TournamentOutOfSync(Vec<u8>),
    /// A tournament's settings key holds something tally did not write; carries the key.
    BadTournamentSettings(Vec<u8>),
    /// An append to an `ONFULL REFUSE` stream that would trim an entry a consumer group has
    /// not acknowledged: the key and that group (`None`: the stream has no group).
    Full {
        key: Vec<u8>,
        group: Option<Vec<u8>>,
    },
    /// A command that keeps keys beside `key` (settings, anchors) on a key without a hash
    /// tag: with no tag, two distinct keys could name the same companion.
    CompanionsNeedHashTag {
        kind: &'static str,
        key: Vec<u8>,
    },
    /// AUDIT.CREATE with settings other than the stream's; carries the key.
    AuditExists(Vec<u8>),
    /// CHAIN asked of a stream that already has entries; carries the key.
    ChainOnEntries(Vec<u8>),
    /// An audit stream's settings key holds something tally did not write; carries the key.
    BadAuditSettings(Vec<u8>),
    /// CHAIN with approximate trimming: the chain's anchor needs to know each trimmed entry.
    ChainNeedsExactCap,
    /// A caller's field named `chain` on a chained stream.
    ChainFieldReserved,
    /// The newest entry of a chained stream carries no valid `chain` field, so no append can
    /// link to it; carries the key.
    ChainBroken(Vec<u8>),
    /// VERIFY on a stream that is not chained.
    NotChained,
    /// VERIFY FROM an entry no longer in the stream.
    FromNotInStream,
    /// Not a stream ID (`<ms>-<seq>`).
    BadStreamId,
    /// Not a chain hash (64 hex digits).
    BadChainHash,
    /// An EXPIREAT time that has already passed.
    ExpireInPast,
    /// A write naming the previous season, whose leaderboard is final.
    PastSeasonWrite,
    /// A panic caught at the FFI boundary (a bug in tally, never user input).
    Internal,
    /// An error reply passed through from the server (already carries its code word).
    Server(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::WrongArity(cmd) => {
                write!(f, "ERR wrong number of arguments for '{cmd}' command")
            }
            Error::Syntax => f.write_str("ERR syntax error"),
            Error::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            Error::NotFloat => f.write_str("ERR value is not a valid float"),
            Error::OutOfRange { what, min, max } => {
                write!(f, "ERR {what} must be between {min} and {max}")
            }
            Error::EmptyMember => f.write_str("ERR member must not be empty"),
            Error::MemberTooLong { max } => write!(
                f,
                "ERR member is longer than tally.max-member-bytes ({max} bytes)"
            ),
            Error::DataDisabled => f.write_str("ERR member data is disabled (tally.max-data-bytes is 0)"),
            Error::DataTooLong { max } => {
                write!(f, "ERR member data is longer than tally.max-data-bytes ({max} bytes)")
            }
            Error::ResultNotFinite => {
                f.write_str("ERR increment would produce a score that is not a finite number")
            }
            Error::NeedsHashTag(key) => write!(
                f,
                "ERR key '{}' needs a hash tag like {{id}} so related keys share a cluster slot",
                Quoted(key)
            ),
            Error::CrossSlot => f.write_str("CROSSSLOT Keys in request don't hash to the same slot"),
            Error::WrongType => f.write_str(
                "WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            Error::ProducerId => f.write_str("ERR producer id must be 1 to 64 bytes"),
            Error::EmptyField => f.write_str("ERR field names must not be empty"),
            Error::EmptyGroup => f.write_str("ERR group name must not be empty"),
            Error::FieldTooLong { max } => write!(
                f,
                "ERR field or value is longer than tally.audit-max-field-bytes ({max} bytes)"
            ),
            Error::StaleSequence { seq, last } => write!(
                f,
                "ERR sequence {seq} is below the producer's last accepted sequence {last}"
            ),
            Error::TooManyProducers { max } => write!(
                f,
                "ERR the stream already tracks tally.audit-max-producers ({max}) idempotent producers"
            ),
            Error::StreamExhausted => {
                f.write_str("ERR The stream has exhausted the last possible ID, unable to add more items")
            }
            Error::EntryTooLarge => f.write_str("ERR Elements are too large to be stored"),
            Error::NoPermission => {
                f.write_str("NOPERM this user has no permissions to access one of the keys used as arguments")
            }
            Error::DuplicateKey => f.write_str("ERR the same key is given more than once"),
            Error::RefillTooLong => f.write_str(
                "ERR burst, count and period_ms give a refill time over ten years",
            ),
            Error::NotALimiter => f.write_str("WRONGTYPE key holds a string that is not GCRA limiter state"),
            Error::NotACounter => f.write_str("WRONGTYPE key holds a string that is not a LIMIT.FIXED count"),
            Error::EmptyToken => f.write_str("ERR token must not be empty"),
            Error::TokenTooLong { max } => write!(f, "ERR token is longer than {max} bytes"),
            Error::DenseNotKept => {
                f.write_str("ERR TIES DENSE needs a tournament created with TOURNEY.CREATE ... TIES DENSE")
            }
            Error::TournamentExists(key) => write!(
                f,
                "ERR tournament '{}' already exists with other settings",
                Quoted(key)
            ),
            Error::TournamentHasMembers(key) => write!(
                f,
                "ERR leaderboard '{}' already has members: TIEBREAK FIRST and TIES DENSE start from an empty leaderboard",
                Quoted(key)
            ),
            Error::TournamentOutOfSync(key) => write!(
                f,
                "ERR tournament '{}' was changed outside TOURNEY commands: its companion keys no longer match it",
                Quoted(key)
            ),
            Error::BadTournamentSettings(key) => write!(
                f,
                "WRONGTYPE the settings key of tournament '{}' holds a value tally did not write",
                Quoted(key)
            ),
            Error::Full { key, group: Some(group) } => write!(
                f,
                "FULL audit log '{}' is full: consumer group '{}' has not acknowledged the oldest entry",
                Quoted(key),
                Quoted(group)
            ),
            Error::Full { key, group: None } => write!(
                f,
                "FULL audit log '{}' is full: ONFULL REFUSE keeps every entry until all consumer groups \
                 acknowledge it, and the stream has no consumer group",
                Quoted(key)
            ),
            Error::CompanionsNeedHashTag { kind, key } => write!(
                f,
                "ERR {kind} '{}' needs a hash tag like {{id}} in its name: tally keeps its companion keys beside it",
                Quoted(key)
            ),
            Error::AuditExists(key) => write!(
                f,
                "ERR audit log '{}' already exists with other settings (AUDIT.INFO shows them)",
                Quoted(key)
            ),
            Error::ChainOnEntries(key) => write!(
                f,
                "ERR audit log '{}' already has entries: CHAIN must be set before the first append",
                Quoted(key)
            ),
            Error::BadAuditSettings(key) => {
                write!(f, "ERR the settings key of audit log '{}' holds a value tally did not write", Quoted(key))
            }
            Error::ChainNeedsExactCap => {
                f.write_str("ERR CHAIN needs an exact MAXLEN: the chain records each entry it trims")
            }
            Error::ChainFieldReserved => f.write_str("ERR the field name 'chain' is reserved on a chained audit log"),
            Error::ChainBroken(key) => write!(
                f,
                "ERR audit log '{}' has a newest entry without a valid chain field (AUDIT.VERIFY finds where)",
                Quoted(key)
            ),
            Error::NotChained => f.write_str("ERR the audit log is not chained (AUDIT.CREATE ... CHAIN)"),
            Error::FromNotInStream => f.write_str("ERR the FROM entry is no longer in the stream"),
            Error::BadStreamId => f.write_str("ERR Invalid stream ID specified as stream command argument"),
            Error::BadChainHash => f.write_str("ERR a chain hash is 64 hex digits"),
            Error::ExpireInPast => f.write_str("ERR EXPIREAT is in the past"),
            Error::PastSeasonWrite => f.write_str("ERR SEASON ... PREVIOUS is for reads: a past season takes no writes"),
            Error::Internal => {
                f.write_str("ERR internal error in tally, details are in the server log")
            }
            Error::Server(text) => write!(f, "{}", Printable(text.as_bytes())),
        }
    }
}

impl std::error::Error for Error {}

/// Shows user bytes inside an error text: printable ASCII as is, anything else as `\xNN`,
/// so error replies stay ASCII and never carry a NUL.
struct Printable<'a>(&'a [u8]);

/// The most bytes of a key or name an error quotes: a 1 MB key gets a short error.
const QUOTED_MAX: usize = 64;

/// A key or name inside an error text: `Printable`, cut to its first `QUOTED_MAX` bytes
/// followed by `...` when longer.
struct Quoted<'a>(&'a [u8]);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.get(..QUOTED_MAX) {
            Some(head) if self.0.len() > QUOTED_MAX => write!(f, "{}...", Printable(head)),
            _ => write!(f, "{}", Printable(self.0)),
        }
    }
}

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &byte in self.0 {
            if byte == b'\\' {
                f.write_str("\\\\")?;
            } else if (0x20..0x7f).contains(&byte) {
                write!(f, "{}", byte as char)?;
            } else {
                write!(f, "\\x{byte:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_redis_style() {
        assert_eq!(
            Error::WrongArity("tourney.incr").to_string(),
            "ERR wrong number of arguments for 'tourney.incr' command"
        );
        assert_eq!(
            Error::OutOfRange { what: "count", min: 1, max: 1000 }.to_string(),
            "ERR count must be between 1 and 1000"
        );
        assert!(Error::WrongType.to_string().starts_with("WRONGTYPE "));
    }

    #[test]
    fn key_bytes_are_escaped_to_ascii() {
        let text = Error::NeedsHashTag(b"a\0b\xffc\\".to_vec()).to_string();
        assert!(text.starts_with("ERR key 'a\\x00b\\xffc\\\\' needs a hash tag like {id}"));
        assert!(text.is_ascii());
    }

    #[test]
    fn long_keys_are_quoted_by_their_start() {
        let text = Error::NeedsHashTag(vec![b'k'; 1 << 20]).to_string();
        assert!(text.starts_with(&format!("ERR key '{}...' needs a hash tag", "k".repeat(64))), "{text}");
        assert!(text.len() < 200);
        let exact = Error::NeedsHashTag(vec![b'k'; 64]).to_string();
        assert!(exact.starts_with(&format!("ERR key '{}' needs", "k".repeat(64))));
    }
}
