// Types of tally.mjs: tally's core as WebAssembly (docs/wasm.md).

/** The ABI version this wrapper speaks; `load()` refuses a .wasm of another version. */
export const ABI_VERSION: 4;

/** Bytes or text (encoded as UTF-8), as a Redis client sends a key or argument. */
export type Bytes = string | Uint8Array;
/** A command argument: text, bytes, or a number sent as JavaScript prints it. */
export type Arg = Bytes | number | bigint;

/** An error the tally module would reply for the same call; `message` is its exact text. */
export class TallyError extends Error {
  readonly name: 'TallyError';
  /** The error's code word: `ERR`, `CROSSSLOT`, `WRONGTYPE`... */
  readonly code: string;
}

/** What every limiting command replies, as fields and as the raw 5 integers. */
export interface Decision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** 0 when allowed, else ms until the same request would pass. */
  retryAfterMs: number;
  /** ms until the limiter is back to full capacity (0 when empty). */
  resetAfterMs: number;
  /** `[allowed, limit, remaining, retry_after_ms, reset_after_ms]` as the server replies. */
  reply: [number, number, number, number, number];
  /** True when the call changed the state (allowed with a cost above 0). */
  written: boolean;
  /** True when the call was refused and, under `shadow`, replied as allowed (nothing written). */
  shadowed: boolean;
}

export interface LimiterOptions {
  /** The server clock in ms: a whole number within +-(2^53 - 1). */
  nowMs: number | bigint;
  /** As `tally.require-hashtag yes` (default false). */
  requireHashtag?: boolean;
  /**
   * As `tally.limit-shadow yes` (default false): a call that would be refused is replied as
   * allowed with nothing remaining and writes nothing; `shadowed` tells it apart.
   */
  shadow?: boolean;
}

export interface SlideOptions extends LimiterOptions {
  /** Only checked (hash tag); default `{tally}`. */
  key?: Bytes;
  windowMs: Arg;
  max: Arg;
  /** Units to take (default 1); 0 checks without consuming. */
  cost?: Arg;
  /** The log's entry times in ms (the sorted set's scores), any order; empty when absent. */
  log?: Iterable<number> | Float64Array | null;
  /** `tally.limit-max-log` (default: the module's default, read from the .wasm). */
  maxLog?: number;
}

export interface SlideResult extends Decision {
  /** The log to keep: pruned, plus `cost` entries at nowMs when written; oldest first. */
  log: number[];
  /** nowMs + windowMs when written (the key's expiry on the server), else null. */
  expireAtMs: number | null;
}

export interface MultiWindow {
  key?: Bytes;
  windowMs: Arg;
  max: Arg;
  log?: Iterable<number> | Float64Array | null;
}

export interface MultiOptions extends LimiterOptions {
  /** One sliding window per key; keys default to distinct keys of one slot. */
  windows: MultiWindow[];
  cost?: Arg;
  maxLog?: number;
}

export interface MultiResult extends Decision {
  /** Per window, in order: the log to keep and its expiry when written. */
  windows: { log: number[]; expireAtMs: number | null }[];
}

export interface GcraOptions extends LimiterOptions {
  key?: Bytes;
  burst: Arg;
  count: Arg;
  periodMs: Arg;
  cost?: Arg;
  /** The stored theoretical arrival time (the key's string: µs as `us` or `us+rem/per`), null/undefined when absent. */
  tatUs?: string | number | bigint | Uint8Array | null;
}

export interface GcraResult extends Decision {
  /** The state to keep after the call (the new TAT when written), null when none. */
  tatUs: string | null;
  /** When the limiter is full again (the key's expiry on the server), when written. */
  expireAtMs: number | null;
}

