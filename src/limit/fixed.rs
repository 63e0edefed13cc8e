//! LIMIT.FIXED: a counter per calendar window, kept in a native string that expires at
//! its window's end, so `GET` shows the count and `PTTL` the time to the next window.

use super::{reply_decision, COST_ARG, KEY_POS};
use crate::command::{Args, Command};
use crate::keys;
use crate::server::{Arg, ArgKind, Ctx, KeyAccess, KeyKind, KeySpec, Keys, Notify};
use crate::stats::Family;
use std::ffi::CStr;
use tally_core::limit::fixed::{self as core, Counter, COUNTER_MAX_BYTES};
use tally_core::number::IntText;
use tally_core::Error;

pub struct Fixed;

impl Command for Fixed {
    const NAME: &'static CStr = c"limit.fixed";
    const FAMILY: Family = Family::Limit;
    const FLAGS: &'static CStr = c"write deny-oom fast";
    const ARITY: i32 = -4;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::UPSERT };
    const SUMMARY: &'static CStr =
        c"Fixed-window counter: allows at most max units per period_ms, windows aligned to the Unix epoch on the server's clock";
    const COMPLEXITY: &'static CStr = c"O(1)";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg::new(c"period_ms", ArgKind::Integer),
        Arg::new(c"max", ArgKind::Integer),
        COST_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let fixed = core::parse_fixed(args.bytes())?;
        let name = keys::single(args, KEY_POS)?;
        let now = ctx.now_ms();
        let key = ctx.open_key(name, true);
        let stored = match key.kind() {
            KeyKind::Empty => None,
            KeyKind::String => {
                let mut buf = [0u8; COUNTER_MAX_BYTES];
                let len = key.string_value(&mut buf).ok_or(Error::NotACounter)?;
                let count = core::parse_counter(buf.get(..len).unwrap_or_default())?;
                Some(Counter { count, expire_at_ms: key.expire_at() })
            }
            _ => return Err(Error::WrongType),
        };
        let outcome = fixed.decide(now, stored);
        if let Some(Counter { count, expire_at_ms: Some(end) }) = outcome.write {
            let text = IntText::new(count);
            // A counter of this window keeps its expiry: only its digits change.
            if stored.is_some_and(|counter| fixed.counts(now, &counter)) {
                key.overwrite_string(text.as_bytes())?;
            } else {
                key.set_string(&ctx.string(text.as_bytes()))?;
                key.set_expire_at(end)?;
            }
            drop(key);
            ctx.replicate_set_pxat(name, text.as_bytes(), end);
            ctx.wrote(name, Notify::String, c"set");
            ctx.notify_expire(name);
        }
        reply_decision(ctx, &outcome.decision);
        Ok(())
    }
}
