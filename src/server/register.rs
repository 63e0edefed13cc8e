//! Command registration: the entry point the server calls (a panic barrier around the
//! handler), and the key spec and COMMAND DOCS each command is described with.

use super::{log_warning, ok, Ctx, KeyAccess, LoadCtx, RawString};
use crate::command::{Args, Command};
use crate::stats;
use redis_module::raw;
use std::ffi::{c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use tally_core::Error;

/// Where a command's keys are in argv.
pub enum Keys {
    /// One key, at this position.
    At(i32),
    /// Every argument from this position on.
    From(i32),
    /// A count at this position, then that many keys.
    Counted(i32),
}

/// Which arguments are keys, and what the command does with them.
pub struct KeySpec {
    pub keys: Keys,
    pub access: KeyAccess,
}

impl KeySpec {
    /// The argv positions of the keys of one call (for the getkeys API).
    fn positions(&self, args: &Args) -> std::ops::Range<usize> {
        let argc = args.bytes().len();
        let clamp = |start: usize, end: usize| start.min(argc)..end.min(argc);
        match self.keys {
            Keys::At(position) => {
                let position = usize::try_from(position).unwrap_or(0);
                clamp(position, position + 1)
            }
            Keys::From(position) => clamp(usize::try_from(position).unwrap_or(0), argc),
            Keys::Counted(position) => {
                let position = usize::try_from(position).unwrap_or(0);
                let count = args.bytes().get(position).and_then(|n| tally_core::number::parse_i64(n).ok());
                let count = count.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
                clamp(position + 1, (position + 1).saturating_add(count))
            }
        }
    }

    /// The legacy (first, last, step) triple, for servers and tools that read only it.
    fn triple(&self) -> (c_int, c_int, c_int) {
        match self.keys {
            Keys::At(position) => (position, position, 1),
            Keys::From(position) => (position, -1, 1),
            // Not expressible as a triple: the key spec alone describes it.
            Keys::Counted(_) => (0, 0, 0),
        }
    }

    fn to_raw(&self) -> raw::RedisModuleCommandKeySpec {
        let mut out = zeroed_key_spec();
        out.flags = u64::from(self.access.flags());
        out.begin_search_type = raw::RedisModuleKeySpecBeginSearchType_REDISMODULE_KSPEC_BS_INDEX;
        match self.keys {
            Keys::At(position) | Keys::From(position) => {
                out.bs.index.pos = position;
                out.find_keys_type = raw::RedisModuleKeySpecFindKeysType_REDISMODULE_KSPEC_FK_RANGE;
                out.fk.range.lastkey = if matches!(self.keys, Keys::From(_)) { -1 } else { 0 };
                out.fk.range.keystep = 1;
                out.fk.range.limit = 0;
            }
            Keys::Counted(position) => {
                out.bs.index.pos = position;
                out.find_keys_type = raw::RedisModuleKeySpecFindKeysType_REDISMODULE_KSPEC_FK_KEYNUM;
                out.fk.keynum.keynumidx = 0;
                out.fk.keynum.firstkey = 1;
                out.fk.keynum.keystep = 1;
            }
        }
        out
    }
}

/// The type of an argument in COMMAND DOCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// A key name (described by the command's key spec).
    Key,
    String,
    Integer,
    Double,
    /// A word alone (its token), such as `WITHSCORE`.
    Token,
    /// Sub-arguments that go together.
    Block,
    /// One of the sub-arguments.
    OneOf,
}

impl ArgKind {
    fn to_raw(self) -> raw::RedisModuleCommandArgType {
        match self {
            ArgKind::Key => raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_KEY,
            ArgKind::String => raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_STRING,
            ArgKind::Integer => raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_INTEGER,
            ArgKind::Double => raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_DOUBLE,
            ArgKind::Token => raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_PURE_TOKEN,
            ArgKind::Block => raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_BLOCK,
            ArgKind::OneOf => raw::RedisModuleCommandArgType_REDISMODULE_ARG_TYPE_ONEOF,
        }
    }
}

/// How often an argument in COMMAND DOCS may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgFlags(u32);

impl ArgFlags {
    /// Exactly once.
    pub const NONE: ArgFlags = ArgFlags(0);
    pub const OPTIONAL: ArgFlags = ArgFlags(raw::REDISMODULE_CMD_ARG_OPTIONAL);
    /// Once or more.
    pub const MULTIPLE: ArgFlags = ArgFlags(raw::REDISMODULE_CMD_ARG_MULTIPLE);
}

/// One argument in COMMAND DOCS.
pub struct Arg {
    pub name: &'static CStr,
    pub kind: ArgKind,
    pub token: Option<&'static CStr>,
    pub flags: ArgFlags,
    pub subargs: &'static [Arg],
}

impl Arg {
    pub const fn new(name: &'static CStr, kind: ArgKind) -> Arg {
        Arg { name, kind, token: None, flags: ArgFlags::NONE, subargs: &[] }
    }
}

impl Ctx {
    /// True when the server only asks where the keys of the call are (getkeys API).
    fn is_keys_position_request(&self) -> bool {
        api!(RedisModule_IsKeysPositionRequest(self.raw), 0) != 0
    }

    /// Reports argv position `position` as a key the command accesses as `access` says.
    fn key_at(&self, position: usize, access: KeyAccess) {
        let Ok(position) = c_int::try_from(position) else { return };
        // SAFETY: see api!; KeyAtPosWithFlags is 7.0+, KeyAtPos the fallback.
        match unsafe { raw::RedisModule_KeyAtPosWithFlags } {
            Some(key_at) => unsafe { key_at(self.raw, position, access.flags() as c_int) },
            None => api!(RedisModule_KeyAtPos(self.raw, position), ()),
        }
    }
}

