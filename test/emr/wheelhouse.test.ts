/**
 * Point 4: the offline wheelhouse. pyspark/wheelhouse.sh builds it (pip download of manylinux2014 x86_64
 * CPython 3.11 wheels by hash, plus a wheel built from ta's sdist; cached in .cache/wheelhouse); the run
 * stages it to S3 (moto here); pyspark/bootstrap.sh, run on this machine as EMR runs it on a node (an
 * `aws s3 cp` stand-in over boto3 against moto, PRICECAST_PYTHON = pyenv's Python 3.11, the python3.11
 * package of emr-7.x's Amazon Linux 2023,
 * no package index reachable), installs it into a fresh venv; then the SAME job runs with that venv as
 * PYSPARK_PYTHON (Spark from the project's PySpark, as EMR's own Spark is on the node), and its output
 * is compared with the engine's: the same parity as everywhere else.
 */
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/engine/pipeline.js';
import { loadEmrConfig } from '../../src/emr/config.js';
import { planRun } from '../../src/emr/plan.js';
import { localFileFacts, stageUploads } from '../../src/emr/stage.js';
import { ensureWheelhouse, wheelhouseFiles } from '../../src/emr/wheelhouse.js';
import { compareEngineWithFolder } from '../../src/parity/compareFolder.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { sparkSubmitArgs } from '../../src/parity/spark.js';
import { ROOT } from '../helpers/cli.js';
import { openMotoSession, type MotoServer, type MotoSession } from '../helpers/moto.js';

const BUCKET = 'pricecast-wheelhouse';
let session: MotoSession;
let moto: MotoServer;
let s3: S3Client;
let work: string;
let wheelhouse: string;

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** pyenv's CPython 3.11 (what the bootstrap builds the nodes' venv with: emr-7.x's python3.11 package). */
function python311(): string {
  const versions = join(homedir(), '.pyenv', 'versions');
  const found = existsSync(versions) ? readdirSync(versions).filter((v) => /^3\.11\.\d+$/.test(v)).sort() : [];
  if (found.length === 0) throw new Error(`no Python 3.11 under ${versions} (this test needs one, as on the project's machines)`);
  return join(versions, found[found.length - 1], 'bin', 'python3.11');
}

beforeAll(async () => {
  session = await openMotoSession('wheelhouse');
  ({ moto, s3, work } = session);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  wheelhouse = await ensureWheelhouse({ log: (chunk) => process.stderr.write(chunk) });
});

afterAll(async () => {
  await session?.close();
});

