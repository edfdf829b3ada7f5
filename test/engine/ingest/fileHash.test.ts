/**
 * The background sha256 (fileHash.ts): the digest a worker publishes through shared memory, the getter's
 * own hashing when the worker fails, and the refusal of a file that changed since the scan began (its
 * digest would not be of the rows read).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileIdentity, hashFile, hashInBackground, InputChangedError, runHashTask } from '../../../src/engine/ingest/fileHash.js';

const dir = mkdtempSync(join(tmpdir(), 'pricecast-filehash-'));
const bytes = Buffer.from('date,price,volume,marketCap\n' + '2021-01-01,1.5,2,3\n'.repeat(300_000));
const want = createHash('sha256').update(bytes).digest('hex');

function freshFile(name: string): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

describe('hashInBackground', () => {
  it('gives the digest the worker side publishes, and stops the worker once read', async () => {
    const file = freshFile('worker.csv');
    let stopped = 0;
    const sha256 = hashInBackground(file, await fileIdentity(file), runHashTask, () => stopped++);
    expect(sha256()).toBe(want);
    expect(sha256()).toBe(want);
    expect(stopped).toBe(1);
  });

  it('hashes in this thread when the worker side fails', async () => {
    const file = freshFile('failing-worker.csv');
    const identity = await fileIdentity(file);
    const sha256 = hashInBackground(file, identity, (task) => runHashTask({ ...task, hashFile: join(dir, 'no-such-file.csv') }), () => {});
    expect(sha256()).toBe(want);
  });

  it('refuses a file appended to after the scan began, in the worker and in this thread', async () => {
    const file = freshFile('appended.csv');
    const identity = await fileIdentity(file);
    appendFileSync(file, '2021-01-02,1.6,2,3\n');
    const sha256 = hashInBackground(file, identity, runHashTask, () => {});
    expect(() => sha256()).toThrow(InputChangedError);
    expect(() => sha256()).toThrow(/appended\.csv: the file changed while it was being read/);
  });

  it('refuses a file rewritten with the same size (another modification time)', async () => {
    const file = freshFile('rewritten.csv');
    const identity = await fileIdentity(file);
    utimesSync(file, new Date(), new Date(identity.mtimeMs + 5_000));
    expect(hashFile(file, identity)).toBeNull();
  });

  it('hashFile checks the identity it is given', async () => {
    const file = freshFile('identity.csv');
    const identity = await fileIdentity(file);
    expect(hashFile(file, identity)?.toString('hex')).toBe(want);
    expect(hashFile(file, { ...identity, size: identity.size - 1 })).toBeNull();
  });
});
