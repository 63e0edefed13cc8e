// Reply normalisation shared by the command definitions.
//
// tally replies differently per protocol: a score is a bulk string ("10.5") in RESP2 and
// a double in RESP3, AUDIT.INFO is a flat array in RESP2 and a map in RESP3. node-redis
// may also hand us Buffers or strings where a number is expected when the caller set a
// `typeMapping`. These helpers accept every such shape, so one transform serves both
// protocols and every type mapping.

/** A RESP value as node-redis decodes it, before any transform. */
export type RawReply = unknown;

function isText(value: RawReply): value is string | Buffer {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

/** A protocol error: the server replied with a shape this client does not understand. */
export class TallyReplyError extends Error {
  constructor(what: string, reply: RawReply) {
    super(`tally: unexpected reply for ${what}: ${describe(reply)}`);
    this.name = 'TallyReplyError';
  }
}

function describe(reply: RawReply): string {
  try {
    return JSON.stringify(reply, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(reply);
  } catch {
    return String(reply);
  }
}

/**
 * A double as Redis formats it (bulk string in RESP2: "10", "10.5", "inf", "-inf") or a
 * RESP3 double, as a JS number.
 */
export function toDouble(value: RawReply, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (isText(value)) {
    const text = value.toString().trim().toLowerCase();
    if (text === 'inf' || text === '+inf') return Infinity;
    if (text === '-inf') return -Infinity;
    const parsed = Number(text);
    if (text !== '' && !Number.isNaN(parsed)) return parsed;
  }
  throw new TallyReplyError(what, value);
}

/** An integer reply (a number, or a string/bigint under a NUMBER type mapping). */
export function toInteger(value: RawReply, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  if (isText(value)) {
    const text = value.toString();
    if (/^-?\d+$/.test(text)) return Number(text);
  }
  throw new TallyReplyError(what, value);
}

/** A textual reply (bulk or simple string) as a JS string. */
export function toText(value: RawReply, what: string): string {
  if (isText(value)) return value.toString();
  throw new TallyReplyError(what, value);
}

export function toArray(value: RawReply, what: string, length?: number): Array<RawReply> {
  if (Array.isArray(value) && (length === undefined || value.length === length)) return value;
  throw new TallyReplyError(what, value);
}

/**
 * The key/value pairs of a map reply, whatever node-redis made of it: a flat array
 * (RESP2, or RESP3 with `MAP: Array`), a `Map` (`MAP: Map`) or a plain object (the
 * RESP3 default). Keys come back as strings.
 */
export function mapEntries(value: RawReply, what: string): Array<[string, RawReply]> {
  if (Array.isArray(value)) {
    if (value.length % 2 !== 0) throw new TallyReplyError(what, value);
    const entries: Array<[string, RawReply]> = [];
    for (let i = 0; i < value.length; i += 2) entries.push([toText(value[i], what), value[i + 1]]);
    return entries;
  }
  if (value instanceof Map) {
    return [...value.entries()].map(([k, v]) => [toText(k, what), v]);
  }
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.entries(value as Record<string, RawReply>);
  }
  throw new TallyReplyError(what, value);
}
