//! tally: tournament leaderboards, audit logs and rate limiters as native Redis commands.
//!
//! This crate is the thin server-facing layer; the logic lives in `tally-core`.

mod command;
mod config;
mod keys;
mod server;
mod tourney;

use config::{HashtagMode, MAX_MEMBER_BYTES, MAX_RANGE, REQUIRE_HASHTAG};
use redis_module::configuration::ConfigurationFlags;
use redis_module::{redis_module, Context, RedisString, Status};

/// Module version as Redis modules encode semver: major * 10000 + minor * 100 + patch.
const VERSION: i32 = 100;

fn init(ctx: &Context, _args: &[RedisString]) -> Status {
    std::panic::set_hook(Box::new(|info| {
        server::log_warning(&format!("tally: a command panicked (a bug in tally, the server is still up): {info}"));
    }));
    match tourney::register(ctx.ctx) {
        Ok(()) => Status::Ok,
        Err(message) => {
            server::log_warning(&format!("tally: {message}"));
            Status::Err
        }
    }
}

redis_module! {
    name: "tally",
    version: VERSION,
    allocator: (redis_module::alloc::RedisAlloc, redis_module::alloc::RedisAlloc),
    data_types: [],
    init: init,
    configurations: [
        i64: [
            ["max-member-bytes", &MAX_MEMBER_BYTES, config::MAX_MEMBER_BYTES_DEFAULT, 1, config::MAX_MEMBER_BYTES_MAX, ConfigurationFlags::DEFAULT, None],
            ["max-range", &MAX_RANGE, config::MAX_RANGE_DEFAULT, 1, config::MAX_RANGE_MAX, ConfigurationFlags::DEFAULT, None],
        ],
        string: [],
        bool: [],
        enum: [
            ["require-hashtag", &REQUIRE_HASHTAG, HashtagMode::auto, ConfigurationFlags::DEFAULT, None],
        ],
        module_args_as_configuration: true,
    ]
}
