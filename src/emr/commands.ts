/**
 * `pricecast emr <plan|submit|fetch|list|cleanup>`: flags in, a stage of src/emr called, results
 * printed. Human output on stdout, progress and logs on stderr, `--json` for one JSON object on
 * stdout. Exit codes: 0 done, 1 a failure (failed step, parity outside tolerance, API error), 2 bad
 * usage or input, 130/143 interrupted by SIGINT/SIGTERM (after terminating the cluster).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError, UsageError } from '../engine/errors.js';
import type { SplitMode } from '../engine/types.js';
import { formatParityReport } from '../parity/compare.js';
import { PROJECT_ROOT } from '../parity/pyenv.js';
import { createClients } from './clients.js';
import { ACTIVE_CLUSTER_STATES, listManagedClusters, terminateClusters, TERMINABLE_CLUSTER_STATES } from './clusters.js';
import {
  checkBucketName,
  checkRunId,
  DEFAULT_POLL_SECONDS,
  DEFAULT_PREFIX,
  DEFAULT_RELEASE_LABEL,
  DEFAULT_TIMEOUT_MINUTES,
  joinKey,
  loadEmrConfig,
  newRunId,
  type EmrConfig,
  type EmrFlags,
} from './config.js';
import { compareRun, downloadPrefix, readManifest } from './fetch.js';
import { planRun, type EmrPlan, type RunManifest } from './plan.js';
import { localFileFacts } from './stage.js';
import { submitRun } from './submit.js';

export interface EmrIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

const DEFAULT_INPUT = join(PROJECT_ROOT, 'fixtures', 'default.csv');
const DEFAULT_FETCH_ROOT = join('out', 'emr');

const EMR_HELP = `pricecast emr: run the reference PySpark job on AWS EMR, always clean up, compare with the engine

Usage:
  pricecast emr plan [options]      print the S3 uploads and the RunJobFlow request (dry run, no AWS calls)
  pricecast emr submit [options]    stage, run the cluster, wait, fetch the output, compare with the engine
  pricecast emr fetch --run-id ID   download a run's output; --compare runs the engine and compares
  pricecast emr list                this tool's clusters (tagged pricecast:managed=true)
  pricecast emr cleanup             terminate this tool's clusters that are still running

Credentials, profile and region come from the AWS SDK's default chain (AWS_PROFILE, AWS_REGION,
~/.aws/config, SSO, instance role). AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_EMR
point the SDK at other endpoints. Run 'pricecast emr <command> --help' for a command's options.`;

const RUN_OPTIONS_HELP = `Options (flags override the --config file; the file's keys are the names in brackets):
  --config FILE            JSON config file (see the README's EMR section for an example)
  --bucket NAME            S3 bucket for staging, output and logs (required) [bucket]
  --prefix P               key prefix in the bucket (default ${DEFAULT_PREFIX}) [prefix]
  --input FILE             daily CSV to run on (default: the bundled fixtures/default.csv) [job.input]
  --seed N                 randomSplit seed (default 42) [job.seed]
  --split random|time      (default random) [job.split]
  --train-ratio R          (default 0.7) [job.trainRatio]
  --run-id ID              run id (default: UTC time + random suffix); reusing one re-stages only
                           changed files
  --cluster-id j-XXX       add the steps to this existing cluster instead of creating one; it is left
                           running, and a failed step only cancels this run's steps [clusterId]
  --release-label L        EMR release (default ${DEFAULT_RELEASE_LABEL}, Spark 3.5.5 as pinned) [releaseLabel]
  --master-instance-type T (default m5.xlarge) [masterInstanceType]
  --core-instance-type T   (default m5.xlarge) [coreInstanceType]
  --core-instance-count N  (default 2) [coreInstanceCount]
  --service-role R         (default EMR_DefaultRole) [serviceRole]
  --job-flow-role R        EC2 instance profile (default EMR_EC2_DefaultRole) [jobFlowRole]
  --log-uri URI            (default s3://BUCKET/PREFIX/logs/) [logUri]
  --idle-timeout S         auto-termination idle timeout in seconds (default 3600) [idleTimeoutSeconds]
  --subnet-id ID           [subnetId]     --ec2-key-name NAME   [ec2KeyName]
  Config file only: applications (default Hadoop, Spark, Livy), tags, files.script / files.bootstrap /
  files.requirements (default pyspark/price_regression.py, bootstrap.sh, requirements.txt)`;

const PLAN_HELP = `pricecast emr plan: the exact uploads and EMR request of a run, as JSON (no AWS calls, no credentials)

Usage: pricecast emr plan --bucket NAME [options]

${RUN_OPTIONS_HELP}
  -h, --help               this help`;

const SUBMIT_HELP = `pricecast emr submit: stage to S3, run on EMR, wait, fetch the output and compare with the engine

Usage: pricecast emr submit --bucket NAME [options]

Creates a cluster (tagged pricecast:managed=true and pricecast:run=ID) with a bootstrap action and three
steps: s3-dist-cp the data into HDFS, spark-submit the job, s3-dist-cp the output back. The cluster ends
itself after the last step (KeepJobFlowAliveWhenNoSteps=false) or when idle (auto-termination); a
failed step terminates it. On a failed step, an API error while waiting, a timeout, Ctrl-C or SIGTERM
this command terminates the cluster it created before it exits non-zero.

${RUN_OPTIONS_HELP}
  --output DIR             local folder for the fetched output (default ${DEFAULT_FETCH_ROOT}/RUN-ID)
  --skip-compare           do not run the local engine and compare after fetching
  --poll-seconds S         how often to poll the cluster (default ${DEFAULT_POLL_SECONDS}) [pollSeconds]
  --timeout-minutes M      give up (and terminate) after this long (default ${DEFAULT_TIMEOUT_MINUTES}) [timeoutMinutes]
  --json                   print the outcome as one JSON object on stdout
  -h, --help               this help

Exit codes: 0 done and within parity tolerance, 1 a failure or parity outside tolerance, 2 bad usage,
130/143 interrupted (the cluster was terminated first).`;

const FETCH_HELP = `pricecast emr fetch: download a run's output folder from S3; --compare checks it against the engine

Usage: pricecast emr fetch --run-id ID --bucket NAME [--prefix P] [--config FILE] [--output DIR]
                          [--compare [--input FILE]] [--json]
       pricecast emr fetch --output-uri s3://BUCKET/KEY/ [--output DIR] [--compare --input FILE]

Options:
  --run-id ID          the run (its files are under s3://BUCKET/PREFIX/runs/ID/)
  --bucket, --prefix, --config   where the run is (as for submit)
  --output-uri URI     any Spark-layout output folder in S3 instead of a run's
  --output DIR         local folder (default ${DEFAULT_FETCH_ROOT}/RUN-ID); written atomically; an existing
                       folder is replaced only if it holds an earlier pricecast output
  --compare            run the local engine on the same input with the seed, split and ratio recorded in
                       the output's _model.json, and print the parity report
  --input FILE         the input to compare with (default: the run's staged copy from S3); must be the
                       same bytes the cluster ran on
  --json               print the outcome as one JSON object
  -h, --help           this help

Exit codes: 0 done (and within tolerance), 1 parity outside tolerance or a failure, 2 bad usage.`;

const LIST_HELP = `pricecast emr list: this tool's clusters (tagged pricecast:managed=true)

Usage: pricecast emr list [--all] [--json]

Options:
  --all        include terminated clusters (EMR lists those for about two months)
  --json       one JSON array on stdout
  -h, --help   this help`;

const CLEANUP_HELP = `pricecast emr cleanup: terminate this tool's clusters that are still running

Usage: pricecast emr cleanup [--dry-run] [--json]

Finds clusters tagged pricecast:managed=true in STARTING, BOOTSTRAPPING, RUNNING or WAITING and
terminates them. Clusters without the tag are never touched.

Options:
  --dry-run    only list what would be terminated
  --json       one JSON object on stdout
  -h, --help   this help`;

const RUN_FLAGS = {
  config: { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  input: { type: 'string' },
  seed: { type: 'string' },
  split: { type: 'string' },
  'train-ratio': { type: 'string' },
  'run-id': { type: 'string' },
  'cluster-id': { type: 'string' },
  'release-label': { type: 'string' },
  'master-instance-type': { type: 'string' },
  'core-instance-type': { type: 'string' },
  'core-instance-count': { type: 'string' },
  'service-role': { type: 'string' },
  'job-flow-role': { type: 'string' },
  'log-uri': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'subnet-id': { type: 'string' },
  'ec2-key-name': { type: 'string' },
  'poll-seconds': { type: 'string' },
  'timeout-minutes': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type RunFlagValues = { [K in keyof typeof RUN_FLAGS]?: (typeof RUN_FLAGS)[K]['type'] extends 'string' ? string : boolean };

function integerFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${name}: expected an integer, got "${text}"`);
  }
  return Number(text);
}

function numberFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name}: expected a number, got "${text}"`);
  return value;
}

function splitFlag(text: string | undefined): SplitMode | undefined {
  if (text === undefined || text === 'random' || text === 'time') return text;
  throw new UsageError(`--split: expected "random" or "time", got "${text}"`);
}

function flagsFrom(values: RunFlagValues): EmrFlags {
  return {
    bucket: values.bucket,
    prefix: values.prefix,
    input: values.input,
    seed: integerFlag('seed', values.seed),
    split: splitFlag(values.split),
    trainRatio: numberFlag('train-ratio', values['train-ratio']),
    clusterId: values['cluster-id'],
    releaseLabel: values['release-label'],
    masterInstanceType: values['master-instance-type'],
    coreInstanceType: values['core-instance-type'],
    coreInstanceCount: integerFlag('core-instance-count', values['core-instance-count']),
    serviceRole: values['service-role'],
    jobFlowRole: values['job-flow-role'],
    logUri: values['log-uri'],
    idleTimeoutSeconds: integerFlag('idle-timeout', values['idle-timeout']),
    subnetId: values['subnet-id'],
    ec2KeyName: values['ec2-key-name'],
    pollSeconds: numberFlag('poll-seconds', values['poll-seconds']),
    timeoutMinutes: numberFlag('timeout-minutes', values['timeout-minutes']),
  };
}

/** Config + local file facts → the plan. Reads the four local files (sha256, size); no AWS calls. */
async function buildPlan(values: RunFlagValues, io: EmrIo): Promise<{ config: EmrConfig; plan: EmrPlan; warnings: string[] }> {
  const { config, warnings } = loadEmrConfig({ configFile: values.config, flags: flagsFrom(values), defaultInput: DEFAULT_INPUT });
  if (!existsSync(config.job.input)) throw new UsageError(`--input: no such file: ${config.job.input}`);
  for (const warning of warnings) io.stderr.write(`pricecast emr: warning: ${warning}\n`);
  const runId = values['run-id'] !== undefined ? checkRunId(values['run-id']) : newRunId(new Date(), randomBytes(2).toString('hex'));
  const files = {
    input: await localFileFacts(config.job.input),
    script: await localFileFacts(config.files.script),
    bootstrap: await localFileFacts(config.files.bootstrap),
    requirements: await localFileFacts(config.files.requirements),
  };
  return { config, plan: planRun(config, runId, files), warnings };
}