export interface FixedOptions extends LimiterOptions {
  key?: Bytes;
  /** The window's length: windows are aligned to multiples of it since the Unix epoch. */
  periodMs: Arg;
  max: Arg;
  cost?: Arg;
  /** The key's stored count (the string INCR leaves), null/undefined when absent. */
  count?: string | number | bigint | Uint8Array | null;
  /** The key's absolute expiry (ms), null/undefined when it has none. */
  expireAtMs?: number | bigint | null;
}

export interface FixedResult extends Decision {
  /** The count to keep: the new count when written, else the one given; null when none. */
  count: string | null;
  /** The end of the current window (the key's expiry on the server), when written. */
  expireAtMs: number | null;
}

/** A token as a lease set holds it: text or bytes (a sorted-set member). */
export type Token = string | Uint8Array;
/** A key's leases, token -> end ms (the sorted set's scores); results come back as the same kind. */
export type Leases = Map<Token, number> | Record<string, number> | Iterable<[Token, number]>;

export interface LeaseOptions {
  key?: Bytes;
  /** The key's leases; null/undefined when the key is absent. Ended leases are dropped. */
  leases?: Leases | null;
  nowMs: number | bigint;
  requireHashtag?: boolean;
}

export interface AcquireOptions extends LeaseOptions {
  max: Arg;
  leaseMs: Arg;
  /** The lease's token; a held token renews its lease. Without one, a token is made. */
  token?: Token | number | bigint | null;
  /** Makes the token when none is given (default: 32 random hex digits from Web Crypto). */
  makeToken?: () => Token;
  shadow?: boolean;
  /** `tally.limit-max-log`, the largest `max` (default: the module's). */
  maxLog?: number;
}

export interface LeaseState {
  /** The leases after the call, in the server's order (by end, then token). */
  leases: Map<Token, number> | Record<string, number> | [Token, number][];
  /** The key's expiry: the last lease's end; null when no lease is left (the key is deleted). */
  expireAtMs: number | null;
}

export interface AcquireResult extends LeaseState {
  acquired: boolean;
  /** The same as `acquired`. */
  allowed: boolean;
  limit: number;
  remaining: number;
  retryAfterMs: number;
  /** The token replied: the one given or made, null when refused. */
  token: Token | null;
  /** `[acquired, limit, remaining, retry_after_ms, token-or-nil]` as the server replies. */
  reply: [number, number, number, number, Token | null];
  /** True when a lease was taken or renewed. */
  written: boolean;
  shadowed: boolean;
}

export interface ReleaseOptions extends LeaseOptions {
  token: Token | number | bigint;
}

export interface RenewOptions extends ReleaseOptions {
  leaseMs: Arg;
}

export interface ReleaseResult extends LeaseState {
  /** 1 when a live lease was released, else 0. */
  reply: 0 | 1;
  released: boolean;
}

export interface RenewResult extends LeaseState {
  /** 1 when a live lease was extended, else 0 (it had ended: the worker must stop). */
  reply: 0 | 1;
  renewed: boolean;
}

export interface CommandState {
  nowMs: number | bigint;
  /** Sliding logs by key (missing keys have empty logs). */
  logs?: Record<string, Iterable<number>> | Map<string, Iterable<number>>;
  /** A GCRA key's stored string. */
  tatUs?: string | number | bigint | Uint8Array | null;
  /** A LIMIT.FIXED key's stored count and expiry. */
  count?: string | number | bigint | Uint8Array | null;
  expireAtMs?: number | bigint | null;
  /** A LIMIT.ACQUIRE/RELEASE/RENEW key's leases, and how to make a token (as `acquire()`). */
  leases?: Leases | null;
  makeToken?: () => Token;
  requireHashtag?: boolean;
  shadow?: boolean;
  maxLog?: number;
}

/** A command name as argv's first item, upper or lower case (any case at run time). */
export type CommandName<N extends string> = Uppercase<N> | Lowercase<N>;

export interface LogCommandResult extends Decision {
  /** The logs of the call's keys after it. */
  logs: Record<string, number[]>;
  /** The call's keys' new expiries; empty when nothing was written. */
  expireAtMs: Record<string, number>;
}

