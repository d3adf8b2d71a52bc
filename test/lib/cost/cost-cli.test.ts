import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ConfigError, parseConfig } from '../../../lib/config/load';
import type { TargetConfig } from '../../../lib/config/schema';
import { costInputsForTarget, DEFAULT_ENDPOINT } from '../../../lib/cost/cost-inputs';
import { estimateMonthlyCost } from '../../../lib/cost/estimate';
import { REPO_ROOT } from '../../helpers/synth';
import { HAND, INPUT } from './hand-figures';

const HAND_TOTAL = `$${HAND.total.toFixed(2)}`; // $946.15
const HAND_ENDPOINT = `$${HAND.endpoint.toFixed(2)}`; // $938.43

/**
 * The inputs read from the configuration, and the CLI's printed totals for
 * the default configuration, against the hand figures.
 *
 * Default usage per turn, by hand from lib/cost/cost-inputs.ts's assumptions:
 *   reads   header 2 KB + 50 events x 1 KB (session.contextEvents = 50) = 52 KB -> ceil(52 / 4) = 13 read units
 *   writes  (header 2 KB + 2 events x 1 KB) x 2 (transactional)         = 8 write units
 *   Lambda  1 GB (1024 MB) x (3.5 s orchestrator + 0.5 s other)          = 4 GB-s, 2 invocations
 *   Express 1 request; Standard 100,000 x 1 % x 10 = 10,000 transitions a month
 * Default endpoint: ml.inf2.xlarge, 2 instances (maxCapacity) for 50 h a week
 * (08:00-18:00 Monday to Friday), 1 otherwise (off-hours max).
 *
 * With 100,000 turns, this is the hand computation of hand-figures.ts:
 *   endpoint 218 x 4.348214285714 x $0.99 = $938.431607; serverless $7.71918; total $946.150787 -> "$946.15".
 * us-gov-east-1 has no SageMaker hosting: serverless only, $7.71918 -> "$7.72".
 * With session.contextEvents = 100: reads ceil((2 + 100) / 4) = 26 units -> 2,600,000 x $0.125 / 1e6 = $0.325,
 *   total 946.150787 - 0.1625 + 0.325 = $946.313287 -> "$946.31".
 */

const CONFIG = parseConfig({});
const target = (name: string): TargetConfig => CONFIG.targets[name];

