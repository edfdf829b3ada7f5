/**
 * `pricecast emr <plan|stage|submit|fetch|list|cleanup>`: flags in, a stage of src/emr called, results
 * printed. Human output on stdout, progress and logs on stderr, `--json` for one JSON object on
 * stdout (on failure too). Exit codes: 0 done, 1 a failure (failed step, parity outside tolerance, API
 * error, --timeout-minutes), 2 bad usage or input, 130/143 interrupted by SIGINT/SIGTERM (after
 * terminating the cluster).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError, UsageError } from '../engine/errors.js';
import type { SplitMode } from '../engine/types.js';
import { formatParityReport } from '../parity/compare.js';
import { DEFAULT_INPUT } from '../settings.js';
import { PROJECT_ROOT } from '../parity/pyenv.js';
import { callerIdentity, createClients, expectBucketOwner, type AwsClients } from './clients.js';
import {
  ACTIVE_CLUSTER_STATES,
  cleanupTargets,
  listManagedClusters,
  terminateClusters,
  TERMINABLE_CLUSTER_STATES,
} from './clusters.js';
import {
  checkBucketName,
  checkRunId,
  DEFAULT_POLL_SECONDS,
  DEFAULT_PREFIX,
  DEFAULT_RELEASE_LABEL,
  DEFAULT_TIMEOUT_MINUTES,
  DEFAULT_STEP_TIMEOUT_MINUTES,
  DEFAULT_MAX_CONSECUTIVE_ERRORS,
  DEFAULT_LOG_WAIT_MINUTES,
  DEFAULT_REQUEST_TIMEOUT_SECONDS,
  joinKey,
  loadEmrConfig,
  newRunId,
  type EmrConfig,
  type EmrFlags,
  type SseAlgorithm,
} from './config.js';
import { compareRun, downloadPrefix, readManifest } from './fetch.js';
import { planRun, s3Uri, type EmrPlan, type RunManifest } from './plan.js';
import { checkBucket, localFileFacts, stageUploads } from './stage.js';
import { SIGNAL_EXIT_CODES, submitRun } from './submit.js';
import { DEADLINE_REASON } from './wait.js';
import { ensureWheelhouse, wheelhouseFiles } from './wheelhouse.js';

export interface EmrIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  /** Asks a yes/no question; absent = no terminal to ask on (default: process.stdin when it is a TTY). */
  confirm?: (question: string) => Promise<boolean>;
}

const DEFAULT_FETCH_ROOT = join('out', 'emr');

const EMR_HELP = `pricecast emr: run the reference PySpark job on AWS EMR, always clean up, compare with the engine

Usage:
  pricecast emr plan [options]      print the S3 uploads and the RunJobFlow request (dry run, no AWS calls)
  pricecast emr stage [options]     upload only; print the plan with its run id (for the Airflow DAG)
  pricecast emr submit [options]    stage, run the cluster, wait, fetch the output, compare with the engine
  pricecast emr fetch --run-id ID   download a run's output; --compare runs the engine and compares
  pricecast emr list                this tool's clusters (tagged pricecast:managed=true)
  pricecast emr cleanup             terminate your own clusters of this tool that are still running

Credentials, profile and region come from the AWS SDK's default chain (AWS_PROFILE, AWS_REGION,
~/.aws/config, SSO, instance role). AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_EMR
point the SDK at other endpoints. Run 'pricecast emr <command> --help' for a command's options.`;

