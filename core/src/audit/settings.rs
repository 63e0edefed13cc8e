//! A stream's own settings (`AUDIT.CREATE`), kept in a companion string key, and the
//! decisions that follow from them: the cap a call trims to, and under `ONFULL REFUSE`
//! how far the stream may be trimmed without losing what a consumer group still needs.

use super::{chain::Hash, StreamId, KEY_POSITION};
use crate::number::{parse_i64, parse_i64_in};
use crate::Error;
use smallvec::SmallVec;

/// What an append does when the stream is at its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnFull {
    /// Trim the oldest entries, read or not (XADD MAXLEN's behaviour).
    #[default]
    Trim,
    /// Trim only entries every consumer group has acknowledged; refuse the append otherwise.
    Refuse,
}

impl OnFull {
    pub fn word(self) -> &'static str {
        match self {
            OnFull::Trim => "trim",
            OnFull::Refuse => "refuse",
        }
    }
}

/// How the cap trims: exactly, or by whole stream nodes as `XADD MAXLEN ~` (faster; the
/// stream may hold up to a node's worth of entries over the cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CapMode {
    #[default]
    Exact,
    Approx,
}

impl CapMode {
    pub fn word(self) -> &'static str {
        match self {
            CapMode::Exact => "=",
            CapMode::Approx => "~",
        }
    }
}

/// The settings of an audit stream; the default is a stream never created, which follows
/// the module's configs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    /// The stream's cap; `tally.audit-max-len` stays the ceiling. `None`: the config.
    pub cap: Option<i64>,
    pub mode: CapMode,
    /// The stream's retention (0 = none). `None`: `tally.audit-retention-ms`.
    pub retention_ms: Option<i64>,
    pub onfull: OnFull,
    /// Every entry carries the `chain` field (see `chain`).
    pub chain: bool,
}

/// The longest retention a stream may keep: the config's bound.
const MAX_RETENTION_MS: i64 = crate::config::AUDIT_RETENTION_MS.max;

impl Settings {
    /// The cap a call trims to: the stream's, never above `ceiling` (the config), lowered
    /// by the call's own MAXLEN.
    pub fn cap(&self, ceiling: i64, asked: Option<i64>) -> i64 {
        let cap = self.cap.map_or(ceiling, |cap| cap.min(ceiling));
        asked.map_or(cap, |asked| asked.min(cap))
    }

    pub fn retention_ms(&self, config: i64) -> i64 {
        self.retention_ms.unwrap_or(config)
    }

    /// The settings key's value: AUDIT.CREATE's options, lower case, in a fixed order.
    pub fn encode(&self) -> String {
        let cap = self.cap.map(|cap| format!(" maxlen {} {cap}", self.mode.word())).unwrap_or_default();
        let retention = self.retention_ms.map(|ms| format!(" retention {ms}")).unwrap_or_default();
        let chain = if self.chain { " chain" } else { "" };
        format!("onfull {}{cap}{retention}{chain}", self.onfull.word())
    }

    /// Reads a settings value back, exactly as `encode` writes it; `None` when tally did
    /// not write it.
    /// Every append of a stream with a hash tag reads them: words are compared as bytes.
    pub fn decode(bytes: &[u8]) -> Option<Settings> {
        let mut words = bytes.split(|&b| b == b' ');
        let mut settings = Settings::default();
        if words.next()? != b"onfull" {
            return None;
        }
        let onfull = words.next()?;
        settings.onfull = [OnFull::Trim, OnFull::Refuse].into_iter().find(|o| o.word().as_bytes() == onfull)?;
        let mut next = words.next();
        if next == Some(&b"maxlen"[..]) {
            let mode = words.next()?;
            settings.mode = [CapMode::Exact, CapMode::Approx].into_iter().find(|m| m.word().as_bytes() == mode)?;
            settings.cap = Some(parse_i64(words.next()?).ok().filter(|&cap| cap >= 1)?);
            next = words.next();
        }
        if next == Some(&b"retention"[..]) {
            let retention = parse_i64(words.next()?).ok();
            settings.retention_ms = Some(retention.filter(|r| (0..=MAX_RETENTION_MS).contains(r))?);
            next = words.next();
        }
        if next == Some(&b"chain"[..]) {
            settings.chain = true;
            next = words.next();
        }
        next.is_none().then_some(settings)
    }
}

