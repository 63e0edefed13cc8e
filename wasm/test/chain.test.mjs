// The audit hash chain in the WebAssembly build, checked against an independent
// implementation of docs/audit.md's byte layout written here with node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { load } from '../pkg/tally.mjs';

const tally = await load(await readFile(new URL('../pkg/tally.wasm', import.meta.url)));

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** SHA-256 of prev (32 bytes) || ms u64be || seq u64be || per pair u32be len + bytes. */
function link(prevHex, id, fields) {
  const [ms, seq] = id.split('-').map(BigInt);
  const head = Buffer.alloc(16);
  head.writeBigUInt64BE(ms);
  head.writeBigUInt64BE(seq, 8);
  const hash = createHash('sha256');
  hash.update(prevHex ? Buffer.from(prevHex, 'hex') : Buffer.alloc(32));
  hash.update(head);
  for (const item of fields) {
    const bytes = Buffer.from(item);
    hash.update(u32(bytes.length));
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/** A chained dump as XRANGE returns it, with each entry's `chain` field last. */
function dump(n, startMs = 1700000000000) {
  const entries = [];
  let prev = null;
  for (let i = 0; i < n; i++) {
    const id = `${startMs + Math.floor(i / 2)}-${i % 2}`;
    const fields = ['action', i % 3 ? 'pay' : 'refund', 'amount', String(10 * i)];
    prev = link(prev, id, fields);
    entries.push([id, [...fields, 'chain', prev]]);
  }
  return entries;
}

test('chainLink follows the documented layout', () => {
  assert.equal(
    tally.chainLink(null, '1700000000000-0', ['action', 'pay', 'amount', '10']),
    'bb1c7bc71a262ce98e6976a32cadffdc427c76eb2925840e8c0eae4f97321b25',
  );
  for (const [id, fields] of dump(6)) {
    const prev = fields.at(-1);
    assert.equal(tally.chainLink(prev, id, ['k', 'v\u0000x', '', 'é']), link(prev, id, ['k', 'v\u0000x', '', 'é']));
  }
  assert.throws(() => tally.chainLink('xyz', '1-0', []), /^TallyError: ERR a chain hash is 64 hex digits$/);
  assert.throws(() => tally.chainLink(null, '1', []), /Invalid stream ID/);
  assert.throws(() => tally.chainLink(null, '1-0', ['odd']), /field\/value pairs/);
});

test('verifyChain accepts an intact dump and pages with from', () => {
  const entries = dump(10);
  const all = tally.verifyChain(entries);
  assert.deepEqual(all, { ok: true, checked: 10, firstBad: null, lastId: entries[9][0], lastHash: entries[9][1].at(-1) });
  const first = tally.verifyChain(entries.slice(0, 4));
  const rest = tally.verifyChain(entries.slice(4), { id: first.lastId, hash: first.lastHash });
  assert.deepEqual(rest, all === rest ? rest : { ...all, checked: 6 });
  // node-redis's message objects work too.
  const objects = entries.map(([id, fields]) => ({
    id,
    message: Object.fromEntries(fields.flatMap((f, i) => (i % 2 ? [] : [[f, fields[i + 1]]]))),
  }));
  assert.equal(tally.verifyChain(objects).ok, true);
  assert.deepEqual(tally.verifyChain([]), { ok: true, checked: 0, firstBad: null, lastId: null, lastHash: null });
});

test('verifyChain finds a deleted, edited, reordered or cut-off entry', () => {
  const entries = dump(6);
  const bad = (list, from) => tally.verifyChain(list, from).firstBad;
  assert.equal(bad([...entries.slice(0, 2), ...entries.slice(3)]), entries[3][0]);
  const edited = structuredClone(entries);
  edited[4][1][3] = '999';
  assert.equal(bad(edited), entries[4][0]);
  const reordered = structuredClone(entries);
  const [f, v, g, w, ...tail] = reordered[1][1];
  reordered[1][1] = [g, w, f, v, ...tail];
  assert.equal(bad(reordered), entries[1][0]);
  assert.equal(bad(entries.slice(2)), entries[2][0]);
  // Cut off, but checked from the anchor of what went: intact.
  assert.equal(bad(entries.slice(2), { id: entries[1][0], hash: entries[1][1].at(-1) }), null);
});
