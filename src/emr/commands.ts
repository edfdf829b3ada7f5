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
import { InputError, UsageError } from '../engine/errors.js';
import { reportError } from '../errorReport.js';
import { formatParityReport } from '../parity/compare.js';
import { formatExperimentParity } from '../parity/experimentParity.js';
import {
  CONFIG_SETTING,
  formatOptionsHelp,
  HELP_SETTING,
  JSON_SETTING,
  optionalSetting,
  parseCommand,
  setting,
  type SettingMap,
  type SettingValues,
} from '../settings.js';
import { callerIdentity, createClients, expectBucketOwner, type AwsClients } from './clients.js';
import {
  ACTIVE_CLUSTER_STATES,
  cleanupTargets,
  listManagedClusters,
  terminateClusters,
  TERMINABLE_CLUSTER_STATES,
} from './clusters.js';
import { checkBucketName, joinKey, loadEmrConfig, newRunId, resolveEmrConfig, type EmrConfig } from './config.js';
import {
  DEFAULT_FETCH_ROOT,
  EMR_CLEANUP_SETTINGS,
  EMR_FETCH_SETTINGS,
  EMR_LIST_SETTINGS,
  EMR_PLAN_SETTINGS,
  EMR_RUN_SETTINGS,
  EMR_SETTINGS,
  EMR_SUBMIT_SETTINGS,
  type EmrRunValues,
} from '../settings.js';
import { compareExperimentRun } from './experimentCompare.js';
import { compareRun, downloadPrefix, readManifest, runOutputLayout } from './fetch.js';
import { planRun, s3Uri, type EmrPlan, type RunManifest } from './plan.js';
import type { ServerlessPlan } from './serverlessPlan.js';
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



const optionsHelp = (settings: SettingMap) =>
  `Options (flags override the --config file, whose keys are in [brackets]):\n${formatOptionsHelp(settings)}`;

const PLAN_HELP = `pricecast emr plan: the exact uploads and EMR request of a run, as JSON (no AWS calls, no credentials)

Usage: pricecast emr plan --bucket NAME [options]

Also prints an hourly cost estimate of the cluster (prices from a dated table in src/emr/cost.ts).
The first run builds the offline wheelhouse (pip download, needs PyPI; cached in .cache/wheelhouse).

${optionsHelp(EMR_PLAN_SETTINGS)}`;

const STAGE_HELP = `pricecast emr stage: upload a run's files to S3 and print its plan (with the run id) as JSON

Usage: pricecast emr stage --bucket NAME [options]

What the Airflow DAG (airflow/dags/pricecast_emr.py) runs first: the plan it prints carries the
RunJobFlow request (tagged with your STS caller ARN) and the run id that 'emr fetch' takes.

${optionsHelp(EMR_PLAN_SETTINGS)}`;

const SUBMIT_HELP = `pricecast emr submit: stage to S3, run on EMR, wait, fetch the output and compare with the engine

Usage: pricecast emr submit --bucket NAME [options]

Creates a cluster (tagged pricecast:managed=true and pricecast:run=ID) with a bootstrap action and four
steps: s3-dist-cp the data into HDFS, spark-submit the job, the publish guard (claims the output folder,
refuses one holding objects not of this run), s3-dist-cp the output back. --command experiment runs the
walk-forward job (pyspark/walk_forward.py, --set NAME=SPEC ...) instead and compares its results.json
with the engine's experiment. The cluster ends
itself after the last step (KeepJobFlowAliveWhenNoSteps=false) or when idle (auto-termination); a
failed step terminates it. On a failed step, an API error while waiting, a timeout, Ctrl-C or SIGTERM
this command terminates the cluster it created before it exits non-zero.

With --serverless it runs the job on EMR Serverless instead: a job run on an application (created for
the run and stopped afterwards, or --application-id), cancelled on Ctrl-C or time-out; run.json is
written only once the output folder is whole (docs/emr.md#emr-serverless).

${optionsHelp(EMR_SUBMIT_SETTINGS)}

Exit codes: 0 done and within parity tolerance, 1 a failure or parity outside tolerance, 2 bad usage,
130/143 interrupted (the cluster was terminated first).`;

const FETCH_HELP = `pricecast emr fetch: download a run's output folder from S3; --compare checks it against the engine

Usage: pricecast emr fetch --run-id ID --bucket NAME [--prefix P] [--config FILE] [--output DIR]
                          [--attempt A] [--compare [--input FILE]] [--json]
       pricecast emr fetch --output-uri s3://BUCKET/KEY/ [--output DIR] [--compare --input FILE]

${optionsHelp(EMR_FETCH_SETTINGS)}

Exit codes: 0 done (and within tolerance), 1 parity outside tolerance or a failure, 2 bad usage.`;

