//! AUDIT.APPEND: one entry, the stream trimmed to its cap and retention at once, under
//! ONFULL REFUSE only what every consumer group has acknowledged, and on a chained stream
//! the entry's link as its last field.

use super::{acknowledged, chain_of, newest_entry, oldest_id, successor, AuditLog, MAXLEN_ARG};
use crate::command::{Args, Command};
use crate::config;
use crate::keys;
use crate::server::{
    Arg, ArgFlags, ArgKind, Ctx, KeptString, Key, KeyAccess, KeyKind, KeySpec, Keys, Notify, OwnedString, RawString,
};
use crate::stats::{self, Family};
use smallvec::SmallVec;
use std::ffi::CStr;
use tally_core::audit::chain::{self, Hash, GENESIS};
use tally_core::audit::settings::{encode_anchor, CapMode, OnFull};
use tally_core::audit::{self as core, Dedup, StreamId, StreamIdText, KEY_POSITION as KEY_POS};
use tally_core::Error;

pub struct Append;

impl Command for Append {
    const NAME: &'static CStr = c"audit.append";
    const FAMILY: Family = Family::Audit;
    const FLAGS: &'static CStr = c"write deny-oom";
    const ARITY: i32 = -4;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::UPDATE };
    const SUMMARY: &'static CStr =
        c"Appends an entry with a server-generated ID, always trimming the stream to its cap; \
IDEMPOTENT drops retries; ONFULL REFUSE streams refuse rather than trim what a group has not acknowledged";
    const COMPLEXITY: &'static CStr =
        c"O(1) per field, plus O(T) for the T entries trimmed (usually 1 once the stream is full), plus O(G) for G \
consumer groups under ONFULL REFUSE";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        MAXLEN_ARG,
        Arg {
            token: Some(c"IDEMPOTENT"),
            flags: ArgFlags::OPTIONAL,
            subargs: &[Arg::new(c"producer", ArgKind::String), Arg::new(c"sequence", ArgKind::Integer)],
            ..Arg::new(c"idempotent", ArgKind::Block)
        },
        Arg {
            flags: ArgFlags::MULTIPLE,
            subargs: &[Arg::new(c"field", ArgKind::String), Arg::new(c"value", ArgKind::String)],
            ..Arg::new(c"data", ArgKind::Block)
        },
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let limits = config::audit_limits();
        let append = core::parse_append(args.bytes(), &limits)?;
        let name = keys::single(args, KEY_POS)?;
        let key = args.bytes().get(KEY_POS).copied().unwrap_or_default();
        let log = AuditLog::open(ctx, key, Some(KeyAccess::UPSERT))?;
        let settings = log.settings;
        let field_bytes = args.bytes().get(append.fields_start..).unwrap_or_default();
        let mode = append.maxlen.map_or(settings.mode, |(mode, _)| mode);
        if settings.chain {
            core::check_chain_fields(field_bytes)?;
            if mode == CapMode::Approx {
                return Err(Error::ChainNeedsExactCap);
            }
        }
        let stream = ctx.open_kind(name, KeyKind::Stream, true)?;
        let producers = match append.idempotent {
            None => None,
            Some(idempotent) => match producer_state(ctx, key, idempotent)? {
                ProducerCheck::Retry(id) => {
                    stats::count(&stats::AUDIT_DUPLICATES, 1);
                    ctx.reply_bulk(StreamIdText::new(id).as_bytes());
                    return Ok(());
                }
                ProducerCheck::Accept(producers) => Some(producers),
            },
        };

        let cap = settings.cap(limits.max_len, append.maxlen.map(|(_, cap)| cap));
        let retention_ms = settings.retention_ms(config::audit_retention_ms());
        let refuse = settings.onfull == OnFull::Refuse;
        // Under REFUSE, what every group has acknowledged bounds every trim; an append whose
        // cap would trim past it is refused before anything changes.
        let acked = if refuse && (stream.len() >= cap.unsigned_abs() || retention_ms > 0) {
            let acked = acknowledged(ctx, name)?;
            let over = (stream.len() + 1).saturating_sub(cap.unsigned_abs());
            // The `over` oldest entries go, all acknowledged when the newest of them is.
            let held = over > 0
                && match acked.through {
                    None => true,
                    // Only the oldest goes (the stream is not empty: the cap is at least 1), so
                    // any entry acknowledged means it is, and walking back from `through` is
                    // short while the groups keep up.
                    Some(through) if over == 1 => stream.stream_newest_at_or_below(through).is_none(),
                    Some(through) => nth_oldest(&stream, over - 1).is_some_and(|going| going > through),
                };
            if held {
                return Err(Error::Full { key: key.to_vec(), group: acked.least });
            }
            acked.through
        } else {
            None
        };

        // The entry: on a chained stream its ID is chosen here, from the one clock reading
        // of the call, so that its link can be computed before it is written.
        let now = ctx.now_ms();
        let fields = args.raw_from(append.fields_start);
        let (id, linked) = if settings.chain {
            let linked = add_linked(ctx, &log, key, name, &stream, now, fields, field_bytes)?;
            (linked.id, Some(linked))
        } else {
            (stream.stream_add(None, fields)?.ok_or(Error::Internal)?, None)
        };

        // Retention counts from the entry's own time, so an append never trims its entry,
        // even where the server freezes command time (MULTI, scripts).
        let entry_ms = i64::try_from(id.ms).unwrap_or(i64::MAX).min(now);
        let mut floor = core::retention_floor(entry_ms, retention_ms);
        if refuse {
            floor = floor.map(|floor| acked.map_or(StreamId::default(), successor).min(floor));
        }
        let anchor = if settings.chain { newest_below(&stream, cap, floor) } else { None };
        let approx = mode == CapMode::Approx;
        let capped = stream.stream_trim_len(cap, approx);
        let aged_out = floor.map_or(0, |floor| stream.stream_trim_below(floor));
        // An exact cap replicates as XADD's own MAXLEN = and retention as its floor; whole-node
        // trimming depends on the node layout, so it replicates the first entry kept.
        let first_kept = (approx && capped + aged_out > 0).then(|| oldest_id(&stream)).flatten();
        drop(stream);
        stats::count(&stats::AUDIT_TRIMMED, (capped + aged_out).unsigned_abs());

        let id_text = StreamIdText::new(id);
        // A chained entry replicates with its `chain` pair; a plain one as the caller sent it.
        let written = linked.as_ref().map_or(fields, |linked| &linked.fields[..]);
        ctx.replicate_xadd(name, (!approx).then_some(cap), id_text.as_bytes(), written);
        ctx.wrote(name, Notify::Stream, c"xadd");
        let trim_floor = if approx { first_kept } else { floor.filter(|_| aged_out > 0) };
        if let Some(trim_floor) = trim_floor {
            ctx.replicate_xtrim_minid(name, StreamIdText::new(trim_floor).as_bytes());
        }
        if capped + aged_out > 0 {
            ctx.notify(Notify::Stream, c"xtrim", name);
        }
        if let (Some((gone, hash)), Some(anchor_name)) = (anchor, log.anchor_raw()) {
            let value = encode_anchor(gone, &hash);
            ctx.open_key(anchor_name, true).replace_string(&value)?;
            ctx.replicate_set(anchor_name, &value);
            ctx.wrote(anchor_name, Notify::String, c"set");
        }
        if let Some(producers) = producers {
            producers.record(ctx, id)?;
        }
        ctx.reply_bulk(id_text.as_bytes());
        Ok(())
    }
}

