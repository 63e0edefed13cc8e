//! TOURNEY.*: argument grammar and rank maths. Argument positions are fixed: the key is
//! always `args[1]`, and a member, where the command takes one, `args[2]`.

use crate::number::{parse_finite_f64, parse_i64, parse_i64_in};
use crate::Error;

pub mod ties;

/// Where the key stands in argv (after the command name).
pub const KEY_POSITION: usize = 1;
pub const MEMBER: usize = 2;

// A tournament keeps its settings and tie structures (see `ties`) in native keys beside
// the leaderboard, named with `slot::Companions` so they share its slot.

/// A string holding the tournament's settings, in TOURNEY.CREATE's option words.
pub const SETTINGS_SUFFIX: &[u8] = b":tourney";
/// What a tournament is called in errors about its companion keys.
pub const TOURNAMENT: &str = "tournament";
/// What a leaderboard given member data is called in errors about its companion keys.
pub const WITH_DATA: &str = "leaderboard with member data";
/// TIEBREAK FIRST: a hash of each member's arrival number at its score.
pub const ARRIVAL_SUFFIX: &[u8] = b":arrival";
/// TIEBREAK FIRST: a sorted set of the same scores whose members sort by arrival.
pub const ORDER_SUFFIX: &[u8] = b":order";
/// TIES DENSE: a sorted set with one member per distinct score.
pub const DENSE_SUFFIX: &[u8] = b":dense";
/// Member data (`DATA`): a hash member -> data, beside the leaderboard (a season's too).
pub const DATA_SUFFIX: &[u8] = b":data";

/// Bounds set by the module's configs (`tally.max-member-bytes`, `tally.max-range`,
/// `tally.max-data-bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_member_bytes: i64,
    pub max_range: i64,
    /// 0: member data is off.
    pub max_data_bytes: i64,
}

impl Limits {
    /// Largest AROUND radius: a window of 2 * radius + 1 entries fits in `max_range`.
    pub fn max_radius(&self) -> i64 {
        self.max_range.saturating_sub(1) / 2
    }
}

/// How equal scores share ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ties {
    /// Every member its own rank, in the order Redis keeps equal scores (ZREVRANK + 1).
    #[default]
    Ordinal,
    /// Equal scores share the best rank, and the next rank skips ("1224").
    Competition,
    /// Equal scores share a rank, and the next rank follows on ("1223").
    Dense,
}

impl Ties {
    fn word(self) -> &'static str {
        match self {
            Ties::Ordinal => "ordinal",
            Ties::Competition => "competition",
            Ties::Dense => "dense",
        }
    }
}

/// Which of two equal scores ranks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tiebreak {
    /// Redis' own order: the greater member bytes first (ZREVRANK).
    #[default]
    Member,
    /// The member that reached the score first, in the primary's order of writes.
    First,
}

impl Tiebreak {
    fn word(self) -> &'static str {
        match self {
            Tiebreak::Member => "member",
            Tiebreak::First => "first",
        }
    }
}

/// Which end of the board ranks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// The highest score is rank 1 (ZREVRANK order).
    #[default]
    Desc,
    /// The lowest score is rank 1 (ZRANK order): lap times, golf, speedruns.
    Asc,
}

impl Order {
    fn word(self) -> &'static str {
        match self {
            Order::Desc => "desc",
            Order::Asc => "asc",
        }
    }

    /// Whether `score` ranks strictly before `other`.
    pub fn better(self, score: f64, other: f64) -> bool {
        match self {
            Order::Desc => score > other,
            Order::Asc => score < other,
        }
    }

    /// Best first: the order in which scores rank (never NaN; -0 and 0 are one score).
    pub fn compare(self, score: f64, other: f64) -> std::cmp::Ordering {
        let ascending = score.partial_cmp(&other).unwrap_or(std::cmp::Ordering::Equal);
        match self {
            Order::Desc => ascending.reverse(),
            Order::Asc => ascending,
        }
    }

    /// Among equal scores without arrivals, Redis' own order: ZREVRANK lists the greater
    /// member bytes first, ZRANK the smaller.
    pub fn compare_members(self, member: &[u8], other: &[u8]) -> std::cmp::Ordering {
        match self {
            Order::Desc => other.cmp(member),
            Order::Asc => member.cmp(other),
        }
    }
}

/// A tournament's settings; the default is a leaderboard never created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    pub order: Order,
    pub tiebreak: Tiebreak,
    /// The ranks a call gets when it names no TIES.
    pub ties: Ties,
    /// Unix ms at which the leaderboard and every key of its tournament expire.
    pub expire_at: Option<i64>,
}

impl Policy {
    pub fn keeps_arrivals(&self) -> bool {
        self.tiebreak == Tiebreak::First
    }

    pub fn keeps_dense(&self) -> bool {
        self.ties == Ties::Dense
    }

