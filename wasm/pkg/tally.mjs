// tally's core as WebAssembly: hash slots, limiter decisions, rank maths and season keys
// with the module's exact rules and error texts. No dependencies; runs in Node >= 18,
// browsers, Deno and edge workers. ABI and examples: docs/wasm.md.

export const ABI_VERSION = 4;

const OK = 0;
const REFUSED = 1;
const INVALID = 2;

// Limiter exports' `flags`, and a decision's `outcome` codes.
const REQUIRE_HASHTAG = 1;
const SHADOW = 2;
const WRITTEN = 1;
const SHADOWED = 2;

// The names of the ABI's enum codes, in code order.
const PERIODS = ['daily', 'weekly', 'monthly'];
const TIES_MODES = ['ordinal', 'competition', 'dense'];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An error the tally module would reply for the same call; `message` is its exact text. */
export class TallyError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TallyError';
    /** The error's code word: ERR, CROSSSLOT, WRONGTYPE... */
    this.code = message.split(' ', 1)[0];
  }
}

const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;

async function wasmSource(source) {
  source = await source;
  if (source === undefined || source === null) {
    source = new URL('./tally.wasm', import.meta.url);
  }
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return source;
  if (typeof source === 'string' || source instanceof URL) {
    const local = typeof source === 'string' ? !/^[a-z][a-z0-9+.-]*:\/\//i.test(source) || source.startsWith('file:') : source.protocol === 'file:';
    if (isNode && local) {
      const { readFile } = await import('node:fs/promises');
      return readFile(source);
    }
    source = await fetch(source);
  }
  if (source && typeof source.arrayBuffer === 'function') {
    if (source.ok === false) throw new Error(`tally: fetching the .wasm failed with status ${source.status}`);
    return source.arrayBuffer();
  }
  throw new TypeError('tally: load() takes nothing, a path or URL, bytes, a Response or a WebAssembly.Module');
}

let current = null;

/**
 * Instantiates the .wasm: by default the `tally.wasm` next to this file (read from disk in
 * Node, fetched elsewhere); or from a path/URL, an ArrayBuffer/typed array, a Response (or a
 * promise of one), or a compiled WebAssembly.Module (edge workers). The instance is returned,
 * and also backs the module-level functions (`hashSlot`, `slide`...).
 */
export async function load(source) {
  const wasm = await wasmSource(source);
  const instance = wasm instanceof WebAssembly.Module
    ? await WebAssembly.instantiate(wasm, {})
    : (await WebAssembly.instantiate(wasm, {})).instance;
  const tally = new Tally(instance);
  current = tally;
  return tally;
}

function loaded() {
  if (current === null) throw new Error('tally: call `await load()` first');
  return current;
}

function bytesOf(value, name) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return encoder.encode(value);
  if (typeof value === 'number' || typeof value === 'bigint') return encoder.encode(String(value));
  throw new TypeError(`tally: ${name} must be a string or a Uint8Array`);
}

/** The ABI code of `name` (any case) among `names`, or a TypeError that lists them. */
function codeOf(names, name, what) {
  const code = typeof name === 'string' ? names.indexOf(name.toLowerCase()) : -1;
  if (code === -1) {
    const quoted = names.map((n) => `'${n}'`);
    throw new TypeError(`tally: ${what} must be ${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`);
  }
  return code;
}

/** `bytes` (a key the core derived) as text when `key` was given as text. */
function likeKey(key, bytes) {
  return typeof key === 'string' ? decoder.decode(bytes) : bytes;
}

/** Packs byte strings as `u32 little-endian length, bytes` each. */
function pack(items) {
  const total = items.reduce((sum, item) => sum + 4 + item.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const item of items) {
    view.setUint32(at, item.length, true);
    out.set(item, at + 4);
    at += 4 + item.length;
  }
  return out;
}

/** An argument as the server receives it: text; numbers as JavaScript prints them. */
function arg(value, name) {
  if (value === undefined || value === null) throw new TypeError(`tally: ${name} is required`);
  return bytesOf(value, name);
}

/** A required value as given (a token, which comes back as it was given). */
function required(value, name) {
  if (value === undefined || value === null) throw new TypeError(`tally: ${name} is required`);
  bytesOf(value, name);
  return value;
}

