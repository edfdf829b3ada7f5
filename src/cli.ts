/**
 * `pricecast`: commands only. Each command parses its flags, calls the stage that does the work and
 * prints. Exit codes: 0 success, 1 failure (e.g. parity outside tolerance, a cluster step failed),
 * 2 bad input or bad usage. Human output goes to stdout, logs to stderr; `--json` prints one JSON
 * object on stdout.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { InputError, UsageError } from './engine/errors.js';
import { PROJECT_ROOT } from './paths.js';
import { formatModelSummary } from './engine/format.js';
import { DEFAULT_SEED, DEFAULT_TRAIN_RATIO } from './engine/pipeline.js';
import type { SplitMode } from './engine/types.js';

export const DEFAULT_INPUT = join(PROJECT_ROOT, 'fixtures', 'default.csv');
export const DEFAULT_OUTPUT = 'out/predictions';

const MAIN_HELP = `pricecast: crypto next-day price regression, locally or on AWS EMR

Usage:
  pricecast predict [options]     run the local engine: CSV in, Parquet predictions + _model.json out
  pricecast parity [options]      run the PySpark reference job and the engine on the same input, compare
  pricecast emr <command>         plan | submit | fetch | list | cleanup on AWS EMR (pricecast emr --help)
  pricecast help [command]

Run 'pricecast <command> --help' for a command's options.`;

const PREDICT_HELP = `pricecast predict: fit next_price ~ price + volume + marketCap + rsi14 as Spark ML does

Usage: pricecast predict [--input FILE] [--output DIR] [--seed N] [--split random|time]
                         [--train-ratio R] [--json]

Options:
  --input FILE        daily CSV with columns date,price,volume,marketCap (any order; others ignored)
                      default: the bundled fixtures/default.csv
  --output DIR        Spark-layout output folder: part-00000-<uuid>.snappy.parquet, _SUCCESS, _model.json
                      default: ${DEFAULT_OUTPUT}. Written atomically; an existing folder is replaced only
                      if it holds an earlier pricecast output.
  --seed N            seed of Spark's randomSplit (an integer; default ${DEFAULT_SEED})
  --split MODE        random: Spark's seeded randomSplit (default, what the PySpark job does)
                      time: the first R of the dates train, the rest test (honest for forecasting)
  --train-ratio R     fraction of rows that train, 0 < R < 1 (default ${DEFAULT_TRAIN_RATIO})
  --json              print the summary as one JSON object (_model.json's content) on stdout
  -h, --help          this help

Exit codes: 0 done, 2 bad input or usage (nothing written), 1 anything else.`;

const PARITY_HELP = `pricecast parity: the PySpark reference job (local mode) and the engine on the same input and seed

Usage: pricecast parity [--input FILE] [--seed N] [--split random|time] [--train-ratio R] [--json]
                        [--keep DIR]

Runs pyspark/price_regression.py with spark-submit (local[2], the project's own Python env, created on
first use in .cache/pyenv) and the TypeScript engine, then reports whether the test rows are the same
set and, for rsi, next_price, prediction, the coefficients, intercept and every summary statistic, the
largest absolute and relative difference.

Options:
  --input FILE        default: the bundled fixtures/default.csv
  --seed N, --split MODE, --train-ratio R   as for predict
  --json              print the report as one JSON object
  --keep DIR          keep both outputs under DIR (DIR/spark, DIR/engine) instead of a temporary folder
  -h, --help          this help

Exit codes: 0 within tolerance, 1 outside tolerance or PySpark failed, 2 bad input or usage.`;

interface CommonRunOptions {
  input: string;
  seed: number;
  split: SplitMode;
  trainRatio: number;
  json: boolean;
}

const COMMON_FLAGS = {
  input: { type: 'string' },
  seed: { type: 'string' },
  split: { type: 'string' },
  'train-ratio': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parseCommon(values: {
  input?: string;
  seed?: string;
  split?: string;
  'train-ratio'?: string;
  json?: boolean;
}): CommonRunOptions {
  const input = values.input ?? DEFAULT_INPUT;
  if (!existsSync(input)) throw new UsageError(`--input: no such file: ${input}`);
  return {
    input,
    seed: values.seed === undefined ? DEFAULT_SEED : parseSeed(values.seed),
    split: values.split === undefined ? 'random' : parseSplit(values.split),
    trainRatio: values['train-ratio'] === undefined ? DEFAULT_TRAIN_RATIO : parseRatio(values['train-ratio']),
    json: values.json ?? false,
  };
}

export function parseSeed(text: string): number {
  if (!/^[+-]?\d+$/.test(text.trim())) throw new UsageError(`--seed: expected an integer, got "${text}"`);
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) {
    throw new UsageError(`--seed: expected an integer between ±${Number.MAX_SAFE_INTEGER}, got "${text}"`);
  }
  return seed;
}

export function parseSplit(text: string): SplitMode {
  if (text === 'random' || text === 'time') return text;
  throw new UsageError(`--split: expected "random" or "time", got "${text}"`);
}

export function parseRatio(text: string): number {
  const ratio = Number(text);
  if (text.trim() === '' || !Number.isFinite(ratio) || ratio <= 0 || ratio >= 1) {
    throw new UsageError(`--train-ratio: expected a number strictly between 0 and 1, got "${text}"`);
  }
  return ratio;
}

async function predictCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON_FLAGS, output: { type: 'string' } },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${PREDICT_HELP}\n`);
    return 0;
  }
  const options = parseCommon(values);
  const output = values.output ?? DEFAULT_OUTPUT;
  const { runPipeline } = await import('./engine/pipeline.js');
  const started = performance.now();
  const result = await runPipeline({ ...options, output });
  const wallMs = performance.now() - started;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...result.report, outputDir: result.outputDir })}\n`);
  } else {
    process.stdout.write(formatModelSummary(result.report, { input: options.input, outputDir: result.outputDir, wallMs }));
  }
  return 0;
}

async function parityCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON_FLAGS, keep: { type: 'string' } },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${PARITY_HELP}\n`);
    return 0;
  }
  const options = parseCommon(values);
  const { runParity } = await import('./parity/run.js');
  const { formatParityReport } = await import('./parity/compare.js');
  const outcome = await runParity({ ...options, keep: values.keep, log: (line) => process.stderr.write(`${line}\n`) });
  if (options.json) process.stdout.write(`${JSON.stringify(outcome.report)}\n`);
  else process.stdout.write(formatParityReport(outcome.report));
  return outcome.report.ok ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'predict':
        return await predictCommand(rest);
      case 'parity':
        return await parityCommand(rest);
      case 'emr': {
        const { runEmrCommand } = await import('./emr/commands.js');
        return await runEmrCommand(rest);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h': {
        const topic = rest[0];
        if (topic === 'predict') process.stdout.write(`${PREDICT_HELP}\n`);
        else if (topic === 'parity') process.stdout.write(`${PARITY_HELP}\n`);
        else if (topic === 'emr') {
          const { runEmrCommand } = await import('./emr/commands.js');
          return await runEmrCommand(['--help']);
        } else process.stdout.write(`${MAIN_HELP}\n`);
        return command === undefined ? 2 : 0;
      }
      default:
        throw new UsageError(`unknown command "${command}" (expected predict, parity or emr; see pricecast --help)`);
    }
  } catch (error) {
    return reportError(error);
  }
}

/** One line on stderr; the exit code says what kind of failure it was. */
export function reportError(error: unknown): number {
  if (error instanceof InputError || error instanceof UsageError) {
    process.stderr.write(`pricecast: ${error.message}\n`);
    return 2;
  }
  // parseArgs' own errors (unknown flag, missing value) are usage errors too.
  const code = (error as { code?: string } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`pricecast: ${(error as Error).message} (see --help)\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`pricecast: ${message}\n`);
  if (process.env.PRICECAST_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 1;
}

// Run when executed directly (node dist/cli.js, tsx src/cli.ts), not when imported (bin/pricecast.js
// and the tests call main themselves).
const invokedPath = process.argv[1] ? resolve(process.argv[1]) : '';
const thisPath = fileURLToPath(import.meta.url);
if (invokedPath === thisPath) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
