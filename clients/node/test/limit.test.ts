import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RESP_TYPES } from 'redis';
import type { LimitDecision, LimitLease } from '@tally/redis';
import { connectClient, rejectsWith, Server, type TestClient } from './harness.js';

const YEAR_MS = 31_536_000_000;
// Server-clock milliseconds may pass between two calls of a test; time-derived fields are
// checked within this slack, everything else exactly.
const SLACK_MS = 10_000;

let server: Server;
before(async () => {
  server = await Server.start();
});
after(async () => {
  await server?.stop();
});

function assertDecision(
  got: LimitDecision,
  want: { allowed: boolean; limit: number; remaining: number },
  retryAfterMs: number,
  resetAfterMs: number
) {
  assert.deepEqual(
    { allowed: got.allowed, limit: got.limit, remaining: got.remaining },
    want,
    JSON.stringify(got)
  );
  assert.deepEqual(Object.keys(got).sort(), ['allowed', 'limit', 'remaining', 'resetAfterMs', 'retryAfterMs']);
  for (const [field, expected] of [
    ['retryAfterMs', retryAfterMs],
    ['resetAfterMs', resetAfterMs]
  ] as const) {
    const value = got[field];
    assert.equal(typeof value, 'number');
    assert.ok(value <= expected && value > expected - SLACK_MS, `${field} ${value} not within ${expected}: ${JSON.stringify(got)}`);
    if (expected === 0) assert.equal(value, 0, field);
  }
}

/** ms from now to the end of the current `periodMs` window (windows are aligned to the Unix epoch). */
function windowEnd(periodMs: number): number {
  return periodMs - (Date.now() % periodMs);
}

function assertLease(
  got: LimitLease,
  want: { acquired: boolean; limit: number; remaining: number; token?: string | null },
  retryAfterMs = 0
) {
  assert.deepEqual(Object.keys(got).sort(), ['acquired', 'limit', 'remaining', 'retryAfterMs', 'token']);
  const shown = { acquired: got.acquired, limit: got.limit, remaining: got.remaining };
  assert.deepEqual(shown, { acquired: want.acquired, limit: want.limit, remaining: want.remaining }, JSON.stringify(got));
  if (want.token !== undefined) assert.equal(got.token, want.token);
  else if (got.acquired) assert.match(got.token ?? '', /^[0-9a-f]{32}$/);
  else assert.equal(got.token, null);
  assert.ok(
    got.retryAfterMs <= retryAfterMs && got.retryAfterMs > retryAfterMs - SLACK_MS,
    `retryAfterMs ${got.retryAfterMs} not within ${retryAfterMs}: ${JSON.stringify(got)}`
  );
  if (retryAfterMs === 0) assert.equal(got.retryAfterMs, 0);
}

