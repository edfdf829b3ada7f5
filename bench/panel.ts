/**
 * `npx tsx bench/panel.ts`: panels (docs/input.md#panels), the engine against a polars + numpy peer and the
 * reference PySpark job, each as a whole process on the same generated panel CSV (fixtures/panelBench.ts),
 * measured as a process tree (bench/procTree.ts: wall, CPU of every process and thread, peak summed RSS).
 *
 *   engine:   node <bundle>/cli.js predict --input F --output DIR
 *             node <bundle>/cli.js experiment --input F --sets SETS --refit-every 1 --output DIR --config C
 *             (the bundle: HEAD's tree from `git archive`, built with build.mjs into .cache/panel-bench-src,
 *             so that others' uncommitted edits in the checkout are not what is timed; or --cli PATH)
 *   peer:     python bench/peers/panel_peer.py predict|experiment ... (the project's env)
 *   PySpark:  spark-submit --master local[2] … pyspark/price_regression.py --input F --output DIR
 *             (predict only: the reference job has no experiment; src/parity/spark.ts's flags; the job
 *             file of the same committed tree as the engine, unless --cli)
 *
 * Per size and command the tools alternate run by run (engine, peer, PySpark, engine, …), the 1-minute
 * load average recorded before every run. The experiment is the five sets of EXPERIMENT_SETS, refitted
 * every row (K = 1), with the engine's screening (SPA/StepM/MCS bootstraps, which the peer does not do)
 * turned off by a config file unless --screen. After the runs the last outputs are compared: predict's
 * test rows per asset (the same dates, values within 1e-6 relative: bench/peerCheck.ts), the experiment's
 * per-asset metrics and panel Diebold–Mariano tests.
 *
 *   npx tsx bench/panel.ts [--sizes 1000x2000,10000x1000] [--runs 3] [--spark-runs 10000x1000=1]
 *                          [--commands predict,experiment] [--tools engine,peer,pyspark] [--max-load L]
 *                          [--cli PATH] [--screen] [--results] [--out FILE]
 *   npx tsx bench/panel.ts --check [--sizes 20x300]
 *
 * --check: no timing; a small panel, the engine's panel runs, the same engine on each asset's own file
 * (a panel run must equal N one-asset runs) and the peer, all compared. --results writes the figures
 * into bench/RESULTS.md between the `panel-bench` markers of its "Panels" section. Every run goes to a
 * JSON record under bench/runs/ (written after each size, so a long run that fails late keeps what it
 * measured); medians go to stdout as Markdown.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative as relativePath } from 'node:path';
import { parseArgs } from 'node:util';
import { generatePanelCsv, type PanelFacts, type PanelOptions } from '../fixtures/panelBench.js';
import { decodePredictionsParquet } from '../src/engine/output/predictionsParquet.js';
import type { PredictionColumns } from '../src/engine/types.js';
import { ensurePythonEnv, type PythonEnv } from '../src/parity/pyenv.js';
import { sparkSubmitArgs } from '../src/parity/spark.js';
import { BENCH_DIR, DATA_DIR, ensurePanelData, PROJECT_ROOT } from './generate.js';
import { comparePeerOutput, PEER_VALUE_COLUMNS } from './peerCheck.js';
import { measureCommand, waitForLoad, type Measurement } from './procTree.js';
import { median, medianFigures, relativeToEngine, type RunFigures } from './stats.js';

const PANEL_SEED = 7;
const SRC_DIR = join(PROJECT_ROOT, '.cache', 'panel-bench-src');
const PEER = join(BENCH_DIR, 'peers', 'panel_peer.py');
const RESULTS_FILE = join(BENCH_DIR, 'RESULTS.md');
const BEGIN_MARK = '<!-- panel-bench:begin (bench/panel.ts --results writes between these markers) -->';
const END_MARK = '<!-- panel-bench:end -->';
/** Relative tolerance of every comparison (bench/peerCheck.ts's). */
const TOLERANCE = 1e-6;

/** The experiment's sets: the original four features, price alone, and the four plus one ta indicator each. */
export const EXPERIMENT_SETS: Record<string, string> = {
  base: 'price,volume,marketCap,rsi',
  price_only: 'price',
  'base+sma': 'price,volume,marketCap,rsi,sma_indicator',
  'base+ema': 'price,volume,marketCap,rsi,ema_indicator',
  'base+roc': 'price,volume,marketCap,rsi,roc',
};
const REFIT_EVERY = 1;

type Command = 'predict' | 'experiment';
type Tool = 'engine' | 'peer' | 'pyspark';
const TOOLS: readonly Tool[] = ['engine', 'peer', 'pyspark'];
const METRICS = ['rmse', 'mae', 'mape', 'r2', 'directionalAccuracy', 'skill'] as const;

const log = (line: string) => process.stderr.write(`${line}\n`);

// ---- options ---------------------------------------------------------------------------------------------

