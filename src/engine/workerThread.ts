/**
 * Starting a worker thread from source or from the bundle: bundled (dist/, build.mjs), the worker is its
 * own entry `bundledName` beside the chunk that starts it; from source (tsx, vitest), `sourceFile` beside
 * the caller, loaded through tsx's API, as a worker does not inherit the parent's loader hooks in Node 20.
 *
 * @param callerUrl the caller's `import.meta.url`
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export function startWorker(callerUrl: string, sourceFile: string, bundledName: string): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${bundledName}`, callerUrl));
  const tsxApi = createRequire(callerUrl).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs'); // the ESM entry
  const source = new URL(sourceFile, callerUrl).href;
  const boot = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then((api) => api.tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)}))`;
  return new Worker(boot, { eval: true });
}
