//! AUDIT.*: append-only audit logs over native streams, with a cap the server always
//! enforces, retention, idempotent producers and consumer-group helpers.

use crate::command::{Args, Command};
use crate::config;
use crate::keys;
use crate::server::{
    register_command, Arg, ArgFlags, ArgKind, Ctx, KeyAccess, KeyKind, KeySpec, Keys, LoadCtx, Notify, ReplyRef,
};
use crate::stats::{self, Family};
use std::ffi::CStr;
use tally_core::audit::settings::Settings;
use tally_core::audit::{self as core, Dedup, KEY as KEY_POS};
use tally_core::Error;

pub fn register(ctx: &LoadCtx) -> Result<(), String> {
    register_command::<Append>(ctx)?;
    register_command::<Group>(ctx)?;
    register_command::<Info>(ctx)
}

pub struct Append;

impl Command for Append {
    const NAME: &'static CStr = c"audit.append";
    const FAMILY: Family = Family::Audit;
    const FLAGS: &'static CStr = c"write deny-oom";
    const ARITY: i32 = -4;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::UPDATE };
    const SUMMARY: &'static CStr =
        c"Appends an entry with a server-generated ID, always trimming the stream to its cap; IDEMPOTENT drops retries";
    const COMPLEXITY: &'static CStr =
        c"O(1) per field, plus O(T) for the T entries trimmed (usually 1 once the stream is full)";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg { token: Some(c"MAXLEN"), flags: ArgFlags::OPTIONAL, ..Arg::new(c"maxlen", ArgKind::Integer) },
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
        let append = core::parse_append(args.bytes(), &config::audit_limits())?;
        let name = keys::single(args, KEY_POS)?;
        let stream = ctx.open_kind(name, KeyKind::Stream, true)?;

        // Idempotent producers: look up the producer's last sequence before writing.
        let producers = match append.idempotent {
            None => None,
            Some(idempotent) => {
                let key_bytes = args.bytes().get(KEY_POS).copied().unwrap_or_default();
                let producers_name = ctx.string(&core::producers_key(key_bytes)?);
                ctx.check_permissions(&[producers_name.raw()], KeyAccess::UPSERT)?;
                let producers = ctx.open_kind(producers_name.raw(), KeyKind::Hash, true)?;
                let producer = ctx.string(idempotent.producer);
                let stored = producers.hash_get(producer.raw()).and_then(|value| core::decode_producer(value.bytes()));
                match core::dedup(stored, idempotent.seq) {
                    Dedup::Duplicate(id) => {
                        stats::count(&stats::AUDIT_DUPLICATES, 1);
                        ctx.reply_bulk(id.to_string().as_bytes());
                        return Ok(());
                    }
                    Dedup::Stale { last } => return Err(Error::StaleSequence { seq: idempotent.seq, last }),
                    Dedup::Append => {}
                }
                let max = config::audit_max_producers();
                if stored.is_none() && i64::try_from(producers.len()).unwrap_or(i64::MAX) >= max {
                    return Err(Error::TooManyProducers { max });
                }
                Some((producers_name, producers, producer, idempotent.seq))
            }
        };

        let fields = args.raw_from(append.fields_start);
        let id = stream.stream_add(fields)?;
        let cap = Settings::default().cap(config::audit_limits().max_len, append.maxlen.map(|(_, cap)| cap));
        let capped = stream.stream_trim_len(cap);
        let floor = core::retention_floor(ctx.now_ms(), config::audit_retention_ms());
        let aged_out = floor.map_or(0, |floor| stream.stream_trim_below(floor));
        drop(stream);
        stats::count(&stats::AUDIT_TRIMMED, (capped + aged_out).unsigned_abs());
        let id_text = ctx.stream_id_string(id);
        ctx.replicate_xadd(name, cap, id_text.raw(), fields);
        ctx.wrote(name, Notify::Stream, c"xadd");
        if capped > 0 {
            ctx.wrote(name, Notify::Stream, c"xtrim");
        }
        if let Some(floor) = floor.filter(|_| aged_out > 0) {
            ctx.replicate_xtrim_minid(name, ctx.stream_id_string(floor).raw());
            ctx.wrote(name, Notify::Stream, c"xtrim");
        }
        if let Some((producers_name, producers, producer, seq)) = producers {
            let state = ctx.string(core::encode_producer(seq, id).as_bytes());
            producers.hash_set(producer.raw(), state.raw())?;
            drop(producers);
            ctx.replicate_hset(producers_name.raw(), producer.raw(), state.raw());
            ctx.wrote(producers_name.raw(), Notify::Hash, c"hset");
        }
        ctx.reply_string(id_text.raw());
        Ok(())
    }
}

