//! AUDIT.VERIFY and AUDIT.DIGEST: the hash chain of a chained stream, checked page by page,
//! and the newest link an auditor keeps outside Redis.

use super::{chain_of, newest_entry, reply_optional_bytes, AuditLog};
use crate::command::{Args, Command};
use crate::config;
use crate::keys;
use crate::server::{Arg, ArgFlags, ArgKind, Ctx, KeyAccess, KeyKind, KeySpec, Keys};
use crate::stats::Family;
use std::ffi::CStr;
use tally_core::audit::chain::{self, Hash, Verified};
use tally_core::audit::settings::{parse_digest, parse_verify};
use tally_core::audit::{StreamId, KEY_POSITION as KEY_POS};
use tally_core::Error;

/// Entries checked per batch: the fields of one batch are held in memory at a time.
const BATCH: usize = 512;

/// An entry copied out of the stream: its ID and field/value pairs.
type CopiedEntry = (StreamId, Vec<(Vec<u8>, Vec<u8>)>);
/// The pairs of a copied entry, borrowed for the chain check.
type Pairs<'a> = Vec<(&'a [u8], &'a [u8])>;

pub struct Verify;

impl Command for Verify {
    const NAME: &'static CStr = c"audit.verify";
    const FAMILY: Family = Family::Audit;
    const FLAGS: &'static CStr = c"readonly";
    const ARITY: i32 = -2;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::READ };
    const SUMMARY: &'static CStr = c"Checks the hash chain of a chained audit log from its oldest entry (or FROM an \
entry and its link), at most COUNT links; replies ok, checked, the first bad ID, and where it stopped";
    const COMPLEXITY: &'static CStr = c"O(N) for the N links checked (at most COUNT)";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg {
            token: Some(c"FROM"),
            flags: ArgFlags::OPTIONAL,
            subargs: &[Arg::new(c"id", ArgKind::String), Arg::new(c"hash", ArgKind::String)],
            ..Arg::new(c"from", ArgKind::Block)
        },
        Arg { token: Some(c"COUNT"), flags: ArgFlags::OPTIONAL, ..Arg::new(c"count", ArgKind::Integer) },
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let verify = parse_verify(args.bytes(), config::audit_verify_max())?;
        let name = keys::single(args, KEY_POS)?;
        let key = args.bytes().get(KEY_POS).copied().unwrap_or_default();
        let log = AuditLog::open(ctx, key, Some(KeyAccess::READ))?;
        if !log.settings.chain {
            return Err(Error::NotChained);
        }
        let stream = ctx.open_kind(name, KeyKind::Stream, false)?;
        // FROM names an entry whose link the caller holds: it must still be there, and the
        // walk starts after it. Without FROM, the walk starts at the oldest entry, linked to
        // the anchor of what was trimmed (or to the genesis link).
        let (start, walk_from, skip_first) = match verify.from {
            Some((id, hash)) => {
                let mut stored = None;
                stream.stream_walk_last(Some(id), false, |found, last| {
                    stored = Some((found, chain_of(last)));
                    false
                });
                match stored {
                    Some((found, link)) if found == id => {
                        if link != Some(hash) {
                            reply_verified(ctx, &Verified { ok: false, checked: 1, first_bad: Some(id), last: None });
                            return Ok(());
                        }
                        (Some((id, hash)), Some(id), true)
                    }
                    _ => return Err(Error::FromNotInStream),
                }
            }
            None => (log.anchor(ctx, key)?, None, false),
        };
        let budget = usize::try_from(verify.count).unwrap_or(usize::MAX);
        let mut state = Verified { ok: true, checked: 0, first_bad: None, last: start };
        let mut batch: Vec<CopiedEntry> = Vec::with_capacity(BATCH.min(budget));
        let mut resume = walk_from;
        let mut skip = skip_first;
        let mut seen = 0usize;
        while state.ok && seen < budget {
            batch.clear();
            let mut more = false;
            stream.stream_walk(resume, false, true, |id, fields| {
                if skip {
                    skip = false;
                    return true;
                }
                if batch.len() == BATCH || seen + batch.len() == budget {
                    more = true;
                    return false;
                }
                batch.push((id, fields.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()));
                true
            });
            if batch.is_empty() {
                break;
            }
            seen += batch.len();
            let borrowed: Vec<(StreamId, Pairs)> = batch
                .iter()
                .map(|(id, fields)| (*id, fields.iter().map(|(f, v)| (f.as_slice(), v.as_slice())).collect()))
                .collect();
            let page = chain::verify(state.last, borrowed);
            state = Verified { checked: state.checked + page.checked, ..page };
            // The next batch starts after the last entry of this one.
            resume = batch.last().map(|(id, _)| *id);
            skip = true;
            if !more {
                break;
            }
        }
        reply_verified(ctx, &state);
        Ok(())
    }
}

/// `[ok, checked, first-bad-id-or-nil, last-id, last-hash]`.
fn reply_verified(ctx: &Ctx, verified: &Verified) {
    ctx.reply_array(5);
    ctx.reply_integer(i64::from(verified.ok));
    ctx.reply_integer(verified.checked);
    reply_optional_bytes(ctx, verified.first_bad.map(|id| id.to_string()).as_deref().map(str::as_bytes));
    reply_link(ctx, verified.last);
}

fn reply_link(ctx: &Ctx, link: Option<(StreamId, Hash)>) {
    match link {
        Some((id, hash)) => {
            ctx.reply_bulk(id.to_string().as_bytes());
            ctx.reply_bulk(&chain::to_hex(&hash));
        }
        None => {
            ctx.reply_null();
            ctx.reply_null();
        }
    }
}

pub struct Digest;

impl Command for Digest {
    const NAME: &'static CStr = c"audit.digest";
    const FAMILY: Family = Family::Audit;
    const FLAGS: &'static CStr = c"readonly fast";
    const ARITY: i32 = 2;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::READ };
    const SUMMARY: &'static CStr =
        c"Returns the newest entry's ID and link and the stream's length: what an auditor keeps to VERIFY FROM later";
    const COMPLEXITY: &'static CStr = c"O(1)";
    const ARGS: &'static [Arg] = &[Arg::new(c"key", ArgKind::Key)];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        parse_digest(args.bytes())?;
        let name = keys::single(args, KEY_POS)?;
        let key = args.bytes().get(KEY_POS).copied().unwrap_or_default();
        if !AuditLog::open(ctx, key, None)?.settings.chain {
            return Err(Error::NotChained);
        }
        let stream = ctx.open_kind(name, KeyKind::Stream, false)?;
        let newest = newest_entry(&stream);
        ctx.reply_array(3);
        reply_link(ctx, newest.and_then(|(id, hash)| Some((id, hash?))));
        ctx.reply_integer(stream.len());
        Ok(())
    }
}
