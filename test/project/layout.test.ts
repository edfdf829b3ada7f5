/**
 * The house rules a reviewer would otherwise check by hand: the engine's folders show the pipeline (few
 * loose files), one casing for file names, no import cycles (type-only imports included), and the code
 * explains itself from inside the repository (comments cite docs/, never an outside contract or an issue).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === '__pycache__') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, keep));
    else if (keep(path)) out.push(path);
  }
  return out;
}

const isTs = (path: string) => path.endsWith('.ts');
const SRC = join(ROOT, 'src');

/** Every relative import of a TypeScript file (static, dynamic, `export … from`, type-only), resolved. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return specs.map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
}

describe('layout', () => {
  it('src/engine has at most 8 loose files; the rest live in folders by stage', () => {
    const loose = readdirSync(join(SRC, 'engine')).filter((name) => statSync(join(SRC, 'engine', name)).isFile());
    expect(loose.length, loose.join(', ')).toBeLessThanOrEqual(8);
    for (const stage of ['ingest', 'features', 'model', 'output']) expect(statSync(join(SRC, 'engine', stage)).isDirectory()).toBe(true);
  });

  it('TypeScript file names are camelCase everywhere (src, test, bench, fixtures)', () => {
    const names = ['src', 'test', 'bench', 'fixtures']
      .flatMap((dir) => filesUnder(join(ROOT, dir), isTs))
      .map((path) => relative(ROOT, path));
    const bad = names.filter((path) => !/^[a-z][a-zA-Z0-9]*(\.test)?\.ts$/.test(path.slice(path.lastIndexOf('/') + 1)));
    expect(bad).toEqual([]);
  });

  it('tests mirror src: every test file sits in a folder named after a part of the project', () => {
    const topLevel = readdirSync(join(ROOT, 'test')).filter((name) => name.endsWith('.test.ts'));
    expect(topLevel).toEqual([]);
  });

  it('no import cycles in src/, type-only imports included', () => {
    const files = filesUnder(SRC, isTs);
    const graph = new Map(files.map((f) => [f, importsOf(f).filter((target) => files.includes(target))]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      stack.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(SRC, f)).join(' → '));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('the settings table imports no command module', () => {
    const commandModules = /(?:cli|command|commands|catalogueCommand)\.js'/;
    const imports = readFileSync(join(SRC, 'settings.ts'), 'utf8').split('\n').filter((line) => /^import|^\} from/.test(line));
    expect(imports.filter((line) => commandModules.test(line))).toEqual([]);
  });
});

describe('the repository explains itself', () => {
  const code = ['src', 'test', 'bench', 'fixtures', 'pyspark', 'airflow', 'bin']
    .flatMap((dir) => filesUnder(join(ROOT, dir), (p) => /\.(ts|py|sh|mjs)$/.test(p)))
    .filter((path) => !path.endsWith(join('project', 'layout.test.ts')));

  it('no code or comment points at an outside contract, the shared folder or an issue number', () => {
    const outside = /SPEC\.md|\.\.\/shared|'shared'|\b[Ii]ssue \d+|\(issue\b/;
    const hits = code.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => [line, i] as const)
        .filter(([line]) => outside.test(line))
        .map(([line, i]) => `${relative(ROOT, file)}:${i + 1}: ${line.trim()}`),
    );
    expect(hits).toEqual([]);
  });

  it('every docs/ page a comment cites exists, and so does the heading it names', () => {
    const slug = (heading: string) => heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').trim().replace(/ /g, '-');
    const missing: string[] = [];
    for (const file of code) {
      for (const m of readFileSync(file, 'utf8').matchAll(/docs\/([\w-]+\.md)(?:#([\w-]+))?/g)) {
        const page = join(ROOT, 'docs', m[1]);
        let text: string;
        try {
          text = readFileSync(page, 'utf8');
        } catch {
          missing.push(`${relative(ROOT, file)}: docs/${m[1]}`);
          continue;
        }
        if (m[2] && !text.split('\n').some((line) => /^#{1,6} /.test(line) && slug(line.replace(/^#+ /, '')) === m[2])) {
          missing.push(`${relative(ROOT, file)}: docs/${m[1]}#${m[2]}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