/** `argv` plus `COST n` when a cost is given. */
function withCost(argv, cost) {
  return cost === undefined ? argv : [...argv, 'COST', arg(cost, 'cost')];
}

function number(value, name) {
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(`tally: ${name} must be within +-(2^53 - 1)`);
    }
    return Number(value);
  }
  if (typeof value !== 'number') throw new TypeError(`tally: ${name} must be a number`);
  return value;
}

function f64Array(values, name) {
  if (values === undefined || values === null) return new Float64Array(0);
  if (values instanceof Float64Array) return values;
  if (typeof values[Symbol.iterator] !== 'function') throw new TypeError(`tally: ${name} must be an array of numbers`);
  return Float64Array.from(values, (v) => (typeof v === 'bigint' ? Number(v) : v));
}

function flagsOf(requireHashtag, shadow) {
  return (requireHashtag ? REQUIRE_HASHTAG : 0) | (shadow ? SHADOW : 0);
}

function decision(view) {
  const reply = [0, 1, 2, 3, 4].map((i) => view.getFloat64(8 * i, true));
  const outcome = view.getFloat64(40, true);
  return {
    allowed: reply[0] === 1,
    limit: reply[1],
    remaining: reply[2],
    retryAfterMs: reply[3],
    resetAfterMs: reply[4],
    reply,
    written: outcome === WRITTEN,
    shadowed: outcome === SHADOWED,
  };
}

/** The bytes of a token as a Map key (tokens are compared as bytes, as sorted-set members). */
function bytesKey(bytes) {
  let key = '';
  for (const byte of bytes) key += String.fromCharCode(byte);
  return key;
}

/** A token as the caller gave it: text and bytes as they are, numbers as their text. */
function tokenLike(value, bytes) {
  return typeof value === 'string' || value instanceof Uint8Array ? value : decoder.decode(bytes);
}

/**
 * A key's leases (a Map or object of token -> end ms, or an iterable of [token, end] pairs;
 * null/undefined when the key is absent) as the kind of container they came in and their
 * tokens (as given and as bytes) and ends.
 */
function leaseList(leases) {
  let kind;
  let pairs;
  if (leases === undefined || leases === null) {
    [kind, pairs] = ['object', []];
  } else if (leases instanceof Map) {
    [kind, pairs] = ['map', Array.from(leases)];
  } else if (typeof leases[Symbol.iterator] === 'function' && typeof leases !== 'string') {
    [kind, pairs] = ['array', Array.from(leases)];
  } else if (typeof leases === 'object') {
    [kind, pairs] = ['object', Object.entries(leases)];
  } else {
    throw new TypeError('tally: leases must be a Map or object of token -> end ms, or [token, end] pairs');
  }
  const tokens = [];
  const bytes = [];
  const ends = new Float64Array(pairs.length);
  pairs.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError('tally: each lease is a [token, end] pair');
    tokens.push(pair[0]);
    bytes.push(bytesOf(pair[0], 'a lease token'));
    ends[i] = number(pair[1], 'a lease end');
  });
  return { kind, tokens, bytes, ends };
}