    /// The ties a call gets: the ones it names, else the tournament's. DENSE only where
    /// the tournament keeps its distinct scores.
    pub fn ties_for(&self, asked: Option<Ties>) -> Result<Ties, Error> {
        match asked {
            Some(Ties::Dense) if !self.keeps_dense() => Err(Error::DenseNotKept),
            Some(ties) => Ok(ties),
            None => Ok(self.ties),
        }
    }

    /// The settings key's value: TOURNEY.CREATE's options, lower case, in a fixed order.
    /// `order asc` only for ASC, so DESC settings read the same as before ORDER existed.
    pub fn encode(&self) -> String {
        let (tiebreak, ties) = (self.tiebreak.word(), self.ties.word());
        let order = match self.order {
            Order::Desc => "",
            Order::Asc => " order asc",
        };
        match self.expire_at {
            Some(at) => format!("tiebreak {tiebreak} ties {ties}{order} expireat {at}"),
            None => format!("tiebreak {tiebreak} ties {ties}{order}"),
        }
    }

    /// Reads a settings key's value back, exactly as `encode` writes it (every call of a
    /// tournament reads it); `None` when tally did not write it.
    pub fn decode(bytes: &[u8]) -> Option<Policy> {
        let rest = bytes.strip_prefix(b"tiebreak ")?;
        let (tiebreak, rest) = [Tiebreak::Member, Tiebreak::First]
            .into_iter()
            .find_map(|tiebreak| Some((tiebreak, rest.strip_prefix(tiebreak.word().as_bytes())?)))?;
        let rest = rest.strip_prefix(b" ties ")?;
        let (ties, rest) = [Ties::Ordinal, Ties::Competition, Ties::Dense]
            .into_iter()
            .find_map(|ties| Some((ties, rest.strip_prefix(ties.word().as_bytes())?)))?;
        let (order, rest) = match rest.strip_prefix(b" order asc") {
            Some(rest) => (Order::Asc, rest),
            None => (Order::Desc, rest),
        };
        let expire_at = match rest {
            [] => None,
            _ => Some(parse_i64(rest.strip_prefix(b" expireat ")?).ok().filter(|&at| at > 0)?),
        };
        Some(Policy { order, tiebreak, ties, expire_at })
    }

    /// The settings key's value: `encode`, and when the tournament was created (unix ms),
    /// which tells the seasons that ended before it (plain boards) from its own.
    pub fn encode_with_created(&self, created_ms: i64) -> String {
        format!("{} created {created_ms}", self.encode())
    }

    /// Reads a settings value back: the policy, and the creation time when recorded
    /// (settings written before tally recorded it have none).
    pub fn decode_with_created(bytes: &[u8]) -> Option<(Policy, Option<i64>)> {
        const CREATED: &[u8] = b" created ";
        let at = bytes.windows(CREATED.len()).rposition(|window| window == CREATED);
        match at {
            Some(at) => {
                let created = parse_i64(bytes.get(at + CREATED.len()..)?).ok().filter(|&ms| ms >= 0)?;
                Some((Policy::decode(bytes.get(..at)?)?, Some(created)))
            }
            None => Some((Policy::decode(bytes)?, None)),
        }
    }

    pub fn order_word(&self) -> &'static str {
        self.order.word()
    }

    pub fn tiebreak_word(&self) -> &'static str {
        self.tiebreak.word()
    }

    pub fn ties_word(&self) -> &'static str {
        self.ties.word()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubmitMode {
    /// Keep the higher of the stored and the submitted score.
    #[default]
    Best,
    /// Always store the submitted score.
    Latest,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incr<'a> {
    pub delta: f64,
    /// `DATA value`: the member's data, replaced.
    pub data: Option<&'a [u8]>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Submit<'a> {
    pub score: f64,
    pub mode: SubmitMode,
    /// `DATA value`: the member's data, replaced when the submitted score is stored.
    pub data: Option<&'a [u8]>,
}

/// The TIES a read names (`None`: the tournament's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rank {
    pub with_score: bool,
    pub ties: Option<Ties>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Top {
    pub count: u64,
    pub offset: u64,
    pub ties: Option<Ties>,
    pub with_data: bool,
}

/// `TOURNEY.RANKS`: how many members the call names (from `RANKS_FIRST_MEMBER` on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranks {
    pub count: usize,
    pub ties: Option<Ties>,
    pub with_data: bool,
}

/// Where TOURNEY.RANKS names its first member (after `nummembers`).
pub const RANKS_FIRST_MEMBER: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Around {
    pub radius: u64,
    pub ties: Option<Ties>,
    pub with_data: bool,
}

fn arity(args: &[&[u8]], min: usize, max: usize, name: &'static str) -> Result<(), Error> {
    if (min..=max).contains(&args.len()) {
        Ok(())
    } else {
        Err(Error::WrongArity(name))
    }
}

/// A member name must be non-empty and at most `max_member_bytes` long.
pub fn check_member(member: &[u8], limits: &Limits) -> Result<(), Error> {
    if member.is_empty() {
        return Err(Error::EmptyMember);
    }
    match i64::try_from(member.len()) {
        Ok(len) if len <= limits.max_member_bytes => Ok(()),
        _ => Err(Error::MemberTooLong { max: limits.max_member_bytes }),
    }
}

