/**
 * A LOCAL STEP RUNNER, hand-written for the end-to-end test: it plays the EMR cluster's step executor
 * on this machine, because moto stores steps but never runs them and no other peer runs EMR steps.
 * It reads the steps exactly as submitted from moto's ListSteps (so it executes what `submit` really
 * sent, not the plan in memory) and interprets the two commands they use:
 *
 *   s3-dist-cp --src=S --dest=D   copies between moto's S3 and a local folder standing in for HDFS
 *                                 (hdfs:///x → HDFS_ROOT/x); Hadoop's local-filesystem checksum files
 *                                 (.name.crc, which real HDFS keeps internally) are not copied to S3
 *   spark-submit [opts] APP ARGS  downloads APP from moto's S3 (the STAGED job, not pyspark/ in the
 *                                 repo) and runs it with the project's local PySpark (local[2] instead
 *                                 of YARN), hdfs:/// arguments mapped to the local stand-in
 *   timeout OPTS DURATION CMD...  the plan's bound on every step: spark-submit runs under the real
 *                                 coreutils `timeout` with the step's own options; the in-process
 *                                 s3-dist-cp copy is not bounded
 *
 * It is also the waiter's view of the cluster (an EmrStatusReader): the real moto cluster, with the
 * states this runner's progress implies: STARTING before the first poll, RUNNING while steps run,
 * then TERMINATED (ALL_STEPS_COMPLETED) as KeepJobFlowAliveWhenNoSteps=false makes EMR do, or, when a
 * step fails, that step FAILED with the others CANCELLED, its stderr gzipped to the cluster's log
 * location like EMR does, and the cluster TERMINATED_WITH_ERRORS.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Cluster, StepState, StepSummary } from '@aws-sdk/client-emr';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { parseS3Uri } from '../../src/emr/plan.js';
import type { EmrStatusReader } from '../../src/emr/wait.js';
import type { PythonEnv } from '../../src/parity/pyenv.js';
import { SPARK_LOG_CONFIG } from '../../src/parity/spark.js';

export interface StepExecution {
  name: string;
  command: string;
  /** What was run: the s3-dist-cp copy, or the local spark-submit command line. */
  detail: string[];
  exitCode: number;
  stderr: string;
}

export interface LocalStepRunner extends EmrStatusReader {
  readonly executions: StepExecution[];
}

