//! The `tally` section of INFO.

use super::{ok, LoadCtx, ERR};
use crate::stats;
use redis_module::raw;
use std::ffi::{c_int, CStr, CString};
use std::ptr;

/// The sink of an INFO callback: the module's section and its fields (the server
/// prefixes each with `tally_`).
pub struct InfoSink {
    raw: *mut raw::RedisModuleInfoCtx,
}

impl InfoSink {
    /// Starts the module's default section (`# tally`).
    pub fn section(&self) {
        api!(RedisModule_InfoAddSection(self.raw, ptr::null_mut()), 0);
    }

    pub fn field_u64(&self, name: &CStr, value: u64) {
        api!(RedisModule_InfoAddFieldULongLong(self.raw, name.as_ptr(), value), 0);
    }

    pub fn field_i64(&self, name: &CStr, value: i64) {
        api!(RedisModule_InfoAddFieldLongLong(self.raw, name.as_ptr(), value), 0);
    }

    pub fn field_str(&self, name: &CStr, value: &str) {
        let value = CString::new(value).unwrap_or_default();
        api!(RedisModule_InfoAddFieldCString(self.raw, name.as_ptr(), value.as_ptr()), 0);
    }
}

/// The INFO callback: the framework's crash-report trace, then the `tally` section.
extern "C" fn info(ctx: *mut raw::RedisModuleInfoCtx, for_crash_report: c_int) {
    let _ = std::panic::catch_unwind(|| {
        redis_module::basic_info_command_handler(&redis_module::InfoContext::new(ctx), for_crash_report != 0);
        stats::report(&InfoSink { raw: ctx });
    });
}

/// Replaces the INFO callback the module framework registered with the module's own.
pub fn register_info(ctx: &LoadCtx) -> Result<(), String> {
    if ok(api!(RedisModule_RegisterInfoFunc(ctx.raw, Some(info)), ERR)) {
        Ok(())
    } else {
        Err("could not register the INFO section".into())
    }
}
