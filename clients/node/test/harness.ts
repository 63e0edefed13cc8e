// Test harness: real servers with the tally module, on loopback ports in temporary
// folders. Every wait is a poll; every server is killed when the test file ends, also
// when a test fails or the process exits early.
//
// TALLY_SERVER picks the server binary (default redis-server), TALLY_MODULE the module
// (default target/release/libtally.so of this repository), TALLY_CLI the redis-cli used
// to form clusters (default redis-cli).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { createClient, ErrorReply } from 'redis';
import tally from '@tally/redis';

const here = dirname(fileURLToPath(import.meta.url));
// dist/test/harness.js -> the repository root is four levels up (clients/node/dist/test).
const repoRoot = resolve(here, '..', '..', '..', '..');

export const serverBinary = process.env.TALLY_SERVER || 'redis-server';
export const modulePath = process.env.TALLY_MODULE || join(repoRoot, 'target', 'release', 'libtally.so');
export const cliBinary = process.env.TALLY_CLI || 'redis-cli';

const READY_TIMEOUT_MS = 20_000;
const CLUSTER_TIMEOUT_MS = 30_000;

const live = new Set<Server>();
process.on('exit', () => {
  for (const server of live) server.killNow();
});
// Interrupted (Ctrl-C, a timeout): stop the servers too, then exit as the signal would.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const server of live) server.killNow();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

export async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const listener = net.createServer();
    listener.unref();
    listener.on('error', reject);
    listener.listen(0, '127.0.0.1', () => {
      const address = listener.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      listener.close(() => resolvePort(port));
    });
  });
}

/** Sends PING over a raw socket; resolves true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolvePing) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePing(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

export interface ServerOptions {
  /** Arguments after `--loadmodule <path>` (module configs). */
  moduleArgs?: Array<string>;
  /** Extra server arguments, e.g. cluster settings. */
  serverArgs?: Array<string>;
}

export class Server {
  private exited = false;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly child: ChildProcess
  ) {
    child.on('exit', () => {
      this.exited = true;
    });
  }

  static async start(options: ServerOptions = {}): Promise<Server> {
    const dir = mkdtempSync(join(tmpdir(), 'tally-node-'));
    let lastLog = '';
    // A port found free can be taken before the server binds it: try again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const child = spawn(
        serverBinary,
        [
          '--port', String(port),
          '--bind', '127.0.0.1',
          '--dir', dir,
          '--save', '',
          '--appendonly', 'no',
          '--daemonize', 'no',
          '--logfile', 'server.log',
          ...(options.serverArgs ?? []),
          '--loadmodule', modulePath,
          ...(options.moduleArgs ?? [])
        ],
        { cwd: dir, stdio: 'ignore' }
      );
      const server = new Server(port, dir, child);
      live.add(server);
      child.on('error', () => {
        server.exited = true;
      });
      let state: 'ready' | 'exited';
      try {
        state = await pollUntil(`${serverBinary} on port ${port}`, READY_TIMEOUT_MS, async () => {
          if (server.exited) return 'exited' as const;
          return (await ping(port)) ? ('ready' as const) : undefined;
        });
      } catch (err) {
        const log = server.log();
        await server.stop();
        throw new Error(`${String(err)}\n${log}`);
      }
      if (state === 'ready') return server;
      // Exited before answering: most likely the port was taken meanwhile; try another.
      lastLog = server.log();
      await server.stop({ keepDir: true });
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${serverBinary} did not start with ${modulePath}:\n${lastLog}`);
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  }

  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async stop(options: { keepDir?: boolean } = {}): Promise<void> {
    if (!this.exited) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGKILL');
      await exited;
    }
    live.delete(this);
    if (!options.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(file: string, args: Array<string>, timeoutMs: number): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(file, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${output}`));
      else resolveRun(output);
    });
  });
}

export class Cluster {
  private constructor(readonly nodes: Array<Server>) {}

  /** Three primaries with the module, formed with `redis-cli --cluster create`. */
  static async start(primaries = 3): Promise<Cluster> {
    const nodes: Array<Server> = [];
    try {
      for (let i = 0; i < primaries; i++) {
        nodes.push(
          await Server.start({
            serverArgs: [
              '--cluster-enabled', 'yes',
              '--cluster-config-file', 'nodes.conf',
              '--cluster-node-timeout', '5000',
              '--cluster-port', String(await freePort())
            ]
          })
        );
      }
      const output = await run(
        cliBinary,
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'],
        CLUSTER_TIMEOUT_MS
      );
      if (!output.includes('All 16384 slots covered')) throw new Error(`cluster create:\n${output}`);
      const cluster = new Cluster(nodes);
      await cluster.waitStable();
      return cluster;
    } catch (err) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw err;
    }
  }

  /** Every node reports cluster_state:ok, all slots served and every node known. */
  async waitStable(): Promise<void> {
    for (const node of this.nodes) {
      const client = createClient({ socket: { port: node.port, host: '127.0.0.1' } });
      await client.connect();
      try {
        await pollUntil(`cluster_state:ok on ${node.port}`, CLUSTER_TIMEOUT_MS, async () => {
          const info = String(await client.sendCommand(['CLUSTER', 'INFO']));
          const ok =
            info.includes('cluster_state:ok') &&
            info.includes('cluster_slots_ok:16384') &&
            info.includes(`cluster_known_nodes:${this.nodes.length}`);
          return ok ? true : undefined;
        });
      } finally {
        client.destroy();
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

/** A standalone client with the tally module, on the given protocol. */
export function connectClient(port: number, RESP: 2 | 3) {
  return createClient({ RESP, socket: { port, host: '127.0.0.1', reconnectStrategy: false }, modules: { tally } });
}
export type TestClient = ReturnType<typeof connectClient>;

/** The promise rejects with the server's error reply, carrying exactly `message`. */
export async function rejectsWith(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ErrorReply, `expected an ErrorReply, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}