const RUN_OPTIONS_HELP = `Options (flags override the --config file; the file's keys are the names in brackets):
  --config FILE            JSON config file (see the README's EMR section for an example)
  --bucket NAME            S3 bucket for staging, output and logs (required) [bucket]
  --prefix P               key prefix in the bucket (default ${DEFAULT_PREFIX}) [prefix]
  --input FILE             daily CSV to run on (default: the bundled fixtures/algorand.csv) [job.input]
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
  --core-instance-count N  core nodes; 0 = a single-node cluster (default 0: the job runs in one
                           partition; 2 gives the original 1+2 shape) [coreInstanceCount]
  --service-role R         (default EMR_DefaultRole) [serviceRole]
  --job-flow-role R        EC2 instance profile (default EMR_EC2_DefaultRole) [jobFlowRole]
  --log-uri URI            (default s3://BUCKET/PREFIX/logs/) [logUri]
  --idle-timeout S         auto-termination idle timeout in seconds (default 3600) [idleTimeoutSeconds]
  --subnet-id ID           [subnetId]     --ec2-key-name NAME   [ec2KeyName]
  --step-timeout M         each step is killed after M minutes (\`timeout\` on the node), which fails it
                           and ends the cluster even with no client watching (default ${DEFAULT_STEP_TIMEOUT_MINUTES}) [stepTimeoutMinutes]
  --sse AES256|aws:kms     server-side encryption of staged objects (default AES256) [sseAlgorithm]
  --kms-key-id ID          KMS key (id, alias or ARN) for --sse aws:kms [kmsKeyId]
  --expected-bucket-owner ACCOUNT   the bucket's owning account, sent on every S3 call (default: the
                           caller's own account, from STS) [expectedBucketOwner]
  --request-timeout S      every AWS request fails (and is retried) after S seconds without an answer
                           (default ${DEFAULT_REQUEST_TIMEOUT_SECONDS}) [requestTimeoutSeconds]
  Config file only: applications (default Hadoop, Spark, Livy), tags, files.script / files.bootstrap /
  files.requirements / files.wheelhouse (default pyspark/price_regression.py, bootstrap.sh,
  requirements.txt, and the wheelhouse pyspark/wheelhouse.sh builds in .cache/wheelhouse)`;

const PLAN_HELP = `pricecast emr plan: the exact uploads and EMR request of a run, as JSON (no AWS calls, no credentials)

Usage: pricecast emr plan --bucket NAME [options]

Also prints an hourly cost estimate of the cluster (prices from a dated table in src/emr/cost.ts).
The first run builds the offline wheelhouse (pip download, needs PyPI; cached in .cache/wheelhouse).

${RUN_OPTIONS_HELP}
  -h, --help               this help`;

const STAGE_HELP = `pricecast emr stage: upload a run's files to S3 and print its plan (with the run id) as JSON

Usage: pricecast emr stage --bucket NAME [options]

What the Airflow DAG (airflow/dags/pricecast_emr.py) runs first: the plan it prints carries the
RunJobFlow request (tagged with your STS caller ARN) and the run id that 'emr fetch' takes.

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
  --timeout-minutes M      give up (and terminate) after this long, AWS calls in flight included
                           (default ${DEFAULT_TIMEOUT_MINUTES}) [timeoutMinutes]
  --max-api-errors N       transient API errors in a row (throttling, 5xx, network, timeouts; each
                           retried with backoff) before giving up (default ${DEFAULT_MAX_CONSECUTIVE_ERRORS}) [maxConsecutiveErrors]
  --log-wait-minutes M     after a failed step, wait up to M minutes for EMR to copy its log to S3,
                           then print the job's error from it (default ${DEFAULT_LOG_WAIT_MINUTES}) [logWaitMinutes]
  --json                   print the outcome as one JSON object on stdout (on failure too)
  -h, --help               this help

Exit codes: 0 done and within parity tolerance, 1 a failure or parity outside tolerance, 2 bad usage,
130/143 interrupted (the cluster was terminated first).`;

const FETCH_HELP = `pricecast emr fetch: download a run's output folder from S3; --compare checks it against the engine

Usage: pricecast emr fetch --run-id ID --bucket NAME [--prefix P] [--config FILE] [--output DIR]
                          [--attempt A] [--compare [--input FILE]] [--json]
       pricecast emr fetch --output-uri s3://BUCKET/KEY/ [--output DIR] [--compare --input FILE]

Options:
  --run-id ID          the run (its files are under s3://BUCKET/PREFIX/runs/ID/); its latest attempt
  --attempt A          an earlier attempt of the run (each submit or stage is one; see its plan)
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

const CLEANUP_HELP = `pricecast emr cleanup: terminate your clusters of this tool that are still running

Usage: pricecast emr cleanup [--all] [--yes] [--dry-run] [--json]

Finds clusters tagged pricecast:managed=true in STARTING, BOOTSTRAPPING, RUNNING or WAITING whose
pricecast:creator tag is your STS caller ARN, lists them and asks before terminating them. Clusters
without the tag are never touched.

