/**
 * The walk-forward job's settings on EMR (`--command experiment`, docs/emr.md#the-experiment-on-emr) and
 * its flags after `--input` and `--output`, pure and light: the plan and the config need them, and the
 * comparison's modules (the engine's experiment) must not become theirs. The flags are the ones the
 * parity suite passes the same job (`walkForwardFlags` in src/parity/experimentParity.ts; plan.test.ts
 * checks they agree): the sets, the train ratio, the refit cadence, the target, then the input reading.
 */
import type { Target } from '../experiment/target.js';
import type { JobSettings } from '../settings.js';

/** The experiment's settings, as the config holds them and run.json records them. */
export interface EmrExperimentSettings {
  /** `--set` texts: NAME=SPEC[;regParam=λ]. */
  sets: string[];
  trainRatio: number;
  refitEvery: number;
  target: Target;
}

/** How the job reads its input: the settings of the run's job that walk_forward.py takes too. */
export type ExperimentInputSettings = Partial<Pick<JobSettings, 'format' | 'columns' | 'thousands' | 'missing' | 'ohlcCheck' | 'assets'>>;

export function experimentJobArgs(experiment: EmrExperimentSettings, job: ExperimentInputSettings): string[] {
  const flags = experiment.sets.flatMap((set) => ['--set', set]);
  flags.push('--train-ratio', String(experiment.trainRatio), '--refit-every', String(experiment.refitEvery), '--target', experiment.target);
  if (job.format != null && job.format !== 'auto') flags.push('--format', job.format);
  if (typeof job.columns === 'string') flags.push('--columns', job.columns);
  else if (job.columns != null) flags.push('--columns', Object.entries(job.columns).map(([k, v]) => `${k}=${v}`).join(','));
  if (job.thousands != null) flags.push('--thousands', job.thousands);
  if (job.missing != null) flags.push('--missing', job.missing);
  if (job.ohlcCheck === 'off') flags.push('--ohlc-check', 'off');
  if (job.assets != null && job.assets.length > 0) flags.push('--assets', job.assets.join(','));
  return flags;
}
