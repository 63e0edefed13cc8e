//! AUDIT.CREATE: a stream's own settings (cap and its mode, retention, ONFULL, CHAIN),
//! kept in a string beside it.

use super::{AuditLog, MAXLEN_ARG};
use crate::command::{Args, Command};
use crate::keys;
use crate::server::{Arg, ArgFlags, ArgKind, Ctx, KeyAccess, KeyKind, KeySpec, Keys, Notify, OwnedString};
use crate::stats::Family;
use std::ffi::CStr;
use tally_core::audit::settings::parse_create;
use tally_core::audit::{ANCHOR_SUFFIX, AUDIT_LOG, KEY_POSITION as KEY_POS};
use tally_core::slot::companion_key;
use tally_core::Error;

pub struct Create;

impl Command for Create {
    const NAME: &'static CStr = c"audit.create";
    const FAMILY: Family = Family::Audit;
    const FLAGS: &'static CStr = c"write deny-oom fast";
    const ARITY: i32 = -2;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::READ };
    const SUMMARY: &'static CStr =
        c"Gives an audit stream its own cap, retention, ONFULL TRIM|REFUSE and CHAIN; again with the same settings is OK";
    const COMPLEXITY: &'static CStr = c"O(1)";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        MAXLEN_ARG,
        Arg { token: Some(c"RETENTION"), flags: ArgFlags::OPTIONAL, ..Arg::new(c"ms", ArgKind::Integer) },
        Arg {
            token: Some(c"ONFULL"),
            flags: ArgFlags::OPTIONAL,
            subargs: &[
                Arg { token: Some(c"TRIM"), ..Arg::new(c"trim", ArgKind::Token) },
                Arg { token: Some(c"REFUSE"), ..Arg::new(c"refuse", ArgKind::Token) },
            ],
            ..Arg::new(c"onfull", ArgKind::OneOf)
        },
        Arg { token: Some(c"CHAIN"), flags: ArgFlags::OPTIONAL, ..Arg::new(c"chain", ArgKind::Token) },
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let settings = parse_create(args.bytes())?;
        let name = keys::single(args, KEY_POS)?;
        let key = args.bytes().get(KEY_POS).copied().unwrap_or_default();
        // Settings live beside the stream: only a key with a hash tag can have them.
        let anchor_name = ctx.string(&companion_key(key, ANCHOR_SUFFIX, AUDIT_LOG)?);
        let log = AuditLog::open(ctx, key, None)?;
        let companions: Vec<_> = log.settings_key.iter().chain([&anchor_name]).map(OwnedString::raw).collect();
        ctx.check_permissions(&companions, KeyAccess::UPSERT)?;
        let entries = ctx.open_kind(name, KeyKind::Stream, false)?.len();
        if log.created {
            return if log.settings == settings {
                ctx.reply_ok();
                Ok(())
            } else {
                Err(Error::AuditExists(key.to_vec()))
            };
        }
        if settings.chain && entries > 0 {
            return Err(Error::ChainOnEntries(key.to_vec()));
        }
        let Some(settings_name) = &log.settings_key else { return Err(Error::Internal) };
        let value = ctx.string(settings.encode().as_bytes());
        ctx.open_key(settings_name.raw(), true).set_string(&value)?;
        ctx.replicate_set(settings_name.raw(), value.bytes());
        ctx.wrote(settings_name.raw(), Notify::String, c"set");
        // An anchor left by an earlier stream of this name would start the new chain.
        if ctx.open_key(anchor_name.raw(), true).delete() {
            ctx.replicate_del(&[anchor_name.raw()]);
            ctx.wrote(anchor_name.raw(), Notify::Generic, c"del");
        }
        ctx.reply_ok();
        Ok(())
    }
}
