//! Key validation shared by every command: hash-tag policy and same-slot checks.

use crate::config::{HashtagMode, REQUIRE_HASHTAG};
use crate::server::Ctx;
use tally_core::{slot, Error};

/// Checks the keys of one call against `tally.require-hashtag` and the one-slot rule.
pub fn validate(ctx: &Ctx, keys: &[&[u8]]) -> Result<(), Error> {
    let require = match REQUIRE_HASHTAG.get() {
        HashtagMode::yes => true,
        HashtagMode::no => false,
        HashtagMode::auto => ctx.in_cluster(),
    };
    slot::validate_keys(keys, require)
}
