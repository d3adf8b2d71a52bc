import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/synth';

/**
 * The module map's one-way rules, checked on the source: data flows
 * bin → stacks → constructs → residency / contract, and lambda → contract;
 * the contract is shared by both sides and depends on nothing.
 */

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(rel);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Every module a file imports: package names as written, relative ones as repo paths. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)|require\('([^']+)'\)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  return specs.map((spec) => (spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : spec));
}

function violations(files: readonly string[], allowed: (target: string, file: string) => boolean): string[] {
  return files.flatMap((file) => importsOf(file).filter((target) => !allowed(target, file)).map((target) => `${file} imports ${target}`));
}

const under = (dir: string) => (target: string) => target === dir || target.startsWith(`${dir}/`);

describe('module map', () => {
  test('lib/contract imports nothing outside itself but Node\'s own modules: no SDK, no CDK, no zod', () => {
    // node:crypto for the hash chain, which the orchestrator and the client both compute.
    expect(violations(sourceFiles('lib/contract'), (target) => under('lib/contract')(target) || target.startsWith('node:'))).toEqual([]);
  });

  test('lambda/ reaches into lib/ only for the contract', () => {
    const lib = under('lib');
    expect(violations(sourceFiles('lambda'), (target) => !lib(target) || under('lib/contract')(target))).toEqual([]);
  });

  test('lib/ never imports Lambda code, except the emulator that runs it locally', () => {
    const files = sourceFiles('lib').filter((file) => !under('lib/emulator')(file));
    expect(violations(files, (target) => !under('lambda')(target))).toEqual([]);
  });

  test('constructs never see the configuration, the stacks, the kit\'s tool catalog or the emulator', () => {
    const forbidden = ['lib/config', 'lib/stacks', 'lib/tools', 'lib/emulator', 'lib/cost'].map(under);
    expect(violations(sourceFiles('lib/constructs'), (target) => !forbidden.some((f) => f(target)))).toEqual([]);
  });

  test('target-props.ts is the only stack file that reads the configuration', () => {
    const files = sourceFiles('lib/stacks').filter((file) => file !== 'lib/stacks/target-props.ts');
    expect(violations(files, (target) => !under('lib/config')(target))).toEqual([]);
  });

  test('the configuration knows no construct or stack (no type cycle)', () => {
    const forbidden = ['lib/constructs', 'lib/stacks'].map(under);
    expect(violations(sourceFiles('lib/config'), (target) => !forbidden.some((f) => f(target)))).toEqual([]);
  });

  test('no deep import of a dependency\'s private files', () => {
    // Subpaths a package documents as its API: Ajv's draft 2020-12 class (ajv.js.org, "JSON Schema draft 2020-12").
    const documented = new Set(['ajv/dist/2020']);
    const files = [...sourceFiles('lib'), ...sourceFiles('lambda'), ...sourceFiles('bin')];
    const isOwn = (target: string) => ['lib/', 'lambda/', 'bin/'].some((dir) => target.startsWith(dir));
    expect(violations(files, (target) => isOwn(target) || documented.has(target) || !/\/(lib|dist|src)\//.test(target))).toEqual([]);
  });
});

describe('citations', () => {
  test('code, comments, README and command output cite primary sources, never the team\'s own notes outside the repo', () => {
    // Built from parts, so this file does not match itself.
    const notes = new RegExp(['DESIGN', 'FACTS', 'STYLE'].map((name) => `${name}\\.md`).join('|'));
    const files = ['bin', 'lib', 'lambda', 'test', 'bench'].flatMap(sourceFiles).concat(['README.md', 'lambda/orchestrator/README.md', 'lambda/summarizer/README.md', 'lambda/tools/approval-wait/README.md']);
    const citing = files.filter((file) => notes.test(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')));
    expect(citing).toEqual([]);
  });
});

describe('repository layout', () => {
  test('the top level holds only what the house rules name (and the lockfile, .gitignore)', () => {
    const allowed = new Set(['bin', 'lib', 'lambda', 'test', 'bench', '.ci', 'cdk.json', 'package.json', 'package-lock.json', 'tsconfig.json', 'README.md', '.gitignore']);
    const tracked = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((file) => file !== '' && fs.existsSync(path.join(REPO_ROOT, file)))
      .map((file) => file.split('/')[0]);
    expect([...new Set(tracked)].filter((entry) => !allowed.has(entry))).toEqual([]);
  });
});
