import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, synthStatehouse, type Synthesized } from '../../helpers/synth';

/**
 * `npm run report` as a user runs it: `-c targets=` read like every kit
 * command's (lib/cli/context-args.ts), limiting the report to those targets
 * of the synthesized assembly.
 */
let synth: Synthesized;
beforeAll(() => {
  // GIVEN an assembly of two targets
  synth = synthStatehouse({ targets: 'Commercial,GovWest', cfnValidation: true });
});

function runReport(...args: string[]) {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-report-cli-'));
  const run = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin'), '--transpile-only', path.join('bin', 'report.ts'), '-o', synth.outdir, '--out', outDir, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return { ...run, written: fs.readdirSync(outDir).sort() };
}

test('without -c targets, every target of the assembly', () => {
  const run = runReport();
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^Commercial: \d+ data stores/m);
  expect(run.stdout).toMatch(/^GovWest: \d+ data stores/m);
});

test('-c targets=GovWest reports GovWest only', () => {
  const run = runReport('-c', 'targets=GovWest');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^GovWest: \d+ data stores/m);
  expect(run.stdout).not.toMatch(/^Commercial:/m);
  expect(run.written).toEqual(['architecture-GovWest.svg', 'evidence-GovWest.json', 'evidence-GovWest.md']);
});

test('a target the assembly does not hold says how to synthesize it; an unknown target is a configuration error', () => {
  const missing = runReport('-c', 'targets=GovEast');
  expect(missing.stderr).toMatch(/has no assembly of target GovEast \(it holds: Commercial, GovWest\); run `npx cdk synth -c targets=GovEast` first\./);
  expect(missing.status).toBe(1);
  expect(missing.written).toEqual([]);
  const unknown = runReport('-c', 'targets=Moon');
  expect(unknown.stderr).toMatch(/no target named "Moon"; declared targets are Commercial, GovWest, GovEast/);
  expect(unknown.status).toBe(2);
});