const LIST_HELP = `pricecast emr list: this tool's clusters (tagged pricecast:managed=true)

Usage: pricecast emr list [--all] [--json]

${optionsHelp(EMR_LIST_SETTINGS)}`;

const CLEANUP_HELP = `pricecast emr cleanup: terminate your clusters of this tool that are still running

Usage: pricecast emr cleanup [--all] [--yes] [--dry-run] [--json]

Finds clusters tagged pricecast:managed=true in STARTING, BOOTSTRAPPING, RUNNING or WAITING whose
pricecast:creator tag is your STS caller ARN, lists them and asks before terminating them. Clusters
without the tag are never touched.

${optionsHelp(EMR_CLEANUP_SETTINGS)}`;

function loadRunConfig(values: EmrRunValues, io: EmrIo): EmrConfig {
  const { config, warnings } = resolveEmrConfig(values);
  if (!existsSync(config.job.input)) throw new UsageError(`--input: no such file: ${config.job.input}`);
  if (config.serverless !== null && !existsSync(config.serverless.pythonArchive)) {
    throw new UsageError(`--python-archive: no such file: ${config.serverless.pythonArchive}`);
  }
  for (const warning of warnings) io.stderr.write(`pricecast emr: warning: ${warning}\n`);
  return config;
}

/**
 * Config + local file facts → the plan. Reads the local files (sha256, size) and builds the wheelhouse
 * on first use; no AWS calls. Each call is a new attempt (its own output folder).
 */
async function buildPlan(
  config: EmrConfig,
  runIdGiven: string | undefined,
  io: EmrIo,
  creatorArn: string | null,
): Promise<EmrPlan> {
  const runId = runIdGiven ?? newRunId(new Date(), randomBytes(2).toString('hex'));
  const attemptId = newRunId(new Date(), randomBytes(2).toString('hex'));
  const wheelhouseDir = config.files.wheelhouse ?? (await ensureWheelhouse({ log: (chunk) => io.stderr.write(chunk) }));
  const files = {
    input: await localFileFacts(config.job.input),
    script: await localFileFacts(config.files.script),
    ...(await experimentScriptFacts(config)),
    bootstrap: await localFileFacts(config.files.bootstrap),
    wheelhouse: await wheelhouseFiles(wheelhouseDir),
  };
  return planRun(config, { runId, attemptId, creatorArn }, files);
}

/** With --command experiment, the walk-forward job's facts (it is staged beside the job it imports). */
async function experimentScriptFacts(config: EmrConfig) {
  return config.command === 'experiment' ? { experimentScript: await localFileFacts(config.files.experimentScript) } : {};
}

