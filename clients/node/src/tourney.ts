// TOURNEY.* command definitions (leaderboards on a native sorted set).

import type { CommandParser, RedisArgument } from '@redis/client';
import type { BlobStringReply } from '@redis/client/dist/lib/RESP/types.js';
import type { RedisVariadicArgument } from '@redis/client/dist/lib/commands/generic-transformers.js';
import { toArray, toDouble, toInteger, type RawReply } from './reply.js';

/** How equal scores are ranked: ORDINAL (default) is ZREVRANK+1; COMPETITION gives "1224". */
export type Ties = 'ORDINAL' | 'COMPETITION';

export interface TiesOptions {
  ties?: Ties;
}

export interface TourneyTopOptions extends TiesOptions {
  /** Skip this many best entries first (default 0). */
  offset?: number;
}

export interface TourneySubmitOptions {
  /** BEST (default) keeps the higher of the old and new score; LATEST always sets it. */
  mode?: 'BEST' | 'LATEST';
}

/** A member's standing. `member` is a string, or a Buffer under a `BLOB_STRING: Buffer` type mapping. */
export interface TourneyEntry {
  member: BlobStringReply;
  score: number;
  rank: number;
}

export interface TourneyScoreRank {
  score: number;
  rank: number;
}

export interface TourneySubmitReply extends TourneyScoreRank {
  /** Whether the stored score changed. */
  updated: boolean;
}

function pushTies(parser: CommandParser, options?: TiesOptions): void {
  if (options?.ties !== undefined) parser.push('TIES', options.ties);
}

function scoreRank(reply: RawReply, what: string): TourneyScoreRank {
  const [score, rank] = toArray(reply, what, 2);
  return { score: toDouble(score, what), rank: toInteger(rank, what) };
}

function entries(reply: RawReply, what: string): Array<TourneyEntry> {
  return toArray(reply, what).map((item) => {
    const [member, score, rank] = toArray(item, what, 3);
    return {
      member: member as BlobStringReply,
      score: toDouble(score, what),
      rank: toInteger(rank, what)
    };
  });
}

/** `TOURNEY.INCR key member delta` -> the member's score and rank after the increment. */
export const TOURNEY_INCR = {
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, member: RedisArgument, delta: number) {
    parser.push('TOURNEY.INCR');
    parser.pushKey(key);
    parser.push(member, String(delta));
  },
  transformReply(this: void, reply: RawReply): TourneyScoreRank {
    return scoreRank(reply, 'TOURNEY.INCR');
  }
} as const;

/** `TOURNEY.SUBMIT key member score [BEST|LATEST]` -> score, rank and whether it changed. */
export const TOURNEY_SUBMIT = {
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    member: RedisArgument,
    score: number,
    options?: TourneySubmitOptions
  ) {
    parser.push('TOURNEY.SUBMIT');
    parser.pushKey(key);
    parser.push(member, String(score));
    if (options?.mode !== undefined) parser.push(options.mode);
  },
  transformReply(this: void, reply: RawReply): TourneySubmitReply {
    const [score, rank, updated] = toArray(reply, 'TOURNEY.SUBMIT', 3);
    return {
      score: toDouble(score, 'TOURNEY.SUBMIT'),
      rank: toInteger(rank, 'TOURNEY.SUBMIT'),
      updated: toInteger(updated, 'TOURNEY.SUBMIT') === 1
    };
  }
} as const;

/** `TOURNEY.RANK key member [TIES ...]` -> the 1-based rank, or null when absent. */
export const TOURNEY_RANK = {
  IS_READ_ONLY: true,
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, member: RedisArgument, options?: TiesOptions) {
    parser.push('TOURNEY.RANK');
    parser.pushKey(key);
    parser.push(member);
    pushTies(parser, options);
  },
  transformReply(this: void, reply: RawReply): number | null {
    return reply === null ? null : toInteger(reply, 'TOURNEY.RANK');
  }
} as const;

/** `TOURNEY.RANK key member WITHSCORE [TIES ...]` -> { rank, score }, or null when absent. */
export const TOURNEY_RANK_WITHSCORE = {
  IS_READ_ONLY: true,
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, member: RedisArgument, options?: TiesOptions) {
    parser.push('TOURNEY.RANK');
    parser.pushKey(key);
    parser.push(member, 'WITHSCORE');
    pushTies(parser, options);
  },
  transformReply(this: void, reply: RawReply): TourneyScoreRank | null {
    if (reply === null) return null;
    const [rank, score] = toArray(reply, 'TOURNEY.RANK', 2);
    return { rank: toInteger(rank, 'TOURNEY.RANK'), score: toDouble(score, 'TOURNEY.RANK') };
  }
} as const;

/** `TOURNEY.TOP key count [OFFSET n] [TIES ...]` -> entries, best first ([] for a missing key). */
export const TOURNEY_TOP = {
  IS_READ_ONLY: true,
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, count: number, options?: TourneyTopOptions) {
    parser.push('TOURNEY.TOP');
    parser.pushKey(key);
    parser.push(String(count));
    if (options?.offset !== undefined) parser.push('OFFSET', String(options.offset));
    pushTies(parser, options);
  },
  transformReply(this: void, reply: RawReply): Array<TourneyEntry> {
    return entries(reply, 'TOURNEY.TOP');
  }
} as const;

/** `TOURNEY.AROUND key member radius [TIES ...]` -> the entries around a member, or null when absent. */
export const TOURNEY_AROUND = {
  IS_READ_ONLY: true,
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    member: RedisArgument,
    radius: number,
    options?: TiesOptions
  ) {
    parser.push('TOURNEY.AROUND');
    parser.pushKey(key);
    parser.push(member, String(radius));
    pushTies(parser, options);
  },
  transformReply(this: void, reply: RawReply): Array<TourneyEntry> | null {
    return reply === null ? null : entries(reply, 'TOURNEY.AROUND');
  }
} as const;

/** `TOURNEY.PERCENTILE key member` -> 100 * (members with score <= member's) / N, or null when absent. */
export const TOURNEY_PERCENTILE = {
  IS_READ_ONLY: true,
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, member: RedisArgument) {
    parser.push('TOURNEY.PERCENTILE');
    parser.pushKey(key);
    parser.push(member);
  },
  transformReply(this: void, reply: RawReply): number | null {
    return reply === null ? null : toDouble(reply, 'TOURNEY.PERCENTILE');
  }
} as const;

/** `TOURNEY.REM key member [member ...]` -> how many were removed. */
export const TOURNEY_REM = {
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, members: RedisVariadicArgument) {
    parser.push('TOURNEY.REM');
    parser.pushKey(key);
    parser.pushVariadic(members);
  },
  transformReply(this: void, reply: RawReply): number {
    return toInteger(reply, 'TOURNEY.REM');
  }
} as const;
