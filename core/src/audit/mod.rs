//! AUDIT.*: argument grammar, stream IDs, idempotent-producer decisions and the naming
//! of companion keys; a stream's own settings in `settings`, its hash chain in `chain`.

pub mod chain;
pub mod settings;

use crate::number::{digits_before, parse_i64, parse_i64_in};
use crate::slot::companion_key;
use crate::Error;
use settings::{parse_maxlen, CapMode};
use std::fmt;

/// Where the key stands in argv (after the command name).
pub const KEY_POSITION: usize = 1;
/// Longest producer id of IDEMPOTENT.
pub const MAX_PRODUCER_BYTES: usize = 64;
/// Suffix of the hash that keeps each idempotent producer's last sequence and entry ID.
pub const PRODUCERS_SUFFIX: &[u8] = b":producers";
/// Suffix of the string that keeps a stream's settings (AUDIT.CREATE).
pub const SETTINGS_SUFFIX: &[u8] = b":settings";
/// Suffix of the string that keeps a chained stream's anchor (see `settings::encode_anchor`).
pub const ANCHOR_SUFFIX: &[u8] = b":anchor";
/// What an audit stream is called in errors about its companion keys.
pub const AUDIT_LOG: &str = "audit log";

/// Bounds set by the module's configs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `tally.audit-max-len`: the cap every stream is trimmed to.
    pub max_len: i64,
    /// `tally.audit-max-field-bytes`: the longest field name or value.
    pub max_field_bytes: i64,
}

/// A stream entry ID, `<ms>-<seq>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl StreamId {
    pub fn parse(bytes: &[u8]) -> Option<StreamId> {
        let text = std::str::from_utf8(bytes).ok()?;
        let (ms, seq) = text.split_once('-')?;
        Some(StreamId { ms: ms.parse().ok()?, seq: seq.parse().ok()? })
    }

    /// The ID just before this one; `None` for `0-0`.
    pub fn predecessor(self) -> Option<StreamId> {
        match self.seq.checked_sub(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => Some(StreamId { ms: self.ms.checked_sub(1)?, seq: u64::MAX }),
        }
    }
}

/// A stream ID's text as `Display` writes it, built on the stack: every append replies
/// and replicates its entry's ID, and the server's own formatting costs more than the append's
/// other argument handling.
pub struct StreamIdText {
    /// Two numbers of at most 20 digits and the dash, written from the end.
    buf: [u8; StreamIdText::MAX_LEN],
    start: usize,
}

impl StreamIdText {
    const MAX_LEN: usize = 41;

    pub fn new(id: StreamId) -> StreamIdText {
        let mut buf = [0; StreamIdText::MAX_LEN];
        let dash = digits_before(&mut buf, StreamIdText::MAX_LEN, id.seq).saturating_sub(1);
        if let Some(slot) = buf.get_mut(dash) {
            *slot = b'-';
        }
        let start = digits_before(&mut buf, dash, id.ms);
        StreamIdText { buf, start }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idempotent<'a> {
    pub producer: &'a [u8],
    pub seq: i64,
}

/// `AUDIT.APPEND key [MAXLEN [=|~] n] [IDEMPOTENT producer seq] field value [field value ...]`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Append<'a> {
    /// The call's own MAXLEN, which can only lower the stream's cap.
    pub maxlen: Option<(CapMode, i64)>,
    pub idempotent: Option<Idempotent<'a>>,
    /// Position in argv of the first field.
    pub fields_start: usize,
}

/// Parses AUDIT.APPEND. Options are read only before the first field, so a field may be
/// named MAXLEN or IDEMPOTENT as long as another field comes first; an option word
/// without all its arguments is an error, never a field.
pub fn parse_append<'a>(args: &[&'a [u8]], limits: &Limits) -> Result<Append<'a>, Error> {
    let arity = || Error::WrongArity("audit.append");
    let mut append = Append { maxlen: None, idempotent: None, fields_start: KEY_POSITION + 1 };
    loop {
        let rest = args.get(append.fields_start..).ok_or_else(arity)?;
        if let Some(maxlen) = parse_maxlen(rest) {
            let (mode, cap, used) = maxlen?;
            append.maxlen = Some((mode, cap));
            append.fields_start += used;
            continue;
        }
        match rest {
            [word, producer, seq, ..] if word.eq_ignore_ascii_case(b"IDEMPOTENT") => {
                if producer.is_empty() || producer.len() > MAX_PRODUCER_BYTES {
                    return Err(Error::ProducerId);
                }
                let seq = parse_i64_in(seq, "sequence", 0, i64::MAX)?;
                append.idempotent = Some(Idempotent { producer, seq });
                append.fields_start += 3;
            }
            [word, ..] if word.eq_ignore_ascii_case(b"IDEMPOTENT") => return Err(Error::Syntax),
            _ => break,
        }
    }
    let fields = args.get(append.fields_start..).unwrap_or_default();
    if fields.is_empty() || fields.len() % 2 != 0 {
        return Err(arity());
    }
    for pair in fields.chunks_exact(2) {
        if let [field, value] = pair {
            if field.is_empty() {
                return Err(Error::EmptyField);
            }
            let longest = field.len().max(value.len());
            if i64::try_from(longest).map_or(true, |len| len > limits.max_field_bytes) {
                return Err(Error::FieldTooLong { max: limits.max_field_bytes });
            }
        }
    }
    Ok(append)
}