/// `MAXLEN [=|~] n` at the start of `args`: the mode, the cap and how many words it took.
pub(super) fn parse_maxlen(args: &[&[u8]]) -> Option<Result<(CapMode, i64, usize), Error>> {
    let (word, rest) = args.split_first()?;
    if !word.eq_ignore_ascii_case(b"MAXLEN") {
        return None;
    }
    let (mode, rest, used) = match rest {
        [sign, rest @ ..] if *sign == b"=" => (CapMode::Exact, rest, 3),
        [sign, rest @ ..] if *sign == b"~" => (CapMode::Approx, rest, 3),
        _ => (CapMode::Exact, rest, 2),
    };
    Some(match rest.first() {
        Some(n) => parse_i64_in(n, "MAXLEN", 1, i64::MAX).map(|cap| (mode, cap, used)),
        None => Err(Error::Syntax),
    })
}

/// `AUDIT.CREATE key [MAXLEN [=|~] n] [RETENTION ms] [ONFULL TRIM|REFUSE] [CHAIN]`, options
/// in any order, each at most once.
pub fn parse_create(args: &[&[u8]]) -> Result<Settings, Error> {
    let mut settings = Settings::default();
    let mut rest = args.get(KEY_POSITION + 1..).ok_or(Error::WrongArity("audit.create"))?;
    let (mut seen_onfull, mut seen_chain) = (false, false);
    while let Some((word, after)) = rest.split_first() {
        if let Some(maxlen) = parse_maxlen(rest) {
            let (mode, cap, used) = maxlen?;
            if settings.cap.is_some() {
                return Err(Error::Syntax);
            }
            settings.mode = mode;
            settings.cap = Some(cap);
            rest = rest.get(used..).unwrap_or_default();
            continue;
        }
        let word = word.to_ascii_uppercase();
        match (word.as_slice(), after) {
            (b"RETENTION", [ms, tail @ ..]) if settings.retention_ms.is_none() => {
                settings.retention_ms = Some(parse_i64_in(ms, "RETENTION", 0, MAX_RETENTION_MS)?);
                rest = tail;
            }
            (b"ONFULL", [choice, tail @ ..]) if !seen_onfull => {
                settings.onfull = match choice.to_ascii_uppercase().as_slice() {
                    b"TRIM" => OnFull::Trim,
                    b"REFUSE" => OnFull::Refuse,
                    _ => return Err(Error::Syntax),
                };
                seen_onfull = true;
                rest = tail;
            }
            (b"CHAIN", tail) if !seen_chain => {
                settings.chain = true;
                seen_chain = true;
                rest = tail;
            }
            _ => return Err(Error::Syntax),
        }
    }
    if settings.chain && settings.mode == CapMode::Approx {
        return Err(Error::ChainNeedsExactCap);
    }
    Ok(settings)
}

/// How far one consumer group has acknowledged a stream: every entry at or below the
/// returned ID was delivered to the group and is no longer pending. `None`: nothing.
pub fn acknowledged_through(last_delivered: StreamId, oldest_pending: Option<StreamId>) -> Option<StreamId> {
    match oldest_pending {
        None => Some(last_delivered),
        Some(pending) => pending.predecessor().map(|before| before.min(last_delivered)),
    }
}

/// What an append under `ONFULL REFUSE` may trim: the entries at or below the returned ID
/// are acknowledged by every group (`groups` holds each group's name and
/// `acknowledged_through`). With no group nothing is acknowledged. On `Err`, the name of
/// the group that has acknowledged least.
pub fn trimmable_through<'a>(groups: &[(&'a [u8], Option<StreamId>)]) -> Result<StreamId, Option<&'a [u8]>> {
    let least = groups.iter().min_by_key(|(_, acked)| *acked);
    match least {
        None => Err(None),
        Some((name, None)) => Err(Some(name)),
        Some((_, Some(id))) => Ok(*id),
    }
}

