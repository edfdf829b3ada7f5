/**
 * The background sha256 (fileHash.ts): the digest a worker publishes through shared memory, and the
 * getter's own hashing when the worker fails or the file changed size since the scan.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile, hashInBackground, runHashTask } from '../../../src/engine/ingest/fileHash.js';

const dir = mkdtempSync(join(tmpdir(), 'pricecast-filehash-'));
const file = join(dir, 'input.csv');
const bytes = Buffer.from('date,price,volume,marketCap\n' + '2021-01-01,1.5,2,3\n'.repeat(300_000));
writeFileSync(file, bytes);
const want = createHash('sha256').update(bytes).digest('hex');

describe('hashInBackground', () => {
  it('gives the digest the worker side publishes, and stops the worker once read', () => {
    let stopped = 0;
    const sha256 = hashInBackground(file, bytes.length, runHashTask, () => stopped++);
    expect(sha256()).toBe(want);
    expect(sha256()).toBe(want);
    expect(stopped).toBe(1);
  });

  it('hashes in this thread when the worker side fails (here: the size it was told is not the file’s)', () => {
    const sha256 = hashInBackground(file, bytes.length, (task) => runHashTask({ ...task, size: task.size + 1 }), () => {});
    expect(sha256()).toBe(want);
  });

  it('hashFile checks the size it is given', () => {
    expect(hashFile(file, bytes.length)?.toString('hex')).toBe(want);
    expect(hashFile(file, bytes.length - 1)).toBeNull();
  });
});
