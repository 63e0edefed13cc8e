//! A tournament's settings: TOURNEY.CREATE and TOURNEY.INFO.

use super::board::{read_policy, settings_key, Board, TieNames};
use super::{split_season, READ_SEASON_ARG, TIES_ARG};
use crate::command::{Args, Command};
use crate::keys;
use crate::server::{Arg, ArgFlags, ArgKind, Ctx, KeyAccess, KeyKind, KeySpec, Keys, Notify, OwnedString, RawString};
use crate::stats::Family;
use smallvec::SmallVec;
use std::ffi::CStr;
use tally_core::season::{season_at, season_key, Period, SeasonChoice};
use tally_core::slot::{companion_key, Companions};
use tally_core::tourney::{self as core, DATA_SUFFIX, KEY_POSITION as KEY_POS, TOURNAMENT, WITH_DATA};
use tally_core::Error;

pub struct Create;

impl Command for Create {
    const NAME: &'static CStr = c"tourney.create";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"write deny-oom fast";
    const ARITY: i32 = -2;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::UPDATE };
    const SUMMARY: &'static CStr =
        c"Makes a leaderboard a tournament with an order (highest or lowest score first), a tie-break rule, a rank rule for ties and an optional expiry";
    const COMPLEXITY: &'static CStr = c"O(1)";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg {
            token: Some(c"ORDER"),
            flags: ArgFlags::OPTIONAL,
            subargs: &[
                Arg { token: Some(c"DESC"), ..Arg::new(c"desc", ArgKind::Token) },
                Arg { token: Some(c"ASC"), ..Arg::new(c"asc", ArgKind::Token) },
            ],
            ..Arg::new(c"order", ArgKind::OneOf)
        },
        Arg {
            token: Some(c"TIEBREAK"),
            flags: ArgFlags::OPTIONAL,
            subargs: &[
                Arg { token: Some(c"FIRST"), ..Arg::new(c"first", ArgKind::Token) },
                Arg { token: Some(c"MEMBER"), ..Arg::new(c"member", ArgKind::Token) },
            ],
            ..Arg::new(c"tiebreak", ArgKind::OneOf)
        },
        TIES_ARG,
        Arg {
            token: Some(c"EXPIREAT"),
            flags: ArgFlags::OPTIONAL,
            ..Arg::new(c"unix-time-milliseconds", ArgKind::Integer)
        },
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let now = ctx.now_ms();
        let policy = core::parse_create(args.bytes(), now)?;
        let key = keys::single(args, KEY_POS)?;
        let key_bytes = args.bytes().get(KEY_POS).copied().unwrap_or_default();
        let mut companions = Companions::new(key_bytes, TOURNAMENT)?;
        let settings_name = settings_key(ctx, &mut companions);
        let ties = TieNames::new(ctx, &mut companions, &policy);
        let raw_names: SmallVec<[RawString; 4]> =
            std::iter::once(&settings_name).chain(ties.iter()).map(OwnedString::raw).collect();
        ctx.check_permissions(&raw_names, KeyAccess::UPSERT)?;
        if let Some((existing, _)) = read_policy(ctx, settings_name.raw(), key_bytes)? {
            return if existing == policy {
                ctx.reply_ok();
                Ok(())
            } else {
                Err(Error::TournamentExists(key_bytes.to_vec()))
            };
        }
        let zset = ctx.open_zset(key, true)?;
        let populated = zset.len() > 0;
        if policy.keeps_arrivals() || policy.keeps_dense() {
            if populated {
                return Err(Error::TournamentHasMembers(key_bytes.to_vec()));
            }
            // The boards of running seasons would lack the tie structures too.
            let seasons = [Period::Daily, Period::Weekly, Period::Monthly]
                .map(|period| season_key(key_bytes, &season_at(period, now)).map(|name| ctx.string(&name)));
            let seasons: SmallVec<[OwnedString; 3]> = seasons.into_iter().collect::<Result<_, _>>()?;
            let raw_seasons: SmallVec<[RawString; 3]> = seasons.iter().map(OwnedString::raw).collect();
            ctx.check_permissions(&raw_seasons, KeyAccess::READ)?;
            if let Some(running) = seasons.iter().find(|season| ctx.open_quietly(season.raw()).len() > 0) {
                return Err(Error::TournamentHasMembers(running.bytes().to_vec()));
            }
        }
        // Member data kept beside a populated board ends with the tournament too.
        let data_to_end = match policy.expire_at {
            Some(_) if populated => Some(ctx.string(companions.name(DATA_SUFFIX)))
                .filter(|name| ctx.open_quietly(name.raw()).kind() == KeyKind::Hash),
            _ => None,
        };
        if let Some(name) = &data_to_end {
            ctx.check_permissions(&[name.raw()], KeyAccess::UPDATE)?;
        }
        // Decided, permissions included, before the first write.
        let seasons_to_end = match policy.expire_at {
            Some(at) => seasons_outliving(ctx, key_bytes, now, at)?,
            None => SmallVec::new(),
        };
        let settings = ctx.open_key(settings_name.raw(), true);
        let value = ctx.string(policy.encode_with_created(now).as_bytes());
        settings.set_string(&value)?;
        if let Some(at) = policy.expire_at {
            settings.set_expire_at(at)?;
            if populated {
                zset.set_expire_at(at)?;
            }
        }
        drop((settings, zset));
        match policy.expire_at {
            Some(at) => ctx.replicate_set_pxat(settings_name.raw(), value.bytes(), at),
            None => ctx.replicate_set(settings_name.raw(), value.bytes()),
        }
        ctx.wrote(settings_name.raw(), Notify::String, c"set");
        if let (Some(at), true) = (policy.expire_at, populated) {
            ctx.replicate_pexpireat(key, at);
            ctx.signal_modified(key);
            ctx.notify_expire(key);
            if let Some(name) = &data_to_end {
                expire_key(ctx, name.raw(), at)?;
            }
        }
        if let Some(at) = policy.expire_at {
            for name in &seasons_to_end {
                expire_key(ctx, name.raw(), at)?;
            }
        }
        ctx.reply_ok();
        Ok(())
    }
}

