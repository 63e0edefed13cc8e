//! Seeded pseudo-random generators: a fixed seed gives the same sequence on every run and
//! every machine, so a randomized test reproduces. Also used by the core tests.

/// The draws every generator offers on top of its raw output.
pub trait Random {
    /// The next raw output.
    fn next(&mut self) -> u64;

    /// In `0..n` (n > 0): the raw output modulo `n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True about once in `n` draws.
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    /// True about `percent` times in a hundred draws.
    #[allow(dead_code)] // drawn by core/tests/differential.rs, which shares this file
    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// In `low..=high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    /// One of `items` (not empty).
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// SplitMix64: small, fast, and well spread from any seed.
pub struct SplitMix64(pub u64);

impl Random for SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Xorshift64 (shifts 13, 7, 17); the seed must not be 0.
pub struct XorShift64(pub u64);

impl Random for XorShift64 {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants), its high 31 bits out.
pub struct Lcg(pub u64);

impl Random for Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}
