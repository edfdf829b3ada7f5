/**
 * Every setting of every command, declared once (click's model, see STYLE.md): its flag, type, default,
 * help line, config-file key and validation. From one declaration come
 *   - the `util.parseArgs` option table of each command that takes it,
 *   - its `--help` line (defaults are printed from the table, never written twice),
 *   - config-file parsing (`--config FILE`: JSON whose keys are the settings' config keys; a dotted key
 *     such as `job.seed` is a nested object), unknown keys refused,
 *   - the run manifest (`manifestOf`): the resolved values by config key.
 *
 * A command is a map of settings: `{ ...JOB_SETTINGS, output: OUTPUT, json: JSON_FLAG }`. Resolution
 * order: flag, then config file, then default. Every problem is a UsageError naming the flag (or the
 * config key) and what was expected.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from './engine/errors.js';
import { DEFAULT_SEED, DEFAULT_TRAIN_RATIO } from './engine/pipeline.js';
import { FORMATS, OHLC_CHECKS, parseColumnMapping, type InputFormat, type OhlcCheck } from './engine/ingest/layouts.js';
import { MISSING_POLICIES, type MissingPolicy } from './engine/types.js';
import { DEFAULT_FEATURE_SPEC, parseFeatureSpec } from './engine/features/spec.js';
import { elasticNetProblem, regParamProblem } from './engine/model/wls.js';
import type { SplitMode } from './engine/types.js';
import { DEFAULT_TARGET, TARGETS, type Target } from './experiment/target.js';
import { DEFAULT_REFIT_EVERY } from './experiment/walkForward.js';
import { DEFAULT_BOOTSTRAP_REPS, DEFAULT_BOOTSTRAP_SEED, MIN_BOOTSTRAP_REPS } from './experiment/screening/indices.js';
import { DEFAULT_MAX_FEATURES } from './experiment/selection.js';
import { DEFAULT_FORECAST_OUTPUT, DEFAULT_HORIZON, DEFAULT_LEVELS, MAX_HORIZON } from './forecast/defaults.js';
import { parseDay } from './engine/ingest/dates.js';
import { PROJECT_ROOT } from './paths.js';

/** The value types a setting can have. `strings` is a repeatable flag (`--set a=x --set b=y`). */
export type SettingKind = 'string' | 'integer' | 'number' | 'boolean' | 'strings';

type KindValue<K extends SettingKind> = K extends 'string'
  ? string
  : K extends 'integer' | 'number'
    ? number
    : K extends 'boolean'
      ? boolean
      : string[];

export interface Setting<T = unknown> {
  /** Flag name without dashes, kebab-case: `train-ratio`. */
  flag: string;
  short?: string;
  kind: SettingKind;
  /** Config-file key (dotted for nested objects: `job.seed`); omitted = flag only (e.g. --json). */
  configKey?: string;
  /** Placeholder in --help: `--seed N`. */
  metavar?: string;
  help: string;
  /** The value when neither a flag nor the config file gives one; undefined = optional, no value. */
  default?: T;
  /** How --help shows a default that is computed elsewhere (e.g. "s3://BUCKET/PREFIX/logs/"). */
  defaultText?: string;
  /** Allowed values of a `string` setting. */
  choices?: readonly string[];
  /** Returns what was expected when the value is invalid ("a number strictly between 0 and 1"). */
  validate?: (value: T) => string | undefined;
  /** Turns flag text into the value, for types the kind alone does not cover (`date=Date,price=Close`). */
  parse?: (text: string) => T;
}

/** A setting that always has a value: its type follows from its kind (or from `parse`). */
export function setting<K extends SettingKind, T = KindValue<K>>(spec: Setting<T> & { kind: K; default: T }): Defaulted<T> {
  return spec;
}

/** A setting that may be absent (no default): its value is `T | undefined`. */
export function optionalSetting<K extends SettingKind, T = KindValue<K>>(spec: Setting<T> & { kind: K }): Setting<T> {
  return spec;
}

export type Defaulted<T> = Setting<T> & { default: T };
export type SettingMap = Record<string, Setting<any>>;
type ValueOf<S> = S extends Defaulted<infer T> ? T : S extends Setting<infer T> ? T | undefined : never;
export type SettingValues<M extends SettingMap> = { [K in keyof M]: ValueOf<M[K]> };

// ---------------------------------------------------------------------------------------------------
// Shared validation rules (each rule once).

export const isSafeIntegerRule = (v: number) =>
  Number.isSafeInteger(v) ? undefined : `an integer between ±${Number.MAX_SAFE_INTEGER}`;
export const isRatioRule = (v: number) => (v > 0 && v < 1 ? undefined : 'a number strictly between 0 and 1');
export const isPositiveRule = (v: number) => (v > 0 ? undefined : 'a positive number');
export const isPositiveIntegerRule = (v: number) => (Number.isInteger(v) && v > 0 ? undefined : 'a positive integer');
/** λ and α: the fit's own rules (src/engine/model/wls.ts). */
export const isRegParamRule = regParamProblem;
export const isElasticNetRule = elasticNetProblem;

/** A comma-separated list of numbers, each checked by `rule`, duplicates refused (`0,0.01,0.1`). */
export function numberList(flag: string, text: string, rule: (v: number) => string | undefined): number[] {
  const values = text.split(',').map((part) => {
    const value = part.trim() === '' ? NaN : Number(part);
    const problem = Number.isNaN(value) ? 'a number' : rule(value);
    if (problem) throw new UsageError(`${flag}: expected a comma-separated list, each ${problem}; got "${part.trim()}" in "${text}"`);
    return value;
  });
  if (new Set(values).size !== values.length) throw new UsageError(`${flag}: a value is given twice in "${text}"`);
  return values;
}

// ---------------------------------------------------------------------------------------------------
// The job: what the reference job and the engine both take (docs/README.md#the-pipeline). JobSettings is their one type.

/** The real Algorand daily history (the original project's data): what a first run shows. */
export const DEFAULT_INPUT = join(PROJECT_ROOT, 'fixtures', 'algorand.csv');
export const SPLIT_MODES: readonly SplitMode[] = ['random', 'time'];

