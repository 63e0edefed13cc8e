// LIMIT.* command definitions (rate limiters).

import type { CommandParser, RedisArgument } from '@redis/client';
import type { RedisVariadicArgument } from '@redis/client/dist/lib/commands/generic-transformers.js';
import { toArray, toInteger, toText, type RawReply } from './reply.js';

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

/** LIMIT.ACQUIRE's reply: a lease on one of `limit` slots, or a refusal. */
export interface LimitLease {
  acquired: boolean;
  limit: number;
  /** Slots left after this call. */
  remaining: number;
  /** 0 when acquired, else ms until the earliest lease ends. */
  retryAfterMs: number;
  /** The lease's token (the one given, or the server's 32 hex digits); null when refused. */
  token: string | null;
}

export interface LimitAcquireOptions {
  /** The lease's token: a token that already holds a live lease renews it instead of taking a second slot. */
  token?: RedisArgument;
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

/**
 * `LIMIT.FIXED key period_ms max [COST n]`: a fixed window aligned to multiples of `periodMs`
 * since the Unix epoch on the server clock (86400000 = UTC days); one string counter per key.
 */
export const LIMIT_FIXED = {
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    periodMs: number,
    max: number,
    options?: LimitCostOptions
  ) {
    parser.push('LIMIT.FIXED');
    parser.pushKey(key);
    parser.push(String(periodMs), String(max));
    pushCost(parser, options);
  },
  transformReply(this: void, reply: RawReply): LimitDecision {
    return decision(reply, 'LIMIT.FIXED');
  }
} as const;

/**
 * `LIMIT.ACQUIRE key max lease_ms [TOKEN token]`: one of `max` concurrent slots for `leaseMs`;
 * a lease never released frees its slot when it ends.
 */
export const LIMIT_ACQUIRE = {
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    max: number,
    leaseMs: number,
    options?: LimitAcquireOptions
  ) {
    parser.push('LIMIT.ACQUIRE');
    parser.pushKey(key);
    parser.push(String(max), String(leaseMs));
    if (options?.token !== undefined) parser.push('TOKEN', options.token);
  },
  transformReply(this: void, reply: RawReply): LimitLease {
    const what = 'LIMIT.ACQUIRE';
    const [acquired, limit, remaining, retryAfterMs, token] = toArray(reply, what, 5);
    return {
      acquired: toInteger(acquired, what) === 1,
      limit: toInteger(limit, what),
      remaining: toInteger(remaining, what),
      retryAfterMs: toInteger(retryAfterMs, what),
      token: token === null ? null : toText(token, what)
    };
  }
} as const;

/** `LIMIT.RELEASE key token` -> true if a live lease was released, false if none was held. */
export const LIMIT_RELEASE = {
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, token: RedisArgument) {
    parser.push('LIMIT.RELEASE');
    parser.pushKey(key);
    parser.push(token);
  },
  transformReply(this: void, reply: RawReply): boolean {
    return toInteger(reply, 'LIMIT.RELEASE') === 1;
  }
} as const;

/**
 * `LIMIT.RENEW key token lease_ms` -> true if a live lease now ends `leaseMs` from now; false if
 * it had ended or never existed (the worker must stop: its slot may be taken).
 */
export const LIMIT_RENEW = {
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, token: RedisArgument, leaseMs: number) {
    parser.push('LIMIT.RENEW');
    parser.pushKey(key);
    parser.push(token, String(leaseMs));
  },
  transformReply(this: void, reply: RawReply): boolean {
    return toInteger(reply, 'LIMIT.RENEW') === 1;
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
