// Randomized differential test, wasm half: replays the cases core/tests/differential.rs
// generated from a fixed seed and answered natively (target/wasm-differential.json; `make
// test` runs the Rust tests first), through the .wasm and the wrapper, and requires the
// very same answers: slots, tags, key checks, every limiter reply, error text and state
// along each call sequence, the rank maths, and season names, keys and expiries.

import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TallyError } from '../pkg/tally.mjs';
import { compact, hex, loadTally, repoRoot, replayStep, unhex } from '../support/replay.mjs';

const tally = await loadTally();
const path = join(repoRoot, 'target/wasm-differential.json');
if (!existsSync(path)) {
  throw new Error(`${path} is missing: run \`cargo test -p tally-core --release --test differential\` first (make test does)`);
}
const cases = JSON.parse(readFileSync(path, 'utf8'));

test('random keys: slot and hash tag', () => {
  assert.ok(cases.keys.length >= 3000);
  for (const c of cases.keys) {
    const key = unhex(c.hex);
    assert.equal(tally.hashSlot(key), c.slot, c.hex);
    const tag = tally.hashTag(key);
    assert.equal(tag === null ? null : hex(tag), c.tag_hex, c.hex);
  }
});

test('random key groups: validation', () => {
  assert.ok(cases.validate_keys.length >= 2000);
  for (const c of cases.validate_keys) {
    assert.equal(tally.validateKeys(c.keys_hex.map(unhex), c.require_hashtag), c.error, JSON.stringify(c));
  }
});

test('random limiter call sequences', () => {
  const counts = { slide: 0, multi: 0, gcra: 0 };
  for (const [n, c] of cases.sequences.entries()) {
    let state = c.command === 'gcra' ? { tatUs: c.tat_us } : { logs: compact(c.logs) };
    c.steps.forEach((step, i) => {
      const what = `sequence ${n} (${c.command}) step ${i}: ${JSON.stringify(step.args)} at ${step.now_ms}`;
      const got = replayStep(tally, { command: c.command, requireHashtag: c.require_hashtag, maxLog: c.max_log }, state, {
        nowMs: step.now_ms,
        args: step.args,
      });
      assert.equal(got.error, step.error, what);
      assert.deepEqual(got.reply, step.reply, what);
      if (step.error === undefined) {
        const expire = c.command === 'gcra' ? (step.expire_at_ms === null ? {} : { [step.args[0]]: step.expire_at_ms }) : step.expire_at_ms;
        assert.deepEqual(got.expire, expire, `${what}: expiry`);
      }
      const want = c.command === 'gcra' ? { tatUs: step.tat_us } : { logs: step.logs };
      assert.deepEqual(got.state, want, `${what}: state`);
      state = got.state;
      counts[c.command] += 1;
    });
  }
  assert.ok(Object.values(counts).every((n) => n >= 1000), JSON.stringify(counts));
});

test('random rank maths and score texts', () => {
  for (const [atOrBelow, len, value] of cases.percentile) {
    assert.ok(Object.is(tally.percentile(atOrBelow, len), value), `${atOrBelow} ${len}`);
  }
  for (const [rank, radius, len, window] of cases.around) {
    const got = tally.aroundWindow(rank, radius, len);
    assert.deepEqual(got && [got.start, got.stop], window, `${rank} ${radius} ${len}`);
  }
  for (const [ties, firstPosition, firstRank, scores, ranks] of cases.page_ranks) {
    assert.deepEqual(tally.pageRanks(scores, { ties, firstPosition, firstRank }), ranks);
  }
  for (const [value, text] of cases.format_score) {
    assert.equal(tally.formatScore(value), text, String(value));
  }
  for (const [text, value, error] of cases.parse_score) {
    if (error !== null) {
      assert.throws(() => tally.parseScore(text), (e) => e instanceof TallyError && e.message === error, JSON.stringify(text));
    } else {
      assert.ok(Object.is(tally.parseScore(text), value), JSON.stringify(text));
    }
  }
});

test('random season keys, names and expiries', () => {
  assert.ok(cases.season.length >= 3000);
  for (const c of cases.season) {
    const what = `${c.key_hex} ${c.period} at ${c.now_ms}`;
    if (c.season.error !== undefined) {
      assert.throws(() => tally.season(unhex(c.key_hex), c.period, c.now_ms),
        (e) => e instanceof TallyError && e.message === c.season.error, what);
      continue;
    }
    const got = tally.season(unhex(c.key_hex), c.period, c.now_ms);
    assert.deepEqual({ key_hex: hex(got.key), name: got.name, expire_at_ms: got.expireAtMs }, c.season, what);
  }
});