/// `AUDIT.GROUP key group [START id|$|0]`: the start position (default `$`).
pub fn parse_group<'a>(args: &[&'a [u8]]) -> Result<&'a [u8], Error> {
    match args {
        [_, _, group] if !group.is_empty() => Ok(b"$"),
        [_, _, group, word, start] if !group.is_empty() => {
            if word.eq_ignore_ascii_case(b"START") {
                Ok(start)
            } else {
                Err(Error::Syntax)
            }
        }
        [_, _, _] | [_, _, _, _, _] => Err(Error::EmptyGroup),
        _ => Err(Error::WrongArity("audit.group")),
    }
}

/// `AUDIT.INFO key`
pub fn parse_info(args: &[&[u8]]) -> Result<(), Error> {
    if args.len() == 2 {
        Ok(())
    } else {
        Err(Error::WrongArity("audit.info"))
    }
}

/// What an idempotent append does, given the producer's last accepted sequence and the
/// ID of the entry it produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dedup {
    /// A new sequence: append.
    Append,
    /// The last accepted sequence again (a retry): reply the original entry's ID.
    Duplicate(StreamId),
    /// A sequence below the last accepted one: refused.
    Stale { last: i64 },
}

pub fn dedup(stored: Option<(i64, StreamId)>, seq: i64) -> Dedup {
    match stored {
        Some((last, id)) if last == seq => Dedup::Duplicate(id),
        Some((last, _)) if seq < last => Dedup::Stale { last },
        _ => Dedup::Append,
    }
}

/// The stored state of one producer: `<seq> <entry id>`.
pub fn encode_producer(seq: i64, id: StreamId) -> String {
    format!("{seq} {id}")
}

pub fn decode_producer(bytes: &[u8]) -> Option<(i64, StreamId)> {
    let space = bytes.iter().position(|&b| b == b' ')?;
    let seq = parse_i64(bytes.get(..space)?).ok()?;
    Some((seq, StreamId::parse(bytes.get(space + 1..)?)?))
}

/// The key holding a stream's idempotent producers. It must share the stream's slot:
/// the key must carry a hash tag (see `Companions`).
pub fn producers_key(key: &[u8]) -> Result<Vec<u8>, Error> {
    companion_key(key, PRODUCERS_SUFFIX, AUDIT_LOG)
}

/// A field named `chain` on a chained stream: the module writes that field itself.
pub fn check_chain_fields(fields: &[&[u8]]) -> Result<(), Error> {
    if fields.iter().step_by(2).any(|field| *field == chain::FIELD) {
        return Err(Error::ChainFieldReserved);
    }
    Ok(())
}