/// `AUDIT.VERIFY key [FROM id hash] [COUNT n]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verify {
    pub from: Option<(StreamId, Hash)>,
    pub count: i64,
}

pub fn parse_verify(args: &[&[u8]], max_count: i64) -> Result<Verify, Error> {
    let mut verify = Verify { from: None, count: max_count.min(DEFAULT_VERIFY_COUNT) };
    let mut rest = args.get(KEY_POSITION + 1..).ok_or(Error::WrongArity("audit.verify"))?;
    let (mut seen_from, mut seen_count) = (false, false);
    while let Some((word, after)) = rest.split_first() {
        let word = word.to_ascii_uppercase();
        match (word.as_slice(), after) {
            (b"FROM", [id, hash, tail @ ..]) if !seen_from => {
                let id = StreamId::parse(id).ok_or(Error::BadStreamId)?;
                let hash = super::chain::from_hex(hash).ok_or(Error::BadChainHash)?;
                verify.from = Some((id, hash));
                seen_from = true;
                rest = tail;
            }
            (b"COUNT", [n, tail @ ..]) if !seen_count => {
                verify.count = parse_i64_in(n, "COUNT", 1, max_count)?;
                seen_count = true;
                rest = tail;
            }
            _ => return Err(Error::Syntax),
        }
    }
    Ok(verify)
}

/// Links one AUDIT.VERIFY call checks when it names no COUNT (never above the config).
pub const DEFAULT_VERIFY_COUNT: i64 = 10_000;

/// `AUDIT.DIGEST key`
pub fn parse_digest(args: &[&[u8]]) -> Result<(), Error> {
    if args.len() == 2 {
        Ok(())
    } else {
        Err(Error::WrongArity("audit.digest"))
    }
}

/// The anchor of a chained stream whose head was trimmed: the newest trimmed entry and
/// its link, kept as `<id> <hex>`, so VERIFY can check the oldest remaining entry.
pub fn encode_anchor(id: StreamId, hash: &Hash) -> SmallVec<[u8; 128]> {
    let mut text = SmallVec::from_slice(super::StreamIdText::new(id).as_bytes());
    text.push(b' ');
    text.extend_from_slice(&super::chain::to_hex(hash));
    text
}

