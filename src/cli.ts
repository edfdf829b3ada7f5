/**
 * `pricecast`: commands only. Each command parses its flags, calls the stage that does the work and
 * prints. Exit codes: 0 success, 1 failure (e.g. parity outside tolerance, a cluster step failed),
 * 2 bad input or bad usage. Human output goes to stdout, logs to stderr; `--json` prints one JSON
 * object on stdout.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeControl, UsageError } from './engine/errors.js';
import { formatModelSummary } from './engine/output/format.js';
import { isS3Uri, withLocalInput } from './engine/ingest/s3Input.js';
import { SPARK_LAYOUT } from './engine/output/folder.js';
import { reportError } from './errorReport.js';
import {
  formatOptionsHelp,
  PARITY_SETTINGS,
  parseCommand,
  PREDICT_SETTINGS,
  type JobSettings,
  type SettingMap,
} from './settings.js';

export { DEFAULT_INPUT, DEFAULT_OUTPUT } from './settings.js';

const MAIN_HELP = `pricecast: crypto next-day price regression, locally or on AWS EMR

Usage:
  pricecast predict [options]     run the local engine: CSV in, Parquet predictions + _model.json out
  pricecast parity [options]      run the PySpark reference job and the engine on the same input, compare
  pricecast features [--json]     the feature catalogue: what --features accepts (ta functions, arguments)
  pricecast experiment [options]  walk-forward test of feature sets against "tomorrow = today", with a report
  pricecast forecast [options]    the price after the last day (horizons 1…H), conformal intervals, track record
  pricecast emr <command>         plan | stage | submit | fetch | list | cleanup on AWS EMR (pricecast emr --help)
  pricecast doctor [command]      is everything a command needs there (Java, Python, caches, AWS)? How to fix it
  pricecast help [command]
  pricecast --version             the version (also -V)

Run 'pricecast <command> --help' for a command's options.`;



const PREDICT_HELP = () => `pricecast predict: fit next_price from the feature vector as Spark ML's LinearRegression does

Usage: pricecast predict [options]

Options:
${formatOptionsHelp(PREDICT_SETTINGS)}

Exit codes: 0 done, 2 bad input or usage (nothing written), 1 anything else.`;

const PARITY_HELP = () => `pricecast parity: the PySpark reference job (local mode) and the engine on the same input and seed

Usage: pricecast parity [options]

Runs pyspark/price_regression.py with spark-submit (local[2], the project's own Python env, created on
first use in the cache folder: \`pricecast doctor parity\` shows where, and whether it is ready) and the
TypeScript engine, then reports whether the test rows are the same set and, for every feature column,
next_price, prediction, the coefficients, intercept and every summary statistic, the largest absolute
and relative difference.

Options:
${formatOptionsHelp(PARITY_SETTINGS)}

Exit codes: 0 within tolerance, 1 outside tolerance or PySpark failed, 2 bad input or usage.`;

/** The job settings every command shares, with the input checked to exist. */
function jobSettings(values: JobSettings): JobSettings {
  if (values.input !== '-' && !isS3Uri(values.input) && !existsSync(values.input)) throw new UsageError(`--input: no such file: ${escapeControl(values.input)}`);
  return values;
}

async function predictCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, PREDICT_SETTINGS);
  if (values.help) {
    process.stdout.write(`${PREDICT_HELP()}\n`);
    return 0;
  }
  const { json, output, help: _help, ...job } = values;
  const options = jobSettings(job);
  const { runPredict } = await import('./engine/panel/panelPipeline.js');
  const started = performance.now();
  // An s3:// input is read from a local copy (src/engine/ingest/s3Input.ts); an s3:// output is written
  // locally, then published (src/engine/output/s3Folder.ts).
  const fit = (out: string) =>
    isS3Uri(options.input) ? withLocalInput(options.input, (file) => runPredict({ ...options, input: file, output: out })) : runPredict({ ...options, output: out });
  const result = isS3Uri(output)
    ? await (await import('./engine/output/s3Folder.js')).withS3Output(output, SPARK_LAYOUT, fit).then(({ result: r, uri }) => ({ ...r, outputDir: uri }))
    : await fit(output);
  const wallMs = performance.now() - started;
  // An asset too short for the work is skipped with one line (docs/input.md#panels).
  if (result.kind === 'panel') {
    const { skippedAssetLine } = await import('./engine/panel/assets.js');
    for (const skipped of result.report.skipped) process.stderr.write(skippedAssetLine(skipped));
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...result.report, outputDir: result.outputDir })}\n`);
  } else if (result.kind === 'panel') {
    const { formatPanelSummary } = await import('./engine/output/panelFormat.js');
    process.stdout.write(formatPanelSummary(result.report, { input: options.input, outputDir: result.outputDir, wallMs }));
  } else {
    process.stdout.write(formatModelSummary(result.report, { input: options.input, outputDir: result.outputDir, wallMs }));
  }
  return 0;
}

async function parityCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, PARITY_SETTINGS);
  if (values.help) {
    process.stdout.write(`${PARITY_HELP()}\n`);
    return 0;
  }
  const { json, keep, help: _help, ...job } = values;
  const options = jobSettings(job);
  const { runParity } = await import('./parity/run.js');
  const { formatParityReport } = await import('./parity/compare.js');
  const outcome = await runParity({ ...options, keep, panels: true, log: (line) => process.stderr.write(`${line}\n`) });
  if (json) process.stdout.write(`${JSON.stringify(outcome.report)}\n`);
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
      case 'experiment': {
        const { experimentCommand } = await import('./experiment/command.js');
        return await experimentCommand(rest);
      }
      case 'forecast': {
        const { forecastCommand } = await import('./forecast/command.js');
        return await forecastCommand(rest);
      }
      case 'features': {
        const { featuresCommand } = await import('./catalogueCommand.js');
        return await featuresCommand(rest);
      }
      case 'emr': {
        const { runEmrCommand } = await import('./emr/commands.js');
        return await runEmrCommand(rest);
      }
      case 'doctor': {
        const { doctorCommand } = await import('./doctor/command.js');
        return await doctorCommand(rest);
      }
      case '--version':
      case '-V':
        process.stdout.write(`${(await import('./version.js')).VERSION}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h': {
        const topic = rest[0];
        if (topic === 'predict') process.stdout.write(`${PREDICT_HELP()}\n`);
        else if (topic === 'parity') process.stdout.write(`${PARITY_HELP()}\n`);
        else if (topic === 'features') return await (await import('./catalogueCommand.js')).featuresCommand(['--help']);
        else if (topic === 'experiment') process.stdout.write(`${(await import('./experiment/command.js')).EXPERIMENT_HELP()}\n`);
        else if (topic === 'forecast') process.stdout.write(`${(await import('./forecast/command.js')).FORECAST_HELP()}\n`);
        else if (topic === 'doctor') process.stdout.write(`${(await import('./doctor/command.js')).DOCTOR_HELP()}\n`);
        else if (topic === 'emr') {
          const { runEmrCommand } = await import('./emr/commands.js');
          return await runEmrCommand(['--help']);
        } else process.stdout.write(`${MAIN_HELP}\n`);
        return command === undefined ? 2 : 0;
      }
      default:
        throw new UsageError(`unknown command "${command}" (expected predict, parity, experiment, forecast, features, emr or doctor; see pricecast --help)`);
    }
  } catch (error) {
    return reportError(error, { json: rest.includes('--json') });
  }
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
