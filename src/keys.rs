//! Key validation shared by every command: hash-tag policy and same-slot checks.

use crate::command::Args;
use crate::config;
use crate::server::RawString;
use std::sync::atomic::Ordering;
use tally_core::{slot, Error};

/// Checks the keys of one call against `tally.require-hashtag` and the one-slot rule.
pub fn validate(keys: &[&[u8]]) -> Result<(), Error> {
    let required = config::require_hashtag().required(config::CLUSTER_MODE.load(Ordering::Relaxed));
    slot::validate_keys(keys, required)
}

/// The key at `position`, validated.
pub fn single(args: &Args, position: usize) -> Result<RawString, Error> {
    validate(args.bytes().get(position..=position).unwrap_or_default())?;
    args.raw(position)
}

/// The keys at `range` of argv, validated together (one slot).
pub fn many<'a>(args: &'a Args, range: std::ops::Range<usize>) -> Result<&'a [RawString], Error> {
    validate(args.bytes().get(range.clone()).ok_or(Error::Syntax)?)?;
    args.raw_range(range)
}
