/**
 * `tsx bench/forecast.ts`: `pricecast forecast --horizon 7 --level 0.8,0.95` (refit every day) against a
 * numpy peer doing the same refits (bench/peers/forecast_numpy.py: pandas, ta, numpy lstsq of every
 * window from scratch, the conformal bounds and coverage), alternating engine and peer, so that the
 * ratio comes from one run of this script under one machine load. Two scenarios:
 *
 * - `series` (default): the bundled data (fixtures/algorand.csv), both in-process after one warm-up run.
 * - `panel-1000`: a seeded panel (fixtures/panelBench.ts, seed 7, 1,000 assets × 1,000 days by default,
 *   cached in bench/data/ as bench/panel.ts caches its panels), each asset forecast from its own rows
 *   (docs/forecast.md#panels). Whole processes, measured as process trees (bench/procTree.ts: wall,
 *   CPU of every process and thread, peak summed RSS): the engine as the bundled CLI
 *   (`node dist/cli.js forecast …`, HEAD's committed tree built with build.mjs into
 *   .cache/forecast-bench-src, so that others' uncommitted edits are not what is timed; or --cli PATH),
 *   with its worker threads; the peer as one Python process with a process per core. After the runs the
 *   last outputs are compared: the same origin date, assets and skipped assets, and per asset and
 *   horizon the forecast and every level's bounds within TOLERANCE (relative).
 *
 *   tsx bench/forecast.ts [--runs 5] [--horizon 7] [--refit-every 1]
 *   tsx bench/forecast.ts --scenario panel-1000 [--runs 3] [--assets 1000] [--days 1000] [--cli PATH]
 *
 * Prints a Markdown table of medians and the ratio peer / engine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { generatePanelCsv, type PanelFacts, type PanelOptions } from '../fixtures/panelBench.js';
import { parseFeatureSpec } from '../src/engine/features/spec.js';
import type { PanelForecastDocument } from '../src/forecast/run.js';
import { runForecast } from '../src/forecast/run.js';
import { ensurePythonEnv, type PythonEnv } from '../src/parity/pyenv.js';
import { runPython } from '../test/helpers/python.js';
import { BENCH_DIR, DATA_DIR, ensurePanelData, PROJECT_ROOT } from './generate.js';
import { measureCommand, type Measurement } from './procTree.js';
import { median } from './stats.js';

const SPEC = 'price,volume,marketCap,rsi';
const LEVELS = [0.8, 0.95];
const PEER = join(BENCH_DIR, 'peers', 'forecast_numpy.py');
const PANEL_SEED = 7;
const SRC_DIR = join(PROJECT_ROOT, '.cache', 'forecast-bench-src');
/** Relative tolerance of the panel comparison: |engine − peer| ≤ TOLERANCE · max(|engine|, |peer|). */
const TOLERANCE = 1e-6;

const log = (line: string) => process.stderr.write(`${line}\n`);
const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;

