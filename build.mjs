// Builds dist/ for `npm run predict`, the `pricecast` bin and the library: ESM bundles (dist/cli.js, and
// dist/index.js for `import ... from 'pricecast'`) sharing chunks, with a chunk per lazily-loaded command
// (parity, emr), and the S3 modules imported only for an s3:// path, so a local run never loads the AWS SDK
// (test/cli/build.test.ts checks it).
// Why a bundle rather than tsc's file-per-module output: Node 20 spends ~200 ms resolving and loading
// apache-arrow's and @stdlib's hundreds of small modules; bundled, the whole predict run on the default
// data takes about half the time. Types are checked, and the declarations written to dist/types, by
// `tsc -p tsconfig.build.json` after this script (package.json's build script).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = process.env.PRICECAST_OUTDIR ?? 'dist';
// From empty: chunk names carry content hashes, so an old build's chunks would otherwise stay beside the
// new ones and be packed with them.
rmSync(outdir, { recursive: true, force: true });

await build({
  // experiment-worker: the worker thread src/experiment/parallel.ts starts (dist/experiment-worker.js).
  // csvscan-worker: the CSV scan's worker threads (src/engine/ingest/csvScan.ts, dist/csvscan-worker.js).
  // panel-worker, forecast-worker: the threads of a panel's predict and forecast (src/engine/panel/panelWorkers.ts,
  // src/forecast/forecastWorkers.ts).
  // index: the library (src/index.ts, package.json "exports").
  entryPoints: { cli: 'src/cli.ts', index: 'src/index.ts', 'experiment-worker': 'src/experiment/worker.ts', 'csvscan-worker': 'src/engine/ingest/csvScanWorker.ts', 'panel-worker': 'src/engine/panel/panelWorker.ts', 'forecast-worker': 'src/forecast/forecastWorker.ts' },
  // PRICECAST_OUTDIR: the build test bundles into a folder of its own, leaving dist/ alone.
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // parquet-wasm loads its .wasm file from beside its own module; the AWS SDK is only for `emr`.
  external: ['parquet-wasm', '@aws-sdk/*', '@smithy/*'],
  // Bundled CommonJS (@stdlib) calls require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __pricecastCreateRequire } from 'node:module'; const require = __pricecastCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
