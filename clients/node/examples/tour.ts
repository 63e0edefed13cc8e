// A quick run of the three design-note classes against a live server with tally loaded:
//   npm ci && npm run example            (REDIS_URL defaults to redis://127.0.0.1:6379)

import { InventoryAuditLog, SlidingWindowLimiter, TournamentRanking } from './design-notes.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const ranking = new TournamentRanking(url, 'tour');
await ranking.initialize();
await ranking.updateScore('alice', 10);
await ranking.updateScore('bob', 15);
console.log('alice is ranked', await ranking.getRank('alice'));
console.log('top 2:', await ranking.getTopContenders(2));
await ranking.close();

const audit = new InventoryAuditLog(url);
await audit.initialize();
console.log('appended', await audit.appendEvent('add', 'sku-42', 3, { producer: 'tour', seq: Date.now() }));
await audit.close();

const limiter = new SlidingWindowLimiter(url);
await limiter.initialize();
const decisions = [];
for (let i = 0; i < 3; i++) decisions.push(await limiter.isAllowed('tour', 1000, 2));
console.log('3 requests within a second, 2 allowed:', decisions);
await limiter.close();
