// TOURNEY.* command definitions (leaderboards on a native sorted set).

import type { CommandParser, RedisArgument } from '@redis/client';
import type { BlobStringReply, SimpleStringReply } from '@redis/client/dist/lib/RESP/types.js';
import type { RedisVariadicArgument } from '@redis/client/dist/lib/commands/generic-transformers.js';
import { mapEntries, TallyReplyError, toArray, toDouble, toInteger, toText, type RawReply } from './reply.js';

/**
 * How equal scores are ranked: ORDINAL (each member its own rank, in tie-break order),
 * COMPETITION ("1224") or DENSE ("1223"; only on a tournament created with `ties: 'DENSE'`).
 * A call without `ties` gets the tournament's (ORDINAL on a leaderboard never created).
 */
export type Ties = 'ORDINAL' | 'COMPETITION' | 'DENSE';

/** Which of two equal scores ranks first: MEMBER (Redis' order, the default) or FIRST (who got there first). */
export type Tiebreak = 'FIRST' | 'MEMBER';

/** Which end of the board ranks first: DESC (the highest score, the default) or ASC (the lowest: lap times, golf). */
export type Order = 'DESC' | 'ASC';

/** The period of a season: the day, ISO week or month of the server's clock, in UTC (docs/seasons.md). */
export type Season = 'DAILY' | 'WEEKLY' | 'MONTHLY';

export interface SeasonOptions {
  /** Work on the current season's leaderboard, a key beside `key` that expires by itself. */
  season?: Season;
}

export interface SeasonReadOptions extends SeasonOptions {
  /** With `season`: read the season before the current one (reads only). */
  previousSeason?: boolean;
}

export interface TiesOptions extends SeasonReadOptions {
  ties?: Ties;
}

export interface TourneyTopOptions extends TiesOptions {
  /** Skip this many best entries first (default 0). */
  offset?: number;
}

export interface TourneyIncrOptions extends SeasonOptions {
  /**
   * Set (replace) the member's data, stored with the score: at most `tally.max-data-bytes` bytes
   * (default 1024). `tourneyIncr(key, member, 0, { data })` changes only the data.
   */
  data?: RedisArgument;
}

export interface TourneySubmitOptions extends SeasonOptions {
  /** BEST (default) keeps the better of the old and new score (the higher; the lower on ORDER ASC); LATEST always sets it. */
  mode?: 'BEST' | 'LATEST';
  /** Set (replace) the member's data, only when the score is stored (the reply's `updated`). */
  data?: RedisArgument;
}

/** A member's standing. `member` is a string, or a Buffer under a `BLOB_STRING: Buffer` type mapping. */
export interface TourneyEntry {
  member: BlobStringReply;
  score: number;
  rank: number;
}

/** An entry of a `...WithData` read: the member's data (`DATA`), null when it has none. */
export interface TourneyDataEntry extends TourneyEntry {
  /** A string, or a Buffer under a `BLOB_STRING: Buffer` type mapping, like `member`. */
  data: BlobStringReply | null;
}

export interface TourneyScoreRank {
  score: number;
  rank: number;
}

export interface TourneySubmitReply extends TourneyScoreRank {
  /** Whether the stored score changed. */
  updated: boolean;
}

export interface TourneyCreateOptions {
  /** DESC (default): the highest score is rank 1; ASC: the lowest (every command follows it). */
  order?: Order;
  /** MEMBER (default) or FIRST: among equal scores, the member that reached the score first ranks higher. */
  tiebreak?: Tiebreak;
  /** The ranks calls get when they name no `ties` (default ORDINAL). */
  ties?: Ties;
  /** Unix time in ms at which the leaderboard and every key of its tournament expire. */
  expireAt?: number;
}

