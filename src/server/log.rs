//! The server log.

use redis_module::raw;
use std::ffi::CString;
use std::ptr;

/// Writes a line to the server log at warning level. Usable without a context (from the
/// panic hook); NUL bytes are dropped so the text always reaches the log.
pub fn log_warning(message: &str) {
    let text = CString::new(message.replace('\0', "")).unwrap_or_default();
    api!(RedisModule_Log(ptr::null_mut(), c"warning".as_ptr(), c"%s".as_ptr(), text.as_ptr()), ());
}