Options:
  --all        also colleagues' clusters (any creator)
  --yes        do not ask (needed when there is no terminal to ask on)
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
  'step-timeout': { type: 'string' },
  'max-api-errors': { type: 'string' },
  'log-wait-minutes': { type: 'string' },
  'request-timeout': { type: 'string' },
  sse: { type: 'string' },
  'kms-key-id': { type: 'string' },
  'expected-bucket-owner': { type: 'string' },
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
    stepTimeoutMinutes: numberFlag('step-timeout', values['step-timeout']),
    maxConsecutiveErrors: integerFlag('max-api-errors', values['max-api-errors']),
    logWaitMinutes: numberFlag('log-wait-minutes', values['log-wait-minutes']),
    requestTimeoutSeconds: numberFlag('request-timeout', values['request-timeout']),
    sseAlgorithm: values.sse as SseAlgorithm | undefined,
    kmsKeyId: values['kms-key-id'],
    expectedBucketOwner: values['expected-bucket-owner'],
  };
}

function loadRunConfig(values: RunFlagValues, io: EmrIo): EmrConfig {
  const { config, warnings } = loadEmrConfig({ configFile: values.config, flags: flagsFrom(values), defaultInput: DEFAULT_INPUT });
  if (!existsSync(config.job.input)) throw new UsageError(`--input: no such file: ${config.job.input}`);
  for (const warning of warnings) io.stderr.write(`pricecast emr: warning: ${warning}\n`);
  return config;
}

/**
 * Config + local file facts → the plan. Reads the local files (sha256, size) and builds the wheelhouse
 * on first use; no AWS calls. Each call is a new attempt (its own output folder).
 */
async function buildPlan(
  config: EmrConfig,
  values: RunFlagValues,
  io: EmrIo,
  creatorArn: string | null,
): Promise<EmrPlan> {
  const runId = values['run-id'] !== undefined ? checkRunId(values['run-id']) : newRunId(new Date(), randomBytes(2).toString('hex'));
  const attemptId = newRunId(new Date(), randomBytes(2).toString('hex'));
  const wheelhouseDir = config.files.wheelhouse ?? (await ensureWheelhouse({ log: (chunk) => io.stderr.write(chunk) }));
  const files = {
    input: await localFileFacts(config.job.input),
    script: await localFileFacts(config.files.script),
    bootstrap: await localFileFacts(config.files.bootstrap),
    wheelhouse: await wheelhouseFiles(wheelhouseDir),
  };
  return planRun(config, { runId, attemptId, creatorArn }, files);
}

/** The plan as printed by `plan` and `stage`: every upload with its local source, the request, the cost. */
function printablePlan(config: EmrConfig, plan: EmrPlan, extra: Record<string, unknown> = {}) {
  return {
    runId: plan.runId,
    attemptId: plan.layout.attemptId,
    uploads: plan.uploads.map((u) => ({
      role: u.role,
      uri: u.uri,
      from: u.localPath ?? '(generated run manifest)',
      sha256: u.sha256,
      size: u.size,
      serverSideEncryption: config.sseAlgorithm,
      ...(config.kmsKeyId !== null ? { kmsKeyId: config.kmsKeyId } : {}),
      checksumAlgorithm: 'SHA256',
    })),
    ...(plan.runJobFlow !== null ? { runJobFlow: plan.runJobFlow } : { addJobFlowSteps: plan.addJobFlowSteps }),
    stepIds: null as string[] | null,
    outputUri: plan.layout.outputUri,
    manifestUri: plan.layout.manifestUri,
    ...(plan.cost !== null ? { hourlyCostEstimate: plan.cost } : {}),
    ...extra,
  };
}

/**
 * Clients for a command that talks to AWS: bound to `signal`, with the request timeout, and with the
 * expected bucket owner (given, or the caller's own account from STS) on every S3 call. Returns the
 * caller's ARN for the creator tag.
 */
async function connect(config: Pick<EmrConfig, 'requestTimeoutSeconds' | 'expectedBucketOwner'>, signal: AbortSignal) {
  const clients = createClients({ signal, requestTimeoutSeconds: config.requestTimeoutSeconds });
  const caller = await callerIdentity(clients.sts);
  expectBucketOwner(clients.s3, config.expectedBucketOwner ?? caller.account);
  return { clients, caller };
}

async function planCommand(argv: string[], io: EmrIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: RUN_FLAGS, allowPositionals: false });
  if (values.help) return help(io, PLAN_HELP);
  const config = loadRunConfig(values, io);
  const plan = await buildPlan(config, values, io, null);
  const printable = printablePlan(config, plan, {
    note: 'no AWS calls were made: submit and stage also tag the cluster with your STS caller ARN (pricecast:creator)',
  });
  io.stdout.write(`${JSON.stringify(printable, null, 2)}\n`);
  if (plan.cost !== null) {
    const perHour = plan.cost.usdPerHour === null ? 'unknown' : `$${plan.cost.usdPerHour.toFixed(3)}/h`;
    io.stderr.write(`pricecast emr: estimated cluster cost ${perHour} (${plan.cost.note})\n`);
  }
  return 0;
}