async function planCommand(argv: string[], io: EmrIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: RUN_FLAGS, allowPositionals: false });
  if (values.help) return help(io, PLAN_HELP);
  const { plan, warnings } = await buildPlan(values, io);
  const printable = {
    runId: plan.runId,
    uploads: plan.uploads.map((u) => ({
      uri: u.uri,
      from: u.localPath ?? '(generated run manifest)',
      sha256: u.sha256,
      size: u.size,
      serverSideEncryption: 'AES256',
      checksumAlgorithm: 'SHA256',
    })),
    ...(plan.runJobFlow !== null ? { runJobFlow: plan.runJobFlow } : { addJobFlowSteps: plan.addJobFlowSteps }),
    outputUri: plan.layout.outputUri,
    warnings,
  };
  io.stdout.write(`${JSON.stringify(printable, null, 2)}\n`);
  return 0;
}

/** Ctrl-C / SIGTERM → an AbortSignal whose reason is the signal's name; the handlers are removed by `dispose`. */
function signalController(io: EmrIo): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.stderr.write(`\n${name}: still cleaning up, please wait…\n`);
      return;
    }
    io.stderr.write(`\n${name}: stopping; terminating the cluster this run created…\n`);
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** A live progress line: rewritten in place on a terminal, printed when it changes otherwise. */
function progressWriter(io: EmrIo): { write(line: string): void; end(): void } {
  let lastState = '';
  let onTerminal = false;
  return {
    write(line) {
      if (io.stderr.isTTY) {
        io.stderr.write(`\r\x1b[K${line}`);
        onTerminal = true;
        return;
      }
      const state = line.replace(/^\S+ /, ''); // without the elapsed time
      if (state !== lastState) io.stderr.write(`${line}\n`);
      lastState = state;
    },
    end() {
      if (onTerminal) io.stderr.write('\n');
      onTerminal = false;
    },
  };
}

