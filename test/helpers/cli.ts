/**
 * The CLI as a user runs it: a child process (`node --import tsx src/cli.ts ...`) with its exit code and
 * output captured. `runCli` waits for it; `startCli` hands back the running child too, for tests that
 * signal it or watch it while it runs.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Working folder; default the project root (where `--import tsx` resolves). */
  cwd?: string;
  /** Added to (and overriding) the test process's environment. */
  env?: NodeJS.ProcessEnv;
}

/** Starts the CLI; `exited` settles with its exit code (null when a signal ended it). */
export function startCli(args: string[], options: CliOptions = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    closed,
    exited: closed.then(({ code }) => code),
    output: () => ({ stdout, stderr }),
  };
}

/** Runs the CLI to the end. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const run = startCli(args, options);
  const { code } = await run.closed;
  return { code: code ?? -1, ...run.output() };
}

/** Polls `check` every 100 ms until it holds; fails after a minute naming `what` it waited for. */
export async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