/** A leaderboard's tournament settings, size and score range (TOURNEY.INFO). */
export interface TourneyInfo {
  /** Whether TOURNEY.CREATE made it a tournament; when not, the other settings are the defaults. */
  created: boolean;
  tiebreak: Tiebreak;
  ties: Ties;
  /** Unix time in ms at which the tournament expires, null when it does not. */
  expireAt: number | null;
  /** Number of members (ZCARD). */
  members: number;
  /** Rank 1's score (the highest; the lowest on ORDER ASC), null when the leaderboard is empty. */
  top: number | null;
  /** The worst score (the lowest; the highest on ORDER ASC), null when the leaderboard is empty. */
  bottom: number | null;
  /** Which end ranks first (DESC for a leaderboard never created). */
  order: Order;
}

function pushTies(parser: CommandParser, options?: TiesOptions): void {
  if (options?.ties !== undefined) parser.push('TIES', options.ties);
  pushSeasonRead(parser, options);
}

/** The options a page read (TOP, AROUND, RANKS) ends with: `[TIES ...] [WITHDATA] [SEASON ... [PREVIOUS]]`. */
function pushPage(parser: CommandParser, withData: boolean, options?: TiesOptions): void {
  if (options?.ties !== undefined) parser.push('TIES', options.ties);
  if (withData) parser.push('WITHDATA');
  pushSeasonRead(parser, options);
}

function pushSeasonRead(parser: CommandParser, options?: SeasonReadOptions): void {
  pushSeason(parser, options);
  if (options?.season !== undefined && options.previousSeason === true) parser.push('PREVIOUS');
}

function pushSeason(parser: CommandParser, options?: SeasonOptions): void {
  if (options?.season !== undefined) parser.push('SEASON', options.season);
}

function pushData(parser: CommandParser, data?: RedisArgument): void {
  if (data !== undefined) parser.push('DATA', data);
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

function dataEntries(reply: RawReply, what: string): Array<TourneyDataEntry> {
  return toArray(reply, what).map((item) => {
    const [member, score, rank, data] = toArray(item, what, 4);
    return {
      member: member as BlobStringReply,
      score: toDouble(score, what),
      rank: toInteger(rank, what),
      data: data === null || data === undefined ? null : (data as BlobStringReply)
    };
  });
}

/**
 * `TOURNEY.INCR key member delta [DATA value] [SEASON ...]` -> the member's score and rank (under the tournament's
 * ties) after the increment; `data` is written with the score.
 */
export const TOURNEY_INCR = {
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    member: RedisArgument,
    delta: number,
    options?: TourneyIncrOptions
  ) {
    parser.push('TOURNEY.INCR');
    parser.pushKey(key);
    parser.push(member, String(delta));
    pushData(parser, options?.data);
    pushSeason(parser, options);
  },
  transformReply(this: void, reply: RawReply): TourneyScoreRank {
    return scoreRank(reply, 'TOURNEY.INCR');
  }
} as const;

/**
 * `TOURNEY.SUBMIT key member score [BEST|LATEST] [DATA value] [SEASON ...]` -> score, rank (under the tournament's
 * ties) and whether it changed; `data` is written only when the score is (`updated`).
 */
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
    pushData(parser, options?.data);
    pushSeason(parser, options);
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

/** `TOURNEY.RANK key member [TIES ...] [SEASON ...]` -> the 1-based rank, or null when absent. */
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

/** `TOURNEY.RANK key member WITHSCORE [TIES ...] [SEASON ...]` -> { rank, score }, or null when absent. */
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

function pushTop(parser: CommandParser, key: RedisArgument, count: number, withData: boolean, options?: TourneyTopOptions) {
  parser.push('TOURNEY.TOP');
  parser.pushKey(key);
  parser.push(String(count));
  if (options?.offset !== undefined) parser.push('OFFSET', String(options.offset));
  pushPage(parser, withData, options);
}

/** `TOURNEY.TOP key count [OFFSET n] [TIES ...] [SEASON ...]` -> entries, best first ([] for a missing key). */
export const TOURNEY_TOP = {
  IS_READ_ONLY: true,
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, count: number, options?: TourneyTopOptions) {
    pushTop(parser, key, count, false, options);
  },
  transformReply(this: void, reply: RawReply): Array<TourneyEntry> {
    return entries(reply, 'TOURNEY.TOP');
  }
} as const;

