import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RESP_TYPES } from 'redis';
import { connectClient, rejectsWith, Server, type TestClient } from './harness.js';

let server: Server;
before(async () => {
  server = await Server.start();
});
after(async () => {
  await server?.stop();
});

for (const RESP of [2, 3] as const) {
  describe(`TOURNEY over RESP${RESP}`, () => {
    let client: TestClient;
    const k = (name: string) => `r${RESP}:{${name}}`;

    before(async () => {
      client = connectClient(server.port, RESP);
      await client.connect();
      // x and y tie on 10: ORDINAL ranks them by member bytes, reversed (y before x).
      const board = k('board');
      await client.zAdd(board, [
        { value: 'w', score: 20 },
        { value: 'x', score: 10 },
        { value: 'y', score: 10 },
        { value: 'z', score: 5 }
      ]);
      await client.set(k('string'), 'not a sorted set');
    });
    after(() => client?.destroy());

    test('tourneyIncr returns the score and rank after the increment', async () => {
      const key = k('incr');
      assert.deepEqual(await client.tally.tourneyIncr(key, 'a', 10), { score: 10, rank: 1 });
      assert.deepEqual(await client.tally.tourneyIncr(key, 'b', 20.5), { score: 20.5, rank: 1 });
      assert.deepEqual(await client.tally.tourneyIncr(key, 'a', -3), { score: 7, rank: 2 });
      // Full double precision survives both the RESP2 bulk string and the RESP3 double.
      await client.tally.tourneyIncr(key, 'c', 0.1);
      assert.deepEqual(await client.tally.tourneyIncr(key, 'c', 0.2), { score: 0.1 + 0.2, rank: 3 });
      assert.deepEqual(await client.tally.tourneyIncr(key, 'd', -1e300), { score: -1e300, rank: 4 });
      assert.equal(await client.zScore(key, 'a'), 7);
    });

    test('tourneySubmit keeps the best by default and sets with LATEST', async () => {
      const key = k('submit');
      assert.deepEqual(await client.tally.tourneySubmit(key, 'c', 5), { score: 5, rank: 1, updated: true });
      assert.deepEqual(await client.tally.tourneySubmit(key, 'c', 3), { score: 5, rank: 1, updated: false });
      assert.deepEqual(await client.tally.tourneySubmit(key, 'd', 4, { mode: 'BEST' }), {
        score: 4,
        rank: 2,
        updated: true
      });
      assert.deepEqual(await client.tally.tourneySubmit(key, 'c', 3, { mode: 'LATEST' }), {
        score: 3,
        rank: 2,
        updated: true
      });
      assert.deepEqual(await client.tally.tourneySubmit(key, 'c', 3, { mode: 'LATEST' }), {
        score: 3,
        rank: 2,
        updated: false
      });
    });

    test('tourneyRank with ORDINAL and COMPETITION ties, null when absent', async () => {
      const board = k('board');
      assert.equal(await client.tally.tourneyRank(board, 'w'), 1);
      assert.equal(await client.tally.tourneyRank(board, 'y'), 2);
      assert.equal(await client.tally.tourneyRank(board, 'x'), 3);
      assert.equal(await client.tally.tourneyRank(board, 'x', { ties: 'ORDINAL' }), 3);
      assert.equal(await client.tally.tourneyRank(board, 'x', { ties: 'COMPETITION' }), 2);
      assert.equal(await client.tally.tourneyRank(board, 'z', { ties: 'COMPETITION' }), 4);
      assert.equal(await client.tally.tourneyRank(board, 'nobody'), null);
      assert.equal(await client.tally.tourneyRank(k('missing'), 'w'), null);
    });

    test('tourneyRankWithScore returns { rank, score }, null when absent', async () => {
      const board = k('board');
      assert.deepEqual(await client.tally.tourneyRankWithScore(board, 'x'), { rank: 3, score: 10 });
      assert.deepEqual(await client.tally.tourneyRankWithScore(board, 'x', { ties: 'COMPETITION' }), {
        rank: 2,
        score: 10
      });
      assert.equal(await client.tally.tourneyRankWithScore(board, 'nobody'), null);
    });

    test('tourneyTop lists members best first, with OFFSET and TIES', async () => {
      const board = k('board');
      assert.deepEqual(await client.tally.tourneyTop(board, 3), [
        { member: 'w', score: 20, rank: 1 },
        { member: 'y', score: 10, rank: 2 },
        { member: 'x', score: 10, rank: 3 }
      ]);
      assert.deepEqual(await client.tally.tourneyTop(board, 2, { offset: 1, ties: 'COMPETITION' }), [
        { member: 'y', score: 10, rank: 2 },
        { member: 'x', score: 10, rank: 2 }
      ]);
      assert.deepEqual(await client.tally.tourneyTop(board, 10, { offset: 4 }), []);
      assert.deepEqual(await client.tally.tourneyTop(k('missing'), 10), []);
    });

    test('tourneyAround stays inside the board, null when absent', async () => {
      const board = k('board');
      assert.deepEqual(await client.tally.tourneyAround(board, 'z', 1), [
        { member: 'y', score: 10, rank: 2 },
        { member: 'x', score: 10, rank: 3 },
        { member: 'z', score: 5, rank: 4 }
      ]);
      assert.deepEqual(await client.tally.tourneyAround(board, 'y', 0, { ties: 'COMPETITION' }), [
        { member: 'y', score: 10, rank: 2 }
      ]);
      assert.equal(await client.tally.tourneyAround(board, 'nobody', 2), null);
      assert.equal(await client.tally.tourneyAround(k('missing'), 'w', 2), null);
    });

    test('tourneyPercentile is a number, null when absent', async () => {
      const board = k('board');
      assert.equal(await client.tally.tourneyPercentile(board, 'z'), 25);
      assert.equal(await client.tally.tourneyPercentile(board, 'x'), 75);
      assert.equal(await client.tally.tourneyPercentile(board, 'w'), 100);
      assert.equal(await client.tally.tourneyPercentile(board, 'nobody'), null);
      await client.tally.tourneyIncr(k('third'), 'a', 1);
      await client.tally.tourneyIncr(k('third'), 'b', 2);
      await client.tally.tourneyIncr(k('third'), 'c', 3);
      assert.equal(await client.tally.tourneyPercentile(k('third'), 'a'), 100 / 3);
    });

    test('tourneyRem takes one member or many and counts the removed', async () => {
      const key = k('rem');
      await client.tally.tourneyIncr(key, 'a', 1);
      await client.tally.tourneyIncr(key, 'b', 2);
      await client.tally.tourneyIncr(key, 'c', 3);
      assert.equal(await client.tally.tourneyRem(key, ['a', 'nobody']), 1);
      assert.equal(await client.tally.tourneyRem(key, 'b'), 1);
      assert.equal(await client.tally.tourneyRem(key, 'b'), 0);
      assert.deepEqual(await client.zRange(key, 0, -1), ['c']);
    });

    test('Buffer members round-trip; a Buffer type mapping gives Buffer members', async () => {
      const key = k('binary');
      const member = Buffer.from([0, 0xff, 0x10, 0x80]);
      assert.deepEqual(await client.tally.tourneyIncr(key, member, 2), { score: 2, rank: 1 });
      const buffers = client.withTypeMapping({
        [RESP_TYPES.BLOB_STRING]: Buffer,
        [RESP_TYPES.DOUBLE]: String,
        [RESP_TYPES.NUMBER]: String
      });
      const [entry] = await buffers.tally.tourneyTop(key, 1);
      assert.ok(Buffer.isBuffer(entry!.member));
      assert.ok(member.equals(entry!.member));
      assert.equal(entry!.score, 2);
      assert.equal(entry!.rank, 1);
      assert.deepEqual(await buffers.tally.tourneyRankWithScore(key, member), { rank: 1, score: 2 });
      assert.equal(await buffers.tally.tourneyPercentile(key, member), 100);
    });

    test('a MULTI transaction transforms the replies too', async () => {
      const key = k('multi');
      const replies = await client
        .multi()
        .tally.tourneyIncr(key, 'a', 1)
        .tally.tourneySubmit(key, 'b', 5)
        .tally.tourneyTop(key, 2)
        .exec();
      assert.deepEqual(replies, [
        { score: 1, rank: 1 },
        { score: 5, rank: 1, updated: true },
        [
          { member: 'b', score: 5, rank: 1 },
          { member: 'a', score: 1, rank: 2 }
        ]
      ]);
    });

    test('errors reject with the Redis error text', async () => {
      const board = k('board');
      await rejectsWith(client.tally.tourneyIncr(board, 'a', NaN), 'ERR value is not a valid float');
      await rejectsWith(client.tally.tourneyIncr(board, '', 1), 'ERR member must not be empty');
      await rejectsWith(
        client.tally.tourneyIncr(board, 'x'.repeat(129), 1),
        'ERR member is longer than tally.max-member-bytes (128 bytes)'
      );
      await rejectsWith(
        client.tally.tourneyIncr(k('huge'), 'a', 1.7e308).then(() => client.tally.tourneyIncr(k('huge'), 'a', 1.7e308)),
        'ERR increment would produce a score that is not a finite number'
      );
      await rejectsWith(client.tally.tourneyTop(board, 0), 'ERR count must be between 1 and 1000');
      await rejectsWith(
        client.tally.tourneyTop(board, 1, { offset: -1 }),
        'ERR offset must be between 0 and 9223372036854775807'
      );
      await rejectsWith(client.tally.tourneyTop(board, 1.5), 'ERR value is not an integer or out of range');
      await rejectsWith(client.tally.tourneyAround(board, 'w', 500), 'ERR radius must be between 0 and 499');
      await rejectsWith(
        client.tally.tourneyRank(board, 'w', { ties: 'DENSE' as 'ORDINAL' }),
        'ERR syntax error'
      );
      await rejectsWith(
        client.tally.tourneySubmit(board, 'w', 1, { mode: 'WORST' as 'BEST' }),
        'ERR syntax error'
      );
      await rejectsWith(client.tally.tourneyRem(board, []), "ERR wrong number of arguments for 'tourney.rem' command");
      const wrongType = 'WRONGTYPE Operation against a key holding the wrong kind of value';
      await rejectsWith(client.tally.tourneySubmit(k('string'), 'a', 1), wrongType);
      await rejectsWith(client.tally.tourneyRank(k('string'), 'a'), wrongType);
      await rejectsWith(client.tally.tourneyTop(k('string'), 1), wrongType);
      // The connection is still usable after errors.
      assert.equal(await client.tally.tourneyRank(board, 'w'), 1);
    });
  });
}
