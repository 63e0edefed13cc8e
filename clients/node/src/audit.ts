// AUDIT.* command definitions (capped, optionally idempotent, audit streams).

import type { CommandParser, RedisArgument } from '@redis/client';
import type { SimpleStringReply } from '@redis/client/dist/lib/RESP/types.js';
import { mapEntries, toArray, toInteger, toText, TallyReplyError, type RawReply } from './reply.js';

/** A field value: strings and Buffers are sent as they are, numbers in decimal. */
export type AuditFieldValue = RedisArgument | number;

export interface AuditAppendOptions {
  /**
   * Cap the stream at min(maxLen, its own cap, tally.audit-max-len) entries: exactly, or
   * by whole stream nodes (`{ n, approx: true }`, as XADD MAXLEN ~).
   */
  maxLen?: number | { n: number; approx?: boolean };
  /**
   * Exactly-once appends per producer: re-sending the last accepted `seq` returns the
   * original entry's ID and appends nothing; a lower `seq` is refused.
   */
  idempotent?: { producer: RedisArgument; seq: number | bigint | string };
}

export interface AuditGroupOptions {
  /** Where the group starts reading: an entry ID, `$` (default: only new entries) or `0` (everything). */
  start?: RedisArgument;
}

export interface AuditGroupInfo {
  name: string;
  consumers: number;
  pending: number;
  /** null when the server cannot tell (XINFO GROUPS reports the lag unknown). */
  lag: number | null;
}

export interface AuditInfo {
  length: number;
  /** The stream's own cap (AUDIT.CREATE), else the server's tally.audit-max-len. */
  cap: number;
  /** The stream's own retention, else the server's tally.audit-retention-ms (0 = off). */
  retentionMs: number;
  firstEntryId: string | null;
  lastEntryId: string | null;
  entriesAdded: number;
  groups: Array<AuditGroupInfo>;
  /** '=' (exact cap) or '~' (whole nodes). */
  mode: '=' | '~';
  onFull: 'trim' | 'refuse';
  chain: boolean;
  /** Under ONFULL REFUSE, the appends left before one is refused; null otherwise. */
  remaining: number | null;
}

export interface AuditCreateOptions {
  /** The stream's cap (tally.audit-max-len stays the ceiling); `approx` trims whole nodes. */
  maxLen?: number | { n: number; approx?: boolean };
  /** The stream's retention in ms (0 = none). */
  retentionMs?: number;
  /** 'REFUSE': never trim what a consumer group has not acknowledged; refuse with FULL. */
  onFull?: 'TRIM' | 'REFUSE';
  /** Link every entry with SHA-256 (AUDIT.VERIFY checks it); needs an exact cap. */
  chain?: boolean;
}

/** What AUDIT.VERIFY replies. */
export interface AuditVerified {
  ok: boolean;
  checked: number;
  /** The first entry whose link does not hold; null when every checked link holds. */
  firstBad: string | null;
  /** Where the check stopped: pass `{ id: lastId, hash: lastHash }` as `from` for the next page. */
  lastId: string | null;
  lastHash: string | null;
}

/** What AUDIT.DIGEST replies: keep it, and verify `from` it later. */
export interface AuditDigest {
  lastId: string | null;
  lastHash: string | null;
  length: number;
}

/** `AUDIT.APPEND key [MAXLEN n] [IDEMPOTENT producer seq] field value ...` -> the entry's ID. */
export const AUDIT_APPEND = {
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    fields: Record<string, AuditFieldValue>,
    options?: AuditAppendOptions
  ) {
    parser.push('AUDIT.APPEND');
    parser.pushKey(key);
    if (options?.maxLen !== undefined) {
      const { n, approx } = typeof options.maxLen === 'number' ? { n: options.maxLen, approx: false } : options.maxLen;
      parser.push('MAXLEN', approx ? '~' : '=', String(n));
    }
    if (options?.idempotent !== undefined) {
      parser.push('IDEMPOTENT', options.idempotent.producer, String(options.idempotent.seq));
    }
    for (const [field, value] of Object.entries(fields)) {
      parser.push(field, typeof value === 'number' ? String(value) : value);
    }
  },
  transformReply(this: void, reply: RawReply): string {
    return toText(reply, 'AUDIT.APPEND');
  }
} as const;

/** `AUDIT.GROUP key group [START id]` -> 'OK', also when the group already exists. */
export const AUDIT_GROUP = {
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, group: RedisArgument, options?: AuditGroupOptions) {
    parser.push('AUDIT.GROUP');
    parser.pushKey(key);
    parser.push(group);
    if (options?.start !== undefined) parser.push('START', options.start);
  },
  transformReply: undefined as unknown as () => SimpleStringReply<'OK'>
} as const;

function nullableInteger(value: RawReply, what: string): number | null {
  return value === null || value === undefined ? null : toInteger(value, what);
}

