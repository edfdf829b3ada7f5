/**
 * A child process for the output protocol's crash tests (test/engine/output/folderCrash.test.ts): writes one
 * small output with the engine's writer, or only runs the pre-computation check.
 *
 *   node --import tsx test/helpers/outputWriter.ts write DIR SEED
 *   node --import tsx test/helpers/outputWriter.ts prepare DIR
 *
 * With PRICECAST_TEST_CRASH_AT=<step> in its environment output.ts kills it at that step.
 * Prints the recovery report (prepare) or the part file (write) as JSON.
 */
import { prepareOutput, writeSparkOutput } from '../../src/engine/output/folder.js';
import { encodePredictionsParquet } from '../../src/engine/output/predictionsParquet.js';
import type { ModelReport, PredictionColumns } from '../../src/engine/types.js';

/** Prediction columns for the given days (values derived from each day, rsi 50). */
export function predictionsFor(days: number[]): PredictionColumns {
  const of = (f: (i: number) => number) => Float64Array.from(days, (_d, i) => f(i));
  return {
    day: Int32Array.from(days),
    price: of((i) => days[i] / 1000),
    volume: of((i) => i),
    marketCap: of((i) => 10 * i),
    rsi: of(() => 50),
    nextPrice: of((i) => days[i] / 1000 + 0.5),
    prediction: of((i) => days[i] / 1000 + 0.25),
  };
}

export function smallPredictions(seed: number): PredictionColumns {
  return predictionsFor([18000 + seed, 18001 + seed]);
}

/** A small, plausible `_model.json` report; `seed` tells one output from another. */
export function smallReport(seed: number): ModelReport {
  return {
    tool: 'pricecast',
    engine: 'typescript',
    input: { file: 'x.csv', sha256: 'ab', rowsRead: 3, duplicateDatesCollapsed: { count: 0, first: [] } },
    seed,
    split: 'random',
    trainRatio: 0.7,
    rows: { afterDedupe: 3, afterDropNulls: 3, train: 2, test: 2 },
    features: ['price', 'volume', 'marketCap', 'rsi'],
    model: { featureNames: ['price', 'volume', 'marketCap', 'rsi'], coefficients: [1, 0, 0, 0], intercept: 0, solver: 'cholesky', regParam: 0, elasticNetParam: 0 },
    training: {
      numInstances: 2,
      degreesOfFreedom: 0,
      coefficientStandardErrors: null,
      tValues: null,
      pValues: null,
      r2: 1,
      r2adj: 1,
      meanSquaredError: 0,
      rootMeanSquaredError: 0,
      meanAbsoluteError: 0,
      explainedVariance: 1,
    },
    test: { numInstances: 2, rootMeanSquaredError: 0.5, meanAbsoluteError: 0.5, r2: 0 },
  } as ModelReport;
}

async function main(argv: string[]): Promise<void> {
  const [command, dir, seedText] = argv;
  if (command === 'prepare') {
    process.stdout.write(`${JSON.stringify(await prepareOutput(dir))}\n`);
  } else if (command === 'write') {
    const seed = Number(seedText);
    const written = await writeSparkOutput(dir, encodePredictionsParquet(smallPredictions(seed)), smallReport(seed));
    process.stdout.write(`${JSON.stringify(written)}\n`);
  } else {
    throw new Error(`usage: outputWriter.ts write DIR SEED | prepare DIR`);
  }
}

if (process.argv[1]?.endsWith('outputWriter.ts')) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = (error as Error).name === 'UsageError' ? 2 : 1;
  });
}
