//! The only place that talks to the Redis module API. Every raw function pointer is
//! checked, never unwrapped: a missing API becomes an error reply (or a failed load).
//!
//! - `reply`: replies to the caller;
//! - `key`: open keys (strings, streams, hashes, sorted sets);
//! - `call`: commands run through RM_Call, and their replies;
//! - `replicate`: what reaches replicas and the AOF, keyspace events;
//! - `acl`: key access, declared and checked;
//! - `register`: commands (the entry point with its panic barrier, key specs, COMMAND DOCS);
//! - `config`: the `tally.*` configs; `info`: the INFO section; `log`: the server log.

use redis_module::raw;
use std::ffi::{c_char, c_int};
use std::ptr;
use std::sync::OnceLock;
use tally_core::number::IntText;

/// Calls an optional module API function, or evaluates `$missing` when the server lacks it.
macro_rules! api {
    ($name:ident($($arg:expr),* $(,)?), $missing:expr) => {
        // SAFETY: the server fills in these pointers once, at load time, before any
        // command runs; every caller passes pointers that live through the current call.
        match unsafe { raw::$name } {
            Some(function) => unsafe { function($($arg),*) },
            None => $missing,
        }
    };
}

mod acl;
mod call;
mod config;
mod info;
mod key;
mod log;
mod register;
mod replicate;
mod reply;

pub use acl::KeyAccess;
pub use call::ReplyRef;
pub use config::register_configs;
pub use info::{register_info, InfoSink};
pub use key::{Key, KeyKind, Order};
pub use log::log_warning;
pub use register::{register_command, Arg, ArgFlags, ArgKind, KeySpec, Keys};
pub use replicate::Notify;
pub use reply::detect_double_formatting;

pub type RawString = *mut raw::RedisModuleString;

/// The context of one command call.
pub struct Ctx {
    raw: *mut raw::RedisModuleCtx,
    /// Whether the caller speaks RESP3, asked of the server once per call.
    resp3: std::cell::Cell<Option<bool>>,
}

impl Ctx {
    fn new(raw: *mut raw::RedisModuleCtx) -> Ctx {
        Ctx { raw, resp3: std::cell::Cell::new(None) }
    }

    /// The server's clock in milliseconds (the primary's; replicas get concrete values).
    pub fn now_ms(&self) -> i64 {
        api!(RedisModule_Milliseconds(), 0)
    }

    /// A new server string holding the decimal form of `value`; freed on drop.
    pub fn integer_string(&self, value: i64) -> OwnedString<'_> {
        self.string(IntText::new(value).as_bytes())
    }

    /// A new server string holding `bytes`; freed on drop.
    pub fn string(&self, bytes: &[u8]) -> OwnedString<'_> {
        let raw =
            api!(RedisModule_CreateString(self.raw, bytes.as_ptr().cast::<c_char>(), bytes.len()), ptr::null_mut());
        OwnedString { ctx: self, raw }
    }

    /// `N` random hex digits from the server's own generator (seeded at startup).
    pub fn random_hex<const N: usize>(&self) -> [u8; N] {
        let mut digits = [b'0'; N];
        api!(RedisModule_GetRandomHexChars(digits.as_mut_ptr().cast::<c_char>(), N), ());
        digits
    }

    fn free_string(&self, value: RawString) {
        api!(RedisModule_FreeString(self.raw, value), ());
    }

    fn retain(&self, value: RawString) {
        api!(RedisModule_RetainString(self.raw, value), ());
    }
}

/// The context of the module's load (OnLoad): registration of commands, configs and INFO.
pub struct LoadCtx {
    raw: *mut raw::RedisModuleCtx,
}

impl LoadCtx {
    pub fn new(ctx: &redis_module::Context) -> LoadCtx {
        LoadCtx { raw: ctx.ctx }
    }

    /// Whether the server runs as a cluster node.
    pub fn is_cluster(&self) -> bool {
        api!(RedisModule_GetContextFlags(self.raw), 0) as u32 & raw::REDISMODULE_CTX_FLAGS_CLUSTER != 0
    }

    /// Module-wide options, set once at load: modified keys are signalled explicitly.
    pub fn set_module_options(&self) {
        api!(RedisModule_SetModuleOptions(self.raw, raw::REDISMODULE_OPTION_NO_IMPLICIT_SIGNAL_MODIFIED as c_int), ());
    }
}

/// The bytes of a server string, borrowed for as long as the string lives.
pub fn string_bytes<'a>(value: RawString) -> &'a [u8] {
    let mut len = 0;
    let data = api!(RedisModule_StringPtrLen(value, &raw mut len), ptr::null());
    if data.is_null() {
        return &[];
    }
    // SAFETY: the caller holds `value` alive for 'a; the server returned its length.
    unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }
}

/// A server string this module created, freed on drop.
pub struct OwnedString<'a> {
    ctx: &'a Ctx,
    raw: RawString,
}

impl OwnedString<'_> {
    pub fn raw(&self) -> RawString {
        self.raw
    }

    pub fn bytes(&self) -> &[u8] {
        string_bytes(self.raw)
    }
}

impl Drop for OwnedString<'_> {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            self.ctx.free_string(self.raw);
        }
    }
}

/// A server string that belongs to the module rather than to one call (no context), until
/// freed with `free_module_string`; null if the server could not make it.
fn module_string(bytes: &[u8]) -> RawString {
    api!(RedisModule_CreateString(ptr::null_mut(), bytes.as_ptr().cast::<c_char>(), bytes.len()), ptr::null_mut())
}

fn free_module_string(string: RawString) {
    api!(RedisModule_FreeString(ptr::null_mut(), string), ());
}

/// A word the module passes to the server on every call of some command, as a server
/// string made at its first use and kept for the module's life: the server then counts a
/// reference to it instead of allocating and freeing a copy per call.
pub struct KeptString {
    text: &'static [u8],
    raw: OnceLock<KeptRaw>,
}

struct KeptRaw(RawString);

// SAFETY: a kept string is never changed or freed; the server touches it (reference
// counts, reads) only under its global lock, from the thread running the command.
unsafe impl Send for KeptRaw {}
unsafe impl Sync for KeptRaw {}

impl KeptString {
    pub const fn new(text: &'static [u8]) -> KeptString {
        KeptString { text, raw: OnceLock::new() }
    }

    /// The string; `None` if the server could not make it.
    pub fn raw(&self) -> Option<RawString> {
        let raw = self.raw.get_or_init(|| KeptRaw(module_string(self.text))).0;
        (!raw.is_null()).then_some(raw)
    }
}

/// Whether a module API call reported success.
fn ok(status: c_int) -> bool {
    status == raw::REDISMODULE_OK as c_int
}

/// The status a module API function returns for a failure, for `api!`'s missing case.
const ERR: c_int = raw::REDISMODULE_ERR as c_int;
