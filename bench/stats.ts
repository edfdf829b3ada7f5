/**
 * The benchmark's arithmetic and flags, pure so that test/bench/bench.test.ts can check them: medians of
 * repeated runs, TypeScript/PySpark ratios, and `npm run bench`'s argument parsing.
 */
import { parseArgs } from 'node:util';

/** The median (mean of the two middle values for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface RunFigures {
  wallMs: number;
  cpuMs: number;
  peakRssBytes: number;
}

/** Medians of each figure over runs. */
export function medianFigures(runs: readonly RunFigures[]): RunFigures {
  return {
    wallMs: median(runs.map((r) => r.wallMs)),
    cpuMs: median(runs.map((r) => r.cpuMs)),
    peakRssBytes: median(runs.map((r) => r.peakRssBytes)),
  };
}

export interface Comparison {
  engine: RunFigures;
  spark: RunFigures | null;
  /** PySpark ÷ engine wall time: how many times faster the engine is (null without PySpark runs). */
  speedup: number | null;
  /** Engine ÷ PySpark, per figure (the TS/PySpark ratios). */
  ratio: RunFigures | null;
  /** Data rows ÷ engine median wall seconds. */
  engineRowsPerSecond: number;
}

export function compareMedians(engineRuns: readonly RunFigures[], sparkRuns: readonly RunFigures[], dataRows: number): Comparison {
  const engine = medianFigures(engineRuns);
  const spark = sparkRuns.length > 0 ? medianFigures(sparkRuns) : null;
  return {
    engine,
    spark,
    speedup: spark === null ? null : spark.wallMs / engine.wallMs,
    ratio:
      spark === null
        ? null
        : {
            wallMs: engine.wallMs / spark.wallMs,
            cpuMs: engine.cpuMs / spark.cpuMs,
            peakRssBytes: engine.peakRssBytes / spark.peakRssBytes,
          },
    engineRowsPerSecond: dataRows / (engine.wallMs / 1000),
  };
}

export interface BenchOptions {
  sizes: string[];
  runs: number;
  /** No PySpark runs: --skip-spark, or --peers without --spark. */
  skipSpark: boolean;
  /** Also run the pandas and polars peers (bench/peers/). */
  peers: boolean;
  /** Another build of the CLI (its cli.js) run as the tool `baseline`, e.g. the engine before a change. */
  baseline: string | null;
  skipBuild: boolean;
  /** Sizes that also get the engine's per-stage breakdown (in-process runPipeline timings). */
  stageSizes: string[];
  /** The size whose last engine and PySpark outputs are compared (null: none). */
  paritySize: string | null;
  /** Only start a measurement once the 1-minute load average is below this (null: do not wait). */
  maxLoad: number | null;
  /** Where the JSON record goes (default bench/runs/<timestamp>.json). */
  out: string | null;
  /** --help: print the usage and run nothing. */
  help: boolean;
}

export const BENCH_USAGE = `usage: npm run bench -- [--sizes default,100k,1m[,10m]] [--runs N] [--peers [--spark]] [--skip-spark]
                       [--skip-build] [--stages 1m|none] [--parity 1m|none] [--max-load 1.5] [--out FILE]
  --sizes     which inputs (default default,100k,1m; 10m is opt-in: PySpark takes minutes there)
  --runs      runs of each tool per size, alternating the tools run by run (default 3)
  --peers     also the pandas + numpy + ta and polars peers (bench/peers/), and no PySpark unless --spark
  --spark     with --peers: PySpark too
  --baseline  another build's cli.js, run alternately as "baseline" (before/after a change, same load)
  --skip-spark  no PySpark
  --skip-build  use the last benchmark build (.cache/bench-dist) as it is (default: node build.mjs first)
  --stages    sizes that get the engine's per-stage breakdown (default: 1m if among --sizes)
  --parity    size whose outputs are compared engine vs PySpark (default: 1m if among --sizes)
  --max-load  wait (up to 5 min) before each run until the 1-minute load average is below this
  --out       JSON record of every run (default bench/runs/<timestamp>.json)
  --help      this text`;

/** Parses `npm run bench` flags. @throws Error with the usage on a bad flag. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      sizes: { type: 'string', default: 'default,100k,1m' },
      runs: { type: 'string', default: '3' },
      'skip-spark': { type: 'boolean', default: false },
      peers: { type: 'boolean', default: false },
      spark: { type: 'boolean', default: false },
      baseline: { type: 'string' },
      'skip-build': { type: 'boolean', default: false },
      stages: { type: 'string' },
      parity: { type: 'string' },
      'max-load': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help!) return { ...parseBenchArgs([]), help: true }; // the other flags are not checked
  const list = (text: string) => text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const sizes = list(values.sizes!);
  if (sizes.length === 0) throw new Error(`--sizes: at least one size\n${BENCH_USAGE}`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: a positive integer, got ${values.runs}\n${BENCH_USAGE}`);
  const stageSizes =
    values.stages === undefined ? sizes.filter((s) => s === '1m') : values.stages === 'none' ? [] : list(values.stages);
  const peers = values.peers!;
  if (values.spark! && values['skip-spark']!) throw new Error(`--spark and --skip-spark contradict each other\n${BENCH_USAGE}`);
  const skipSpark = values['skip-spark']! || (peers && !values.spark!);
  let paritySize: string | null =
    values.parity === undefined ? (sizes.includes('1m') ? '1m' : null) : values.parity === 'none' ? null : values.parity;
  if (skipSpark) paritySize = null;
  if (paritySize !== null && !sizes.includes(paritySize)) {
    throw new Error(`--parity ${paritySize}: that size is not among --sizes\n${BENCH_USAGE}`);
  }
  let maxLoad: number | null = null;
  if (values['max-load'] !== undefined) {
    maxLoad = Number(values['max-load']);
    if (!(maxLoad > 0)) throw new Error(`--max-load: a positive number, got ${values['max-load']}\n${BENCH_USAGE}`);
  }
  return { sizes, runs, skipSpark, peers, baseline: values.baseline ?? null, skipBuild: values['skip-build']!, stageSizes, paritySize, maxLoad, out: values.out ?? null, help: false };
}

/** Another tool's median figures divided by the engine's (wall > 1: the engine is that many times faster). */
export function relativeToEngine(engine: RunFigures, other: RunFigures): RunFigures {
  return {
    wallMs: other.wallMs / engine.wallMs,
    cpuMs: other.cpuMs / engine.cpuMs,
    peakRssBytes: other.peakRssBytes / engine.peakRssBytes,
  };
}