export interface AroundWindow {
  /** 0-based reverse ranks (ZREVRANGE start stop). */
  start: number;
  stop: number;
}

export interface PageRankOptions {
  ties?: 'ordinal' | 'competition' | 'dense';
  /** 1-based position of the page's first entry (default 1). */
  firstPosition?: number;
  /** Rank of the page's first entry under competition ties (1 + members scoring higher) or dense ties (1 + distinct scores higher); default firstPosition. */
  firstRank?: number;
}

/** A season's length, as `SEASON daily|weekly|monthly` takes it (any case at run time). */
export type SeasonPeriod = 'daily' | 'weekly' | 'monthly' | 'DAILY' | 'WEEKLY' | 'MONTHLY';

/** One season of a leaderboard key; `K` is the key's type (string or bytes). */
export interface Season<K extends Bytes = string> {
  /** The season's leaderboard key: `key:<name>` for a key with a hash tag, else `{key}:<name>`. */
  key: K;
  /** `2026-11-26` (daily), `2026-W48` (weekly, ISO 8601) or `2026-11` (monthly), in UTC. */
  name: string;
  /** When the server expires the season's key (ms): the end of the following season. */
  expireAtMs: number;
}

export class Tally {
  /** The raw exports (the ABI in docs/wasm.md). */
  readonly exports: WebAssembly.Exports;
  /** The key's cluster hash slot (0..16383), as CLUSTER KEYSLOT. */
  hashSlot(key: Bytes): number;
  /** The key's hash tag, or null when the whole key is hashed. */
  hashTag(key: string): string | null;
  hashTag(key: Uint8Array): Uint8Array | null;
  /** null when the keys may go in one tally command, else the module's exact error text. */
  validateKeys(keys: Iterable<Bytes>, requireHashtag?: boolean): string | null;
  /** LIMIT.SLIDE on a log the caller keeps. Throws TallyError for what the server refuses. */
  slide(options: SlideOptions): SlideResult;
  /** LIMIT.MULTI on logs the caller keeps. */
  multi(options: MultiOptions): MultiResult;
  /** LIMIT.GCRA on a TAT the caller keeps. */
  gcra(options: GcraOptions): GcraResult;
  /** LIMIT.FIXED on a count (and its expiry) the caller keeps. */
  fixed(options: FixedOptions): FixedResult;
  /** LIMIT.ACQUIRE on leases the caller keeps. */
  acquire(options: AcquireOptions): AcquireResult;
  /** LIMIT.RELEASE on leases the caller keeps. */
  release(options: ReleaseOptions): ReleaseResult;
  /** LIMIT.RENEW on leases the caller keeps. */
  renew(options: RenewOptions): RenewResult;
  /**
   * A limiter command as argv (`['LIMIT.SLIDE', key, ...]`) with the state of its keys; the
   * lease commands' results are typed when argv starts with their name as a literal.
   */
  command(argv: [CommandName<'limit.acquire'>, ...Arg[]], state: CommandState): AcquireResult;
  command(argv: [CommandName<'limit.release'>, ...Arg[]], state: CommandState): ReleaseResult;
  command(argv: [CommandName<'limit.renew'>, ...Arg[]], state: CommandState): RenewResult;
  command(argv: Arg[], state: CommandState): LogCommandResult | GcraResult | FixedResult;
  /** TOURNEY.PERCENTILE's number: 100 * atOrBelow / len (0 when len is 0). */
  percentile(atOrBelow: number, len: number): number;
  /** TOURNEY.AROUND's window around a 0-based reverse rank, or null when rank >= len. */
  aroundWindow(rank: number, radius: number, len: number): AroundWindow | null;
  /** Ranks of a page of scores (best first) as TOURNEY.TOP/AROUND give them. */
  pageRanks(scores: Iterable<number>, options?: PageRankOptions): number[];
  /** A score as the module writes it (shortest round-trip text). */
  formatScore(value: number): string;
  /** A score parsed as TOURNEY.INCR/SUBMIT parse it; TallyError when they refuse it. */
  parseScore(text: Bytes): number;
  /** The `chain` link AUDIT.APPEND stores (hex); `prev` null for a stream's first entry. */
  chainLink(prev: string | null, id: string, fields: Iterable<Bytes>): string;
  /** AUDIT.VERIFY over XRANGE output, oldest first; `from` where the dump starts. */
  verifyChain(entries: Iterable<ChainEntry>, from?: { id: string; hash: string }): ChainVerified;
  /**
   * The season of `period` holding `nowMs` (default `Date.now()`) and its leaderboard key, as
   * `TOURNEY.* key ... SEASON period` names them. TallyError for a key that cannot have
   * companions (a `}` but no hash tag).
   */
  season(key: string, period: SeasonPeriod, nowMs?: number | bigint): Season<string>;
  season(key: Uint8Array, period: SeasonPeriod, nowMs?: number | bigint): Season<Uint8Array>;
}

