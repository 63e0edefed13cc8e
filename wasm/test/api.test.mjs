// The .wasm's ABI surface and the wrapper's behaviour: loading from every kind of source,
// argument handling, errors, memory hygiene, and the usage docs/wasm.md shows.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as tallyModule from '../pkg/tally.mjs';
import { ABI_VERSION, TallyError, load } from '../pkg/tally.mjs';
import { wasmPath } from '../support/replay.mjs';

const NOW = 1_700_000_000_000;

test('module-level functions need load() first', () => {
  assert.throws(() => tallyModule.hashSlot('a'), /call `await load\(\)` first/);
});

test('the .wasm exports exactly the documented ABI and imports nothing', async () => {
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  assert.deepEqual(WebAssembly.Module.imports(module), []);
  const names = WebAssembly.Module.exports(module).map((e) => e.name).sort();
  assert.deepEqual(names, [
    '__data_end', '__heap_base', 'memory',
    'tally_abi_version', 'tally_alloc', 'tally_around_window', 'tally_chain_link', 'tally_format_score', 'tally_free', 'tally_gcra',
    'tally_hash_slot', 'tally_hash_tag', 'tally_limit_max_log_default', 'tally_multi', 'tally_page_ranks', 'tally_parse_score', 'tally_percentile',
    'tally_result_len', 'tally_result_ptr', 'tally_season', 'tally_slide', 'tally_validate_keys', 'tally_verify_chain',
  ]);
  const tally = await load(module);
  assert.equal(tally.exports.tally_abi_version(), ABI_VERSION);
  assert.ok(readFileSync(wasmPath).length < 200 * 1024, 'the .wasm stays under 200 KB');
});

test('load() takes a path, a URL, bytes, a Response, a promise of one, or a Module', async () => {
  const bytes = readFileSync(wasmPath);
  const sources = [
    undefined,
    wasmPath,
    pathToFileURL(wasmPath),
    bytes,
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    new Response(bytes),
    Promise.resolve(new Response(bytes)),
    new WebAssembly.Module(bytes),
  ];
  for (const source of sources) {
    const tally = await load(source);
    assert.equal(tally.hashSlot('foo'), 12182);
  }
  await assert.rejects(load(42), TypeError);
  await assert.rejects(load(new Response('nope', { status: 404 })), /status 404/);
});

test('load() refuses a .wasm of another ABI version', async () => {
  // A module whose only export, tally_abi_version, returns 1.
  const other = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x15, 0x01, 0x11, ...new TextEncoder().encode('tally_abi_version'), 0x00, 0x00,
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x01, 0x0b,
  ]);
  await assert.rejects(load(other), /ABI version 1, this wrapper speaks 3/);
});

test('keys: strings and bytes, tags, validation texts', async () => {
  const tally = await load();
  assert.equal(tally.hashSlot(new TextEncoder().encode('foo{hash_tag}')), 2515);
  assert.equal(tally.hashSlot(''), 0);
  assert.equal(tally.hashTag('user:{42}:limits'), '42');
  assert.deepEqual(tally.hashTag(Uint8Array.from([0x7b, 0xff, 0x7d])), Uint8Array.from([0xff]));
  assert.equal(tally.hashTag('{}'), null);
  assert.equal(tally.validateKeys(['lb:{t1}:a', 'lb:{t1}:b'], true), null);
  assert.equal(tally.validateKeys(new Set(['a', 'b'])), "CROSSSLOT Keys in request don't hash to the same slot");
  assert.equal(tally.validateKeys([Uint8Array.from([0, 0x5c])], true),
    "ERR key '\\x00\\\\' needs a hash tag like {id} so related keys share a cluster slot");
  assert.equal(tally.validateKeys([]), null);
});