/// An entry added to a chained stream.
struct Linked<'c> {
    id: StreamId,
    /// The caller's fields and the `chain` pair, as written.
    fields: SmallVec<[RawString; 16]>,
    /// The link's string, which `fields` points to.
    _link: OwnedString<'c>,
}

/// The name of a chained entry's last field, written by every chained append.
static CHAIN_FIELD: KeptString = KeptString::new(chain::FIELD);

/// Adds an entry to a chained stream with its link, under the ID XADD `*` would give it at
/// `now` (the link covers the ID).
#[allow(clippy::too_many_arguments)]
fn add_linked<'c>(
    ctx: &'c Ctx,
    log: &AuditLog,
    key: &[u8],
    name: RawString,
    stream: &Key,
    now: i64,
    fields: &[RawString],
    field_bytes: &[&[u8]],
) -> Result<Linked<'c>, Error> {
    let (last, prev) = match newest_entry(stream) {
        Some((id, Some(hash))) => (id, hash),
        Some((_, None)) => return Err(Error::ChainBroken(key.to_vec())),
        None => log.anchor(ctx, key)?.unwrap_or((StreamId::default(), GENESIS)),
    };
    let pairs = || field_bytes.chunks_exact(2).filter_map(|pair| Some((*pair.first()?, *pair.get(1)?)));
    let field_name = CHAIN_FIELD.raw().ok_or(Error::Internal)?;
    let mut last = last;
    // Entries deleted at the tail leave the stream's last ID above its newest entry; the
    // server then refuses the ID and reports its last one.
    for _ in 0..2 {
        let id = next_id(last, now)?;
        let hash = chain::link(&prev, id, pairs());
        let hex = ctx.string(&chain::to_hex(&hash));
        let mut linked: SmallVec<[RawString; 16]> = fields.iter().copied().collect();
        linked.extend([field_name, hex.raw()]);
        if stream.stream_add(Some(id), &linked)?.is_some() {
            return Ok(Linked { id, fields: linked, _link: hex });
        }
        last = ctx.stream_last_generated_id(name)?;
    }
    Err(Error::Internal)
}

