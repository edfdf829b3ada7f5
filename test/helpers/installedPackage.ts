/**
 * pricecast as a user gets it: `npm pack` in the project (its prepack builds dist/), then the tarball
 * installed with npm into a project of its own. Used by the package tests and by bench/startup.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export interface PackedFile {
  path: string;
  size: number;
}

export interface Packed {
  tarball: string;
  files: PackedFile[];
  /** The tarball's size and the unpacked size, in bytes (what `npm pack` reports). */
  size: number;
  unpackedSize: number;
}

/** Runs a command to completion; throws with its output when it fails. */
export function mustRun(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const run = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${run.status}):\n${run.stderr}\n${run.stdout}`);
  return run.stdout;
}

/** `npm pack` of the project into `destination` (prepack builds first). */
export function packProject(destination: string): Packed {
  const out = mustRun('npm', ['pack', '--json', '--pack-destination', destination], { cwd: ROOT });
  // npm prints the build's output before the JSON when scripts run; the JSON is the last array.
  const [report] = JSON.parse(out.slice(out.lastIndexOf('\n[') + 1)) as Array<{ filename: string; files: PackedFile[]; size: number; unpackedSize: number }>;
  return { tarball: join(destination, report.filename), files: report.files, size: report.size, unpackedSize: report.unpackedSize };
}

/**
 * A new npm project in `dir` with the tarball installed as a dependency; returns the installed
 * package's folder and its bin. Dependencies come from npm's cache when it has them.
 */
export function installTarball(tarball: string, dir: string): { packageDir: string; bin: string } {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pricecast-user', version: '1.0.0', private: true, type: 'module' }));
  mustRun('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel', 'error'], { cwd: dir });
  return { packageDir: join(dir, 'node_modules', 'pricecast'), bin: join(dir, 'node_modules', '.bin', 'pricecast') };
}
