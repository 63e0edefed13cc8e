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
    'tally_abi_version', 'tally_acquire', 'tally_alloc', 'tally_around_window', 'tally_chain_link', 'tally_fixed', 'tally_format_score', 'tally_free', 'tally_gcra',
    'tally_hash_slot', 'tally_hash_tag', 'tally_lease_change', 'tally_limit_max_log_default', 'tally_multi', 'tally_page_ranks', 'tally_parse_score', 'tally_percentile',
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
  await assert.rejects(load(other), /ABI version 1, this wrapper speaks 4/);
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

test('shadow: a refusal of slide, multi or gcra is replied as allowed, nothing written', async () => {
  const tally = await load();
  // As under `tally.limit-shadow yes`: allowed 1, remaining 0, retry_after 0; limit and reset as refused.
  const log = [NOW - 10, NOW];
  const enforced = tally.slide({ nowMs: NOW, windowMs: 1000, max: 2, log });
  assert.deepEqual([enforced.reply, enforced.shadowed], [[0, 2, 0, 990, 1000], false]);
  const shadowed = tally.slide({ nowMs: NOW, windowMs: 1000, max: 2, log, shadow: true });
  assert.deepEqual(shadowed.reply, [1, 2, 0, 0, 1000]);
  assert.deepEqual([shadowed.allowed, shadowed.shadowed, shadowed.written, shadowed.expireAtMs], [true, true, false, null]);
  assert.deepEqual(shadowed.log, log);
  // An allowed call is the same with or without shadow mode.
  const allowed = tally.slide({ nowMs: NOW, windowMs: 1000, max: 3, log, shadow: true });
  assert.deepEqual([allowed.reply, allowed.shadowed, allowed.written], [[1, 3, 0, 0, 1000], false, true]);

  const multi = tally.multi({ nowMs: 100, shadow: true, windows: [{ windowMs: 1000, max: 5 }, { windowMs: 60000, max: 1, log: [10] }] });
  assert.deepEqual([multi.reply, multi.shadowed, multi.written], [[1, 1, 0, 0, 59910], true, false]);
  assert.deepEqual(multi.windows, [{ log: [], expireAtMs: null }, { log: [10], expireAtMs: null }]);

  const gcra = tally.gcra({ nowMs: 0, burst: 2, count: 10, periodMs: 1000, tatUs: '300000', shadow: true });
  assert.deepEqual([gcra.reply, gcra.shadowed, gcra.written, gcra.tatUs, gcra.expireAtMs], [[1, 3, 0, 0, 300], true, false, '300000', null]);
  const viaCommand = tally.command(['LIMIT.GCRA', '{k}', '2', '10', '1000'], { nowMs: 0, tatUs: '300000', shadow: true });
  assert.deepEqual([viaCommand.reply, viaCommand.shadowed], [[1, 3, 0, 0, 300], true]);
  const slideCommand = tally.command(['LIMIT.SLIDE', '{k}', '1000', '2'], { nowMs: NOW, logs: { '{k}': log }, shadow: true });
  assert.deepEqual([slideCommand.reply, slideCommand.logs, slideCommand.expireAtMs], [[1, 2, 0, 0, 1000], { '{k}': log }, {}]);
  // Errors are not shadowed.
  assert.throws(() => tally.gcra({ nowMs: 0, burst: 2, count: 0, periodMs: 1000, shadow: true }), TallyError);
});

