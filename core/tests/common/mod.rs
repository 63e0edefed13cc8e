//! Helpers shared by the core test binaries.
#![allow(dead_code)] // each test binary uses a part

/// The seeded generators, the very file the integration tests use.
#[path = "../../../tests/it/common/rng.rs"]
pub mod rng;
