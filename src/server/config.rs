//! The `tally.*` configs, registered with the server (RM_RegisterNumericConfig,
//! RM_RegisterBoolConfig and RM_RegisterEnumConfig, 7.0 API) from `tally_core::config`, their values kept in
//! `crate::config`'s atomics. The server prefixes the names with `tally.`, serves
//! CONFIG GET/SET, range-checks and parses memory units.

use super::{ok, LoadCtx, RawString};
use crate::config::{LoadValues, FLAG_VALUES, NUMERIC_VALUES, REQUIRE_HASHTAG};
use redis_module::raw;
use std::ffi::{c_char, c_int, c_longlong, c_uint, c_void, CString};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering};
use tally_core::config::{HashtagMode, FLAGS, NUMERIC};

/// Registers every config with `values` as its default, then has the server apply the
/// config file's `tally.*` lines.
pub fn register_configs(ctx: &LoadCtx, values: &LoadValues) -> Result<(), String> {
    // SAFETY: API pointers are set by RedisModule_Init before registration runs.
    let (Some(register_numeric), Some(register_bool), Some(register_enum), Some(load_configs)) = (unsafe {
        (
            raw::RedisModule_RegisterNumericConfig,
            raw::RedisModule_RegisterBoolConfig,
            raw::RedisModule_RegisterEnumConfig,
            raw::RedisModule_LoadConfigs,
        )
    }) else {
        return Err("this server lacks the module config API of Redis 7.0".into());
    };
    for ((config, value), default) in NUMERIC.iter().zip(&NUMERIC_VALUES).zip(values.numeric) {
        let name = CString::new(config.name).map_err(|e| e.to_string())?;
        let flags = if config.memory { raw::REDISMODULE_CONFIG_MEMORY } else { raw::REDISMODULE_CONFIG_DEFAULT };
        let value = ptr::from_ref(value).cast_mut().cast::<c_void>();
        // SAFETY: the load context and C strings live through the call (the server copies
        // the name); `value` is a static that get_numeric and set_numeric read it as.
        let status = unsafe {
            register_numeric(
                ctx.raw,
                name.as_ptr(),
                default,
                flags as c_uint,
                config.min,
                config.max,
                Some(get_numeric),
                Some(set_numeric),
                None,
                value,
            )
        };
        if !ok(status) {
            return Err(format!("could not register config {}", config.name));
        }
    }

    for ((flag, value), default) in FLAGS.iter().zip(&FLAG_VALUES).zip(values.flags) {
        let name = CString::new(flag.name).map_err(|e| e.to_string())?;
        let value = ptr::from_ref(value).cast_mut().cast::<c_void>();
        // SAFETY: as above; `value` is a static that get_bool and set_bool read it as.
        let status = unsafe {
            register_bool(
                ctx.raw,
                name.as_ptr(),
                c_int::from(default),
                raw::REDISMODULE_CONFIG_DEFAULT as c_uint,
                Some(get_bool),
                Some(set_bool),
                None,
                value,
            )
        };
        if !ok(status) {
            return Err(format!("could not register config {}", flag.name));
        }
    }

    let name = CString::new(HashtagMode::NAME).map_err(|e| e.to_string())?;
    let words = HashtagMode::ALL.map(|mode| CString::new(mode.word()));
    let words = words.into_iter().collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    let mut word_pointers: Vec<*const c_char> = words.iter().map(|word| word.as_ptr()).collect();
    let numbers = HashtagMode::ALL.map(|mode| mode as c_int);
    let value = ptr::from_ref(&REQUIRE_HASHTAG).cast_mut().cast::<c_void>();
    // SAFETY: as above; the server copies the value names.
    let status = unsafe {
        register_enum(
            ctx.raw,
            name.as_ptr(),
            values.hashtag as c_int,
            raw::REDISMODULE_CONFIG_DEFAULT as c_uint,
            word_pointers.as_mut_ptr(),
            numbers.as_ptr(),
            numbers.len() as c_int,
            Some(get_enum),
            Some(set_enum),
            None,
            value,
        )
    };
    if !ok(status) {
        return Err(format!("could not register config {}", HashtagMode::NAME));
    }

    // SAFETY: as above.
    if !ok(unsafe { load_configs(ctx.raw) }) {
        return Err("could not load the configs".into());
    }
    Ok(())
}

// The callbacks get back the pointer each config was registered with: one of
// `crate::config`'s static atomics, of the type each callback reads.

extern "C" fn get_numeric(_name: *const c_char, value: *mut c_void) -> c_longlong {
    // SAFETY: see above.
    unsafe { &*value.cast::<AtomicI64>() }.load(Ordering::Relaxed)
}

extern "C" fn set_numeric(_name: *const c_char, new: c_longlong, value: *mut c_void, _err: *mut RawString) -> c_int {
    // SAFETY: see above.
    unsafe { &*value.cast::<AtomicI64>() }.store(new, Ordering::Relaxed);
    raw::REDISMODULE_OK as c_int
}

extern "C" fn get_bool(_name: *const c_char, value: *mut c_void) -> c_int {
    // SAFETY: see above.
    c_int::from(unsafe { &*value.cast::<AtomicBool>() }.load(Ordering::Relaxed))
}

extern "C" fn set_bool(_name: *const c_char, new: c_int, value: *mut c_void, _err: *mut RawString) -> c_int {
    // SAFETY: see above.
    unsafe { &*value.cast::<AtomicBool>() }.store(new != 0, Ordering::Relaxed);
    raw::REDISMODULE_OK as c_int
}

extern "C" fn get_enum(_name: *const c_char, value: *mut c_void) -> c_int {
    // SAFETY: see above.
    unsafe { &*value.cast::<AtomicI32>() }.load(Ordering::Relaxed)
}

extern "C" fn set_enum(_name: *const c_char, new: c_int, value: *mut c_void, _err: *mut RawString) -> c_int {
    // SAFETY: see above.
    unsafe { &*value.cast::<AtomicI32>() }.store(new, Ordering::Relaxed);
    raw::REDISMODULE_OK as c_int
}