test('fixed: a counter per window aligned to the epoch, kept as the string INCR leaves', async () => {
  const tally = await load();
  const call = (nowMs, count, expireAtMs, extra = {}) => tally.fixed({ periodMs: 1000, max: 2, nowMs, count, expireAtMs, ...extra });
  // 10500 is in the window [10000, 11000): 500 ms to its end.
  const first = call(10_500, null, null);
  assert.deepEqual([first.reply, first.written, first.count, first.expireAtMs], [[1, 2, 1, 0, 500], true, '1', 11_000]);
  const second = call(10_900, first.count, first.expireAtMs);
  assert.deepEqual([second.reply, second.count, second.expireAtMs], [[1, 2, 0, 0, 100], '2', 11_000]);
  const third = call(10_999, second.count, 11_000);
  assert.deepEqual([third.reply, third.written, third.shadowed, third.count, third.expireAtMs], [[0, 2, 0, 1, 1], false, false, '2', null]);
  // Shadow mode: told allowed, nothing remaining, nothing written.
  const shadowed = call(10_999, '2', 11_000, { shadow: true });
  assert.deepEqual([shadowed.reply, shadowed.allowed, shadowed.shadowed, shadowed.written, shadowed.count], [[1, 2, 0, 0, 1], true, true, false, '2']);
  // The next window starts afresh: a counter counts only for the window it expires with.
  const next = call(11_000, '2', 11_000);
  assert.deepEqual([next.reply, next.count, next.expireAtMs], [[1, 2, 1, 0, 1000], '1', 12_000]);
  for (const expireAtMs of [null, undefined, 12_000, 10_999]) {
    assert.deepEqual(call(10_500, '9', expireAtMs).reply, [1, 2, 1, 0, 500], String(expireAtMs));
  }
  // The count as a number, a bigint or bytes; kept as text when not written.
  for (const count of [2, 2n, new TextEncoder().encode('2')]) {
    const out = call(10_999, count, 11_000);
    assert.deepEqual([out.reply, out.count], [[0, 2, 0, 1, 1], '2']);
  }
  // UTC days: 23:00 is an hour before the window's end; COST 10 of 1000.
  const day = tally.fixed({ periodMs: 86_400_000, max: 1000, cost: 10, nowMs: Date.UTC(2026, 0, 1, 23) });
  assert.deepEqual([day.reply, day.count, day.expireAtMs], [[1, 1000, 990, 0, 3_600_000], '10', Date.UTC(2026, 0, 2)]);
  // COST 0 peeks, even over a lower max than the count was written with.
  const peek = tally.fixed({ periodMs: 1000, max: 5, cost: 0, count: '7', expireAtMs: 1000, nowMs: 400 });
  assert.deepEqual([peek.reply, peek.written, peek.count], [[1, 5, 0, 0, 600], false, '7']);
  const costly = tally.fixed({ periodMs: 1000, max: 5, cost: 3, count: '3', expireAtMs: 1000, nowMs: 400 });
  assert.deepEqual(costly.reply, [0, 5, 2, 600, 600]);

  const refused = (options, text) => assert.throws(() => tally.fixed({ nowMs: 0, periodMs: 1000, max: 2, ...options }),
    (e) => e instanceof TallyError && e.message === text, text);
  const notCount = 'WRONGTYPE key holds a string that is not a LIMIT.FIXED count';
  for (const count of ['x', '-1', '1.5', '', ' 1', '01', '1'.repeat(21), '99999999999999999999']) refused({ count }, notCount);
  refused({ periodMs: 0 }, 'ERR period_ms must be between 1 and 31536000000');
  refused({ max: 0 }, 'ERR max must be between 1 and 1000000000');
  refused({ cost: 3 }, 'ERR cost must be between 0 and 2');
  refused({ key: 'plain', requireHashtag: true }, "ERR key 'plain' needs a hash tag like {id} so related keys share a cluster slot");
  assert.throws(() => tally.command(['LIMIT.FIXED', '{k}', '1000'], { nowMs: 0 }), /^TallyError: ERR wrong number of arguments for 'limit.fixed' command$/);
  assert.throws(() => tally.command(['LIMIT.FIXED', '{k}', '1000', '2', 'PRICE', '1'], { nowMs: 0 }), /^TallyError: ERR syntax error$/);
  assert.throws(() => tally.fixed({ periodMs: 1000, max: 2, nowMs: 0, count: '1', expireAtMs: 0.5 }), RangeError);
  assert.throws(() => tally.fixed({ periodMs: 1000, max: 2, nowMs: 0.5 }), RangeError);

  const viaCommand = tally.command(['limit.fixed', '{k}', '1000', '2', 'COST', '2'], { nowMs: 10_500, count: '0', expireAtMs: 11_000 });
  assert.deepEqual([viaCommand.reply, viaCommand.count, viaCommand.expireAtMs], [[1, 2, 0, 0, 500], '2', 11_000]);
  const shadowCommand = tally.command(['limit.fixed', '{k}', '1000', '2'], { nowMs: 10_500, count: '2', expireAtMs: 11_000, shadow: true });
  assert.deepEqual([shadowCommand.reply, shadowCommand.shadowed], [[1, 2, 0, 0, 500], true]);
});