pub fn decode_anchor(bytes: &[u8]) -> Option<(StreamId, Hash)> {
    let space = bytes.iter().position(|&b| b == b' ')?;
    let id = StreamId::parse(bytes.get(..space)?)?;
    Some((id, super::chain::from_hex(bytes.get(space + 1..)?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    #[test]
    fn create_options_in_any_order() {
        assert_eq!(parse_create(&args("audit.create k")), Ok(Settings::default()));
        let s = parse_create(&args("audit.create k chain onfull REFUSE retention 60000 MAXLEN = 500")).unwrap();
        assert_eq!(
            s,
            Settings {
                cap: Some(500),
                mode: CapMode::Exact,
                retention_ms: Some(60_000),
                onfull: OnFull::Refuse,
                chain: true
            }
        );
        assert_eq!(parse_create(&args("audit.create k MAXLEN ~ 10")).unwrap().mode, CapMode::Approx);
        assert_eq!(parse_create(&args("audit.create k MAXLEN 10")).unwrap().cap, Some(10));
    }

    #[test]
    fn create_errors() {
        for bad in [
            "audit.create k MAXLEN",
            "audit.create k MAXLEN =",
            "audit.create k ONFULL",
            "audit.create k ONFULL DROP",
            "audit.create k CHAIN CHAIN",
            "audit.create k MAXLEN 5 MAXLEN 6",
            "audit.create k RETENTION",
            "audit.create k NOPE",
        ] {
            assert_eq!(parse_create(&args(bad)), Err(Error::Syntax), "{bad}");
        }
        assert_eq!(parse_create(&args("audit.create k MAXLEN x")), Err(Error::NotInteger));
        assert!(matches!(parse_create(&args("audit.create k MAXLEN 0")), Err(Error::OutOfRange { .. })));
        assert!(matches!(parse_create(&args("audit.create k RETENTION -1")), Err(Error::OutOfRange { .. })));
        assert_eq!(parse_create(&args("audit.create k MAXLEN ~ 5 CHAIN")), Err(Error::ChainNeedsExactCap));
    }

    #[test]
    fn settings_round_trip() {
        for line in [
            "audit.create k",
            "audit.create k CHAIN",
            "audit.create k MAXLEN ~ 7 ONFULL REFUSE",
            "audit.create k RETENTION 0",
            "audit.create k MAXLEN 3 RETENTION 9 ONFULL TRIM CHAIN",
        ] {
            let settings = parse_create(&args(line)).unwrap();
            assert_eq!(Settings::decode(settings.encode().as_bytes()), Some(settings), "{line}");
        }
        for bad in ["", "onfull", "onfull maybe", "onfull trim maxlen = 0", "onfull trim chain extra", "x"] {
            assert_eq!(Settings::decode(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn the_cap_never_rises() {
        let settings = Settings { cap: Some(100), ..Settings::default() };
        assert_eq!(settings.cap(1000, None), 100);
        assert_eq!(settings.cap(50, None), 50);
        assert_eq!(settings.cap(1000, Some(10)), 10);
        assert_eq!(settings.cap(1000, Some(500)), 100);
        assert_eq!(Settings::default().cap(1000, None), 1000);
    }

    #[test]
    fn acknowledged_entries() {
        // Delivered through 5-0, nothing pending: all of it.
        assert_eq!(acknowledged_through(id(5, 0), None), Some(id(5, 0)));
        // Pending from 3-2: through 3-1.
        assert_eq!(acknowledged_through(id(5, 0), Some(id(3, 2))), Some(id(3, 1)));
        assert_eq!(acknowledged_through(id(5, 0), Some(id(3, 0))), Some(id(2, u64::MAX)));
        assert_eq!(acknowledged_through(id(5, 0), Some(id(0, 0))), None);
        assert_eq!(trimmable_through(&[]), Err(None));
        let groups = [(&b"a"[..], Some(id(9, 0))), (&b"b"[..], Some(id(4, 0)))];
        assert_eq!(trimmable_through(&groups), Ok(id(4, 0)));
        let groups = [(&b"a"[..], Some(id(9, 0))), (&b"b"[..], None)];
        assert_eq!(trimmable_through(&groups), Err(Some(&b"b"[..])));
    }

    #[test]
    fn verify_grammar() {
        let hex = "ab".repeat(32);
        let v = parse_verify(&args(&format!("audit.verify k FROM 5-1 {hex} COUNT 10")), 100_000).unwrap();
        assert_eq!(v.from, Some((id(5, 1), [0xab; 32])));
        assert_eq!(v.count, 10);
        assert_eq!(parse_verify(&args("audit.verify k"), 100_000).unwrap().count, DEFAULT_VERIFY_COUNT);
        assert_eq!(parse_verify(&args("audit.verify k"), 50).unwrap().count, 50);
        assert_eq!(parse_verify(&args("audit.verify k FROM 5-1 zz"), 9), Err(Error::BadChainHash));
        assert_eq!(parse_verify(&args(&format!("audit.verify k FROM x {hex}")), 9), Err(Error::BadStreamId));
        assert!(matches!(parse_verify(&args("audit.verify k COUNT 0"), 9), Err(Error::OutOfRange { .. })));
        assert_eq!(parse_verify(&args("audit.verify k COUNT"), 9), Err(Error::Syntax));
        assert_eq!(parse_digest(&args("audit.digest k x")), Err(Error::WrongArity("audit.digest")));
    }

    #[test]
    fn anchors_round_trip() {
        let anchor = (id(17, 3), [7; 32]);
        assert_eq!(decode_anchor(&encode_anchor(anchor.0, &anchor.1)), Some(anchor));
        assert_eq!(decode_anchor(b"17-3 abc"), None);
    }
}