interface Options {
  scenario: 'series' | 'panel-1000';
  runs: number;
  horizon: number;
  refitEvery: number;
  assets: number;
  days: number;
  cli: string | null;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', default: 'series' },
      runs: { type: 'string' },
      horizon: { type: 'string', default: '7' },
      'refit-every': { type: 'string', default: '1' },
      assets: { type: 'string', default: '1000' },
      days: { type: 'string', default: '1000' },
      cli: { type: 'string' },
    },
    strict: true,
  });
  const scenario = values.scenario;
  if (scenario !== 'series' && scenario !== 'panel-1000') throw new RangeError(`--scenario: series or panel-1000, got ${JSON.stringify(scenario)}`);
  const positive = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name}: expected a positive integer, got ${JSON.stringify(text)}`);
    return n;
  };
  return {
    scenario,
    runs: positive('runs', values.runs ?? (scenario === 'series' ? '5' : '3')),
    horizon: positive('horizon', values.horizon!),
    refitEvery: positive('refit-every', values['refit-every']!),
    assets: positive('assets', values.assets!),
    days: positive('days', values.days!),
    cli: values.cli ?? null,
  };
}

/** The peer's job file (test/py/forecast_walkforward.py's JOB.json; `out` for a panel). */
function peerJob(csv: string, options: Options, out: string | null): string {
  return JSON.stringify({ csv, items: parseFeatureSpec(SPEC), horizon: options.horizon, trainRatio: 0.7, refitEvery: options.refitEvery, target: 'price', levels: LEVELS, calibrationWindow: null, asOf: null, out });
}

// ---- series: fixtures/algorand.csv, in-process ------------------------------------------------------------

async function seriesScenario(options: Options): Promise<void> {
  const { runs, horizon, refitEvery } = options;
  const input = join(PROJECT_ROOT, 'fixtures', 'algorand.csv');
  const work = await mkdtemp(join(tmpdir(), 'pricecast-bench-forecast-'));
  try {
    const env = await ensurePythonEnv();
    const job = join(work, 'job.json');
    writeFileSync(job, peerJob(input, options, null));
    const engineOnce = async (i: number) => {
      const started = performance.now();
      await runForecast({ input, set: { name: 'features', spec: SPEC }, target: 'price', horizon, levels: LEVELS, trainRatio: 0.7, refitEvery, output: join(work, `table-${i}`) });
      return (performance.now() - started) / 1000;
    };
    await engineOnce(-1); // warm-up
    const engine: number[] = [];
    const peer: number[] = [];
    const load = loadavg()[0];
    for (let i = 0; i < runs; i++) {
      engine.push(await engineOnce(i));
      peer.push(...(JSON.parse(await runPython(env, [PEER, job, '1'])) as { seconds: number[] }).seconds);
    }
    const e = median(engine);
    const p = median(peer);
    process.stdout.write(
      [
        `forecast --horizon ${horizon} --level ${LEVELS.join(',')} --refit-every ${refitEvery}, fixtures/algorand.csv, ${runs} runs each (load ${load.toFixed(2)} at start)`,
        '',
        '| | median | runs |',
        '|---|---:|---|',
        `| engine (runForecast, with the table written) | ${ms(e)} | ${engine.map(ms).join(', ')} |`,
        `| numpy peer (same refits, lstsq from scratch) | ${ms(p)} | ${peer.map(ms).join(', ')} |`,
        `| ratio peer / engine | ${(p / e).toFixed(1)}× | |`,
        '',
      ].join('\n'),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// ---- panel-1000: whole processes on a generated panel ------------------------------------------------------

/** The panel CSV with bench/panel.ts's seed (bench/generate.ts ensurePanelData). */
function ensurePanel(assets: number, days: number): { file: string; facts: PanelFacts } {
  return ensurePanelData(assets, days, PANEL_SEED, log);
}

/** HEAD's committed tree built with build.mjs in a folder of its own (or the given bundle as it is). */
function buildEngine(cli: string | null): { cli: string; commit: string | null } {
  if (cli !== null) return { cli, commit: null };
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  log(`building ${commit.slice(0, 7)} into ${SRC_DIR}`);
  rmSync(SRC_DIR, { recursive: true, force: true });
  mkdirSync(SRC_DIR, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C "${SRC_DIR}"`], { cwd: PROJECT_ROOT });
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(SRC_DIR, 'node_modules'));
  const build = spawnSync(process.execPath, ['build.mjs'], { cwd: SRC_DIR, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`node build.mjs failed in ${SRC_DIR}:\n${build.stdout}\n${build.stderr}`);
  return { cli: join(SRC_DIR, 'dist', 'cli.js'), commit };
}

/** The peer's panel output (bench/peers/forecast_numpy.py). */
interface PeerPanel {
  originDate: string | null;
  assets: { asset: string; horizons: { horizon: number; forecast: number; bounds: [number, number][] }[] }[];
  skipped: { asset: string; reason: string }[];
}

interface PanelAgreement {
  ok: boolean;
  originDate: { engine: string; peer: string | null };
  assets: { engine: number; peer: number; onlyEngine: string[]; onlyPeer: string[] };
  skipped: { engine: string[]; peer: string[] };
  /** Values compared: per asset and horizon, the forecast and each level's lower and upper bound. */
  values: number;
  outside: number;
  maxRelative: { forecast: number; bounds: number };
  maxAbsolute: { forecast: number; bounds: number };
  /** Where the largest relative difference is. */
  worst: string;
}

const relativeDifference = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