test('acquire: leases the caller keeps, ended ones dropped, a held token renewed', async () => {
  const tally = await load();
  const first = tally.acquire({ max: 2, leaseMs: 500, token: 'w1', nowMs: 1000 });
  assert.deepEqual([first.reply, first.acquired, first.written, first.leases, first.expireAtMs],
    [[1, 2, 1, 0, 'w1'], true, true, { w1: 1500 }, 1500]);
  const second = tally.acquire({ max: 2, leaseMs: 500, token: 'w2', nowMs: 1100, leases: first.leases });
  assert.deepEqual([second.reply, second.leases, second.expireAtMs], [[1, 2, 0, 0, 'w2'], { w1: 1500, w2: 1600 }, 1600]);
  // Full: retry when the earliest lease ends (1500 - 1200).
  const full = tally.acquire({ max: 2, leaseMs: 500, token: 'w3', nowMs: 1200, leases: second.leases });
  assert.deepEqual([full.reply, full.acquired, full.token, full.written, full.shadowed, full.leases, full.expireAtMs],
    [[0, 2, 0, 300, null], false, null, false, false, { w1: 1500, w2: 1600 }, 1600]);
  // Shadow mode: told acquired with the token, nothing stored.
  const shadowed = tally.acquire({ max: 2, leaseMs: 500, token: 'w3', nowMs: 1200, leases: second.leases, shadow: true });
  assert.deepEqual([shadowed.reply, shadowed.shadowed, shadowed.written, shadowed.leases], [[1, 2, 0, 0, 'w3'], true, false, { w1: 1500, w2: 1600 }]);
  // A held token renews its lease rather than taking a second slot; leases in the server's order (by end).
  const renewed = tally.acquire({ max: 2, leaseMs: 500, token: 'w1', nowMs: 1200, leases: second.leases });
  assert.deepEqual([renewed.reply, Object.entries(renewed.leases), renewed.expireAtMs], [[1, 2, 0, 0, 'w1'], [['w2', 1600], ['w1', 1700]], 1700]);
  // A lease has ended at its end: at 1600 both have, and the key is free again.
  const later = tally.acquire({ max: 2, leaseMs: 500, token: 'w3', nowMs: 1600, leases: second.leases });
  assert.deepEqual([later.reply, later.leases], [[1, 2, 1, 0, 'w3'], { w3: 2100 }]);
  // A max lowered below the leases held refuses and reports nothing remaining.
  const lowered = tally.acquire({ max: 1, leaseMs: 500, token: 'x', nowMs: 1200, leases: second.leases });
  assert.deepEqual(lowered.reply, [0, 1, 0, 300, null]);

  // Leases as a Map or [token, end] pairs come back as the same kind; bytes stay bytes.
  const bytes = Uint8Array.from([0xff, 0x00]);
  const map = tally.acquire({ max: 3, leaseMs: 100, token: bytes, nowMs: 0, leases: new Map([['a', 50], ['b', 0]]) });
  assert.deepEqual([map.reply, map.leases], [[1, 3, 1, 0, bytes], new Map([['a', 50], [bytes, 100]])]);
  assert.equal(map.token, bytes);
  const pairs = tally.acquire({ max: 3, leaseMs: 100, token: 'c', nowMs: 0, leases: [['b', 100], ['a', 100]] });
  assert.deepEqual(pairs.leases, [['a', 100], ['b', 100], ['c', 100]]);
  assert.equal(tally.acquire({ max: 1, leaseMs: 100, token: 42, nowMs: 0 }).token, '42');

  const refused = (options, text) => assert.throws(() => tally.acquire({ nowMs: 0, max: 2, leaseMs: 100, token: 't', ...options }),
    (e) => e instanceof TallyError && e.message === text, text);
  refused({ max: 0 }, 'ERR max must be between 1 and 100000');
  refused({ max: 6, maxLog: 5 }, 'ERR max must be between 1 and 5');
  refused({ leaseMs: 0 }, 'ERR lease_ms must be between 1 and 31536000000');
  refused({ leaseMs: 1.5 }, 'ERR value is not an integer or out of range');
  refused({ token: '' }, 'ERR token must not be empty');
  refused({ token: 'x'.repeat(257) }, 'ERR token is longer than 256 bytes');
  refused({ key: 'plain', requireHashtag: true }, "ERR key 'plain' needs a hash tag like {id} so related keys share a cluster slot");
  assert.throws(() => tally.command(['LIMIT.ACQUIRE', '{k}', '1', '1', 'TOKENS', 'a'], { nowMs: 0 }), /^TallyError: ERR syntax error$/);
  assert.throws(() => tally.command(['LIMIT.ACQUIRE', '{k}', '1'], { nowMs: 0 }), /^TallyError: ERR wrong number of arguments for 'limit.acquire' command$/);
  assert.throws(() => tally.command(['LIMIT.ACQUIRE', '{k}', '1', '1', 'TOKEN'], { nowMs: 0 }), /^TallyError: ERR wrong number of arguments for 'limit.acquire' command$/);
  // Leases no sorted set holds are the caller's bugs.
  assert.throws(() => tally.acquire({ max: 2, leaseMs: 1, token: 't', nowMs: 0, leases: { a: NaN } }), RangeError);
  assert.throws(() => tally.acquire({ max: 2, leaseMs: 1, token: 't', nowMs: 0, leases: [['a', 5], ['a', 6]] }), /given twice/);
  assert.throws(() => tally.acquire({ max: 2, leaseMs: 1, token: 't', nowMs: 0, leases: { a: '5' } }), TypeError);
  assert.throws(() => tally.acquire({ max: 2, leaseMs: 1, token: 't', nowMs: 0, leases: 5 }), TypeError);
});