export const JOB_SETTINGS = {
  input: setting({
    flag: 'input',
    kind: 'string',
    configKey: 'job.input',
    metavar: 'FILE',
    help: 'daily price history (CSV with date, price, volume, marketCap; other layouts: see README)',
    default: DEFAULT_INPUT,
    defaultText: 'the bundled ' + DEFAULT_INPUT.slice(PROJECT_ROOT.length + 1),
  }),
  seed: setting({
    flag: 'seed',
    kind: 'integer',
    configKey: 'job.seed',
    metavar: 'N',
    help: "seed of Spark's randomSplit",
    default: DEFAULT_SEED,
    validate: isSafeIntegerRule,
  }),
  split: setting<'string', SplitMode>({
    flag: 'split',
    kind: 'string',
    configKey: 'job.split',
    metavar: 'MODE',
    help: "random: Spark's seeded randomSplit (what the PySpark job does); time: the first R of the dates train, the rest test (honest for forecasting)",
    default: 'random',
    choices: SPLIT_MODES,
  }),
  trainRatio: setting({
    flag: 'train-ratio',
    kind: 'number',
    configKey: 'job.trainRatio',
    metavar: 'R',
    help: 'fraction of rows that train, 0 < R < 1',
    default: DEFAULT_TRAIN_RATIO,
    validate: isRatioRule,
  }),
  features: setting({
    flag: 'features',
    kind: 'string',
    configKey: 'job.features',
    metavar: 'SPEC',
    help: 'the feature columns: price, volume, marketCap and ta functions of close/volume with arguments, e.g. "price,rsi(window=9),macd_diff" (pricecast features lists them; docs/features.md#feature-specs)',
    default: DEFAULT_FEATURE_SPEC,
    // Checked here so a bad spec fails before any work; the text itself is what the jobs take.
    parse: (text: string) => (parseFeatureSpec(text), text),
  }),
  // How the input is read (docs/input.md#layouts; src/engine/ingest/layouts.ts, missing.ts).
  format: setting<'string', InputFormat>({
    flag: 'format',
    kind: 'string',
    configKey: 'job.format',
    metavar: 'LAYOUT',
    help: 'input layout: auto (recognised from the header), pricecast, coingecko, coinmarketcap, coinmarketcap-multi, kaggle, yahoo or cryptodatadownload (docs/input.md#layouts)',
    default: 'auto',
    choices: FORMATS,
  }),
  columns: optionalSetting({
    flag: 'columns',
    kind: 'string',
    configKey: 'job.columns',
    metavar: 'MAP',
    help: 'the input columns for any other layout: date=COL,price=COL,volume=COL,marketCap=COL[,asset=COL][,open=COL,high=COL,low=COL] (a column the features do not need may be left out)',
    validate: (text: string) => {
      try {
        parseColumnMapping(text);
        return undefined;
      } catch (error) {
        return (error as Error).message.replace(/^--columns: expected /, '').replace(/, got .*$/, '');
      }
    },
  }),
  thousands: optionalSetting<'string', ','>({
    flag: 'thousands',
    kind: 'string',
    configKey: 'job.thousands',
    metavar: 'SEP',
    help: 'allow thousands separators (1,234.5) in numbers of any layout (the coinmarketcap layout allows them anyway)',
    choices: [','],
  }),
  missing: setting<'string', MissingPolicy>({
    flag: 'missing',
    kind: 'string',
    configKey: 'job.missing',
    metavar: 'POLICY',
    help: 'an empty, "-" or "null" value cell: error (refuse), previous (the column\'s last value), zero, or drop (the day)',
    default: 'error',
    choices: MISSING_POLICIES,
  }),
  ohlcCheck: setting<'string', OhlcCheck>({
    flag: 'ohlc-check',
    kind: 'string',
    configKey: 'job.ohlcCheck',
    metavar: 'on|off',
    help: 'on: a row whose low > min(open, close) or high < max(open, close) is bad input; off: accept and count such rows (docs/input.md#open-high-and-low)',
    default: 'on',
    choices: OHLC_CHECKS,
  }),
  // Spark's LinearRegression(regParam, elasticNetParam) (docs/regularisation.md). Unset = 0, and then
  // left out of the job's flags, so a run without them is the unpenalised fit with the same command line.
  regParam: optionalSetting({
    flag: 'reg-param',
    kind: 'number',
    configKey: 'job.regParam',
    metavar: 'λ',
    help: "penalty weight λ ≥ 0 (Spark's regParam; on standardized features, the intercept unpenalised)",
    defaultText: '0',
    validate: isRegParamRule,
  }),
  elasticNet: optionalSetting({
    flag: 'elastic-net',
    kind: 'number',
    configKey: 'job.elasticNet',
    metavar: 'α',
    help: "the penalty's L1 share α, 0 ≤ α ≤ 1 (Spark's elasticNetParam): 0 ridge, 1 lasso",
    defaultText: '0',
    validate: isElasticNetRule,
  }),
  // Panels (docs/input.md#panels): unset = every asset of the file, and then left out of the job's flags.
  assets: optionalSetting<'string', string[]>({
    flag: 'assets',
    kind: 'string',
    configKey: 'job.assets',
    metavar: 'A,B,…',
    help: 'on a file with an asset column: only these assets (comma-separated names as written; default every asset)',
    parse: parseAssetList,
  }),
} satisfies SettingMap;

/** `--assets a,b`: names trimmed, none empty. */
function parseAssetList(text: string): string[] {
  const names = text.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) throw new UsageError(`--assets: expected comma-separated asset names, got ${JSON.stringify(text)}`);
  return names;
}

/** `--progress`: assets or rows done on stderr even when it is not a terminal. */
export const PROGRESS_SETTING = setting({
  flag: 'progress',
  kind: 'boolean',
  help: 'show progress on stderr (assets done / total) even when stderr is not a terminal; on a terminal it is shown anyway',
  default: false,
});

export type JobSettings = SettingValues<typeof JOB_SETTINGS>;

export const OUTPUT_SETTING = (defaultDir: string, what: string) =>
  setting({
    flag: 'output',
    kind: 'string',
    configKey: 'output',
    metavar: 'DIR',
    help: `${what}; written atomically, an existing folder is replaced only if it holds an earlier pricecast output`,
    default: defaultDir,
  });

export const JSON_SETTING = setting({
  flag: 'json',
  kind: 'boolean',
  help: 'print one JSON object on stdout (errors too: {"error": {...}})',
  default: false,
});

export const HELP_SETTING = setting({ flag: 'help', short: 'h', kind: 'boolean', help: 'this help', default: false });

export const CONFIG_SETTING = optionalSetting({
  flag: 'config',
  kind: 'string',
  metavar: 'FILE',
  help: "JSON file of settings, keys as shown in [brackets]; flags win",
});

// ---------------------------------------------------------------------------------------------------
// `experiment`: walk-forward evaluation of feature sets (docs/experiment.md, src/experiment/).

/** Where `predict` writes when `--output` is not given. */
export const DEFAULT_OUTPUT = 'out/predictions';

/** `pricecast predict`. */
export const PREDICT_SETTINGS = {
  ...JOB_SETTINGS,
  output: OUTPUT_SETTING(DEFAULT_OUTPUT, 'Spark-layout output folder: part-00000-<uuid>.snappy.parquet, _SUCCESS, _model.json (a panel: asset=<name>/part-…)'),
  progress: PROGRESS_SETTING,
  json: JSON_SETTING,
  help: HELP_SETTING,
} satisfies SettingMap;

/** `pricecast parity`. */
export const PARITY_SETTINGS = {
  ...JOB_SETTINGS,
  json: JSON_SETTING,
  keep: optionalSetting({
    flag: 'keep',
    kind: 'string',
    metavar: 'DIR',
    help: 'keep both outputs under DIR (DIR/spark, DIR/engine) instead of a temporary folder',
  }),
  help: HELP_SETTING,
} satisfies SettingMap;