/** The plan as printed by `plan` and `stage`: every upload with its local source, the request, the cost. */
function printablePlan(config: EmrConfig, plan: EmrPlan, extra: Record<string, unknown> = {}) {
  return {
    runId: plan.runId,
    attemptId: plan.layout.attemptId,
    command: plan.manifest.command ?? 'predict',
    uploads: plan.uploads.map((u) => ({
      role: u.role,
      uri: u.uri,
      from: u.localPath ?? (u.role === 'manifest' ? '(generated run manifest)' : '(generated by pricecast: src/emr/publishGuard.ts)'),
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

/** The serverless run's plan: the input, the job and the packed Python environment's facts; no AWS calls. */
async function buildServerlessPlan(config: EmrConfig, runIdGiven: string | undefined, creatorArn: string | null) {
  const { planServerlessRun } = await import('./serverlessPlan.js');
  const runId = runIdGiven ?? newRunId(new Date(), randomBytes(2).toString('hex'));
  const attemptId = newRunId(new Date(), randomBytes(2).toString('hex'));
  const files = {
    input: await localFileFacts(config.job.input),
    script: await localFileFacts(config.files.script),
    ...(await experimentScriptFacts(config)),
    pythonArchive: await localFileFacts(config.serverless!.pythonArchive),
  };
  return planServerlessRun(config, { runId, attemptId, creatorArn }, files);
}

function printableServerlessPlan(config: EmrConfig, plan: ServerlessPlan, extra: Record<string, unknown> = {}) {
  return {
    runId: plan.runId,
    attemptId: plan.layout.attemptId,
    serverless: true,
    uploads: plan.uploads.map((u) => ({ role: u.role, uri: u.uri, from: u.localPath, sha256: u.sha256, size: u.size, serverSideEncryption: config.sseAlgorithm })),
    createApplication: plan.createApplication,
    startJobRun: plan.startJobRun,
    outputUri: plan.layout.outputUri,
    manifestUri: plan.layout.manifestUri,
    manifestWritten: 'after the job run succeeded and its output folder was found whole',
    manifest: plan.manifest,
    costEstimate: plan.cost,
    ...extra,
  };
}

async function submitServerless(
  config: EmrConfig,
  plan: ServerlessPlan,
  values: SettingValues<typeof EMR_SUBMIT_SETTINGS>,
  s3: AwsClients['s3'],
  signal: AbortSignal,
  io: EmrIo,
  log: (line: string) => void,
  progress: { write(line: string): void; end(): void },
): Promise<number> {
  const [{ submitServerlessRun }, { createServerlessClient }] = await Promise.all([import('./serverlessSubmit.js'), import('./serverlessClient.js')]);
  const serverless = createServerlessClient({ signal, requestTimeoutSeconds: config.requestTimeoutSeconds });
  const outputDir = values.output ?? join(DEFAULT_FETCH_ROOT, plan.runId);
  log(`run ${plan.runId} attempt ${plan.layout.attemptId} on EMR Serverless: s3://${config.bucket}/${plan.layout.runKey}/`);
  log(`estimated job run cost $${plan.cost.usdPerHour.toFixed(3)}/h (an estimate; see emr plan --serverless)`);
  const outcome = await submitServerlessRun(
    { config, plan, outputDir, compare: !values.skipCompare },
    { s3, serverless, signal, log, progress: (line) => progress.write(line) },
  );
  progress.end();
  if (values.json) {
    io.stdout.write(`${JSON.stringify({
      runId: plan.runId, attemptId: plan.layout.attemptId, exitCode: outcome.exitCode, applicationId: outcome.applicationId,
      createdApplication: outcome.createdApplication, stoppedApplication: outcome.stoppedApplication, jobRunId: outcome.jobRunId,
      cancelled: outcome.cancelled, status: outcome.wait?.status ?? null, message: outcome.wait?.message ?? null,
      outputDir: outcome.outputDir, parity: outcome.parity?.report ?? outcome.experiment?.report ?? null,
    })}\n`);
  } else if (outcome.experiment !== null) {
    io.stdout.write(`run ${plan.runId} (job run ${outcome.jobRunId}): output in ${outcome.outputDir}\n`);
    io.stdout.write(`${formatExperimentParity(outcome.experiment.report)}\n`);
  } else if (outcome.parity !== null) {
    io.stdout.write(`run ${plan.runId} (job run ${outcome.jobRunId}): output in ${outcome.outputDir}\n`);
    io.stdout.write(formatParityReport(outcome.parity.report));
  } else if (outcome.exitCode === 0) {
    io.stdout.write(`run ${plan.runId} (job run ${outcome.jobRunId}): output in ${outcome.outputDir}\n`);
  } else {
    io.stdout.write(`run ${plan.runId} failed: ${outcome.wait?.message ?? 'see above'}\n`);
  }
  return outcome.exitCode;
}

async function planCommand(argv: string[], io: EmrIo): Promise<number> {
  const { values } = parseCommand(argv, EMR_PLAN_SETTINGS);
  if (values.help) return help(io, PLAN_HELP);
  const config = loadRunConfig(values, io);
  if (config.serverless !== null) {
    const plan = await buildServerlessPlan(config, values.runId, null);
    io.stdout.write(`${JSON.stringify(printableServerlessPlan(config, plan, { note: 'no AWS calls were made' }), null, 2)}\n`);
    io.stderr.write(`pricecast emr: estimated job run cost $${plan.cost.usdPerHour.toFixed(3)}/h (${plan.cost.note})\n`);
    return 0;
  }
  const plan = await buildPlan(config, values.runId, io, null);
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
  const { values } = parseCommand(argv, EMR_PLAN_SETTINGS);
  if (values.help) return help(io, STAGE_HELP);
  const config = loadRunConfig(values, io);
  const run = runSignal(io, config.timeoutMinutes);
  try {
    const { clients, caller } = await connect(config, run.signal);
    if (config.serverless !== null) {
      const plan = await buildServerlessPlan(config, values.runId, caller.arn);
      await checkBucket(clients.s3, config.bucket);
      await stageUploads(clients.s3, plan.uploads, {
        encryption: { algorithm: config.sseAlgorithm, kmsKeyId: config.kmsKeyId },
        log: (line) => io.stderr.write(`${line}\n`),
      });
      io.stdout.write(`${JSON.stringify(printableServerlessPlan(config, plan, { creator: caller.arn }), null, 2)}\n`);
      return 0;
    }
    const plan = await buildPlan(config, values.runId, io, caller.arn);
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
  const { values } = parseCommand(argv, EMR_SUBMIT_SETTINGS);
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
    if (config.serverless !== null) {
      const serverlessPlan = await buildServerlessPlan(config, values.runId, caller.arn);
      plan = { runId: serverlessPlan.runId, layout: serverlessPlan.layout } as EmrPlan; // for the failure report
      return await submitServerless(config, serverlessPlan, values, clients.s3, run.signal, io, log, progress);
    }
    plan = await buildPlan(config, values.runId, io, caller.arn);
    const outputDir = values.output ?? join(DEFAULT_FETCH_ROOT, plan.runId);
    log(`run ${plan.runId} attempt ${plan.layout.attemptId}: s3://${config.bucket}/${plan.layout.runKey}/`);
    if (plan.cost?.usdPerHour != null) log(`estimated cluster cost $${plan.cost.usdPerHour.toFixed(3)}/h (an estimate; see emr plan)`);
    const outcome = await submitRun(
      { config, plan, outputDir, compare: !values.skipCompare },
      { s3: clients.s3, emr: clients.emr, emrSingleAttempt: clients.emrSingleAttempt, signal: run.signal, log, progress: (line) => progress.write(line) },
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
          parity: outcome.parity?.report ?? outcome.experiment?.report ?? null,
        })}\n`,
      );
    } else if (outcome.experiment !== null) {
      io.stdout.write(`run ${plan.runId} on ${outcome.clusterId}: output in ${outcome.outputDir}\n`);
      io.stdout.write(`${formatExperimentParity(outcome.experiment.report)}\n`);
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
    throw new RunFailure(abortedError(error, run?.signal), { runId: plan?.runId ?? null, attemptId: plan?.layout.attemptId ?? null });
  } finally {
    progress.end();
    run?.dispose();
  }
}

/** A failure of `emr submit` after the run was planned: the report names the run and attempt. */
class RunFailure {
  constructor(
    readonly error: unknown,
    readonly context: { runId: string | null; attemptId: string | null },
  ) {}
}

/** An error thrown because the command's signal fired, said as such (the SDK only says "aborted"). */
class AbortedError extends Error {
  readonly kind: 'timeout' | 'interrupted';
  /** 1 for the deadline, else the shell's code for death by the signal (SIGINT 130, SIGTERM 143). */
  readonly exitCode: number;
  constructor(readonly reason: string) {
    super(
      reason === DEADLINE_REASON
        ? 'gave up: --timeout-minutes reached (AWS calls in flight were abandoned)'
        : `interrupted by ${reason}`,
    );
    this.name = 'AbortedError';
    this.kind = reason === DEADLINE_REASON ? 'timeout' : 'interrupted';
    this.exitCode = reason === DEADLINE_REASON ? 1 : (SIGNAL_EXIT_CODES[reason] ?? 130);
  }
}

function abortedError(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted && !(error instanceof UsageError) && !(error instanceof InputError)) {
    return new AbortedError(String(signal.reason));
  }
  return error;
}

function indent(text: string): string {
  return text.split('\n').map((line) => `  | ${line}`).join('\n');
}

async function fetchCommand(argv: string[], io: EmrIo): Promise<number> {
  const { values, given } = parseCommand(argv, EMR_FETCH_SETTINGS);
  if (values.help) return help(io, FETCH_HELP);
  if (values.input !== undefined && !existsSync(values.input)) throw new UsageError(`--input: no such file: ${values.input}`);
  const passed = <K extends 'bucket' | 'prefix' | 'expectedBucketOwner' | 'requestTimeoutSeconds'>(key: K) =>
    given.has(key) ? values[key] : undefined;
  const { config } = loadEmrConfig({
    configFile: values.configFile,
    flags: {
      bucket: passed('bucket'),
      prefix: passed('prefix'),
      expectedBucketOwner: passed('expectedBucketOwner'),
      requestTimeoutSeconds: passed('requestTimeoutSeconds'),
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
  values: SettingValues<typeof EMR_FETCH_SETTINGS>,
  config: EmrConfig,
  { s3 }: AwsClients,
  io: EmrIo,
): Promise<number> {
  let manifest: RunManifest | null = null;
  let outputUri: string;
  let defaultName: string;
  if (values.outputUri !== undefined) {
    if (values.runId !== undefined || values.attempt !== undefined) throw new UsageError('give --run-id [--attempt] or --output-uri, not both');
    outputUri = values.outputUri;
    defaultName = outputUri.replace(/\/+$/, '').split('/').pop() ?? 'output';
  } else {
    if (values.runId === undefined) throw new UsageError('--run-id is required (or --output-uri)');
    const runId = values.runId;
    checkBucketName(config.bucket);
    const runKey = joinKey(config.prefix, 'runs', runId);
    manifest = await readManifest(s3, config.bucket, runKey);
    // One attempt's folder only: the latest (run.json) or the one asked for.
    outputUri = values.attempt !== undefined
      ? `${s3Uri(config.bucket, joinKey(runKey, 'attempts', values.attempt, 'output'))}/`
      : manifest.outputUri;
    defaultName = runId;
  }
  const outputDir = values.output ?? join(DEFAULT_FETCH_ROOT, defaultName);
  const downloaded = await downloadPrefix(s3, outputUri, outputDir, (line) => io.stderr.write(`${line}\n`), runOutputLayout(manifest));
  if (!values.compare) {
    if (values.json) io.stdout.write(`${JSON.stringify({ outputUri, outputDir: downloaded.dir, files: downloaded.files })}\n`);
    else io.stdout.write(`fetched ${outputUri} into ${downloaded.dir} (${downloaded.files.join(', ')})\n`);
    return 0;
  }
  if (manifest?.command === 'experiment') {
    io.stderr.write('compare: running the engine\'s experiment on the same input and settings…\n');
    const { report } = await compareExperimentRun(s3, downloaded.dir, manifest, values.input ?? null);
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ outputUri, outputDir: downloaded.dir, files: downloaded.files, command: 'experiment', parity: report })}\n`);
    } else {
      io.stdout.write(`fetched ${outputUri} into ${downloaded.dir}\n`);
      io.stdout.write(`${formatExperimentParity(report)}\n`);
    }
    return report.ok ? 0 : 1;
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
  const { values } = parseCommand(argv, EMR_LIST_SETTINGS);
  if (values.help) return help(io, LIST_HELP);
  const run = runSignal(io);
  let clusters;
  try {
    const { emr } = createClients({ signal: run.signal, requestTimeoutSeconds: values.requestTimeoutSeconds });
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
  const { values } = parseCommand(argv, EMR_CLEANUP_SETTINGS);
  if (values.help) return help(io, CLEANUP_HELP);
  const run = runSignal(io);
  try {
    const clients = createClients({ signal: run.signal, requestTimeoutSeconds: values.requestTimeoutSeconds });
    const caller = await callerIdentity(clients.sts);
    const running = await listManagedClusters(clients.emr, { states: TERMINABLE_CLUSTER_STATES });
    const targets = cleanupTargets(running, caller.arn, values.all);
    const others = running.length - targets.length;
    const ids = targets.map((c) => c.id);
    const describe = (c: (typeof targets)[number]) => `${c.id} (${c.state}, run ${c.runId ?? '-'}, created by ${c.creator ?? 'unknown'})`;
    const report = (terminated: string[]) => {
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ dryRun: values.dryRun, caller: caller.arn, all: values.all, clusters: ids, terminated, othersSkipped: others })}\n`);
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
    if (values.dryRun) {
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
  } catch (failure) {
    const [error, context] = failure instanceof RunFailure ? [failure.error, failure.context] : [failure, undefined];
    return reportError(error, { json: rest.includes('--json'), io, otherKind: 'aws', hint: awsHint, context });
  }
}

/** Where a failed AWS call's usual causes are set (the tool takes them from the SDK chain only). */
function awsHint(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'TimeoutError') {
    return ' (no answer from the AWS endpoint within --request-timeout, after the SDK\'s retries)';
  }
  if (/region is missing/i.test(message)) {
    return ' (set AWS_REGION or a region in your AWS profile; the tool takes the region from the SDK chain only)';
  }
  if (/credential/i.test(message)) return ' (the tool uses the AWS SDK default credential chain: AWS_PROFILE, environment, SSO, instance role)';
  return '';
}