interface Options {
  sizes: { name: string; assets: number; days: number }[];
  runs: number;
  sparkRuns: Map<string, number>;
  commands: Command[];
  tools: Tool[];
  maxLoad: number | null;
  cli: string | null;
  screen: boolean;
  results: boolean;
  check: boolean;
  out: string | null;
  include: string[];
  generate: boolean;
  report: boolean;
}

const USAGE = `usage: npx tsx bench/panel.ts [--sizes 1000x2000,10000x1000] [--runs 3] [--spark-runs SIZE=N,…]
                             [--commands predict,experiment] [--tools engine,peer,pyspark] [--max-load L]
                             [--cli PATH] [--screen] [--results] [--out FILE] [--include RECORD,…]
       npx tsx bench/panel.ts --generate [--sizes …]
       npx tsx bench/panel.ts --check [--sizes 20x300]
  --sizes       panels as ASSETSxDAYS (seed ${PANEL_SEED}; fixtures/panelBench.ts, cached in bench/data/)
  --runs        runs of each tool per size and command, alternating (default 3)
  --spark-runs  fewer PySpark runs at a size, e.g. 10000x1000=1 (default: --runs)
  --commands    predict and/or experiment (5 sets, refit every ${REFIT_EVERY}; no PySpark: the job has none)
  --tools       engine, peer (bench/peers/panel_peer.py), pyspark
  --max-load    before each run, wait (up to 5 min) for the 1-minute load average to fall below L
  --cli PATH    the engine bundle to time (default: HEAD built from git archive into .cache/panel-bench-src)
  --screen      leave the engine experiment's screening (SPA/StepM/MCS) on (default: off, the peer has none)
  --results     write the tables into bench/RESULTS.md's Panels section (between its panel-bench markers)
  --out FILE    the JSON record (default bench/runs/panel-<time>.json)
  --include F,… earlier records of this script: their figures come first in the tables (and --results)
  --generate    only make the panel files of --sizes (bench/data/), then stop
  --report      no runs: the tables of the --include records (with --results, into bench/RESULTS.md)
  --check       no timing: a small panel through the engine, the engine per asset file, and the peer, compared`;

class UsageError extends Error {}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string' },
      runs: { type: 'string', default: '3' },
      'spark-runs': { type: 'string', default: '' },
      commands: { type: 'string', default: 'predict,experiment' },
      tools: { type: 'string', default: TOOLS.join(',') },
      'max-load': { type: 'string' },
      cli: { type: 'string' },
      screen: { type: 'boolean', default: false },
      results: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      out: { type: 'string' },
      include: { type: 'string', default: '' },
      generate: { type: 'boolean', default: false },
      report: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return null;
  }
  const sizes = (values.sizes ?? (values.check ? '20x300' : '1000x2000,10000x1000')).split(',').map((text) => {
    const match = /^(\d+)x(\d+)$/.exec(text.trim());
    if (match === null) throw new UsageError(`--sizes: ASSETSxDAYS, got ${JSON.stringify(text)}`);
    return { name: `${match[1]}x${match[2]}`, assets: Number(match[1]), days: Number(match[2]) };
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs: a positive integer, got ${values.runs}`);
  const sparkRuns = new Map<string, number>();
  for (const item of values['spark-runs']!.split(',').filter((s) => s.trim() !== '')) {
    const [size, count] = item.split('=');
    if (!Number.isInteger(Number(count)) || Number(count) < 0) throw new UsageError(`--spark-runs: SIZE=N, got ${item}`);
    sparkRuns.set(size.trim(), Number(count));
  }
  const commands = values.commands!.split(',').map((c) => c.trim());
  for (const c of commands) if (c !== 'predict' && c !== 'experiment') throw new UsageError(`--commands: predict or experiment, got ${c}`);
  const tools = values.tools!.split(',').map((t) => t.trim());
  for (const t of tools) if (!TOOLS.includes(t as Tool)) throw new UsageError(`--tools: ${TOOLS.join(', ')}, got ${t}`);
  const maxLoad = values['max-load'] === undefined ? null : Number(values['max-load']);
  if (maxLoad !== null && !(maxLoad > 0)) throw new UsageError(`--max-load: a positive number, got ${values['max-load']}`);
  return {
    sizes,
    runs,
    sparkRuns,
    commands: commands as Command[],
    tools: tools as Tool[],
    maxLoad,
    cli: values.cli ?? null,
    screen: values.screen!,
    results: values.results!,
    check: values.check!,
    out: values.out ?? null,
    include: values.include!.split(',').filter((f) => f.trim() !== ''),
    generate: values.generate!,
    report: values.report!,
  };
}

// ---- inputs: the engine bundle and the panel files -------------------------------------------------------

interface EngineBuild {
  cli: string;
  commit: string | null;
  subject: string | null;
}

/** HEAD's committed tree, built with build.mjs in a folder of its own (or the given bundle as it is). */
function buildEngine(cli: string | null): EngineBuild {
  if (cli !== null) return { cli, commit: null, subject: null };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  const commit = git('rev-parse', 'HEAD');
  const subject = git('log', '-1', '--format=%s', commit);
  log(`building ${commit.slice(0, 7)} (${subject.slice(0, 80)}) into ${SRC_DIR}`);
  rmSync(SRC_DIR, { recursive: true, force: true });
  mkdirSync(SRC_DIR, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C "${SRC_DIR}"`], { cwd: PROJECT_ROOT });
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(SRC_DIR, 'node_modules'));
  const build = spawnSync(process.execPath, ['build.mjs'], { cwd: SRC_DIR, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`node build.mjs failed in ${SRC_DIR}:\n${build.stdout}\n${build.stderr}`);
  return { cli: join(SRC_DIR, 'dist', 'cli.js'), commit, subject };
}