test('acquire without a token: made like the server makes one, or by makeToken', async () => {
  const tally = await load();
  const made = tally.acquire({ max: 2, leaseMs: 1000, nowMs: 0 });
  assert.match(made.token, /^[0-9a-f]{32}$/);
  assert.deepEqual([made.reply, made.leases], [[1, 2, 1, 0, made.token], { [made.token]: 1000 }]);
  // makeToken draws again while a lease of the key holds its token (ended ones too).
  const drawn = ['a', 'b', 'c'];
  const out = tally.acquire({ max: 3, leaseMs: 10, nowMs: 100, leases: { a: 200, b: 50 }, makeToken: () => drawn.shift() });
  assert.deepEqual([out.reply, out.leases, drawn], [[1, 3, 1, 0, 'c'], { a: 200, c: 110 }, []]);
  assert.throws(() => tally.acquire({ max: 3, leaseMs: 10, nowMs: 0, leases: { a: 200 }, makeToken: () => 'a' }), RangeError);
  // Refused: nil, nothing stored; under shadow mode the made token is replied but not stored.
  const full = tally.acquire({ max: 1, leaseMs: 10, nowMs: 100, leases: { a: 200 }, makeToken: () => 'z' });
  assert.deepEqual([full.reply, full.leases], [[0, 1, 0, 100, null], { a: 200 }]);
  const shadowed = tally.acquire({ max: 1, leaseMs: 10, nowMs: 100, leases: { a: 200 }, makeToken: () => 'z', shadow: true });
  assert.deepEqual([shadowed.reply, shadowed.shadowed, shadowed.written, shadowed.leases], [[1, 1, 0, 0, 'z'], true, false, { a: 200 }]);
  assert.throws(() => tally.acquire({ max: 1, leaseMs: 10, nowMs: 0, makeToken: () => '' }), RangeError);
  // command(): no TOKEN, a token is made; a TOKEN is used as given.
  const viaCommand = tally.command(['LIMIT.ACQUIRE', '{k}', '2', '1000'], { nowMs: 0, leases: new Map(), makeToken: () => 'm' });
  assert.deepEqual([viaCommand.reply, viaCommand.leases], [[1, 2, 1, 0, 'm'], new Map([['m', 1000]])]);
  const named = tally.command(['LIMIT.ACQUIRE', '{k}', '2', '1000', 'token', 'n'], { nowMs: 0, leases: { m: 1000 }, makeToken: () => assert.fail('not called') });
  assert.deepEqual([named.reply, named.leases], [[1, 2, 0, 0, 'n'], { m: 1000, n: 1000 }]);
});

