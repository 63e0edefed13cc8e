//! AUDIT.*: append-only audit logs over native streams, with a cap the server always
//! enforces, retention, idempotent producers and consumer-group helpers; a stream's own
//! settings (AUDIT.CREATE) add ONFULL REFUSE and a hash chain AUDIT.VERIFY checks.

mod append;
mod create;
mod group;
mod info;
mod verify;

use crate::server::{register_command, Arg, ArgFlags, ArgKind, Ctx, Key, KeyAccess, LoadCtx, OwnedString, RawString};
use tally_core::audit::chain::{self, Hash};
use tally_core::audit::settings::{self, Settings};
use tally_core::audit::{StreamId, ANCHOR_SUFFIX, SETTINGS_SUFFIX};
use tally_core::slot::Companions;
use tally_core::Error;

pub fn register(ctx: &LoadCtx) -> Result<(), String> {
    register_command::<append::Append>(ctx)?;
    register_command::<create::Create>(ctx)?;
    register_command::<group::Group>(ctx)?;
    register_command::<info::Info>(ctx)?;
    register_command::<verify::Verify>(ctx)?;
    register_command::<verify::Digest>(ctx)
}

/// `MAXLEN [=|~] threshold`, of AUDIT.APPEND and AUDIT.CREATE, for COMMAND DOCS.
const MAXLEN_ARG: Arg = Arg {
    token: Some(c"MAXLEN"),
    flags: ArgFlags::OPTIONAL,
    subargs: &[
        Arg {
            flags: ArgFlags::OPTIONAL,
            subargs: &[
                Arg { token: Some(c"="), ..Arg::new(c"equal", ArgKind::Token) },
                Arg { token: Some(c"~"), ..Arg::new(c"approximately", ArgKind::Token) },
            ],
            ..Arg::new(c"operator", ArgKind::OneOf)
        },
        Arg::new(c"threshold", ArgKind::Integer),
    ],
    ..Arg::new(c"maxlen", ArgKind::Block)
};

/// An audit stream's settings and the names of the keys kept beside it. Only a key with a
/// hash tag can have been created (AUDIT.CREATE), so an untagged key follows the configs
/// without a lookup.
struct AuditLog<'c> {
    settings: Settings,
    /// Whether AUDIT.CREATE wrote settings for the stream.
    created: bool,
    settings_key: Option<OwnedString<'c>>,
    anchor_key: Option<OwnedString<'c>>,
}

