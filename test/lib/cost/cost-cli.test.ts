import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, parseConfig } from '../../../lib/config/load';
import type { TargetConfig } from '../../../lib/config/schema';
import { costInputsForTarget } from '../../../lib/cost/cost-inputs';
import { estimateMonthlyCost } from '../../../lib/cost/estimate';
import { REPO_ROOT, synthStatehouse } from '../../helpers/synth';
import { USAGE } from './hand-figures';

/**
 * The inputs read from the configuration, and the CLI's printed tables,
 * against figures worked out by hand from the list prices (test/lib/cost/hand-figures.ts).
 *
 * Default usage per turn (lib/cost/cost-inputs.ts's assumptions, session.contextEvents = 50):
 *   reads   header 2 KB + 50 events x 1 KB = 52 KB -> ceil(52 / 4) = 13 read units
 *   writes  (header 2 KB + 2 events x 1 KB) x 2 (transactional) = 8 write units
 *   Lambda  1 GB x (3.5 s orchestrator + 0.5 s other) = 4 GB-s, 2 invocations
 *   Express 1 request; Standard 100,000 x 1 % x 10 = 10,000 transitions a month
 * With 100,000 turns a month (hand-figures.ts):
 *   DynamoDB reads 1,300,000 x $0.125 / 1e6 = $0.1625; writes 800,000 x $0.625 / 1e6 = $0.50
 *   Lambda requests 200,000 x $0.20 / 1e6 = $0.04; compute 400,000 GB-s x $0.0000166667 = $6.66668
 *   Express 100,000 x $1.00 / 1e6 = $0.10; Standard 10,000 x $0.025 / 1,000 = $0.25
 *   serverless = 0.1625 + 0.50 + 0.04 + 6.66668 + 0.10 + 0.25 = $7.71918 -> "$7.72"
 *
 * THE DEFAULT CONFIGURATION has no Neuron endpoint (Bedrock only): no endpoint line,
 * so each default target's total is the serverless $7.71918 -> "$7.72"
 * (GovWest: the same figure, marked unconfirmed).
 *
 * GOVWEST WITH ml.trn1.32xlarge (neuron: {instanceType, weightsPrefix}, every other field default):
 *   schedule working-hours: 08:00-18:00 MON-FRI = 10 h x 5 = 50 working hours a week
 *   maxCapacity 2 during them, off-hours maximum 1 for the other 168 - 50 = 118 h
 *   2 x 50 + 1 x 118 = 218 instance-h a week x 4.348214285714 weeks = 947.910714285714 instance-h
 *   x $28.497 = $27,012.611625; total 27,012.611625 + 7.71918 = $27,020.330805 -> "$27,020.33"
 *   per token (modelSize unset -> 8B): $28.497 / (1,143 tok/s x 3,600) x 1e6 = $6.925488 -> "$6.93"
 *
 * COMMERCIAL WITH ml.inf2.48xlarge, always-on, maxCapacity 1, modelSize 70B:
 *   1 instance x 168 h x 4.348214285714 = 730.5 instance-h x $15.58 = $11,381.19
 *   total 11,381.19 + 7.71918 = $11,388.90918 -> "$11,388.91"
 *   per token: $15.58 / (30 tok/s x 3,600) x 1e6 = $144.259259 -> "$144.26"
 */
const SERVERLESS = 7.71918;
const TRN1 = { instanceHours: 947.910714285714, endpoint: 27012.611625, total: 27020.330805, perMillion: 6.925488 };
const INF2_ALWAYS_ON = { instanceHours: 730.5, endpoint: 11381.19, total: 11388.90918, perMillion: 144.259259 };

const GOVWEST_TRN1 = { neuron: { instanceType: 'ml.trn1.32xlarge', weightsPrefix: 'llama-3-8b/' }, model: { kind: 'neuron' } };
const COMMERCIAL_INF2 = {
  neuron: { instanceType: 'ml.inf2.48xlarge', weightsPrefix: 'llama-3-70b/', schedule: 'always-on', maxCapacity: 1, modelSize: '70B' },
  summarizerModel: { kind: 'neuron' },
};

const target = (name: string, overrides: Record<string, unknown> = {}): TargetConfig => parseConfig({ targets: { [name]: overrides } }).targets[name];

