import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RESP_TYPES } from 'redis';
import { connectClient, rejectsWith, Server, type TestClient } from './harness.js';

const ID = /^\d+-\d+$/;
/** The AUDIT.INFO fields of a stream AUDIT.CREATE never gave settings. */
const UNCREATED = { mode: '=', onFull: 'trim', chain: false, remaining: null } as const;

let server: Server;
before(async () => {
  server = await Server.start();
});
after(async () => {
  await server?.stop();
});

for (const RESP of [2, 3] as const) {
  describe(`AUDIT over RESP${RESP}`, () => {
    let client: TestClient;
    const k = (name: string) => `r${RESP}:{${name}}:audit`;

    before(async () => {
      client = connectClient(server.port, RESP);
      await client.connect();
      await client.set(k('string'), 'abc');
    });
    after(() => client?.destroy());

    test('auditAppend returns the new ID; fields are a record', async () => {
      const key = k('append');
      const id = await client.tally.auditAppend(key, { action: 'add', item_id: 'sku-1', quantity: 7 });
      assert.equal(typeof id, 'string');
      assert.match(id, ID);
      const second = await client.tally.auditAppend(key, { blob: Buffer.from('bytes') });
      assert.match(second, ID);
      const entries = await client.xRange(key, '-', '+');
      assert.deepEqual(entries, [
        { id, message: { action: 'add', item_id: 'sku-1', quantity: '7' } },
        { id: second, message: { blob: 'bytes' } }
      ]);
    });

    test('auditAppend with maxLen keeps the stream capped exactly', async () => {
      const key = k('capped');
      const ids: Array<string> = [];
      for (let i = 0; i < 4; i++) ids.push(await client.tally.auditAppend(key, { i }, { maxLen: 2 }));
      assert.equal(await client.xLen(key), 2);
      const info = await client.tally.auditInfo(key);
      assert.deepEqual(info, {
        length: 2,
        cap: 10000,
        retentionMs: 0,
        firstEntryId: ids[2],
        lastEntryId: ids[3],
        entriesAdded: 4,
        groups: [],
        ...UNCREATED
      });
    });

    test('auditAppend with idempotent {producer, seq} appends each seq once', async () => {
      const key = k('idem');
      const first = await client.tally.auditAppend(key, { n: 1 }, { idempotent: { producer: 'p1', seq: 1 } });
      const again = await client.tally.auditAppend(key, { n: 1 }, { idempotent: { producer: 'p1', seq: 1 } });
      assert.equal(again, first);
      assert.equal(await client.xLen(key), 1);
      const next = await client.tally.auditAppend(key, { n: 2 }, { maxLen: 100, idempotent: { producer: 'p1', seq: 2n } });
      assert.notEqual(next, first);
      assert.equal(await client.xLen(key), 2);
      // The producer's state lives next to the stream (same slot, thanks to the hash tag).
      assert.equal(await client.hGet(`${key}:producers`, 'p1'), `2 ${next}`);
      const big = await client.tally.auditAppend(key, { n: 3 }, {
        idempotent: { producer: 'p2', seq: '9223372036854775807' }
      });
      assert.match(big, ID);
      await rejectsWith(
        client.tally.auditAppend(key, { n: 0 }, { idempotent: { producer: 'p1', seq: 1 } }),
        "ERR sequence 1 is below the producer's last accepted sequence 2"
      );
      assert.equal(await client.xLen(key), 3);
    });

    test('auditGroup creates a group once; auditInfo reports it', async () => {
      const key = k('groups');
      assert.equal(await client.tally.auditGroup(key, 'workers'), 'OK');
      assert.equal(await client.tally.auditGroup(key, 'workers'), 'OK');
      const empty = await client.tally.auditInfo(key);
      assert.deepEqual(empty, {
        length: 0,
        cap: 10000,
        retentionMs: 0,
        firstEntryId: null,
        lastEntryId: null,
        entriesAdded: 0,
        groups: [{ name: 'workers', consumers: 0, pending: 0, lag: 0 }],
        ...UNCREATED
      });
      const a = await client.tally.auditAppend(key, { n: 1 });
      const b = await client.tally.auditAppend(key, { n: 2 });
      assert.equal(await client.tally.auditGroup(key, 'replay', { start: '0' }), 'OK');
      const read = await client.xReadGroup('workers', 'w1', { key, id: '>' }, { COUNT: 1 });
      assert.deepEqual(
        read?.[0]?.messages.map((m: { id: string }) => m.id),
        [a]
      );
      const info = await client.tally.auditInfo(key);
      assert.deepEqual(info, {
        length: 2,
        cap: 10000,
        retentionMs: 0,
        firstEntryId: a,
        lastEntryId: b,
        entriesAdded: 2,
        groups: [
          { name: 'replay', consumers: 0, pending: 0, lag: 2 },
          { name: 'workers', consumers: 1, pending: 1, lag: 1 }
        ],
        ...UNCREATED
      });
    });

    test('auditInfo is null for a missing key and parses every map shape', async () => {
      assert.equal(await client.tally.auditInfo(k('missing')), null);
      const key = k('shapes');
      const id = await client.tally.auditAppend(key, { n: 1 });
      await client.tally.auditGroup(key, 'g', { start: '0' });
      const want = {
        length: 1,
        cap: 10000,
        retentionMs: 0,
        firstEntryId: id,
        lastEntryId: id,
        entriesAdded: 1,
        groups: [{ name: 'g', consumers: 0, pending: 0, lag: 1 }],
        ...UNCREATED
      };
      for (const MAP of [Map, Array] as const) {
        const mapped = client.withTypeMapping({
          [RESP_TYPES.MAP]: MAP,
          [RESP_TYPES.BLOB_STRING]: Buffer,
          [RESP_TYPES.NUMBER]: String
        });
        assert.deepEqual(await mapped.tally.auditInfo(key), want, `MAP: ${MAP.name}`);
        assert.equal(await mapped.tally.auditAppend(k('mapped'), { n: 1 }, { idempotent: { producer: 'p', seq: 1 } }),
          await client.tally.auditAppend(k('mapped'), { n: 1 }, { idempotent: { producer: 'p', seq: 1 } }));
      }
    });

    test('auditInfo reports the server configuration', async () => {
      const key = k('config');
      await client.tally.auditAppend(key, { n: 1 });
      try {
        await client.configSet({ 'tally.audit-max-len': '5', 'tally.audit-retention-ms': '86400000' });
        const info = await client.tally.auditInfo(key);
        assert.equal(info?.cap, 5);
        assert.equal(info?.retentionMs, 86_400_000);
      } finally {
        await client.configSet({ 'tally.audit-max-len': '10000', 'tally.audit-retention-ms': '0' });
      }
    });

    test('auditCreate gives a stream its settings; REFUSE rejects with FULL instead of trimming', async () => {
      const key = k('refuse');
      assert.equal(await client.tally.auditCreate(key, { maxLen: 2, onFull: 'REFUSE' }), 'OK');
      assert.equal(await client.tally.auditCreate(key, { maxLen: { n: 2 }, onFull: 'REFUSE' }), 'OK');
      await client.tally.auditGroup(key, 'g', { start: '0' });
      const first = await client.tally.auditAppend(key, { n: 1 });
      await client.tally.auditAppend(key, { n: 2 });
      assert.equal((await client.tally.auditInfo(key))?.remaining, 0);
      await rejectsWith(
        client.tally.auditAppend(key, { n: 3 }),
        "FULL audit log 'r" + RESP + ":{refuse}:audit' is full: consumer group 'g' has not acknowledged the oldest entry"
      );
      await client.xReadGroup('g', 'w', { key, id: '>' }, { COUNT: 1 });
      await client.xAck(key, 'g', first);
      const info = await client.tally.auditInfo(key);
      assert.deepEqual([info?.cap, info?.mode, info?.onFull, info?.chain, info?.remaining], [2, '=', 'refuse', false, 1]);
      assert.match(await client.tally.auditAppend(key, { n: 3 }), ID);
      await rejectsWith(
        client.tally.auditCreate(key, { maxLen: 3 }),
        "ERR audit log 'r" + RESP + ":{refuse}:audit' already exists with other settings (AUDIT.INFO shows them)"
      );
      const approx = k('approx');
      assert.equal(await client.tally.auditCreate(approx, { maxLen: { n: 100, approx: true }, retentionMs: 0 }), 'OK');
      assert.equal((await client.tally.auditInfo(approx)), null);
      await client.tally.auditAppend(approx, { n: 1 }, { maxLen: { n: 50, approx: true } });
      assert.equal((await client.tally.auditInfo(approx))?.mode, '~');
    });

    test('auditVerify and auditDigest check a chained stream, also with the wasm verifyChain', async () => {
      const key = k('chain');
      assert.equal(await client.tally.auditCreate(key, { chain: true }), 'OK');
      for (let i = 0; i < 5; i++) await client.tally.auditAppend(key, { action: 'pay', amount: i });
      const digest = await client.tally.auditDigest(key);
      assert.equal(digest.length, 5);
      assert.match(digest.lastHash ?? '', /^[0-9a-f]{64}$/);
      assert.deepEqual(await client.tally.auditVerify(key), {
        ok: true, checked: 5, firstBad: null, lastId: digest.lastId, lastHash: digest.lastHash
      });
      const page = await client.tally.auditVerify(key, { count: 2 });
      assert.equal(page.checked, 2);
      const rest = await client.tally.auditVerify(key, { from: { id: page.lastId!, hash: page.lastHash! } });
      assert.deepEqual([rest.ok, rest.checked, rest.lastId], [true, 3, digest.lastId]);
      // The same check offline, on the XRANGE dump, with the wasm build's verifyChain.
      const wasmUrl = new URL('../../../../wasm/pkg/tally.mjs', import.meta.url);
      const wasm = (await import(wasmUrl.href)) as {
        load: () => Promise<{ verifyChain: (entries: unknown, from?: unknown) => unknown }>;
      };
      const offline = await wasm.load();
      const dump = (await client.sendCommand(['XRANGE', key, '-', '+'])) as Array<[string, Array<string>]>;
      assert.deepEqual(offline.verifyChain(dump), { ok: true, checked: 5, firstBad: null, lastId: digest.lastId, lastHash: digest.lastHash });
      await client.xDel(key, dump[2][0]);
      assert.deepEqual((await client.tally.auditVerify(key)).firstBad, dump[3][0]);
      await rejectsWith(client.tally.auditVerify(k('refuse')), 'ERR the audit log is not chained (AUDIT.CREATE ... CHAIN)');
    });

    test('errors reject with the Redis error text', async () => {
      const key = k('errors');
      await rejectsWith(client.tally.auditAppend(key, {}), "ERR wrong number of arguments for 'audit.append' command");
      await rejectsWith(client.tally.auditAppend(key, { '': 'x' }), 'ERR field names must not be empty');
      await rejectsWith(
        client.tally.auditAppend(key, { a: 'x' }, { maxLen: 0 }),
        'ERR MAXLEN must be between 1 and 9223372036854775807'
      );
      await rejectsWith(
        client.tally.auditAppend(key, { a: 'x' }, { idempotent: { producer: '', seq: 1 } }),
        'ERR producer id must be 1 to 64 bytes'
      );
      await rejectsWith(
        client.tally.auditAppend(key, { a: 'x' }, { idempotent: { producer: 'p', seq: -1 } }),
        'ERR sequence must be between 0 and 9223372036854775807'
      );
      await rejectsWith(client.tally.auditGroup(key, ''), 'ERR group name must not be empty');
      await rejectsWith(
        client.tally.auditGroup(key, 'g', { start: 'not-an-id' }),
        'ERR Invalid stream ID specified as stream command argument'
      );
      const wrongType = 'WRONGTYPE Operation against a key holding the wrong kind of value';
      await rejectsWith(client.tally.auditAppend(k('string'), { a: 'x' }), wrongType);
      await rejectsWith(client.tally.auditInfo(k('string')), wrongType);
      await rejectsWith(client.tally.auditGroup(k('string'), 'g'), wrongType);
      // Nothing was written by any of the failed calls.
      assert.equal(await client.exists(key), 0);
      assert.equal(await client.get(k('string')), 'abc');
    });
  });
}
