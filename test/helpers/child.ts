/**
 * Child processes for the output protocol's crash and concurrency tests: a script run through tsx
 * with the test hooks of src/engine/output/folder.ts (PRICECAST_TEST_CRASH_AT / _STOP_AT) cleared unless
 * given, and a wait for a child stopped at a hook.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ROOT } from './cli.js';

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `node --import tsx script ...args` in ROOT; `done` settles when it has exited. */
export function startChild(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, PRICECAST_TEST_CRASH_AT: '', PRICECAST_TEST_STOP_AT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const done = new Promise<ChildRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** A process's state letter from /proc (T = stopped). */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Waits until `pid` has stopped itself (PRICECAST_TEST_STOP_AT). */
export async function waitUntilStopped(pid: number): Promise<void> {
  while (processState(pid) !== 'T') await new Promise((r) => setTimeout(r, 20));
}
