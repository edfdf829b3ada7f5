/**
 * Benchmark inputs: seeded synthetic daily data of a given size, from the fixtures generator
 * (fixtures/generate.ts), written to bench/data/<size>.csv (gitignored) and reused while its
 * parameters are unchanged.
 *
 *   tsx bench/generate.ts [--sizes 100k,1m,10m]
 *
 * A date has a four-digit year and Spark refuses Parquet dates before 1582-10-15 without rebase
 * settings, so at most ~3.07M distinct days fit (1583-01-01 … 9999-12-31). Sizes up to that are one
 * row a day; the 10M file gives each of 2.5M days four rows (three intraday snapshots, then the
 * closing row, which is the one kept): it really has 10,000,001 rows, 2,500,000 distinct days remain
 * after dedupe, and every day is reported as collapsed. Every size keeps the generator's quirks (one
 * repeated date, one zero marketCap), so the data rows are days × rows-a-day + 1.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_DATASET, generateDailyCsv, type GenerateOptions } from '../fixtures/generate.js';
import { generatePanelCsv, type PanelFacts, type PanelOptions } from '../fixtures/panelBench.js';
import { createHash } from 'node:crypto';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = join(BENCH_DIR, '..');
export const DATA_DIR = join(BENCH_DIR, 'data');
export const DEFAULT_CSV = join(PROJECT_ROOT, 'fixtures', 'default.csv');

/** One benchmark size: the bundled default file, or generator parameters. */
export interface BenchSize {
  name: string;
  /** Generator parameters; null for the bundled fixtures/default.csv. */
  generate: GenerateOptions | null;
  /** Data rows in the file (header excluded). */
  dataRows: number;
  /** Distinct dates after dedupe. */
  distinctDays: number;
}

const BENCH_SEED = 7;

export const BENCH_SIZES: Record<string, BenchSize> = {
  default: {
    name: 'default',
    generate: null,
    dataRows: DEFAULT_DATASET.rows + 1,
    distinctDays: DEFAULT_DATASET.rows,
  },
  '100k': {
    name: '100k',
    generate: { rows: 100_000, seed: BENCH_SEED, startDate: '2019-06-20' },
    dataRows: 100_001,
    distinctDays: 100_000,
  },
  '20k': {
    name: '20k',
    generate: { rows: 20_000, seed: BENCH_SEED, startDate: '2019-06-20' },
    dataRows: 20_001,
    distinctDays: 20_000,
  },
  '200k': {
    name: '200k',
    generate: { rows: 200_000, seed: BENCH_SEED, startDate: '2019-06-20' },
    dataRows: 200_001,
    distinctDays: 200_000,
  },
  '1m': {
    name: '1m',
    generate: { rows: 1_000_000, seed: BENCH_SEED, startDate: '2019-06-20' },
    dataRows: 1_000_001,
    distinctDays: 1_000_000,
  },
  '10m': {
    name: '10m',
    generate: { rows: 2_500_000, seed: BENCH_SEED, startDate: '1583-01-01', snapshotsPerDay: 4 },
    dataRows: 10_000_001,
    distinctDays: 2_500_000,
  },
};

/** The CSV for a size, generated if missing or made with other parameters. */
export function ensureBenchData(size: BenchSize, log: (line: string) => void = () => {}): string {
  if (size.generate === null) return DEFAULT_CSV;
  const file = join(DATA_DIR, `${size.name}.csv`);
  const stampFile = `${file}.json`;
  const stamp = JSON.stringify(size.generate);
  if (existsSync(file) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return file;

  mkdirSync(DATA_DIR, { recursive: true });
  log(`generating ${file} (${size.dataRows.toLocaleString('en')} rows)`);
  const partial = `${file}.partial`;
  const fd = openSync(partial, 'w');
  let quirks;
  try {
    quirks = generateDailyCsv(size.generate, (chunk) => writeSync(fd, chunk));
  } finally {
    closeSync(fd);
  }
  if (quirks.dataRows !== size.dataRows) {
    throw new Error(`${size.name}: the generator wrote ${quirks.dataRows} rows, the size says ${size.dataRows}`);
  }
  renameSync(partial, file);
  writeFileSync(stampFile, stamp);
  return file;
}

/** A panel CSV (fixtures/panelBench.ts): bench/data/panel-<A>x<D>-s<seed>.csv, regenerated when the generator or its options change. */
export function ensurePanelData(assets: number, days: number, seed: number, log: (line: string) => void = () => {}): { file: string; facts: PanelFacts } {
  const options: PanelOptions = { assets, days, seed };
  const file = join(DATA_DIR, `panel-${assets}x${days}-s${seed}.csv`);
  const stampFile = `${file}.json`;
  const generator = createHash('sha256').update(readFileSync(join(PROJECT_ROOT, 'fixtures', 'panelBench.ts'))).digest('hex');
  if (existsSync(file) && existsSync(stampFile)) {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { options: PanelOptions; generator: string; facts: PanelFacts };
    if (stamp.generator === generator && JSON.stringify(stamp.options) === JSON.stringify(options)) return { file, facts: stamp.facts };
  }
  mkdirSync(DATA_DIR, { recursive: true });
  log(`generating ${file}`);
  const partial = `${file}.partial-${process.pid}`;
  const fd = openSync(partial, 'w');
  let facts: PanelFacts;
  try {
    facts = generatePanelCsv(options, (chunk) => writeSync(fd, chunk));
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
  writeFileSync(stampFile, JSON.stringify({ options, generator, facts }));
  return { file, facts };
}

export function sizeByName(name: string): BenchSize {
  const size = BENCH_SIZES[name];
  if (size === undefined) {
    throw new RangeError(`unknown size "${name}" (known: ${Object.keys(BENCH_SIZES).join(', ')})`);
  }
  return size;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100k,1m' } } });
  for (const name of values.sizes!.split(',')) {
    const file = ensureBenchData(sizeByName(name.trim()), (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(`${file}\n`);
  }
}
