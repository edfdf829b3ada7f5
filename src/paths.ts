/**
 * Where the project's own files are (the bundled default data, the PySpark job, its provisioning
 * script). Found by walking up from this module to the folder holding pricecast's package.json, so the
 * answer is the same whether the code runs from src/ (tsx, vitest), from dist/ as one bundle and its
 * chunks (npm run predict), or from an installed package. Also where pricecast's own cache folder is
 * (cacheDir).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'pricecast') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find pricecast's package.json above ${start}`);
    dir = parent;
  }
}

export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

/** The variable that names the cache folder; pricecast sets it for the scripts it runs. */
export const CACHE_ENV = 'PRICECAST_CACHE';

/**
 * True when this code runs from a package npm installed (its root lies inside a node_modules folder),
 * false in a checkout. docs/install.md#the-cache-folder says why this decides where the cache goes.
 */
export function isInstalledPackage(root: string = PROJECT_ROOT): boolean {
  return root.split(sep).includes('node_modules');
}

/**
 * Where pricecast keeps what it builds (the Python environments, the EMR wheelhouse), declared once
 * (docs/install.md#the-cache-folder): $PRICECAST_CACHE if set; else in a checkout `<project>/.cache`;
 * else, for an installed package, `$XDG_CACHE_HOME/pricecast` or `~/.cache/pricecast`, because a global
 * node_modules may be read-only and is replaced on every upgrade.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env, root: string = PROJECT_ROOT): string {
  const chosen = env[CACHE_ENV];
  if (chosen) return resolve(chosen);
  if (!isInstalledPackage(root)) return join(root, '.cache');
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'pricecast');
  return join(env.HOME || homedir(), '.cache', 'pricecast');
}

/**
 * The environment to run the project's shell scripts with (pyspark/provision.sh, pyspark/wheelhouse.sh,
 * airflow/provision.sh): the caller's, with PRICECAST_CACHE set to cacheDir(), so the scripts never
 * decide the cache folder themselves.
 */
export function scriptEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, [CACHE_ENV]: cacheDir(env) };
}
