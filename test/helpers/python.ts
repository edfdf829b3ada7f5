/** Runs the project's Python env (src/parity/pyenv.ts) with `args`; resolves to its stdout, rejects with its stderr. */
import { spawn } from 'node:child_process';
import type { PythonEnv } from '../../src/parity/pyenv.js';

export function runPython(env: PythonEnv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(env.python, args, { env: env.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`python exited ${code}: ${stderr}`))));
  });
}