/** The engine's `_forecast.json` against the peer's output, per asset and horizon. */
function comparePanelForecasts(engine: PanelForecastDocument, peer: PeerPanel): PanelAgreement {
  const peerAssets = new Map(peer.assets.map((a) => [a.asset, a]));
  const engineNames = new Set(engine.assets.map((a) => a.asset));
  const maxRelative = { forecast: 0, bounds: 0 };
  const maxAbsolute = { forecast: 0, bounds: 0 };
  let values = 0;
  let outside = 0;
  let worst = '';
  let worstRelative = -1;
  let mismatchedHorizons = 0;
  const see = (kind: 'forecast' | 'bounds', e: number, p: number, where: string) => {
    const rel = relativeDifference(e, p);
    values++;
    if (!(rel <= TOLERANCE)) outside++;
    if (rel > maxRelative[kind] || Number.isNaN(rel)) maxRelative[kind] = Number.isNaN(rel) ? Infinity : rel;
    maxAbsolute[kind] = Math.max(maxAbsolute[kind], Math.abs(e - p));
    if (rel > worstRelative) {
      worstRelative = rel;
      worst = `${where} (engine ${e}, peer ${p})`;
    }
  };
  for (const a of engine.assets) {
    const other = peerAssets.get(a.asset);
    if (other === undefined) continue;
    if (other.horizons.length !== a.horizons.length) mismatchedHorizons++;
    for (const h of a.horizons) {
      const o = other.horizons.find((x) => x.horizon === h.horizon);
      if (o === undefined) continue;
      see('forecast', h.forecast, o.forecast, `${a.asset} h${h.horizon} forecast`);
      h.bounds.forEach((b, l) => {
        see('bounds', b.lower, o.bounds[l][0], `${a.asset} h${h.horizon} lower_${b.level}`);
        see('bounds', b.upper, o.bounds[l][1], `${a.asset} h${h.horizon} upper_${b.level}`);
      });
    }
  }
  const onlyEngine = [...engineNames].filter((n) => !peerAssets.has(n));
  const onlyPeer = [...peerAssets.keys()].filter((n) => !engineNames.has(n));
  const skipped = { engine: engine.skipped.map((s) => s.asset), peer: peer.skipped.map((s) => s.asset) };
  const ok =
    engine.originDate === peer.originDate &&
    onlyEngine.length === 0 &&
    onlyPeer.length === 0 &&
    mismatchedHorizons === 0 &&
    skipped.engine.join(',') === skipped.peer.join(',') &&
    outside === 0;
  return {
    ok,
    originDate: { engine: engine.originDate, peer: peer.originDate },
    assets: { engine: engine.assets.length, peer: peer.assets.length, onlyEngine, onlyPeer },
    skipped,
    values,
    outside,
    maxRelative,
    maxAbsolute,
    worst,
  };
}

/** The one partition's `_forecast.json` under a table folder. */
function readPanelDocument(table: string): PanelForecastDocument {
  const partitions = readdirSync(table).filter((n) => n.startsWith('origin_date='));
  if (partitions.length !== 1) throw new Error(`${table}: expected one partition, found ${partitions.join(', ') || 'none'}`);
  return JSON.parse(readFileSync(join(table, partitions[0], '_forecast.json'), 'utf8')) as PanelForecastDocument;
}

interface PanelRun {
  tool: 'engine' | 'peer';
  load: number;
  measurement: Measurement;
}