/** The panel CSV for a size (bench/generate.ts ensurePanelData). */
function ensurePanel(assets: number, days: number): { file: string; facts: PanelFacts } {
  return ensurePanelData(assets, days, PANEL_SEED, log);
}

// ---- the tools' commands ---------------------------------------------------------------------------------

interface Context {
  engine: EngineBuild;
  pyenv: PythonEnv | null;
  setsFile: string;
  configFile: string | null;
}

function toolCommand(tool: Tool, command: Command, input: string, output: string, ctx: Context): [string, string[], NodeJS.ProcessEnv | undefined] {
  if (tool === 'engine') {
    if (command === 'predict') return [process.execPath, [ctx.engine.cli, 'predict', '--input', input, '--output', output], undefined];
    const args = [ctx.engine.cli, 'experiment', '--input', input, '--sets', ctx.setsFile, '--refit-every', String(REFIT_EVERY), '--output', output];
    if (ctx.configFile !== null) args.push('--config', ctx.configFile);
    return [process.execPath, args, undefined];
  }
  if (tool === 'peer') {
    const args = [PEER, command, '--input', input, '--output', output];
    if (command === 'experiment') {
      args.push('--refit-every', String(REFIT_EVERY));
      for (const [name, spec] of Object.entries(EXPERIMENT_SETS)) args.push('--set', `${name}=${spec}`);
    }
    return [ctx.pyenv!.python, args, ctx.pyenv!.env];
  }
  if (command !== 'predict') throw new Error('the PySpark job has no experiment');
  // The reference job of the same commit as the engine (not the checkout's, which others may be editing).
  const script = ctx.engine.commit === null ? undefined : join(SRC_DIR, 'pyspark', 'price_regression.py');
  return [ctx.pyenv!.sparkSubmit, sparkSubmitArgs({ input, output, script }), ctx.pyenv!.env];
}

// ---- reading outputs back and comparing ------------------------------------------------------------------

/** A panel predict output (`OUTPUT/asset=<name>/*.parquet`) as one PredictionColumns per asset, in date order. */
export function readPanelPredictions(dir: string): Map<string, PredictionColumns> {
  const out = new Map<string, PredictionColumns>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith('asset=')) continue;
    const asset = decodeURIComponent(entry.name.slice('asset='.length));
    const files = readdirSync(join(dir, entry.name)).filter((n) => n.endsWith('.parquet') && !n.startsWith('.') && !n.startsWith('_')).sort();
    const parts = files.map((f) => decodePredictionsParquet(readFileSync(join(dir, entry.name, f))));
    out.set(asset, sortByDay(concatenate(parts)));
  }
  return out;
}

function concatenate(parts: PredictionColumns[]): PredictionColumns {
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((sum, p) => sum + p.day.length, 0);
  const out: Record<string, Int32Array | Float64Array> = {};
  for (const key of Object.keys(parts[0]) as (keyof PredictionColumns)[]) {
    const column = key === 'day' ? new Int32Array(total) : new Float64Array(total);
    let offset = 0;
    for (const p of parts) {
      column.set(p[key] as ArrayLike<number>, offset);
      offset += p[key].length;
    }
    out[key] = column;
  }
  return out as unknown as PredictionColumns;
}

function sortByDay(p: PredictionColumns): PredictionColumns {
  const order = Array.from(p.day.keys()).sort((a, b) => p.day[a] - p.day[b]);
  if (order.every((k, i) => k === i)) return p;
  const out: Record<string, Int32Array | Float64Array> = {};
  for (const key of Object.keys(p) as (keyof PredictionColumns)[]) {
    const from = p[key] as Int32Array | Float64Array;
    const to = key === 'day' ? new Int32Array(from.length) : new Float64Array(from.length);
    for (let i = 0; i < order.length; i++) to[i] = from[order[i]];
    out[key] = to;
  }
  return out as unknown as PredictionColumns;
}

export interface PredictAgreement {
  ok: boolean;
  assets: { engine: number; other: number; missing: string[]; extra: string[] };
  rows: { engine: number; other: number };
  /** Assets whose test rows (dates or count) differ. */
  differentRows: string[];
  maxRelative: Record<string, number>;
  /** The asset where each column's largest difference is. */
  worstAsset: Record<string, string>;
}

