//! The hash chain of a chained audit stream (docs/audit.md, "Hash chain"): every entry's last
//! field `chain` holds the lowercase hex SHA-256 of
//! `prev || ms (u64 BE) || seq (u64 BE) || for each pair: u32be(len(field)) || field || u32be(len(value)) || value`,
//! where `prev` is the previous entry's chain (32 zero bytes before the first entry).

use super::StreamId;
use sha2::{Digest, Sha256};

/// One link of the chain.
pub type Hash = [u8; 32];

/// The `prev` of a stream's first entry.
pub const GENESIS: Hash = [0; 32];

/// The name of the field that carries an entry's link, always its last field.
pub const FIELD: &[u8] = b"chain";

/// The link of the entry `id` with these field/value pairs (without the `chain` field),
/// following `prev`.
pub fn link<'a>(prev: &Hash, id: StreamId, pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Hash {
    let mut feed = Feed { hasher: Sha256::new(), buf: [0; FEED_BYTES], len: 0 };
    feed.put(prev);
    feed.put(&id.ms.to_be_bytes());
    feed.put(&id.seq.to_be_bytes());
    for (field, value) in pairs {
        feed.put_prefixed(field);
        feed.put_prefixed(value);
    }
    feed.flush();
    feed.hasher.finalize().into()
}

const FEED_BYTES: usize = 256;

/// The hasher behind a small buffer: the layout is many short pieces (IDs, lengths, field
/// names), and every update of the hasher itself has a fixed cost larger than the copy.
struct Feed {
    hasher: Sha256,
    buf: [u8; FEED_BYTES],
    len: usize,
}