test('slide: arguments as numbers, strings or bigints; errors as the server words them', async () => {
  const tally = await load();
  const a = tally.slide({ nowMs: NOW, windowMs: 1000, max: 2, log: [NOW - 1500, NOW - 10] });
  assert.deepEqual(a.reply, [1, 2, 0, 0, 1000]);
  assert.equal(a.allowed, true);
  assert.deepEqual(a.log, [NOW - 10, NOW]);
  assert.equal(a.expireAtMs, NOW + 1000);
  const b = tally.slide({ nowMs: BigInt(NOW), windowMs: '1000', max: 2n, log: new Float64Array(a.log) });
  assert.deepEqual(b.reply, [0, 2, 0, 990, 1000]);
  assert.equal(b.written, false);
  assert.equal(b.expireAtMs, null);
  assert.deepEqual(b.log, a.log);

  const refused = (options, text) => assert.throws(() => tally.slide({ nowMs: NOW, ...options }),
    (e) => e instanceof TallyError && e.message === text && e.code === text.split(' ')[0]);
  refused({ windowMs: 0, max: 1 }, 'ERR window_ms must be between 1 and 31536000000');
  refused({ windowMs: 1.5, max: 1 }, 'ERR value is not an integer or out of range');
  refused({ windowMs: 1e21, max: 1 }, 'ERR value is not an integer or out of range');
  refused({ windowMs: 10, max: 3, cost: 4 }, 'ERR cost must be between 0 and 3');
  refused({ windowMs: 10, max: 6, maxLog: 5 }, 'ERR max must be between 1 and 5');
  refused({ key: 'plain', windowMs: 10, max: 1, requireHashtag: true },
    "ERR key 'plain' needs a hash tag like {id} so related keys share a cluster slot");

  // Inputs a server never receives are the caller's bugs, not replies.
  assert.throws(() => tally.slide({ windowMs: 10, max: 1 }), TypeError);
  assert.throws(() => tally.slide({ nowMs: NOW, max: 1 }), /windowMs is required/);
  assert.throws(() => tally.slide({ nowMs: 0.5, windowMs: 10, max: 1 }), RangeError);
  assert.throws(() => tally.slide({ nowMs: 2 ** 53, windowMs: 10, max: 1 }), RangeError);
  assert.throws(() => tally.slide({ nowMs: NOW, windowMs: 10, max: 1, log: [NaN] }), RangeError);
  assert.throws(() => tally.slide({ nowMs: NOW, windowMs: 10, max: 1, maxLog: 0 }), RangeError);
  assert.throws(() => tally.slide({ nowMs: NOW, windowMs: 10, max: 1, log: 5 }), TypeError);
});

test('multi: default keys share a slot; results per window', async () => {
  const tally = await load();
  const out = tally.multi({
    nowMs: 1000,
    cost: 2,
    windows: [{ windowMs: 1000, max: 5, log: [500] }, { windowMs: 60000, max: 3 }],
  });
  assert.deepEqual(out.reply, [1, 3, 1, 0, 60000]);
  assert.deepEqual(out.windows, [
    { log: [500, 1000, 1000], expireAtMs: 2000 },
    { log: [1000, 1000], expireAtMs: 61000 },
  ]);
  assert.throws(() => tally.multi({ nowMs: 0, windows: [{ key: 'a', windowMs: 1, max: 1 }, { key: 'b', windowMs: 1, max: 1 }] }),
    /^TallyError: CROSSSLOT/);
  assert.throws(() => tally.multi({ nowMs: 0, windows: [] }), /wrong number of arguments for 'limit.multi'/);
});