/** 128 random bits as 32 hex digits, the shape of the token the server makes. */
function randomToken() {
  const webCrypto = globalThis.crypto;
  if (!webCrypto || typeof webCrypto.getRandomValues !== 'function') {
    throw new TypeError('tally: acquire without a token needs makeToken or Web Crypto (globalThis.crypto)');
  }
  return Array.from(webCrypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export class Tally {
  #maxLogDefault;

  constructor(instance) {
    this.exports = instance.exports;
    const version = this.exports.tally_abi_version();
    if (version !== ABI_VERSION) {
      throw new Error(`tally: the .wasm has ABI version ${version}, this wrapper speaks ${ABI_VERSION}`);
    }
    this.#maxLogDefault = this.exports.tally_limit_max_log_default();
  }

  /** Copies `buffers` (Uint8Array or Float64Array) into wasm memory, runs `call(ptr, ...)`
   * with their addresses, frees them. */
  #with(buffers, call) {
    const x = this.exports;
    const sizes = buffers.map((b) => b.byteLength);
    const ptrs = [];
    try {
      for (const size of sizes) {
        const ptr = x.tally_alloc(size) >>> 0;
        if (ptr === 0) throw new RangeError('tally: out of wasm memory');
        ptrs.push(ptr);
      }
      // Allocating may grow memory and detach older views: copy only now.
      const memory = new Uint8Array(x.memory.buffer);
      buffers.forEach((b, i) => memory.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), ptrs[i]));
      return call(...ptrs);
    } finally {
      ptrs.forEach((ptr, i) => x.tally_free(ptr, sizes[i]));
    }
  }

  #result() {
    const x = this.exports;
    const ptr = x.tally_result_ptr() >>> 0;
    const len = x.tally_result_len() >>> 0;
    return new Uint8Array(x.memory.buffer, ptr, len).slice();
  }

  /** The result of a call with a status; throws on REFUSED (TallyError) and INVALID. */
  #checked(status) {
    const result = this.#result();
    if (status === OK) return result;
    const text = decoder.decode(result);
    if (status === REFUSED) throw new TallyError(text);
    if (status === INVALID) throw new RangeError(`tally: ${text}`);
    throw new Error(`tally: unknown status ${status}`);
  }

  /** The key's cluster hash slot (0..16383), as CLUSTER KEYSLOT computes it. */
  hashSlot(key) {
    const bytes = bytesOf(key, 'key');
    return this.#with([bytes], (ptr) => this.exports.tally_hash_slot(ptr, bytes.length));
  }

  /** The key's hash tag (same type as the key), or null when the whole key is hashed. */
  hashTag(key) {
    const bytes = bytesOf(key, 'key');
    const found = this.#with([bytes], (ptr) => this.exports.tally_hash_tag(ptr, bytes.length));
    if (found !== 1) return null;
    return likeKey(key, this.#result());
  }

  /** null when the keys may go in one tally command, else the module's error text. */
  validateKeys(keys, requireHashtag = false) {
    const list = Array.from(keys, (key) => bytesOf(key, 'key'));
    const packed = pack(list);
    const status = this.#with([packed], (ptr) =>
      this.exports.tally_validate_keys(ptr, packed.length, list.length, requireHashtag ? 1 : 0));
    if (status === REFUSED) return decoder.decode(this.#result());
    this.#checked(status);
    return null;
  }

  /** LIMIT.SLIDE, or LIMIT.MULTI when `multi`, with one log per key: the decision and per
   * key `{log, expireAtMs}`. */
  #logCall(argv, { nowMs, requireHashtag = false, shadow = false, maxLog = this.#maxLogDefault }, logs, multi) {
    const items = argv.map((a) => bytesOf(a, 'argument'));
    const packed = pack(items);
    const counts = new Uint8Array(4 * logs.length);
    const countView = new DataView(counts.buffer);
    logs.forEach((log, i) => countView.setUint32(4 * i, log.length, true));
    const entries = new Float64Array(logs.reduce((sum, log) => sum + log.length, 0));
    let at = 0;
    for (const log of logs) {
      entries.set(log, at);
      at += log.length;
    }
    const x = this.exports;
    const call = [number(maxLog, 'maxLog'), flagsOf(requireHashtag, shadow), number(nowMs, 'nowMs')];
    const status = this.#with([packed, entries, counts], (argvPtr, logsPtr, countsPtr) => (multi
      ? x.tally_multi(argvPtr, packed.length, items.length, ...call, logsPtr, countsPtr, logs.length)
      : x.tally_slide(argvPtr, packed.length, items.length, ...call, logsPtr, entries.length)));
    const out = this.#checked(status);
    const view = new DataView(out.buffer);
    const result = decision(view);
    const windows = [];
    let offset = 48;
    for (let w = 0; w < logs.length; w++) {
      const expireAtMs = view.getFloat64(offset, true);
      const n = view.getFloat64(offset + 8, true);
      const log = Array.from(new Float64Array(out.buffer.slice(offset + 16, offset + 16 + 8 * n)));
      windows.push({ log, expireAtMs: result.written ? expireAtMs : null });
      offset += 16 + 8 * n;
    }
    return { ...result, windows };
  }

  /**
   * LIMIT.SLIDE key window_ms max [COST n] at `nowMs` against `log` (the entry times, any
   * order). Returns the reply, and the log to keep (`log`) with its expiry when written.
   */
  slide({ key = '{tally}', windowMs, max, cost, log, nowMs, requireHashtag, shadow, maxLog } = {}) {
    const argv = withCost(['limit.slide', key, arg(windowMs, 'windowMs'), arg(max, 'max')], cost);
    const { windows, ...rest } = this.#logCall(argv, { nowMs, requireHashtag, shadow, maxLog }, [f64Array(log, 'log')], false);
    return { ...rest, log: windows[0].log, expireAtMs: windows[0].expireAtMs };
  }

  /**
   * LIMIT.MULTI: one sliding window per entry of `windows` ({key, windowMs, max, log}),
   * consumed from all or none. Keys default to distinct keys of one slot.
   */
  multi({ windows, cost, nowMs, requireHashtag, shadow, maxLog } = {}) {
    if (!Array.isArray(windows)) throw new TypeError('tally: windows must be an array');
    const keys = windows.map((w, i) => (w.key === undefined ? `{tally}${i}` : w.key));
    const argv = ['limit.multi', String(windows.length), ...keys];
    windows.forEach((w, i) => argv.push(arg(w.windowMs, `windows[${i}].windowMs`), arg(w.max, `windows[${i}].max`)));
    const logs = windows.map((w, i) => f64Array(w.log, `windows[${i}].log`));
    return this.#logCall(withCost(argv, cost), { nowMs, requireHashtag, shadow, maxLog }, logs, true);
  }

  /**
   * LIMIT.GCRA key burst count period_ms [COST n] at `nowMs`, given the stored TAT (µs, the
   * key's string; null/undefined when absent). `tatUs` in the result is the state to keep.
   */
  gcra({ key = '{tally}', burst, count, periodMs, cost, tatUs, nowMs, requireHashtag = false, shadow = false } = {}) {
    const argv = ['limit.gcra', key, arg(burst, 'burst'), arg(count, 'count'), arg(periodMs, 'periodMs')];
    return this.#gcra(withCost(argv, cost), { tatUs, nowMs, requireHashtag, shadow });
  }

  #gcra(argv, { tatUs, nowMs, requireHashtag, shadow }) {
    const { stored, ...result } = this.#stateCall(argv, { stored: tatUs, name: 'tatUs', nowMs, requireHashtag, shadow });
    return { ...result, tatUs: stored };
  }

  /**
   * LIMIT.FIXED key period_ms max [COST n] at `nowMs`, given the key's stored count (the
   * string INCR leaves; null/undefined when absent) and its expiry. `count` in the result is
   * the count to keep; when `written`, store it to expire at `expireAtMs`.
   */
  fixed({ key = '{tally}', periodMs, max, cost, count, expireAtMs, nowMs, requireHashtag = false, shadow = false } = {}) {
    const argv = ['limit.fixed', key, arg(periodMs, 'periodMs'), arg(max, 'max')];
    return this.#fixed(withCost(argv, cost), { count, expireAtMs, nowMs, requireHashtag, shadow });
  }

  #fixed(argv, { count, expireAtMs, nowMs, requireHashtag, shadow }) {
    const { stored, ...result } = this.#stateCall(argv, { stored: count, name: 'count', expireAtMs, nowMs, requireHashtag, shadow });
    return { ...result, count: stored };
  }

  /** LIMIT.GCRA (no `expireAtMs` given) or LIMIT.FIXED on a key's stored string. */
  #stateCall(argv, { stored, name, expireAtMs, nowMs, requireHashtag = false, shadow = false }) {
    const items = argv.map((a) => bytesOf(a, 'argument'));
    const packed = pack(items);
    const hasState = stored !== undefined && stored !== null;
    const state = hasState ? bytesOf(stored, name) : new Uint8Array(0);
    const now = number(nowMs, 'nowMs');
    const flags = flagsOf(requireHashtag, shadow);
    const x = this.exports;
    let status;
    if (name === 'tatUs') {
      status = this.#with([packed, state], (argvPtr, statePtr) =>
        x.tally_gcra(argvPtr, packed.length, items.length, flags, now, statePtr, state.length, hasState ? 1 : 0));
    } else {
      const hasExpiry = expireAtMs !== undefined && expireAtMs !== null;
      const expiry = hasExpiry ? number(expireAtMs, 'expireAtMs') : 0;
      status = this.#with([packed, state], (argvPtr, statePtr) =>
        x.tally_fixed(argvPtr, packed.length, items.length, flags, now, statePtr, state.length, hasState ? 1 : 0, expiry, hasExpiry ? 1 : 0));
    }
    const out = this.#checked(status);
    const view = new DataView(out.buffer);
    const result = decision(view);
    const kept = hasState ? (typeof stored === 'string' ? stored : decoder.decode(state)) : null;
    return {
      ...result,
      stored: result.written ? decoder.decode(out.subarray(56)) : kept,
      expireAtMs: result.written ? view.getFloat64(48, true) : null,
    };
  }

  /**
   * LIMIT.ACQUIRE key max lease_ms [TOKEN token] at `nowMs` on the key's `leases` (token ->
   * end ms). Without `token`, a token is made (`makeToken()`, or 128 random bits as 32 hex
   * digits from Web Crypto, as the server makes one) and replied when acquired.
   */
  acquire({ key = '{tally}', max, leaseMs, token, leases, nowMs, requireHashtag, shadow, maxLog, makeToken } = {}) {
    const argv = ['limit.acquire', key, arg(max, 'max'), arg(leaseMs, 'leaseMs')];
    if (token !== undefined && token !== null) argv.push('TOKEN', required(token, 'token'));
    return this.#leaseCall(argv, { leases, nowMs, requireHashtag, shadow, maxLog, makeToken });
  }

  /** LIMIT.RELEASE key token on the key's `leases`: `released` (reply 1) if a live lease was. */
  release({ key = '{tally}', token, leases, nowMs, requireHashtag } = {}) {
    return this.#leaseCall(['limit.release', key, required(token, 'token')], { leases, nowMs, requireHashtag });
  }

  /** LIMIT.RENEW key token lease_ms on the key's `leases`: `renewed` (reply 1) if a live lease was. */
  renew({ key = '{tally}', token, leaseMs, leases, nowMs, requireHashtag } = {}) {
    return this.#leaseCall(['limit.renew', key, required(token, 'token'), arg(leaseMs, 'leaseMs')], { leases, nowMs, requireHashtag });
  }

  #leaseCall(argv, { leases, nowMs, requireHashtag = false, shadow = false, maxLog = this.#maxLogDefault, makeToken }) {
    const items = argv.map((a) => bytesOf(a, 'argument'));
    const name = decoder.decode(items[0]).toLowerCase();
    const packed = pack(items);
    const given = leaseList(leases);
    const tokens = pack(given.bytes);
    // Tokens come back as they were given: the same string or Uint8Array.
    const originals = new Map();
    given.bytes.forEach((bytes, i) => originals.set(bytesKey(bytes), given.tokens[i]));
    const named = name === 'limit.acquire' ? 5 : 2;
    if (items.length > named) originals.set(bytesKey(items[named]), tokenLike(argv[named], items[named]));
    let made = new Uint8Array(0);
    if (name === 'limit.acquire' && items.length === 4) {
      // The server draws until no lease of the key holds its token; so does the wrapper.
      for (let draw = 0; ; draw++) {
        if (draw === 100) throw new RangeError('tally: makeToken keeps making tokens the leases hold');
        const value = makeToken === undefined ? randomToken() : makeToken();
        made = bytesOf(value, 'the made token');
        if (!originals.has(bytesKey(made))) {
          originals.set(bytesKey(made), tokenLike(value, made));
          break;
        }
      }
    }
    const flags = flagsOf(requireHashtag, shadow);
    const now = number(nowMs, 'nowMs');
    const x = this.exports;
    const status = this.#with([packed, tokens, given.ends, made], (argvPtr, tokensPtr, endsPtr, madePtr) => (name === 'limit.acquire'
      ? x.tally_acquire(argvPtr, packed.length, items.length, number(maxLog, 'maxLog'), flags, now,
        tokensPtr, tokens.length, endsPtr, given.ends.length, madePtr, made.length)
      : x.tally_lease_change(name === 'limit.renew' ? 1 : 0, argvPtr, packed.length, items.length, flags, now,
        tokensPtr, tokens.length, endsPtr, given.ends.length)));
    const out = this.#checked(status);
    const view = new DataView(out.buffer);
    const tokenOf = (bytes) => originals.get(bytesKey(bytes)) ?? decoder.decode(bytes);
    let at = 8;
    let head;
    if (name === 'limit.acquire') {
      const reply = [0, 1, 2, 3].map((i) => view.getFloat64(8 * i, true));
      const outcome = view.getFloat64(32, true);
      const tokenLen = view.getFloat64(40, true);
      const token = tokenLen < 0 ? null : tokenOf(out.subarray(48, 48 + tokenLen));
      head = {
        acquired: reply[0] === 1,
        allowed: reply[0] === 1,
        limit: reply[1],
        remaining: reply[2],
        retryAfterMs: reply[3],
        token,
        reply: [...reply, token],
        written: outcome === WRITTEN,
        shadowed: outcome === SHADOWED,
      };
      at = 48 + Math.max(tokenLen, 0);
    } else {
      const reply = view.getFloat64(0, true);
      head = { [name === 'limit.renew' ? 'renewed' : 'released']: reply === 1, reply };
    }
    const n = view.getFloat64(at, true);
    const expireAtMs = n > 0 ? view.getFloat64(at + 8, true) : null;
    const ends = Array.from({ length: n }, (_, i) => view.getFloat64(at + 16 + 8 * i, true));
    let offset = at + 16 + 8 * n;
    const pairs = ends.map((end) => {
      const len = view.getUint32(offset, true);
      const token = tokenOf(out.subarray(offset + 4, offset + 4 + len));
      offset += 4 + len;
      return [token, end];
    });
    let after;
    if (given.kind === 'map') after = new Map(pairs);
    else if (given.kind === 'array') after = pairs;
    else after = Object.fromEntries(pairs.map(([token, end]) => [typeof token === 'string' ? token : decoder.decode(token), end]));
    return { ...head, leases: after, expireAtMs };
  }

  /**
   * Runs a limiter command given as the server receives it, e.g.
   * `['LIMIT.SLIDE', 'rl:{u1}', '1000', '10', 'COST', '2']`, with the state of its keys:
   * `logs` maps each sliding-log key to its entry times (missing keys are empty), `tatUs`
   * is a GCRA key's stored string, `count` and `expireAtMs` a LIMIT.FIXED key's string and
   * expiry, `leases` a LIMIT.ACQUIRE/RELEASE/RENEW key's leases (`makeToken` as for
   * `acquire()`). Returns the reply and, for sliding logs, `logs` and `expireAtMs` maps for
   * the call's keys (`expireAtMs` empty when nothing was written); for the others, what
   * `gcra()`, `fixed()`, `acquire()`, `release()` and `renew()` return.
   */
  command(argv, { nowMs, logs = {}, tatUs, count, expireAtMs, leases, makeToken, requireHashtag = false, shadow = false, maxLog } = {}) {
    if (!Array.isArray(argv) || argv.length === 0) throw new TypeError('tally: argv must be a non-empty array');
    const items = argv.map((a) => bytesOf(a, 'argument'));
    const text = (bytes) => decoder.decode(bytes);
    const name = text(items[0]).toLowerCase();
    if (name === 'limit.gcra') {
      return this.#gcra(items, { tatUs, nowMs, requireHashtag, shadow });
    }
    if (name === 'limit.fixed') {
      return this.#fixed(items, { count, expireAtMs, nowMs, requireHashtag, shadow });
    }
    if (name === 'limit.acquire' || name === 'limit.release' || name === 'limit.renew') {
      return this.#leaseCall(argv, { leases, nowMs, requireHashtag, shadow, maxLog, makeToken });
    }
    let keys;
    if (name === 'limit.slide') {
      keys = items.length > 1 ? [items[1]] : [];
    } else if (name === 'limit.multi') {
      const numkeys = items.length > 1 ? text(items[1]) : '';
      // Only to find the keys' logs: the core's parser refuses a count above its maximum.
      const n = /^[1-9][0-9]?$/.test(numkeys) ? Number(numkeys) : 0;
      keys = items.length >= 2 + n ? items.slice(2, 2 + n) : [];
    } else {
      throw new TypeError(`tally: not a limiter command: ${text(items[0])}`);
    }
    const names = keys.map(text);
    const stateOf = (key) => (logs instanceof Map ? logs.get(key) : Object.prototype.hasOwnProperty.call(logs, key) ? logs[key] : undefined);
    const given = names.map((key) => f64Array(stateOf(key), `logs[${JSON.stringify(key)}]`));
    const { windows, ...result } = this.#logCall(items, { nowMs, requireHashtag, shadow, maxLog }, given, name === 'limit.multi');
    const after = {};
    const expiries = {};
    names.forEach((key, i) => {
      after[key] = windows[i].log;
      if (windows[i].expireAtMs !== null) expiries[key] = windows[i].expireAtMs;
    });
    return { ...result, logs: after, expireAtMs: expiries };
  }

  /**
   * The season of `period` ('daily', 'weekly' or 'monthly', any case) that holds `nowMs` (UTC;
   * default the local clock), as `TOURNEY.* key ... SEASON period` names it on a server whose
   * clock reads `nowMs`: `{key, name, expireAtMs}`, the season's leaderboard key (same type
   * as `key`), its name (`2026-11-26`, `2026-W48`, `2026-11`) and the key's expiry. TallyError
   * for a key without a hash tag (only such a key has seasons).
   */
  season(key, period, nowMs = Date.now()) {
    const bytes = bytesOf(key, 'key');
    const code = codeOf(PERIODS, period, 'period');
    const now = number(nowMs, 'nowMs');
    const status = this.#with([bytes], (ptr) => this.exports.tally_season(code, now, ptr, bytes.length));
    const out = this.#checked(status);
    const view = new DataView(out.buffer);
    const nameEnd = 16 + view.getFloat64(8, true);
    const name = decoder.decode(out.subarray(16, nameEnd));
    return { key: likeKey(key, out.slice(nameEnd)), name, expireAtMs: view.getFloat64(0, true) };
  }

  /** TOURNEY.PERCENTILE's number: 100 * atOrBelow / len (0 when len is 0). */
  percentile(atOrBelow, len) {
    const value = this.exports.tally_percentile(number(atOrBelow, 'atOrBelow'), number(len, 'len'));
    if (Number.isNaN(value)) throw new RangeError('tally: atOrBelow and len must be whole numbers in 0..2^53-1');
    return value;
  }

  /**
   * TOURNEY.AROUND's window of 0-based reverse ranks (ZREVRANGE start stop) around `rank`:
   * `{start, stop}`, or null when rank is not inside 0..len-1.
   */
  aroundWindow(rank, radius, len) {
    const found = this.exports.tally_around_window(number(rank, 'rank'), number(radius, 'radius'), number(len, 'len'));
    if (found === -1) throw new RangeError('tally: rank, radius and len must be whole numbers in 0..2^53-1');
    if (found === 0) return null;
    const view = new DataView(this.#result().buffer);
    return { start: view.getFloat64(0, true), stop: view.getFloat64(8, true) };
  }

  /**
   * Ranks of a page of entries (scores best first), as TOURNEY.TOP/AROUND give them:
   * `ties` 'ordinal' (default), 'competition' or 'dense'; `firstPosition` is the page's
   * first 1-based position, `firstRank` its rank under competition (1 + members scoring
   * higher) or dense ties (1 + distinct scores higher).
   */
  pageRanks(scores, { ties = 'ordinal', firstPosition = 1, firstRank = firstPosition } = {}) {
    const mode = codeOf(TIES_MODES, String(ties), 'ties');
    const values = f64Array(scores, 'scores');
    const status = this.#with([values], (ptr) =>
      this.exports.tally_page_ranks(mode, number(firstPosition, 'firstPosition'), number(firstRank, 'firstRank'), ptr, values.length));
    return Array.from(new Float64Array(this.#checked(status).buffer));
  }

  /** A score as the module writes it: the shortest text that reads back to the same double. */
  formatScore(value) {
    this.exports.tally_format_score(number(value, 'value'));
    return decoder.decode(this.#result());
  }

  /**
   * The `chain` link AUDIT.APPEND stores for an entry of a chained stream (docs/audit.md):
   * `prev` the previous entry's link in hex, or null for the stream's first entry; `id` the
   * entry's ID; `fields` its field/value items in order, the `chain` pair excluded.
   */
  chainLink(prev, id, fields) {
    const prevBytes = prev === null || prev === undefined ? new Uint8Array(0) : bytesOf(prev, 'prev');
    const idBytes = bytesOf(id, 'id');
    const items = Array.from(fields, (item) => bytesOf(item, 'field'));
    const packed = pack(items);
    const status = this.#with([prevBytes, idBytes, packed], (p, i, f) =>
      this.exports.tally_chain_link(p, prevBytes.length, i, idBytes.length, f, packed.length, items.length));
    return decoder.decode(this.#checked(status));
  }

  /**
   * AUDIT.VERIFY over a dump: `entries` as XRANGE returns them, `[id, [field, value, ...]]`
   * (or node-redis's `{id, message}`; a message object loses the order of fields named by
   * integers, so prefer the raw form), oldest first; `from` `{id, hash}` where the dump
   * starts after a trimmed head or an earlier check. `{ok, checked, firstBad, lastId,
   * lastHash}` as AUDIT.VERIFY replies them.
   */
  verifyChain(entries, from) {
    const items = [];
    let count = 0;
    for (const entry of entries) {
      const [id, fields] = Array.isArray(entry) ? entry : [entry.id, Object.entries(entry.message).flat()];
      const list = Array.from(fields, (item) => bytesOf(item, 'field'));
      const size = new Uint8Array(4);
      new DataView(size.buffer).setUint32(0, list.length, true);
      items.push(bytesOf(id, 'id'), size, ...list);
      count += 1;
    }
    const packed = pack(items);
    const start = from ? pack([bytesOf(from.id, 'from.id'), bytesOf(from.hash, 'from.hash')]) : new Uint8Array(0);
    const status = this.#with([start, packed], (s, e) =>
      this.exports.tally_verify_chain(s, start.length, from ? 2 : 0, e, packed.length, count));
    const result = this.#checked(status);
    const view = new DataView(result.buffer);
    const fieldsOut = [];
    for (let at = 0; at < result.length;) {
      const len = view.getUint32(at, true);
      fieldsOut.push(decoder.decode(result.subarray(at + 4, at + 4 + len)));
      at += 4 + len;
    }
    const [ok, checked, firstBad, lastId, lastHash] = fieldsOut;
    return {
      ok: ok === '1',
      checked: Number(checked),
      firstBad: firstBad || null,
      lastId: lastId || null,
      lastHash: lastHash || null,
    };
  }

  /** A score parsed as TOURNEY.INCR/SUBMIT parse it; TallyError for what they refuse. */
  parseScore(text) {
    const bytes = bytesOf(text, 'text');
    const status = this.#with([bytes], (ptr) => this.exports.tally_parse_score(ptr, bytes.length));
    return new DataView(this.#checked(status).buffer).getFloat64(0, true);
  }
}

// The same functions on the instance `load()` made last.
export const hashSlot = (key) => loaded().hashSlot(key);
export const hashTag = (key) => loaded().hashTag(key);
export const validateKeys = (keys, requireHashtag) => loaded().validateKeys(keys, requireHashtag);
export const slide = (options) => loaded().slide(options);
export const multi = (options) => loaded().multi(options);
export const gcra = (options) => loaded().gcra(options);
export const fixed = (options) => loaded().fixed(options);
export const acquire = (options) => loaded().acquire(options);
export const release = (options) => loaded().release(options);
export const renew = (options) => loaded().renew(options);
export const command = (argv, state) => loaded().command(argv, state);
export const percentile = (atOrBelow, len) => loaded().percentile(atOrBelow, len);
export const aroundWindow = (rank, radius, len) => loaded().aroundWindow(rank, radius, len);
export const pageRanks = (scores, options) => loaded().pageRanks(scores, options);
export const formatScore = (value) => loaded().formatScore(value);
export const parseScore = (text) => loaded().parseScore(text);
export const chainLink = (prev, id, fields) => loaded().chainLink(prev, id, fields);
export const verifyChain = (entries, from) => loaded().verifyChain(entries, from);
export const season = (key, period, nowMs) => loaded().season(key, period, nowMs);