describe('costInputsForTarget', () => {
  test('the default configuration: no Neuron endpoint, so no endpoint line; Bedrock is said to be left out', () => {
    for (const name of ['Commercial', 'GovWest', 'GovEast']) {
      const { input, notes } = costInputsForTarget(name, target(name));
      expect(input.endpoint).toBeUndefined();
      expect(input.modelSize).toBeUndefined();
      expect(input.usage).toEqual(USAGE);
      expect(notes[0]).toBe(`targets.${name}: no Neuron endpoint configured; Bedrock is billed per token and not estimated.`);
    }
    // By hand: the serverless items only.
    expect(estimateMonthlyCost(costInputsForTarget('Commercial', target('Commercial')).input).totalUsd).toBeCloseTo(SERVERLESS, 9);
  });

  test('GovWest with ml.trn1.32xlarge: maxCapacity (2) for the 50 working hours, the off-hours maximum (1) otherwise, Llama 3 8B', () => {
    const { input, notes } = costInputsForTarget('GovWest', target('GovWest', GOVWEST_TRN1));
    expect(input.endpoint).toEqual({ instanceType: 'ml.trn1.32xlarge', workingHoursInstances: 2, offHoursInstances: 1, workingHoursPerWeek: 50 });
    expect(input.modelSize).toBe('8B');
    expect(notes[0]).toBe(
      'Endpoint from targets.GovWest.neuron: ml.trn1.32xlarge, 2 (maxCapacity) for 50 working hours a week, 1 (off-hours maximum) otherwise; ' +
        'an upper bound, target tracking may run fewer. Cost per token for Llama 3 8B (neuron.modelSize not set).',
    );
    // The model runs on the endpoint: nothing is said about Bedrock.
    expect(notes.join('\n')).not.toMatch(/Bedrock/);
    const estimate = estimateMonthlyCost(input);
    expect(estimate.lineItems[0].quantity).toBeCloseTo(TRN1.instanceHours, 9);
    expect(estimate.lineItems[0].monthlyUsd).toBeCloseTo(TRN1.endpoint, 6);
    expect(estimate.totalUsd).toBeCloseTo(TRN1.total, 6);
    expect(estimate.costPerMillionOutputTokens?.usdPerMillion.atHighThroughput).toBeCloseTo(TRN1.perMillion, 5);
  });

  test('Commercial with ml.inf2.48xlarge always on: maxCapacity all 168 hours; Bedrock for the orchestrator, Neuron for the summarizer', () => {
    const { input, notes } = costInputsForTarget('Commercial', target('Commercial', COMMERCIAL_INF2));
    expect(input.endpoint).toEqual({ instanceType: 'ml.inf2.48xlarge', workingHoursInstances: 1, offHoursInstances: 1, workingHoursPerWeek: 168 });
    expect(input.modelSize).toBe('70B');
    expect(notes.slice(0, 2)).toEqual([
      'Endpoint from targets.Commercial.neuron: ml.inf2.48xlarge, 1 (maxCapacity) all week (always-on); an upper bound, target tracking may run fewer.',
      'Bedrock is billed per token and not estimated (model: bedrock-converse).',
    ]);
    const estimate = estimateMonthlyCost(input);
    expect(estimate.lineItems[0].quantity).toBeCloseTo(INF2_ALWAYS_ON.instanceHours, 9);
    expect(estimate.totalUsd).toBeCloseTo(INF2_ALWAYS_ON.total, 6);
    expect(estimate.costPerMillionOutputTokens?.usdPerMillion.atHighThroughput).toBeCloseTo(INF2_ALWAYS_ON.perMillion, 5);
  });

  test('custom working hours: 07:00-19:00 MON-SAT is 72 h a week; off hours at the schedule\'s maximum', () => {
    const { input } = costInputsForTarget(
      'GovWest',
      target('GovWest', {
        neuron: { instanceType: 'ml.inf2.xlarge', weightsPrefix: 'm/', maxCapacity: 3, workingHours: { startHour: 7, endHour: 19, workdays: 'MON-SAT', offHoursMaxCapacity: 2 } },
      }),
    );
    // 12 h x 6 days = 72 working hours at 3 instances, 96 hours at 2.
    expect(input.endpoint).toEqual({ instanceType: 'ml.inf2.xlarge', workingHoursInstances: 3, offHoursInstances: 2, workingHoursPerWeek: 72 });
  });

  test('working hours the schedule cannot run are a configuration error naming the field', () => {
    const bad = target('GovWest', { neuron: { instanceType: 'ml.inf2.xlarge', weightsPrefix: 'm/', workingHours: { startHour: 18, endHour: 8 } } });
    expect(() => costInputsForTarget('GovWest', bad)).toThrow(ConfigError);
    expect(() => costInputsForTarget('GovWest', bad)).toThrow(/targets\.GovWest\.neuron\.workingHours: startHour \(18\) must be before endHour \(8\)/);
  });

  test('GovEast with a Neuron endpoint: no endpoint line, because SageMaker hosting is unavailable there (synth fails too)', () => {
    const { input, notes } = costInputsForTarget('GovEast', target('GovEast', { neuron: { instanceType: 'ml.inf2.xlarge', weightsPrefix: 'm/' } }));
    expect(input.endpoint).toBeUndefined();
    expect(notes[0]).toMatch(/^No endpoint line: SageMaker hosting is unavailable in us-gov-east-1 \(.*\), so synth of targets\.GovEast\.neuron fails\.$/);
  });

  test('a SageMaker endpoint deployed elsewhere is named as not estimated', () => {
    const { input, notes } = costInputsForTarget('GovWest', target('GovWest', { model: { kind: 'sagemaker', endpointName: 'agency-llm' } }));
    expect(input.endpoint).toBeUndefined();
    expect(notes.slice(0, 2)).toEqual([
      'targets.GovWest: no Neuron endpoint configured.',
      'targets.GovWest.model calls SageMaker endpoint "agency-llm", which this kit does not deploy: not estimated.',
    ]);
  });

  test('the read units follow the configured context size', () => {
    const bigger = target('Commercial', { session: { contextEvents: 100 } });
    expect(costInputsForTarget('Commercial', bigger).input.usage.dynamoReadUnitsPerTurn).toBe(26);
  });
});

