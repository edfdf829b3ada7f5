/**
 * The input's sha256 (_model.json `input.sha256`, docs/output.md) off the critical path: once the
 * parallel scan has parsed a file, one of its worker threads reads the file again (from the page cache)
 * and hashes it while the main thread sorts, computes features and fits, on a core the single-threaded
 * stages leave idle. During the scan both cores parse; hashing there took a share of them.
 *
 * The result stays a string property (`IngestResult.sha256`), a getter that waits for the worker
 * (`Atomics.wait` on a shared flag; by the time the report is built the hash is long done). If the worker
 * fails, the getter hashes the file in this thread.
 *
 * Hashing reads the file a second time, so the digest is of the bytes parsed only if the file did not
 * change in between: both readers check that its size and modification time are still those the scan
 * started from, and a file that changed is refused (`InputChangedError`) rather than given the digest of
 * other bytes (docs/output.md: `input.sha256` identifies the data the model was fitted on).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';

/** The file as the scan found it before reading: what the digest must still describe. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
}

/** A file's identity now (fs.stat). */
export async function fileIdentity(file: string): Promise<FileIdentity> {
  const stats = await stat(file);
  return { size: stats.size, mtimeMs: stats.mtimeMs };
}

/** The input changed between the scan and the hash: its digest would not be of the rows read. */
export class InputChangedError extends Error {
  constructor(readonly file: string) {
    super(`${file}: the file changed while it was being read (its size or modification time is not what it was when reading began); run again once it is no longer being written`);
  }
}

/** A hash task for a scan worker (csvScanWorker.ts). */
export interface HashTask {
  hashFile: string;
  identity: FileIdentity;
  /** State (int32: 0 running, 1 done, 2 failed), then the 32-byte digest. */
  shared: SharedArrayBuffer;
}

const RUNNING = 0;
const DONE = 1;
const FAILED = 2;
const DIGEST_AT = 4;
const READ_BYTES = 1 << 22;
/** How long the getter waits for a worker that never answers (it died) before hashing here. */
const WAIT_MS = 60_000;

/** The file's sha256 read in chunks; null when it is no longer the file `identity` describes. */
export function hashFile(file: string, identity: FileIdentity): Buffer | null {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  const fd = openSync(file, 'r');
  let total = 0;
  let unchanged: boolean;
  try {
    for (;;) {
      const got = readSync(fd, buffer, 0, buffer.length, null);
      if (got === 0) break;
      hash.update(buffer.subarray(0, got));
      total += got;
    }
    const now = fstatSync(fd);
    unchanged = total === identity.size && now.size === identity.size && now.mtimeMs === identity.mtimeMs;
  } finally {
    closeSync(fd);
  }
  return unchanged ? hash.digest() : null;
}

/** The worker side: hash, then publish the digest and wake the waiting thread. */
export function runHashTask(task: HashTask): void {
  const state = new Int32Array(task.shared, 0, 1);
  try {
    const digest = hashFile(task.hashFile, task.identity);
    if (digest === null) throw new InputChangedError(task.hashFile);
    new Uint8Array(task.shared, DIGEST_AT, digest.length).set(digest);
    Atomics.store(state, 0, DONE);
  } catch {
    Atomics.store(state, 0, FAILED);
  }
  Atomics.notify(state, 0);
}

/** A new task's shared memory and the getter of its result (`post` sends the task to a worker). */
export function hashInBackground(file: string, identity: FileIdentity, post: (task: HashTask) => void, done: () => void): () => string {
  const shared = new SharedArrayBuffer(DIGEST_AT + 32);
  post({ hashFile: file, identity, shared });
  let hex: string | null = null;
  return () => {
    if (hex !== null) return hex;
    const state = new Int32Array(shared, 0, 1);
    if (Atomics.load(state, 0) === RUNNING) Atomics.wait(state, 0, RUNNING, WAIT_MS);
    if (Atomics.load(state, 0) === DONE) hex = Buffer.from(new Uint8Array(shared, DIGEST_AT, 32)).toString('hex');
    else {
      // The worker failed or never answered: this thread hashes, with the same check.
      done();
      const digest = hashFile(file, identity);
      if (digest === null) throw new InputChangedError(file);
      hex = digest.toString('hex');
    }
    done();
    return hex;
  };
}
