//! AUDIT.INFO: a stream's length, cap, retention, IDs and groups, with its own settings.

use super::{acknowledged, reply_field_bytes, reply_field_integer, AuditLog};
use crate::command::{Args, Command};
use crate::config;
use crate::keys;
use crate::server::{Arg, ArgKind, Ctx, KeyAccess, KeyKind, KeySpec, Keys, ReplyRef};
use crate::stats::Family;
use std::ffi::CStr;
use tally_core::audit::settings::OnFull;
use tally_core::audit::{self as core, KEY_POSITION as KEY_POS};
use tally_core::Error;

pub struct Info;

impl Command for Info {
    const NAME: &'static CStr = c"audit.info";
    const FAMILY: Family = Family::Audit;
    const FLAGS: &'static CStr = c"readonly";
    const ARITY: i32 = 2;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::READ };
    const SUMMARY: &'static CStr =
        c"Reports an audit stream's length, cap, retention, first and last IDs, entries added, \
its groups and settings, and under ONFULL REFUSE the appends left before it refuses";
    const COMPLEXITY: &'static CStr =
        c"O(G) where G is the number of consumer groups; under ONFULL REFUSE plus O(A) for the A acknowledged entries";
    const ARGS: &'static [Arg] = &[Arg::new(c"key", ArgKind::Key)];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        core::parse_info(args.bytes())?;
        let name = keys::single(args, KEY_POS)?;
        let key = args.bytes().get(KEY_POS).copied().unwrap_or_default();
        let log = AuditLog::open(ctx, key, None)?;
        let stream_key = ctx.open_kind(name, KeyKind::Stream, false)?;
        if stream_key.kind() == KeyKind::Empty {
            ctx.reply_null();
            return Ok(());
        }
        let settings = log.settings;
        let cap = settings.cap(config::audit_limits().max_len, None);
        let len = i64::try_from(stream_key.len()).unwrap_or(i64::MAX);
        // Under REFUSE: room below the cap, plus the acknowledged entries an append may trim.
        let remaining = if settings.onfull == OnFull::Refuse {
            let through = acknowledged(ctx, name)?.through;
            let mut trimmable = 0i64;
            stream_key.stream_walk(None, false, false, |id, _| {
                let acked = through.is_some_and(|through| id <= through);
                trimmable += i64::from(acked);
                acked
            });
            Some(cap.saturating_sub(len).max(0).saturating_add(trimmable))
        } else {
            None
        };
        drop(stream_key);
        let stream = ctx.xinfo(c"STREAM", name)?;
        let groups = ctx.xinfo(c"GROUPS", name)?;
        let entry_id = |field: &[u8]| stream.map_get(field).and_then(|entry| entry.at(0)).and_then(ReplyRef::as_bytes);
        ctx.reply_map(11);
        reply_field_integer(ctx, b"length", Some(len));
        reply_field_integer(ctx, b"cap", Some(cap));
        reply_field_integer(ctx, b"retention-ms", Some(settings.retention_ms(config::audit_retention_ms())));
        reply_field_bytes(ctx, b"first-entry-id", entry_id(b"first-entry"));
        reply_field_bytes(ctx, b"last-entry-id", entry_id(b"last-entry"));
        reply_field_integer(ctx, b"entries-added", stream.map_get(b"entries-added").and_then(ReplyRef::as_integer));
        ctx.reply_bulk(b"groups");
        ctx.reply_array(groups.len());
        for index in 0..groups.len() {
            let group = groups.at(index);
            let field = |name: &[u8]| group.and_then(|g| g.map_get(name));
            ctx.reply_map(4);
            reply_field_bytes(ctx, b"name", field(b"name").and_then(ReplyRef::as_bytes));
            for name in [&b"consumers"[..], b"pending", b"lag"] {
                reply_field_integer(ctx, name, field(name).and_then(ReplyRef::as_integer));
            }
        }
        reply_field_bytes(ctx, b"mode", Some(settings.mode.word().as_bytes()));
        reply_field_bytes(ctx, b"onfull", Some(settings.onfull.word().as_bytes()));
        reply_field_integer(ctx, b"chain", Some(i64::from(settings.chain)));
        reply_field_integer(ctx, b"remaining", remaining);
        Ok(())
    }
}
