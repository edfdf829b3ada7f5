/**
 * A panel's output folder read back (Spark's `partitionBy("asset")` layout, docs/parity.md#panels), the
 * engine's or the reference job's: `_model.json` with its `assets` and `skipped`, and each
 * `asset=<name>/part-*.parquet`, its rows in date order. Then each asset as a one-series output, so that
 * the one-series comparison (compare.ts) applies to it unchanged.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { MODEL_FILE, SUCCESS_FILE } from '../engine/output/folder.js';
import { decodePredictionsParquet } from '../engine/output/predictionsParquet.js';
import type { PanelModelReport } from '../engine/panel/panelPipeline.js';
import type { ModelReport, PredictionColumns } from '../engine/types.js';
import type { RunOutput } from './compare.js';

/** A panel's _model.json as either side writes it (`engine` says which). */
export type PanelReport = Omit<PanelModelReport, 'engine'> & { engine: ModelReport['engine'] };

export interface PanelOutput {
  report: PanelReport;
  /** Each asset folder's rows, by asset name (unescaped), in date order. */
  predictions: Map<string, PredictionColumns>;
}

const PART_FILE = /^part-.*\.parquet$/;
const PARTITION = /^asset=(.+)$/;

/** Whether a _model.json is a panel's (it lists `assets`). */
export function isPanelReport(report: unknown): report is PanelReport {
  return typeof report === 'object' && report !== null && Array.isArray((report as { assets?: unknown }).assets);
}

export async function readPanelOutput(dir: string): Promise<PanelOutput> {
  const names = await readdir(dir);
  if (!names.includes(MODEL_FILE)) throw new UsageError(`${dir} has no ${MODEL_FILE}; the job that wrote it did not finish`);
  if (!names.includes(SUCCESS_FILE)) throw new UsageError(`${dir}: no ${SUCCESS_FILE} file (the job that wrote it did not finish)`);
  const report = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8')) as unknown;
  if (!isPanelReport(report)) throw new UsageError(`${dir}/${MODEL_FILE} is not a panel's (it lists no assets)`);
  const predictions = new Map<string, PredictionColumns>();
  for (const name of names.sort()) {
    const partition = PARTITION.exec(name);
    if (partition === null) continue;
    const folder = join(dir, name);
    const parts = (await readdir(folder)).filter((file) => PART_FILE.test(file)).sort();
    const decoded: PredictionColumns[] = [];
    for (const part of parts) decoded.push(decodePredictionsParquet(await readFile(join(folder, part)), report.features));
    // Spark escapes a partition value's special characters as %XX; an asset name has none, but read it as Spark does.
    predictions.set(decodeURIComponent(partition[1]), inDateOrder(decoded));
  }
  return { report, predictions };
}

/** One asset of a panel as a one-series output: its predictions and a one-series report built from its entry. */
export function assetOutput(panel: PanelOutput, asset: string): RunOutput | null {
  const entry = panel.report.assets.find((a) => a.asset === asset);
  const predictions = panel.predictions.get(asset);
  if (entry === undefined || predictions === undefined) return null;
  const { report } = panel;
  return {
    predictions,
    report: {
      tool: 'pricecast',
      engine: report.engine,
      input: { file: report.input.file, sha256: report.input.sha256, layout: report.input.layout, asset, ...entry.input },
      seed: report.seed,
      split: report.split,
      trainRatio: report.trainRatio,
      rows: entry.rows,
      features: report.features,
      featureSpecs: report.featureSpecs,
      model: entry.model,
      training: entry.training,
      test: entry.test,
    },
  };
}

/** Part files concatenated, then in date order (each asset's dates are unique). */
function inDateOrder(parts: PredictionColumns[]): PredictionColumns {
  const keys = parts.length > 0 ? Object.keys(parts[0]) : ['day', 'nextPrice', 'prediction'];
  const total = parts.reduce((sum, p) => sum + p.day.length, 0);
  const order = Array.from({ length: total }, (_, i) => i);
  const day = new Int32Array(total);
  let offset = 0;
  for (const p of parts) {
    day.set(p.day, offset);
    offset += p.day.length;
  }
  order.sort((a, b) => day[a] - day[b] || a - b);
  const out: Record<string, Int32Array | Float64Array> = {};
  for (const key of keys) {
    const whole = key === 'day' ? new Int32Array(total) : new Float64Array(total);
    let at = 0;
    for (const p of parts) {
      whole.set(p[key], at);
      at += p[key].length;
    }
    const sorted = key === 'day' ? new Int32Array(total) : new Float64Array(total);
    order.forEach((from, to) => (sorted[to] = whole[from]));
    out[key] = sorted;
  }
  return out as unknown as PredictionColumns;
}