impl Feed {
    fn put(&mut self, bytes: &[u8]) {
        if self.room(bytes.len()).is_none() {
            self.flush();
        }
        match self.room(bytes.len()) {
            Some(room) => {
                room.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.hasher.update(bytes),
        }
    }

    /// Where `n` more bytes go in the buffer, when they fit.
    fn room(&mut self, n: usize) -> Option<&mut [u8]> {
        let end = self.len.checked_add(n)?;
        self.buf.get_mut(self.len..end)
    }

    /// A length-prefixed byte string. Lengths above u32 cannot reach a stream (the server
    /// refuses elements that large), so saturating keeps the function total.
    fn put_prefixed(&mut self, bytes: &[u8]) {
        self.put(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
        self.put(bytes);
    }

    fn flush(&mut self) {
        self.hasher.update(self.buf.get(..self.len).unwrap_or_default());
        self.len = 0;
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The lowercase hex text of a link, as the `chain` field stores it.
pub fn to_hex(hash: &Hash) -> [u8; 64] {
    let mut text = [0u8; 64];
    for (pair, byte) in text.chunks_exact_mut(2).zip(hash) {
        if let [high, low] = pair {
            *high = HEX[usize::from(byte >> 4)];
            *low = HEX[usize::from(byte & 0x0f)];
        }
    }
    text
}

/// A link from its hex text (either case); `None` unless exactly 64 hex digits.
pub fn from_hex(text: &[u8]) -> Option<Hash> {
    if text.len() != 64 {
        return None;
    }
    let mut hash = GENESIS;
    for (byte, pair) in hash.iter_mut().zip(text.chunks_exact(2)) {
        let digit = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
        *byte = match pair {
            [high, low] => digit(*high)? << 4 | digit(*low)?,
            _ => return None,
        };
    }
    Some(hash)
}

/// Checks one stored entry (its fields in order, `chain` last) against `prev`: its link
/// when it holds, `None` when the entry is not a valid successor of `prev`.
pub fn check_entry(prev: &Hash, id: StreamId, fields: &[(&[u8], &[u8])]) -> Option<Hash> {
    let (last, pairs) = fields.split_last()?;
    if last.0 != FIELD {
        return None;
    }
    let stored = from_hex(last.1)?;
    (link(prev, id, pairs.iter().copied()) == stored).then_some(stored)
}

/// Where a VERIFY run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Whether every checked link held.
    pub ok: bool,
    /// Links checked (the broken one included).
    pub checked: u64,
    /// The first entry whose link does not hold.
    pub first_bad: Option<StreamId>,
    /// The last entry whose link held (the start when none did), and its link: what
    /// the next page passes as `FROM`.
    pub last: Option<(StreamId, Hash)>,
}

/// Walks `entries` (oldest first, each with its fields in order) from `start`: the entry
/// before the first one and its link. Stops at the first broken link.
pub fn verify<'a, F>(start: Option<(StreamId, Hash)>, entries: impl IntoIterator<Item = (StreamId, F)>) -> Verified
where
    F: AsRef<[(&'a [u8], &'a [u8])]>,
{
    let mut state = Verified { ok: true, checked: 0, first_bad: None, last: start };
    for (id, fields) in entries {
        state.checked += 1;
        let prev = state.last.map_or(GENESIS, |(_, hash)| hash);
        let after_prev = state.last.is_none_or(|(prev_id, _)| id > prev_id);
        match check_entry(&prev, id, fields.as_ref()).filter(|_| after_prev) {
            Some(hash) => state.last = Some((id, hash)),
            None => {
                state.ok = false;
                state.first_bad = Some(id);
                break;
            }
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    type Owned = Vec<(StreamId, Vec<(Vec<u8>, Vec<u8>)>)>;
    type Borrowed<'a> = Vec<(StreamId, Vec<(&'a [u8], &'a [u8])>)>;

    /// A chain of `n` entries, each with `action` and `n` fields, as the module writes them.
    fn chain(n: u64) -> Owned {
        let mut prev = GENESIS;
        (0..n)
            .map(|i| {
                let pairs = vec![(b"action".to_vec(), b"add".to_vec()), (b"n".to_vec(), i.to_string().into_bytes())];
                let hash = link(&prev, id(1000 + i, 0), pairs.iter().map(|(f, v)| (f.as_slice(), v.as_slice())));
                prev = hash;
                let mut fields = pairs;
                fields.push((FIELD.to_vec(), to_hex(&hash).to_vec()));
                (id(1000 + i, 0), fields)
            })
            .collect()
    }

    fn borrowed(entries: &Owned) -> Borrowed<'_> {
        entries
            .iter()
            .map(|(id, fields)| (*id, fields.iter().map(|(f, v)| (f.as_slice(), v.as_slice())).collect()))
            .collect()
    }

    #[test]
    fn link_follows_the_documented_layout() {
        // Computed by hand from the layout: 32 zero bytes, ms and seq big-endian, then
        // length-prefixed field and value.
        let mut bytes = vec![0u8; 32];
        bytes.extend_from_slice(&5u64.to_be_bytes());
        bytes.extend_from_slice(&1u64.to_be_bytes());
        bytes.extend_from_slice(&[0, 0, 0, 1, b'a', 0, 0, 0, 2, b'b', b'c']);
        let expected: Hash = Sha256::digest(&bytes).into();
        assert_eq!(link(&GENESIS, id(5, 1), [(&b"a"[..], &b"bc"[..])]), expected);
        // Moving a byte from value to field changes the link (length prefixes).
        assert_ne!(link(&GENESIS, id(5, 1), [(&b"ab"[..], &b"c"[..])]), expected);
    }

    #[test]
    fn the_worked_example_of_docs_audit_md_holds() {
        let first = link(&GENESIS, id(1_700_000_000_000, 0), [(&b"action"[..], &b"pay"[..]), (b"amount", b"10")]);
        assert_eq!(&to_hex(&first), b"bb1c7bc71a262ce98e6976a32cadffdc427c76eb2925840e8c0eae4f97321b25");
        let second = link(&first, id(1_700_000_000_000, 1), [(&b"action"[..], &b"refund"[..]), (b"amount", b"10")]);
        assert_eq!(&to_hex(&second), b"bff29b9b4fb458a1695f3b43d7c3302b732c47b670c3a788b80613cd86967a65");
    }

    #[test]
    fn long_values_hash_as_short_ones() {
        // Pieces larger than the feed's buffer, and pieces that straddle it.
        for len in [FEED_BYTES - 40, FEED_BYTES, FEED_BYTES + 1, 3 * FEED_BYTES] {
            let value = vec![b'v'; len];
            let mut bytes = vec![0u8; 32];
            bytes.extend_from_slice(&5u64.to_be_bytes());
            bytes.extend_from_slice(&1u64.to_be_bytes());
            for _ in 0..2 {
                bytes.extend_from_slice(&[0, 0, 0, 1, b'a']);
                bytes.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
                bytes.extend_from_slice(&value);
            }
            let expected: Hash = Sha256::digest(&bytes).into();
            assert_eq!(link(&GENESIS, id(5, 1), [(&b"a"[..], &value[..]), (b"a", &value)]), expected, "{len}");
        }
    }

    #[test]
    fn hex_round_trips() {
        let hash = link(&GENESIS, id(1, 0), []);
        let text = to_hex(&hash);
        assert!(text.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)));
        assert_eq!(from_hex(&text), Some(hash));
        assert_eq!(from_hex(&text.to_ascii_uppercase()), Some(hash));
        assert_eq!(from_hex(&text[..63]), None);
        assert_eq!(from_hex(&[b'g'; 64]), None);
    }

    #[test]
    fn an_intact_chain_verifies_and_pages() {
        let entries = chain(5);
        let all = borrowed(&entries);
        let whole = verify(None, all.clone());
        assert!(whole.ok);
        assert_eq!((whole.checked, whole.first_bad), (5, None));
        assert_eq!(whole.last.map(|(id, _)| id), Some(id(1004, 0)));
        // Two pages give the same end.
        let first = verify(None, all.iter().take(2).cloned());
        let second = verify(first.last, all.iter().skip(2).cloned());
        assert!(second.ok);
        assert_eq!(second.last, whole.last);
    }

    #[test]
    fn tampering_is_found() {
        let entries = chain(5);
        let all = borrowed(&entries);
        // An entry removed in the middle.
        let mut removed = all.clone();
        removed.remove(2);
        assert_eq!(verify(None, removed).first_bad, Some(id(1003, 0)));
        // An edited value.
        let mut edited = all.clone();
        edited[1].1[0].1 = b"del";
        assert_eq!(verify(None, edited).first_bad, Some(id(1001, 0)));
        // Pairs reordered.
        let mut reordered = all.clone();
        reordered[3].1.swap(0, 1);
        assert_eq!(verify(None, reordered).first_bad, Some(id(1003, 0)));
        // The head cut off: the new first entry does not follow the genesis.
        assert_eq!(verify(None, all.iter().skip(1).cloned()).first_bad, Some(id(1001, 0)));
        // A missing or misplaced chain field.
        let mut unchained = all.clone();
        unchained[0].1.pop();
        assert_eq!(verify(None, unchained).first_bad, Some(id(1000, 0)));
        // A bad start hash.
        let wrong = verify(Some((id(999, 0), [1; 32])), all.clone());
        assert_eq!((wrong.ok, wrong.checked, wrong.first_bad), (false, 1, Some(id(1000, 0))));
        assert_eq!(wrong.last, Some((id(999, 0), [1; 32])));
    }
}
