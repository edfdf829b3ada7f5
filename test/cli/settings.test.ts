import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/engine/errors.js';
import {
  CONFIG_SETTING,
  formatOptionsHelp,
  JOB_SETTINGS,
  manifestOf,
  optionalSetting,
  parseCommand,
  setting,
  type SettingMap,
} from '../../src/settings.js';

const COMMAND = {
  ...JOB_SETTINGS,
  config: CONFIG_SETTING,
  tags: setting({ flag: 'tag', kind: 'strings', configKey: 'tags', help: 'a tag', default: [] as string[] }),
  count: setting({
    flag: 'count',
    kind: 'integer',
    configKey: 'cluster.count',
    metavar: 'N',
    help: 'how many',
    default: 3,
    validate: (v: number) => (v >= 0 ? undefined : 'a count of 0 or more'),
  }),
  name: optionalSetting({ flag: 'name', kind: 'string', configKey: 'name', help: 'a name' }),
} satisfies SettingMap;

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'pricecast-settings-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('settings table', () => {
  it('fills defaults when nothing is given', () => {
    const { values, given } = parseCommand([], COMMAND);
    expect(values.seed).toBe(42);
    expect(values.trainRatio).toBe(0.7);
    expect(values.split).toBe('random');
    expect(values.count).toBe(3);
    expect(values.tags).toEqual([]);
    expect(values.name).toBeUndefined();
    expect(given.size).toBe(0);
  });

  it('parses flags by kind, repeatable flags into lists', () => {
    const { values, given } = parseCommand(
      ['--seed=-7', '--train-ratio', '0.5', '--split', 'time', '--tag', 'a', '--tag', 'b', '--count', '0'],
      COMMAND,
    );
    expect(values).toMatchObject({ seed: -7, trainRatio: 0.5, split: 'time', tags: ['a', 'b'], count: 0 });
    expect([...given].sort()).toEqual(['count', 'seed', 'split', 'tags', 'trainRatio']);
  });

  it.each([
    [['--seed', '1.5'], '--seed: expected an integer, got "1.5"'],
    [['--seed', '99999999999999999999'], '--seed: expected an integer between'],
    [['--train-ratio', '1'], '--train-ratio: expected a number strictly between 0 and 1, got "1"'],
    [['--train-ratio', 'abc'], '--train-ratio: expected a number strictly between 0 and 1, got "abc"'],
    [['--split', 'sideways'], '--split: expected "random" or "time", got "sideways"'],
    [['--count=-1'], '--count: expected a count of 0 or more, got "-1"'],
    [['--count', '-1'], "Option '--count' argument is ambiguous"],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j with one message naming the flag', (argv, message) => {
    expect(usageMessage(() => parseCommand(argv, COMMAND))).toContain(message);
  });

  it('reads a config file with nested keys; flags win over it', () => {
    const path = configFile({ job: { seed: 9, split: 'time' }, cluster: { count: 5 }, tags: ['x'], name: 'n' });
    const { values } = parseCommand(['--config', path, '--seed', '11'], COMMAND);
    expect(values).toMatchObject({ seed: 11, split: 'time', count: 5, tags: ['x'], name: 'n', trainRatio: 0.7 });
  });

  it('refuses unknown keys, wrong types and invalid values in the config file, naming the key', () => {
    expect(usageMessage(() => parseCommand(['--config', configFile({ job: { sed: 1 } })], COMMAND))).toMatch(
      /unknown setting job\.sed \(known: .*seed/,
    );
    expect(usageMessage(() => parseCommand(['--config', configFile({ job: { seed: '1' } })], COMMAND))).toContain(
      'job.seed: expected an integer, got "1"',
    );
    expect(usageMessage(() => parseCommand(['--config', configFile({ job: { trainRatio: 2 } })], COMMAND))).toContain(
      'job.trainRatio: expected a number strictly between 0 and 1, got 2',
    );
    expect(usageMessage(() => parseCommand(['--config', configFile('{nope')], COMMAND))).toContain('is not valid JSON');
    expect(usageMessage(() => parseCommand(['--config', configFile([1])], COMMAND))).toContain('must hold a JSON object');
  });

  it('writes a manifest that reads back as a config file giving the same values', () => {
    const first = parseCommand(['--seed', '5', '--tag', 't', '--count', '2', '--name', 'm'], COMMAND).values;
    const manifest = manifestOf(COMMAND, first);
    expect(manifest).toMatchObject({ job: { seed: 5 }, cluster: { count: 2 }, tags: ['t'], name: 'm' });
    const again = parseCommand(['--config', configFile(manifest)], COMMAND).values;
    expect({ ...again, config: undefined }).toEqual({ ...first, config: undefined });
  });

  it('prints every flag in --help with its default from the table and its config key', () => {
    const help = formatOptionsHelp(COMMAND);
    for (const s of Object.values(COMMAND)) expect(help).toContain(`--${s.flag}`);
    expect(help).toMatch(/--seed N\s+seed of Spark's randomSplit \(default 42; \[job\.seed\]\)/);
    expect(help).toContain('default 3; [cluster.count]');
  });
});
