import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A temporary folder for one test file: made before its tests, removed after them. `file` writes
 * `content` to a new file in it (numbered unless named) and returns the path.
 */
export function useScratchFolder(prefix: string) {
  let dir = '';
  let counter = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `pricecast-${prefix}-`));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir(): string {
      return dir;
    },
    async file(content: string | Buffer, name = `f${counter++}.csv`): Promise<string> {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
  };
}
