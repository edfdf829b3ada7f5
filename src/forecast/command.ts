/**
 * `pricecast forecast`: parse the settings (src/settings.ts), choose the set (--features or --from …
 * --set NAME), run, print the summary (or _forecast.json's content with --json).
 */
import { UsageError } from '../engine/errors.js';
import { DEFAULT_FEATURE_SPEC } from '../engine/features/spec.js';
import { ingestOptionsOf } from '../engine/ingest/input.js';
import { FORECAST_COMMAND_SETTINGS as FORECAST_SETTINGS, formatOptionsHelp, manifestOf, parseCommand } from '../settings.js';
import { FEATURES_SET } from './defaults.js';
import { setFromResults } from './fromResults.js';
import { skippedAssetLine } from '../engine/panel/assets.js';
import { progressReporter, readProgress, type ProgressReporter } from '../engine/output/progress.js';
import { forecastJson, isPanelRun, runAnyForecast } from './run.js';
import { formatForecastSummary, formatPanelSummary } from './summary.js';

export const FORECAST_HELP = () => `pricecast forecast: the price after the last known day, with intervals and the model's track record

Usage: pricecast forecast [--input FILE] [--features SPEC | --from RESULTS --set NAME] [--horizon H]
                          [--level L,...] [--as-of DATE] [--assets A,B,...] [--output DIR] [--json]

For each horizon h = 1 … H the model (Spark ML's least squares) is fitted on every row whose price h
days later is known and applied to the last day. Its intervals are split conformal: calibrated on the
errors of the same model in a walk-forward over the history, which is also reported (skill against
"in h days = today", Diebold-Mariano p, interval coverage). The result is one partition of a table
in Spark's partitionBy("origin_date") layout: DIR/origin_date=YYYY-MM-DD/ (docs/forecast.md).
On a panel (an asset column naming several assets) each asset is forecast from its own rows, one row
per asset and horizon with an asset column, all in the partition of the newest asset's last day.

Options:
${formatOptionsHelp(FORECAST_SETTINGS)}

Exit codes: 0 done, 2 bad input or usage (nothing written), 1 anything else.`;

export async function forecastCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, FORECAST_SETTINGS);
  if (values.help) {
    process.stdout.write(`${FORECAST_HELP()}\n`);
    return 0;
  }
  const flagged = values.regParam !== undefined || values.elasticNet !== undefined;
  let set: { name: string; spec: string; regularisation?: { regParam: number; elasticNetParam: number } } = {
    name: FEATURES_SET,
    spec: values.features ?? DEFAULT_FEATURE_SPEC,
    ...(flagged && { regularisation: { regParam: values.regParam ?? 0, elasticNetParam: values.elasticNet ?? 0 } }),
  };
  let target = values.target;
  if (values.from !== undefined) {
    if (values.features !== undefined || flagged) throw new UsageError('--from takes the set\'s features, λ and α: not with --features, --reg-param or --elastic-net');
    if (values.set === undefined) throw new UsageError('--from: expected --set NAME (which of its sets to forecast with)');
    const chosen = setFromResults(values.from, values.set);
    set = { name: chosen.name, spec: chosen.spec, regularisation: chosen.regularisation };
    target = chosen.target;
  } else if (values.set !== undefined) {
    throw new UsageError('--set: only with --from RESULTS');
  }
  // Rows read, then a panel's assets done / total (known once the input is read), on stderr (src/engine/output/progress.ts).
  const reading = readProgress(values.progress);
  let progress: ProgressReporter | undefined;
  const onProgress = (done: number, total: number) => {
    progress ??= progressReporter('assets', total, values.progress);
    if (done > 0) progress.advance();
  };
  let run;
  try {
    run = await runAnyForecast({
      input: values.input,
      set,
      target,
      horizon: values.horizon,
      levels: values.level,
      calibrationWindow: values.calibrationWindow,
      trainRatio: values.trainRatio,
      refitEvery: values.refitEvery,
      asOf: values.asOf,
      output: values.output,
      ingest: { ...ingestOptionsOf(values), readProgress: reading },
      settings: manifestOf(FORECAST_SETTINGS, values),
      s3: {
        encryption: { algorithm: values.sseAlgorithm, kmsKeyId: values.kmsKeyId ?? null },
        expectedBucketOwner: values.expectedBucketOwner,
        requestTimeoutSeconds: values.requestTimeoutSeconds,
      },
      assets: values.assets,
      onProgress,
    });
  } finally {
    reading.done();
    progress?.done();
  }
  if (isPanelRun(run)) {
    for (const skipped of run.document.skipped) process.stderr.write(skippedAssetLine(skipped));
  }
  if (values.json) process.stdout.write(forecastJson(run.document));
  else process.stdout.write(isPanelRun(run) ? formatPanelSummary(run) : formatForecastSummary(run));
  return 0;
}
