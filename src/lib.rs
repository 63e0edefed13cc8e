//! tally: tournament leaderboards, audit logs and rate limiters as native Redis commands.
//!
//! This crate is the thin server-facing layer; the logic lives in `tally-core`, and every
//! call into the module API in `server/`.

mod audit;
mod command;
mod config;
mod keys;
mod limit;
mod server;
mod stats;
mod tourney;

use redis_module::{redis_module, Context, RedisString, Status};
use server::LoadCtx;

/// The crate's version (Cargo.toml, the one place it is written) as Redis modules encode
/// semver for MODULE LIST: major * 10000 + minor * 100 + patch.
const VERSION: i32 = decimal(env!("CARGO_PKG_VERSION_MAJOR")) * 10000
    + decimal(env!("CARGO_PKG_VERSION_MINOR")) * 100
    + decimal(env!("CARGO_PKG_VERSION_PATCH"));

/// A version component, at compile time (a non-digit fails the build).
const fn decimal(text: &str) -> i32 {
    let bytes = text.as_bytes();
    let mut value = 0;
    let mut at = 0;
    while at < bytes.len() {
        assert!(bytes[at].is_ascii_digit(), "a version component is decimal");
        value = value * 10 + (bytes[at] - b'0') as i32;
        at += 1;
    }
    value
}

fn init(ctx: &Context, args: &[RedisString]) -> Status {
    match load(&LoadCtx::new(ctx), args) {
        Ok(()) => Status::Ok,
        Err(message) => {
            server::log_warning(&format!("tally: {message}"));
            Status::Err
        }
    }
}

fn load(ctx: &LoadCtx, args: &[RedisString]) -> Result<(), String> {
    let args: Vec<&[u8]> = args.iter().map(RedisString::as_slice).collect();
    server::register_configs(ctx, &config::load_values(&args)?)?;
    std::panic::set_hook(Box::new(|info| {
        server::log_warning(&format!("tally: a command panicked (a bug in tally, the server is still up): {info}"));
    }));
    ctx.set_module_options();
    server::detect_double_formatting();
    server::register_info(ctx)?;
    config::CLUSTER_MODE.store(ctx.is_cluster(), std::sync::atomic::Ordering::Relaxed);
    tourney::register(ctx)?;
    limit::register(ctx)?;
    audit::register(ctx)
}

redis_module! {
    name: "tally",
    version: VERSION,
    allocator: (redis_module::alloc::RedisAlloc, redis_module::alloc::RedisAlloc),
    data_types: [],
    init: init,
}