test('gcra: the state is the decimal string the server stores', async () => {
  const tally = await load();
  let tatUs = null;
  const replies = [];
  for (let i = 0; i < 4; i++) {
    const out = tally.gcra({ nowMs: 0, burst: 2, count: 10, periodMs: 1000, tatUs });
    replies.push(out.reply);
    tatUs = out.tatUs;
  }
  assert.deepEqual(replies, [[1, 3, 2, 0, 100], [1, 3, 1, 0, 200], [1, 3, 0, 0, 300], [0, 3, 0, 100, 300]]);
  assert.equal(tatUs, '300000');
  for (const stored of [300000, 300000n, '300000', new TextEncoder().encode('300000')]) {
    const out = tally.gcra({ nowMs: 0, burst: 2, count: 10, periodMs: 1000, cost: 0, tatUs: stored });
    assert.deepEqual(out.reply, [1, 3, 0, 0, 300]);
    assert.equal(out.tatUs, '300000');
    assert.equal(out.expireAtMs, null);
  }
  assert.throws(() => tally.gcra({ nowMs: 0, burst: 2, count: 10, periodMs: 1000, tatUs: 1.5 }),
    /^TallyError: WRONGTYPE key holds a string that is not GCRA limiter state$/);
});

test('command(): argv as the server receives it', async () => {
  const tally = await load();
  const out = tally.command(['LIMIT.MULTI', '2', 'a{x}', 'b{x}', '1000', '1', '1000', '2'], { nowMs: 5, logs: new Map([['b{x}', [4]]]) });
  assert.deepEqual(out.reply, [1, 1, 0, 0, 1000]);
  assert.deepEqual(out.logs, { 'a{x}': [5], 'b{x}': [4, 5] });
  assert.deepEqual(out.expireAtMs, { 'a{x}': 1005, 'b{x}': 1005 });
  assert.throws(() => tally.command(['limit.multi', '1', 'k'], { nowMs: 0 }), /wrong number of arguments for 'limit.multi'/);
  assert.throws(() => tally.command(['GET', 'k'], { nowMs: 0 }), TypeError);
});

test('rank maths', async () => {
  const tally = await load();
  assert.equal(tally.percentile(1, 4), 25);
  assert.deepEqual(tally.aroundWindow(99, 2, 100), { start: 95, stop: 99 });
  assert.equal(tally.aroundWindow(100, 2, 100), null);
  assert.throws(() => tally.aroundWindow(-1, 2, 100), RangeError);
  assert.deepEqual(tally.pageRanks([9, 9, 7]), [1, 2, 3]);
  assert.deepEqual(tally.pageRanks([9, 9, 7], { ties: 'COMPETITION' }), [1, 1, 3]);
  assert.deepEqual(tally.pageRanks([9, 9, 7, 5], { ties: 'DENSE', firstPosition: 3, firstRank: 2 }), [2, 2, 3, 4]);
  assert.throws(() => tally.pageRanks([1], { ties: 'sparse' }), TypeError);
  for (const ties of ['constructor', '__proto__', 'toString']) assert.throws(() => tally.pageRanks([1], { ties }), TypeError);
  // A -0 stored natively keeps its sign, as ZSCORE prints it (parseScore gives 0 for "-0").
  assert.equal(tally.formatScore(-0), '-0');
  assert.equal(tally.parseScore('1e3'), 1000);
  assert.throws(() => tally.parseScore('inf'), /^TallyError: ERR value is not a valid float$/);
});