async function stageCommand(argv: string[], io: EmrIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: RUN_FLAGS, allowPositionals: false });
  if (values.help) return help(io, STAGE_HELP);
  const config = loadRunConfig(values, io);
  const run = runSignal(io, config.timeoutMinutes);
  try {
    const { clients, caller } = await connect(config, run.signal);
    const plan = await buildPlan(config, values, io, caller.arn);
    await checkBucket(clients.s3, config.bucket);
    const staged = await stageUploads(clients.s3, plan.uploads, {
      encryption: { algorithm: config.sseAlgorithm, kmsKeyId: config.kmsKeyId },
      log: (line) => io.stderr.write(`${line}\n`),
    });
    const uploaded = staged.filter((s) => s.action === 'uploaded').length;
    io.stderr.write(`staged run ${plan.runId} attempt ${plan.layout.attemptId}: ${uploaded} uploaded, ${staged.length - uploaded} unchanged\n`);
    io.stdout.write(`${JSON.stringify(printablePlan(config, plan, { creator: caller.arn }), null, 2)}\n`);
    return 0;
  } finally {
    run.dispose();
  }
}

/**
 * Ctrl-C / SIGTERM → an AbortSignal whose reason is the signal's name; with `timeoutMinutes`, the
 * deadline aborts it too (reason DEADLINE_REASON). Every AWS call of the command carries it (clients.ts).
 * The handlers and the timer are removed by `dispose`.
 */