/// Member data must fit `max_data_bytes`, and is refused while that is 0.
pub fn check_data(data: &[u8], limits: &Limits) -> Result<(), Error> {
    if limits.max_data_bytes == 0 {
        return Err(Error::DataDisabled);
    }
    match i64::try_from(data.len()) {
        Ok(len) if len <= limits.max_data_bytes => Ok(()),
        _ => Err(Error::DataTooLong { max: limits.max_data_bytes }),
    }
}

fn member_of(args: &[&[u8]], limits: &Limits) -> Result<(), Error> {
    check_member(args.get(MEMBER).copied().unwrap_or_default(), limits)
}

fn get<'a>(args: &[&'a [u8]], index: usize) -> Result<&'a [u8], Error> {
    args.get(index).copied().ok_or(Error::Syntax)
}

fn is(word: &[u8], keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword.as_bytes())
}

fn parse_ties(word: &[u8]) -> Result<Ties, Error> {
    if is(word, "ORDINAL") {
        Ok(Ties::Ordinal)
    } else if is(word, "COMPETITION") {
        Ok(Ties::Competition)
    } else if is(word, "DENSE") {
        Ok(Ties::Dense)
    } else {
        Err(Error::Syntax)
    }
}

/// `[ORDER DESC|ASC] [TIEBREAK FIRST|MEMBER] [TIES ORDINAL|COMPETITION|DENSE] [EXPIREAT unix_ms]`
/// in any order; a repeated option keeps its last value.
fn parse_options<'a>(mut rest: impl Iterator<Item = &'a [u8]>) -> Result<Policy, Error> {
    let mut policy = Policy::default();
    while let Some(word) = rest.next() {
        let value = rest.next().ok_or(Error::Syntax)?;
        if is(word, "ORDER") {
            policy.order = if is(value, "DESC") {
                Order::Desc
            } else if is(value, "ASC") {
                Order::Asc
            } else {
                return Err(Error::Syntax);
            };
        } else if is(word, "TIEBREAK") {
            policy.tiebreak = if is(value, "FIRST") {
                Tiebreak::First
            } else if is(value, "MEMBER") {
                Tiebreak::Member
            } else {
                return Err(Error::Syntax);
            };
        } else if is(word, "TIES") {
            policy.ties = parse_ties(value)?;
        } else if is(word, "EXPIREAT") {
            policy.expire_at = Some(parse_i64_in(value, "EXPIREAT", 1, i64::MAX)?);
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(policy)
}

/// `TOURNEY.CREATE key [ORDER DESC|ASC] [TIEBREAK FIRST|MEMBER] [TIES ORDINAL|COMPETITION|DENSE]
/// [EXPIREAT unix_ms]`; EXPIREAT must be later than `now_ms`.
pub fn parse_create(args: &[&[u8]], now_ms: i64) -> Result<Policy, Error> {
    arity(args, 2, 10, "tourney.create")?;
    let policy = parse_options(args.iter().skip(2).copied())?;
    match policy.expire_at {
        Some(at) if at <= now_ms => Err(Error::ExpireInPast),
        _ => Ok(policy),
    }
}

/// `TOURNEY.INFO key`
pub fn parse_info(args: &[&[u8]]) -> Result<(), Error> {
    arity(args, 2, 2, "tourney.info")
}

/// The value after a `DATA` word, checked.
fn data_value<'a, 'b: 'a>(rest: &mut impl Iterator<Item = &'a &'b [u8]>, limits: &Limits) -> Result<&'b [u8], Error> {
    let value: &'b [u8] = rest.next().ok_or(Error::Syntax)?;
    check_data(value, limits)?;
    Ok(value)
}

/// `TOURNEY.INCR key member delta [DATA value]`
pub fn parse_incr<'a>(args: &[&'a [u8]], limits: &Limits) -> Result<Incr<'a>, Error> {
    arity(args, 4, 6, "tourney.incr")?;
    member_of(args, limits)?;
    let delta = parse_finite_f64(get(args, 3)?)?;
    let mut rest = args.get(4..).unwrap_or_default().iter();
    let data = match rest.next() {
        None => None,
        Some(word) if is(word, "DATA") => Some(data_value(&mut rest, limits)?),
        Some(_) => return Err(Error::Syntax),
    };
    Ok(Incr { delta, data })
}

