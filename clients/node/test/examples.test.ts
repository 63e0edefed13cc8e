// Runs the README's three classes (examples/design-notes.ts) and the racing game
// (examples/racing.ts, docs/racing-game.md) against a live server.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { InventoryAuditLog, SlidingWindowLimiter, TournamentRanking } from '../examples/design-notes.js';
import { formatLap, LapBoard, race } from '../examples/racing.js';
import { connectClient, Server } from './harness.js';

let server: Server;
let url: string;
before(async () => {
  server = await Server.start();
  url = `redis://127.0.0.1:${server.port}`;
});
after(async () => {
  await server?.stop();
});

test('TournamentRanking', async () => {
  const ranking = new TournamentRanking(url, 'spring-cup');
  await ranking.initialize();
  try {
    assert.equal(await ranking.updateScore('ada', 10), 10);
    assert.equal(await ranking.updateScore('bob', 25), 25);
    assert.equal(await ranking.updateScore('cy', 15), 15);
    assert.equal(await ranking.updateScore('ada', 20), 30);
    assert.equal(await ranking.getRank('ada'), 1);
    assert.equal(await ranking.getRank('cy'), 3);
    assert.equal(await ranking.getRank('nobody'), null);
    assert.deepEqual(await ranking.getTopContenders(2), [
      { id: 'ada', score: 30 },
      { id: 'bob', score: 25 }
    ]);
  } finally {
    await ranking.close();
  }
});

test('InventoryAuditLog', async () => {
  const log = new InventoryAuditLog(url);
  await log.initialize();
  try {
    const first = await log.appendEvent('restock', 'sku-1', 40);
    const second = await log.appendEvent('pick', 'sku-1', 3, { producer: 'picker-7', seq: 1 });
    // A retried idempotent append returns the same ID and appends nothing.
    assert.equal(await log.appendEvent('pick', 'sku-1', 3, { producer: 'picker-7', seq: 1 }), second);
    const batch = await log.consumeBatch('worker-1', 10);
    assert.deepEqual(batch, [
      { id: first, message: { action: 'restock', item_id: 'sku-1', quantity: '40' } },
      { id: second, message: { action: 'pick', item_id: 'sku-1', quantity: '3' } }
    ]);
    for (const entry of batch) await log.acknowledge(entry.id);
  } finally {
    await log.close();
  }
  // Everything acknowledged, nothing pending; a second log finds the group already there.
  const again = new InventoryAuditLog(url);
  await again.initialize();
  await again.close();
  const client = connectClient(server.port, 3);
  await client.connect();
  try {
    const info = await client.tally.auditInfo('warehouse:{inventory}:audit');
    assert.equal(info?.length, 2);
    assert.deepEqual(info?.groups, [{ name: 'sync-workers', consumers: 1, pending: 0, lag: 0 }]);
  } finally {
    client.destroy();
  }
});

test('SlidingWindowLimiter', async () => {
  const limiter = new SlidingWindowLimiter(url);
  await limiter.initialize();
  try {
    const decisions: Array<boolean> = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.isAllowed('user-42', 60_000, 3));
    assert.deepEqual(decisions, [true, true, true, false]);
    assert.equal(await limiter.isAllowed('user-43', 60_000, 3), true);
  } finally {
    await limiter.close();
  }
});

test('racing: an ASC lap-time board with driver data, a top-10 page and a friends view', async () => {
  const { top, friends } = await race(url);
  const rows = (list: typeof top) => list.map((r) => [r.rank, r.playerId, r.lap, r.name, r.car]);
  assert.deepEqual(rows(top), [
    [1, 'ben', '1:22.950', 'Ben', 'Porsche 963'],
    [2, 'eve', '1:23.100', 'Eve', 'Cadillac V-Series.R'],
    [3, 'ana', '1:23.410', 'Ana', 'Ferrari 499P'],
    [4, 'dee', '1:23.410', 'Dee', 'Toyota GR010'],
    [5, 'cy', '1:24.120', 'Cy', 'BMW M4 GT3']
  ]);
  assert.deepEqual(rows(friends), [
    [1, 'ben', '1:22.950', 'Ben', 'Porsche 963'],
    [2, 'eve', '1:23.100', 'Eve', 'Cadillac V-Series.R'],
    [3, 'ana', '1:23.410', 'Ana', 'Ferrari 499P']
  ]);
  assert.equal(top[0]!.lapMs, 82950);

  // The same board, as a game server holds it.
  const board = new LapBoard(url, 'monza');
  await board.initialize(); // the tournament exists with these settings: OK
  try {
    assert.deepEqual(await board.submitLap('cy', 84500, { name: 'Cy', car: 'BMW M4 GT3' }), {
      bestMs: 84120,
      rank: 5,
      personalBest: false
    });
    assert.deepEqual(await board.submitLap('cy', 83000, { name: 'Cy', car: 'McLaren 720S' }), {
      bestMs: 83000,
      rank: 2,
      personalBest: true
    });
    assert.deepEqual(
      (await board.aroundMe('cy', 1))?.map((r) => [r.rank, r.playerId, r.car]),
      [
        [1, 'ben', 'Porsche 963'],
        [2, 'cy', 'McLaren 720S'],
        [3, 'eve', 'Cadillac V-Series.R']
      ]
    );
    assert.equal(await board.aroundMe('zoe'), null);
    assert.deepEqual(
      (await board.topPage(2, 3)).map((r) => r.playerId),
      ['ana', 'dee']
    );
    // ben has the fastest lap: everyone has the same or a slower one.
    assert.equal(await board.percentile('ben'), 100);
    assert.equal(await board.percentile('dee'), 20);
    assert.equal(await board.percentile('zoe'), null);
    assert.deepEqual(await board.friendsView('zoe', ['nobody']), []);
  } finally {
    await board.close();
  }
  assert.equal(formatLap(59_999), '0:59.999');
  assert.equal(formatLap(61_005), '1:01.005');
});

test('docs/racing-game.md shows exactly the code of examples/racing.ts', () => {
  const source = readFileSync(new URL('../../examples/racing.ts', import.meta.url), 'utf8');
  const page = readFileSync(new URL('../../../../docs/racing-game.md', import.meta.url), 'utf8');
  const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length > 0, 'docs/racing-game.md has no ts block');
  for (const block of blocks) assert.ok(source.includes(block), 'a ts block of docs/racing-game.md differs from examples/racing.ts');
  assert.ok(blocks.some((b) => b.includes('export class LapBoard')));
});

test('the README shows exactly the classes that run here', () => {
  const source = readFileSync(new URL('../../examples/design-notes.ts', import.meta.url), 'utf8');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const classes = [...source.matchAll(/^(?:\/\*\*.*\*\/\n)?export class (\w+)[\s\S]*?^\}\n/gm)];
  assert.deepEqual(
    classes.map((m) => m[1]),
    ['TournamentRanking', 'InventoryAuditLog', 'SlidingWindowLimiter']
  );
  for (const [text, name] of classes) {
    assert.ok(blocks.includes(text), `the README's ${name} differs from examples/design-notes.ts`);
  }
  const setup = blocks.find((b) => b.includes('export const connect'));
  assert.ok(setup && source.includes(setup), "the README's client factory differs from examples/design-notes.ts");
});
