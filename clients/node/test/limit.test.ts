import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LimitDecision } from '@tally/redis';
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

    test('limitReset removes limiter state', async () => {
      const a = k('reset', 'a');
      const b = k('reset', 'b');
      await client.tally.limitSlide(a, 60_000, 1);
      await client.tally.limitGcra(b, 1, 1, 3_600_000);
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
      const wrongType = 'WRONGTYPE Operation against a key holding the wrong kind of value';
      await rejectsWith(client.tally.limitGcra(k('zset'), 1, 1, 1000), wrongType);
      await rejectsWith(client.tally.limitSlide(k('string'), 1000, 1), wrongType);
      await rejectsWith(client.tally.limitReset(k('hash')), wrongType);
      await rejectsWith(client.tally.limitReset([`r${RESP}:a`, `r${RESP}:b`]), "CROSSSLOT Keys in request don't hash to the same slot");
      assert.equal(await client.get(k('string')), 'abc');
      assert.equal(await client.hGet(k('hash'), 'a'), '1');
    });
  });
}
