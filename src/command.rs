//! What every command is: the `Command` trait (registration data and handler) and the
//! arguments of a call. The server side (entry point, registration) is `server::register`.

use crate::server::{string_bytes, Arg, Ctx, KeySpec, RawString};
use crate::stats::Family;
use smallvec::SmallVec;
use std::ffi::{c_int, CStr};
use tally_core::Error;

/// The arguments of one call, as raw server strings and as byte slices. Most commands
/// take few arguments, so the slices live on the stack.
pub struct Args<'a> {
    raw: &'a [RawString],
    bytes: SmallVec<[&'a [u8]; INLINE_ARGS]>,
}

/// How many arguments live on the stack; longer calls spill to the heap.
const INLINE_ARGS: usize = 8;

impl<'a> Args<'a> {
    /// # Safety
    /// `argv` must point to `argc` valid strings that outlive `'a` (true for the
    /// duration of a command call).
    pub unsafe fn new(argv: *mut RawString, argc: c_int) -> Args<'a> {
        let raw: &[RawString] = match usize::try_from(argc) {
            Ok(len) if !argv.is_null() => std::slice::from_raw_parts(argv, len),
            _ => &[],
        };
        // Filled in place when the arguments fit inline: collecting checks the capacity at
        // every push.
        let bytes = if raw.len() <= INLINE_ARGS {
            let mut inline: [&[u8]; INLINE_ARGS] = [&[]; INLINE_ARGS];
            for (slot, &arg) in inline.iter_mut().zip(raw) {
                *slot = string_bytes(arg);
            }
            SmallVec::from_buf_and_len(inline, raw.len())
        } else {
            raw.iter().map(|&arg| string_bytes(arg)).collect()
        };
        Args { raw, bytes }
    }

    pub fn bytes(&self) -> &[&'a [u8]] {
        &self.bytes
    }

    /// The server string at `index`, for passing on to the server without a copy.
    pub fn raw(&self, index: usize) -> Result<RawString, Error> {
        // Matched, not `ok_or`: that builds the error, and drops it, on every call.
        match self.raw.get(index) {
            Some(&arg) => Ok(arg),
            None => Err(Error::Syntax),
        }
    }

    pub fn raw_from(&self, index: usize) -> &[RawString] {
        self.raw.get(index..).unwrap_or_default()
    }

    pub fn raw_range(&self, range: std::ops::Range<usize>) -> Result<&[RawString], Error> {
        match self.raw.get(range) {
            Some(args) => Ok(args),
            None => Err(Error::Syntax),
        }
    }
}

/// A module command: its registration data and its handler.
pub trait Command {
    const NAME: &'static CStr;
    const FAMILY: Family;
    /// Command flags as RM_CreateCommand takes them ("write deny-oom fast", ...).
    const FLAGS: &'static CStr;
    /// Exact argument count, or -N for at least N (the command name counts).
    const ARITY: i32;
    const KEYS: KeySpec;
    const SUMMARY: &'static CStr;
    const COMPLEXITY: &'static CStr;
    const SINCE: &'static CStr = c"0.1.0";
    const ARGS: &'static [Arg];

    /// Runs the command. On `Ok` the handler has sent its whole reply; on `Err` it has
    /// sent nothing and the error becomes the reply.
    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error>;
}