test('season: names, keys and expiries as TOURNEY ... SEASON gives them', async () => {
  const tally = await load();
  const at = (y, m, d, h = 0) => Date.UTC(y, m - 1, d, h);
  const now = at(2026, 11, 26, 5); // a Thursday
  assert.deepEqual(tally.season('{lb}', 'daily', now), { key: '{lb}:2026-11-26', name: '2026-11-26', expireAtMs: at(2026, 11, 28) });
  assert.deepEqual(tally.season('{lb}', 'weekly', now), { key: '{lb}:2026-W48', name: '2026-W48', expireAtMs: at(2026, 12, 7) });
  assert.deepEqual(tally.season('{lb}', 'monthly', now), { key: '{lb}:2026-11', name: '2026-11', expireAtMs: at(2027, 1, 1) });
  assert.equal(at(2026, 11, 28), 1795824000000); // the PEXPIRETIME docs/seasons.md shows
  assert.equal(tally.season('t:{x}:lb', 'daily', now).key, 't:{x}:lb:2026-11-26');
  assert.equal(tally.season('game:{g1}:scores', 'WEEKLY', now).key, 'game:{g1}:scores:2026-W48');
  assert.equal(tally.season('game:{g1}:scores', 'Monthly', BigInt(now)).key, 'game:{g1}:scores:2026-11');

  // ISO weeks belong to the year of their Thursday; a week expires two Mondays after its own.
  assert.deepEqual(tally.season('{lb}', 'weekly', at(2021, 1, 3, 12)), { key: '{lb}:2020-W53', name: '2020-W53', expireAtMs: at(2021, 1, 11) });
  assert.deepEqual(tally.season('{lb}', 'weekly', at(2024, 12, 30)), { key: '{lb}:2025-W01', name: '2025-W01', expireAtMs: at(2025, 1, 13) });
  assert.equal(tally.season('{lb}', 'weekly', at(2021, 1, 4)).name, '2021-W01');
  assert.equal(tally.season('{lb}', 'weekly', at(2026, 11, 29, 23)).name, '2026-W48'); // Sunday
  assert.equal(tally.season('{lb}', 'weekly', at(2026, 11, 30)).name, '2026-W49'); // Monday
  // Seasons change at 00:00 UTC; months of every length.
  assert.equal(tally.season('{lb}', 'daily', at(2026, 11, 27) - 1).name, '2026-11-26');
  assert.equal(tally.season('{lb}', 'daily', at(2026, 11, 27)).name, '2026-11-27');
  assert.deepEqual(tally.season('{lb}', 'daily', at(2024, 2, 29, 23)), { key: '{lb}:2024-02-29', name: '2024-02-29', expireAtMs: at(2024, 3, 2) });
  assert.equal(tally.season('{lb}', 'monthly', at(2024, 1, 31)).expireAtMs, at(2024, 3, 1));
  assert.equal(tally.season('{lb}', 'monthly', at(2026, 12, 31, 23)).expireAtMs, at(2027, 2, 1));
  assert.deepEqual(['daily', 'weekly', 'monthly'].map((p) => tally.season('{lb}', p, 0).name), ['1970-01-01', '1970-W01', '1970-01']);

  // Keys: the same type back; the season's key is in the key's slot.
  const bytes = Uint8Array.from([0xff, 0x7b, 0x00, 0x7d]); // tag {\x00}
  const binary = tally.season(bytes, 'daily', now);
  assert.deepEqual(binary.key, Uint8Array.from([0xff, 0x7b, 0x00, 0x7d, ...new TextEncoder().encode(':2026-11-26')]));
  assert.equal(binary.name, '2026-11-26');
  for (const key of ['{lb}', 't:{x}:lb', '{{a}', 'é{x}']) {
    assert.equal(tally.hashSlot(tally.season(key, 'weekly', now).key), tally.hashSlot(key), key);
  }

  // A key without a hash tag has no seasons (`{lb}:<season>` is the key `{lb}`'s), with the server's text.
  for (const key of ['lb', 'a{b', '{', 'a}b', '{}x', 'a{}{b}', '']) {
    assert.throws(() => tally.season(key, 'daily', now), (e) => e instanceof TallyError && e.code === 'ERR' &&
      e.message === `ERR seasonal leaderboard '${key}' needs a hash tag like {id} in its name: tally keeps its companion keys beside it`);
  }
  assert.throws(() => tally.season(Uint8Array.from([0x7d, 0]), 'daily', now),
    /^TallyError: ERR seasonal leaderboard '}\\x00' needs a hash tag like \{id\}/);

  // Inputs no server receives.
  for (const period of ['yearly', '', ' daily', 'SEASON', 'constructor', 0, null, undefined, ['daily']]) {
    assert.throws(() => tally.season('{lb}', period, now), TypeError, String(period));
  }
  for (const nowMs of ['1', null, {}]) {
    assert.throws(() => tally.season('{lb}', 'daily', nowMs), TypeError, String(nowMs));
  }
  for (const nowMs of [0.5, -1, NaN, Infinity, 2 ** 53, 2n ** 53n, Number.MAX_SAFE_INTEGER]) {
    assert.throws(() => tally.season('{lb}', 'daily', nowMs), RangeError, String(nowMs));
  }
  assert.throws(() => tally.season(undefined, 'daily', now), TypeError);
  assert.throws(() => tally.season({}, 'daily', now), TypeError);

  // nowMs defaults to the local clock.
  const before = new Date().toISOString().slice(0, 10);
  const today = tallyModule.season('{lb}', 'daily').name;
  assert.ok([before, new Date().toISOString().slice(0, 10)].includes(today), today);
});