/// The boards of the current and previous seasons of `key`, and their member data, that would
/// outlive a tournament created with EXPIREAT `at`, after checking that the caller may change
/// them: CREATE ends them at `at`, as later season writes do.
fn seasons_outliving<'c>(
    ctx: &'c Ctx,
    key: &[u8],
    now: i64,
    at: i64,
) -> Result<SmallVec<[OwnedString<'c>; 12]>, Error> {
    let mut names: SmallVec<[OwnedString; 12]> = SmallVec::new();
    for period in [Period::Daily, Period::Weekly, Period::Monthly] {
        for previous in [false, true] {
            let season = SeasonChoice { period, previous }.season(now);
            let name = ctx.string(&season_key(key, &season)?);
            // The season's member data, a hash beside its board, ends with it too.
            let data = ctx.string(&companion_key(name.bytes(), DATA_SUFFIX, WITH_DATA)?);
            for (name, hash_only) in [(name, false), (data, true)] {
                let found = ctx.open_quietly(name.raw());
                let kind = found.kind();
                let ours = if hash_only { kind == KeyKind::Hash } else { kind != KeyKind::Empty };
                if ours && found.expire_at().is_none_or(|expiry| expiry > at) {
                    names.push(name);
                }
            }
        }
    }
    let raw: SmallVec<[RawString; 12]> = names.iter().map(OwnedString::raw).collect();
    ctx.check_permissions(&raw, KeyAccess::UPDATE)?;
    Ok(names)
}

/// Gives the existing key `name` the expiry `at`, replicated and notified as PEXPIREAT.
fn expire_key(ctx: &Ctx, name: RawString, at: i64) -> Result<(), Error> {
    ctx.open_key(name, true).set_expire_at(at)?;
    ctx.replicate_pexpireat(name, at);
    ctx.signal_modified(name);
    ctx.notify_expire(name);
    Ok(())
}

pub struct Info;

impl Command for Info {
    const NAME: &'static CStr = c"tourney.info";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"readonly fast";
    const ARITY: i32 = -2;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::READ };
    const SUMMARY: &'static CStr =
        c"Returns a leaderboard's tournament settings, its number of members and its best (top) and worst (bottom) scores";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] = &[Arg::new(c"key", ArgKind::Key), READ_SEASON_ARG];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, season) = split_season(args, 2, false)?;
        core::parse_info(&words)?;
        let board = Board::open(ctx, args, KeyAccess::READ, season, false)?;
        let zset = ctx.open_zset(board.key, false)?;
        let (members, highest, lowest) = (zset.len(), zset.highest_score(), zset.nth_lowest_score(0));
        drop(zset);
        let policy = board.policy;
        // `top` is rank 1's score.
        let (top, bottom) = match policy.order {
            core::Order::Desc => (highest, lowest),
            core::Order::Asc => (lowest, highest),
        };
        ctx.reply_map(8);
        ctx.reply_bulk(b"created");
        ctx.reply_integer(u64::from(board.created));
        ctx.reply_bulk(b"tiebreak");
        ctx.reply_bulk(policy.tiebreak_word().as_bytes());
        ctx.reply_bulk(b"ties");
        ctx.reply_bulk(policy.ties_word().as_bytes());
        ctx.reply_bulk(b"expireat");
        match policy.expire_at {
            Some(at) => ctx.reply_integer(at),
            None => ctx.reply_null(),
        }
        ctx.reply_bulk(b"members");
        ctx.reply_integer(members);
        for (name, score) in [(&b"top"[..], top), (b"bottom", bottom)] {
            ctx.reply_bulk(name);
            match score {
                Some(score) => ctx.reply_double(score),
                None => ctx.reply_null(),
            }
        }
        // Last, so that clients reading the fields by position before ORDER existed still work.
        ctx.reply_bulk(b"order");
        ctx.reply_bulk(policy.order_word().as_bytes());
        Ok(())
    }
}
