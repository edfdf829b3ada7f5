/**
 * moto in server mode: a real implementation of the S3 and EMR APIs (pip-installed from
 * test/requirements.txt into the project's Python env), started on 127.0.0.1 on a free port and
 * stopped by its PID. The AWS SDK reaches it the way a user points the CLI at any other endpoint:
 * through the SDK's own AWS_ENDPOINT_URL variable, with dummy credentials and a region in the
 * environment (the SDK's default chain reads them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EMRClient } from '@aws-sdk/client-emr';
import type { S3Client } from '@aws-sdk/client-s3';
import { createClients } from '../../src/emr/clients.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';

export interface MotoServer {
  endpoint: string;
  pid: number;
  /** The variables a child process (or this one) needs to talk to this server through the SDK chain. */
  env: Record<string, string>;
  /** Forgets every bucket and cluster (moto's own reset endpoint). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** A port the OS says is free right now (bind to 0, read it back, release it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startMoto(): Promise<MotoServer> {
  const pyenv = await ensurePythonEnv();
  const port = await freePort();
  const motoServer = `${pyenv.root}/bin/moto_server`;
  const child: ChildProcess = spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)], {
    env: pyenv.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    // Keep only the tail: moto logs one line per request.
    stderr = (stderr + chunk).slice(-4000);
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  if (child.pid === undefined) throw new Error(`could not start ${motoServer}`);
  const pid = child.pid;

  // Ready when it accepts connections; give up after 60 s (first start compiles moto's modules).
  for (let attempt = 0; !(await canConnect(port)); attempt++) {
    if (exited) throw new Error(`moto_server exited before listening:\n${stderr}`);
    if (attempt > 600) {
      process.kill(pid, 'SIGKILL');
      throw new Error(`moto_server did not listen on 127.0.0.1:${port} within 60 s:\n${stderr}`);
    }
    await delay(100);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    pid,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      // Keep a developer's own profile/config out of the tests.
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    async stop() {
      if (exited) return;
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) process.kill(pid, 'SIGKILL');
      }, 5000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

/**
 * Points this process's SDK default chain at the server (the tests create clients in-process).
 * Returns a function that restores the previous values.
 */
export function useMotoEnv(moto: MotoServer): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(moto.env)) {
    saved[key] = process.env[key];
    if (value === '') delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** What an EMR test file works with: the server, this process's SDK pointed at it, a scratch folder. */
export interface MotoSession {
  moto: MotoServer;
  s3: S3Client;
  emr: EMRClient;
  work: string;
  /** Restores the environment, stops the server (by PID) and removes the scratch folder. */
  close(): Promise<void>;
}

/** Starts moto, points this process's SDK at it (useMotoEnv), makes the clients and a scratch folder. */
export async function openMotoSession(prefix: string): Promise<MotoSession> {
  const moto = await startMoto();
  const restoreEnv = useMotoEnv(moto);
  try {
    const { s3, emr } = createClients();
    const work = mkdtempSync(join(tmpdir(), `pricecast-${prefix}-`));
    return {
      moto,
      s3,
      emr,
      work,
      async close() {
        restoreEnv();
        await moto.stop();
        rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    restoreEnv();
    await moto.stop();
    throw error;
  }
}