async function panelScenario(options: Options): Promise<void> {
  const { runs, horizon, refitEvery } = options;
  const { file, facts } = ensurePanel(options.assets, options.days);
  const engine = buildEngine(options.cli);
  const pyenv: PythonEnv = await ensurePythonEnv();
  const work = await mkdtemp(join(tmpdir(), 'pricecast-bench-forecast-panel-'));
  try {
    const engineArgs = (table: string) => [
      engine.cli, 'forecast', '--input', file, '--features', SPEC, '--horizon', String(horizon),
      '--level', LEVELS.join(','), '--refit-every', String(refitEvery), '--output', table,
    ];
    const job = join(work, 'job.json');
    const peerOut = join(work, 'peer.json');
    writeFileSync(job, peerJob(file, options, peerOut));
    const measured: PanelRun[] = [];
    const measure = async (tool: PanelRun['tool'], i: number) => {
      const load = loadavg()[0];
      const [command, args, env] =
        tool === 'engine' ? [process.execPath, engineArgs(join(work, `table-${i}`)), process.env] : [pyenv.python, [PEER, job, '1'], pyenv.env];
      log(`run ${i + 1}/${runs} ${tool} (load ${load.toFixed(2)})`);
      const m = await measureCommand(command, args, { env });
      if (m.exitCode !== 0) throw new Error(`${tool} exited ${m.exitCode}:\n${m.stderr.slice(-2000)}`);
      log(`  wall ${ms(m.wallMs / 1000)}, CPU ${ms(m.cpuMs / 1000)}, peak ${(m.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
      measured.push({ tool, load, measurement: m });
    };
    for (let i = 0; i < runs; i++) {
      await measure('engine', i);
      await measure('peer', i);
      if (i < runs - 1) rmSync(join(work, `table-${i}`), { recursive: true, force: true });
    }
    const agreement = comparePanelForecasts(readPanelDocument(join(work, `table-${runs - 1}`)), JSON.parse(readFileSync(peerOut, 'utf8')) as PeerPanel);

    const figures = (tool: PanelRun['tool']) => {
      const mine = measured.filter((r) => r.tool === tool).map((r) => r.measurement);
      return { wall: median(mine.map((m) => m.wallMs)), cpu: median(mine.map((m) => m.cpuMs)), peak: median(mine.map((m) => m.peakRssBytes)), runs: mine };
    };
    const e = figures('engine');
    const p = figures('peer');
    const s = (x: number) => `${(x / 1000).toFixed(1)} s`;
    const mib = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`;
    const loads = measured.map((r) => r.load.toFixed(1)).join(', ');
    const threads = availableParallelism();
    const exp = (x: number) => (x === 0 ? '0' : x.toExponential(1));
    process.stdout.write(
      [
        `forecast --horizon ${horizon} --level ${LEVELS.join(',')} --refit-every ${refitEvery} --features ${SPEC}, ` +
          `${relative(PROJECT_ROOT, file)} (${facts.rows.toLocaleString('en')} rows, ${facts.assets.toLocaleString('en')} assets, ` +
          `${facts.shortAssets.length} starting late), ${runs} run${runs === 1 ? '' : 's'} each, alternating; ` +
          `engine ${engine.commit === null ? engine.cli : `HEAD ${engine.commit.slice(0, 7)}`}; ${threads} cores; 1-minute load before each run: ${loads}`,
        '',
        '| | wall (median) | CPU (median) | peak RSS (median) | wall, CPU per run |',
        '|---|---:|---:|---:|---|',
        `| engine (bundled CLI, worker threads) | ${s(e.wall)} | ${s(e.cpu)} | ${mib(e.peak)} | ${e.runs.map((m) => `${s(m.wallMs)} / ${s(m.cpuMs)}`).join(', ')} |`,
        `| numpy peer (same refits, lstsq from scratch; ${threads} processes) | ${s(p.wall)} | ${s(p.cpu)} | ${mib(p.peak)} | ${p.runs.map((m) => `${s(m.wallMs)} / ${s(m.cpuMs)}`).join(', ')} |`,
        `| ratio peer / engine | ${(p.wall / e.wall).toFixed(1)}× | ${(p.cpu / e.cpu).toFixed(1)}× | ${(p.peak / e.peak).toFixed(1)}× | |`,
        '',
        `Agreement (last run of each): ${agreement.ok ? 'equal' : 'DIFFERENT'}: origin date ${agreement.originDate.engine} (peer ${agreement.originDate.peer}), ` +
          `${agreement.assets.engine} assets forecast by the engine, ${agreement.assets.peer} by the peer` +
          `${agreement.assets.onlyEngine.length + agreement.assets.onlyPeer.length > 0 ? ` (only engine: ${agreement.assets.onlyEngine.slice(0, 5).join(', ')}; only peer: ${agreement.assets.onlyPeer.slice(0, 5).join(', ')})` : ''}, ` +
          `skipped ${agreement.skipped.engine.length} / ${agreement.skipped.peer.length}; ${agreement.values.toLocaleString('en')} values (forecast, lower and upper per level, per asset and horizon), ` +
          `${agreement.outside} outside relative ${TOLERANCE}; largest relative difference: forecasts ${exp(agreement.maxRelative.forecast)}, bounds ${exp(agreement.maxRelative.bounds)} ` +
          `(absolute ${exp(agreement.maxAbsolute.forecast)}, ${exp(agreement.maxAbsolute.bounds)}), at ${agreement.worst}`,
        '',
      ].join('\n'),
    );
    if (!agreement.ok) process.exitCode = 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  if (options.scenario === 'series') await seriesScenario(options);
  else await panelScenario(options);
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
