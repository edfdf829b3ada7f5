/**
 * `pricecast experiment`: parse the settings (src/settings.ts), collect the sets, run, print the
 * ranked table (or results.json with --json).
 */
import { ingestOptionsOf } from '../engine/ingest/input.js';
import { EXPERIMENT_SETTINGS, formatOptionsHelp, parseCommand } from '../settings.js';
import { formatHorizonTable } from './horizonTable.js';
import { formatRankedTable } from './rankedTable.js';
import { formatPanelTable } from './panelTable.js';
import { skippedAssetLine } from '../engine/panel/assets.js';
import { progressReporter, readProgress, shareProgress, type ProgressReporter } from '../engine/output/progress.js';
import { resultsJson, runAnyExperiment } from './run.js';
import { parseSetFlag, readSetsFile } from './sets.js';
import { selectionRequest } from './selectionCommand.js';

export const EXPERIMENT_HELP = () => `pricecast experiment: which feature sets forecast tomorrow's price better than "tomorrow = today"?

Usage: pricecast experiment [--input FILE] [--set NAME=SPEC[;regParam=λ;elasticNet=α]]... [--sets FILE]
                            [--reg-param λ,…] [--elastic-net α,…] [--train-ratio R]
                            [--refit-every K] [--target price|return] [--output DIR] [--json]
                            [--screen] [--bootstrap-seed S] [--bootstrap-reps B] [--block-size b]
                            [--select forward --pool SPEC [--start SPEC] [--max-features N]]
                            [--assets A,B,…] [--progress]

Walk-forward evaluation (docs/experiment.md): every set is fitted (Spark ML's least squares) on an
expanding window, refitted every K rows, and forecasts each test row from the rows before it only;
all sets and the persistence baseline are scored on the same rows. Prints the sets ranked by skill
(1 - mse/mse of persistence) with the Diebold-Mariano p-value against persistence, and writes
DIR/results.json, DIR/forecasts.parquet and DIR/report.html (charts, opens offline).

With two or more sets it also screens them (docs/screening.md): Hansen's SPA, Romano-Wolf's StepM and
the model confidence set over the squared errors, which say whether the best set still beats
persistence once the number of sets tried is accounted for. --select forward chooses features from
--pool on the training rows only (an inner walk-forward), then scores every step on the test rows.

On a panel (a file whose asset column names several assets) every asset is walked forward on its own
rows, and the sets are ranked by a panel Diebold-Mariano test over all assets (docs/experiment.md#panels);
an asset with too few rows is skipped with one line on stderr.

Options:
${formatOptionsHelp(EXPERIMENT_SETTINGS)}

Exit codes: 0 done, 2 bad input, spec or usage (nothing written), 1 anything else.`;

export async function experimentCommand(argv: string[]): Promise<number> {
  const { values, given } = parseCommand(argv, EXPERIMENT_SETTINGS);
  if (values.help) {
    process.stdout.write(`${EXPERIMENT_HELP()}\n`);
    return 0;
  }
  const sets = [...(values.sets === undefined ? [] : readSetsFile(values.sets)), ...values.set.map(parseSetFlag)];
  // Rows read, then a panel's assets done / total (known once the input is read), on stderr (src/engine/output/progress.ts).
  const reading = readProgress(values.progress);
  const walking = shareProgress('walk-forward', values.progress);
  let progress: ProgressReporter | undefined;
  const onProgress = (_done: number, total: number) => {
    if (total === 1) return; // one series: its walk-forward's share is the progress
    progress ??= progressReporter('assets', total, values.progress);
    progress.advance();
  };
  const run = await runAnyExperiment({
    input: values.input,
    sets,
    trainRatio: values.trainRatio,
    regParams: values.regParam,
    elasticNets: values.elasticNet,
    refitEvery: values.refitEvery,
    target: values.target,
    output: values.output,
    ingest: { ...ingestOptionsOf(values), readProgress: reading },
    threads: values.threads === 'auto' ? 'auto' : Number(values.threads),
    screen: given.has('screen') ? values.screen : 'auto',
    bootstrap: { seed: values.bootstrapSeed, reps: values.bootstrapReps, blockSize: values.blockSize },
    selection: selectionRequest(values),
    horizon: values.horizon,
    levels: values.level,
    calibrationWindow: values.calibrationWindow,
    assets: values.assets,
    onProgress,
    onWalkForward: (share) => walking.share(share),
  }).finally(() => {
    reading.done();
    walking.done();
    progress?.done();
  });
  // Printed once the run stands: a refused run says one line, its refusal (docs/input.md#panels).
  if ('assets' in run.results) for (const skipped of run.results.skipped) process.stderr.write(skippedAssetLine(skipped));
  const wrote = `wrote ${run.outputDir}/ (report.html, results.json, forecasts.parquet)\n`;
  if (values.json) process.stdout.write(resultsJson(run.results));
  else if ('assets' in run.results) process.stdout.write(`${formatPanelTable(run.results)}\n${wrote}`);
  else process.stdout.write(`${formatRankedTable(run.results)}\n${formatHorizonTable(run.results)}${wrote}`);
  return 0;
}
