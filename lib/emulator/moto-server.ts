import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * moto_server (https://docs.getmoto.org/en/latest/docs/server_mode.html) as a
 * real AWS endpoint on loopback: the emulated account of `npm run
 * deploy:local`, and the storage of the tests. Always 127.0.0.1, on a free
 * port unless one is given, so several can run side by side.
 */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`, for SDK clients. */
  readonly endpoint: string;
  readonly port: number;
  /** moto's process id, for a user who kept it running. */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface MotoServerOptions {
  /** @default a free port */
  readonly port?: number;
  /** Keep the last lines moto printed, for a start-up failure. @default 4000 characters */
  readonly keepOutputChars?: number;
  /** Let moto outlive this process (`deploy:local --keep`). @default false */
  readonly detached?: boolean;
}

/**
 * moto_server starts in a few seconds (Python imports every service's models);
 * on a machine busy with other work that can take many times as long, and a
 * slow start must not read as a broken one. The wait ends as soon as moto answers.
 */
const READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 5_000;

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto_server exited with code ${child.exitCode}:\n${output()}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // Not listening yet: poll again.
    }
    await sleep(100);
  }
  throw new Error(`moto_server did not answer at ${endpoint} within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

/** SIGTERM, then SIGKILL if moto has not gone within the grace period; resolves once its pipes have closed. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = once(child, 'close');
  child.kill('SIGTERM');
  const escalation = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    await closed;
  } finally {
    clearTimeout(escalation);
  }
}

export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    // A kept emulator must not hold this process's pipes open: its output goes nowhere.
    stdio: options.detached ? 'ignore' : ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const keep = options.keepOutputChars ?? 4000;
  let output = '';
  const collect = (chunk: Buffer): void => {
    // Only the tail matters for a start-up failure; moto logs every request.
    output = (output + chunk.toString()).slice(-keep);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const spawned = once(child, 'spawn');
  const failed = once(child, 'error').then(([error]) => {
    throw new Error(`could not start moto_server (is it on PATH? pip install "moto[server]"): ${(error as Error).message}`);
  });
  await Promise.race([spawned, failed]);
  try {
    await waitUntilAnswering(endpoint, child, () => output);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  if (options.detached) child.unref();
  return { endpoint, port, pid: child.pid!, stop: () => stopProcess(child) };
}
