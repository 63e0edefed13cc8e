//! Lua scripts the tests run as they are shown in the docs.

/// `sliding_window.lua` of docs/rate-limiting.md: the design notes' sliding-window script
/// as teams run it today (SCRIPT LOAD replies its SHA1, which the page shows). The one copy
/// is bench/lua/sliding_window.lua, which `make bench` measures too.
pub const SLIDING_WINDOW_LUA: &str = include_str!("../../../bench/lua/sliding_window.lua");

/// The Lua counting semaphore LIMIT.ACQUIRE and LIMIT.RELEASE replace (one copy each, in
/// bench/lua, which `make bench` measures them against).
pub const SEMAPHORE_ACQUIRE_LUA: &str = include_str!("../../../bench/lua/semaphore_acquire.lua");
pub const SEMAPHORE_RELEASE_LUA: &str = include_str!("../../../bench/lua/semaphore_release.lua");