/// The first ID that retention keeps: entries older than `retention_ms` before `now_ms`
/// go (`None` when retention is off).
pub fn retention_floor(now_ms: i64, retention_ms: i64) -> Option<StreamId> {
    (retention_ms > 0).then(|| StreamId { ms: now_ms.saturating_sub(retention_ms).max(0).unsigned_abs(), seq: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slot::hash_slot;

    const LIMITS: Limits = Limits { max_len: 100, max_field_bytes: 8 };

    fn args(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    #[test]
    fn stream_id_text_is_display() {
        let edges = [0, 1, 9, 10, 99, 100, 1_795_667_327_629, u64::MAX - 1, u64::MAX];
        for ms in edges {
            for seq in edges {
                let id = StreamId { ms, seq };
                assert_eq!(StreamIdText::new(id).as_bytes(), id.to_string().as_bytes());
            }
        }
    }

    #[test]
    fn append_options_then_fields() {
        let a = parse_append(&args("audit.append k action add qty 3"), &LIMITS).unwrap();
        assert_eq!((a.maxlen, a.idempotent, a.fields_start), (None, None, 2));
        let a = parse_append(&args("audit.append k MAXLEN 10 idempotent p1 7 action add"), &LIMITS).unwrap();
        assert_eq!(a.maxlen, Some((CapMode::Exact, 10)));
        assert_eq!(a.idempotent, Some(Idempotent { producer: b"p1", seq: 7 }));
        assert_eq!(a.fields_start, 7);
        let a = parse_append(&args("audit.append k maxlen ~ 1000 a b"), &LIMITS).unwrap();
        assert_eq!((a.maxlen, a.fields_start), (Some((CapMode::Approx, 1000)), 5));
        // A field named MAXLEN after another field is a field.
        assert_eq!(parse_append(&args("audit.append k a b MAXLEN 5"), &LIMITS).unwrap().fields_start, 2);
    }

    #[test]
    fn append_errors() {
        let arity = Err(Error::WrongArity("audit.append"));
        assert_eq!(parse_append(&args("audit.append k"), &LIMITS), arity);
        assert_eq!(parse_append(&args("audit.append k a"), &LIMITS), arity);
        assert_eq!(parse_append(&args("audit.append k a b c"), &LIMITS), arity);
        assert_eq!(parse_append(&args("audit.append k MAXLEN 5"), &LIMITS), arity);
        assert_eq!(
            parse_append(&args("audit.append k MAXLEN 0 a b"), &LIMITS),
            Err(Error::OutOfRange { what: "MAXLEN", min: 1, max: i64::MAX })
        );
        assert_eq!(parse_append(&args("audit.append k MAXLEN x a b"), &LIMITS), Err(Error::NotInteger));
        // IDEMPOTENT without its sequence is an error, not a field named IDEMPOTENT.
        assert_eq!(parse_append(&args("audit.append k IDEMPOTENT scanner-7"), &LIMITS), Err(Error::Syntax));
        assert_eq!(parse_append(&args("audit.append k MAXLEN"), &LIMITS), Err(Error::Syntax));
        assert_eq!(parse_append(&[b"x", b"k", b"", b"v"], &LIMITS), Err(Error::EmptyField));
        assert_eq!(parse_append(&args("audit.append k a 123456789"), &LIMITS), Err(Error::FieldTooLong { max: 8 }));
        let long = "p".repeat(65);
        assert_eq!(
            parse_append(&args(&format!("audit.append k IDEMPOTENT {long} 1 a b")), &LIMITS),
            Err(Error::ProducerId)
        );
        assert_eq!(
            parse_append(&args("audit.append k IDEMPOTENT p -1 a b"), &LIMITS),
            Err(Error::OutOfRange { what: "sequence", min: 0, max: i64::MAX })
        );
    }

    #[test]
    fn group_start_defaults_to_dollar() {
        assert_eq!(parse_group(&args("audit.group k g")), Ok(&b"$"[..]));
        assert_eq!(parse_group(&args("audit.group k g START 0")), Ok(&b"0"[..]));
        assert_eq!(parse_group(&args("audit.group k g FROM 0")), Err(Error::Syntax));
        assert_eq!(parse_group(&args("audit.group k g START")), Err(Error::WrongArity("audit.group")));
        assert_eq!(parse_group(&[b"x", b"k", b""]), Err(Error::EmptyGroup));
    }

    #[test]
    fn dedup_decisions() {
        let id = StreamId { ms: 5, seq: 1 };
        assert_eq!(dedup(None, 0), Dedup::Append);
        assert_eq!(dedup(Some((3, id)), 3), Dedup::Duplicate(id));
        assert_eq!(dedup(Some((3, id)), 2), Dedup::Stale { last: 3 });
        assert_eq!(dedup(Some((3, id)), 4), Dedup::Append);
        assert_eq!(decode_producer(encode_producer(42, id).as_bytes()), Some((42, id)));
        assert_eq!(decode_producer(b"garbage"), None);
    }

    #[test]
    fn producers_key_shares_the_slot() {
        assert_eq!(producers_key(b"warehouse:{inv}:audit").unwrap(), b"warehouse:{inv}:audit:producers");
        assert_eq!(hash_slot(&producers_key(b"a{b}c").unwrap()), hash_slot(b"a{b}c"));
        // Untagged streams keep no producers: `{audit}:producers` would be the stream `{audit}`'s.
        for key in [&b"audit"[..], b"x{}y", b"{", b"}", b"a}b"] {
            assert!(producers_key(key).is_err(), "{key:?}");
        }
    }

    #[test]
    fn chain_field_is_reserved() {
        assert_eq!(check_chain_fields(&args("a 1 chain 2")), Err(Error::ChainFieldReserved));
        // A value "chain" is fine.
        assert_eq!(check_chain_fields(&args("a chain")), Ok(()));
    }

    #[test]
    fn stream_ids_and_retention() {
        assert_eq!(StreamId { ms: 5, seq: 0 }.predecessor(), Some(StreamId { ms: 4, seq: u64::MAX }));
        assert_eq!(StreamId { ms: 5, seq: 2 }.predecessor(), Some(StreamId { ms: 5, seq: 1 }));
        assert_eq!(StreamId::default().predecessor(), None);
        assert_eq!(StreamId::parse(b"1700000000000-3"), Some(StreamId { ms: 1700000000000, seq: 3 }));
        assert_eq!(StreamId::parse(b"17"), None);
        assert_eq!(StreamId { ms: 1, seq: 2 }.to_string(), "1-2");
        for id in
            [StreamId::default(), StreamId { ms: 1_700_000_000_000, seq: 10 }, StreamId { ms: u64::MAX, seq: u64::MAX }]
        {
            assert_eq!(StreamIdText::new(id).as_bytes(), id.to_string().as_bytes());
        }
        assert_eq!(retention_floor(10_000, 0), None);
        assert_eq!(retention_floor(10_000, 3_000), Some(StreamId { ms: 7_000, seq: 0 }));
        assert_eq!(retention_floor(1_000, 3_000), Some(StreamId { ms: 0, seq: 0 }));
    }
}
