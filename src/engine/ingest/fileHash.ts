/**
 * The input's sha256 (_model.json `input.sha256`, docs/output.md) off the critical path: once the
 * parallel scan has parsed a file, one of its worker threads reads the file again (from the page cache)
 * and hashes it while the main thread sorts, computes features and fits, on a core the single-threaded
 * stages leave idle. During the scan both cores parse; hashing there took a share of them.
 *
 * The result stays a string property (`IngestResult.sha256`), a getter that waits for the worker
 * (`Atomics.wait` on a shared flag; by the time the report is built the hash is long done). If the worker
 * fails, or the file no longer has the size the scan read, the getter hashes the file in this thread,
 * as it is then.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** A hash task for a scan worker (csvScanWorker.ts). */
export interface HashTask {
  hashFile: string;
  size: number;
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

/** The file's sha256 read in chunks; null when it does not have `size` bytes (any, when size is -1). */
export function hashFile(file: string, size: number): Buffer | null {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  const fd = openSync(file, 'r');
  let total = 0;
  try {
    for (;;) {
      const got = readSync(fd, buffer, 0, buffer.length, null);
      if (got === 0) break;
      hash.update(buffer.subarray(0, got));
      total += got;
    }
  } finally {
    closeSync(fd);
  }
  return size === -1 || total === size ? hash.digest() : null;
}

/** The worker side: hash, then publish the digest and wake the waiting thread. */
export function runHashTask(task: HashTask): void {
  const state = new Int32Array(task.shared, 0, 1);
  try {
    const digest = hashFile(task.hashFile, task.size);
    if (digest === null) throw new Error('the file changed size');
    new Uint8Array(task.shared, DIGEST_AT, digest.length).set(digest);
    Atomics.store(state, 0, DONE);
  } catch {
    Atomics.store(state, 0, FAILED);
  }
  Atomics.notify(state, 0);
}

/** A new task's shared memory and the getter of its result (`post` sends the task to a worker). */
export function hashInBackground(file: string, size: number, post: (task: HashTask) => void, done: () => void): () => string {
  const shared = new SharedArrayBuffer(DIGEST_AT + 32);
  post({ hashFile: file, size, shared });
  let hex: string | null = null;
  return () => {
    if (hex !== null) return hex;
    const state = new Int32Array(shared, 0, 1);
    if (Atomics.load(state, 0) === RUNNING) Atomics.wait(state, 0, RUNNING, WAIT_MS);
    if (Atomics.load(state, 0) === DONE) hex = Buffer.from(new Uint8Array(shared, DIGEST_AT, 32)).toString('hex');
    // The worker failed or never answered (or the file changed since the scan): this thread hashes the
    // file as it is.
    else hex = hashFile(file, -1)!.toString('hex');
    done();
    return hex;
  };
}