async function submitCommand(argv: string[], io: EmrIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...RUN_FLAGS, output: { type: 'string' }, 'skip-compare': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    allowPositionals: false,
  });
  if (values.help) return help(io, SUBMIT_HELP);
  const { config, plan } = await buildPlan(values, io);
  const outputDir = values.output ?? join(DEFAULT_FETCH_ROOT, plan.runId);
  const { s3, emr } = createClients();
  const signals = signalController(io);
  const progress = progressWriter(io);
  const log = (line: string) => {
    progress.end();
    io.stderr.write(`${line}\n`);
  };
  log(`run ${plan.runId}: s3://${config.bucket}/${plan.layout.runKey}/`);
  try {
    const outcome = await submitRun(
      { config, plan, outputDir, compare: !values['skip-compare'] },
      { s3, emr, signal: signals.signal, log, progress: (line) => progress.write(line) },
    );
    progress.end();
    if (outcome.stderrTail !== null) {
      io.stderr.write(`${outcome.stderrTail.note}${outcome.stderrTail.text !== null ? ':' : ''}\n`);
      if (outcome.stderrTail.text !== null) io.stderr.write(`${indent(outcome.stderrTail.text)}\n`);
    }
    if (values.json) {
      io.stdout.write(
        `${JSON.stringify({
          runId: plan.runId,
          exitCode: outcome.exitCode,
          clusterId: outcome.clusterId,
          createdCluster: outcome.createdCluster,
          terminated: outcome.terminated,
          status: outcome.wait?.status ?? null,
          message: outcome.wait?.message ?? null,
          stderrTail: outcome.stderrTail,
          outputDir: outcome.outputDir,
          parity: outcome.parity?.report ?? null,
        })}\n`,
      );
    } else if (outcome.parity !== null) {
      io.stdout.write(`run ${plan.runId} on ${outcome.clusterId}: output in ${outcome.outputDir}\n`);
      io.stdout.write(formatParityReport(outcome.parity.report));
    } else if (outcome.exitCode === 0) {
      io.stdout.write(`run ${plan.runId} on ${outcome.clusterId}: output in ${outcome.outputDir}\n`);
    } else {
      io.stdout.write(`run ${plan.runId} failed: ${outcome.wait?.message ?? 'see above'}\n`);
    }
    return outcome.exitCode;
  } finally {
    progress.end();
    signals.dispose();
  }
}