/**
 * Instantiates the .wasm: by default `tally.wasm` next to tally.mjs (read from disk in Node,
 * fetched elsewhere); or a path/URL, bytes, a Response (or a promise of one), or a compiled
 * WebAssembly.Module (edge workers). Also backs the module-level functions below.
 */
export function load(
  source?: string | URL | ArrayBuffer | ArrayBufferView | Response | Promise<Response> | WebAssembly.Module,
): Promise<Tally>;

export function hashSlot(key: Bytes): number;
export function hashTag(key: string): string | null;
export function hashTag(key: Uint8Array): Uint8Array | null;
export function validateKeys(keys: Iterable<Bytes>, requireHashtag?: boolean): string | null;
export function slide(options: SlideOptions): SlideResult;
export function multi(options: MultiOptions): MultiResult;
export function gcra(options: GcraOptions): GcraResult;
export function fixed(options: FixedOptions): FixedResult;
export function acquire(options: AcquireOptions): AcquireResult;
export function release(options: ReleaseOptions): ReleaseResult;
export function renew(options: RenewOptions): RenewResult;
export function command(argv: [CommandName<'limit.acquire'>, ...Arg[]], state: CommandState): AcquireResult;
export function command(argv: [CommandName<'limit.release'>, ...Arg[]], state: CommandState): ReleaseResult;
export function command(argv: [CommandName<'limit.renew'>, ...Arg[]], state: CommandState): RenewResult;
export function command(argv: Arg[], state: CommandState): LogCommandResult | GcraResult | FixedResult;
export function percentile(atOrBelow: number, len: number): number;
export function aroundWindow(rank: number, radius: number, len: number): AroundWindow | null;
export function pageRanks(scores: Iterable<number>, options?: PageRankOptions): number[];
export function formatScore(value: number): string;
export function parseScore(text: Bytes): number;
export function chainLink(prev: string | null, id: string, fields: Iterable<Bytes>): string;
export function verifyChain(entries: Iterable<ChainEntry>, from?: { id: string; hash: string }): ChainVerified;

/** An XRANGE entry: `[id, [field, value, ...]]`, or node-redis's `{id, message}`. */
export type ChainEntry = [string, Bytes[]] | { id: string; message: Record<string, string> };

/** What AUDIT.VERIFY replies: `[ok, checked, first-bad-id, last-id, last-hash]`. */
export interface ChainVerified {
  ok: boolean;
  checked: number;
  firstBad: string | null;
  lastId: string | null;
  lastHash: string | null;
}
export function season(key: string, period: SeasonPeriod, nowMs?: number | bigint): Season<string>;
export function season(key: Uint8Array, period: SeasonPeriod, nowMs?: number | bigint): Season<Uint8Array>;