/// The function the server calls: a panic barrier around the handler, so a bug in tally
/// becomes an error reply and a log line instead of a crashed server.
extern "C" fn entry<C: Command>(ctx: *mut raw::RedisModuleCtx, argv: *mut RawString, argc: c_int) -> c_int {
    let ctx = Ctx::new(ctx);
    if ctx.is_keys_position_request() {
        // A variable key count is not a (first, last, step) triple: cluster routing asks
        // the command itself where its keys are.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the server passes argc valid strings that live through this call.
            let args = unsafe { Args::new(argv, argc) };
            C::KEYS.positions(&args).for_each(|position| ctx.key_at(position, C::KEYS.access));
        }));
        return raw::REDISMODULE_OK as c_int;
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the server passes argc valid strings that live through this call.
        let args = unsafe { Args::new(argv, argc) };
        C::run(&ctx, &args)
    }));
    stats::count_call(C::FAMILY, !matches!(outcome, Ok(Ok(()))));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            if error == Error::Internal {
                // Not a panic (the hook logs those): the server refused a module API call.
                log_warning(&format!(
                    "tally: {} failed: the server refused a module API call",
                    C::NAME.to_string_lossy()
                ));
            }
            ctx.reply_error(&error);
        }
        Err(_) => ctx.reply_error(&Error::Internal),
    }
    raw::REDISMODULE_OK as c_int
}

/// Registers `C`, then describes it with RM_SetCommandInfo: arity, a key spec with
/// precise access flags (so read-only ACL users can run reads), and the docs shown by
/// COMMAND DOCS and redis-cli hints.
pub fn register_command<C: Command>(ctx: &LoadCtx) -> Result<(), String> {
    let name = C::NAME.to_string_lossy();
    // SAFETY: API pointers are set by RedisModule_Init before registration runs.
    let (Some(create), Some(get), Some(set_info)) =
        (unsafe { (raw::RedisModule_CreateCommand, raw::RedisModule_GetCommand, raw::RedisModule_SetCommandInfo) })
    else {
        return Err("this server lacks the command registration API of Redis 7.0".into());
    };
    let (first, last, step) = C::KEYS.triple();
    // Keys a triple cannot describe are reported through the getkeys API.
    let flags = match C::KEYS.keys {
        Keys::Counted(_) => {
            CString::new(format!("{} getkeys-api", C::FLAGS.to_string_lossy())).map_err(|e| e.to_string())?
        }
        _ => C::FLAGS.to_owned(),
    };
    // SAFETY: called from OnLoad with the load context; names are C strings.
    let created = unsafe { create(ctx.raw, C::NAME.as_ptr(), Some(entry::<C>), flags.as_ptr(), first, last, step) };
    if !ok(created) {
        return Err(format!("could not create command {name}"));
    }
    // SAFETY: as above.
    let command = unsafe { get(ctx.raw, C::NAME.as_ptr()) };
    if command.is_null() {
        return Err(format!("could not look up command {name}"));
    }

    let version = raw::RedisModuleCommandInfoVersion {
        version: 1,
        sizeof_historyentry: std::mem::size_of::<raw::RedisModuleCommandHistoryEntry>(),
        sizeof_keyspec: std::mem::size_of::<raw::RedisModuleCommandKeySpec>(),
        sizeof_arg: std::mem::size_of::<raw::RedisModuleCommandArg>(),
    };
    // A key spec array ends with a zeroed entry.
    let mut key_specs = [C::KEYS.to_raw(), zeroed_key_spec()];
    let mut arg_storage = Vec::new();
    let args = docs_args(C::ARGS, &mut arg_storage);
    let info = raw::RedisModuleCommandInfo {
        version: &raw const version,
        summary: C::SUMMARY.as_ptr(),
        complexity: C::COMPLEXITY.as_ptr(),
        since: C::SINCE.as_ptr(),
        history: ptr::null_mut(),
        tips: ptr::null(),
        arity: C::ARITY,
        key_specs: key_specs.as_mut_ptr(),
        args,
    };
    // SAFETY: every pointer in `info` stays valid through the call; the server copies
    // what it keeps.
    if !ok(unsafe { set_info(command, &raw const info) }) {
        return Err(format!("could not set the command info of {name}"));
    }
    Ok(())
}

fn zeroed_key_spec() -> raw::RedisModuleCommandKeySpec {
    // SAFETY: the C struct is plain data for which all-zero is the documented terminator.
    unsafe { std::mem::zeroed() }
}

fn zeroed_arg() -> raw::RedisModuleCommandArg {
    // SAFETY: as above; a zeroed argument (NULL name) ends an argument array.
    unsafe { std::mem::zeroed() }
}

/// Builds the zero-terminated C argument arrays for `args` (and their sub-arguments),
/// keeping every array alive in `storage` until registration is done.
fn docs_args(args: &[Arg], storage: &mut Vec<Vec<raw::RedisModuleCommandArg>>) -> *mut raw::RedisModuleCommandArg {
    if args.is_empty() {
        return ptr::null_mut();
    }
    let mut array = Vec::with_capacity(args.len() + 1);
    for arg in args {
        let mut out = zeroed_arg();
        out.name = arg.name.as_ptr();
        out.type_ = arg.kind.to_raw();
        // Every command has one key spec; key arguments refer to it.
        out.key_spec_index = if arg.kind == ArgKind::Key { 0 } else { -1 };
        out.token = arg.token.map_or(ptr::null(), CStr::as_ptr);
        out.flags = arg.flags.0 as c_int;
        out.subargs = docs_args(arg.subargs, storage);
        array.push(out);
    }
    array.push(zeroed_arg());
    // Moving the Vec into storage keeps its heap buffer (and this pointer) in place.
    let pointer = array.as_mut_ptr();
    storage.push(array);
    pointer
}
