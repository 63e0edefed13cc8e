// node-redis' cluster client routes every tally command by its key: three primaries with
// the module, keys spread over all of them, multi-key commands kept in one slot by hash tags.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, createCluster } from 'redis';
import tally from '@tally/redis';
import { Cluster, rejectsWith } from './harness.js';

let cluster: Cluster;
before(async () => {
  cluster = await Cluster.start(3);
});
after(async () => {
  await cluster?.stop();
});

/** A plain (non-cluster) connection to one node. */
async function nodeClient(port: number) {
  const client = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false } });
  await client.connect();
  return client;
}

function connectCluster(RESP: 2 | 3) {
  return createCluster({
    rootNodes: [{ url: `redis://127.0.0.1:${cluster.nodes[0]!.port}` }],
    defaults: { socket: { reconnectStrategy: false } },
    RESP,
    modules: { tally }
  });
}

for (const RESP of [2, 3] as const) {
  describe(`cluster over RESP${RESP}`, () => {
    let client: ReturnType<typeof connectCluster>;
    // One hash tag per primary: tag -> port of the primary that serves it.
    const owners = new Map<string, number>();

    before(async () => {
      client = connectCluster(RESP);
      await client.connect();
      const probe = await nodeClient(cluster.nodes[0]!.port);
      try {
        const taken = new Set<number>();
        for (let i = 0; owners.size < cluster.nodes.length && i < 1000; i++) {
          const tag = `r${RESP}t${i}`;
          const slot = Number(await probe.sendCommand(['CLUSTER', 'KEYSLOT', tag]));
          const port = client.slots[slot]!.master.port;
          if (!taken.has(port)) {
            taken.add(port);
            owners.set(tag, port);
          }
        }
      } finally {
        probe.destroy();
      }
      assert.equal(owners.size, 3, 'a hash tag on every primary');
    });
    after(async () => {
      await client?.close();
    });

    test('TOURNEY commands on keys across slots', async () => {
      for (const [tag, port] of owners) {
        const key = `lb:{${tag}}`;
        assert.deepEqual(await client.tally.tourneyIncr(key, 'a', 10), { score: 10, rank: 1 });
        assert.deepEqual(await client.tally.tourneySubmit(key, 'b', 12.5), { score: 12.5, rank: 1, updated: true });
        assert.deepEqual(await client.tally.tourneySubmit(key, 'c', 1, { mode: 'LATEST' }), {
          score: 1,
          rank: 3,
          updated: true
        });
        assert.equal(await client.tally.tourneyRank(key, 'a'), 2);
        assert.deepEqual(await client.tally.tourneyRankWithScore(key, 'a', { ties: 'COMPETITION' }), { rank: 2, score: 10 });
        assert.deepEqual(await client.tally.tourneyTop(key, 2), [
          { member: 'b', score: 12.5, rank: 1 },
          { member: 'a', score: 10, rank: 2 }
        ]);
        assert.deepEqual(
          (await client.tally.tourneyAround(key, 'c', 1))?.map((e) => e.member),
          ['b', 'a', 'c']
        );
        assert.equal(await client.tally.tourneyPercentile(key, 'a'), 200 / 3);
        assert.deepEqual(await client.tally.tourneyRanks(key, ['c', 'zz', 'a']), [
          { member: 'a', score: 10, rank: 2 },
          { member: 'c', score: 1, rank: 3 }
        ]);
        assert.equal(await client.tally.tourneyRem(key, ['c', 'zz']), 1);
        // The data lives on the primary that serves the slot.
        const owner = await nodeClient(port);
        try {
          assert.deepEqual(await owner.zRangeWithScores(key, 0, -1), [
            { value: 'a', score: 10 },
            { value: 'b', score: 12.5 }
          ]);
        } finally {
          owner.destroy();
        }
      }
    });

    test('tournaments keep their companion keys in the leaderboard slot', async () => {
      for (const [tag, port] of owners) {
        const key = `cup:{${tag}}`;
        assert.equal(await client.tally.tourneyCreate(key, { tiebreak: 'FIRST', ties: 'DENSE' }), 'OK');
        assert.deepEqual(await client.tally.tourneySubmit(key, 'bob', 40), { score: 40, rank: 1, updated: true });
        assert.deepEqual(await client.tally.tourneySubmit(key, 'carol', 40), { score: 40, rank: 1, updated: true });
        assert.deepEqual(await client.tally.tourneySubmit(key, 'dave', 30, { data: 'Dave' }), {
          score: 30,
          rank: 2,
          updated: true
        });
        assert.deepEqual(
          (await client.tally.tourneyTop(key, 3, { ties: 'ORDINAL' })).map((e) => [e.member, e.rank]),
          [
            ['bob', 1],
            ['carol', 2],
            ['dave', 3]
          ]
        );
        assert.deepEqual(await client.tally.tourneyRanksWithData(key, ['dave', 'bob']), [
          { member: 'bob', score: 40, rank: 1, data: null },
          { member: 'dave', score: 30, rank: 2, data: 'Dave' }
        ]);
        assert.deepEqual(await client.tally.tourneyInfo(key), {
          created: true,
          tiebreak: 'FIRST',
          ties: 'DENSE',
          expireAt: null,
          members: 3,
          top: 40,
          bottom: 30,
          order: 'DESC'
        });
        // Every key of the tournament lives on the primary that serves the leaderboard.
        const owner = await nodeClient(port);
        try {
          const names = [key, `${key}:tourney`, `${key}:arrival`, `${key}:order`, `${key}:dense`, `${key}:data`];
          assert.equal(await owner.exists(names), names.length);
        } finally {
          owner.destroy();
        }
      }
    });

    test('LIMIT commands on keys across slots, multi-key within a hash tag', async () => {
      for (const [tag, port] of owners) {
        const slide = await client.tally.limitSlide(`rl:{${tag}}:slide`, 60_000, 2);
        assert.deepEqual([slide.allowed, slide.limit, slide.remaining, slide.retryAfterMs], [true, 2, 1, 0]);
        const gcra = await client.tally.limitGcra(`rl:{${tag}}:gcra`, 1, 1, 3_600_000);
        assert.deepEqual([gcra.allowed, gcra.limit, gcra.remaining, gcra.retryAfterMs], [true, 2, 1, 0]);
        const windows = [
          { key: `rl:{${tag}}:minute`, windowMs: 60_000, max: 10 },
          { key: `rl:{${tag}}:hour`, windowMs: 3_600_000, max: 1 }
        ];
        const first = await client.tally.limitMulti(windows);
        assert.deepEqual([first.allowed, first.limit, first.remaining], [true, 1, 0]);
        const second = await client.tally.limitMulti(windows);
        assert.deepEqual([second.allowed, second.limit, second.remaining], [false, 1, 0]);
        assert.ok(second.retryAfterMs > 3_590_000 && second.retryAfterMs <= 3_600_000, String(second.retryAfterMs));
        const fixed = await client.tally.limitFixed(`rl:{${tag}}:day`, 86_400_000, 2);
        assert.deepEqual([fixed.allowed, fixed.limit, fixed.remaining, fixed.retryAfterMs], [true, 2, 1, 0]);
        const lease = await client.tally.limitAcquire(`rl:{${tag}}:lease`, 1, 60_000);
        assert.deepEqual([lease.acquired, lease.limit, lease.remaining], [true, 1, 0]);
        assert.match(lease.token ?? '', /^[0-9a-f]{32}$/);
        assert.equal(await client.tally.limitRenew(`rl:{${tag}}:lease`, lease.token!, 60_000), true);
        // Every key went to the primary that serves its tag.
        const owner = await nodeClient(port);
        try {
          assert.equal(await owner.zCard(`rl:{${tag}}:minute`), 1);
          assert.equal(await owner.get(`rl:{${tag}}:day`), '1');
          assert.equal(await owner.zCard(`rl:{${tag}}:lease`), 1);
        } finally {
          owner.destroy();
        }
        assert.equal(await client.tally.limitRelease(`rl:{${tag}}:lease`, lease.token!), true);
        assert.equal(
          await client.tally.limitReset([
            `rl:{${tag}}:slide`,
            `rl:{${tag}}:gcra`,
            `rl:{${tag}}:minute`,
            `rl:{${tag}}:hour`,
            `rl:{${tag}}:day`
          ]),
          5
        );
      }
    });

    test('AUDIT commands on keys across slots', async () => {
      for (const [tag, port] of owners) {
        const key = `audit:{${tag}}`;
        assert.equal(await client.tally.auditGroup(key, 'workers', { start: '0' }), 'OK');
        const id = await client.tally.auditAppend(key, { op: 'add', qty: 1 }, {
          maxLen: 10,
          idempotent: { producer: 'p', seq: 1 }
        });
        assert.equal(await client.tally.auditAppend(key, { op: 'add', qty: 1 }, { idempotent: { producer: 'p', seq: 1 } }), id);
        assert.deepEqual(await client.tally.auditInfo(key), {
          length: 1,
          cap: 10000,
          retentionMs: 0,
          firstEntryId: id,
          lastEntryId: id,
          entriesAdded: 1,
          groups: [{ name: 'workers', consumers: 0, pending: 0, lag: 1 }],
          mode: '=',
          onFull: 'trim',
          chain: false,
          remaining: null
        });
        const owner = await nodeClient(port);
        try {
          assert.equal(await owner.hGet(`${key}:producers`, 'p'), `1 ${id}`);
        } finally {
          owner.destroy();
        }
      }
    });

    test('cluster errors reach the caller', async () => {
      const [tagA, tagB] = [...owners.keys()];
      await rejectsWith(
        client.tally.tourneyIncr('untagged', 'a', 1),
        "ERR key 'untagged' needs a hash tag like {id} so related keys share a cluster slot"
      );
      await rejectsWith(
        client.tally.limitMulti([
          { key: `rl:{${tagA}}`, windowMs: 1000, max: 1 },
          { key: `rl:{${tagB}}`, windowMs: 1000, max: 1 }
        ]),
        "CROSSSLOT Keys in request don't hash to the same slot"
      );
      await rejectsWith(client.tally.tourneyTop(`lb:{${tagA}}`, 0), 'ERR count must be between 1 and 1000');
      await rejectsWith(
        client.tally.tourneyCreate('untagged', { tiebreak: 'FIRST' }),
        "ERR key 'untagged' needs a hash tag like {id} so related keys share a cluster slot"
      );
    });
  });
}