/** The input and how to read it (docs/input.md), as `predict` takes them: shared by `experiment` and `forecast`. */
const INPUT_SETTINGS = {
  input: JOB_SETTINGS.input,
  format: JOB_SETTINGS.format,
  columns: JOB_SETTINGS.columns,
  thousands: JOB_SETTINGS.thousands,
  missing: JOB_SETTINGS.missing,
  ohlcCheck: JOB_SETTINGS.ohlcCheck,
  assets: JOB_SETTINGS.assets,
  progress: PROGRESS_SETTING,
} satisfies SettingMap;

export const EXPERIMENT_SETTINGS = {
  ...INPUT_SETTINGS,
  set: setting({
    flag: 'set',
    kind: 'strings',
    configKey: 'experiment.sets',
    metavar: 'NAME=SPEC',
    help: 'a feature set to compare, NAME=a --features spec (repeatable); none: the built-in ladder (the original four features, then each ta family added in turn)',
    default: [] as string[],
  }),
  sets: optionalSetting({
    flag: 'sets',
    kind: 'string',
    configKey: 'experiment.setsFile',
    metavar: 'FILE',
    help: 'a JSON or YAML file of feature sets: {NAME: SPEC, ...} or [{name, features}, ...]',
  }),
  trainRatio: setting({ ...JOB_SETTINGS.trainRatio, help: 'rows before the first forecast: floor(n × R) of the n common rows, 0 < R < 1' }),
  // Penalty grids (docs/regularisation.md#in-experiment): every set becomes one candidate per value.
  regParam: optionalSetting({
    flag: 'reg-param',
    kind: 'string',
    configKey: 'experiment.regParam',
    metavar: 'λ,…',
    help: "penalty weights to try, e.g. 0,0.01,0.1: every set becomes one candidate per value, NAME[regParam=λ] (a set's own ;regParam= is replaced)",
    parse: (text: string) => numberList('--reg-param', text, isRegParamRule),
  }),
  elasticNet: optionalSetting({
    flag: 'elastic-net',
    kind: 'string',
    configKey: 'experiment.elasticNet',
    metavar: 'α,…',
    help: "L1 shares to try (0 ridge … 1 lasso), likewise; with --reg-param, every pair",
    parse: (text: string) => numberList('--elastic-net', text, isElasticNetRule),
  }),
  refitEvery: setting({
    flag: 'refit-every',
    kind: 'integer',
    configKey: 'experiment.refitEvery',
    metavar: 'K',
    help: 'refit the model every K test rows (expanding window: on every row before the block)',
    default: DEFAULT_REFIT_EVERY,
    validate: isPositiveIntegerRule,
  }),
  target: setting<'string', Target>({
    flag: 'target',
    kind: 'string',
    configKey: 'experiment.target',
    metavar: 'T',
    help: "what the model fits: price (tomorrow's price) or return (tomorrow's simple return, turned back into a price to score)",
    default: DEFAULT_TARGET,
    choices: TARGETS,
  }),
  threads: setting({
    flag: 'threads',
    kind: 'string',
    configKey: 'experiment.threads',
    metavar: 'N',
    help: 'worker threads for the sets: auto (more than one only when the work pays for starting them) or a positive integer',
    default: 'auto',
    validate: (v: string) => (v === 'auto' || /^[1-9][0-9]{0,2}$/.test(v) ? undefined : '"auto" or a positive integer'),
  }),
  screen: setting({
    flag: 'screen',
    kind: 'boolean',
    configKey: 'experiment.screen',
    help: 'screen the sets against persistence allowing for how many were tried: SPA, StepM and the model confidence set (docs/screening.md); on by default with two or more sets, this flag turns it on for one (experiment.screen: false in a --config file turns it off)',
    default: false,
  }),
  bootstrapSeed: setting({
    flag: 'bootstrap-seed',
    kind: 'integer',
    configKey: 'experiment.bootstrapSeed',
    metavar: 'S',
    help: "seed of the screening's stationary bootstrap (Spark's XORShiftRandom)",
    default: DEFAULT_BOOTSTRAP_SEED,
    validate: isSafeIntegerRule,
  }),
  bootstrapReps: setting({
    flag: 'bootstrap-reps',
    kind: 'integer',
    configKey: 'experiment.bootstrapReps',
    metavar: 'B',
    help: `bootstrap replications of the screening, at least ${MIN_BOOTSTRAP_REPS}`,
    default: DEFAULT_BOOTSTRAP_REPS,
    validate: (v: number) => (Number.isInteger(v) && v >= MIN_BOOTSTRAP_REPS ? undefined : `an integer ≥ ${MIN_BOOTSTRAP_REPS}`),
  }),
  blockSize: optionalSetting({
    flag: 'block-size',
    kind: 'integer',
    configKey: 'experiment.blockSize',
    metavar: 'b',
    help: "mean block length of the screening's stationary bootstrap (default floor(√T), T the test rows)",
    validate: isPositiveIntegerRule,
  }),
  select: optionalSetting<'string', 'forward'>({
    flag: 'select',
    kind: 'string',
    configKey: 'experiment.select',
    metavar: 'HOW',
    help: 'forward: choose features from --pool on the training rows only (an inner walk-forward), then score every step on the test rows',
    choices: ['forward'],
  }),
  pool: optionalSetting({
    flag: 'pool',
    kind: 'string',
    configKey: 'experiment.pool',
    metavar: 'SPEC',
    help: 'the features --select forward chooses from (a --features spec)',
  }),
  start: setting({
    flag: 'start',
    kind: 'string',
    configKey: 'experiment.start',
    metavar: 'SPEC',
    help: '--select forward starts from this set (a --features spec)',
    default: 'price',
  }),
  maxFeatures: setting({
    flag: 'max-features',
    kind: 'integer',
    configKey: 'experiment.maxFeatures',
    metavar: 'N',
    help: '--select forward stops when the set has N features',
    default: DEFAULT_MAX_FEATURES,
    validate: isPositiveIntegerRule,
  }),
  horizon: setting({
    flag: 'horizon',
    kind: 'integer',
    configKey: 'experiment.horizon',
    metavar: 'H',
    help: `also score horizons 1 … H (forecasts H rows ahead; h-step DM, mase, rmsse), an integer from 1 to ${MAX_HORIZON}`,
    default: DEFAULT_HORIZON,
    validate: (v: number) => (Number.isInteger(v) && v >= 1 && v <= MAX_HORIZON ? undefined : `an integer from 1 to ${MAX_HORIZON}`),
  }),
  level: optionalSetting<'string', number[]>({
    flag: 'level',
    kind: 'string',
    configKey: 'experiment.level',
    metavar: 'L,...',
    help: 'score conformal prediction intervals at these levels (coverage, width, interval score) at every horizon',
    parse: (text: string) => parseLevels(text),
  }),
  calibrationWindow: optionalSetting({
    flag: 'calibration-window',
    kind: 'integer',
    configKey: 'experiment.calibrationWindow',
    metavar: 'W',
    help: 'calibrate each interval on the last W earlier test scores only (default: all of them)',
    validate: isPositiveIntegerRule,
  }),
  output: OUTPUT_SETTING('out/experiment', 'folder for results.json, forecasts.parquet and report.html'),
  json: setting({ ...JSON_SETTING, help: "print results.json's content on stdout instead of the table" }),
  config: CONFIG_SETTING,
  help: HELP_SETTING,
} satisfies SettingMap;