/** Predict outputs per asset: the same assets, the same test rows, every value within TOLERANCE. */
export function comparePredict(engine: Map<string, PredictionColumns>, other: Map<string, PredictionColumns>): PredictAgreement {
  const maxRelative: Record<string, number> = Object.fromEntries(PEER_VALUE_COLUMNS.map((c) => [c, 0]));
  const worstAsset: Record<string, string> = {};
  const differentRows: string[] = [];
  let engineRows = 0;
  let otherRows = 0;
  for (const [asset, e] of engine) {
    engineRows += e.day.length;
    const o = other.get(asset);
    if (o === undefined) continue;
    const check = comparePeerOutput(e, o, TOLERANCE);
    if (check.differentDates > 0 || check.engineRows !== check.peerRows) differentRows.push(asset);
    for (const c of PEER_VALUE_COLUMNS) {
      if (check.maxRelative[c] > maxRelative[c]) {
        maxRelative[c] = check.maxRelative[c];
        worstAsset[c] = asset;
      }
    }
  }
  for (const o of other.values()) otherRows += o.day.length;
  const missing = [...engine.keys()].filter((a) => !other.has(a));
  const extra = [...other.keys()].filter((a) => !engine.has(a));
  const ok = missing.length === 0 && extra.length === 0 && differentRows.length === 0 && Object.values(maxRelative).every((d) => d <= TOLERANCE);
  return { ok, assets: { engine: engine.size, other: other.size, missing, extra }, rows: { engine: engineRows, other: otherRows }, differentRows, maxRelative, worstAsset };
}

/** The per-asset part of a panel results.json, as both the engine and the peer write it. */
interface AssetResult {
  asset: string;
  rows: number;
  trainRows: number;
  testRows: number;
  firstTestDate: string;
  lastTestDate: string;
  sets: { name: string; metrics: Record<string, number | null | { statistic: number | null; pValue: number | null }> }[];
}
interface PanelSetResult {
  name: string;
  assets: number;
  assetsBeatingPersistence: number;
  medianSkill: number;
  dm: { statistic: number; pValue: number } | null;
}
interface PanelResults {
  assets: AssetResult[];
  panel?: { sets: PanelSetResult[] };
}

export interface ExperimentAgreement {
  ok: boolean;
  assets: { engine: number; other: number; missing: string[] };
  /** Assets whose rows, split or test dates differ. */
  differentRows: string[];
  /** Largest difference per metric over every asset and set (dm.statistic, dm.pValue too): relative, or scaled (see `scaled`). */
  maxRelative: Record<string, number>;
  worst: Record<string, string>;
  /** Panel test per set: the engine's and the other's statistic and p-value, and counts. */
  panel: { name: string; engine: PanelSetResult | null; other: PanelSetResult | null; relativeStatistic: number }[];
}

const relative = (a: number | null | undefined, b: number | null | undefined): number => {
  if (a === b) return 0;
  if (a == null || b == null || Number.isNaN(a) || Number.isNaN(b)) return a == null && b == null ? 0 : Infinity;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
};

/** |a − b| / max(|a|, |b|, 1): relative for large values, absolute near 0. For skill, r2, DM statistics and
 * p-values, which are differences or ratios of nearly equal sums (skill = 1 − mse/mse_persistence is about 0
 * when a set does as well as persistence), so a relative difference there measures how close to 0 they are. */
const scaled = (a: number | null | undefined, b: number | null | undefined): number => {
  if (a === b) return 0;
  if (a == null || b == null || Number.isNaN(a) || Number.isNaN(b)) return a == null && b == null ? 0 : Infinity;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1);
};
const SCALED_METRICS = new Set(['r2', 'skill']);

/** Experiment results per asset and set, and the panel tests: rmse, mae, mape relative; the others scaled (above). */
export function compareExperiment(engine: PanelResults, other: PanelResults): ExperimentAgreement {
  const byAsset = new Map(other.assets.map((a) => [a.asset, a]));
  const keys = [...METRICS, 'dm.statistic', 'dm.pValue'];
  const maxRelative: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
  const worst: Record<string, string> = {};
  const differentRows: string[] = [];
  const note = (key: string, d: number, where: string) => {
    if (d > maxRelative[key]) {
      maxRelative[key] = d;
      worst[key] = where;
    }
  };
  for (const e of engine.assets) {
    const o = byAsset.get(e.asset);
    if (o === undefined) continue;
    if (e.rows !== o.rows || e.trainRows !== o.trainRows || e.testRows !== o.testRows || e.firstTestDate !== o.firstTestDate || e.lastTestDate !== o.lastTestDate) {
      differentRows.push(e.asset);
    }
    const otherSets = new Map(o.sets.map((s) => [s.name, s.metrics]));
    for (const s of e.sets) {
      const m = otherSets.get(s.name);
      if (m === undefined) {
        note('rmse', Infinity, `${e.asset}/${s.name} (missing)`);
        continue;
      }
      const where = `${e.asset}/${s.name}`;
      for (const k of METRICS) note(k, (SCALED_METRICS.has(k) ? scaled : relative)(s.metrics[k] as number, m[k] as number), where);
      const ed = s.metrics.dm as { statistic: number; pValue: number } | null;
      const od = m.dm as { statistic: number; pValue: number } | null;
      if ((ed === null) !== (od === null)) note('dm.statistic', Infinity, where);
      else if (ed !== null && od !== null) {
        note('dm.statistic', scaled(ed.statistic, od.statistic), where);
        note('dm.pValue', scaled(ed.pValue, od.pValue), where);
      }
    }
  }
  const missing = engine.assets.map((a) => a.asset).filter((a) => !byAsset.has(a));
  const otherPanel = new Map((other.panel?.sets ?? []).map((s) => [s.name, s]));
  const panel = (engine.panel?.sets ?? []).map((s) => {
    const o = otherPanel.get(s.name) ?? null;
    return { name: s.name, engine: s, other: o, relativeStatistic: o === null || s.dm === null || o.dm === null ? Infinity : scaled(s.dm.statistic, o.dm.statistic) };
  });
  const ok =
    missing.length === 0 &&
    engine.assets.length === other.assets.length &&
    differentRows.length === 0 &&
    Object.entries(maxRelative).every(([k, d]) => d <= (k === 'directionalAccuracy' ? 0 : TOLERANCE)) &&
    panel.every((p) => p.relativeStatistic <= TOLERANCE);
  return { ok, assets: { engine: engine.assets.length, other: other.assets.length, missing }, differentRows, maxRelative, worst, panel };
}

