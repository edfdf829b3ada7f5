/**
 * A worker thread of the parallel CSV scan (csvscan.ts): parses the line ranges it is sent and posts
 * each range's columns back (buffers transferred, not copied), in the order the ranges came; for a
 * panel also the range's own asset names, which the main thread merges in file order. After the scan,
 * one of them hashes the file (fileHash.ts), answering through shared memory rather than a message.
 * Bundled as its own entry (dist/csvscan-worker.js, see build.mjs).
 */
import { parentPort } from 'node:worker_threads';
import { runScanTask, type ScanTask } from './csvScan.js';
import { runHashTask, type HashTask } from './fileHash.js';

parentPort?.on('message', (task: ScanTask | HashTask) => {
  if ('hashFile' in task) {
    runHashTask(task);
    parentPort!.close(); // the last task: the thread ends and its heap (the scan's chunks) goes with it
    return;
  }
  const { result, transfer } = runScanTask(task);
  parentPort!.postMessage(result, transfer);
});
