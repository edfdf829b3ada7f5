/**
 * The offline wheelhouse the EMR bootstrap installs from: built (or reused) by pyspark/wheelhouse.sh in
 * `<cache>/wheelhouse` (docs/install.md#the-cache-folder), and described here as the list of files to stage (every .whl and the hash-pinned
 * requirements.txt).
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { scriptEnv } from '../paths.js';
import { DEFAULT_FILES } from '../settings.js';
import { WHEELHOUSE_REQUIREMENTS, type LocalFileFacts } from './plan.js';
import { localFileFacts } from './stage.js';

/** Runs pyspark/wheelhouse.sh (fast when current) and returns the wheelhouse folder it prints. */
export function ensureWheelhouse(options: { log?: (chunk: string) => void; builder?: string } = {}): Promise<string> {
  const builder = options.builder ?? DEFAULT_FILES.wheelhouseBuilder;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [builder], { env: scriptEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.log?.(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`could not build the wheelhouse (${builder}, exit ${code}):\n${stderr.trim()}`));
        return;
      }
      resolve(stdout.trim().split('\n').pop() ?? '');
    });
  });
}

/** The files of a wheelhouse folder to stage: every .whl and requirements.txt, sorted by name. */
export async function wheelhouseFiles(dir: string): Promise<LocalFileFacts[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new UsageError(`files.wheelhouse: cannot read ${dir}: ${(error as Error).message}`);
  }
  const chosen = names.filter((n) => n.endsWith('.whl') || n === WHEELHOUSE_REQUIREMENTS).sort();
  if (!chosen.includes(WHEELHOUSE_REQUIREMENTS) || !chosen.some((n) => n.endsWith('.whl'))) {
    throw new UsageError(`files.wheelhouse: ${dir} is not a wheelhouse (no .whl files or no ${WHEELHOUSE_REQUIREMENTS}; build one with pyspark/wheelhouse.sh)`);
  }
  return Promise.all(chosen.map((n) => localFileFacts(join(dir, n))));
}
