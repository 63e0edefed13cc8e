// The shared test vectors (tests/vectors/*.json) through the .wasm and the wrapper. The
// same files run natively (core/tests/vectors.rs) and against a live server
// (tests/it/vectors_server.rs).

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TallyError } from '../pkg/tally.mjs';
import { compact, loadTally, repoRoot, replayStep, unhex } from '../support/replay.mjs';

const tally = await loadTally();
const vectors = (name) => JSON.parse(readFileSync(join(repoRoot, 'tests/vectors', name), 'utf8'));
const keyOf = (key) => (typeof key === 'string' ? key : unhex(key.hex));

test('hash slots and tags', () => {
  const { slots } = vectors('slots.json');
  assert.ok(slots.length >= 30);
  for (const c of slots) {
    const key = c.key_hex !== undefined ? unhex(c.key_hex) : c.key;
    assert.equal(tally.hashSlot(key), c.slot, JSON.stringify(c));
    const tag = tally.hashTag(key);
    if (c.key_hex !== undefined) {
      assert.deepEqual(tag, c.tag_hex === null ? null : unhex(c.tag_hex), JSON.stringify(c));
    } else {
      assert.equal(tag, c.tag, JSON.stringify(c));
    }
  }
});

test('key validation', () => {
  for (const c of vectors('keys.json').validate_keys) {
    assert.equal(tally.validateKeys(c.keys.map(keyOf), c.require_hashtag), c.error, JSON.stringify(c));
  }
});

test('rank maths', () => {
  const rank = vectors('rank.json');
  for (const c of rank.percentile) {
    assert.ok(Object.is(tally.percentile(c.at_or_below, c.len), c.value), JSON.stringify(c));
  }
  for (const c of rank.around) {
    const window = tally.aroundWindow(c.rank, c.radius, c.len);
    assert.deepEqual(window && [window.start, window.stop], c.window, JSON.stringify(c));
  }
  for (const c of rank.page_ranks) {
    const ranks = tally.pageRanks(c.scores, { ties: c.ties, firstPosition: c.first_position, firstRank: c.first_rank });
    assert.deepEqual(ranks, c.ranks, JSON.stringify(c));
  }
  for (const c of rank.format_score) {
    assert.equal(tally.formatScore(c.value), c.text, JSON.stringify(c));
  }
  for (const c of rank.parse_score) {
    if (c.error !== undefined) {
      assert.throws(() => tally.parseScore(c.text), (e) => e instanceof TallyError && e.message === c.error, JSON.stringify(c));
    } else {
      assert.ok(Object.is(tally.parseScore(c.text), c.value), JSON.stringify(c));
    }
  }
});

function initialState(c) {
  if (c.command === 'gcra') return { tatUs: c.tat_us };
  if (c.command === 'fixed') return { count: c.count, expireAtMs: c.expire_at_ms ?? null };
  if (c.leases !== undefined) return { leases: c.leases };
  if (c.command === 'slide') return { logs: compact({ [c.steps[0].args[0]]: c.log }) };
  return { logs: compact(c.logs) };
}

function expectedState(c, before, step) {
  if (step.error !== undefined) return before;
  if (c.command === 'gcra') return { tatUs: step.tat_us };
  if (c.command === 'fixed') return { count: step.count, expireAtMs: step.expire_at_ms ?? before.expireAtMs };
  if (c.leases !== undefined) return { leases: step.leases };
  if (c.command === 'slide') return { logs: compact({ [step.args[0]]: step.log }) };
  return { logs: compact(step.logs) };
}

function expectedExpire(c, step) {
  if (step.expire_at_ms === undefined) return {};
  if (typeof step.expire_at_ms === 'object') return step.expire_at_ms;
  return { [step.args[0]]: step.expire_at_ms };
}

/** The same step through slide()/gcra()/fixed(), when its arguments have the plain shape. */
function structured(c, state, step) {
  if (c.command === 'multi' || c.leases !== undefined) return undefined;
  const key = step.args[0];
  const n = c.command === 'gcra' ? 3 : 2;
  let rest = step.args.slice(1);
  const options = { key, nowMs: step.now_ms, requireHashtag: c.require_hashtag ?? false };
  if (rest.length === n + 2 && /^cost$/i.test(rest[n])) {
    options.cost = rest[n + 1];
    rest = rest.slice(0, n);
  }
  if (rest.length !== n) return undefined;
  if (c.command === 'slide') {
    const out = tally.slide({ ...options, windowMs: rest[0], max: rest[1], log: state.logs[key] ?? [], maxLog: c.max_log });
    return { reply: out.reply, log: out.log, expireAtMs: out.expireAtMs };
  }
  if (c.command === 'fixed') {
    const out = tally.fixed({ ...options, periodMs: rest[0], max: rest[1], count: state.count, expireAtMs: state.expireAtMs });
    return { reply: out.reply, count: out.count, expireAtMs: out.expireAtMs };
  }
  const out = tally.gcra({ ...options, burst: rest[0], count: rest[1], periodMs: rest[2], tatUs: state.tatUs });
  return { reply: out.reply, tatUs: out.tatUs, expireAtMs: out.expireAtMs };
}

test('limiter cases', () => {
  const { cases } = vectors('limit.json');
  assert.ok(cases.length >= 20);
  let viaStructured = 0;
  for (const c of cases) {
    let state = initialState(c);
    c.steps.forEach((step, i) => {
      const what = `${c.name}, step ${i}`;
      const want = expectedState(c, state, step);
      let plain;
      try {
        plain = structured(c, state, step);
      } catch (error) {
        if (!(error instanceof TallyError)) throw error;
        plain = { error: error.message };
      }
      const got = replayStep(tally, { command: c.command, requireHashtag: c.require_hashtag, maxLog: c.max_log }, state, {
        nowMs: step.now_ms,
        args: step.args,
      });
      if (step.error !== undefined) {
        assert.equal(got.error, step.error, what);
      } else {
        assert.equal(got.error, undefined, what);
        assert.deepEqual(got.reply, step.reply, what);
      }
      assert.deepEqual(got.expire, expectedExpire(c, step), `${what}: expiry`);
      assert.deepEqual(got.state, want, `${what}: state`);
      if (plain !== undefined) {
        viaStructured += 1;
        if (step.error !== undefined) {
          assert.equal(plain.error, step.error, `${what} (structured)`);
        } else {
          assert.deepEqual(plain.reply, step.reply, `${what} (structured)`);
          const key = step.args[0];
          const expire = expectedExpire(c, step)[key] ?? null;
          assert.equal(plain.expireAtMs, expire, `${what} (structured expiry)`);
          if (c.command === 'slide') assert.deepEqual(plain.log, want.logs[key] ?? [], `${what} (structured log)`);
          else if (c.command === 'fixed') assert.equal(plain.count, want.count, `${what} (structured state)`);
          else assert.equal(plain.tatUs, want.tatUs, `${what} (structured state)`);
        }
      }
      state = got.state;
    });
  }
  assert.ok(viaStructured >= 40, `${viaStructured} steps also ran through slide()/gcra()/fixed()`);
});
