// The three classes of the design notes (TournamentRanking, InventoryAuditLog,
// SlidingWindowLimiter) rewritten on tally. The package README shows them; the tests
// (test/examples.test.ts) run them against a live server.

import { createClient } from 'redis';
import tally from '@tally/redis';

// One client factory gives every class the typed `client.tally.*` commands.
export const connect = (url: string) => createClient({ url, modules: { tally } });
export type TallyClient = ReturnType<typeof connect>;

/** Leaderboard: one round trip per call, ranks computed (1-based) in the server. */
export class TournamentRanking {
  private client: TallyClient;
  private key: string;

  constructor(redisUrl: string, tournamentId: string) {
    this.client = connect(redisUrl);
    this.key = `tournament:{${tournamentId}}:scores`;
  }

  async initialize(): Promise<void> {
    await this.client.connect();
  }

  /** The new score; the new rank comes with it (`.rank`) at no extra cost. */
  async updateScore(participantId: string, delta: number): Promise<number> {
    return (await this.client.tally.tourneyIncr(this.key, participantId, delta)).score;
  }

  async getRank(participantId: string): Promise<number | null> {
    return this.client.tally.tourneyRank(this.key, participantId);
  }

  async getTopContenders(limit: number): Promise<Array<{ id: string; score: number }>> {
    const top = await this.client.tally.tourneyTop(this.key, limit);
    return top.map((e) => ({ id: e.member, score: e.score }));
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Capped audit stream; group creation is idempotent, appends can be too. */
export class InventoryAuditLog {
  private client: TallyClient;
  private streamKey = 'warehouse:{inventory}:audit';
  private groupName = 'sync-workers';

  constructor(redisUrl: string) {
    this.client = connect(redisUrl);
  }

  async initialize(): Promise<void> {
    await this.client.connect();
    await this.client.tally.auditGroup(this.streamKey, this.groupName); // OK also when it exists
  }

  /** Pass `producer` and a per-producer `seq` to make retries exactly-once. */
  async appendEvent(
    action: string,
    itemId: string,
    quantity: number,
    idempotent?: { producer: string; seq: number }
  ): Promise<string> {
    const fields = { action, item_id: itemId, quantity };
    return this.client.tally.auditAppend(this.streamKey, fields, { maxLen: 10_000, idempotent });
  }

  // The stream stays a native stream: consumers are unchanged.
  async consumeBatch(workerId: string, batchSize: number) {
    const messages = await this.client.xReadGroup(
      this.groupName,
      workerId,
      { key: this.streamKey, id: '>' },
      { COUNT: batchSize, BLOCK: 2000 }
    );
    return messages?.[0]?.messages ?? [];
  }

  async acknowledge(entryId: string): Promise<void> {
    await this.client.xAck(this.streamKey, this.groupName, entryId);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Exact sliding window: no script to load, no client clock, no random member IDs. */
export class SlidingWindowLimiter {
  private client: TallyClient;

  constructor(redisUrl: string) {
    this.client = connect(redisUrl);
  }

  async initialize(): Promise<void> {
    await this.client.connect();
  }

  async isAllowed(resourceId: string, windowMs: number, maxRequests: number): Promise<boolean> {
    const { allowed } = await this.client.tally.limitSlide(`limiter:{${resourceId}}`, windowMs, maxRequests);
    return allowed;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
