/**
 * A child process for the forecast table's crash tests (test/forecast/table.test.ts): writes the partition
 * of one origin day with the forecast's writer (src/forecast/partition.ts), or only runs its check.
 *
 *   node --import tsx test/helpers/forecastWriter.ts write DIR ORIGIN N
 *   node --import tsx test/helpers/forecastWriter.ts check DIR ORIGIN
 *
 * The partition written with N has forecast N in its Parquet file and `"version": N` in _forecast.json,
 * so a test can tell a whole partition from a mix. PRICECAST_TEST_CRASH_AT=<step> kills it at that step.
 */
import { parseDay } from '../../src/engine/ingest/dates.js';
import { checkPartition, writePartition } from '../../src/forecast/partition.js';
import { encodeForecastParquet } from '../../src/forecast/table.js';

export function partitionFiles(origin: string, n: number) {
  const day = parseDay(origin);
  const rows = [1, 2].map((h) => ({ horizon: h, targetDay: day + h, lastPrice: 10, forecast: n, bounds: [{ lower: n - 1, upper: n + 1 }] }));
  return {
    parquet: encodeForecastParquet(rows, [0.8], 'features'),
    json: `${JSON.stringify({ tool: 'pricecast', command: 'forecast', originDate: origin, version: n }, null, 2)}\n`,
    partId: `0000000${n % 10}-0000-0000-0000-000000000000`,
  };
}

async function main(argv: string[]): Promise<void> {
  const [command, dir, origin, nText] = argv;
  if (command === 'check') process.stdout.write(`${JSON.stringify(await checkPartition(dir, origin))}\n`);
  else if (command === 'write') {
    const files = partitionFiles(origin, Number(nText));
    process.stdout.write(`${await writePartition(dir, origin, files.parquet, files.json, files.partId)}\n`);
  } else throw new Error('usage: forecastWriter.ts write DIR ORIGIN N | check DIR ORIGIN');
}

if (process.argv[1]?.endsWith('forecastWriter.ts')) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = (error as Error).name === 'UsageError' ? 2 : 1;
  });
}