/** The engine's experiment output: results.json, read as the panel shape (a one-asset file: one entry). */
function readExperiment(dir: string, asset = ''): PanelResults {
  const raw = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as PanelResults & Partial<AssetResult>;
  if (Array.isArray(raw.assets)) return raw;
  const one = raw as unknown as AssetResult;
  return { assets: [{ asset, rows: one.rows, trainRows: one.trainRows, testRows: one.testRows, firstTestDate: one.firstTestDate, lastTestDate: one.lastTestDate, sets: one.sets }] };
}

// ---- measuring -------------------------------------------------------------------------------------------

interface RunRecord extends Omit<Measurement, 'stdout' | 'stderr'> {
  tool: Tool;
  run: number;
  loadBefore: number;
  /** The tool's last stdout line (the engine's and the peer's summaries end there). */
  lastLine: string;
}

interface CommandRecord {
  size: string;
  command: Command;
  file: string;
  facts: PanelFacts;
  runs: RunRecord[];
  medians: Partial<Record<Tool, RunFigures & { runs: number; loadMin: number; loadMax: number }>>;
  agreement: Partial<Record<'peer' | 'pyspark', PredictAgreement | ExperimentAgreement | { error: string }>>;
}

async function benchCommand(size: Options['sizes'][number], command: Command, options: Options, ctx: Context, work: string): Promise<CommandRecord> {
  const { file, facts } = ensurePanel(size.assets, size.days);
  const tools = options.tools.filter((t) => !(t === 'pyspark' && command !== 'predict'));
  const runsOf = (tool: Tool) => (tool === 'pyspark' ? (options.sparkRuns.get(size.name) ?? options.runs) : options.runs);
  const runs: RunRecord[] = [];
  const lastOut = new Map<Tool, string>();
  const rounds = Math.max(...tools.map(runsOf));
  for (let run = 1; run <= rounds; run++) {
    for (const tool of tools) {
      if (run > runsOf(tool)) continue;
      await waitForLoad(options.maxLoad);
      const out = join(work, `${size.name}-${command}-${tool}-${run}`);
      const [exe, args, env] = toolCommand(tool, command, file, out, ctx);
      const loadBefore = loadavg()[0];
      const m = await measureCommand(exe, args, { env });
      const { stdout, stderr, ...figures } = m;
      const lastLine = m.exitCode === 0 ? (stdout.trim().split('\n').pop() ?? '') : stderr.trim().split('\n').slice(-3).join(' | ');
      runs.push({ tool, run, loadBefore, lastLine, ...figures });
      if (m.exitCode !== 0) {
        // Kept in the record and shown in the table; the other tools go on.
        log(`  ${size.name} ${command} ${tool} run ${run} FAILED (exit ${m.exitCode}): ${stderr.split('\n').slice(-20).join('\n')}`);
        await rm(out, { recursive: true, force: true });
        continue;
      }
      log(`  ${size.name} ${command} ${tool.padEnd(7)} run ${run}: wall ${(m.wallMs / 1000).toFixed(2)} s, cpu ${(m.cpuMs / 1000).toFixed(2)} s, ` +
        `peak ${(m.peakRssBytes / 2 ** 20).toFixed(0)} MiB (load ${loadBefore.toFixed(2)})`);
      const previous = lastOut.get(tool);
      if (previous !== undefined) await rm(previous, { recursive: true, force: true });
      lastOut.set(tool, out);
    }
  }
  const medians: CommandRecord['medians'] = {};
  for (const tool of tools) {
    const mine = runs.filter((r) => r.tool === tool && r.exitCode === 0);
    if (mine.length === 0) continue;
    const loads = mine.map((r) => r.loadBefore);
    medians[tool] = { ...medianFigures(mine), runs: mine.length, loadMin: Math.min(...loads), loadMax: Math.max(...loads) };
  }
  const agreement: CommandRecord['agreement'] = {};
  const engineOut = lastOut.get('engine');
  if (engineOut !== undefined) {
    for (const other of ['peer', 'pyspark'] as const) {
      const otherOut = lastOut.get(other);
      if (otherOut === undefined) continue;
      try {
        agreement[other] = command === 'predict'
          ? comparePredict(readPanelPredictions(engineOut), readPanelPredictions(otherOut))
          : compareExperiment(readExperiment(engineOut), readExperiment(otherOut));
        log(`  ${size.name} ${command} ${other} vs engine: ${describeAgreement(agreement[other]!)}`);
      } catch (error) {
        agreement[other] = { error: (error as Error).message };
        log(`  ${size.name} ${command} ${other} vs engine: comparison failed: ${(error as Error).message}`);
      }
    }
  }
  for (const dir of lastOut.values()) await rm(dir, { recursive: true, force: true });
  return { size: size.name, command, file, facts, runs, medians, agreement };
}

