//! Member data (`DATA`, `WITHDATA`): a native hash member -> data beside the leaderboard,
//! written with the member's score, removed with the member, replicated as HSET/HDEL/DEL.

use super::board::EntryMember;
use super::ties::expired_at;
use crate::server::{Ctx, Key, KeyKind, Notify, OwnedString, RawString};
use smallvec::SmallVec;
use tally_core::Error;

/// A leaderboard's member-data hash, open for one call (`hash` is `None` for a board that
/// cannot have one).
pub(super) struct MemberData<'c> {
    ctx: &'c Ctx,
    name: Option<OwnedString<'c>>,
    hash: Option<Key<'c>>,
    /// When every key of the tournament expires: the data hash too, once created.
    expire_at: Option<i64>,
}

impl<'c> MemberData<'c> {
    /// Opens the hash `name`; WRONGTYPE when another type holds the name.
    pub(super) fn open(
        ctx: &'c Ctx,
        name: OwnedString<'c>,
        expire_at: Option<i64>,
        write: bool,
    ) -> Result<MemberData<'c>, Error> {
        let hash = ctx.open_kind(name.raw(), KeyKind::Hash, write)?;
        Ok(MemberData { ctx, name: Some(name), hash: Some(hash), expire_at })
    }

    /// The data of a board without a hash tag: none.
    pub(super) fn none(ctx: &'c Ctx) -> MemberData<'c> {
        MemberData { ctx, name: None, hash: None, expire_at: None }
    }

    /// Replies `member`'s data, nil where none.
    pub(super) fn reply(&self, member: EntryMember) {
        let ctx = self.ctx;
        let value = self.hash.as_ref().and_then(|hash| match member {
            EntryMember::Raw(member) => hash.hash_get(member),
            EntryMember::Bytes(member) => hash.hash_get(ctx.string(member).raw()),
        });
        match value {
            Some(value) => ctx.reply_string(value.raw()),
            None => ctx.reply_null(),
        }
    }

    /// Sets `member`'s data to `value`; a hash created now gets the tournament's expiry.
    /// Signals the change once the hash is closed, as the tie structures do.
    pub(super) fn set(self, member: RawString, value: &[u8]) -> Result<(), Error> {
        let (Some(name), Some(hash)) = (self.name, self.hash) else { return Err(Error::Internal) };
        let ctx = self.ctx;
        let fresh = hash.kind() == KeyKind::Empty;
        let value = ctx.string(value);
        hash.hash_set(member, value.raw())?;
        ctx.replicate_with_key(c"HSET", name.raw(), &[member, value.raw()]);
        let expire_at = self.expire_at.filter(|_| fresh);
        if let Some(at) = expire_at {
            hash.set_expire_at(at)?;
        }
        drop(hash);
        ctx.wrote(name.raw(), Notify::Hash, c"hset");
        if let Some(at) = expire_at {
            expired_at(ctx, name.raw(), at);
        }
        Ok(())
    }

    /// Removes the data of `members`, as HDEL of those that had some.
    pub(super) fn remove(self, members: &[RawString]) {
        let (Some(name), Some(hash)) = (self.name, self.hash) else { return };
        let removed: SmallVec<[RawString; 8]> =
            members.iter().copied().filter(|&member| hash.hash_delete(member)).collect();
        // The server deletes a hash its last field left: `del` follows, as HDEL fires it.
        let emptied = hash.kind() == KeyKind::Empty;
        drop(hash);
        if !removed.is_empty() {
            self.ctx.replicate_with_key(c"HDEL", name.raw(), &removed);
            self.ctx.wrote(name.raw(), Notify::Hash, c"hdel");
            if emptied {
                self.ctx.notify_deleted(name.raw());
            }
        }
    }

    /// Deletes the data left from a leaderboard that no longer exists.
    pub(super) fn clear(&self) {
        let (Some(name), Some(hash)) = (&self.name, &self.hash) else { return };
        if hash.delete() {
            self.ctx.replicate_del(&[name.raw()]);
            self.ctx.notify_deleted(name.raw());
        }
    }
}