/// `TOURNEY.SUBMIT key member score [BEST|LATEST] [DATA value]`, options in any order.
pub fn parse_submit<'a>(args: &[&'a [u8]], limits: &Limits) -> Result<Submit<'a>, Error> {
    arity(args, 4, 7, "tourney.submit")?;
    member_of(args, limits)?;
    let score = parse_finite_f64(get(args, 3)?)?;
    let mut submit = Submit { score, mode: SubmitMode::Best, data: None };
    let mut mode = None;
    let mut rest = args.get(4..).unwrap_or_default().iter();
    while let Some(word) = rest.next() {
        // One mode at most: BEST LATEST is a contradiction, not a choice.
        if mode.is_none() && is(word, "BEST") {
            mode = Some(SubmitMode::Best);
        } else if mode.is_none() && is(word, "LATEST") {
            mode = Some(SubmitMode::Latest);
        } else if is(word, "DATA") {
            submit.data = Some(data_value(&mut rest, limits)?);
        } else {
            return Err(Error::Syntax);
        }
    }
    submit.mode = mode.unwrap_or_default();
    Ok(submit)
}

/// `TOURNEY.RANK key member [WITHSCORE] [TIES ORDINAL|COMPETITION|DENSE]`, options in any order.
pub fn parse_rank(args: &[&[u8]], limits: &Limits) -> Result<Rank, Error> {
    arity(args, 3, 6, "tourney.rank")?;
    member_of(args, limits)?;
    let mut rank = Rank::default();
    let mut rest = args.get(3..).unwrap_or_default().iter();
    while let Some(word) = rest.next() {
        if is(word, "WITHSCORE") {
            rank.with_score = true;
        } else if is(word, "TIES") {
            rank.ties = Some(parse_ties(rest.next().ok_or(Error::Syntax)?)?);
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(rank)
}

/// The options a page read may end with: `[TIES ORDINAL|COMPETITION|DENSE] [WITHDATA]`, and
/// `OFFSET n` where `offset` is asked for, in any order.
fn page_options(words: &[&[u8]], mut offset: Option<&mut u64>) -> Result<(Option<Ties>, bool), Error> {
    let (mut ties, mut with_data) = (None, false);
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        if is(word, "WITHDATA") {
            with_data = true;
        } else if is(word, "TIES") {
            ties = Some(parse_ties(rest.next().ok_or(Error::Syntax)?)?);
        } else if let (true, Some(offset)) = (is(word, "OFFSET"), offset.as_deref_mut()) {
            *offset = parse_i64_in(rest.next().ok_or(Error::Syntax)?, "offset", 0, i64::MAX)?.unsigned_abs();
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok((ties, with_data))
}

/// `TOURNEY.TOP key count [OFFSET n] [TIES ORDINAL|COMPETITION|DENSE] [WITHDATA]`
pub fn parse_top(args: &[&[u8]], limits: &Limits) -> Result<Top, Error> {
    arity(args, 3, 8, "tourney.top")?;
    let count = parse_i64_in(get(args, 2)?, "count", 1, limits.max_range)?;
    let mut offset = 0;
    let (ties, with_data) = page_options(args.get(3..).unwrap_or_default(), Some(&mut offset))?;
    Ok(Top { count: count.unsigned_abs(), offset, ties, with_data })
}

/// `TOURNEY.AROUND key member radius [TIES ORDINAL|COMPETITION|DENSE] [WITHDATA]`
pub fn parse_around(args: &[&[u8]], limits: &Limits) -> Result<Around, Error> {
    arity(args, 4, 7, "tourney.around")?;
    member_of(args, limits)?;
    let radius = parse_i64_in(get(args, 3)?, "radius", 0, limits.max_radius())?;
    let (ties, with_data) = page_options(args.get(4..).unwrap_or_default(), None)?;
    Ok(Around { radius: radius.unsigned_abs(), ties, with_data })
}

/// How many members `TOURNEY.RANKS key nummembers member ...` names, read before its options
/// (so that a member may be named like an option word).
pub fn ranks_count(args: &[&[u8]], limits: &Limits) -> Result<usize, Error> {
    arity(args, 4, usize::MAX, "tourney.ranks")?;
    let count = parse_i64_in(get(args, 2)?, "nummembers", 1, limits.max_range)?;
    usize::try_from(count).map_err(|_| Error::Syntax)
}

/// `TOURNEY.RANKS key nummembers member [member ...] [TIES ORDINAL|COMPETITION|DENSE] [WITHDATA]`
pub fn parse_ranks(args: &[&[u8]], limits: &Limits) -> Result<Ranks, Error> {
    let count = ranks_count(args, limits)?;
    let after = RANKS_FIRST_MEMBER.saturating_add(count);
    let members = args.get(RANKS_FIRST_MEMBER..after).ok_or(Error::WrongArity("tourney.ranks"))?;
    members.iter().try_for_each(|member| check_member(member, limits))?;
    let (ties, with_data) = page_options(args.get(after..).unwrap_or_default(), None)?;
    Ok(Ranks { count, ties, with_data })
}

/// `TOURNEY.PERCENTILE key member`
pub fn parse_percentile(args: &[&[u8]], limits: &Limits) -> Result<(), Error> {
    arity(args, 3, 3, "tourney.percentile")?;
    member_of(args, limits)
}

/// `TOURNEY.REM key member [member ...]`
pub fn parse_rem(args: &[&[u8]], limits: &Limits) -> Result<(), Error> {
    arity(args, 3, usize::MAX, "tourney.rem")?;
    args.iter().skip(MEMBER).try_for_each(|member| check_member(member, limits))
}

/// The score SUBMIT stores, or `None` when the stored score stays as it is. BEST keeps
/// the score that ranks better under `order`.
pub fn submit_decision(old: Option<f64>, new: f64, mode: SubmitMode, order: Order) -> Option<f64> {
    match (old, mode) {
        (None, _) => Some(new),
        (Some(old), SubmitMode::Best) if order.better(new, old) => Some(new),
        (Some(old), SubmitMode::Latest) if new != old => Some(new),
        _ => None,
    }
}

/// The score after an increment, refused when it would not be finite.
pub fn incremented(old: Option<f64>, delta: f64) -> Result<f64, Error> {
    let new = old.unwrap_or(0.0) + delta;
    if new.is_finite() {
        Ok(new + 0.0)
    } else {
        Err(Error::ResultNotFinite)
    }
}

/// The 0-based reverse-rank window `start..=stop` of AROUND: `radius` entries each side
/// of `rank`, shifted to stay inside `0..len`, so it holds `min(2 * radius + 1, len)`
/// entries. `None` when `rank` is not inside `0..len`.
pub fn around_window(rank: u64, radius: u64, len: u64) -> Option<(u64, u64)> {
    if rank >= len {
        return None;
    }
    let width = radius.saturating_mul(2);
    let last = len - 1;
    let stop = rank.saturating_add(radius).min(last);
    let start = stop.saturating_sub(width).min(rank.saturating_sub(radius));
    let stop = start.saturating_add(width).min(last);
    Some((start, stop))
}

/// 100 * (members with the member's score or a worse one) / all members.
pub fn percentile(at_or_below: u64, len: u64) -> f64 {
    if len == 0 {
        return 0.0;
    }
    100.0 * at_or_below as f64 / len as f64
}

/// Assigns ranks to consecutive entries of a page, best first.
#[derive(Debug, Clone)]
pub struct PageRanks {
    ties: Ties,
    /// 1-based ordinal position of the next entry.
    position: u64,
    /// COMPETITION or DENSE rank of the page's first entry.
    first_rank: u64,
    last: Option<(f64, u64)>,
}

impl PageRanks {
    /// `first_position` is the 1-based ordinal rank of the page's first entry; with
    /// COMPETITION or DENSE ties `first_rank` is that entry's rank (1 + members, or
    /// distinct scores, above it).
    pub fn new(ties: Ties, first_position: u64, first_rank: u64) -> PageRanks {
        PageRanks { ties, position: first_position, first_rank, last: None }
    }

    pub fn next(&mut self, score: f64) -> u64 {
        let position = self.position;
        self.position = self.position.saturating_add(1);
        let rank = match (self.ties, self.last) {
            (Ties::Ordinal, _) => position,
            (_, None) => self.first_rank,
            (_, Some((last_score, last_rank))) if last_score == score => last_rank,
            (Ties::Competition, Some(_)) => position,
            (Ties::Dense, Some((_, last_rank))) => last_rank.saturating_add(1),
        };
        self.last = Some((score, rank));
        rank
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { max_member_bytes: 8, max_range: 100, max_data_bytes: 4 };

    fn args(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    #[test]
    fn incr_and_submit_parse() {
        assert_eq!(parse_incr(&args("tourney.incr k alice 10"), &LIMITS), Ok(Incr { delta: 10.0, data: None }));
        assert_eq!(parse_incr(&args("tourney.incr k alice"), &LIMITS), Err(Error::WrongArity("tourney.incr")));
        assert_eq!(parse_incr(&args("tourney.incr k alice nan"), &LIMITS), Err(Error::NotFloat));
        assert_eq!(parse_incr(&args("tourney.incr k aliceislong 1"), &LIMITS), Err(Error::MemberTooLong { max: 8 }));
        assert_eq!(parse_incr(&[b"x", b"k", b"", b"1"], &LIMITS), Err(Error::EmptyMember));
        assert_eq!(
            parse_submit(&args("tourney.submit k a 5 latest"), &LIMITS),
            Ok(Submit { score: 5.0, mode: SubmitMode::Latest, data: None })
        );
        assert_eq!(parse_submit(&args("tourney.submit k a 5"), &LIMITS).map(|s| s.mode), Ok(SubmitMode::Best));
        assert_eq!(parse_submit(&args("tourney.submit k a 5 worst"), &LIMITS), Err(Error::Syntax));
        assert_eq!(parse_submit(&args("tourney.submit k a 5 best latest"), &LIMITS), Err(Error::Syntax));
        assert_eq!(parse_submit(&args("tourney.submit k a 5 best best"), &LIMITS), Err(Error::Syntax));
    }

    #[test]
    fn rank_options_in_any_order() {
        let rank = parse_rank(&args("tourney.rank k a ties competition withscore"), &LIMITS);
        assert_eq!(rank, Ok(Rank { with_score: true, ties: Some(Ties::Competition) }));
        assert_eq!(parse_rank(&args("tourney.rank k a"), &LIMITS), Ok(Rank::default()));
        assert_eq!(parse_rank(&args("tourney.rank k a ties"), &LIMITS), Err(Error::Syntax));
        assert_eq!(parse_rank(&args("tourney.rank k a ties dense"), &LIMITS).map(|r| r.ties), Ok(Some(Ties::Dense)));
        assert_eq!(parse_rank(&args("tourney.rank k a ties sparse"), &LIMITS), Err(Error::Syntax));
        assert_eq!(parse_rank(&args("tourney.rank k a bogus"), &LIMITS), Err(Error::Syntax));
    }

    #[test]
    fn top_and_around_bounds() {
        assert_eq!(
            parse_top(&args("tourney.top k 10 offset 5 ties competition"), &LIMITS),
            Ok(Top { count: 10, offset: 5, ties: Some(Ties::Competition), with_data: false })
        );
        assert_eq!(
            parse_top(&args("tourney.top k 101"), &LIMITS),
            Err(Error::OutOfRange { what: "count", min: 1, max: 100 })
        );
        assert!(parse_top(&args("tourney.top k 0"), &LIMITS).is_err());
        assert!(parse_top(&args("tourney.top k 1 offset -1"), &LIMITS).is_err());
        assert_eq!(parse_top(&args("tourney.top k 1 offset"), &LIMITS), Err(Error::Syntax));
        assert_eq!(
            parse_around(&args("tourney.around k a 49"), &LIMITS),
            Ok(Around { radius: 49, ties: None, with_data: false })
        );
        assert_eq!(
            parse_around(&args("tourney.around k a 50"), &LIMITS),
            Err(Error::OutOfRange { what: "radius", min: 0, max: 49 })
        );
        assert_eq!(parse_around(&args("tourney.around k a 1 ties"), &LIMITS), Err(Error::Syntax));
    }

    #[test]
    fn ranks_names_its_members_then_its_options() {
        assert_eq!(
            parse_ranks(&args("tourney.ranks k 2 a b"), &LIMITS),
            Ok(Ranks { count: 2, ties: None, with_data: false })
        );
        assert_eq!(
            parse_ranks(&args("tourney.ranks k 1 ties ties dense"), &LIMITS),
            Ok(Ranks { count: 1, ties: Some(Ties::Dense), with_data: false })
        );
        assert_eq!(
            parse_ranks(&args("tourney.ranks k 1 withdata withdata ties dense"), &LIMITS),
            Ok(Ranks { count: 1, ties: Some(Ties::Dense), with_data: true })
        );
        assert_eq!(parse_ranks(&args("tourney.ranks k 3 a b"), &LIMITS), Err(Error::WrongArity("tourney.ranks")));
        assert_eq!(parse_ranks(&args("tourney.ranks k 1 a b"), &LIMITS), Err(Error::Syntax));
        assert_eq!(parse_ranks(&args("tourney.ranks k 1 a ties"), &LIMITS), Err(Error::Syntax));
        assert_eq!(
            parse_ranks(&args("tourney.ranks k 0 a"), &LIMITS),
            Err(Error::OutOfRange { what: "nummembers", min: 1, max: 100 })
        );
        assert_eq!(
            parse_ranks(&args("tourney.ranks k 101 a"), &LIMITS),
            Err(Error::OutOfRange { what: "nummembers", min: 1, max: 100 })
        );
        assert_eq!(parse_ranks(&args("tourney.ranks k 1 aliceislong"), &LIMITS), Err(Error::MemberTooLong { max: 8 }));
        assert_eq!(parse_ranks(&args("tourney.ranks k 1"), &LIMITS), Err(Error::WrongArity("tourney.ranks")));
    }

    #[test]
    fn data_rides_on_writes_and_withdata_on_pages() {
        let incr = parse_incr(&args("tourney.incr k a 1 DATA car7"), &LIMITS);
        assert_eq!(incr, Ok(Incr { delta: 1.0, data: Some(&b"car7"[..]) }));
        assert_eq!(parse_incr(&args("tourney.incr k a 1 DATA"), &LIMITS), Err(Error::Syntax));
        assert_eq!(parse_incr(&args("tourney.incr k a 1 WITH car7"), &LIMITS), Err(Error::Syntax));
        assert_eq!(parse_incr(&args("tourney.incr k a 1 DATA car77"), &LIMITS), Err(Error::DataTooLong { max: 4 }));
        let submit = parse_submit(&args("tourney.submit k a 1 data best latest"), &LIMITS);
        assert_eq!(submit, Ok(Submit { score: 1.0, mode: SubmitMode::Latest, data: Some(&b"best"[..]) }));
        let submit = parse_submit(&args("tourney.submit k a 1 DATA x DATA y"), &LIMITS);
        assert_eq!(submit, Err(Error::WrongArity("tourney.submit")));
        assert_eq!(parse_submit(&[b"x", b"k", b"a", b"1", b"DATA", b""], &LIMITS).map(|s| s.data), Ok(Some(&b""[..])));
        let off = Limits { max_data_bytes: 0, ..LIMITS };
        assert_eq!(parse_submit(&args("tourney.submit k a 1 DATA x"), &off), Err(Error::DataDisabled));
        assert_eq!(parse_submit(&args("tourney.submit k a 1"), &off).map(|s| s.data), Ok(None));
        let top = parse_top(&args("tourney.top k 3 withdata offset 2"), &LIMITS);
        assert_eq!(top, Ok(Top { count: 3, offset: 2, ties: None, with_data: true }));
        assert_eq!(parse_around(&args("tourney.around k a 1 withdata"), &LIMITS).map(|a| a.with_data), Ok(true));
        assert_eq!(parse_around(&args("tourney.around k a 1 offset 2"), &LIMITS), Err(Error::Syntax));
        assert_eq!(parse_top(&args("tourney.top k 3 withdata data"), &LIMITS), Err(Error::Syntax));
    }

    #[test]
    fn rem_checks_every_member() {
        assert_eq!(parse_rem(&args("tourney.rem k a b"), &LIMITS), Ok(()));
        assert_eq!(parse_rem(&args("tourney.rem k"), &LIMITS), Err(Error::WrongArity("tourney.rem")));
        assert_eq!(parse_rem(&args("tourney.rem k a waytoolongname"), &LIMITS), Err(Error::MemberTooLong { max: 8 }));
    }

    #[test]
    fn submit_keeps_best_or_latest() {
        let (desc, asc) = (Order::Desc, Order::Asc);
        assert_eq!(submit_decision(None, 3.0, SubmitMode::Best, desc), Some(3.0));
        assert_eq!(submit_decision(Some(5.0), 3.0, SubmitMode::Best, desc), None);
        assert_eq!(submit_decision(Some(5.0), 7.0, SubmitMode::Best, desc), Some(7.0));
        assert_eq!(submit_decision(Some(5.0), 3.0, SubmitMode::Latest, desc), Some(3.0));
        assert_eq!(submit_decision(Some(5.0), 5.0, SubmitMode::Latest, desc), None);
        // A lowest-wins board keeps the lower score.
        assert_eq!(submit_decision(Some(5.0), 3.0, SubmitMode::Best, asc), Some(3.0));
        assert_eq!(submit_decision(Some(5.0), 7.0, SubmitMode::Best, asc), None);
        assert_eq!(submit_decision(Some(5.0), 5.0, SubmitMode::Best, asc), None);
        assert_eq!(submit_decision(Some(5.0), 7.0, SubmitMode::Latest, asc), Some(7.0));
    }

    #[test]
    fn increments_stay_finite() {
        assert_eq!(incremented(None, 2.5), Ok(2.5));
        assert_eq!(incremented(Some(f64::MAX), f64::MAX), Err(Error::ResultNotFinite));
        assert!(incremented(Some(-1.0), 1.0).unwrap().is_sign_positive());
    }

    #[test]
    fn around_windows_shift_inside_the_board() {
        assert_eq!(around_window(5, 2, 100), Some((3, 7)));
        assert_eq!(around_window(0, 2, 100), Some((0, 4)));
        assert_eq!(around_window(99, 2, 100), Some((95, 99)));
        assert_eq!(around_window(1, 5, 3), Some((0, 2)));
        assert_eq!(around_window(0, 0, 1), Some((0, 0)));
        assert_eq!(around_window(3, 0, 3), None);
        assert_eq!(around_window(u64::MAX - 1, u64::MAX, u64::MAX), Some((0, u64::MAX - 1)));
        for len in 1..12u64 {
            for radius in 0..7u64 {
                for rank in 0..len {
                    let (start, stop) = around_window(rank, radius, len).unwrap();
                    assert!(start <= rank && rank <= stop && stop < len);
                    assert_eq!(stop - start + 1, (2 * radius + 1).min(len));
                }
            }
        }
    }

    #[test]
    fn page_ranks_share_competition_ranks() {
        let mut ranks = PageRanks::new(Ties::Competition, 3, 2);
        let got: Vec<u64> = [50.0, 50.0, 40.0, 40.0, 30.0].iter().map(|&s| ranks.next(s)).collect();
        assert_eq!(got, [2, 2, 5, 5, 7]);
        let mut ranks = PageRanks::new(Ties::Ordinal, 3, 2);
        let got: Vec<u64> = [50.0, 50.0, 40.0].iter().map(|&s| ranks.next(s)).collect();
        assert_eq!(got, [3, 4, 5]);
    }

    #[test]
    fn page_ranks_dense_follow_on() {
        let mut ranks = PageRanks::new(Ties::Dense, 3, 2);
        let got: Vec<u64> = [50.0, 50.0, 40.0, 40.0, 30.0].iter().map(|&s| ranks.next(s)).collect();
        assert_eq!(got, [2, 2, 3, 3, 4]);
    }

    #[test]
    fn create_options_round_trip_through_the_settings_key() {
        let policy = parse_create(&args("tourney.create k ties dense tiebreak first expireat 5000"), 1000).unwrap();
        assert_eq!(
            policy,
            Policy { order: Order::Desc, tiebreak: Tiebreak::First, ties: Ties::Dense, expire_at: Some(5000) }
        );
        assert_eq!(policy.encode(), "tiebreak first ties dense expireat 5000");
        assert_eq!(Policy::decode(policy.encode().as_bytes()), Some(policy));
        assert_eq!(Policy::decode(Policy::default().encode().as_bytes()), Some(Policy::default()));
        assert_eq!(Policy::decode(b"garbage"), None);
        // The creation time rides after the options; settings without it still read.
        let text = policy.encode_with_created(1_700_000_000_000);
        assert_eq!(Policy::decode_with_created(text.as_bytes()), Some((policy, Some(1_700_000_000_000))));
        assert_eq!(Policy::decode_with_created(policy.encode().as_bytes()), Some((policy, None)));
        assert_eq!(Policy::decode_with_created(b"tiebreak first ties dense created x"), None);
        for bad in [
            &b"tiebreak first ties dense "[..],
            b"ties dense tiebreak first",
            b"tiebreak first ties densest",
            b"tiebreak first ties dense expireat 0",
            b"tiebreak first ties dense expireat x",
            b"TIEBREAK first ties dense",
        ] {
            assert_eq!(Policy::decode(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        for order in [Order::Desc, Order::Asc] {
            for tiebreak in [Tiebreak::Member, Tiebreak::First] {
                for ties in [Ties::Ordinal, Ties::Competition, Ties::Dense] {
                    for expire_at in [None, Some(1), Some(i64::MAX)] {
                        let policy = Policy { order, tiebreak, ties, expire_at };
                        assert_eq!(Policy::decode(policy.encode().as_bytes()), Some(policy));
                        let text = policy.encode_with_created(7);
                        assert_eq!(Policy::decode_with_created(text.as_bytes()), Some((policy, Some(7))));
                    }
                }
            }
        }
        let asc = parse_create(&args("tourney.create k order asc ties dense expireat 5000"), 0).unwrap();
        assert_eq!(asc.encode(), "tiebreak member ties dense order asc expireat 5000");
        assert_eq!(parse_create(&args("tourney.create k order desc"), 0), Ok(Policy::default()));
        assert_eq!(parse_create(&args("tourney.create k order up"), 0), Err(Error::Syntax));
        assert_eq!(Policy::decode(b"tiebreak member ties ordinal order desc"), None);
        assert_eq!(Policy::decode(b""), None);
        assert_eq!(parse_create(&args("tourney.create k"), 0), Ok(Policy::default()));
        assert_eq!(parse_create(&args("tourney.create k expireat 1000"), 1000), Err(Error::ExpireInPast));
        assert!(parse_create(&args("tourney.create k expireat 0"), 0).is_err());
        assert_eq!(parse_create(&args("tourney.create k tiebreak last"), 0), Err(Error::Syntax));
        assert_eq!(parse_create(&args("tourney.create k ties"), 0), Err(Error::Syntax));
        assert_eq!(parse_info(&args("tourney.info k x")), Err(Error::WrongArity("tourney.info")));
    }

    #[test]
    fn dense_is_asked_only_where_kept() {
        let plain = Policy::default();
        assert_eq!(plain.ties_for(None), Ok(Ties::Ordinal));
        assert_eq!(plain.ties_for(Some(Ties::Competition)), Ok(Ties::Competition));
        assert_eq!(plain.ties_for(Some(Ties::Dense)), Err(Error::DenseNotKept));
        let dense = Policy { ties: Ties::Dense, ..Policy::default() };
        assert_eq!(dense.ties_for(None), Ok(Ties::Dense));
        assert_eq!(dense.ties_for(Some(Ties::Ordinal)), Ok(Ties::Ordinal));
    }

    #[test]
    fn orders_rank_their_own_end_first() {
        use std::cmp::Ordering::{Greater, Less};
        assert!(Order::Desc.better(2.0, 1.0) && !Order::Desc.better(1.0, 1.0));
        assert!(Order::Asc.better(1.0, 2.0) && !Order::Asc.better(2.0, 1.0));
        assert_eq!(Order::Desc.compare(2.0, 1.0), Less);
        assert_eq!(Order::Asc.compare(2.0, 1.0), Greater);
        assert_eq!(Order::Asc.compare(-0.0, 0.0), std::cmp::Ordering::Equal);
        // ZREVRANK puts "b" before "a" among equal scores; ZRANK "a" before "b".
        assert_eq!(Order::Desc.compare_members(b"b", b"a"), Less);
        assert_eq!(Order::Asc.compare_members(b"a", b"b"), Less);
    }

    #[test]
    fn percentile_counts_at_or_below() {
        assert_eq!(percentile(1, 4), 25.0);
        assert_eq!(percentile(4, 4), 100.0);
        assert_eq!(percentile(0, 0), 0.0);
    }
}