function runSignal(io: EmrIo, timeoutMinutes?: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const deadline =
    timeoutMinutes !== undefined
      ? setTimeout(() => {
          if (controller.signal.aborted) return;
          io.stderr.write(`\n--timeout-minutes ${timeoutMinutes} reached: stopping…\n`);
          controller.abort(DEADLINE_REASON);
        }, timeoutMinutes * 60_000)
      : null;
  deadline?.unref();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.stderr.write(`\n${name}: still cleaning up, please wait…\n`);
      return;
    }
    io.stderr.write(`\n${name}: stopping (a cluster this run created is terminated first)…\n`);
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      if (deadline !== null) clearTimeout(deadline);
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
  let plan: EmrPlan | null = null;
  let run: { signal: AbortSignal; dispose(): void } | null = null;
  const progress = progressWriter(io);
  const log = (line: string) => {
    progress.end();
    io.stderr.write(`${line}\n`);
  };
  try {
    const config = loadRunConfig(values, io);
    run = runSignal(io, config.timeoutMinutes);
    const { clients, caller } = await connect(config, run.signal);
    plan = await buildPlan(config, values, io, caller.arn);
    const outputDir = values.output ?? join(DEFAULT_FETCH_ROOT, plan.runId);
    log(`run ${plan.runId} attempt ${plan.layout.attemptId}: s3://${config.bucket}/${plan.layout.runKey}/`);
    if (plan.cost?.usdPerHour != null) log(`estimated cluster cost $${plan.cost.usdPerHour.toFixed(3)}/h (an estimate; see emr plan)`);
    const outcome = await submitRun(
      { config, plan, outputDir, compare: !values['skip-compare'] },
      { s3: clients.s3, emr: clients.emr, signal: run.signal, log, progress: (line) => progress.write(line) },
    );
    progress.end();
    const failureLog = outcome.failureLog;
    if (failureLog !== null) {
      if (failureLog.logFile !== null) io.stderr.write(`EMR's log file for the failed step (FailureDetails.LogFile): ${failureLog.logFile}\n`);
      io.stderr.write(`${failureLog.note}${failureLog.error !== null || failureLog.tail !== null ? ':' : ''}\n`);
      const shown = failureLog.error?.text ?? failureLog.tail;
      if (shown !== null && shown !== undefined) io.stderr.write(`${indent(shown)}\n`);
    }
    if (values.json) {
      io.stdout.write(
        `${JSON.stringify({
          runId: plan.runId,
          attemptId: plan.layout.attemptId,
          exitCode: outcome.exitCode,
          clusterId: outcome.clusterId,
          createdCluster: outcome.createdCluster,
          terminated: outcome.terminated,
          status: outcome.wait?.status ?? null,
          message: outcome.wait?.message ?? null,
          failureLog: outcome.failureLog,
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
  } catch (error) {
    progress.end();
    if (!values.json) throw abortedError(error, run?.signal);
    // --json: the failure as JSON on stdout too (the one line on stderr as usual).
    const failure = abortedError(error, run?.signal);
    const exitCode = reportEmrError(failure, io);
    io.stdout.write(
      `${JSON.stringify({
        runId: plan?.runId ?? null,
        attemptId: plan?.layout.attemptId ?? null,
        exitCode,
        status: 'error',
        error: { kind: errorKind(failure), message: failure instanceof Error ? failure.message : String(failure) },
      })}\n`,
    );
    return exitCode;
  } finally {
    progress.end();
    run?.dispose();
  }
}

/** An error thrown because the command's signal fired, said as such (the SDK only says "aborted"). */
class AbortedError extends Error {
  constructor(readonly reason: string) {
    super(
      reason === DEADLINE_REASON
        ? 'gave up: --timeout-minutes reached (AWS calls in flight were abandoned)'
        : `interrupted by ${reason}`,
    );
    this.name = 'AbortedError';
  }
}

function abortedError(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted && !(error instanceof UsageError) && !(error instanceof InputError)) {
    return new AbortedError(String(signal.reason));
  }
  return error;
}

function errorKind(error: unknown): string {
  if (error instanceof UsageError || error instanceof InputError) return 'usage';
  if (error instanceof AbortedError) return error.reason === DEADLINE_REASON ? 'timeout' : 'interrupted';
  return 'aws';
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
      attempt: { type: 'string' },
      output: { type: 'string' },
      compare: { type: 'boolean', default: false },
      'expected-bucket-owner': { type: 'string' },
      'request-timeout': { type: 'string' },
      input: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return help(io, FETCH_HELP);
  if (values.input !== undefined && !existsSync(values.input)) throw new UsageError(`--input: no such file: ${values.input}`);
  const { config } = loadEmrConfig({
    configFile: values.config,
    flags: {
      bucket: values.bucket,
      prefix: values.prefix,
      expectedBucketOwner: values['expected-bucket-owner'],
      requestTimeoutSeconds: numberFlag('request-timeout', values['request-timeout']),
    },
    requireBucket: false,
  });
  const run = runSignal(io);
  try {
    const { clients } = await connect(config, run.signal);
    return await fetchRun(values, config, clients, io);
  } catch (error) {
    throw abortedError(error, run.signal);
  } finally {
    run.dispose();
  }
}

async function fetchRun(
  values: { 'output-uri'?: string; 'run-id'?: string; attempt?: string; output?: string; compare?: boolean; input?: string; json?: boolean },
  config: EmrConfig,
  { s3 }: AwsClients,
  io: EmrIo,
): Promise<number> {
  let manifest: RunManifest | null = null;
  let outputUri: string;
  let defaultName: string;
  if (values['output-uri'] !== undefined) {
    if (values['run-id'] !== undefined || values.attempt !== undefined) throw new UsageError('give --run-id [--attempt] or --output-uri, not both');
    outputUri = values['output-uri'];
    if (!/^s3:\/\/[^/]+\//.test(outputUri)) throw new UsageError(`--output-uri: expected s3://BUCKET/KEY/, got "${outputUri}"`);
    defaultName = outputUri.replace(/\/+$/, '').split('/').pop() ?? 'output';
  } else {
    if (values['run-id'] === undefined) throw new UsageError('--run-id is required (or --output-uri)');
    const runId = checkRunId(values['run-id']);
    checkBucketName(config.bucket);
    const runKey = joinKey(config.prefix, 'runs', runId);
    manifest = await readManifest(s3, config.bucket, runKey);
    // One attempt's folder only: the latest (run.json) or the one asked for.
    outputUri = values.attempt !== undefined
      ? `${s3Uri(config.bucket, joinKey(runKey, 'attempts', checkRunId(values.attempt), 'output'))}/`
      : manifest.outputUri;
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
      'request-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return help(io, LIST_HELP);
  const run = runSignal(io);
  let clusters;
  try {
    const { emr } = createClients({ signal: run.signal, requestTimeoutSeconds: numberFlag('request-timeout', values['request-timeout']) });
    clusters = await listManagedClusters(emr, { states: values.all ? undefined : ACTIVE_CLUSTER_STATES });
  } catch (error) {
    throw abortedError(error, run.signal);
  } finally {
    run.dispose();
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(clusters)}\n`);
    return 0;
  }
  if (clusters.length === 0) {
    io.stdout.write(values.all ? 'no pricecast clusters\n' : 'no running pricecast clusters (--all shows terminated ones)\n');
    return 0;
  }
  io.stdout.write(`${'cluster'.padEnd(17)}${'state'.padEnd(24)}${'run'.padEnd(24)}${'created'.padEnd(26)}${'norm. inst. hours'.padEnd(19)}creator\n`);
  for (const c of clusters) {
    io.stdout.write(
      `${c.id.padEnd(17)}${c.state.padEnd(24)}${(c.runId ?? '-').padEnd(24)}${(c.created ?? '-').padEnd(26)}${String(c.normalizedInstanceHours ?? '-').padEnd(19)}${c.creator ?? '-'}\n`,
    );
  }
  return 0;
}

async function cleanupCommand(argv: string[], io: EmrIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      all: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'request-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return help(io, CLEANUP_HELP);
  const run = runSignal(io);
  try {
    const clients = createClients({ signal: run.signal, requestTimeoutSeconds: numberFlag('request-timeout', values['request-timeout']) });
    const caller = await callerIdentity(clients.sts);
    const running = await listManagedClusters(clients.emr, { states: TERMINABLE_CLUSTER_STATES });
    const targets = cleanupTargets(running, caller.arn, values.all);
    const others = running.length - targets.length;
    const ids = targets.map((c) => c.id);
    const describe = (c: (typeof targets)[number]) => `${c.id} (${c.state}, run ${c.runId ?? '-'}, created by ${c.creator ?? 'unknown'})`;
    const report = (terminated: string[]) => {
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ dryRun: values['dry-run'], caller: caller.arn, all: values.all, clusters: ids, terminated, othersSkipped: others })}\n`);
      }
    };
    if (others > 0 && !values.json) {
      io.stderr.write(`${others} running pricecast cluster(s) of other creators left alone (--all includes them)\n`);
    }
    if (ids.length === 0) {
      if (!values.json) io.stdout.write(`no running pricecast clusters of yours (${caller.arn}); nothing to terminate\n`);
      report([]);
      return 0;
    }
    if (values['dry-run']) {
      if (!values.json) for (const c of targets) io.stdout.write(`would terminate ${describe(c)}\n`);
      report([]);
      return 0;
    }
    if (!values.yes) {
      const confirm = io.confirm ?? terminalConfirm();
      if (confirm === null) {
        throw new UsageError(`cleanup would terminate ${ids.length} cluster(s) (${ids.join(', ')}) but there is no terminal to ask on: add --yes to confirm, or --dry-run to only list them`);
      }
      for (const c of targets) io.stderr.write(`  ${describe(c)}\n`);
      if (!(await confirm(`terminate these ${ids.length} cluster(s)? [y/N] `))) {
        io.stderr.write('nothing terminated\n');
        report([]);
        return 1;
      }
    }
    await terminateClusters(clients.emr, ids);
    if (!values.json) for (const c of targets) io.stdout.write(`terminated ${describe(c)}\n`);
    report(ids);
    return 0;
  } catch (error) {
    throw abortedError(error, run.signal);
  } finally {
    run.dispose();
  }
}