/** `TOURNEY.TOP key count [OFFSET n] [TIES ...] WITHDATA [SEASON ...]` -> entries with each member's data, best first. */
export const TOURNEY_TOP_WITHDATA = {
  IS_READ_ONLY: true,
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, count: number, options?: TourneyTopOptions) {
    pushTop(parser, key, count, true, options);
  },
  transformReply(this: void, reply: RawReply): Array<TourneyDataEntry> {
    return dataEntries(reply, 'TOURNEY.TOP');
  }
} as const;

function pushRanks(
  parser: CommandParser,
  key: RedisArgument,
  members: RedisVariadicArgument,
  withData: boolean,
  options?: TiesOptions
) {
  if (Array.isArray(members) && members.length === 0) {
    throw new RangeError('TOURNEY.RANKS needs at least one member (nummembers must be at least 1)');
  }
  parser.push('TOURNEY.RANKS');
  parser.pushKey(key);
  parser.pushVariadicWithLength(members);
  pushPage(parser, withData, options);
}

/**
 * `TOURNEY.RANKS key nummembers member [member ...] [TIES ...] [SEASON ...]` -> the entries of the named
 * members, best first (a friends view): members not on the board are left out and a member named twice is
 * listed once, so the array may be shorter than the list, or empty (also for a missing key). `nummembers` is
 * the list's length; an empty list throws before anything is sent (the server wants at least one member).
 */
export const TOURNEY_RANKS = {
  IS_READ_ONLY: true,
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    members: RedisVariadicArgument,
    options?: TiesOptions
  ) {
    pushRanks(parser, key, members, false, options);
  },
  transformReply(this: void, reply: RawReply): Array<TourneyEntry> {
    return entries(reply, 'TOURNEY.RANKS');
  }
} as const;

/**
 * `TOURNEY.RANKS key nummembers member [member ...] [TIES ...] WITHDATA [SEASON ...]` -> as `TOURNEY_RANKS`, each
 * entry with the member's data: a friends view with display names in one call.
 */
export const TOURNEY_RANKS_WITHDATA = {
  IS_READ_ONLY: true,
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    members: RedisVariadicArgument,
    options?: TiesOptions
  ) {
    pushRanks(parser, key, members, true, options);
  },
  transformReply(this: void, reply: RawReply): Array<TourneyDataEntry> {
    return dataEntries(reply, 'TOURNEY.RANKS');
  }
} as const;

function pushAround(
  parser: CommandParser,
  key: RedisArgument,
  member: RedisArgument,
  radius: number,
  withData: boolean,
  options?: TiesOptions
) {
  parser.push('TOURNEY.AROUND');
  parser.pushKey(key);
  parser.push(member, String(radius));
  pushPage(parser, withData, options);
}

/** `TOURNEY.AROUND key member radius [TIES ...] [SEASON ...]` -> the entries around a member, or null when absent. */
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
    pushAround(parser, key, member, radius, false, options);
  },
  transformReply(this: void, reply: RawReply): Array<TourneyEntry> | null {
    return reply === null ? null : entries(reply, 'TOURNEY.AROUND');
  }
} as const;

/** `TOURNEY.AROUND key member radius [TIES ...] WITHDATA [SEASON ...]` -> as `TOURNEY_AROUND`, with each member's data. */
export const TOURNEY_AROUND_WITHDATA = {
  IS_READ_ONLY: true,
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    member: RedisArgument,
    radius: number,
    options?: TiesOptions
  ) {
    pushAround(parser, key, member, radius, true, options);
  },
  transformReply(this: void, reply: RawReply): Array<TourneyDataEntry> | null {
    return reply === null ? null : dataEntries(reply, 'TOURNEY.AROUND');
  }
} as const;