test('release and renew: 1 for a live lease, 0 for an ended or unknown one', async () => {
  const tally = await load();
  const leases = { w1: 1500, w2: 1600 };
  const released = tally.release({ token: 'w1', leases, nowMs: 1000 });
  assert.deepEqual([released.reply, released.released, released.leases, released.expireAtMs], [1, true, { w2: 1600 }, 1600]);
  assert.deepEqual(leases, { w1: 1500, w2: 1600 }, 'the input is not changed');
  const ended = tally.release({ token: 'w1', leases, nowMs: 1500 });
  assert.deepEqual([ended.reply, ended.released, ended.leases], [0, false, { w2: 1600 }]);
  const last = tally.release({ token: 'w2', leases: { w2: 1600 }, nowMs: 1000 });
  assert.deepEqual([last.reply, last.leases, last.expireAtMs], [1, {}, null]);
  assert.deepEqual(tally.release({ token: 'x', nowMs: 0 }).reply, 0);

  const renewed = tally.renew({ token: 'w1', leaseMs: 1000, leases, nowMs: 1200 });
  assert.deepEqual([renewed.reply, renewed.renewed, Object.entries(renewed.leases), renewed.expireAtMs],
    [1, true, [['w2', 1600], ['w1', 2200]], 2200]);
  const late = tally.renew({ token: 'w1', leaseMs: 1000, leases, nowMs: 1500 });
  assert.deepEqual([late.reply, late.renewed, late.leases, late.expireAtMs], [0, false, { w2: 1600 }, 1600]);

  assert.throws(() => tally.release({ token: '', nowMs: 0 }), /^TallyError: ERR token must not be empty$/);
  assert.throws(() => tally.renew({ token: 't', leaseMs: -5, nowMs: 0 }), /^TallyError: ERR lease_ms must be between 1 and 31536000000$/);
  assert.throws(() => tally.release({ key: 'plain', token: 't', nowMs: 0, requireHashtag: true }), /needs a hash tag/);
  assert.throws(() => tally.release({ nowMs: 0 }), /token is required/);
  for (const argv of [['LIMIT.RELEASE', '{k}'], ['LIMIT.RELEASE', '{k}', 'a', 'b']]) {
    assert.throws(() => tally.command(argv, { nowMs: 0 }), /^TallyError: ERR wrong number of arguments for 'limit.release' command$/);
  }
  assert.throws(() => tally.command(['LIMIT.RENEW', '{k}', 't'], { nowMs: 0 }), /^TallyError: ERR wrong number of arguments for 'limit.renew' command$/);
  const viaCommand = tally.command(['limit.renew', '{k}', 'w2', '100'], { nowMs: 1000, leases: [['w1', 1500], ['w2', 1600]] });
  assert.deepEqual([viaCommand.reply, viaCommand.leases], [1, [['w2', 1100], ['w1', 1500]]]);
  assert.deepEqual(tally.command(['LIMIT.RELEASE', '{k}', 'w1'], { nowMs: 1000, leases }).leases, { w2: 1600 });
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
      tally.fixed({ nowMs: NOW, periodMs: 1000, max: 5, count: '1', expireAtMs: NOW + 1000 });
      tally.acquire({ nowMs: NOW, max: 5, leaseMs: 1000, leases: { a: NOW + 5, b: NOW - 5 } });
      tally.renew({ nowMs: NOW, token: 'a', leaseMs: 1000, leases: { a: NOW + 5 } });
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
