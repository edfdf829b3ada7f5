/**
 * What each command needs, checked piece by piece (docs/install.md#doctor). Each piece says which
 * commands need it, whether it is there, and, when it is not, the one command that fixes it.
 *
 * Java, Python and the cached environments are asked of the scripts that build them
 * (`provision.sh --check`, `wheelhouse.sh --check`), so the version ranges and the meaning of "current"
 * are declared once, in those scripts. AWS goes through the clients `emr` itself uses (src/emr/clients.ts):
 * the same credential chain, region and endpoints. No secret is printed: the credentials are shown
 * as the caller's ARN.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CACHE_ENV, cacheDir, PROJECT_ROOT, scriptEnv } from '../paths.js';

/** The commands doctor can be asked about, in the order they are reported. */
export const DOCTOR_COMMANDS = ['predict', 'features', 'experiment', 'forecast', 'parity', 'emr'] as const;
export type DoctorCommand = (typeof DOCTOR_COMMANDS)[number];

/** The oldest Node pricecast runs on (package.json "engines"). */
export const MIN_NODE_MAJOR = 20;

export interface Piece {
  name: 'node' | 'java' | 'python' | 'pyenv' | 'wheelhouse' | 'aws credentials' | 'aws region' | 'bucket';
  /** ok: there; missing: needed and absent; skipped: not checked (see detail). */
  status: 'ok' | 'missing' | 'skipped';
  /** What was found, or why it is missing. */
  detail: string;
  /** The one command that fixes a missing piece (null when ok or skipped). */
  fix: string | null;
  neededBy: DoctorCommand[];
}

export interface DoctorOptions {
  /** Check only what these commands need (all when omitted). */
  commands?: readonly DoctorCommand[];
  /** The bucket `emr` would use; without it the bucket is not checked. */
  bucket?: string;
  env?: NodeJS.ProcessEnv;
  /** Per AWS request (doctor must answer quickly even when an endpoint does not). */
  awsTimeoutSeconds?: number;
}

const EVERY_COMMAND = [...DOCTOR_COMMANDS];

/** A word for the shell: quoted when it holds anything but safe characters. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * How to run one of the project's scripts by hand so that it builds into the cache folder pricecast
 * uses: with PRICECAST_CACHE when that folder is not the script's own default (`<project>/.cache`).
 */
export function scriptCommand(script: string, env: NodeJS.ProcessEnv = process.env): string {
  const cache = cacheDir(env);
  const prefix = cache === join(PROJECT_ROOT, '.cache') ? '' : `${CACHE_ENV}=${shellWord(cache)} `;
  return `${prefix}bash ${shellWord(join(PROJECT_ROOT, script))}`;
}

export function nodePiece(version: string = process.versions.node): Piece {
  const major = Number(version.split('.')[0]);
  const ok = major >= MIN_NODE_MAJOR;
  return {
    name: 'node',
    status: ok ? 'ok' : 'missing',
    detail: ok ? `Node ${version}` : `Node ${version} is too old: pricecast needs Node ${MIN_NODE_MAJOR} or later`,
    fix: ok ? null : `nvm install ${MIN_NODE_MAJOR}`,
    neededBy: EVERY_COMMAND,
  };
}

/** Runs `bash SCRIPT --check` and reads its "NAME<tab>ok|missing<tab>DETAIL" lines. */
async function scriptCheck(script: string, env: NodeJS.ProcessEnv): Promise<Map<string, { ok: boolean; detail: string }>> {
  const { code, stdout, stderr } = await run('bash', [join(PROJECT_ROOT, script), '--check'], scriptEnv(env));
  if (code !== 0) throw new Error(`${script} --check failed (exit ${code}): ${stderr.trim()}`);
  const lines = new Map<string, { ok: boolean; detail: string }>();
  for (const line of stdout.split('\n')) {
    const [name, status, ...detail] = line.split('\t');
    if (name && status) lines.set(name, { ok: status === 'ok', detail: detail.join('\t') });
  }
  return lines;
}

/** Java, Python and the reference job's environment: what `parity` needs. */
export async function parityPieces(env: NodeJS.ProcessEnv = process.env): Promise<Piece[]> {
  const found = await scriptCheck('pyspark/provision.sh', env);
  const line = (name: string) => found.get(name) ?? { ok: false, detail: `provision.sh --check said nothing about ${name}` };
  const java = line('java');
  const python = line('python');
  const pyenv = line('env');
  const provision = scriptCommand('pyspark/provision.sh', env);
  return [
    {
      name: 'java',
      status: java.ok ? 'ok' : 'missing',
      detail: java.detail,
      fix: java.ok ? null : 'sudo apt-get install openjdk-17-jre-headless',
      neededBy: ['parity'],
    },
    // A current environment brings its own interpreter; a Python on PATH is needed only to build one.
    python.ok || pyenv.ok
      ? { name: 'python', status: 'ok', detail: python.ok ? python.detail : `the environment's own (${join(pyenv.detail, 'bin', 'python')})`, fix: null, neededBy: ['parity'] }
      : { name: 'python', status: 'missing', detail: python.detail, fix: 'sudo apt-get install python3.11 python3.11-venv', neededBy: ['parity'] },
    {
      name: 'pyenv',
      status: pyenv.ok ? 'ok' : 'missing',
      detail: pyenv.detail,
      fix: pyenv.ok ? null : provision,
      neededBy: ['parity'],
    },
  ];
}