function describeAgreement(a: PredictAgreement | ExperimentAgreement | { error: string }): string {
  if ('error' in a) return `not compared (${a.error})`;
  const worstKey = Object.entries(a.maxRelative).sort((x, y) => y[1] - x[1])[0];
  if ('rows' in a) {
    return `${a.ok ? 'the same' : 'DIFFERENT'}: ${a.assets.other}/${a.assets.engine} assets, ${a.rows.other.toLocaleString('en')}/${a.rows.engine.toLocaleString('en')} test rows, ` +
      `${a.differentRows.length} assets with other test rows, largest relative difference ${worstKey[1].toExponential(1)} (${worstKey[0]}, ${a.worstAsset[worstKey[0]] ?? '-'})`;
  }
  const panelWorst = Math.max(0, ...a.panel.map((p) => p.relativeStatistic));
  return `${a.ok ? 'the same' : 'DIFFERENT'}: ${a.assets.other}/${a.assets.engine} assets, ${a.differentRows.length} with other rows, ` +
    `largest relative difference ${worstKey[1].toExponential(1)} (${worstKey[0]}, ${a.worst[worstKey[0]] ?? '-'}); ` +
    `directionalAccuracy ${a.maxRelative.directionalAccuracy.toExponential(1)}; panel DM statistic ${panelWorst.toExponential(1)}`;
}

// ---- --check: a small panel, the engine as a panel and per asset, and the peer ---------------------------

/** Each asset's rows as a file of its own (header kept), for the engine's one-asset runs. */
function splitPanelFile(file: string, into: string): Map<string, string> {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const header = lines[0];
  const assetColumn = header.split(',').indexOf('asset');
  const rows = new Map<string, string[]>();
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const asset = lines[i].split(',')[assetColumn];
    const list = rows.get(asset) ?? [];
    list.push(lines[i]);
    rows.set(asset, list);
  }
  mkdirSync(into, { recursive: true });
  const files = new Map<string, string>();
  for (const [asset, list] of rows) {
    const path = join(into, `${asset}.csv`);
    writeFileSync(path, `${header}\n${list.join('\n')}\n`);
    files.set(asset, path);
  }
  return files;
}

