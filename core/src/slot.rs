//! Redis Cluster key placement: hash tags and hash slots.

use crate::Error;
use smallvec::SmallVec;

/// Number of hash slots in a Redis Cluster.
pub const SLOTS: u16 = 16384;

const CRC16_TABLE: [u16; 256] = crc16_table();

const fn crc16_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = (byte as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            bit += 1;
        }
        table[byte] = crc;
        byte += 1;
    }
    table
}

/// CRC16-XMODEM (polynomial 0x1021, initial value 0), the checksum Redis Cluster uses.
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &byte| {
        let index = usize::from((crc >> 8) as u8 ^ byte);
        (crc << 8) ^ CRC16_TABLE[index]
    })
}

/// The part of a key that decides its slot: the bytes between the first `{` and the
/// first `}` after it, when that is non-empty.
pub fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    let open = key.iter().position(|&b| b == b'{')?;
    let rest = key.get(open + 1..)?;
    let close = rest.iter().position(|&b| b == b'}')?;
    match rest.get(..close) {
        Some(tag) if !tag.is_empty() => Some(tag),
        _ => None,
    }
}

/// The hash slot of a key, exactly as `CLUSTER KEYSLOT` computes it.
pub fn hash_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key).unwrap_or(key)) & (SLOTS - 1)
}

/// Names the keys the module keeps beside one key: `key` + suffix, which hashes to the
/// key's slot because the key carries a hash tag. Built once per call, then `name(suffix)`
/// for each companion.
///
/// Only a key with a hash tag has companions. An untagged key's companions would have to
/// be wrapped in braces to share its slot (`lb` -> `{lb}:tourney`), and would then be the
/// companions of the key `{lb}` too: no naming of untagged keys keeps two keys apart.
pub struct Companions {
    name: SmallVec<[u8; 96]>,
    base_len: usize,
}

impl Companions {
    /// `CompanionsNeedHashTag` for a key without a hash tag; `kind` names what the call
    /// wanted to keep beside it ("tournament", "seasonal leaderboard"...).
    pub fn new(key: &[u8], kind: &'static str) -> Result<Companions, Error> {
        Companions::of(key).ok_or_else(|| Error::CompanionsNeedHashTag { kind, key: key.to_vec() })
    }

    /// `None` for a key without a hash tag, which has no companions.
    pub fn of(key: &[u8]) -> Option<Companions> {
        hash_tag(key)?;
        let name = SmallVec::from_slice(key);
        Some(Companions { base_len: name.len(), name })
    }

    pub fn name(&mut self, suffix: &[u8]) -> &[u8] {
        self.name.truncate(self.base_len);
        self.name.extend_from_slice(suffix);
        &self.name
    }
}

/// The name of the key the module keeps beside `key` under `suffix` (see `Companions`).
pub fn companion_key(key: &[u8], suffix: &[u8], kind: &'static str) -> Result<Vec<u8>, Error> {
    Ok(Companions::new(key, kind)?.name(suffix).to_vec())
}

/// Checks the keys one command touches: each carries a hash tag when `require_hash_tag`
/// is set, and all of them share one slot (checked in standalone mode too, so code that
/// works on a laptop also works in a cluster).
pub fn validate_keys<K: AsRef<[u8]>>(keys: &[K], require_hash_tag: bool) -> Result<(), Error> {
    let mut first_slot = None;
    for key in keys {
        let key = key.as_ref();
        if require_hash_tag && hash_tag(key).is_none() {
            return Err(Error::NeedsHashTag(key.to_vec()));
        }
        // One key always shares its own slot.
        if keys.len() == 1 {
            break;
        }
        let slot = hash_slot(key);
        match first_slot {
            None => first_slot = Some(slot),
            Some(first) if first != slot => return Err(Error::CrossSlot),
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companions_extend_tagged_keys_only() {
        for key in [&b"t:{x}:lb"[..], b"{x}", b"{{a}", b"x{y}z"] {
            let mut companions = Companions::new(key, "tournament").unwrap();
            for suffix in [&b":tourney"[..], b":a-much-longer-suffix-than-usual", b""] {
                let name = companions.name(suffix).to_vec();
                assert_eq!(name, [key, suffix].concat());
                assert_eq!(name, companion_key(key, suffix, "tournament").unwrap());
                assert_eq!(hash_slot(&name), hash_slot(key), "{key:?}");
            }
        }
        // `lb` and `{lb}` are two keys; only the tagged one may have companions.
        for key in [&b"lb"[..], b"a{b", b"{}x", b"a{}{b}", b"\xff", b"{", b"}{", b"a}b", b"x{}", b""] {
            assert_eq!(
                Companions::new(key, "tournament").err(),
                Some(Error::CompanionsNeedHashTag { kind: "tournament", key: key.to_vec() })
            );
        }
    }

    #[test]
    fn crc_matches_the_cluster_spec() {
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn slots_match_known_vectors() {
        let vectors: [(&[u8], u16); 7] = [
            (b"123456789", 12739),
            (b"somekey", 11058),
            (b"foo{hash_tag}", 2515),
            (b"foo", 12182),
            (b"foo{}{bar}", 8363),
            (b"foo{{bar}}zap", 4015),
            (b"foo{bar}{zap}", 5061),
        ];
        for (key, slot) in vectors {
            assert_eq!(hash_slot(key), slot, "{}", String::from_utf8_lossy(key));
        }
    }

    #[test]
    fn tags_are_the_first_non_empty_braces() {
        assert_eq!(hash_tag(b"tournament:{t1}:scores"), Some(&b"t1"[..]));
        assert_eq!(hash_tag(b"foo{}{bar}"), None);
        assert_eq!(hash_tag(b"foo{{bar}}"), Some(&b"{bar"[..]));
        assert_eq!(hash_tag(b"{"), None);
        assert_eq!(hash_tag(b"}{"), None);
        assert_eq!(hash_tag(b""), None);
    }

    #[test]
    fn validation_requires_tags_and_one_slot() {
        assert_eq!(validate_keys(&["a{x}", "b{x}"], true), Ok(()));
        assert_eq!(validate_keys(&["plain"], false), Ok(()));
        assert_eq!(validate_keys(&["plain"], true), Err(Error::NeedsHashTag(b"plain".to_vec())));
        assert_eq!(validate_keys(&["a{x}", "b{y}"], false), Err(Error::CrossSlot));
        assert_eq!(validate_keys::<&str>(&[], true), Ok(()));
    }
}
