/**
 * The benchmark harness's pure parts: flag parsing, medians and ratios, /proc parsing, and the process
 * tree sampler on a real child process (a parent that starts a child that allocates memory). No
 * timing assertions: only what the figures must be by construction.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_SIZES } from '../../bench/generate.js';
import { comparePeerOutput } from '../../bench/peerCheck.js';
import {
  measureCommand,
  parseProcStat,
  parseTimeOutput,
  processTree,
  ProcessTreeSampler,
  readProcessTable,
  type ProcStat,
} from '../../bench/procTree.js';
import { compareMedians, median, parseBenchArgs, relativeToEngine } from '../../bench/stats.js';
import { readSparkOutput } from '../../src/readback/sparkOutput.js';
import { runPipeline } from '../../src/engine/pipeline.js';
import { randomSplit, ROLE_TEST, ROLE_TRAIN } from '../../src/engine/split.js';
import type { PredictionColumns } from '../../src/engine/types.js';
import { ensurePythonEnv, type PythonEnv } from '../../src/parity/pyenv.js';
import { ROOT } from '../helpers/cli.js';
import { runPython } from '../helpers/python.js';
import { generated, repeatedDates } from '../helpers/datasets.js';

describe('parseBenchArgs', () => {
  it('defaults to the default, 100k and 1m sizes, 3 runs, stages and parity at 1m', () => {
    expect(parseBenchArgs([])).toEqual({
      sizes: ['default', '100k', '1m'],
      runs: 3,
      skipSpark: false,
      peers: false,
      baseline: null,
      skipBuild: false,
      stageSizes: ['1m'],
      paritySize: '1m',
      maxLoad: null,
      out: null,
      help: false,
    });
  });

  it('--help asks for the usage and nothing else, even beside other flags', () => {
    expect(parseBenchArgs(['--help']).help).toBe(true);
    expect(parseBenchArgs(['--sizes', '1m', '-h']).help).toBe(true);
    expect(parseBenchArgs(['--sizes', '1m']).help).toBe(false);
  });

  it('reads every flag', () => {
    const options = parseBenchArgs([
      '--sizes', '100k, 10m', '--runs', '5', '--skip-build', '--stages', '10m', '--parity', '10m', '--max-load', '1.5', '--out', 'x.json',
    ]);
    expect(options).toEqual({
      sizes: ['100k', '10m'],
      runs: 5,
      skipSpark: false,
      peers: false,
      baseline: null,
      skipBuild: true,
      stageSizes: ['10m'],
      paritySize: '10m',
      maxLoad: 1.5,
      out: 'x.json',
      help: false,
    });
  });

  it('has no parity without PySpark, and none unless asked for a size that is run', () => {
    expect(parseBenchArgs(['--skip-spark']).paritySize).toBeNull();
    expect(parseBenchArgs(['--sizes', 'default']).paritySize).toBeNull();
    expect(parseBenchArgs(['--parity', 'none']).paritySize).toBeNull();
    expect(parseBenchArgs(['--stages', 'none']).stageSizes).toEqual([]);
    expect(() => parseBenchArgs(['--sizes', 'default', '--parity', '1m'])).toThrow(/not among --sizes/);
  });

  it('runs the peers without PySpark unless --spark is also given', () => {
    expect(parseBenchArgs(['--peers'])).toMatchObject({ peers: true, skipSpark: true, paritySize: null });
    expect(parseBenchArgs(['--peers', '--spark'])).toMatchObject({ peers: true, skipSpark: false, paritySize: '1m' });
    expect(() => parseBenchArgs(['--spark', '--skip-spark'])).toThrow(/contradict/);
    expect(parseBenchArgs(['--baseline', 'before/dist/cli.js']).baseline).toBe('before/dist/cli.js');
  });

  it('refuses bad values and unknown flags', () => {
    expect(() => parseBenchArgs(['--runs', '0'])).toThrow(/--runs/);
    expect(() => parseBenchArgs(['--runs', '2.5'])).toThrow(/--runs/);
    expect(() => parseBenchArgs(['--max-load', '-1'])).toThrow(/--max-load/);
    expect(() => parseBenchArgs(['--sizes', ','])).toThrow(/--sizes/);
    expect(() => parseBenchArgs(['--fast'])).toThrow();
  });
});

describe('median and the TS/PySpark comparison', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('compares medians: speedup = PySpark wall / engine wall, ratios engine / PySpark, rows per second', () => {
    const engine = [
      { wallMs: 1000, cpuMs: 900, peakRssBytes: 100 },
      { wallMs: 3000, cpuMs: 1100, peakRssBytes: 300 },
      { wallMs: 2000, cpuMs: 1000, peakRssBytes: 200 },
    ];
    const spark = [
      { wallMs: 40_000, cpuMs: 60_000, peakRssBytes: 1000 },
      { wallMs: 20_000, cpuMs: 50_000, peakRssBytes: 800 },
    ];
    const c = compareMedians(engine, spark, 1_000_000);
    expect(c.engine).toEqual({ wallMs: 2000, cpuMs: 1000, peakRssBytes: 200 });
    expect(c.spark).toEqual({ wallMs: 30_000, cpuMs: 55_000, peakRssBytes: 900 });
    expect(c.speedup).toBe(15);
    expect(c.ratio!.wallMs).toBeCloseTo(2000 / 30_000, 15);
    expect(c.ratio!.cpuMs).toBeCloseTo(1000 / 55_000, 15);
    expect(c.ratio!.peakRssBytes).toBeCloseTo(200 / 900, 15);
    expect(c.engineRowsPerSecond).toBe(500_000);
  });

  it('puts another tool over the engine (wall > 1: the engine is faster)', () => {
    const r = relativeToEngine({ wallMs: 500, cpuMs: 400, peakRssBytes: 100 }, { wallMs: 1500, cpuMs: 200, peakRssBytes: 250 });
    expect(r).toEqual({ wallMs: 3, cpuMs: 0.5, peakRssBytes: 2.5 });
  });

  it('has no ratios without PySpark runs', () => {
    const c = compareMedians([{ wallMs: 500, cpuMs: 400, peakRssBytes: 1 }], [], 1000);
    expect(c.spark).toBeNull();
    expect(c.speedup).toBeNull();
    expect(c.ratio).toBeNull();
    expect(c.engineRowsPerSecond).toBe(2000);
  });
});

describe('the benchmark sizes', () => {
  it('stay within the dates a CSV and Spark can hold, and say how many rows they have', () => {
    for (const size of Object.values(BENCH_SIZES)) {
      if (size.generate === null) continue;
      const perDay = size.generate.snapshotsPerDay ?? 1;
      expect(size.dataRows).toBe(size.generate.rows * perDay + 1); // + the repeated-date quirk
      expect(size.distinctDays).toBe(size.generate.rows);
      expect(size.generate.startDate! >= '1582-10-15').toBe(true);
    }
    expect(BENCH_SIZES['10m'].dataRows).toBeGreaterThanOrEqual(10_000_000);
  });
});

describe('/proc parsing', () => {
  it('reads pid, ppid, CPU ticks and RSS from a stat line whose name holds spaces and parentheses', () => {
    // Fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    //         cutime cstime priority nice threads itrealvalue starttime vsize rss ...
    const line = '4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 1 0 999 123456 5000 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 17, cpuTicks: 280, rssBytes: 5000 * 4096 });
    expect(parseProcStat('garbage')).toBeNull();
  });

  it('finds a root and all its descendants, and nothing else', () => {
    const stat = (pid: number, ppid: number): ProcStat => ({ pid, ppid, cpuTicks: 0, rssBytes: pid });
    const table = new Map([stat(1, 0), stat(10, 1), stat(11, 10), stat(12, 10), stat(13, 12), stat(20, 1)].map((s) => [s.pid, s]));
    expect(processTree(10, table).map((s) => s.pid).sort((a, b) => a - b)).toEqual([10, 11, 12, 13]);
    expect(processTree(99, table)).toEqual([]);
  });

  it('reads this process from the live table', () => {
    const me = readProcessTable().get(process.pid);
    expect(me?.ppid).toBe(process.ppid);
    expect(me!.rssBytes).toBeGreaterThan(0);
  });

  it("reads /usr/bin/time's '%e %U %S %M' line", () => {
    expect(parseTimeOutput('1.50 0.75 0.25 2048\n')).toEqual({ userMs: 750, sysMs: 250, maxRssBytes: 2048 * 1024 });
    expect(() => parseTimeOutput('Command exited with non-zero status 1\n')).toThrow(/unexpected/);
  });
});

describe('ProcessTreeSampler on real processes', () => {
  // A shell that starts a Node child holding ~200 MiB of touched memory, then both wait.
  const HOLD_MIB = 200;
  const childScript = `const b = Buffer.alloc(${HOLD_MIB} * 1048576, 1); setTimeout(() => console.log(b.length), 1500);`;

  it('sums the RSS of the whole tree, grandchild included', async () => {
    const parent = spawn('sh', ['-c', `"${process.execPath}" -e '${childScript}'; true`], { stdio: 'ignore' });
    const sampler = new ProcessTreeSampler(parent.pid!, 50).start();
    let sawGrandchild = false;
    const watch = setInterval(() => {
      if (processTree(parent.pid!, readProcessTable()).length >= 2) sawGrandchild = true;
    }, 50);
    await new Promise((resolve) => parent.on('close', resolve));
    clearInterval(watch);
    sampler.stop();
    expect(sawGrandchild).toBe(true);
    expect(sampler.samples).toBeGreaterThan(3);
    // The grandchild alone holds HOLD_MIB of touched pages.
    expect(sampler.peakRssBytes).toBeGreaterThan(HOLD_MIB * 2 ** 20);
  });

  it('measureCommand reports the exit code, CPU and a peak covering the allocation', async () => {
    const m = await measureCommand('sh', ['-c', `"${process.execPath}" -e '${childScript}'`]);
    expect(m.exitCode).toBe(0);
    expect(m.stdout.trim()).toBe(String(HOLD_MIB * 2 ** 20));
    expect(m.peakRssBytes).toBeGreaterThan(HOLD_MIB * 2 ** 20);
    expect(m.peakRssBytes).toBeGreaterThanOrEqual(m.maxSingleRssBytes);
    // Filling 200 MiB takes some CPU; the kernel's and the sampled figures are both positive.
    expect(m.cpuMs).toBeGreaterThan(0);
    expect(m.sampledCpuMs).toBeGreaterThan(0);
    const failed = await measureCommand('sh', ['-c', 'exit 3']);
    expect(failed.exitCode).toBe(3);
  });
});

describe('comparePeerOutput', () => {
  const columns = (days: number[], scale = 1): PredictionColumns => {
    const f = (k: number) => Float64Array.from(days, (d) => (d + k) * scale);
    return { day: Int32Array.from(days), price: f(1), volume: f(2), marketCap: f(3), rsi: f(4), nextPrice: f(5), prediction: f(6) };
  };

  it('accepts the same rows and values within the tolerance, and says how far apart they are', () => {
    const check = comparePeerOutput(columns([10, 11, 12]), columns([10, 11, 12], 1 + 1e-12), 1e-9);
    expect(check.ok).toBe(true);
    expect(check.differentDates).toBe(0);
    expect(check.maxRelative.prediction).toBeGreaterThan(0);
    expect(check.maxRelative.prediction).toBeLessThan(1e-11);
  });

  it('refuses another date, a missing row, a value out of tolerance, and a null on one side only', () => {
    expect(comparePeerOutput(columns([10, 11, 12]), columns([10, 11, 13])).differentDates).toBe(1);
    const short = comparePeerOutput(columns([10, 11, 12]), columns([10, 11]));
    expect(short.ok).toBe(false);
    expect(short.peerRows).toBe(2);
    const off = columns([10, 11, 12]);
    off.prediction[1] *= 1 + 1e-3;
    expect(comparePeerOutput(columns([10, 11, 12]), off).ok).toBe(false);
    const nulled = columns([10, 11, 12]);
    nulled.rsi[0] = NaN;
    expect(comparePeerOutput(columns([10, 11, 12]), nulled).maxRelative.rsi).toBe(Infinity);
  });
});

describe('the benchmark peers do the engine\'s job (pandas + numpy + ta, polars)', () => {
  let env: PythonEnv;
  let work: string;
  beforeAll(async () => {
    env = await ensurePythonEnv();
    work = await mkdtemp(join(tmpdir(), 'pricecast-peers-'));
  }, 600_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const python = (args: string[]): Promise<string> => runPython(env, args);

  it("spark_split.py's vectorised XORShiftRandom draws the engine's split (itself checked against Spark)", async () => {
    const cases = [
      { n: 1, seed: 42, ratio: 0.7 },
      { n: 997, seed: 42, ratio: 0.7 },
      { n: 5000, seed: -3, ratio: 0.25 },
      { n: 4099, seed: 9_007_199_254_740_991, ratio: 0.5 },
      { n: 20_000, seed: 0, ratio: 0.9 },
    ];
    const script = `import json, sys
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'bench', 'peers'))})
from spark_split import random_split
out = []
for c in json.loads(sys.argv[1]):
    train, test = random_split(c["n"], c["ratio"], c["seed"])
    out.append({"train": train.nonzero()[0].tolist(), "test": test.nonzero()[0].tolist()})
print(json.dumps(out))`;
    const got = JSON.parse(await python(['-c', script, JSON.stringify(cases)])) as Array<{ train: number[]; test: number[] }>;
    cases.forEach((c, k) => {
      const engine = randomSplit(c.n, c.ratio, c.seed);
      const indices = (value: number) => Array.from(engine.role).flatMap((v, i) => (v === value ? [i] : []));
      expect(got[k].train, `case ${JSON.stringify(c)}`).toEqual(indices(ROLE_TRAIN));
      expect(got[k].test, `case ${JSON.stringify(c)}`).toEqual(indices(ROLE_TEST));
    });
  }, 120_000);

  const inputs = [
    // From 1600 (before pandas' datetime64[ns] range), with generate.ts's repeated date (the last row kept).
    // Several rows on every day is not one daily series any more (docs/input.md#not-one-daily-series).
    { name: 'before 1677', file: () => generated(work, 'early.csv', { rows: 3000, seed: 11, startDate: '1600-01-01' }), seed: 42, ratio: 0.7 },
    // Repeated dates scattered through the file (at most 1% of the days): only the last copy in file order may survive.
    { name: 'scattered repeats', file: () => repeatedDates(work, 2500, 25, 5), seed: 7, ratio: 0.6 },
  ];
  for (const input of inputs) {
    it(`both peers write the engine's test rows and predictions (${input.name}, seed ${input.seed}, ratio ${input.ratio})`, async () => {
      const file = input.file();
      const engine = await runPipeline({ input: file, output: join(work, `${input.name}-engine`), seed: input.seed, trainRatio: input.ratio });
      for (const peer of ['pandas', 'polars']) {
        const out = join(work, `${input.name}-${peer}`);
        const summary = JSON.parse(
          await python([join(ROOT, 'bench', 'peers', `${peer}_peer.py`), '--input', file, '--output', out, '--seed', String(input.seed), '--train-ratio', String(input.ratio)]),
        );
        expect(summary).toMatchObject({
          rowsRead: engine.report.input.rowsRead,
          afterDedupe: engine.report.rows.afterDedupe,
          afterDropNulls: engine.report.rows.afterDropNulls,
          train: engine.report.rows.train,
          test: engine.report.rows.test,
        });
        const written = await readSparkOutput(out);
        const check = comparePeerOutput(engine.predictions, written.predictions, 1e-9);
        expect(check, peer).toMatchObject({ ok: true, differentDates: 0, peerRows: engine.report.rows.test });
        (summary.coefficients as number[]).forEach((c, i) => {
          const mine = engine.report.model.coefficients[i];
          expect(Math.abs(c - mine) / Math.abs(mine), `${peer} coefficient ${i}`).toBeLessThan(1e-6);
        });
      }
    }, 180_000);
  }
});
