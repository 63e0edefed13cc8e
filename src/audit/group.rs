//! AUDIT.GROUP: a consumer group created idempotently.

use crate::command::{Args, Command};
use crate::keys;
use crate::server::{Arg, ArgFlags, ArgKind, Ctx, KeyAccess, KeySpec, Keys};
use crate::stats::Family;
use std::ffi::CStr;
use tally_core::audit::{self as core, KEY_POSITION as KEY_POS};
use tally_core::Error;

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