impl<'c> AuditLog<'c> {
    /// Reads the settings of the stream `key`. A stream that has settings needs read access
    /// to them (argv does not name that key), and a chained one `anchor` access to its
    /// anchor when given: both checked with one lookup of the user.
    fn open(ctx: &'c Ctx, key: &[u8], anchor: Option<KeyAccess>) -> Result<AuditLog<'c>, Error> {
        let Some(mut names) = Companions::of(key) else {
            return Ok(AuditLog {
                settings: Settings::default(),
                created: false,
                settings_key: None,
                anchor_key: None,
            });
        };
        let settings_key = ctx.string(names.name(SETTINGS_SUFFIX));
        let stored = read_settings(ctx, settings_key.raw(), key)?;
        let settings = stored.unwrap_or_default();
        // Only a chained stream uses its anchor.
        let anchor_key = settings.chain.then(|| ctx.string(names.name(ANCHOR_SUFFIX)));
        if stored.is_some() {
            let anchor_check = anchor_key.as_ref().zip(anchor).map(|(name, access)| (name.raw(), access));
            ctx.check_each([(settings_key.raw(), KeyAccess::READ)].into_iter().chain(anchor_check))?;
        }
        Ok(AuditLog { settings, created: stored.is_some(), settings_key: Some(settings_key), anchor_key })
    }

    /// The newest trimmed entry of a chained stream and its link (`None`: nothing trimmed).
    fn anchor(&self, ctx: &Ctx, key: &[u8]) -> Result<Option<(StreamId, Hash)>, Error> {
        let Some(name) = &self.anchor_key else { return Ok(None) };
        let bad = || Error::BadAuditSettings(key.to_vec());
        match ctx.read_companion(name.raw()).map_err(|()| bad())? {
            None => Ok(None),
            Some(value) => settings::decode_anchor(&value).map(Some).ok_or_else(bad),
        }
    }

    fn anchor_raw(&self) -> Option<RawString> {
        self.anchor_key.as_ref().map(OwnedString::raw)
    }
}

/// The settings AUDIT.CREATE stored for a stream, `None` when it never ran.
fn read_settings(ctx: &Ctx, name: RawString, key: &[u8]) -> Result<Option<Settings>, Error> {
    let bad = || Error::BadAuditSettings(key.to_vec());
    // Most streams have no settings: read_companion looks without a keyspace miss.
    match ctx.read_companion(name).map_err(|()| bad())? {
        None => Ok(None),
        Some(value) => Settings::decode(&value).map(Some).ok_or_else(bad),
    }
}

/// The newest entry of a stream: its ID and, when its last field is a valid `chain`, its link.
fn newest_entry(stream: &Key) -> Option<(StreamId, Option<Hash>)> {
    let mut newest = None;
    stream.stream_walk_last(None, true, |id, last| {
        newest = Some((id, chain_of(last)));
        false
    });
    newest
}

/// The oldest entry's ID.
fn oldest_id(stream: &Key) -> Option<StreamId> {
    let mut oldest = None;
    stream.stream_walk(None, false, false, |id, _| {
        oldest = Some(id);
        false
    });
    oldest
}

/// The link an entry stores in its last field/value pair, when that field is a valid `chain`.
fn chain_of(last: Option<(&[u8], &[u8])>) -> Option<Hash> {
    last.filter(|(field, _)| *field == chain::FIELD).and_then(|(_, value)| chain::from_hex(value))
}

/// How far every consumer group has acknowledged the stream (see
/// `settings::acknowledged_through`), with the group that has acknowledged least.
struct Acknowledged {
    /// Entries at or below this ID may be trimmed under ONFULL REFUSE.
    through: Option<StreamId>,
    /// The group holding the stream back (`None` when it has no group).
    least: Option<Vec<u8>>,
}

fn acknowledged(ctx: &Ctx, name: RawString) -> Result<Acknowledged, Error> {
    let groups = ctx.xinfo(c"GROUPS", name)?;
    let mut least: Option<(Option<StreamId>, Vec<u8>)> = None;
    for index in 0..groups.len() {
        let Some(group) = groups.at(index) else { continue };
        let field = |name: &[u8]| group.map_get(name).and_then(crate::server::ReplyRef::as_bytes);
        let group_name = field(b"name").unwrap_or_default();
        let delivered = field(b"last-delivered-id").and_then(StreamId::parse).unwrap_or_default();
        // XPENDING (a call per group) only for a group that has entries pending.
        let nothing_pending = group.map_get(b"pending").and_then(crate::server::ReplyRef::as_integer) == Some(0);
        let oldest_pending = if nothing_pending { None } else { ctx.oldest_pending(name, group_name)? };
        let acked = settings::acknowledged_through(delivered, oldest_pending);
        if least.as_ref().is_none_or(|(least_acked, _)| acked < *least_acked) {
            least = Some((acked, group_name.to_vec()));
        }
    }
    Ok(match least {
        None => Acknowledged { through: None, least: None },
        Some((through, name)) => Acknowledged { through, least: Some(name) },
    })
}

/// The ID just after `id`: what `XTRIM MINID` keeps when everything up to `id` goes.
fn successor(id: StreamId) -> StreamId {
    match id.seq.checked_add(1) {
        Some(seq) => StreamId { ms: id.ms, seq },
        None => StreamId { ms: id.ms.saturating_add(1), seq: 0 },
    }
}

/// Replies a map of `name value` pairs the way INFO-like replies are built: a bulk name,
/// then an integer or nil.
fn reply_field_integer(ctx: &Ctx, name: &[u8], value: Option<i64>) {
    ctx.reply_bulk(name);
    match value {
        Some(value) => ctx.reply_integer(value),
        None => ctx.reply_null(),
    }
}

fn reply_field_bytes(ctx: &Ctx, name: &[u8], value: Option<&[u8]>) {
    ctx.reply_bulk(name);
    reply_optional_bytes(ctx, value);
}

fn reply_optional_bytes(ctx: &Ctx, value: Option<&[u8]>) {
    match value {
        Some(bytes) => ctx.reply_bulk(bytes),
        None => ctx.reply_null(),
    }
}