export async function wheelhousePiece(env: NodeJS.ProcessEnv = process.env): Promise<Piece> {
  const wheelhouse = (await scriptCheck('pyspark/wheelhouse.sh', env)).get('wheelhouse') ?? { ok: false, detail: 'wheelhouse.sh --check said nothing' };
  return {
    name: 'wheelhouse',
    status: wheelhouse.ok ? 'ok' : 'missing',
    detail: wheelhouse.detail,
    fix: wheelhouse.ok ? null : scriptCommand('pyspark/wheelhouse.sh', env),
    neededBy: ['emr'],
  };
}

/** The first line of an error, without anything after the first newline (the SDK's can be long). */
const firstLine = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0];

/** Region, credentials (STS GetCallerIdentity) and, given a name, the bucket (S3 HeadBucket). */
export async function awsPieces(options: { bucket?: string; env?: NodeJS.ProcessEnv; timeoutSeconds?: number } = {}): Promise<Piece[]> {
  const env = options.env ?? process.env;
  // Loaded only here: the AWS SDK is large, and only these checks need it.
  const { createClients, callerIdentity } = await import('../emr/clients.js');
  const { HeadBucketCommand } = await import('@aws-sdk/client-s3');
  const signal = AbortSignal.timeout((options.timeoutSeconds ?? 10) * 1000);
  const clients = createClients({ env, signal, requestTimeoutSeconds: options.timeoutSeconds ?? 10 });
  const pieces: Piece[] = [];

  let region: string | undefined;
  try {
    region = await clients.sts.config.region();
  } catch {
    region = undefined;
  }
  pieces.push(
    region
      ? { name: 'aws region', status: 'ok', detail: region, fix: null, neededBy: ['emr'] }
      : { name: 'aws region', status: 'missing', detail: 'no region in AWS_REGION, AWS_DEFAULT_REGION or the profile', fix: 'aws configure set region us-east-1', neededBy: ['emr'] },
  );

  // Credentials: first whether the SDK's chain finds any (no request), then, with a region, whether STS
  // accepts them; the report names the caller's ARN, never a key.
  let identityOk = false;
  let credentialsFound = true;
  try {
    await clients.sts.config.credentials();
  } catch (error) {
    credentialsFound = false;
    pieces.push({ name: 'aws credentials', status: 'missing', detail: `none found by the SDK's chain (${firstLine(error)})`, fix: 'aws configure', neededBy: ['emr'] });
  }
  if (credentialsFound && !region) {
    pieces.push({ name: 'aws credentials', status: 'ok', detail: 'found, not verified with STS (no region)', fix: null, neededBy: ['emr'] });
  } else if (credentialsFound) {
    try {
      const identity = await callerIdentity(clients.sts);
      identityOk = true;
      pieces.push({ name: 'aws credentials', status: 'ok', detail: identity.arn, fix: null, neededBy: ['emr'] });
    } catch (error) {
      pieces.push({ name: 'aws credentials', status: 'missing', detail: `STS refused them or did not answer (${firstLine(error)})`, fix: 'aws configure', neededBy: ['emr'] });
    }
  }

  if (options.bucket === undefined) {
    pieces.push({ name: 'bucket', status: 'skipped', detail: 'not checked: name it with --bucket NAME', fix: null, neededBy: ['emr'] });
  } else if (!identityOk) {
    pieces.push({ name: 'bucket', status: 'skipped', detail: `${options.bucket}: not checked without credentials`, fix: null, neededBy: ['emr'] });
  } else {
    try {
      await clients.s3.send(new HeadBucketCommand({ Bucket: options.bucket }));
      pieces.push({ name: 'bucket', status: 'ok', detail: `s3://${options.bucket} is reachable`, fix: null, neededBy: ['emr'] });
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // HeadBucket answers with a status only: 404 no such bucket, 403 not yours or not allowed.
      const [detail, fix] =
        status === 404
          ? [`s3://${options.bucket} does not exist`, `aws s3 mb s3://${options.bucket}`]
          : status === 403
            ? [`s3://${options.bucket}: access denied (another account's bucket, or no s3:ListBucket on it)`, `aws s3 ls s3://${options.bucket} (then ask for s3:ListBucket, s3:GetObject and s3:PutObject on it)`]
            : [`s3://${options.bucket}: ${firstLine(error)}`, `aws s3 ls s3://${options.bucket}`];
      pieces.push({ name: 'bucket', status: 'missing', detail, fix, neededBy: ['emr'] });
    }
  }
  for (const client of Object.values(clients)) client.destroy();
  return pieces;
}

/** Every piece the given commands need (all commands when none are named). */
export async function runDoctor(options: DoctorOptions = {}): Promise<Piece[]> {
  const env = options.env ?? process.env;
  const wanted = new Set(options.commands ?? EVERY_COMMAND);
  const pieces: Piece[] = [nodePiece()];
  if (wanted.has('parity')) pieces.push(...(await parityPieces(env)));
  if (wanted.has('emr')) {
    pieces.push(await wheelhousePiece(env));
    pieces.push(...(await awsPieces({ bucket: options.bucket, env, timeoutSeconds: options.awsTimeoutSeconds })));
  }
  return pieces;
}

/** Whether `command` can run: every piece it needs is there (skipped pieces are not held against it). */
export function isReady(pieces: readonly Piece[], command: DoctorCommand): boolean {
  return pieces.every((piece) => !piece.neededBy.includes(command) || piece.status !== 'missing');
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