export function localStepRunner(
  real: EmrStatusReader,
  options: { s3: S3Client; hdfsRoot: string; workDir: string; pyenv: PythonEnv },
): LocalStepRunner {
  const executions: StepExecution[] = [];
  const states = new Map<string, StepState>();
  let started: Promise<void> | null = null;
  let clusterState: 'STARTING' | 'RUNNING' | 'TERMINATED' | 'TERMINATED_WITH_ERRORS' = 'STARTING';

  const hdfsPath = (uri: string) => {
    const match = /^hdfs:\/\/\/(.*)$/.exec(uri);
    if (!match) throw new Error(`not an hdfs:/// path: ${uri}`);
    return join(options.hdfsRoot, match[1]);
  };

  async function runAll(clusterId: string, stepIds: string[]) {
    const steps = await real.listSteps(clusterId, stepIds);
    const byId = new Map(steps.map((s) => [s.Id, s]));
    const cluster = await real.describeCluster(clusterId);
    clusterState = 'RUNNING';
    for (const [index, id] of stepIds.entries()) {
      const step = byId.get(id)!;
      states.set(id, 'RUNNING');
      const execution = await execute(step);
      executions.push(execution);
      if (execution.exitCode === 0) {
        states.set(id, 'COMPLETED');
        continue;
      }
      states.set(id, 'FAILED');
      for (const later of stepIds.slice(index + 1)) states.set(later, 'CANCELLED');
      const logBase = (cluster.LogUri ?? '').replace(/^s3n:/, 's3:');
      if (logBase) {
        const { bucket, key } = parseS3Uri(`${logBase.replace(/\/?$/, '/')}${clusterId}/steps/${id}/stderr.gz`);
        await options.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(execution.stderr) }));
      }
      clusterState = 'TERMINATED_WITH_ERRORS';
      return;
    }
    clusterState = 'TERMINATED';
  }

  async function execute(step: StepSummary): Promise<StepExecution> {
    let args = step.Config?.Args ?? [];
    let bound: string[] = [];
    if (args[0] === 'timeout') {
      // timeout [--opt=value...] DURATION COMMAND...
      let i = 1;
      while (args[i]?.startsWith('--')) i++;
      bound = args.slice(0, i + 1);
      args = args.slice(i + 1);
    }
    const [command, ...rest] = args;
    const name = step.Name ?? '';
    if (step.Config?.Jar !== 'command-runner.jar') throw new Error(`unexpected step jar ${step.Config?.Jar}`);
    if (command === 's3-dist-cp') return s3DistCp(name, rest);
    if (command === 'spark-submit') return sparkSubmit(name, rest, bound);
    throw new Error(`the local step runner does not know "${command}"`);
  }

  function option(args: string[], name: string): string {
    const inline = args.find((a) => a.startsWith(`--${name}=`));
    if (inline) return inline.slice(name.length + 3);
    const at = args.indexOf(`--${name}`);
    if (at >= 0 && at + 1 < args.length) return args[at + 1];
    throw new Error(`s3-dist-cp without --${name}`);
  }

  async function s3DistCp(name: string, args: string[]): Promise<StepExecution> {
    const src = option(args, 'src');
    const dest = option(args, 'dest');
    const copied: string[] = [];
    if (src.startsWith('s3://') && dest.startsWith('hdfs:///')) {
      const { bucket, key } = parseS3Uri(src);
      const prefix = key.endsWith('/') || key === '' ? key : `${key}/`;
      const listed = await options.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      for (const object of listed.Contents ?? []) {
        const file = join(hdfsPath(dest), object.Key!.slice(prefix.length));
        await mkdir(dirname(file), { recursive: true });
        const body = await options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }));
        await pipeline(body.Body as Readable, createWriteStream(file));
        copied.push(`s3://${bucket}/${object.Key} -> ${file}`);
      }
    } else if (src.startsWith('hdfs:///') && dest.startsWith('s3://')) {
      const root = hdfsPath(src);
      const { bucket, key } = parseS3Uri(dest);
      const prefix = key.endsWith('/') || key === '' ? key : `${key}/`;
      for (const file of await walk(root)) {
        const rel = relative(root, file).split('\\').join('/');
        if (/(^|\/)\.[^/]*\.crc$/.test(rel)) continue; // Hadoop LocalFileSystem checksums; HDFS has none
        const bytes = await readFile(file);
        await options.s3.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + rel, Body: bytes, ContentLength: bytes.length }));
        copied.push(`${file} -> s3://${bucket}/${prefix}${rel}`);
      }
    } else {
      throw new Error(`s3-dist-cp from ${src} to ${dest}: only S3 <-> HDFS copies are interpreted`);
    }
    return { name, command: 's3-dist-cp', detail: copied, exitCode: copied.length > 0 ? 0 : 1, stderr: copied.length > 0 ? '' : `nothing under ${src}\n` };
  }

  async function sparkSubmit(name: string, args: string[], bound: string[]): Promise<StepExecution> {
    // spark-submit's own options (each "--x value") come before the application; the rest are its args.
    let i = 0;
    while (i < args.length && args[i].startsWith('--')) i += 2;
    const app = args[i];
    const appArgs = args.slice(i + 1).map((a) => (a.startsWith('hdfs:///') ? hdfsPath(a) : a));
    const { bucket, key } = parseS3Uri(app);
    const localApp = join(options.workDir, 'staged-job', key.split('/').pop()!);
    await mkdir(dirname(localApp), { recursive: true });
    const body = await options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await pipeline(body.Body as Readable, createWriteStream(localApp));
    const command = [
      ...bound,
      options.pyenv.sparkSubmit,
      '--master', 'local[2]',
      '--driver-java-options', `-Dlog4j2.configurationFile=file:${SPARK_LOG_CONFIG}`,
      '--conf', 'spark.ui.enabled=false',
      '--conf', 'spark.driver.host=127.0.0.1',
      '--conf', 'spark.driver.bindAddress=127.0.0.1',
      '--conf', 'spark.sql.shuffle.partitions=2',
      localApp,
      ...appArgs,
    ];
    const { code, stderr } = await run(command, options.pyenv.env);
    return { name, command: 'spark-submit', detail: command, exitCode: code, stderr };
  }

  function syntheticCluster(cluster: Cluster): Cluster {
    const reason =
      clusterState === 'TERMINATED'
        ? { Code: 'ALL_STEPS_COMPLETED' as const, Message: 'Steps completed' }
        : clusterState === 'TERMINATED_WITH_ERRORS'
          ? { Code: 'STEP_FAILURE' as const, Message: 'Shut down as step failed' }
          : {};
    return { ...cluster, Status: { ...cluster.Status, State: clusterState, StateChangeReason: reason } };
  }

  return {
    get executions() {
      return executions;
    },
    async describeCluster(clusterId) {
      return syntheticCluster(await real.describeCluster(clusterId));
    },
    async listSteps(clusterId, stepIds) {
      if (started === null) {
        for (const id of stepIds) states.set(id, 'PENDING');
        started = runAll(clusterId, stepIds).catch((error: unknown) => {
          // A bug in the runner itself: fail the running step so the test sees it, with the reason.
          for (const id of stepIds) if (states.get(id) === 'RUNNING' || states.get(id) === 'PENDING') states.set(id, 'FAILED');
          clusterState = 'TERMINATED_WITH_ERRORS';
          executions.push({ name: 'runner', command: 'error', detail: [], exitCode: 1, stderr: String((error as Error).stack ?? error) });
        });
      }
      const steps = await real.listSteps(clusterId, stepIds);
      return steps.map((s) => ({ ...s, Status: { ...s.Status, State: states.get(s.Id ?? '') ?? 'PENDING' } }));
    },
  };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out.sort();
}

function run(command: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}