export type ExperimentSettings = SettingValues<typeof EXPERIMENT_SETTINGS>;

// ---------------------------------------------------------------------------------------------------
// `forecast`: the days after the last one (docs/forecast.md, src/forecast/).

/** `--level 0.8,0.95`: a comma-separated list of levels, each strictly between 0 and 1, none twice. */
export function parseLevels(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  const levels = parts.map(Number);
  levels.forEach((level, i) => {
    if (parts[i] === '' || !(level > 0 && level < 1)) throw new UsageError(`--level: expected levels strictly between 0 and 1, comma-separated, got "${text}"`);
    if (levels.indexOf(level) !== i) throw new UsageError(`--level: ${parts[i]} is given twice`);
  });
  return levels;
}

export const FORECAST_SETTINGS = {
  ...INPUT_SETTINGS,
  features: optionalSetting({
    flag: 'features',
    kind: 'string',
    configKey: 'forecast.features',
    metavar: 'SPEC',
    help: `the feature columns, as for predict (default ${DEFAULT_FEATURE_SPEC}; not with --from)`,
    parse: JOB_SETTINGS.features.parse,
  }),
  from: optionalSetting({
    flag: 'from',
    kind: 'string',
    configKey: 'forecast.from',
    metavar: 'RESULTS',
    help: "an experiment's results.json: forecast with one of its sets (--set NAME): its features and target",
  }),
  set: optionalSetting({
    flag: 'set',
    kind: 'string',
    configKey: 'forecast.set',
    metavar: 'NAME',
    help: 'the set of --from to forecast with',
  }),
  regParam: optionalSetting({ ...JOB_SETTINGS.regParam, configKey: 'forecast.regParam' }),
  elasticNet: optionalSetting({ ...JOB_SETTINGS.elasticNet, configKey: 'forecast.elasticNet' }),
  target: setting({ ...EXPERIMENT_SETTINGS.target, configKey: 'forecast.target' }),
  horizon: setting({
    ...EXPERIMENT_SETTINGS.horizon,
    configKey: 'forecast.horizon',
    help: `forecast 1 … H rows (days) after the last one, an integer from 1 to ${MAX_HORIZON}`,
  }),
  level: setting<'string', number[]>({
    flag: 'level',
    kind: 'string',
    configKey: 'forecast.level',
    metavar: 'L,...',
    help: 'levels of the conformal prediction intervals, each strictly between 0 and 1',
    default: [...DEFAULT_LEVELS],
    defaultText: DEFAULT_LEVELS.join(','),
    parse: parseLevels,
  }),
  calibrationWindow: optionalSetting({
    ...EXPERIMENT_SETTINGS.calibrationWindow,
    configKey: 'forecast.calibrationWindow',
    help: 'calibrate the intervals on the last W walk-forward scores only (default: all of them)',
  }),
  trainRatio: setting({ ...JOB_SETTINGS.trainRatio, configKey: 'forecast.trainRatio', help: "the track record's walk-forward starts after floor(M × R) of its M rows, 0 < R < 1" }),
  refitEvery: setting({ ...EXPERIMENT_SETTINGS.refitEvery, configKey: 'forecast.refitEvery', help: "refit the track record's walk-forward every K origins" }),
  asOf: optionalSetting({
    flag: 'as-of',
    kind: 'string',
    configKey: 'forecast.asOf',
    metavar: 'DATE',
    help: 'forecast as of DATE (YYYY-MM-DD): rows dated after it are ignored, as if the file ended there',
    validate: (v: string) => (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(parseDay(v)) ? undefined : 'a date YYYY-MM-DD'),
  }),
  output: setting({
    ...OUTPUT_SETTING(DEFAULT_FORECAST_OUTPUT, 'the forecast table'),
    help: "the forecast table: DIR/origin_date=YYYY-MM-DD/ (Spark's partitionBy layout) with _forecast.json; a run replaces only its own day's partition",
  }),
  json: setting({ ...JSON_SETTING, help: "print _forecast.json's content on stdout instead of the summary" }),
  config: CONFIG_SETTING,
  help: HELP_SETTING,
} satisfies SettingMap;

export type ForecastSettings = SettingValues<typeof FORECAST_SETTINGS>;

// ---------------------------------------------------------------------------------------------------
// Parsing.

/** parseArgs' option table for a command's settings. */
export function parseArgsOptions(settings: SettingMap) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const s of Object.values(settings)) {
    options[s.flag] = {
      type: s.kind === 'boolean' ? 'boolean' : 'string',
      ...(s.short ? { short: s.short } : {}),
      ...(s.kind === 'strings' ? { multiple: true } : {}),
    };
  }
  return options;
}

export interface ParsedCommand<M extends SettingMap> {
  values: SettingValues<M>;
  positionals: string[];
  /** Which settings the user gave (flag or config file), by setting name. */
  given: Set<keyof M & string>;
}

/**
 * Parses a command line against a command's settings: flags first, then `--config FILE` (when the map
 * has a `config` setting), then defaults; every value validated by its setting's rules.
 */
export function parseCommand<M extends SettingMap>(
  argv: string[],
  settings: M,
  options: { allowPositionals?: boolean } = {},
): ParsedCommand<M> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: parseArgsOptions(settings),
      allowPositionals: options.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    // parseArgs' own errors (unknown flag, missing value) are usage errors; its text spans lines.
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(`${(error as Error).message.replace(/\s*\n\s*/g, ' ')} (see --help)`);
    }
    throw error;
  }
  const { values: raw, positionals } = parsed;
  const flagText = raw as Record<string, string | boolean | string[] | undefined>;
  const configPath = 'config' in settings ? (flagText[settings.config.flag] as string | undefined) : undefined;
  const file = configPath !== undefined ? readConfigFile(configPath, settings) : undefined;

  const values = {} as Record<string, unknown>;
  const given = new Set<string>();
  for (const [name, s] of Object.entries(settings)) {
    const text = flagText[s.flag];
    if (text !== undefined && !(s.kind === 'boolean' && text === false && s.default === false)) {
      values[name] = fromFlag(s, text);
      given.add(name);
    } else if (file && s.configKey && hasPath(file, s.configKey)) {
      values[name] = fromConfig(s, getPath(file, s.configKey), configPath!);
      given.add(name);
    } else {
      values[name] = s.default;
    }
  }
  return { values: values as SettingValues<M>, positionals, given: given as Set<keyof M & string> };
}

