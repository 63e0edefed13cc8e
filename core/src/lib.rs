//! tally's pure logic: everything that can be decided without a server.
//!
//! No FFI, no I/O, no clock reads (time is always a parameter), so the same code runs
//! inside redis-server, in unit tests and as WebAssembly.

pub mod audit;
pub mod config;
pub mod error;
pub mod limit;
pub mod number;
pub mod season;
pub mod slot;
pub mod tourney;

pub use error::Error;