function indent(text: string): string {
  return text.split('\n').map((line) => `  | ${line}`).join('\n');
}

async function fetchCommand(argv: string[], io: EmrIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      'run-id': { type: 'string' },
      'output-uri': { type: 'string' },
      output: { type: 'string' },
      compare: { type: 'boolean', default: false },
      input: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return help(io, FETCH_HELP);
  if (values.input !== undefined && !existsSync(values.input)) throw new UsageError(`--input: no such file: ${values.input}`);
  const { s3 } = createClients();
  let manifest: RunManifest | null = null;
  let outputUri: string;
  let defaultName: string;
  if (values['output-uri'] !== undefined) {
    if (values['run-id'] !== undefined) throw new UsageError('give --run-id or --output-uri, not both');
    outputUri = values['output-uri'];
    if (!/^s3:\/\/[^/]+\//.test(outputUri)) throw new UsageError(`--output-uri: expected s3://BUCKET/KEY/, got "${outputUri}"`);
    defaultName = outputUri.replace(/\/+$/, '').split('/').pop() ?? 'output';
  } else {
    if (values['run-id'] === undefined) throw new UsageError('--run-id is required (or --output-uri)');
    const runId = checkRunId(values['run-id']);
    const { config } = loadEmrConfig({ configFile: values.config, flags: { bucket: values.bucket, prefix: values.prefix } });
    checkBucketName(config.bucket);
    manifest = await readManifest(s3, config.bucket, joinKey(config.prefix, 'runs', runId));
    outputUri = manifest.outputUri;
    defaultName = runId;
  }
  const outputDir = values.output ?? join(DEFAULT_FETCH_ROOT, defaultName);
  const downloaded = await downloadPrefix(s3, outputUri, outputDir, (line) => io.stderr.write(`${line}\n`));
  if (!values.compare) {
    if (values.json) io.stdout.write(`${JSON.stringify({ outputUri, outputDir: downloaded.dir, files: downloaded.files })}\n`);
    else io.stdout.write(`fetched ${outputUri} into ${downloaded.dir} (${downloaded.files.join(', ')})\n`);
    return 0;
  }
  io.stderr.write('compare: running the local engine on the same input, seed and split…\n');
  const compared = await compareRun(s3, downloaded.dir, manifest, values.input ?? null);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ outputUri, outputDir: downloaded.dir, files: downloaded.files, parity: compared.report })}\n`);
  } else {
    io.stdout.write(`fetched ${outputUri} into ${downloaded.dir}\n`);
    io.stdout.write(formatParityReport(compared.report));
  }
  return compared.report.ok ? 0 : 1;
}

async function listCommand(argv: string[], io: EmrIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return help(io, LIST_HELP);
  const { emr } = createClients();
  const clusters = await listManagedClusters(emr, { states: values.all ? undefined : ACTIVE_CLUSTER_STATES });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(clusters)}\n`);
    return 0;
  }
  if (clusters.length === 0) {
    io.stdout.write(values.all ? 'no pricecast clusters\n' : 'no running pricecast clusters (--all shows terminated ones)\n');
    return 0;
  }
  io.stdout.write(`${'cluster'.padEnd(17)}${'state'.padEnd(24)}${'run'.padEnd(24)}${'created'.padEnd(26)}norm. inst. hours\n`);
  for (const c of clusters) {
    io.stdout.write(
      `${c.id.padEnd(17)}${c.state.padEnd(24)}${(c.runId ?? '-').padEnd(24)}${(c.created ?? '-').padEnd(26)}${c.normalizedInstanceHours ?? '-'}\n`,
    );
  }
  return 0;
}