function fromFlag(s: Setting<any>, text: string | boolean | string[]): unknown {
  const flag = `--${s.flag}`;
  if (s.kind === 'boolean') return text;
  if (s.kind === 'strings') {
    const list = text as string[];
    if (s.parse) return list.map((t) => s.parse!(t));
    return list;
  }
  const t = text as string;
  let value: unknown;
  if (s.parse) {
    value = s.parse(t);
  } else if (s.kind === 'integer') {
    if (!/^[+-]?\d+$/.test(t.trim())) throw new UsageError(`${flag}: expected an integer, got "${t}"`);
    value = Number(t);
  } else if (s.kind === 'number') {
    value = Number(t);
    if (t.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag}: expected ${expectedOf(s, value)}, got "${t}"`);
  } else {
    value = t;
  }
  const problem = check(s, value);
  if (problem) throw new UsageError(`${flag}: expected ${problem}, got "${t}"`);
  return value;
}

function fromConfig(s: Setting<any>, value: unknown, path: string): unknown {
  const where = `--config ${path}: ${s.configKey}`;
  const typeOk =
    s.kind === 'boolean'
      ? typeof value === 'boolean'
      : s.kind === 'integer'
        ? Number.isSafeInteger(value)
        : s.kind === 'number'
          ? typeof value === 'number' && Number.isFinite(value)
          : s.kind === 'strings'
            ? Array.isArray(value) && value.every((v) => typeof v === 'string')
            : typeof value === 'string';
  if (!typeOk) throw new UsageError(`${where}: expected ${kindText(s)}, got ${JSON.stringify(value)}`);
  const parsed = s.parse && typeof value === 'string' ? s.parse(value) : value;
  const problem = check(s, parsed);
  if (problem) throw new UsageError(`${where}: expected ${problem}, got ${JSON.stringify(value)}`);
  return parsed;
}

function check(s: Setting<any>, value: unknown): string | undefined {
  if (s.choices && !s.choices.includes(value as string)) return s.choices.map((c) => `"${c}"`).join(' or ');
  return s.validate?.(value);
}

function expectedOf(s: Setting<any>, value: unknown): string {
  return s.validate?.(value) ?? kindText(s);
}

function kindText(s: Setting<any>): string {
  if (s.choices) return s.choices.map((c) => `"${c}"`).join(' or ');
  return { string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', strings: 'a list of strings' }[s.kind];
}

// ---------------------------------------------------------------------------------------------------
// Config files.

function readConfigFile(path: string, settings: SettingMap): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--config: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config: ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new UsageError(`--config: ${path} must hold a JSON object`);
  // Unknown keys are refused, so a typo ("coreInstanceCont") is not silently ignored.
  const known = Object.values(settings).flatMap((s) => (s.configKey ? [s.configKey] : []));
  const walk = (object: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(object)) {
      const keyPath = prefix + key;
      if (known.includes(keyPath)) continue;
      if (isObject(value) && known.some((k) => k.startsWith(`${keyPath}.`))) {
        walk(value, `${keyPath}.`);
        continue;
      }
      const siblings = known.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length).split('.')[0]);
      throw new UsageError(`--config ${path}: unknown setting ${keyPath} (known: ${[...new Set(siblings)].join(', ')})`);
    }
  };
  walk(parsed, '');
  return parsed;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasPath(object: Record<string, unknown>, key: string): boolean {
  return getPath(object, key) !== undefined;
}

function getPath(object: Record<string, unknown>, key: string): unknown {
  let value: unknown = object;
  for (const part of key.split('.')) {
    if (!isObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Help and manifest.

/** The options block of a command's --help, one setting a line (long help wrapped), defaults from the table. */
export function formatOptionsHelp(settings: SettingMap, width = 100): string {
  const left = (s: Setting<any>) =>
    `  ${s.short ? `-${s.short}, ` : ''}--${s.flag}${s.metavar ? ` ${s.metavar}` : s.choices ? ` ${s.choices.join('|')}` : ''}`;
  const column = Math.min(32, Math.max(...Object.values(settings).map((s) => left(s).length)) + 2);
  const lines: string[] = [];
  // Config keys are worth showing only where a config file can be given.
  const showConfigKeys = Object.values(settings).some((s) => s.flag === 'config');
  for (const s of Object.values(settings)) {
    const notes: string[] = [];
    if (s.choices && s.metavar) notes.push(s.choices.join('|'));
    const shown = s.defaultText ?? (s.default === undefined || s.kind === 'boolean' ? undefined : defaultText(s.default));
    if (shown !== undefined) notes.push(`default ${shown}`);
    if (s.configKey && showConfigKeys) notes.push(`[${s.configKey}]`);
    const text = `${s.help}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    const head = left(s);
    const wrapped = wrap(text, width - column);
    const first = head.length + 1 > column ? [head, ...wrapped.map((w) => ' '.repeat(column) + w)] : [head.padEnd(column) + wrapped[0], ...wrapped.slice(1).map((w) => ' '.repeat(column) + w)];
    lines.push(...first);
  }
  return lines.join('\n');
}

