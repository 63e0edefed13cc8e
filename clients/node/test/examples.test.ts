// Runs the README's three classes (examples/design-notes.ts) against a live server.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { InventoryAuditLog, SlidingWindowLimiter, TournamentRanking } from '../examples/design-notes.js';
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
