import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatWarnings, targetsWarned, type ReportedViolation } from '../../../lib/compliance/validation-report';
import { UNVERIFIED_WARNING } from '../../../lib/residency/capability-gate';
import { cdkJsonContext, REPO_ROOT } from '../../helpers/synth';

/**
 * What `cdk synth` prints as warnings: one line each, where and what, and
 * the preflight command once at the end, not in every warning.
 */

test('the app\'s synth output: one line per warning, no command repeated, the preflight command once', () => {
  // GIVEN the app (bin/statehouse.ts) run as the CDK CLI runs it: context and output directory in the environment
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-synth-warnings-'));
  const context = { ...cdkJsonContext(), targets: 'GovWest', 'aws:cdk:bundling-stacks': [] };
  const run = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'ts-node'), ['--transpile-only', '--prefer-ts-exts', 'bin/statehouse.ts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
  });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
  // THEN the block is its title, then exactly as many lines as it counts, then the preflight line
  const lines = run.stderr.split('\n');
  const start = lines.findIndex((line) => line.startsWith('Statehouse synth warnings ('));
  const count = Number(/\((\d+)\):$/.exec(lines[start])![1]);
  expect(count).toBeGreaterThan(5);
  const warnings = lines.slice(start + 1, start + 1 + count);
  for (const warning of warnings) expect(warning).toMatch(/^ {2}- GovWest\/\S+: \S/);
  expect(warnings.filter((w) => /npm run preflight|Verify before deploy/.test(w))).toEqual([]);
  expect(lines[start + 1 + count]).toBe('Before deploy, `npm run preflight -- -c targets=GovWest` asks the account about each unverified capability.');
  expect(lines.filter((line) => line.includes('npm run preflight'))).toHaveLength(1);
});

const annotation = (path: string, id: string, description: string): ReportedViolation => ({
  plugin: 'Construct Annotations',
  rule: `Annotation::${id}`,
  severity: 'warning',
  description,
  paths: [path],
});

test('formatWarnings: an annotation by its message, another plugin\'s finding by rule and fix, each on one line', () => {
  const warnings: ReportedViolation[] = [
    annotation('GovWest/Runtime/Api', `${UNVERIFIED_WARNING}apigateway:private-rest-api`, '"apigateway:private-rest-api" in GovWest (us-gov-west-1) is unverified.'),
    { plugin: 'AwsSolutions', rule: 'AwsSolutions-L1', severity: 'warning', description: 'The non-container Lambda function\nis not the latest runtime.', fix: 'Use the latest runtime.', paths: ['GovEast/Runtime/F', 'GovEast/Runtime/G'] },
  ];
  expect(formatWarnings('Statehouse synth warnings', warnings).split('\n')).toEqual([
    'Statehouse synth warnings (2):',
    '  - GovWest/Runtime/Api: "apigateway:private-rest-api" in GovWest (us-gov-west-1) is unverified.',
    '  - GovEast/Runtime/F, GovEast/Runtime/G: [AwsSolutions] AwsSolutions-L1: The non-container Lambda function is not the latest runtime. Fix: Use the latest runtime.',
  ]);
});

test('targetsWarned: the targets with a warning of that id, each once', () => {
  const warnings = [
    annotation('GovWest/Foundation/Network', `${UNVERIFIED_WARNING}vpce:kms-fips`, 'a'),
    annotation('GovWest/Runtime/Api', `${UNVERIFIED_WARNING}apigateway:private-rest-api`, 'b'),
    annotation('GovEast/Runtime', 'statehouse:streaming-off', 'c'),
  ];
  expect(targetsWarned(warnings, UNVERIFIED_WARNING)).toEqual(['GovWest']);
});
