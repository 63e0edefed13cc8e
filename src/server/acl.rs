//! Key access: what a command does with its keys, declared in its key spec (which ACL
//! key patterns and cluster routing read) and checked for the keys it derives itself.

use super::{ok, Ctx, RawString, ERR};
use redis_module::raw;
use std::ffi::c_int;
use std::ptr;
use tally_core::Error;

/// What a command does with a key, as the server's key-spec flags say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAccess(u32);

impl KeyAccess {
    /// Reads the value (ZSCORE).
    pub const READ: KeyAccess = KeyAccess(raw::REDISMODULE_CMD_KEY_RO | raw::REDISMODULE_CMD_KEY_ACCESS);
    /// Reads the value and changes or adds to it (ZINCRBY, HSET).
    pub const UPSERT: KeyAccess =
        KeyAccess(raw::REDISMODULE_CMD_KEY_RW | raw::REDISMODULE_CMD_KEY_ACCESS | raw::REDISMODULE_CMD_KEY_UPDATE);
    /// Changes the value without handing its data back (XADD; TOURNEY.CREATE reads only
    /// the size and may set the expiry).
    pub const UPDATE: KeyAccess = KeyAccess(raw::REDISMODULE_CMD_KEY_RW | raw::REDISMODULE_CMD_KEY_UPDATE);
    /// Adds to the value, never changing what is there (XGROUP CREATE).
    pub const INSERT: KeyAccess = KeyAccess(raw::REDISMODULE_CMD_KEY_RW | raw::REDISMODULE_CMD_KEY_INSERT);
    /// Removes part of the value (ZREM).
    pub const REMOVE_MEMBERS: KeyAccess = KeyAccess(raw::REDISMODULE_CMD_KEY_RW | raw::REDISMODULE_CMD_KEY_DELETE);
    /// Deletes the whole key (DEL).
    pub const DELETE_KEY: KeyAccess = KeyAccess(raw::REDISMODULE_CMD_KEY_RM | raw::REDISMODULE_CMD_KEY_DELETE);

    /// The key-spec flags.
    pub(super) fn flags(self) -> u32 {
        self.0
    }

    /// The flags RM_ACLCheckKeyPermissions takes: the kinds of access only (it refuses
    /// RO/RW/RM with EINVAL).
    fn acl_flags(self) -> c_int {
        let kinds = raw::REDISMODULE_CMD_KEY_ACCESS
            | raw::REDISMODULE_CMD_KEY_INSERT
            | raw::REDISMODULE_CMD_KEY_DELETE
            | raw::REDISMODULE_CMD_KEY_UPDATE;
        (self.0 & kinds) as c_int
    }
}

impl Ctx {
    /// Checks `keys` the command derives itself against the calling user, for `access`
    /// (the server checks only the keys declared in argv). A refusal is recorded in ACL
    /// LOG like the server's own key refusals.
    pub fn check_permissions(&self, keys: &[RawString], access: KeyAccess) -> Result<(), Error> {
        self.check_each(keys.iter().map(|&key| (key, access)))
    }

    /// As `check_permissions`, each key for its own access, the user looked up once.
    pub fn check_each(&self, keys: impl IntoIterator<Item = (RawString, KeyAccess)>) -> Result<(), Error> {
        let name = api!(RedisModule_GetCurrentUserName(self.raw), ptr::null_mut());
        if name.is_null() {
            // No calling client (the server itself): nothing to check.
            return Ok(());
        }
        let user = api!(RedisModule_GetModuleUserFromUserName(name), ptr::null_mut());
        self.free_string(name);
        if user.is_null() {
            return Err(Error::NoPermission);
        }
        let refused = keys.into_iter().find_map(|(key, access)| {
            let allowed = ok(api!(RedisModule_ACLCheckKeyPermissions(user, key, access.acl_flags()), ERR));
            (!allowed).then_some(key)
        });
        if let Some(key) = refused {
            let reason = raw::RedisModuleACLLogEntryReason_REDISMODULE_ACL_LOG_KEY;
            api!(RedisModule_ACLAddLogEntry(self.raw, user, key, reason), ());
        }
        api!(RedisModule_FreeModuleUser(user), ());
        match refused {
            Some(_) => Err(Error::NoPermission),
            None => Ok(()),
        }
    }
}
