//! Key validation shared by every command: hash-tag policy and same-slot checks.

use crate::config::{HashtagMode, CLUSTER_MODE, REQUIRE_HASHTAG};
use std::sync::atomic::Ordering;
use tally_core::{slot, Error};

/// Checks the keys of one call against `tally.require-hashtag` and the one-slot rule.
pub fn validate(keys: &[&[u8]]) -> Result<(), Error> {
    let require = match REQUIRE_HASHTAG.get() {
        HashtagMode::yes => true,
        HashtagMode::no => false,
        HashtagMode::auto => CLUSTER_MODE.load(Ordering::Relaxed),
    };
    slot::validate_keys(keys, require)
}