describe('the offline wheelhouse', () => {
  it('pins pyspark/requirements.txt\'s versions (all but pyspark), each wheel by its sha256', async () => {
    const pinned = (text: string) =>
      new Map(
        text
          .split('\n')
          .map((l) => l.replace(/#.*/, '').trim())
          .filter(Boolean)
          .map((l) => /^([A-Za-z0-9_.-]+)==([^\s;]+)/.exec(l)!)
          .map((m) => [m[1].toLowerCase().replace(/_/g, '-'), m[2]]),
      );
    const wanted = pinned(readFileSync(join(ROOT, 'pyspark', 'requirements.txt'), 'utf8'));
    const built = pinned(readFileSync(join(wheelhouse, 'requirements.txt'), 'utf8'));
    wanted.delete('pyspark');
    for (const [name, version] of wanted) expect(built.get(name), name).toBe(version);
    // Every wheel the nodes install is listed with the sha256 of the file that is there.
    const lines = readFileSync(join(wheelhouse, 'requirements.txt'), 'utf8').trim().split('\n');
    for (const line of lines) {
      const [, name, version, hash] = /^([^=]+)==(\S+) --hash=sha256:([0-9a-f]{64})$/.exec(line)!;
      const file = readdirSync(wheelhouse).find((f) => f.endsWith('.whl') && f.toLowerCase().startsWith(`${name.replace(/-/g, '_').toLowerCase()}-${version}-`));
      expect(file, line).toBeDefined();
      expect(createHash('sha256').update(readFileSync(join(wheelhouse, file!))).digest('hex')).toBe(hash);
    }
    // Binary wheels are for the nodes: CPython 3.11, manylinux2014 x86_64 (or pure Python).
    for (const file of readdirSync(wheelhouse).filter((f) => f.endsWith('.whl'))) {
      expect(file).toMatch(/-(cp311-cp311-manylinux.*x86_64|py3-none-any|py2\.py3-none-any)\.whl$/);
    }
  });

  it('bootstrap.sh installs it offline into a fresh Python 3.11 venv, and the job runs with it: parity with the engine', async () => {
    const input = join(ROOT, 'fixtures', 'default.csv');
    const { config } = loadEmrConfig({ flags: { bucket: BUCKET, input } });
    const plan = planRun(config, { runId: 'wh-1', attemptId: 'a1', creatorArn: null }, {
      input: await localFileFacts(input),
      script: await localFileFacts(config.files.script),
      bootstrap: await localFileFacts(config.files.bootstrap),
      wheelhouse: await wheelhouseFiles(wheelhouse),
    });
    // The plan lists every wheel, each with its local path.
    const wheels = plan.uploads.filter((u) => u.role === 'wheel');
    expect(wheels.map((u) => basename(u.localPath!)).sort()).toEqual(readdirSync(wheelhouse).filter((f) => f.endsWith('.whl')).sort());
    await stageUploads(s3, plan.uploads);

    // `aws s3 cp --recursive` as the node has it, here over boto3 against moto.
    const pyenv = await ensurePythonEnv();
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'aws'),
      `#!/bin/sh
exec "${pyenv.python}" - "$@" <<'PY'
import os, sys, boto3
args = [a for a in sys.argv[1:] if a not in ("--only-show-errors", "--recursive")]
assert args[:2] == ["s3", "cp"], args
src, dest = args[2], args[3]
bucket, _, prefix = src[len("s3://"):].partition("/")
s3 = boto3.client("s3")
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    for obj in page.get("Contents", []):
        target = os.path.join(dest, obj["Key"][len(prefix):])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        s3.download_file(bucket, obj["Key"], target)
PY
`,
    );
    chmodSync(join(bin, 'aws'), 0o755);
    const venv = join(work, 'venv');
    const bootstrapArgs = plan.runJobFlow!.BootstrapActions![0].ScriptBootstrapAction!.Args!;
    const nodeEnv: NodeJS.ProcessEnv = { ...process.env, ...moto.env };
    delete nodeEnv.AWS_PROFILE; // moto.env blanks it; boto3 reads a blank one as a profile name
    const installed = await run('bash', [join(ROOT, 'pyspark', 'bootstrap.sh'), ...bootstrapArgs], {
      ...nodeEnv,
      PATH: `${bin}:${process.env.PATH}`,
      PRICECAST_PYTHON: python311(),
      PRICECAST_VENV: venv,
      // No package index: anything not in the wheelhouse would fail to install.
      PIP_INDEX_URL: 'http://127.0.0.1:9/simple',
      PIP_NO_INDEX: '1',
      PIP_CONFIG_FILE: '/dev/null',
    });
    expect(installed.code, installed.stderr + installed.stdout).toBe(0);
    expect(installed.stdout).toMatch(/bootstrap: numpy 1\.26\.4 pandas 2\.2\.3 pyarrow 17\.0\.0/);
    const versions = await run(join(venv, 'bin', 'python'), ['-c', 'import sys, ta, importlib.metadata as m; print(sys.version_info[:2], m.version("ta"))'], process.env);
    expect(versions.stdout.trim()).toBe('(3, 11) 0.11.0');

    // The same job, PySpark's Python being the venv (as spark-env's PYSPARK_PYTHON makes it on EMR).
    // SPARK_HOME given, as on EMR (/usr/lib/spark): otherwise spark-submit asks PYSPARK_PYTHON where
    // pyspark is installed, and the venv has none (EMR's Spark is not a pip package there either).
    const sparkHome = (await run(pyenv.python, ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'], pyenv.env)).stdout.trim();
    const out = join(work, 'spark-out');
    const job = await run(pyenv.sparkSubmit, sparkSubmitArgs({ input, output: out }), {
      ...pyenv.env,
      SPARK_HOME: sparkHome,
      PYSPARK_PYTHON: join(venv, 'bin', 'python3'),
      PYSPARK_DRIVER_PYTHON: join(venv, 'bin', 'python3'),
    });
    expect(job.code, job.stderr.slice(-3000)).toBe(0);
    const engine = await runPipeline({ input });
    const { report, reference } = await compareEngineWithFolder(out, { predictions: engine.predictions, report: engine.report });
    expect(reference.report.engine).toBe('pyspark');
    expect(report.sameTestRows).toBe(true);
    expect(report.ok).toBe(true);
  });
});