describe('costInputsForTarget', () => {
  test('a target without a neuron field plans the default endpoint and the default usage', () => {
    const { input, notes } = costInputsForTarget('Commercial', target('Commercial'));
    // The defaults are exactly the input of the hand computation.
    expect(input).toEqual({ ...INPUT, lambdaArchitecture: 'x86_64' });
    expect(notes[0]).toMatch(/targets\.Commercial configures no Neuron endpoint: the endpoint line plans the kit's default \(ml\.inf2\.xlarge, 2 instances for 50 working hours a week, 1 otherwise\)/);
    expect(notes).toContainEqual(expect.stringMatching(/model backend is bedrock-converse: its model charges are not in this estimate/));
  });

  test('us-gov-east-1: no endpoint, because SageMaker hosting is unavailable there', () => {
    const { input, notes } = costInputsForTarget('GovEast', target('GovEast'));
    expect(input.endpoint).toBeUndefined();
    expect(notes[0]).toMatch(/^No endpoint: SageMaker hosting is unavailable in us-gov-east-1/);
  });

  test('a neuron field on the target (not in the schema yet) sets the endpoint; unset fields keep the defaults', () => {
    const withNeuron = { ...target('GovWest'), neuron: { instanceType: 'ml.trn1.32xlarge', offHoursInstances: 0, modelSize: '70B' } } as TargetConfig;
    const { input, notes } = costInputsForTarget('GovWest', withNeuron);
    expect(input.endpoint).toEqual({ ...DEFAULT_ENDPOINT, instanceType: 'ml.trn1.32xlarge', offHoursInstances: 0 });
    expect(input.modelSize).toBe('70B');
    expect(notes[0]).toBe("Endpoint from targets.GovWest.neuron, the rest from the kit's defaults.");
    // trn1.32xlarge: (2 x 50 + 0 x 118) x 4.348214285714 = 434.821428571 h x $28.497 = $12,391.10625; per token $56.14 to $65.97 (unconfirmed).
    const estimate = estimateMonthlyCost(input);
    expect(estimate.lineItems[0].monthlyUsd).toBeCloseTo(12391.10625, 5);
    expect(estimate.costPerMillionOutputTokens?.status).toBe('unconfirmed');
  });

  test('a malformed neuron field is a configuration error naming the field', () => {
    const bad = { ...target('GovWest'), neuron: { instanceType: 7, modelSize: '13B' } } as unknown as TargetConfig;
    expect(() => costInputsForTarget('GovWest', bad)).toThrow(ConfigError);
    expect(() => costInputsForTarget('GovWest', bad)).toThrow(/targets\.GovWest\.neuron\.instanceType: must be a SageMaker instance type[\s\S]*targets\.GovWest\.neuron\.modelSize: must be one of "8B", "70B"/);
  });

  test('the read units follow the configured context size', () => {
    const bigger = parseConfig({ targets: { Commercial: { session: { contextEvents: 100 } } } }).targets.Commercial;
    expect(costInputsForTarget('Commercial', bigger).input.usage.dynamoReadUnitsPerTurn).toBe(26);
  });
});

/** Run the CLI as a user would; returns what it printed and its exit code. */
function runCost(...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin'), '--transpile-only', path.join('bin', 'cost.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json') },
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** The table printed for one target: from its title to the next title. */
function tableOf(stdout: string, title: string): string {
  const start = stdout.indexOf(`Statehouse monthly cost estimate: ${title}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = stdout.indexOf('Statehouse monthly cost estimate:', start + 1);
  return stdout.slice(start, next === -1 ? undefined : next);
}

describe('bin/cost.ts', () => {
  test('the default configuration: one table per default target, totals equal to the hand figures', () => {
    const { stdout, status } = runCost();
    expect(status).toBe(0);
    const commercial = tableOf(stdout, 'Commercial (us-east-1)');
    const govWest = tableOf(stdout, 'GovWest (us-gov-west-1)');
    expect(stdout).not.toContain('GovEast');
    expect(commercial).toMatch(/^SageMaker ml\.inf2\.xlarge +947\.91 instance-hour +\$0\.99 \/ instance-hour +\$938\.43 /m);
    expect(commercial).toContain(` ${HAND_ENDPOINT}  `);
    expect(commercial).toMatch(/^DynamoDB reads \(on demand\) +1,300,000 read request units +\$0\.125 \/ 1,000,000 read request units +\$0\.16 /m);
    expect(commercial).toMatch(/^Lambda compute \(x86_64\) +400,000 GB-seconds +\$0\.0000166667 \/ GB-seconds +\$6\.67 /m);
    expect(commercial).toMatch(/^Total: \$946\.15$/m);
    expect(commercial.split('\n')).toContain(`Total: ${HAND_TOTAL}`);
    // GovWest: the same figures, flagged unconfirmed on every line and in the total.
    expect(govWest).toMatch(/^SageMaker ml\.inf2\.xlarge +947\.91 instance-hour +\$0\.99 \/ instance-hour +\$938\.43 \* /m);
    expect(govWest.split('\n')).toContain(`Total: ${HAND_TOTAL} (GovCloud prices unconfirmed (*))`);
    expect(govWest).toMatch(/GovCloud prices are UNCONFIRMED: us-gov-west-1 is priced with the commercial figures/);
  });

  test('-c targets=GovEast: no endpoint (no SageMaker hosting there), serverless total only', () => {
    const { stdout, status } = runCost('-c', 'targets=GovEast');
    expect(status).toBe(0);
    expect(stdout).not.toContain('SageMaker ml.');
    expect(stdout).toMatch(/^Total: \$7\.72 \(GovCloud prices unconfirmed \(\*\)\)$/m);
  });

  test('-c statehouse=<json> overrides reach the estimate', () => {
    const { stdout, status } = runCost('-c', 'targets=GovWest', '-c', 'statehouse={"targets":{"GovWest":{"session":{"contextEvents":100}}}}');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^DynamoDB reads \(on demand\) +2,600,000 read request units .* \$0\.33 \* /m);
    expect(stdout).toMatch(/^Total: \$946\.31 \(GovCloud prices unconfirmed \(\*\)\)$/m);
  });

  test('an unknown target fails with the configuration error and exit code 1', () => {
    const { stderr, status } = runCost('-c', 'targets=Moon');
    expect(status).toBe(1);
    expect(stderr).toMatch(/no target named "Moon"; declared targets are Commercial, GovWest, GovEast/);
  });
});