for (const RESP of [2, 3] as const) {
  describe(`LIMIT over RESP${RESP}`, () => {
    let client: TestClient;
    const k = (tag: string, name = '') => `r${RESP}:{${tag}}${name}`;

    before(async () => {
      client = connectClient(server.port, RESP);
      await client.connect();
      await client.set(k('string'), 'abc');
      await client.zAdd(k('zset'), { value: 'a', score: 1 });
      await client.hSet(k('hash'), 'a', '1');
    });
    after(() => client?.destroy());

    test('limitSlide counts a sliding window and denies past max', async () => {
      const key = k('slide');
      const minute = 60_000;
      assertDecision(await client.tally.limitSlide(key, minute, 3), { allowed: true, limit: 3, remaining: 2 }, 0, minute);
      assertDecision(await client.tally.limitSlide(key, minute, 3), { allowed: true, limit: 3, remaining: 1 }, 0, minute);
      // COST 0 checks without consuming.
      assertDecision(
        await client.tally.limitSlide(key, minute, 3, { cost: 0 }),
        { allowed: true, limit: 3, remaining: 1 },
        0,
        minute
      );
      assertDecision(await client.tally.limitSlide(key, minute, 3), { allowed: true, limit: 3, remaining: 0 }, 0, minute);
      assertDecision(
        await client.tally.limitSlide(key, minute, 3),
        { allowed: false, limit: 3, remaining: 0 },
        minute,
        minute
      );
      assert.equal(await client.zCard(key), 3);
      // A bigger COST consumes several units at once.
      assertDecision(
        await client.tally.limitSlide(k('slide2'), minute, 5, { cost: 4 }),
        { allowed: true, limit: 5, remaining: 1 },
        0,
        minute
      );
      assertDecision(
        await client.tally.limitSlide(k('slide2'), minute, 5, { cost: 2 }),
        { allowed: false, limit: 5, remaining: 1 },
        minute,
        minute
      );
    });

    test('limitMulti allows only when every window allows', async () => {
      const windows = [
        { key: k('multi', 'a'), windowMs: 60_000, max: 2 },
        { key: k('multi', 'b'), windowMs: 120_000, max: 5 }
      ];
      assertDecision(await client.tally.limitMulti(windows), { allowed: true, limit: 2, remaining: 1 }, 0, 120_000);
      assertDecision(
        await client.tally.limitMulti(windows, { cost: 1 }),
        { allowed: true, limit: 2, remaining: 0 },
        0,
        120_000
      );
      assertDecision(
        await client.tally.limitMulti(windows),
        { allowed: false, limit: 2, remaining: 0 },
        60_000,
        120_000
      );
      // The denied call consumed nothing in the looser window.
      assert.equal(await client.zCard(k('multi', 'b')), 2);
    });

    test('limitGcra follows the generic cell rate algorithm', async () => {
      const key = k('gcra');
      // burst 2, one unit per year: three immediate units, then a year's wait.
      assertDecision(await client.tally.limitGcra(key, 2, 1, YEAR_MS), { allowed: true, limit: 3, remaining: 2 }, 0, YEAR_MS);
      assertDecision(
        await client.tally.limitGcra(key, 2, 1, YEAR_MS, { cost: 0 }),
        { allowed: true, limit: 3, remaining: 2 },
        0,
        YEAR_MS
      );
      assertDecision(await client.tally.limitGcra(key, 2, 1, YEAR_MS), { allowed: true, limit: 3, remaining: 1 }, 0, 2 * YEAR_MS);
      assertDecision(await client.tally.limitGcra(key, 2, 1, YEAR_MS), { allowed: true, limit: 3, remaining: 0 }, 0, 3 * YEAR_MS);
      assertDecision(
        await client.tally.limitGcra(key, 2, 1, YEAR_MS),
        { allowed: false, limit: 3, remaining: 0 },
        YEAR_MS,
        3 * YEAR_MS
      );
      assert.match((await client.get(key)) ?? '', /^\d+$/);
    });

    test('limitFixed counts in epoch-aligned windows; COST 0 peeks', async () => {
      const key = k('fixed');
      // A year-long window: the call and the expected window end cannot straddle a boundary.
      const end = windowEnd(YEAR_MS);
      assertDecision(await client.tally.limitFixed(key, YEAR_MS, 3), { allowed: true, limit: 3, remaining: 2 }, 0, end);
      assertDecision(
        await client.tally.limitFixed(key, YEAR_MS, 3, { cost: 0 }),
        { allowed: true, limit: 3, remaining: 2 },
        0,
        end
      );
      assertDecision(
        await client.tally.limitFixed(key, YEAR_MS, 3, { cost: 2 }),
        { allowed: true, limit: 3, remaining: 0 },
        0,
        end
      );
      // Refused until the window ends; the refusal consumes nothing.
      assertDecision(await client.tally.limitFixed(key, YEAR_MS, 3), { allowed: false, limit: 3, remaining: 0 }, end, end);
      assert.equal(await client.get(key), '3');
      const ttl = await client.pTTL(key);
      assert.ok(ttl <= end && ttl > end - SLACK_MS, `PTTL ${ttl} not within ${end}`);
      // An empty window peeked: full capacity, nothing stored.
      assertDecision(
        await client.tally.limitFixed(k('fixed', 'peek'), 3_600_000, 5, { cost: 0 }),
        { allowed: true, limit: 5, remaining: 5 },
        0,
        0
      );
      assert.equal(await client.exists(k('fixed', 'peek')), 0);
    });

    test('limitAcquire takes slots, renews a held TOKEN, refuses with a null token', async () => {
      const key = k('lease');
      const minute = 60_000;
      const first = await client.tally.limitAcquire(key, 2, minute);
      assertLease(first, { acquired: true, limit: 2, remaining: 1 });
      assertLease(await client.tally.limitAcquire(key, 2, minute, { token: 'w1' }), {
        acquired: true,
        limit: 2,
        remaining: 0,
        token: 'w1'
      });
      // A held token renews its lease rather than taking a second slot.
      assertLease(await client.tally.limitAcquire(key, 2, minute, { token: 'w1' }), {
        acquired: true,
        limit: 2,
        remaining: 0,
        token: 'w1'
      });
      assert.deepEqual((await client.zRange(key, 0, -1)).sort(), [first.token, 'w1'].sort());
      // Full: refused, no token, retry when the earliest lease ends.
      assertLease(await client.tally.limitAcquire(key, 2, minute), { acquired: false, limit: 2, remaining: 0 }, minute);
      assertLease(
        await client.tally.limitAcquire(key, 2, minute, { token: 'w2' }),
        { acquired: false, limit: 2, remaining: 0, token: null },
        minute
      );
      assert.equal(await client.zCard(key), 2);
      // A Buffer token is sent as is; the token comes back as a string.
      assertLease(await client.tally.limitAcquire(k('lease', 'buf'), 1, minute, { token: Buffer.from('w3') }), {
        acquired: true,
        limit: 1,
        remaining: 0,
        token: 'w3'
      });
    });

    test('limitRelease and limitRenew are true only for a live lease', async () => {
      const key = k('release');
      const { token } = await client.tally.limitAcquire(key, 1, 60_000);
      assert.ok(token);
      assert.equal(await client.tally.limitRenew(key, token, 120_000), true);
      const score = Number(await client.zScore(key, token));
      assert.ok(score > Date.now() + 60_000, String(score));
      assert.equal(await client.tally.limitRenew(key, 'nobody', 1000), false);
      assert.equal(await client.tally.limitRelease(key, 'nobody'), false);
      assert.equal(await client.tally.limitRelease(key, token), true);
      assert.equal(await client.tally.limitRelease(key, token), false);
      assert.equal(await client.tally.limitRenew(key, token, 1000), false);
      assert.equal(await client.exists(key), 0);
      // A lease that is never released ends by itself: it can no longer be renewed, its slot is free.
      const short = await client.tally.limitAcquire(key, 1, 20);
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(await client.tally.limitRenew(key, short.token!, 1000), false);
      assertLease(await client.tally.limitAcquire(key, 1, 1000, { token: 'next' }), {
        acquired: true,
        limit: 1,
        remaining: 0,
        token: 'next'
      });
    });

    test('a MULTI transaction and a type mapping transform the replies too', async () => {
      const key = k('multi-tx');
      const end = windowEnd(YEAR_MS);
      const replies = await client
        .multi()
        .tally.limitAcquire(key, 1, 60_000, { token: 't' })
        .tally.limitAcquire(key, 1, 60_000, { token: 'u' })
        .tally.limitRenew(key, 't', 60_000)
        .tally.limitRelease(key, 't')
        .tally.limitFixed(k('multi-tx', 'f'), YEAR_MS, 1)
        .exec();
      assert.equal(replies.length, 5);
      const [held, refused, renewed, released, fixed] = replies as unknown as [
        LimitLease,
        LimitLease,
        boolean,
        boolean,
        LimitDecision
      ];
      assertLease(held, { acquired: true, limit: 1, remaining: 0, token: 't' });
      assertLease(refused, { acquired: false, limit: 1, remaining: 0, token: null }, 60_000);
      assert.deepEqual([renewed, released], [true, true]);
      assertDecision(fixed, { allowed: true, limit: 1, remaining: 0 }, 0, end);
      const strings = client.withTypeMapping({
        [RESP_TYPES.BLOB_STRING]: Buffer,
        [RESP_TYPES.NUMBER]: String
      });
      assertLease(await strings.tally.limitAcquire(key, 1, 60_000, { token: 'v' }), {
        acquired: true,
        limit: 1,
        remaining: 0,
        token: 'v'
      });
      assert.equal(await strings.tally.limitRelease(key, 'v'), true);
      assertDecision(
        await strings.tally.limitFixed(k('multi-tx', 'f'), YEAR_MS, 1, { cost: 0 }),
        { allowed: true, limit: 1, remaining: 0 },
        0,
        end
      );
    });

    test('limitReset removes limiter state', async () => {
      const a = k('reset', 'a');
      const b = k('reset', 'b');
      await client.tally.limitSlide(a, 60_000, 1);
      await client.tally.limitGcra(b, 1, 1, 3_600_000);
      await client.tally.limitFixed(k('reset', 'f'), 3_600_000, 1);
      await client.tally.limitAcquire(k('reset', 'l'), 1, 60_000);
      assert.equal(await client.tally.limitReset([k('reset', 'f'), k('reset', 'l')]), 2);
      assert.equal(await client.tally.limitReset([a, b, k('reset', 'c')]), 2);
      assert.equal(await client.tally.limitReset(a), 0);
      assertDecision(await client.tally.limitSlide(a, 60_000, 1), { allowed: true, limit: 1, remaining: 0 }, 0, 60_000);
    });

    test('errors reject with the Redis error text', async () => {
      const key = k('errors');
      await rejectsWith(
        client.tally.limitSlide(key, 0, 3),
        'ERR window_ms must be between 1 and 31536000000'
      );
      await rejectsWith(client.tally.limitSlide(key, 1000, 0), 'ERR max must be between 1 and 100000');
      await rejectsWith(client.tally.limitSlide(key, 1000, 3, { cost: 4 }), 'ERR cost must be between 0 and 3');
      await rejectsWith(client.tally.limitSlide(key, 1.5, 3), 'ERR value is not an integer or out of range');
      await rejectsWith(
        client.tally.limitMulti([
          { key, windowMs: 1000, max: 2 },
          { key, windowMs: 1000, max: 3 }
        ]),
        'ERR the same key is given more than once'
      );
      await rejectsWith(
        client.tally.limitMulti([
          { key: `r${RESP}:a`, windowMs: 1000, max: 2 },
          { key: `r${RESP}:b`, windowMs: 1000, max: 3 }
        ]),
        "CROSSSLOT Keys in request don't hash to the same slot"
      );
      await rejectsWith(client.tally.limitMulti([]), "ERR wrong number of arguments for 'limit.multi' command");
      await rejectsWith(
        client.tally.limitMulti([
          { key: k('errors', 'a'), windowMs: 1000, max: 2 },
          { key: k('errors', 'b'), windowMs: 1000, max: 5 }
        ], { cost: 3 }),
        'ERR cost must be between 0 and 2'
      );
      await rejectsWith(client.tally.limitGcra(key, -1, 1, 1000), 'ERR burst must be between 0 and 1000000000');
      await rejectsWith(client.tally.limitGcra(key, 0, 0, 1000), 'ERR count must be between 1 and 1000000000');
      await rejectsWith(client.tally.limitGcra(key, 0, 1, 0), 'ERR period_ms must be between 1 and 31536000000');
      await rejectsWith(
        client.tally.limitGcra(key, 1_000_000_000, 1, YEAR_MS),
        'ERR burst, count and period_ms give a refill time over ten years'
      );
      await rejectsWith(
        client.tally.limitGcra(k('string'), 1, 1, 1000),
        'WRONGTYPE key holds a string that is not GCRA limiter state'
      );
      await rejectsWith(client.tally.limitFixed(key, 0, 1), 'ERR period_ms must be between 1 and 31536000000');
      await rejectsWith(client.tally.limitFixed(key, 1000, 0), 'ERR max must be between 1 and 1000000000');
      await rejectsWith(client.tally.limitFixed(key, 1000, 2, { cost: 3 }), 'ERR cost must be between 0 and 2');
      await rejectsWith(
        client.tally.limitFixed(k('string'), 1000, 1),
        'WRONGTYPE key holds a string that is not a LIMIT.FIXED count'
      );
      await rejectsWith(client.tally.limitAcquire(key, 0, 1000), 'ERR max must be between 1 and 100000');
      await rejectsWith(client.tally.limitAcquire(key, 1, 0), 'ERR lease_ms must be between 1 and 31536000000');
      await rejectsWith(client.tally.limitAcquire(key, 1, 1000, { token: '' }), 'ERR token must not be empty');
      await rejectsWith(client.tally.limitRenew(key, 't', 0), 'ERR lease_ms must be between 1 and 31536000000');
      const wrongType = 'WRONGTYPE Operation against a key holding the wrong kind of value';
      await rejectsWith(client.tally.limitFixed(k('zset'), 1000, 1), wrongType);
      await rejectsWith(client.tally.limitAcquire(k('string'), 1, 1000), wrongType);
      await rejectsWith(client.tally.limitRelease(k('hash'), 't'), wrongType);
      await rejectsWith(client.tally.limitRenew(k('string'), 't', 1000), wrongType);
      await rejectsWith(client.tally.limitGcra(k('zset'), 1, 1, 1000), wrongType);
      await rejectsWith(client.tally.limitSlide(k('string'), 1000, 1), wrongType);
      await rejectsWith(client.tally.limitReset(k('hash')), wrongType);
      await rejectsWith(client.tally.limitReset([`r${RESP}:a`, `r${RESP}:b`]), "CROSSSLOT Keys in request don't hash to the same slot");
      assert.equal(await client.get(k('string')), 'abc');
      assert.equal(await client.hGet(k('hash'), 'a'), '1');
    });
  });
}