/** A y/N question on the terminal, or null when stdin is not one (CI, a pipe). */
function terminalConfirm(): ((question: string) => Promise<boolean>) | null {
  if (!process.stdin.isTTY) return null;
  return async (question) => {
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(question)).trim());
    } finally {
      rl.close();
    }
  };
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
      case 'stage':
        return await stageCommand(rest, io);
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
        throw new UsageError(`unknown emr command "${command}" (expected plan, stage, submit, fetch, list or cleanup)`);
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
  if (error instanceof AbortedError) {
    io.stderr.write(`pricecast emr: ${error.message}\n`);
    return error.reason === DEADLINE_REASON ? 1 : (SIGNAL_EXIT_CODES[error.reason] ?? 130);
  }
  const code = (error as { code?: string } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`pricecast emr: ${(error as Error).message} (see --help)\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof Error && error.name === 'TimeoutError'
    ? ' (no answer from the AWS endpoint within --request-timeout, after the SDK\'s retries)'
    : /region is missing/i.test(message)
    ? ' (set AWS_REGION or a region in your AWS profile; the tool takes the region from the SDK chain only)'
    : /credential/i.test(message)
      ? ' (the tool uses the AWS SDK default credential chain: AWS_PROFILE, environment, SSO, instance role)'
      : '';
  io.stderr.write(`pricecast emr: ${message}${hint}\n`);
  if (process.env.PRICECAST_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
  return 1;
}