test('season: names and expiries agree with JavaScript dates from 1970 to 9999', async () => {
  const tally = await load();
  const DAY = 86_400_000;
  // ISO 8601 week of a UTC day: the week of its Thursday, numbered in the Thursday's year.
  const isoWeek = (date) => {
    const monday = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()) - ((date.getUTCDay() + 6) % 7) * DAY;
    const thursday = new Date(monday + 3 * DAY);
    const year = thursday.getUTCFullYear();
    const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1;
    return { name: `${year}-W${String(week).padStart(2, '0')}`, expireAtMs: monday + 14 * DAY };
  };
  let x = 0x2545f491;
  const random = () => {
    // xorshift32: a fixed sequence, so a failure reproduces.
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const last = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  for (let i = 0; i < 3000; i++) {
    let nowMs = Math.floor(random() * last);
    if (i % 3 === 0) nowMs = nowMs - (nowMs % DAY) - (i % 2); // the last ms of a day or midnight
    const date = new Date(nowMs);
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
    const what = date.toISOString();
    const daily = tally.season('k{t}', 'daily', nowMs);
    assert.deepEqual(daily, { key: `k{t}:${what.slice(0, 10)}`, name: what.slice(0, 10), expireAtMs: Date.UTC(y, m, d + 2) }, what);
    const weekly = tally.season('k{t}', 'weekly', nowMs);
    const week = isoWeek(date);
    assert.deepEqual(weekly, { key: `k{t}:${week.name}`, ...week }, what);
    const monthly = tally.season('k{t}', 'monthly', nowMs);
    assert.deepEqual(monthly, { key: `k{t}:${what.slice(0, 7)}`, name: what.slice(0, 7), expireAtMs: Date.UTC(y, m + 2, 1) }, what);
  }
});

test('calls free what they allocate: memory stops growing', async () => {
  const tally = await load();
  const memory = tally.exports.memory;
  const log = Array.from({ length: 500 }, (_, i) => NOW - i);
  const round = () => {
    for (let i = 0; i < 2000; i++) {
      tally.slide({ nowMs: NOW, windowMs: 60000, max: 1000, log });
      tally.validateKeys(['a{1}', 'b{1}', 'c{1}']);
      tally.season('{lb}', 'weekly', NOW);
      try {
        tally.gcra({ nowMs: NOW, burst: 1, count: 1, periodMs: 0 });
      } catch {}
    }
  };
  round();
  const size = memory.buffer.byteLength;
  round();
  round();
  assert.equal(memory.buffer.byteLength, size);
});

test('a log of 100000 entries (the default tally.limit-max-log)', async () => {
  const tally = await load();
  const log = Array.from({ length: 99999 }, (_, i) => NOW - (i % 60000));
  const out = tally.slide({ nowMs: NOW, windowMs: 60000, max: 100000, log });
  assert.deepEqual(out.reply, [1, 100000, 0, 0, 60000]);
  assert.equal(out.log.length, 100000);
  assert.ok(out.log.every((t, i) => i === 0 || out.log[i - 1] <= t), 'sorted');
  const full = tally.slide({ nowMs: NOW, windowMs: 60000, max: 100000, log: out.log });
  assert.equal(full.allowed, false);
  assert.equal(full.retryAfterMs, 1);
});
