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
    'tally_abi_version', 'tally_alloc', 'tally_around_window', 'tally_format_score', 'tally_free', 'tally_gcra',
    'tally_hash_slot', 'tally_hash_tag', 'tally_multi', 'tally_page_ranks', 'tally_parse_score', 'tally_percentile',
    'tally_result_len', 'tally_result_ptr', 'tally_slide', 'tally_validate_keys',
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
  // A module whose only export, tally_abi_version, returns 2.
  const other = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x15, 0x01, 0x11, ...new TextEncoder().encode('tally_abi_version'), 0x00, 0x00,
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x02, 0x0b,
  ]);
  await assert.rejects(load(other), /ABI version 2, this wrapper speaks 1/);
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
  assert.equal(tally.formatScore(-0), '0');
  assert.equal(tally.parseScore('1e3'), 1000);
  assert.throws(() => tally.parseScore('inf'), /^TallyError: ERR value is not a valid float$/);
});

test('calls free what they allocate: memory stops growing', async () => {
  const tally = await load();
  const memory = tally.exports.memory;
  const log = Array.from({ length: 500 }, (_, i) => NOW - i);
  const round = () => {
    for (let i = 0; i < 2000; i++) {
      tally.slide({ nowMs: NOW, windowMs: 60000, max: 1000, log });
      tally.validateKeys(['a{1}', 'b{1}', 'c{1}']);
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
