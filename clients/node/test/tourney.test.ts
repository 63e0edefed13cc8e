import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RESP_TYPES } from 'redis';
import type { Ties } from '@tally/redis';
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

    test('tourneyRanks lists the named members best first, leaving out the absent and the repeated', async () => {
      const board = k('board');
      assert.deepEqual(await client.tally.tourneyRanks(board, ['z', 'x', 'nobody', 'w', 'x']), [
        { member: 'w', score: 20, rank: 1 },
        { member: 'x', score: 10, rank: 3 },
        { member: 'z', score: 5, rank: 4 }
      ]);
      // Equal scores in the board's order (y before x), sharing a rank under COMPETITION.
      assert.deepEqual(await client.tally.tourneyRanks(board, ['z', 'x', 'y', 'y'], { ties: 'COMPETITION' }), [
        { member: 'y', score: 10, rank: 2 },
        { member: 'x', score: 10, rank: 2 },
        { member: 'z', score: 5, rank: 4 }
      ]);
      assert.deepEqual(await client.tally.tourneyRanks(board, ['x', 'y'], { ties: 'ORDINAL' }), [
        { member: 'y', score: 10, rank: 2 },
        { member: 'x', score: 10, rank: 3 }
      ]);
      // One member, not in an array; a member named like an option word is just a member.
      assert.deepEqual(await client.tally.tourneyRanks(board, 'y'), [{ member: 'y', score: 10, rank: 2 }]);
      assert.deepEqual(await client.tally.tourneyRanks(board, ['TIES', 'w', 'COMPETITION']), [
        { member: 'w', score: 20, rank: 1 }
      ]);
      assert.deepEqual(await client.tally.tourneyRanks(board, ['nobody', 'nobody-else']), []);
      assert.deepEqual(await client.tally.tourneyRanks(k('missing'), ['w', 'x']), []);
    });

    test('tourneyRanks with no members throws before sending', async () => {
      const board = k('board');
      for (const call of [
        () => client.tally.tourneyRanks(board, []),
        () => client.tally.tourneyRanks(board, [], { ties: 'COMPETITION', season: 'DAILY' })
      ]) {
        await assert.rejects(call(), (err: unknown) => {
          // A client-side error, not the server's ErrorReply.
          assert.ok(err instanceof RangeError, `expected a RangeError, got ${String(err)}`);
          assert.match(err.message, /nummembers must be at least 1/);
          return true;
        });
      }
      assert.throws(() => client.multi().tally.tourneyRanks(board, []), RangeError);
      // The connection is still usable.
      assert.deepEqual(await client.tally.tourneyRanks(board, ['w']), [{ member: 'w', score: 20, rank: 1 }]);
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
      // From the current season's board.
      await client.tally.tourneyIncr(key, 'c', 1, { season: 'DAILY' });
      assert.equal(await client.tally.tourneyRem(key, ['c', 'nobody'], { season: 'DAILY' }), 1);
      assert.equal(await client.tally.tourneyRem(key, 'c', { season: 'DAILY' }), 0);
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
      const [named] = await buffers.tally.tourneyRanks(key, [member, Buffer.from('nobody')]);
      assert.ok(Buffer.isBuffer(named!.member));
      assert.ok(member.equals(named!.member));
      assert.equal(named!.score, 2);
      assert.equal(named!.rank, 1);
      assert.equal(await buffers.tally.tourneyPercentile(key, member), 100);
    });

    test('a MULTI transaction transforms the replies too', async () => {
      const key = k('multi');
      const replies = await client
        .multi()
        .tally.tourneyIncr(key, 'a', 1)
        .tally.tourneySubmit(key, 'b', 5)
        .tally.tourneyTop(key, 2)
        .tally.tourneyRanks(key, ['a', 'nobody', 'a'])
        .exec();
      assert.deepEqual(replies, [
        { score: 1, rank: 1 },
        { score: 5, rank: 1, updated: true },
        [
          { member: 'b', score: 5, rank: 1 },
          { member: 'a', score: 1, rank: 2 }
        ],
        [{ member: 'a', score: 1, rank: 2 }]
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
      await rejectsWith(client.tally.tourneyRank(board, 'w', { ties: 'SPARSE' as Ties }), 'ERR syntax error');
      await rejectsWith(
        client.tally.tourneyRank(board, 'w', { ties: 'DENSE' }),
        'ERR TIES DENSE needs a tournament created with TOURNEY.CREATE ... TIES DENSE'
      );
      await rejectsWith(
        client.tally.tourneySubmit(board, 'w', 1, { mode: 'WORST' as 'BEST' }),
        'ERR syntax error'
      );
      await rejectsWith(client.tally.tourneyRem(board, []), "ERR wrong number of arguments for 'tourney.rem' command");
      await rejectsWith(client.tally.tourneyRanks(board, ['w'], { ties: 'SPARSE' as Ties }), 'ERR syntax error');
      await rejectsWith(
        client.tally.tourneyRanks(board, ['w'], { ties: 'DENSE' }),
        'ERR TIES DENSE needs a tournament created with TOURNEY.CREATE ... TIES DENSE'
      );
      await rejectsWith(
        client.tally.tourneyRanks(board, ['x'.repeat(129)]),
        'ERR member is longer than tally.max-member-bytes (128 bytes)'
      );
      const wrongType = 'WRONGTYPE Operation against a key holding the wrong kind of value';
      await rejectsWith(client.tally.tourneySubmit(k('string'), 'a', 1), wrongType);
      await rejectsWith(client.tally.tourneyRank(k('string'), 'a'), wrongType);
      await rejectsWith(client.tally.tourneyTop(k('string'), 1), wrongType);
      await rejectsWith(client.tally.tourneyRanks(k('string'), ['a']), wrongType);
      // The connection is still usable after errors.
      assert.equal(await client.tally.tourneyRank(board, 'w'), 1);
    });

    test('tourneyInfo of a leaderboard never created reports the defaults', async () => {
      assert.deepEqual(await client.tally.tourneyInfo(k('missing')), {
        created: false,
        tiebreak: 'MEMBER',
        ties: 'ORDINAL',
        expireAt: null,
        members: 0,
        top: null,
        bottom: null,
        order: 'DESC'
      });
      assert.deepEqual(await client.tally.tourneyInfo(k('board')), {
        created: false,
        tiebreak: 'MEMBER',
        ties: 'ORDINAL',
        expireAt: null,
        members: 4,
        top: 20,
        bottom: 5,
        order: 'DESC'
      });
    });

    // The five players of docs/tie-policies.md, in the order they submit.
    const players: Array<[string, number]> = [
      ['bob', 40],
      ['dave', 30],
      ['alice', 50],
      ['carol', 40],
      ['erin', 30]
    ];

    test('tourneyCreate with TIEBREAK FIRST and TIES DENSE ranks by arrival and by distinct scores', async () => {
      const key = k('first');
      assert.equal(await client.tally.tourneyCreate(key, { tiebreak: 'FIRST', ties: 'DENSE' }), 'OK');
      // The same settings again: OK, nothing changes.
      assert.equal(await client.tally.tourneyCreate(key, { ties: 'DENSE', tiebreak: 'FIRST' }), 'OK');
      const denseRanks = [];
      for (const [member, score] of players) {
        const reply = await client.tally.tourneySubmit(key, member, score);
        denseRanks.push(reply.rank);
      }
      // SUBMIT replies the tournament's DENSE rank.
      assert.deepEqual(denseRanks, [1, 2, 1, 2, 3]);
      const ranks = (entries: Array<{ member: unknown; rank: number }>) => entries.map((e) => [e.member, e.rank]);
      assert.deepEqual(ranks(await client.tally.tourneyTop(key, 5, { ties: 'ORDINAL' })), [
        ['alice', 1],
        ['bob', 2],
        ['carol', 3],
        ['dave', 4],
        ['erin', 5]
      ]);
      assert.deepEqual(ranks(await client.tally.tourneyTop(key, 5, { ties: 'COMPETITION' })), [
        ['alice', 1],
        ['bob', 2],
        ['carol', 2],
        ['dave', 4],
        ['erin', 4]
      ]);
      assert.deepEqual(ranks(await client.tally.tourneyTop(key, 5)), [
        ['alice', 1],
        ['bob', 2],
        ['carol', 2],
        ['dave', 3],
        ['erin', 3]
      ]);
      assert.equal(await client.tally.tourneyRank(key, 'carol'), 2);
      assert.equal(await client.tally.tourneyRank(key, 'carol', { ties: 'ORDINAL' }), 3);
      assert.deepEqual(await client.tally.tourneyRankWithScore(key, 'erin', { ties: 'DENSE' }), { rank: 3, score: 30 });
      assert.deepEqual(ranks((await client.tally.tourneyAround(key, 'carol', 1))!), [
        ['bob', 2],
        ['carol', 2],
        ['dave', 3]
      ]);
      assert.equal(await client.tally.tourneyPercentile(key, 'carol'), 80);
      // RANKS: arrival order among equal scores, under each tie rule (the tournament's DENSE by default).
      assert.deepEqual(ranks(await client.tally.tourneyRanks(key, ['erin', 'carol', 'nobody', 'bob'])), [
        ['bob', 2],
        ['carol', 2],
        ['erin', 3]
      ]);
      assert.deepEqual(ranks(await client.tally.tourneyRanks(key, ['erin', 'carol', 'bob'], { ties: 'COMPETITION' })), [
        ['bob', 2],
        ['carol', 2],
        ['erin', 4]
      ]);
      assert.deepEqual(ranks(await client.tally.tourneyRanks(key, ['erin', 'carol', 'bob'], { ties: 'ORDINAL' })), [
        ['bob', 2],
        ['carol', 3],
        ['erin', 5]
      ]);
      // INCR replies the DENSE rank too; erin leaves 30 and comes back behind dave.
      assert.deepEqual(await client.tally.tourneyIncr(key, 'erin', 15), { score: 45, rank: 2 });
      assert.deepEqual(await client.tally.tourneyIncr(key, 'erin', -15), { score: 30, rank: 3 });
      assert.deepEqual(await client.tally.tourneyInfo(key), {
        created: true,
        tiebreak: 'FIRST',
        ties: 'DENSE',
        expireAt: null,
        members: 5,
        top: 50,
        bottom: 30,
        order: 'DESC'
      });
      // Still a native sorted set of the real points.
      assert.equal(await client.zScore(key, 'carol'), 40);
    });

    test('tourneyCreate with TIEBREAK MEMBER keeps Redis order; DENSE still shares ranks', async () => {
      const key = k('member');
      assert.equal(await client.tally.tourneyCreate(key, { tiebreak: 'MEMBER', ties: 'DENSE' }), 'OK');
      for (const [member, score] of players) await client.tally.tourneySubmit(key, member, score);
      const top = await client.tally.tourneyTop(key, 5, { ties: 'ORDINAL' });
      assert.deepEqual(
        top.map((e) => [e.member, e.rank]),
        [
          ['alice', 1],
          ['carol', 2],
          ['bob', 3],
          ['erin', 4],
          ['dave', 5]
        ]
      );
      assert.deepEqual(
        (await client.tally.tourneyTop(key, 5)).map((e) => e.rank),
        [1, 2, 2, 3, 3]
      );
    });

    test('tourneyCreate with TIEBREAK FIRST and TIES ORDINAL: PERCENTILE counts later arrivals as below', async () => {
      const key = k('heat');
      assert.equal(await client.tally.tourneyCreate(key, { tiebreak: 'FIRST' }), 'OK');
      for (const member of ['ann', 'ben', 'cat']) await client.tally.tourneyIncr(key, member, 10);
      assert.equal(await client.tally.tourneyPercentile(key, 'ann'), 100);
      assert.equal(await client.tally.tourneyPercentile(key, 'cat'), 100 / 3);
      // A call that does not change the score keeps the arrival.
      assert.deepEqual(await client.tally.tourneyIncr(key, 'ann', 0), { score: 10, rank: 1 });
      assert.deepEqual(await client.tally.tourneySubmit(key, 'ann', 5), { score: 10, rank: 1, updated: false });
      assert.deepEqual(await client.tally.tourneyIncr(key, 'ann', 1), { score: 11, rank: 1 });
      assert.deepEqual(await client.tally.tourneyIncr(key, 'ann', -1), { score: 10, rank: 3 });
      assert.deepEqual(await client.tally.tourneyRank(key, 'ann', { ties: 'COMPETITION' }), 1);
    });

    test('tourneyCreate with expireAt sets the expiry of every key of the tournament', async () => {
      const key = k('season');
      const expireAt = 4102444800000; // 2100-01-01
      assert.equal(await client.tally.tourneyCreate(key, { tiebreak: 'FIRST', ties: 'COMPETITION', expireAt }), 'OK');
      await client.tally.tourneyIncr(key, 'a', 1);
      assert.equal(await client.pExpireTime(key), expireAt);
      const info = await client.tally.tourneyInfo(key);
      assert.deepEqual(info, {
        created: true,
        tiebreak: 'FIRST',
        ties: 'COMPETITION',
        expireAt,
        members: 1,
        top: 1,
        bottom: 1,
        order: 'DESC'
      });
      // A plain leaderboard with members can get an expiry (and COMPETITION) too.
      const plain = k('plain-expiring');
      await client.tally.tourneyIncr(plain, 'a', 1);
      assert.equal(await client.tally.tourneyCreate(plain, { ties: 'COMPETITION', expireAt }), 'OK');
      assert.equal(await client.pExpireTime(plain), expireAt);
    });

    test('tourneyCreate and tourneyInfo errors', async () => {
      const key = k('first');
      await rejectsWith(
        client.tally.tourneyCreate(key, { tiebreak: 'FIRST' }),
        `ERR tournament '${key}' already exists with other settings`
      );
      await rejectsWith(
        client.tally.tourneyCreate(k('board'), { ties: 'DENSE' }),
        `ERR leaderboard '${k('board')}' already has members: TIEBREAK FIRST and TIES DENSE start from an empty leaderboard`
      );
      await rejectsWith(
        client.tally.tourneyCreate(k('board'), { tiebreak: 'FIRST' }),
        `ERR leaderboard '${k('board')}' already has members: TIEBREAK FIRST and TIES DENSE start from an empty leaderboard`
      );
      await rejectsWith(client.tally.tourneyCreate(k('past'), { expireAt: 1000 }), 'ERR EXPIREAT is in the past');
      await rejectsWith(
        client.tally.tourneyCreate(k('past'), { expireAt: 0 }),
        'ERR EXPIREAT must be between 1 and 9223372036854775807'
      );
      await rejectsWith(
        client.tally.tourneyCreate(k('past'), { expireAt: 1.5 }),
        'ERR value is not an integer or out of range'
      );
      await rejectsWith(client.tally.tourneyCreate(k('past'), { tiebreak: 'LAST' as 'FIRST' }), 'ERR syntax error');
      const wrongType = 'WRONGTYPE Operation against a key holding the wrong kind of value';
      await rejectsWith(client.tally.tourneyCreate(k('string'), {}), wrongType);
      await rejectsWith(client.tally.tourneyInfo(k('string')), wrongType);
      // Nothing was created by the refused calls.
      assert.equal((await client.tally.tourneyInfo(k('past'))).created, false);
    });

    test('tourneyInfo under type mappings and in MULTI', async () => {
      const key = k('first');
      const mapped = client.withTypeMapping({
        [RESP_TYPES.BLOB_STRING]: Buffer,
        [RESP_TYPES.SIMPLE_STRING]: Buffer,
        [RESP_TYPES.DOUBLE]: String,
        [RESP_TYPES.NUMBER]: String,
        [RESP_TYPES.MAP]: Map
      });
      assert.deepEqual(await mapped.tally.tourneyInfo(key), {
        created: true,
        tiebreak: 'FIRST',
        ties: 'DENSE',
        expireAt: null,
        members: 5,
        top: 50,
        bottom: 30,
        order: 'DESC'
      });
      const replies = await client
        .multi()
        .tally.tourneyCreate(k('multi-cup'), { ties: 'DENSE' })
        .tally.tourneyIncr(k('multi-cup'), 'a', 2)
        .tally.tourneyIncr(k('multi-cup'), 'b', 2)
        .tally.tourneyInfo(k('multi-cup'))
        .exec();
      assert.deepEqual(replies, [
        'OK',
        { score: 2, rank: 1 },
        { score: 2, rank: 1 },
        { created: true, tiebreak: 'MEMBER', ties: 'DENSE', expireAt: null, members: 2, top: 2, bottom: 2, order: 'DESC' }
      ]);
    });

    test('season options work on the current season and leave the named key alone', async () => {
      const key = k('periodic');
      const serverDay = async () => new Date(Number((await client.time())[0]) * 1000).toISOString().slice(0, 10);
      const day = await serverDay();
      assert.deepEqual(await client.tally.tourneyIncr(key, 'a', 5, { season: 'DAILY' }), { score: 5, rank: 1 });
      assert.deepEqual(await client.tally.tourneySubmit(key, 'b', 7, { mode: 'LATEST', season: 'DAILY' }), {
        score: 7,
        rank: 1,
        updated: true
      });
      assert.equal(await client.tally.tourneyRank(key, 'a', { season: 'DAILY', ties: 'COMPETITION' }), 2);
      assert.deepEqual(await client.tally.tourneyRankWithScore(key, 'b', { season: 'DAILY' }), { rank: 1, score: 7 });
      assert.deepEqual(await client.tally.tourneyTop(key, 5, { season: 'DAILY' }), [
        { member: 'b', score: 7, rank: 1 },
        { member: 'a', score: 5, rank: 2 }
      ]);
      assert.deepEqual(await client.tally.tourneyAround(key, 'a', 1, { season: 'DAILY' }), [
        { member: 'b', score: 7, rank: 1 },
        { member: 'a', score: 5, rank: 2 }
      ]);
      assert.equal(await client.tally.tourneyPercentile(key, 'a', { season: 'DAILY' }), 50);
      assert.deepEqual(await client.tally.tourneyRanks(key, ['a', 'b'], { season: 'DAILY', ties: 'COMPETITION' }), [
        { member: 'b', score: 7, rank: 1 },
        { member: 'a', score: 5, rank: 2 }
      ]);
      assert.deepEqual(await client.tally.tourneyRanks(key, ['a', 'b'], { season: 'DAILY', previousSeason: true }), []);
      assert.deepEqual(await client.tally.tourneyRanks(key, ['a', 'b']), []);
      assert.deepEqual(await client.tally.tourneyTop(key, 5, { season: 'DAILY', previousSeason: true }), []);
      const info = await client.tally.tourneyInfo(key, { season: 'DAILY' });
      assert.deepEqual({ ...info, expireAt: null }, {
        created: false,
        tiebreak: 'MEMBER',
        ties: 'ORDINAL',
        expireAt: null,
        members: 2,
        top: 7,
        bottom: 5,
        order: 'DESC'
      });
      assert.ok(info.expireAt !== null && info.expireAt > Date.now(), 'the season board expires');
      // The season's board is another key: nothing weekly yet, nothing under the named key.
      assert.deepEqual(await client.tally.tourneyTop(key, 5, { season: 'WEEKLY' }), []);
      assert.equal(await client.exists(key), 0);
      // Unless midnight UTC passed meanwhile, the day's board is `<key>:<yyyy-mm-dd>`.
      if ((await serverDay()) === day) assert.equal(await client.zScore(`${key}:${day}`, 'b'), 7);
    });

    test('tourneyCreate with ORDER ASC: the lowest score ranks first in every command', async () => {
      const key = k('laps');
      assert.equal(await client.tally.tourneyCreate(key, { order: 'ASC', tiebreak: 'FIRST' }), 'OK');
      assert.equal(await client.tally.tourneyCreate(key, { tiebreak: 'FIRST', order: 'ASC' }), 'OK');
      await rejectsWith(
        client.tally.tourneyCreate(key, { tiebreak: 'FIRST' }),
        `ERR tournament '${key}' already exists with other settings`
      );
      // Lap times in ms: BEST keeps the lower one.
      assert.deepEqual(await client.tally.tourneySubmit(key, 'ana', 83410), { score: 83410, rank: 1, updated: true });
      assert.deepEqual(await client.tally.tourneySubmit(key, 'ben', 82950), { score: 82950, rank: 1, updated: true });
      assert.deepEqual(await client.tally.tourneySubmit(key, 'ana', 84000), { score: 83410, rank: 2, updated: false });
      assert.deepEqual(await client.tally.tourneySubmit(key, 'cy', 83410), { score: 83410, rank: 3, updated: true });
      assert.deepEqual(await client.tally.tourneySubmit(key, 'dee', 90000, { mode: 'LATEST' }), {
        score: 90000,
        rank: 4,
        updated: true
      });
      // INCR on an ASC board: adding time makes a member worse.
      assert.deepEqual(await client.tally.tourneyIncr(key, 'ben', 1000), { score: 83950, rank: 3 });
      assert.deepEqual(await client.tally.tourneyIncr(key, 'ben', -1000), { score: 82950, rank: 1 });
      assert.deepEqual(await client.tally.tourneyTop(key, 4), [
        { member: 'ben', score: 82950, rank: 1 },
        { member: 'ana', score: 83410, rank: 2 },
        { member: 'cy', score: 83410, rank: 3 },
        { member: 'dee', score: 90000, rank: 4 }
      ]);
      assert.deepEqual(
        (await client.tally.tourneyTop(key, 4, { ties: 'COMPETITION' })).map((e) => e.rank),
        [1, 2, 2, 4]
      );
      assert.equal(await client.tally.tourneyRank(key, 'cy'), 3);
      assert.deepEqual(await client.tally.tourneyRankWithScore(key, 'dee'), { rank: 4, score: 90000 });
      assert.deepEqual(
        (await client.tally.tourneyAround(key, 'ana', 1))!.map((e) => e.member),
        ['ben', 'ana', 'cy']
      );
      assert.deepEqual(await client.tally.tourneyRanks(key, ['dee', 'ben', 'nobody']), [
        { member: 'ben', score: 82950, rank: 1 },
        { member: 'dee', score: 90000, rank: 4 }
      ]);
      // The share with the same or a worse (higher) time; ana arrived before cy (TIEBREAK FIRST, ORDINAL).
      assert.equal(await client.tally.tourneyPercentile(key, 'ben'), 100);
      assert.equal(await client.tally.tourneyPercentile(key, 'ana'), 75);
      assert.equal(await client.tally.tourneyPercentile(key, 'dee'), 25);
      assert.deepEqual(await client.tally.tourneyInfo(key), {
        created: true,
        tiebreak: 'FIRST',
        ties: 'ORDINAL',
        expireAt: null,
        members: 4,
        top: 82950,
        bottom: 90000,
        order: 'ASC'
      });
      // Still a native sorted set, listed best first by ZRANGE without REV.
      assert.deepEqual(await client.zRange(key, 0, -1), ['ben', 'ana', 'cy', 'dee']);
      // ORDER DESC is the default, and can be named.
      assert.equal(await client.tally.tourneyCreate(k('desc'), { order: 'DESC', ties: 'COMPETITION' }), 'OK');
      assert.equal((await client.tally.tourneyInfo(k('desc'))).order, 'DESC');
      await rejectsWith(client.tally.tourneyCreate(k('desc'), { order: 'UP' as 'ASC' }), 'ERR syntax error');
    });

    test('tourneyIncr and tourneySubmit store data; the WithData reads return it', async () => {
      const key = k('data');
      const dataKey = `${key}:data`;
      assert.deepEqual(await client.tally.tourneyIncr(key, 'ada', 10, { data: 'Ada L.' }), { score: 10, rank: 1 });
      assert.deepEqual(await client.tally.tourneySubmit(key, 'bob', 20, { data: 'Bob' }), {
        score: 20,
        rank: 1,
        updated: true
      });
      await client.tally.tourneyIncr(key, 'cy', 5);
      assert.deepEqual(await client.tally.tourneyTopWithData(key, 10), [
        { member: 'bob', score: 20, rank: 1, data: 'Bob' },
        { member: 'ada', score: 10, rank: 2, data: 'Ada L.' },
        { member: 'cy', score: 5, rank: 3, data: null }
      ]);
      // SUBMIT writes the data only with a stored score; INCR always writes it (0 changes only the data).
      assert.deepEqual(await client.tally.tourneySubmit(key, 'bob', 15, { data: 'Bobby' }), {
        score: 20,
        rank: 1,
        updated: false
      });
      assert.equal(await client.hGet(dataKey, 'bob'), 'Bob');
      await client.tally.tourneySubmit(key, 'bob', 15, { mode: 'LATEST', data: 'Bobby' });
      assert.equal(await client.hGet(dataKey, 'bob'), 'Bobby');
      assert.deepEqual(await client.tally.tourneyIncr(key, 'cy', 0, { data: '' }), { score: 5, rank: 3 });
      assert.deepEqual(await client.tally.tourneyTopWithData(key, 2, { offset: 1, ties: 'COMPETITION' }), [
        { member: 'ada', score: 10, rank: 2, data: 'Ada L.' },
        { member: 'cy', score: 5, rank: 3, data: '' }
      ]);
      assert.deepEqual(await client.tally.tourneyAroundWithData(key, 'ada', 1), [
        { member: 'bob', score: 15, rank: 1, data: 'Bobby' },
        { member: 'ada', score: 10, rank: 2, data: 'Ada L.' },
        { member: 'cy', score: 5, rank: 3, data: '' }
      ]);
      assert.equal(await client.tally.tourneyAroundWithData(key, 'nobody', 1), null);
      assert.deepEqual(await client.tally.tourneyRanksWithData(key, ['cy', 'nobody', 'ada', 'cy']), [
        { member: 'ada', score: 10, rank: 2, data: 'Ada L.' },
        { member: 'cy', score: 5, rank: 3, data: '' }
      ]);
      assert.deepEqual(await client.tally.tourneyRanksWithData(key, 'bob'), [
        { member: 'bob', score: 15, rank: 1, data: 'Bobby' }
      ]);
      assert.deepEqual(await client.tally.tourneyRanksWithData(k('missing'), ['bob']), []);
      assert.deepEqual(await client.tally.tourneyTopWithData(k('missing'), 3), []);
      // The plain reads are unchanged.
      assert.deepEqual(await client.tally.tourneyTop(key, 1), [{ member: 'bob', score: 15, rank: 1 }]);
      // TOURNEY.REM removes the member's data with it.
      assert.equal(await client.tally.tourneyRem(key, 'ada'), 1);
      assert.equal(await client.hExists(dataKey, 'ada'), 0);
      assert.deepEqual(await client.tally.tourneyRanksWithData(key, ['ada']), []);
      // The empty-list check holds for the WithData form too.
      await assert.rejects(client.tally.tourneyRanksWithData(key, []), RangeError);
    });

    test('data: limits, refused writes write nothing, seasons, Buffers and MULTI', async () => {
      const key = k('data-limits');
      await rejectsWith(
        client.tally.tourneyIncr(key, 'a', 1, { data: 'x'.repeat(1025) }),
        'ERR member data is longer than tally.max-data-bytes (1024 bytes)'
      );
      await rejectsWith(
        client.tally.tourneySubmit(key, 'a', 1, { data: 'x'.repeat(1025) }),
        'ERR member data is longer than tally.max-data-bytes (1024 bytes)'
      );
      assert.equal(await client.exists([key, `${key}:data`]), 0);
      assert.deepEqual(await client.tally.tourneyIncr(key, 'a', 1, { data: 'x'.repeat(1024) }), { score: 1, rank: 1 });
      // A refused increment writes no data either.
      await rejectsWith(
        client.tally.tourneyIncr(key, 'a', NaN, { data: 'new' }),
        'ERR value is not a valid float'
      );
      assert.equal((await client.hGet(`${key}:data`, 'a'))?.length, 1024);
      // tally.max-data-bytes 0 turns member data off; the reads still work.
      await client.configSet('tally.max-data-bytes', '0');
      try {
        await rejectsWith(
          client.tally.tourneySubmit(key, 'a', 0, { data: 'off' }),
          'ERR member data is disabled (tally.max-data-bytes is 0)'
        );
        assert.equal((await client.tally.tourneyTopWithData(key, 1))[0]?.data?.length, 1024);
      } finally {
        await client.configSet('tally.max-data-bytes', '1024');
      }
      // A season's data lives beside the season's board.
      assert.deepEqual(await client.tally.tourneySubmit(key, 'b', 3, { data: 'daily', season: 'DAILY' }), {
        score: 3,
        rank: 1,
        updated: true
      });
      assert.deepEqual(await client.tally.tourneyTopWithData(key, 5, { season: 'DAILY' }), [
        { member: 'b', score: 3, rank: 1, data: 'daily' }
      ]);
      assert.deepEqual(await client.tally.tourneyRanksWithData(key, ['a', 'b'], { season: 'DAILY' }), [
        { member: 'b', score: 3, rank: 1, data: 'daily' }
      ]);
      assert.deepEqual(await client.tally.tourneyAroundWithData(key, 'b', 2, { season: 'DAILY', ties: 'COMPETITION' }), [
        { member: 'b', score: 3, rank: 1, data: 'daily' }
      ]);
      assert.deepEqual(await client.tally.tourneyTopWithData(key, 5, { season: 'DAILY', previousSeason: true }), []);
      assert.equal(await client.hExists(`${key}:data`, 'b'), 0);
      // Binary data round-trips; a Buffer type mapping gives Buffers.
      const bytes = Buffer.from([0, 0xff, 0x0d, 0x0a]);
      await client.tally.tourneyIncr(key, 'bin', 0, { data: bytes });
      const buffers = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.DOUBLE]: String });
      const [top] = await buffers.tally.tourneyRanksWithData(key, ['bin']);
      assert.ok(Buffer.isBuffer(top!.member) && Buffer.isBuffer(top!.data));
      assert.ok(bytes.equals(top!.data as Buffer));
      assert.equal(top!.score, 0);
      await client.tally.tourneyIncr(key, 'plain', -1);
      const [none] = await buffers.tally.tourneyRanksWithData(key, ['plain']);
      assert.equal(none?.data, null);
      const replies = await client
        .multi()
        .tally.tourneyIncr(k('data-multi'), 'a', 1, { data: 'A' })
        .tally.tourneySubmit(k('data-multi'), 'b', 2)
        .tally.tourneyTopWithData(k('data-multi'), 2)
        .tally.tourneyAroundWithData(k('data-multi'), 'a', 0)
        .tally.tourneyRanksWithData(k('data-multi'), ['a'])
        .exec();
      assert.deepEqual(replies, [
        { score: 1, rank: 1 },
        { score: 2, rank: 1, updated: true },
        [
          { member: 'b', score: 2, rank: 1, data: null },
          { member: 'a', score: 1, rank: 2, data: 'A' }
        ],
        [{ member: 'a', score: 1, rank: 2, data: 'A' }],
        [{ member: 'a', score: 1, rank: 2, data: 'A' }]
      ]);
    });
  });
}
