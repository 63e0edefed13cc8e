// AUDIT.* command definitions (capped, optionally idempotent, audit streams).

import type { CommandParser, RedisArgument } from '@redis/client';
import type { SimpleStringReply } from '@redis/client/dist/lib/RESP/types.js';
import { mapEntries, toArray, toInteger, toText, TallyReplyError, type RawReply } from './reply.js';

/** A field value: strings and Buffers are sent as they are, numbers in decimal. */
export type AuditFieldValue = RedisArgument | number;

export interface AuditAppendOptions {
  /** Cap the stream at min(maxLen, tally.audit-max-len) entries (exact trimming). */
  maxLen?: number;
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
  /** The server's tally.audit-max-len. */
  cap: number;
  /** The server's tally.audit-retention-ms (0 = off). */
  retentionMs: number;
  firstEntryId: string | null;
  lastEntryId: string | null;
  entriesAdded: number;
  groups: Array<AuditGroupInfo>;
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
    if (options?.maxLen !== undefined) parser.push('MAXLEN', String(options.maxLen));
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
      groups: toArray(required(fields, 'groups', what), what).map(groupInfo)
    };
  }
} as const;