async function check(options: Options, ctx: Context, work: string): Promise<number> {
  let failures = 0;
  const report = (what: string, a: PredictAgreement | ExperimentAgreement) => {
    log(`  ${what}: ${describeAgreement(a)}`);
    if (!a.ok) failures++;
  };
  const run = (tool: Tool, command: Command, input: string, output: string) => {
    const [exe, args, env] = toolCommand(tool, command, input, output, ctx);
    return spawnSync(exe, args, { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  };
  for (const size of options.sizes) {
    const { file, facts } = ensurePanel(size.assets, size.days);
    log(`check ${size.name}: ${facts.rows} rows, ${facts.assets} assets`);
    const perAsset = splitPanelFile(file, join(work, `${size.name}-assets`));
    for (const command of options.commands) {
      // The engine on each asset's own file: what a panel run must equal (docs/output.md#panels).
      const reference = join(work, `${size.name}-${command}-per-asset`);
      const referencePredictions = new Map<string, PredictionColumns>();
      const referenceResults: PanelResults = { assets: [] };
      for (const [asset, assetFile] of [...perAsset].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        const out = join(reference, `asset=${asset}`);
        const r = run('engine', command, assetFile, out);
        if (r.status !== 0) throw new Error(`engine ${command} on ${assetFile} exited ${r.status}: ${r.stderr}`);
        if (command === 'predict') {
          const one = readPanelPredictionsFlat(out);
          referencePredictions.set(asset, one);
        } else referenceResults.assets.push(...readExperiment(out, asset).assets);
      }
      const peerOut = join(work, `${size.name}-${command}-peer`);
      const p = run('peer', command, file, peerOut);
      if (p.status !== 0) throw new Error(`peer ${command} exited ${p.status}: ${p.stderr}`);
      const engineOut = join(work, `${size.name}-${command}-engine`);
      const e = run('engine', command, file, engineOut);
      const enginePanel = e.status === 0;
      if (!enginePanel) log(`  engine ${command} on the panel: exit ${e.status} (${e.stderr.trim().split('\n').pop()}); compared per asset only`);
      if (command === 'predict' && options.tools.includes('pyspark')) {
        const sparkOut = join(work, `${size.name}-${command}-pyspark`);
        const r = run('pyspark', command, file, sparkOut);
        if (r.status !== 0) throw new Error(`PySpark ${command} exited ${r.status}: ${r.stderr.split('\n').slice(-10).join('\n')}`);
        report('predict: PySpark vs engine per asset file', comparePredict(referencePredictions, readPanelPredictions(sparkOut)));
      }
      if (command === 'predict') {
        const peer = readPanelPredictions(peerOut);
        report(`predict: peer vs engine per asset file`, comparePredict(referencePredictions, peer));
        if (enginePanel) {
          const panel = readPanelPredictions(engineOut);
          report(`predict: engine panel vs engine per asset file`, comparePredict(referencePredictions, panel));
          report(`predict: peer vs engine panel`, comparePredict(panel, peer));
        }
      } else {
        const peer = readExperiment(peerOut);
        report(`experiment: peer vs engine per asset file`, compareExperiment(referenceResults, peer));
        if (enginePanel) {
          const panel = readExperiment(engineOut);
          report(`experiment: engine panel vs engine per asset file`, compareExperiment(referenceResults, panel));
          report(`experiment: peer vs engine panel`, compareExperiment(panel, peer));
        }
      }
    }
  }
  log(failures === 0 ? 'check: all agree' : `check: ${failures} comparison(s) disagree`);
  return failures === 0 ? 0 : 1;
}

/** A one-asset predict output (part files directly in the folder). */
function readPanelPredictionsFlat(dir: string): PredictionColumns {
  const files = readdirSync(dir).filter((n) => /^part-.*\.parquet$/.test(n)).sort();
  return sortByDay(concatenate(files.map((f) => decodePredictionsParquet(readFileSync(join(dir, f))))));
}

// ---- reporting -------------------------------------------------------------------------------------------

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** One invocation of this script: what its record file holds besides the records. */
interface Session {
  date: string;
  machine: Record<string, unknown>;
  engine: EngineBuild;
  argv: string[];
  record: string;
  screen: boolean;
  loadAtStart: number[];
  records: CommandRecord[];
}

function markdown(sessions: Session[]): string {
  const lines: string[] = [];
  const m = sessions[sessions.length - 1].machine;
  const records = sessions.flatMap((s) => s.records);
  lines.push(`Machine: ${m.nproc} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.python}, ${m.java}. Commands:`, '');
  for (const h of sessions) {
    lines.push(
      '```sh',
      `npx tsx bench/panel.ts ${h.argv.join(' ')}`.trim(),
      '```',
      `started ${h.date}, 1/5/15-minute load then ${h.loadAtStart.map((l) => l.toFixed(2)).join(', ')}; engine ` +
        `${h.engine.commit === null ? h.engine.cli : `at ${h.engine.commit.slice(0, 7)} ("${(h.engine.subject ?? '').slice(0, 100)}${(h.engine.subject ?? '').length > 100 ? '…' : ''}")`}; record \`${h.record}\`.`,
      '',
    );
  }
  lines.push(
    `Medians over the runs; load = the 1-minute load average before each run (min–max), on ${m.nproc} cores.`,
    '',
    ...[...new Map(records.map((r) => [r.size, r])).values()].map((r) =>
      `- ${r.size}: \`${relativePath(PROJECT_ROOT, r.file)}\` (fixtures/panelBench.ts, seed ${PANEL_SEED}): ${r.facts.rows.toLocaleString('en')} rows, ${r.facts.assets.toLocaleString('en')} assets, ` +
        `${r.facts.firstDate} … ${r.facts.lastDate}, ${r.facts.shortAssets.length} of them starting late (${Math.min(...r.facts.shortAssets.map((s) => s.rows))}–${Math.max(...r.facts.shortAssets.map((s) => s.rows))} rows).`),
    '',
    '| panel | rows | command | tool | runs | wall s | CPU s | peak MiB | load | wall ÷ engine | CPU ÷ engine | peak ÷ engine |',
    '|---|---:|---|---|---:|---:|---:|---:|---|---:|---:|---:|',
  );
  for (const r of records) {
    const engine = r.medians.engine;
    for (const tool of TOOLS) {
      const f = r.medians[tool];
      if (f === undefined) continue;
      const rel = engine !== undefined && tool !== 'engine' ? relativeToEngine(engine, f) : null;
      lines.push(
        `| ${r.size} | ${r.facts.rows.toLocaleString('en')} | ${r.command} | ${tool === 'pyspark' ? 'PySpark (local[2])' : tool === 'peer' ? 'polars+numpy peer' : 'engine'} | ${f.runs} | ` +
          `${seconds(f.wallMs)} | ${seconds(f.cpuMs)} | ${mib(f.peakRssBytes)} | ${f.loadMin.toFixed(2)}–${f.loadMax.toFixed(2)} | ` +
          `${rel ? `${rel.wallMs.toFixed(2)}×` : '–'} | ${rel ? `${rel.cpuMs.toFixed(2)}×` : '–'} | ${rel ? `${rel.peakRssBytes.toFixed(2)}×` : '–'} |`,
      );
    }
  }
  lines.push('', 'Ratios are the other tool\'s median over the engine\'s (> 1: the engine is faster or smaller).', '');
  for (const r of records) {
    for (const failed of r.runs.filter((run) => run.exitCode !== 0)) {
      lines.push(`- ${r.size} ${r.command}, ${failed.tool} run ${failed.run} failed after ${seconds(failed.wallMs)} s (exit ${failed.exitCode}, load ${failed.loadBefore.toFixed(2)}): ${failed.lastLine}`);
    }
  }
  for (const r of records) {
    for (const [other, a] of Object.entries(r.agreement)) {
      lines.push(`- ${r.size} ${r.command}, ${other === 'peer' ? 'peer' : 'PySpark'} against the engine: ${describeAgreement(a)}.`);
    }
  }
  if (sessions.some((h) => !h.screen)) lines.push('- The engine\'s experiment ran with `experiment.screen: false` (no SPA/StepM/MCS bootstrap), as the peer has none.');
  return `${lines.join('\n')}\n`;
}

/** Replaces the text between the panel-bench markers of bench/RESULTS.md (appending a Panels section with them if absent). */
function writeResults(block: string): void {
  const text = readFileSync(RESULTS_FILE, 'utf8');
  const begin = text.indexOf(BEGIN_MARK);
  const end = text.indexOf(END_MARK);
  const body = `${BEGIN_MARK}\n${block}${END_MARK}`;
  const next = begin !== -1 && end > begin
    ? `${text.slice(0, begin)}${body}${text.slice(end + END_MARK.length)}`
    : `${text.trimEnd()}\n\n## Panels (\`bench/panel.ts\`)\n\n${body}\n`;
  writeFileSync(RESULTS_FILE, next);
  log(`wrote the figures into ${RESULTS_FILE}`);
}

function machineFacts(pyenv: PythonEnv | null): Record<string, unknown> {
  const version = (exe: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const r = spawnSync(exe, args, { encoding: 'utf8', env: env ?? process.env });
    return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? null;
  };
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
    python: pyenv === null ? null : version(pyenv.python, ['-c', 'import sys, polars, numpy, pyspark; print(f"Python {sys.version.split()[0]}, polars {polars.__version__}, numpy {numpy.__version__}, PySpark {pyspark.__version__}")'], pyenv.env),
    java: pyenv === null ? null : version('java', ['-version'], pyenv.env),
  };
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === null) return 0;
  if (options.generate) {
    for (const size of options.sizes) log(`${ensurePanel(size.assets, size.days).file}`);
    return 0;
  }
  const earlier = options.include.map((file) => {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Omit<Session, 'record'>;
    return { ...r, record: relativePath(PROJECT_ROOT, file) };
  });
  if (options.report) {
    const block = markdown(earlier);
    process.stdout.write(block);
    if (options.results) writeResults(block);
    return 0;
  }
  const engine = buildEngine(options.cli);
  const needsPython = options.check || options.tools.some((t) => t !== 'engine');
  const pyenv = needsPython ? await ensurePythonEnv() : null;
  const work = await mkdtemp(join(tmpdir(), 'pricecast-panel-bench-'));
  const setsFile = join(work, 'sets.json');
  writeFileSync(setsFile, JSON.stringify(EXPERIMENT_SETS));
  let configFile: string | null = null;
  if (!options.screen) {
    configFile = join(work, 'no-screen.json');
    writeFileSync(configFile, JSON.stringify({ experiment: { screen: false } }));
  }
  const ctx: Context = { engine, pyenv, setsFile, configFile };
  try {
    if (options.check) return await check(options, ctx, work);
    const date = new Date().toISOString();
    const loadAtStart = loadavg();
    const machine = machineFacts(pyenv);
    const record = options.out ?? join(BENCH_DIR, 'runs', `panel-${date.replace(/[:.]/g, '-')}.json`);
    mkdirSync(join(record, '..'), { recursive: true });
    const records: CommandRecord[] = [];
    const save = (finished: boolean) =>
      writeFileSync(record, `${JSON.stringify({ date, finishedAt: finished ? new Date().toISOString() : null, argv, loadAtStart, machine, engine, sets: EXPERIMENT_SETS, refitEvery: REFIT_EVERY, screen: options.screen, records }, null, 1)}\n`);
    for (const size of options.sizes) {
      for (const command of options.commands) {
        log(`${size.name} ${command}`);
        records.push(await benchCommand(size, command, options, ctx, work));
        save(false);
      }
    }
    save(true);
    const block = markdown([...earlier, { date, machine, engine, argv, record: relativePath(PROJECT_ROOT, record), screen: options.screen, loadAtStart, records }]);
    process.stdout.write(block);
    if (options.results) writeResults(block);
    log(`record: ${record}`);
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      log(`${(error as Error).message}\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
