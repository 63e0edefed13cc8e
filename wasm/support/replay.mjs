// Shared by the Node tests (kept out of wasm/test/ so the test runner does not take it
// for a test file): loads the built .wasm and replays limiter steps through the wrapper.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load, TallyError } from '../pkg/tally.mjs';

export const wasmPath = fileURLToPath(new URL('../pkg/tally.wasm', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export async function loadTally() {
  if (!existsSync(wasmPath)) throw new Error(`${wasmPath} is missing: run \`make wasm\` first`);
  return load();
}

export const unhex = (text) => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));
export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Drops empty logs: a key with no entries and a missing key are the same state. */
export function compact(logs) {
  return Object.fromEntries(Object.entries(logs).filter(([, log]) => log.length > 0));
}

/**
 * Runs one limiter step (`args` after the command name) on `state` ({logs}, {tatUs},
 * {count, expireAtMs} or {leases}). Returns {reply, error, expire, state}: `expire` maps keys
 * to the expiry set (GCRA, fixed: its key; leases: none, the key expires with its last lease).
 */
export function replayStep(tally, { command, requireHashtag = false, maxLog }, state, { nowMs, args }) {
  const argv = [`limit.${command}`, ...args];
  let out;
  try {
    out = tally.command(argv, { nowMs, logs: state.logs, tatUs: state.tatUs, count: state.count, expireAtMs: state.expireAtMs, leases: state.leases, requireHashtag, maxLog });
  } catch (error) {
    if (!(error instanceof TallyError)) throw error;
    return { error: error.message, expire: {}, state };
  }
  if (command === 'gcra' || command === 'fixed') {
    const expire = out.expireAtMs === null ? {} : { [args[0]]: out.expireAtMs };
    // A fixed key keeps its expiry unless the call wrote.
    const after = command === 'gcra' ? { tatUs: out.tatUs } : { count: out.count, expireAtMs: out.expireAtMs ?? state.expireAtMs };
    return { reply: out.reply, expire, state: after, written: out.written };
  }
  if (command === 'acquire' || command === 'release' || command === 'renew') {
    return { reply: out.reply, expire: {}, state: { leases: out.leases }, written: out.written };
  }
  return { reply: out.reply, expire: out.expireAtMs, state: { logs: compact({ ...state.logs, ...out.logs }) }, written: out.written };
}
