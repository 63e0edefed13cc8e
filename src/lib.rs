//! tally: tournament leaderboards, audit logs and rate limiters as native Redis commands.
//!
//! This crate is the thin server-facing layer; the logic lives in `tally-core`.

mod audit;
mod command;
mod config;
mod keys;
mod limit;
mod server;
mod stats;
mod tourney;

use config::{
    HashtagMode, AUDIT_MAX_FIELD_BYTES, AUDIT_MAX_LEN, AUDIT_MAX_PRODUCERS, AUDIT_RETENTION_MS, LIMIT_MAX_LOG,
    MAX_MEMBER_BYTES, MAX_RANGE, REQUIRE_HASHTAG,
};
use redis_module::configuration::ConfigurationFlags;
use redis_module::{redis_module, Context, RedisString, Status};

/// Module version as Redis modules encode semver: major * 10000 + minor * 100 + patch.
const VERSION: i32 = 100;

/// The server range-checks configs set by CONFIG SET and config-file lines, but not the
/// `loadmodule` arguments the module registers as defaults: check those here, and refuse
/// names that are no config, so a typo fails the load instead of being ignored.
fn check_load_args(args: &[RedisString]) -> Result<(), String> {
    let names: Vec<String> = args.iter().step_by(2).map(|arg| arg.to_string_lossy()).collect();
    if !args.len().is_multiple_of(2) {
        return Err("loadmodule arguments must be pairs of config name and value".into());
    }
    if let Some(unknown) = names.iter().find(|name| !CONFIG_NAMES.contains(&name.as_str())) {
        return Err(format!("unknown config '{unknown}' in loadmodule arguments (known: {})", CONFIG_NAMES.join(", ")));
    }
    let retention = AUDIT_RETENTION_MS.load(std::sync::atomic::Ordering::Relaxed);
    if !(0..=config::AUDIT_RETENTION_MAX).contains(&retention) {
        return Err(format!("audit-retention-ms {retention} is out of range (0..{})", config::AUDIT_RETENTION_MAX));
    }
    for (name, value, max) in [
        ("max-member-bytes", &MAX_MEMBER_BYTES, config::MAX_MEMBER_BYTES_MAX),
        ("max-range", &MAX_RANGE, config::MAX_RANGE_MAX),
        ("limit-max-log", &LIMIT_MAX_LOG, config::LIMIT_MAX_LOG_MAX),
        ("audit-max-len", &AUDIT_MAX_LEN, config::AUDIT_MAX_LEN_MAX),
        ("audit-max-field-bytes", &AUDIT_MAX_FIELD_BYTES, config::AUDIT_MAX_FIELD_BYTES_MAX),
        ("audit-max-producers", &AUDIT_MAX_PRODUCERS, config::AUDIT_MAX_PRODUCERS_MAX),
    ] {
        let value = value.load(std::sync::atomic::Ordering::Relaxed);
        if !(1..=max).contains(&value) {
            return Err(format!("{name} {value} is out of range (1..{max})"));
        }
    }
    Ok(())
}

const CONFIG_NAMES: [&str; 8] = [
    "require-hashtag",
    "max-member-bytes",
    "max-range",
    "limit-max-log",
    "audit-max-len",
    "audit-retention-ms",
    "audit-max-field-bytes",
    "audit-max-producers",
];

/// The INFO callback: the framework's crash-report trace, then the `tally` section.
extern "C" fn info(ctx: *mut redis_module::raw::RedisModuleInfoCtx, for_crash_report: std::ffi::c_int) {
    let _ = std::panic::catch_unwind(|| {
        redis_module::basic_info_command_handler(&redis_module::InfoContext::new(ctx), for_crash_report != 0);
        stats::report(&server::InfoSink::new(ctx));
    });
}

fn init(ctx: &Context, args: &[RedisString]) -> Status {
    if let Err(message) = check_load_args(args) {
        server::log_warning(&format!("tally: {message}"));
        return Status::Err;
    }
    std::panic::set_hook(Box::new(|info| {
        server::log_warning(&format!("tally: a command panicked (a bug in tally, the server is still up): {info}"));
    }));
    server::set_module_options(ctx.ctx);
    if !server::register_info(ctx.ctx, Some(info)) {
        server::log_warning("tally: could not register the INFO section");
        return Status::Err;
    }
    let cluster = ctx.get_flags().contains(redis_module::ContextFlags::CLUSTER);
    config::CLUSTER_MODE.store(cluster, std::sync::atomic::Ordering::Relaxed);
    let registered =
        tourney::register(ctx.ctx).and_then(|()| limit::register(ctx.ctx)).and_then(|()| audit::register(ctx.ctx));
    match registered {
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
            ["limit-max-log", &LIMIT_MAX_LOG, config::LIMIT_MAX_LOG_DEFAULT, 1, config::LIMIT_MAX_LOG_MAX, ConfigurationFlags::DEFAULT, None],
            ["audit-max-len", &AUDIT_MAX_LEN, config::AUDIT_MAX_LEN_DEFAULT, 1, config::AUDIT_MAX_LEN_MAX, ConfigurationFlags::DEFAULT, None],
            ["audit-retention-ms", &AUDIT_RETENTION_MS, 0, 0, config::AUDIT_RETENTION_MAX, ConfigurationFlags::DEFAULT, None],
            ["audit-max-field-bytes", &AUDIT_MAX_FIELD_BYTES, config::AUDIT_MAX_FIELD_BYTES_DEFAULT, 1, config::AUDIT_MAX_FIELD_BYTES_MAX, ConfigurationFlags::MEMORY, None],
            ["audit-max-producers", &AUDIT_MAX_PRODUCERS, config::AUDIT_MAX_PRODUCERS_DEFAULT, 1, config::AUDIT_MAX_PRODUCERS_MAX, ConfigurationFlags::DEFAULT, None],
        ],
        string: [],
        bool: [],
        enum: [
            ["require-hashtag", &REQUIRE_HASHTAG, HashtagMode::auto, ConfigurationFlags::DEFAULT, None],
        ],
        module_args_as_configuration: true,
    ]
}