async function cleanupCommand(argv: string[], io: EmrIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return help(io, CLEANUP_HELP);
  const { emr } = createClients();
  const clusters = await listManagedClusters(emr, { states: TERMINABLE_CLUSTER_STATES });
  const ids = clusters.map((c) => c.id);
  if (!values['dry-run']) await terminateClusters(emr, ids);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ dryRun: values['dry-run'], clusters: ids })}\n`);
  } else if (ids.length === 0) {
    io.stdout.write('no running pricecast clusters; nothing to terminate\n');
  } else {
    const verb = values['dry-run'] ? 'would terminate' : 'terminated';
    for (const c of clusters) io.stdout.write(`${verb} ${c.id} (${c.state}, run ${c.runId ?? '-'})\n`);
  }
  return 0;
}

function help(io: EmrIo, text: string): number {
  io.stdout.write(`${text}\n`);
  return 0;
}

export async function runEmrCommand(argv: string[], io: EmrIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'plan':
        return await planCommand(rest, io);
      case 'submit':
        return await submitCommand(rest, io);
      case 'fetch':
        return await fetchCommand(rest, io);
      case 'list':
        return await listCommand(rest, io);
      case 'cleanup':
        return await cleanupCommand(rest, io);
      case undefined:
        io.stderr.write(`${EMR_HELP}\n`);
        return 2;
      case 'help':
      case '--help':
      case '-h':
        return help(io, EMR_HELP);
      default:
        throw new UsageError(`unknown emr command "${command}" (expected plan, submit, fetch, list or cleanup)`);
    }
  } catch (error) {
    return reportEmrError(error, io);
  }
}

function reportEmrError(error: unknown, io: EmrIo): number {
  if (error instanceof UsageError || error instanceof InputError) {
    io.stderr.write(`pricecast emr: ${error.message}\n`);
    return 2;
  }
  const code = (error as { code?: string } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`pricecast emr: ${(error as Error).message} (see --help)\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  const hint = /region is missing/i.test(message)
    ? ' (set AWS_REGION or a region in your AWS profile; the tool takes the region from the SDK chain only)'
    : /credential/i.test(message)
      ? ' (the tool uses the AWS SDK default credential chain: AWS_PROFILE, environment, SSO, instance role)'
      : '';
  io.stderr.write(`pricecast emr: ${message}${hint}\n`);
  if (process.env.PRICECAST_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
  return 1;
}