function nullableText(value: RawReply, what: string): string | null {
  return value === null || value === undefined ? null : toText(value, what);
}

function required(fields: Map<string, RawReply>, name: string, what: string): RawReply {
  if (!fields.has(name)) throw new TallyReplyError(`${what} (no '${name}')`, Object.fromEntries(fields));
  return fields.get(name);
}

function groupInfo(reply: RawReply): AuditGroupInfo {
  const what = 'AUDIT.INFO group';
  const fields = new Map(mapEntries(reply, what));
  return {
    name: toText(required(fields, 'name', what), what),
    consumers: toInteger(required(fields, 'consumers', what), what),
    pending: toInteger(required(fields, 'pending', what), what),
    lag: nullableInteger(required(fields, 'lag', what), what)
  };
}

/** `AUDIT.INFO key` -> the stream's length, cap, retention, IDs and groups; null for a missing key. */
export const AUDIT_INFO = {
  IS_READ_ONLY: true,
  parseCommand(this: void, parser: CommandParser, key: RedisArgument) {
    parser.push('AUDIT.INFO');
    parser.pushKey(key);
  },
  transformReply(this: void, reply: RawReply): AuditInfo | null {
    if (reply === null) return null;
    const what = 'AUDIT.INFO';
    const fields = new Map(mapEntries(reply, what));
    return {
      length: toInteger(required(fields, 'length', what), what),
      cap: toInteger(required(fields, 'cap', what), what),
      retentionMs: toInteger(required(fields, 'retention-ms', what), what),
      firstEntryId: nullableText(required(fields, 'first-entry-id', what), what),
      lastEntryId: nullableText(required(fields, 'last-entry-id', what), what),
      entriesAdded: toInteger(required(fields, 'entries-added', what), what),
      groups: toArray(required(fields, 'groups', what), what).map(groupInfo),
      mode: toText(required(fields, 'mode', what), what) as '=' | '~',
      onFull: toText(required(fields, 'onfull', what), what) as 'trim' | 'refuse',
      chain: toInteger(required(fields, 'chain', what), what) === 1,
      remaining: nullableInteger(required(fields, 'remaining', what), what)
    };
  }
} as const;

/** `AUDIT.CREATE key [MAXLEN [=|~] n] [RETENTION ms] [ONFULL TRIM|REFUSE] [CHAIN]` -> 'OK'. */
export const AUDIT_CREATE = {
  parseCommand(this: void, parser: CommandParser, key: RedisArgument, options?: AuditCreateOptions) {
    parser.push('AUDIT.CREATE');
    parser.pushKey(key);
    if (options?.maxLen !== undefined) {
      const { n, approx } = typeof options.maxLen === 'number' ? { n: options.maxLen, approx: false } : options.maxLen;
      parser.push('MAXLEN', approx ? '~' : '=', String(n));
    }
    if (options?.retentionMs !== undefined) parser.push('RETENTION', String(options.retentionMs));
    if (options?.onFull !== undefined) parser.push('ONFULL', options.onFull);
    if (options?.chain) parser.push('CHAIN');
  },
  transformReply: undefined as unknown as () => SimpleStringReply<'OK'>
} as const;

/** `AUDIT.VERIFY key [FROM id hash] [COUNT n]` -> whether every checked link holds, and where it stopped. */
export const AUDIT_VERIFY = {
  IS_READ_ONLY: true,
  parseCommand(
    this: void,
    parser: CommandParser,
    key: RedisArgument,
    options?: { from?: { id: string; hash: string }; count?: number }
  ) {
    parser.push('AUDIT.VERIFY');
    parser.pushKey(key);
    if (options?.from !== undefined) parser.push('FROM', options.from.id, options.from.hash);
    if (options?.count !== undefined) parser.push('COUNT', String(options.count));
  },
  transformReply(this: void, reply: RawReply): AuditVerified {
    const what = 'AUDIT.VERIFY';
    const [ok, checked, firstBad, lastId, lastHash] = toArray(reply, what, 5);
    return {
      ok: toInteger(ok, what) === 1,
      checked: toInteger(checked, what),
      firstBad: nullableText(firstBad, what),
      lastId: nullableText(lastId, what),
      lastHash: nullableText(lastHash, what)
    };
  }
} as const;

/** `AUDIT.DIGEST key` -> the newest entry's ID and link, and the stream's length. */
export const AUDIT_DIGEST = {
  IS_READ_ONLY: true,
  parseCommand(this: void, parser: CommandParser, key: RedisArgument) {
    parser.push('AUDIT.DIGEST');
    parser.pushKey(key);
  },
  transformReply(this: void, reply: RawReply): AuditDigest {
    const what = 'AUDIT.DIGEST';
    const [lastId, lastHash, length] = toArray(reply, what, 3);
    return { lastId: nullableText(lastId, what), lastHash: nullableText(lastHash, what), length: toInteger(length, what) };
  }
} as const;
