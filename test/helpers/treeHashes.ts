import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file under `dir` (recursively), by relative path → sha256: to show a tree unchanged, byte for byte. */
export async function treeHashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (sub: string) => {
    for (const entry of await readdir(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else out[rel] = createHash('sha256').update(await readFile(join(dir, rel))).digest('hex');
    }
  };
  await walk('');
  return out;
}