function defaultText(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.join(', ') : 'none';
  return String(value);
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

/**
 * The resolved settings by config key (nested for dotted keys): what a run writes down so that it can be
 * reproduced, and what `--config` reads back.
 */
export function manifestOf<M extends SettingMap>(settings: M, values: SettingValues<M>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(settings)) {
    const value = (values as Record<string, unknown>)[name];
    if (!s.configKey || value === undefined) continue;
    const parts = s.configKey.split('.');
    let target = out;
    for (const part of parts.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
    target[parts[parts.length - 1]] = value;
  }
  return out;
}

// ---- pricecast features -----------------------------------------------------------------------------

/** `pricecast features`. */
export const FEATURES_SETTINGS = { json: JSON_SETTING, help: HELP_SETTING } satisfies SettingMap;

// ---- pricecast emr ------------------------------------------------------------------------------------
// The cluster's settings; the job's own are JOB_SETTINGS, so a setting the job gains reaches the cluster's
// spark-submit step without a change to the EMR code (src/emr/plan.ts).

/**
 * Spark shipped by each EMR release (AWS, "Spark release history" in the EMR Release Guide,
 * docs.aws.amazon.com/emr/latest/ReleaseGuide/Spark-release-history.html; the `-amzn-N` suffix
 * dropped). Only releases checked against that page are listed; others are accepted with a warning.
 */
export const SPARK_VERSION_BY_RELEASE: Readonly<Record<string, string>> = {
  'emr-7.8.0': '3.5.4',
  'emr-7.9.0': '3.5.5',
  'emr-7.10.0': '3.5.5',
  'emr-7.12.0': '3.5.6',
  'emr-7.13.0': '3.5.6',
};

export const DEFAULT_RELEASE_LABEL = 'emr-7.10.0';
export const DEFAULT_INSTANCE_TYPE = 'm5.xlarge';
export const DEFAULT_CORE_INSTANCE_COUNT = 0;
// Livy is not among them: the job is submitted as steps, and an unused REST server is one more thing listening.
export const DEFAULT_APPLICATIONS = ['Hadoop', 'Spark'] as const;
export const DEFAULT_SERVICE_ROLE = 'EMR_DefaultRole';
export const DEFAULT_JOB_FLOW_ROLE = 'EMR_EC2_DefaultRole';
export const DEFAULT_PREFIX = 'pricecast';
/** Auto-termination backstop: an idle cluster (no step running) terminates itself after this long. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 3600;
/** EMR's own limits for AutoTerminationPolicy.IdleTimeout. */
export const IDLE_TIMEOUT_RANGE = [60, 604_800] as const;
export const DEFAULT_POLL_SECONDS = 30;
export const DEFAULT_TIMEOUT_MINUTES = 180;
/** The venv pyspark/bootstrap.sh creates on every node from the staged wheelhouse, with CLUSTER_PYTHON. */
export const PYSPARK_PYTHON = '/opt/pricecast/venv/bin/python3';
/**
 * The Python the bootstrap builds that venv with (the wheelhouse holds its cp311 wheels): Amazon Linux
 * 2023's python3.11 package, on EMR 7.x and later only (docs/emr.md#node-types-and-python).
 */
export const CLUSTER_PYTHON = 'python3.11';
export const CLUSTER_PYTHON_VERSION = '3.11';
export const CLUSTER_PYTHON_FIRST_RELEASE = 7;
/** Every step is wrapped in `timeout` so a hung step ends (and, with TERMINATE_CLUSTER, the cluster). */
export const DEFAULT_STEP_TIMEOUT_MINUTES = 120;
export const DEFAULT_MAX_CONSECUTIVE_ERRORS = 10;
export const DEFAULT_LOG_WAIT_MINUTES = 6;
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 60;
export const SSE_ALGORITHMS = ['AES256', 'aws:kms'] as const;
export type SseAlgorithm = (typeof SSE_ALGORITHMS)[number];

/**
 * What the cluster (or the serverless job run) runs: the reference job's predict (price_regression.py:
 * the Spark-layout folder) or its walk-forward experiment (walk_forward.py, with price_regression.py
 * beside it: results.json). src/emr/plan.ts and src/emr/experimentCompare.ts.
 */
export const EMR_COMMANDS = ['predict', 'experiment'] as const;
export type EmrCommand = (typeof EMR_COMMANDS)[number];

export const DEFAULT_FILES = {
  script: join(PROJECT_ROOT, 'pyspark', 'price_regression.py'),
  experimentScript: join(PROJECT_ROOT, 'pyspark', 'walk_forward.py'),
  bootstrap: join(PROJECT_ROOT, 'pyspark', 'bootstrap.sh'),
  requirements: join(PROJECT_ROOT, 'pyspark', 'requirements.txt'),
  wheelhouseBuilder: join(PROJECT_ROOT, 'pyspark', 'wheelhouse.sh'),
} as const;

const nonEmpty = (what: string) => (v: string) => (v.trim() !== '' ? undefined : what);
const relative = (path: string) => path.slice(PROJECT_ROOT.length + 1);

/** The EMR settings (the job's come from JOB_SETTINGS). Order = order in --help. */
export const EMR_SETTINGS = {
  bucket: optionalSetting({ flag: 'bucket', kind: 'string', configKey: 'bucket', metavar: 'NAME', help: 'S3 bucket for staging, output and logs (required; never created by the tool)' }),
  prefix: setting({ flag: 'prefix', kind: 'string', configKey: 'prefix', metavar: 'P', help: 'key prefix in the bucket', default: DEFAULT_PREFIX }),
  clusterId: optionalSetting({
    flag: 'cluster-id', kind: 'string', configKey: 'clusterId', metavar: 'j-XXX',
    help: 'add the steps to this existing cluster instead of creating one; it is left running, and a failed step only cancels this run\'s steps',
    validate: (v: string) => (/^j-[A-Z0-9]+$/.test(v) ? undefined : 'a cluster id like j-1ABCDEFGHIJKL'),
  }),
  releaseLabel: setting({
    flag: 'release-label', kind: 'string', configKey: 'releaseLabel', metavar: 'L', default: DEFAULT_RELEASE_LABEL,
    help: 'EMR release; its Spark must be the line pyspark/requirements.txt pins',
    validate: (v: string) => (/^emr-\d+\.\d+\.\d+$/.test(v) ? undefined : 'a label like emr-7.10.0'),
  }),
  masterInstanceType: setting({ flag: 'master-instance-type', kind: 'string', configKey: 'masterInstanceType', metavar: 'T', help: 'master node instance type', default: DEFAULT_INSTANCE_TYPE, validate: nonEmpty('an instance type') }),
  coreInstanceType: setting({ flag: 'core-instance-type', kind: 'string', configKey: 'coreInstanceType', metavar: 'T', help: 'core node instance type', default: DEFAULT_INSTANCE_TYPE, validate: nonEmpty('an instance type') }),
  coreInstanceCount: setting({
    flag: 'core-instance-count', kind: 'integer', configKey: 'coreInstanceCount', metavar: 'N', default: DEFAULT_CORE_INSTANCE_COUNT,
    help: 'core nodes; 0 = a single-node cluster (the job runs in one partition, so core nodes would idle); 2 = the original 1+2 shape',
    validate: (v: number) => (Number.isInteger(v) && v >= 0 && v <= 256 ? undefined : 'an integer from 0 to 256'),
  }),
  applications: setting({
    flag: 'application', kind: 'strings', configKey: 'applications', metavar: 'NAME', default: [...DEFAULT_APPLICATIONS] as string[],
    help: 'EMR applications (repeatable); must include Hadoop (s3-dist-cp, HDFS) and Spark',
    validate: (v: string[]) => (v.includes('Spark') && v.includes('Hadoop') ? undefined : 'a list that includes Hadoop and Spark'),
  }),
  serviceRole: setting({ flag: 'service-role', kind: 'string', configKey: 'serviceRole', metavar: 'R', help: 'EMR service role', default: DEFAULT_SERVICE_ROLE, validate: nonEmpty('a role name or ARN') }),
  jobFlowRole: setting({ flag: 'job-flow-role', kind: 'string', configKey: 'jobFlowRole', metavar: 'R', help: 'EC2 instance profile of the nodes', default: DEFAULT_JOB_FLOW_ROLE, validate: nonEmpty('an instance profile name or ARN') }),
  logUri: optionalSetting({
    flag: 'log-uri', kind: 'string', configKey: 'logUri', metavar: 'URI', defaultText: 's3://BUCKET/PREFIX/logs/',
    help: 'where EMR writes cluster and step logs',
    validate: (v: string) => (/^s3n?:\/\/[^/]+\//.test(v) ? undefined : 'an s3:// URI ending in a folder'),
  }),
  idleTimeoutSeconds: setting({
    flag: 'idle-timeout', kind: 'integer', configKey: 'idleTimeoutSeconds', metavar: 'S', default: DEFAULT_IDLE_TIMEOUT_SECONDS,
    help: 'auto-termination: an idle cluster ends itself after S seconds',
    validate: (v: number) => {
      const [min, max] = IDLE_TIMEOUT_RANGE;
      return Number.isInteger(v) && v >= min && v <= max ? undefined : `an integer from ${min} to ${max} (EMR's limits)`;
    },
  }),
  subnetId: optionalSetting({ flag: 'subnet-id', kind: 'string', configKey: 'subnetId', metavar: 'ID', help: 'EC2 subnet of the cluster', validate: nonEmpty('a subnet id') }),
  ec2KeyName: optionalSetting({ flag: 'ec2-key-name', kind: 'string', configKey: 'ec2KeyName', metavar: 'NAME', help: 'EC2 key pair for SSH to the nodes', validate: nonEmpty('a key pair name') }),
  tags: setting({
    flag: 'tag', kind: 'strings', configKey: 'tags', metavar: 'KEY=VALUE', default: [] as string[],
    help: 'an extra cluster tag (repeatable; the tool adds its own pricecast:* tags)',
    validate: (v: string[]) =>
      v.every((t) => /^[^=]+=/.test(t)) ? (v.some((t) => t.startsWith('pricecast:')) ? 'no pricecast:* keys (the tool sets those)' : undefined) : 'KEY=VALUE items',
  }),
  stepTimeoutMinutes: setting({
    flag: 'step-timeout', kind: 'number', configKey: 'stepTimeoutMinutes', metavar: 'M', default: DEFAULT_STEP_TIMEOUT_MINUTES,
    help: 'each step is killed after M minutes (`timeout` on the node), which fails it and ends the cluster even with no client watching',
    // `timeout` gets whole seconds (at least 1); at most a week, like the idle timeout.
    validate: (v: number) => (v * 60 >= 1 && v <= 10_080 ? undefined : 'minutes, at least 1/60 and at most 10080 (a week)'),
  }),
  sseAlgorithm: setting<'string', SseAlgorithm>({
    flag: 'sse', kind: 'string', configKey: 'sseAlgorithm', metavar: 'ALG', default: 'AES256', choices: SSE_ALGORITHMS,
    help: 'server-side encryption of every staged object',
  }),
  kmsKeyId: optionalSetting({ flag: 'kms-key-id', kind: 'string', configKey: 'kmsKeyId', metavar: 'ID', help: 'the KMS key (id, alias or ARN) for --sse aws:kms', validate: nonEmpty('a KMS key id') }),
  expectedBucketOwner: optionalSetting({
    flag: 'expected-bucket-owner', kind: 'string', configKey: 'expectedBucketOwner', metavar: 'ACCOUNT', defaultText: "the caller's own account (STS)",
    help: 'the account that must own the bucket, sent with every S3 call (S3 refuses a bucket of another owner)',
    validate: (v: string) => (/^\d{12}$/.test(v) ? undefined : 'a 12-digit AWS account id'),
  }),
  pollSeconds: setting({ flag: 'poll-seconds', kind: 'number', configKey: 'pollSeconds', metavar: 'S', help: 'how often to poll the cluster', default: DEFAULT_POLL_SECONDS, validate: isPositiveRule }),
  timeoutMinutes: setting({
    flag: 'timeout-minutes', kind: 'number', configKey: 'timeoutMinutes', metavar: 'M', default: DEFAULT_TIMEOUT_MINUTES, validate: isPositiveRule,
    help: 'give up (and terminate the cluster) after M minutes, AWS calls in flight included',
  }),
  maxConsecutiveErrors: setting({
    flag: 'max-api-errors', kind: 'integer', configKey: 'maxConsecutiveErrors', metavar: 'N', default: DEFAULT_MAX_CONSECUTIVE_ERRORS, validate: isPositiveIntegerRule,
    help: 'transient API errors in a row (throttling, 5xx, network, timeouts; each retried with backoff) before giving up',
  }),
  logWaitMinutes: setting({
    flag: 'log-wait-minutes', kind: 'number', configKey: 'logWaitMinutes', metavar: 'M', default: DEFAULT_LOG_WAIT_MINUTES,
    help: 'after a failed step, wait up to M minutes for EMR to copy its log to S3, then print the job\'s error from it',
    validate: (v: number) => (v >= 0 ? undefined : 'minutes, 0 or more'),
  }),
  requestTimeoutSeconds: setting({
    flag: 'request-timeout', kind: 'number', configKey: 'requestTimeoutSeconds', metavar: 'S', default: DEFAULT_REQUEST_TIMEOUT_SECONDS, validate: isPositiveRule,
    help: 'every AWS request fails (and is retried by the SDK) after S seconds without an answer',
  }),
  command: setting<'string', EmrCommand>({
    flag: 'command', kind: 'string', configKey: 'command', metavar: 'C', default: 'predict', choices: EMR_COMMANDS,
    help: "what runs on AWS: predict (the job's Spark-layout output) or experiment (the walk-forward job's results.json, compared with the engine's experiment)",
  }),
  // --command experiment: the experiment's own settings, as `pricecast experiment` declares them (the
  // train ratio is the job's --train-ratio above; the input reading is the job's too).
  experimentSets: setting({
    ...EXPERIMENT_SETTINGS.set,
    help: 'with --command experiment: a feature set to compare, NAME=SPEC[;regParam=λ] (repeatable, at least one: the job has no built-in ladder)',
  }),
  refitEvery: setting({ ...EXPERIMENT_SETTINGS.refitEvery, help: 'with --command experiment: refit the model every K test rows' }),
  target: setting({ ...EXPERIMENT_SETTINGS.target, help: "with --command experiment: what the model fits, price or return" }),
  script: setting({ flag: 'job-script', kind: 'string', configKey: 'files.script', metavar: 'FILE', help: 'the job to stage', default: DEFAULT_FILES.script, defaultText: relative(DEFAULT_FILES.script) }),
  experimentScript: setting({
    flag: 'experiment-script', kind: 'string', configKey: 'files.experimentScript', metavar: 'FILE',
    help: 'the walk-forward job to stage with --command experiment (it imports the --job-script)', default: DEFAULT_FILES.experimentScript, defaultText: relative(DEFAULT_FILES.experimentScript),
  }),
  bootstrap: setting({ flag: 'bootstrap-script', kind: 'string', configKey: 'files.bootstrap', metavar: 'FILE', help: 'the bootstrap action to stage', default: DEFAULT_FILES.bootstrap, defaultText: relative(DEFAULT_FILES.bootstrap) }),
  requirements: setting({ flag: 'requirements', kind: 'string', configKey: 'files.requirements', metavar: 'FILE', help: 'the pins whose pyspark line the release must match', default: DEFAULT_FILES.requirements, defaultText: relative(DEFAULT_FILES.requirements) }),
  wheelhouse: optionalSetting({
    flag: 'wheelhouse', kind: 'string', configKey: 'files.wheelhouse', metavar: 'DIR', defaultText: '.cache/wheelhouse, built by pyspark/wheelhouse.sh',
    help: 'the offline wheelhouse the bootstrap installs from (.whl files and a hash-pinned requirements.txt)',
  }),
  // EMR Serverless (src/emr/serverlessPlan.ts, docs/emr.md#emr-serverless): a job run instead of a cluster.
  serverless: setting({ flag: 'serverless', kind: 'boolean', configKey: 'serverless.enabled', default: false, help: 'run on EMR Serverless (a job run on an application) instead of a cluster' }),
  applicationId: optionalSetting({
    flag: 'application-id', kind: 'string', configKey: 'serverless.applicationId', metavar: 'ID', defaultText: 'a new application, stopped afterwards',
    help: 'reuse this EMR Serverless application (left as it is afterwards)',
    validate: (v: string) => (/^[0-9a-z]{16}$/.test(v) ? undefined : 'an application id of 16 lowercase letters and digits'),
  }),
  executionRoleArn: optionalSetting({
    flag: 'execution-role-arn', kind: 'string', configKey: 'serverless.executionRoleArn', metavar: 'ARN',
    help: 'the role the serverless job runs as (required with --serverless; docs/iam/serverless-execution-role.json)',
    validate: (v: string) => (/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(v) ? undefined : 'an IAM role ARN'),
  }),
  pythonArchive: optionalSetting({
    flag: 'python-archive', kind: 'string', configKey: 'serverless.pythonArchive', metavar: 'FILE',
    help: "the job's packed Python environment (.tar.gz, docs/emr.md#the-python-environment); required with --serverless",
  }),
  serverlessExecutors: setting({
    flag: 'serverless-executors', kind: 'integer', configKey: 'serverless.executors', metavar: 'N', default: 1,
    help: 'executors of the job run (4 vCPU and 16 GB each, like the driver)',
    validate: (v: number) => (Number.isInteger(v) && v >= 1 && v <= 1000 ? undefined : 'an integer from 1 to 1000'),
  }),
} satisfies SettingMap;

/** What `plan`, `stage` and `submit` take: the config file, the EMR settings and the job's. */
export const EMR_RUN_SETTINGS = { config: CONFIG_SETTING, ...EMR_SETTINGS, ...JOB_SETTINGS } satisfies SettingMap;
export type EmrRunValues = SettingValues<typeof EMR_RUN_SETTINGS>;
/** Values given in code (tests, library callers), by setting name; the rest come from the file or defaults. */
export type EmrFlags = Partial<Omit<EmrRunValues, 'config'>>;

/** Where `emr submit` and `emr fetch` download a run's output unless --output says otherwise. */
export const DEFAULT_FETCH_ROOT = join('out', 'emr');

export const RUN_ID_SETTING = optionalSetting({
  flag: 'run-id',
  kind: 'string',
  metavar: 'ID',
  help: 'run id (default: UTC time + random suffix); reusing one re-stages only changed files, and each attempt writes its own output folder',
  validate: (v: string) => (/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v) ? undefined : '1-64 letters, digits, dots, hyphens or underscores'),
});
const ALL_REQUEST_TIMEOUT = { requestTimeoutSeconds: EMR_SETTINGS.requestTimeoutSeconds };

/** plan and stage: the config file, every EMR and job setting, the run id. */
export const EMR_PLAN_SETTINGS = { ...EMR_RUN_SETTINGS, runId: RUN_ID_SETTING, help: HELP_SETTING } satisfies SettingMap;
export const EMR_SUBMIT_SETTINGS = {
  ...EMR_RUN_SETTINGS,
  runId: RUN_ID_SETTING,
  output: optionalSetting({ flag: 'output', kind: 'string', metavar: 'DIR', defaultText: `${DEFAULT_FETCH_ROOT}/RUN-ID`, help: 'local folder for the fetched output' }),
  skipCompare: setting({ flag: 'skip-compare', kind: 'boolean', default: false, help: 'do not run the local engine and compare after fetching' }),
  json: JSON_SETTING,
  help: HELP_SETTING,
} satisfies SettingMap;
export const EMR_FETCH_SETTINGS = {
  runId: optionalSetting({ ...RUN_ID_SETTING, help: 'the run (its files are under s3://BUCKET/PREFIX/runs/ID/); its latest attempt unless --attempt' }),
  attempt: optionalSetting({ ...RUN_ID_SETTING, flag: 'attempt', metavar: 'A', help: 'an earlier attempt of the run (each submit or stage is one; its plan says which)' }),
  // Not named `config`: the file is the run's whole EMR config, read with EMR_RUN_SETTINGS below.
  configFile: optionalSetting({ ...CONFIG_SETTING, help: "the run's EMR config file (for bucket, prefix, expectedBucketOwner); flags win" }),
  bucket: EMR_SETTINGS.bucket,
  prefix: EMR_SETTINGS.prefix,
  expectedBucketOwner: EMR_SETTINGS.expectedBucketOwner,
  ...ALL_REQUEST_TIMEOUT,
  outputUri: optionalSetting({
    flag: 'output-uri', kind: 'string', metavar: 'URI', help: 'any Spark-layout output folder in S3 instead of a run\'s',
    validate: (v: string) => (/^s3:\/\/[^/]+\//.test(v) ? undefined : 's3://BUCKET/KEY/'),
  }),
  output: optionalSetting({ flag: 'output', kind: 'string', metavar: 'DIR', defaultText: `${DEFAULT_FETCH_ROOT}/RUN-ID`, help: 'local folder; written atomically; an existing folder is replaced only if it holds an earlier pricecast output' }),
  compare: setting({ flag: 'compare', kind: 'boolean', default: false, help: 'run the local engine on the same input with the settings recorded in the output\'s _model.json, and print the parity report' }),
  input: optionalSetting({ flag: 'input', kind: 'string', metavar: 'FILE', defaultText: "the run's staged copy from S3", help: 'the input to compare with; must be the same bytes the cluster ran on' }),
  json: JSON_SETTING,
  help: HELP_SETTING,
} satisfies SettingMap;
export const EMR_LIST_SETTINGS = {
  all: setting({ flag: 'all', kind: 'boolean', default: false, help: 'include terminated clusters (EMR lists those for about two months)' }),
  ...ALL_REQUEST_TIMEOUT,
  json: JSON_SETTING,
  help: HELP_SETTING,
} satisfies SettingMap;
export const EMR_CLEANUP_SETTINGS = {
  all: setting({ flag: 'all', kind: 'boolean', default: false, help: 'also colleagues\' clusters (any creator)' }),
  yes: setting({ flag: 'yes', kind: 'boolean', default: false, help: 'do not ask (needed when there is no terminal to ask on)' }),
  dryRun: setting({ flag: 'dry-run', kind: 'boolean', default: false, help: 'only list what would be terminated' }),
  ...ALL_REQUEST_TIMEOUT,
  json: JSON_SETTING,
  help: HELP_SETTING,
} satisfies SettingMap;

// ---------------------------------------------------------------------------------------------------
// `forecast` with an s3:// --input or --output (src/forecast/s3Table.ts): the S3 settings the EMR
// commands use, under the forecast's own config keys.

export const FORECAST_S3_SETTINGS = {
  sseAlgorithm: setting({ ...EMR_SETTINGS.sseAlgorithm, configKey: 'forecast.s3.sseAlgorithm', help: 'server-side encryption of every object written to an s3:// --output' }),
  kmsKeyId: optionalSetting({ ...EMR_SETTINGS.kmsKeyId, configKey: 'forecast.s3.kmsKeyId' }),
  expectedBucketOwner: optionalSetting({ ...EMR_SETTINGS.expectedBucketOwner, configKey: 'forecast.s3.expectedBucketOwner', defaultText: 'none sent' }),
  requestTimeoutSeconds: setting({ ...EMR_SETTINGS.requestTimeoutSeconds, configKey: 'forecast.s3.requestTimeoutSeconds', help: 'every S3 request fails (and is retried by the SDK) after S seconds without an answer' }),
} satisfies SettingMap;

/** `pricecast forecast`'s whole settings table. */
export const FORECAST_COMMAND_SETTINGS = { ...FORECAST_SETTINGS, ...FORECAST_S3_SETTINGS } satisfies SettingMap;