pub struct Group;

impl Command for Group {
    const NAME: &'static CStr = c"audit.group";
    const FAMILY: Family = Family::Audit;
    const FLAGS: &'static CStr = c"write deny-oom";
    const ARITY: i32 = -3;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::INSERT };
    const SUMMARY: &'static CStr =
        c"Creates a consumer group (and the stream if needed); replies OK also when the group already exists";
    const COMPLEXITY: &'static CStr = c"O(1)";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg::new(c"group", ArgKind::String),
        Arg {
            token: Some(c"START"),
            flags: ArgFlags::OPTIONAL,
            subargs: &[
                Arg::new(c"id", ArgKind::String),
                Arg { token: Some(c"$"), ..Arg::new(c"new-entries", ArgKind::Token) },
            ],
            ..Arg::new(c"start", ArgKind::OneOf)
        },
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let start = core::parse_group(args.bytes())?;
        let name = keys::single(args, KEY_POS)?;
        match ctx.xgroup_create(name, args.raw(2)?, start) {
            Err(Error::Server(text)) if text.starts_with("BUSYGROUP") => {}
            other => other?,
        }
        ctx.reply_ok();
        Ok(())
    }
}

pub struct Info;

impl Command for Info {
    const NAME: &'static CStr = c"audit.info";
    const FAMILY: Family = Family::Audit;
    const FLAGS: &'static CStr = c"readonly";
    const ARITY: i32 = 2;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::READ };
    const SUMMARY: &'static CStr =
        c"Reports an audit stream's length, cap, retention, first and last IDs, entries added and its groups";
    const COMPLEXITY: &'static CStr = c"O(G) where G is the number of consumer groups";
    const ARGS: &'static [Arg] = &[Arg::new(c"key", ArgKind::Key)];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        core::parse_info(args.bytes())?;
        let name = keys::single(args, KEY_POS)?;
        if ctx.open_kind(name, KeyKind::Stream, false)?.kind() == KeyKind::Empty {
            ctx.reply_null();
            return Ok(());
        }
        let stream = ctx.xinfo(c"STREAM", name)?;
        let groups = ctx.xinfo(c"GROUPS", name)?;
        let entry_id = |field: &[u8]| stream.map_get(field).and_then(|entry| entry.at(0)).and_then(ReplyRef::as_bytes);
        ctx.reply_map(7);
        reply_field_integer(ctx, b"length", stream.map_get(b"length"));
        ctx.reply_bulk(b"cap");
        ctx.reply_integer(config::audit_limits().max_len);
        ctx.reply_bulk(b"retention-ms");
        ctx.reply_integer(config::audit_retention_ms());
        reply_field_bytes(ctx, b"first-entry-id", entry_id(b"first-entry"));
        reply_field_bytes(ctx, b"last-entry-id", entry_id(b"last-entry"));
        reply_field_integer(ctx, b"entries-added", stream.map_get(b"entries-added"));
        ctx.reply_bulk(b"groups");
        ctx.reply_array(groups.len());
        for index in 0..groups.len() {
            let group = groups.at(index);
            let field = |name: &[u8]| group.and_then(|g| g.map_get(name));
            ctx.reply_map(4);
            reply_field_bytes(ctx, b"name", field(b"name").and_then(ReplyRef::as_bytes));
            reply_field_integer(ctx, b"consumers", field(b"consumers"));
            reply_field_integer(ctx, b"pending", field(b"pending"));
            reply_field_integer(ctx, b"lag", field(b"lag"));
        }
        Ok(())
    }
}

fn reply_field_integer(ctx: &Ctx, name: &[u8], value: Option<ReplyRef>) {
    ctx.reply_bulk(name);
    match value.and_then(ReplyRef::as_integer) {
        Some(value) => ctx.reply_integer(value),
        None => ctx.reply_null(),
    }
}

fn reply_field_bytes(ctx: &Ctx, name: &[u8], value: Option<&[u8]>) {
    ctx.reply_bulk(name);
    match value {
        Some(bytes) => ctx.reply_bulk(bytes),
        None => ctx.reply_null(),
    }
}