/** Run the CLI as a user would (in `cwd`, the project directory); returns what it printed and its exit code. */
function runCostIn(cwd: string, ...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin'), '--transpile-only', path.join(REPO_ROOT, 'bin', 'cost.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json') },
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

const runCost = (...args: string[]) => runCostIn(REPO_ROOT, ...args);

/** A project directory with the repository's cdk.json and the given cdk.context.json. */
function projectWithContextFile(cdkContextJson: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-cost-project-'));
  fs.copyFileSync(path.join(REPO_ROOT, 'cdk.json'), path.join(dir, 'cdk.json'));
  fs.writeFileSync(path.join(dir, 'cdk.context.json'), JSON.stringify(cdkContextJson));
  return dir;
}

const REPORT_TITLE = 'Statehouse fixed cost (every resource of the synthesized templates): ';

/** The report printed for one target: from its title to the next target's. */
function tableOf(stdout: string, title: string): string {
  const start = stdout.indexOf(`${REPORT_TITLE}${title}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = stdout.indexOf(REPORT_TITLE, start + 1);
  return stdout.slice(start, next === -1 ? undefined : next);
}

/** Every repository path the output names exists in the repository; no internal file is cited. */
function expectOnlyRepoFilesCited(stdout: string): void {
  const cited = [...stdout.matchAll(/\b((?:lib|bin|lambda|test)\/[\w./-]+\.ts)\b/g)].map((m) => m[1]);
  expect(cited.length).toBeGreaterThan(0);
  for (const file of new Set(cited)) expect([file, fs.existsSync(path.join(REPO_ROOT, file))]).toEqual([file, true]);
  expect(stdout).not.toMatch(/\.\.\/shared|FACTS\.md|DESIGN\.md|\/work\//);
}

const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

// Each run synthesizes the app in process.
jest.setTimeout(900_000);

describe('bin/cost.ts', () => {
  // The default configuration's templates, synthesized once for the runs whose configuration does not change
  // them (`-o`); the runs with a Neuron endpoint synthesize their own, as the command does without `-o`.
  let defaults: string;
  beforeAll(() => {
    defaults = synthStatehouse({ targets: 'Commercial,GovWest' }).outdir;
  });

  test('the default configuration: one report per default target, no endpoint line, totals equal to the hand figures', () => {
    const { stdout, status } = runCost('-o', defaults);
    expect(status).toBe(0);
    const commercial = tableOf(stdout, 'Commercial (us-east-1)');
    const govWest = tableOf(stdout, 'GovWest (us-gov-west-1)');
    expect(stdout).not.toContain('GovEast');
    expect(stdout).not.toContain('SageMaker ml.');
    expect(commercial).toMatch(/^DynamoDB reads \(on demand\) +1,300,000 read request units +\$0\.125 \/ 1,000,000 read request units +\$0\.16 /m);
    expect(commercial).toMatch(/^Lambda compute \(x86_64\) +400,000 GB-seconds +\$0\.0000166667 \/ GB-seconds +\$6\.67 /m);
    expect(commercial.split('\n')).toContain(`Usage total: ${usd(SERVERLESS)}`);
    // The fixed table (hand figures in resource-cost.test.ts): 24 interface endpoint AZ-hours a month, 3 keys, the alarms and the dashboard.
    expect(commercial).toMatch(/^AWS::EC2::VPCEndpoint +12 +17,532 endpoint AZ-hours +\$175\.32 +data processed .* https:\/\/aws\.amazon\.com\/privatelink\/pricing\/ /m);
    expect(commercial).toMatch(/^AWS::KMS::Key +3 +3 key-months +\$3\.00 /m);
    expect(commercial).toMatch(/^AWS::IAM::Role +\d+ +- +- +no charge: /m);
    expect(commercial).toMatch(/^AWS::CloudWatch::Alarm +16 +16 alarm-months +\$1\.60 /m);
    expect(commercial).toMatch(/^AWS::CloudWatch::Dashboard +1 +1 dashboard-months +\$3\.00 /m);
    expect(commercial.split('\n')).toContain('Fixed total: $182.92 / month, used or idle');
    expect(stdout).not.toContain('UNPRICED');
    // Summary: fixed + usage + the platform's per-use charges of 100,000 turns (resource-cost.test.ts: $0.0000149 a turn).
    expect(commercial).toMatch(/^  fixed \$182\.92 \/ month; one turn \$0\.0000921; one background round \$0\.000172; one delegated call \$0\.0000627$/m);
    expect(commercial).toMatch(/^  a month at 100,000 turns: fixed \$182\.92 \+ usage \$7\.72 \+ platform per use \$1\.49 = \$192\.13$/m);
    expectOnlyRepoFilesCited(stdout);
    expect(commercial.split('\n')).toContain('- targets.Commercial: no Neuron endpoint configured; Bedrock is billed per token and not estimated.');
    // GovWest: the same prices, flagged unconfirmed; one alarm fewer (it has no streaming function, so no dead-letter queue of one).
    expect(govWest.split('\n')).toContain(`Usage total: ${usd(SERVERLESS)} (GovCloud prices unconfirmed (*))`);
    expect(govWest.split('\n')).toContain('Fixed total: $182.82 / month, used or idle *');
    expect(govWest).toMatch(/GovCloud prices are UNCONFIRMED: us-gov-west-1 is priced with the commercial figures/);
  });

  test('GovWest with ml.trn1.32xlarge: the endpoint line, the total and the per-token cost of the hand computation', () => {
    const { stdout, status } = runCost('-c', 'targets=GovWest', '-c', `statehouse=${JSON.stringify({ targets: { GovWest: GOVWEST_TRN1 } })}`);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^SageMaker ml\.trn1\.32xlarge +947\.91 instance-hour +\$28\.497 \/ instance-hour +\$27,012\.61 \* /m);
    expect(usd(TRN1.endpoint)).toBe('$27,012.61');
    expect(stdout.split('\n')).toContain(`Usage total: ${usd(TRN1.total)} (GovCloud prices unconfirmed (*))`);
    // The Inference stack's resources are in the fixed table too, none unpriced.
    expect(stdout).toMatch(/^AWS::SageMaker::Endpoint +1 +- +- +instance-hours: the SageMaker line of the usage table /m);
    // The endpoint's 2 alarms, the operations alarms on it (2) and the 2 alarms target tracking creates, $0.10 each, on top of the default's $182.82.
    expect(stdout).toMatch(/^AWS::ApplicationAutoScaling::ScalingPolicy +1 +2 alarm-months +\$0\.20 \* /m);
    expect(stdout).toMatch(/^AWS::CloudWatch::Alarm +19 +19 alarm-months +\$1\.90 \* /m);
    expect(stdout.split('\n')).toContain('Fixed total: $183.42 / month, used or idle *');
    expect(stdout).not.toContain('UNPRICED');
    expect(stdout).toMatch(/^Cost per million output tokens: \$6\.93 \* \(Llama-3-8B on ml\.trn1\.32xlarge at 1143 tok\/s, one instance at full load;/m);
  });

  test('Commercial with ml.inf2.48xlarge always on: the endpoint line, the total and the per-token cost of the hand computation', () => {
    const { stdout, status } = runCost('-c', 'targets=Commercial', '-c', `statehouse=${JSON.stringify({ targets: { Commercial: COMMERCIAL_INF2 } })}`);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^SageMaker ml\.inf2\.48xlarge +730\.5 instance-hour +\$15\.58 \/ instance-hour +\$11,381\.19 /m);
    expect(stdout.split('\n')).toContain(`Usage total: ${usd(INF2_ALWAYS_ON.total)}`);
    expect(stdout).toMatch(/^Cost per million output tokens: \$144\.26 \(Llama-3-70B on ml\.inf2\.48xlarge at 30 tok\/s/m);
  });

  test('-c statehouse=<json> overrides reach the estimate', () => {
    const { stdout, status } = runCost('-c', 'targets=GovWest', '-c', 'statehouse={"targets":{"GovWest":{"session":{"contextEvents":100}}}}', '-o', defaults);
    expect(status).toBe(0);
    // Reads ceil((2 + 100) / 4) = 26 units -> 2,600,000 x $0.125 / 1e6 = $0.325; total 7.71918 - 0.1625 + 0.325 = $7.88168.
    expect(stdout).toMatch(/^DynamoDB reads \(on demand\) +2,600,000 read request units .* \$0\.33 \* /m);
    expect(stdout).toMatch(/^Usage total: \$7\.88 \(GovCloud prices unconfirmed \(\*\)\)$/m);
    expect(stdout).toContain('Fixed total: $182.82 / month, used or idle *');
  });

  test('targets and statehouse in cdk.context.json count, as they do for cdk synth; -c targets= wins over them', () => {
    // GIVEN cdk.context.json selecting GovWest with a larger context (reads 26 units a turn: $7.88, as above)
    const dir = projectWithContextFile({ targets: 'GovWest', statehouse: { targets: { GovWest: { session: { contextEvents: 100 } } } } });
    // WHEN cost runs there with no arguments THEN the file decides both
    const fromFile = runCostIn(dir, '-o', defaults);
    expect(fromFile.status).toBe(0);
    expect(fromFile.stdout).not.toContain('Commercial');
    expect(fromFile.stdout).toMatch(/^Usage total: \$7\.88 \(GovCloud prices unconfirmed \(\*\)\)$/m);
    // WHEN -c targets=Commercial is given THEN it replaces the file's targets, the file's overrides still apply
    const fromCommandLine = runCostIn(dir, '-c', 'targets=Commercial', '-o', defaults);
    expect(fromCommandLine.status).toBe(0);
    expect(fromCommandLine.stdout).not.toContain('GovWest');
    expect(fromCommandLine.stdout.split('\n')).toContain(`Usage total: ${usd(SERVERLESS)}`);
  });

  test('a configuration error fails with every problem and exit code 1', () => {
    const unknown = runCost('-c', 'targets=Moon');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no target named "Moon"; declared targets are Commercial, GovWest, GovEast/);
    const neuronless = runCost('-c', 'targets=GovWest', '-c', 'statehouse={"targets":{"GovWest":{"model":{"kind":"neuron"}}}}');
    expect(neuronless.status).toBe(1);
    expect(neuronless.stderr).toMatch(/targets\.GovWest\.model\.kind: "neuron" means this target's own Neuron endpoint, but targets\.GovWest\.neuron is not set/);
  });
});