/// The ID XADD `*` gives after `last` at `now`: the time, or the last ID's time with the
/// next sequence when the clock has not moved past it.
fn next_id(last: StreamId, now: i64) -> Result<StreamId, Error> {
    let now = u64::try_from(now).unwrap_or(0);
    if now > last.ms {
        return Ok(StreamId { ms: now, seq: 0 });
    }
    match last.seq.checked_add(1) {
        Some(seq) => Ok(StreamId { ms: last.ms, seq }),
        None => last.ms.checked_add(1).map(|ms| StreamId { ms, seq: 0 }).ok_or(Error::StreamExhausted),
    }
}

/// The ID of the entry `n` places after the oldest (0: the oldest).
fn nth_oldest(stream: &Key, n: u64) -> Option<StreamId> {
    let mut seen = 0;
    let mut found = None;
    stream.stream_walk(None, false, false, |id, _| {
        if seen == n {
            found = Some(id);
            return false;
        }
        seen += 1;
        true
    });
    found
}

/// On a chained stream about to be trimmed to `cap` entries and below `floor`: the newest
/// entry that goes and its link, which becomes the stream's anchor. (One pass, reading each
/// entry's link as it is stepped over: a second walk would step over them all again.)
fn newest_below(stream: &Key, cap: i64, floor: Option<StreamId>) -> Option<(StreamId, Hash)> {
    let over = stream.len().saturating_sub(cap.unsigned_abs());
    if over == 0 && floor.is_none() {
        return None;
    }
    let mut seen = 0;
    let mut newest = None;
    stream.stream_walk_last(None, false, |id, last| {
        let goes = seen < over || floor.is_some_and(|floor| id < floor);
        if goes {
            newest = chain_of(last).map(|hash| (id, hash));
        }
        seen += 1;
        // Without retention the first `over` entries go: the walk ends on the last of them
        // rather than reading the next (the head of an exactly trimmed node is costly to step).
        goes && (floor.is_some() || seen < over)
    });
    newest
}

/// What IDEMPOTENT found in the stream's producers hash.
enum ProducerCheck<'c> {
    /// The last accepted sequence again: the original entry's ID.
    Retry(StreamId),
    Accept(Producers<'c>),
}

/// An accepted IDEMPOTENT append: where to record the producer's new sequence.
struct Producers<'c> {
    name: crate::server::OwnedString<'c>,
    producer: crate::server::OwnedString<'c>,
    seq: i64,
}

fn producer_state<'c>(ctx: &'c Ctx, key: &[u8], idempotent: core::Idempotent) -> Result<ProducerCheck<'c>, Error> {
    let name = ctx.string(&core::producers_key(key)?);
    ctx.check_permissions(&[name.raw()], KeyAccess::UPSERT)?;
    let producers = ctx.open_kind(name.raw(), KeyKind::Hash, true)?;
    let producer = ctx.string(idempotent.producer);
    let stored = producers.hash_get(producer.raw()).and_then(|value| core::decode_producer(value.bytes()));
    match core::dedup(stored, idempotent.seq) {
        Dedup::Duplicate(id) => return Ok(ProducerCheck::Retry(id)),
        Dedup::Stale { last } => return Err(Error::StaleSequence { seq: idempotent.seq, last }),
        Dedup::Append => {}
    }
    let max = config::audit_max_producers();
    if stored.is_none() && i64::try_from(producers.len()).unwrap_or(i64::MAX) >= max {
        return Err(Error::TooManyProducers { max });
    }
    drop(producers);
    Ok(ProducerCheck::Accept(Producers { name, producer, seq: idempotent.seq }))
}

impl Producers<'_> {
    fn record(self, ctx: &Ctx, id: StreamId) -> Result<(), Error> {
        let state = ctx.string(core::encode_producer(self.seq, id).as_bytes());
        ctx.open_kind(self.name.raw(), KeyKind::Hash, true)?.hash_set(self.producer.raw(), state.raw())?;
        ctx.replicate_hset(self.name.raw(), self.producer.raw(), state.raw());
        ctx.wrote(self.name.raw(), Notify::Hash, c"hset");
        Ok(())
    }
}
