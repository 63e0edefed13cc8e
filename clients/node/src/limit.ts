// LIMIT.* command definitions (rate limiters).

import type { CommandParser, RedisArgument } from '@redis/client';
import type { RedisVariadicArgument } from '@redis/client/dist/lib/commands/generic-transformers.js';
import { toArray, toInteger, type RawReply } from './reply.js';

/** Every limiting command's decision. */
export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** 0 when allowed, else ms until the same request would pass. */
  retryAfterMs: number;
  /** ms until the limiter is back to full capacity (0 when empty). */
  resetAfterMs: number;
}

export interface LimitCostOptions {
  /** Units this request consumes (default 1); 0 checks without consuming. */
  cost?: number;
}

/** One window of LIMIT.MULTI. */
export interface LimitWindow {
  key: RedisArgument;
  windowMs: number;
  max: number;
}

function pushCost(parser: CommandParser, options?: LimitCostOptions): void {
  if (options?.cost !== undefined) parser.push('COST', String(options.cost));
}

function decision(reply: RawReply, what: string): LimitDecision {
  const [allowed, limit, remaining, retryAfterMs, resetAfterMs] = toArray(reply, what, 5).map((v) =>
    toInteger(v, what)
  );
  return { allowed: allowed === 1, limit, remaining, retryAfterMs, resetAfterMs };
}

/** `LIMIT.SLIDE key window_ms max [COST n]`: an exact sliding-window log. */
export const LIMIT_SLIDE = {
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    windowMs: number,
    max: number,
    options?: LimitCostOptions
  ) {
    parser.push('LIMIT.SLIDE');
    parser.pushKey(key);
    parser.push(String(windowMs), String(max));
    pushCost(parser, options);
  },
  transformReply(this: void, reply: RawReply): LimitDecision {
    return decision(reply, 'LIMIT.SLIDE');
  }
} as const;

/**
 * `LIMIT.MULTI numkeys key... window_ms max... [COST n]`: several sliding windows that all
 * allow (and all consume) or none does. The keys must share a hash slot.
 */
export const LIMIT_MULTI = {
  parseCommand(this: void, parser: CommandParser, windows: Array<LimitWindow>, options?: LimitCostOptions) {
    parser.push('LIMIT.MULTI', String(windows.length));
    parser.pushKeys(windows.map((w) => w.key));
    for (const w of windows) parser.push(String(w.windowMs), String(w.max));
    pushCost(parser, options);
  },
  transformReply(this: void, reply: RawReply): LimitDecision {
    return decision(reply, 'LIMIT.MULTI');
  }
} as const;

/** `LIMIT.GCRA key burst count period_ms [COST n]`: GCRA, `count` per `periodMs`, bursts up to burst+1. */
export const LIMIT_GCRA = {
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    burst: number,
    count: number,
    periodMs: number,
    options?: LimitCostOptions
  ) {
    parser.push('LIMIT.GCRA');
    parser.pushKey(key);
    parser.push(String(burst), String(count), String(periodMs));
    pushCost(parser, options);
  },
  transformReply(this: void, reply: RawReply): LimitDecision {
    return decision(reply, 'LIMIT.GCRA');
  }
} as const;

/** `LIMIT.RESET key [key ...]` -> how many limiter keys were removed. The keys must share a slot. */
export const LIMIT_RESET = {
  parseCommand(this: void, parser: CommandParser, keys: RedisVariadicArgument) {
    parser.push('LIMIT.RESET');
    parser.pushKeys(keys);
  },
  transformReply(this: void, reply: RawReply): number {
    return toInteger(reply, 'LIMIT.RESET');
  }
} as const;