/**
 * `TOURNEY.PERCENTILE key member` -> 100 * (members with the same or a worse score) / N, or null when absent
 * (worse: lower, or higher on ORDER ASC). Equal scores count, except in a tournament with TIEBREAK FIRST and
 * TIES ORDINAL, where only tied members that arrived later do.
 */
export const TOURNEY_PERCENTILE = {
  IS_READ_ONLY: true,
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, member: RedisArgument, options?: SeasonReadOptions) {
    parser.push('TOURNEY.PERCENTILE');
    parser.pushKey(key);
    parser.push(member);
    pushSeasonRead(parser, options);
  },
  transformReply(this: void, reply: RawReply): number | null {
    return reply === null ? null : toDouble(reply, 'TOURNEY.PERCENTILE');
  }
} as const;

/** `TOURNEY.REM key member [member ...]` -> how many were removed. */
export const TOURNEY_REM = {
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    members: RedisVariadicArgument,
    options?: SeasonOptions
  ) {
    parser.push('TOURNEY.REM');
    parser.pushKey(key);
    parser.pushVariadic(members);
    pushSeason(parser, options);
  },
  transformReply(this: void, reply: RawReply): number {
    return toInteger(reply, 'TOURNEY.REM');
  }
} as const;

/**
 * `TOURNEY.CREATE key [ORDER DESC|ASC] [TIEBREAK FIRST|MEMBER] [TIES ORDINAL|COMPETITION|DENSE] [EXPIREAT ms]` ->
 * 'OK', also when the tournament already exists with the same settings.
 */
export const TOURNEY_CREATE = {
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, options?: TourneyCreateOptions) {
    parser.push('TOURNEY.CREATE');
    parser.pushKey(key);
    if (options?.order !== undefined) parser.push('ORDER', options.order);
    if (options?.tiebreak !== undefined) parser.push('TIEBREAK', options.tiebreak);
    pushTies(parser, options);
    if (options?.expireAt !== undefined) parser.push('EXPIREAT', String(options.expireAt));
  },
  transformReply: undefined as unknown as () => SimpleStringReply<'OK'>
} as const;

function required(fields: Map<string, RawReply>, name: string, what: string): RawReply {
  if (!fields.has(name)) throw new TallyReplyError(`${what} (no '${name}')`, Object.fromEntries(fields));
  return fields.get(name);
}

function nullable<T>(value: RawReply, parse: (value: RawReply) => T): T | null {
  return value === null || value === undefined ? null : parse(value);
}

/** An option word of the reply ("first", "dense"...) as the upper-case word the options take. */
function word<T extends string>(value: RawReply, words: ReadonlyArray<T>, what: string): T {
  const upper = toText(value, what).toUpperCase();
  const found = words.find((w) => w === upper);
  if (found === undefined) throw new TallyReplyError(what, value);
  return found;
}

/** `TOURNEY.INFO key` -> the tournament's settings, members and top and bottom scores (defaults for a plain key). */
export const TOURNEY_INFO = {
  IS_READ_ONLY: true,
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, options?: SeasonReadOptions) {
    parser.push('TOURNEY.INFO');
    parser.pushKey(key);
    pushSeasonRead(parser, options);
  },
  transformReply(this: void, reply: RawReply): TourneyInfo {
    const what = 'TOURNEY.INFO';
    const fields = new Map(mapEntries(reply, what));
    return {
      created: toInteger(required(fields, 'created', what), what) === 1,
      tiebreak: word(required(fields, 'tiebreak', what), ['FIRST', 'MEMBER'] as const, what),
      ties: word(required(fields, 'ties', what), ['ORDINAL', 'COMPETITION', 'DENSE'] as const, what),
      expireAt: nullable(required(fields, 'expireat', what), (v) => toInteger(v, what)),
      members: toInteger(required(fields, 'members', what), what),
      top: nullable(required(fields, 'top', what), (v) => toDouble(v, what)),
      bottom: nullable(required(fields, 'bottom', what), (v) => toDouble(v, what)),
      order: word(required(fields, 'order', what), ['DESC', 'ASC'] as const, what)
    };
  }
} as const;
