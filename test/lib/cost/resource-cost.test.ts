import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Duration, Stack, Stage } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { parseConfig } from '../../../lib/config/load';
import { formatResourceCosts } from '../../../lib/cost/format';
import { HOURS_PER_MONTH, RESOURCE_CHARGES } from '../../../lib/cost/resource-charges';
import { resourceCostTable } from '../../../lib/cost/resource-cost';
import { delegatedCallCost, turnCost } from '../../../lib/cost/unit-cost';
import { loadAssembly } from '../../../lib/report/load-assembly';
import { synthStatehouse } from '../../helpers/synth';

/**
 * The fixed cost is read from the synthesized templates: every resource
 * type gets a row, a type without a price is listed UNPRICED (never
 * dropped), and the totals are the sums of their lines.
 *
 * By hand, the default Commercial target: 12 interface endpoints (kms, logs,
 * sts, monitoring, states, sync-states, lambda, xray, bedrock-runtime,
 * bedrock-agent-runtime, sagemaker.runtime, execute-api) in 2 subnets each,
 * 24 x 730.5 h = 17,532 AZ-hours x $0.01 = $175.32; 3 keys x $1 = $3;
 * the operations dashboard $3 and its alarms at $0.10 (16 in Commercial,
 * 15 in GovWest, which has no streaming function and so no dead-letter
 * queue of one): fixed $182.92 and $182.82 a month. The 2 gateway endpoints are free.
 */

jest.setTimeout(600_000);

const typesOf = (stacks: ReturnType<typeof loadAssembly>['targets'][number]['stacks']) => {
  const counts: Record<string, number> = {};
  for (const stack of stacks) for (const r of Object.values(stack.template.Resources ?? {})) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  return counts;
};

describe('the default targets', () => {
  let assembly: ReturnType<typeof loadAssembly>;
  beforeAll(() => {
    assembly = loadAssembly(synthStatehouse({ targets: 'Commercial,GovWest' }).outdir);
  });

  test.each(['Commercial', 'GovWest'])('%s: every resource of the templates is in a row, none unpriced, fixed total the sum of its lines', (name) => {
    const target = assembly.targets.find((t) => t.name === name)!;
    const table = resourceCostTable(target.stacks, parseConfig({}).targets[name].region);
    const counted: Record<string, number> = {};
    for (const row of table.rows) counted[row.type] = (counted[row.type] ?? 0) + row.count;
    expect(counted).toEqual(typesOf(target.stacks));
    expect(table.unpriced).toEqual([]);
    expect(table.rows.every((r) => /^https:\/\/aws\.amazon\.com\//.test(r.source))).toBe(true);
    expect(table.fixedMonthlyUsd).toBeCloseTo(table.rows.reduce((sum, r) => sum + (r.fixed?.monthlyUsd ?? 0), 0), 9);
    expect(table.fixedMonthlyUsd).toBeCloseTo(name === 'Commercial' ? 182.92 : 182.82, 9);
    expect(table.unconfirmed).toBe(name === 'GovWest');
  });

  test('the interface endpoints are counted from the templates: each Interface VPCEndpoint times its subnets', () => {
    const target = assembly.targets.find((t) => t.name === 'Commercial')!;
    const interfaces = target.stacks.flatMap((s) => Object.values(s.template.Resources ?? {})).filter((r) => r.Type === 'AWS::EC2::VPCEndpoint' && r.Properties?.VpcEndpointType === 'Interface');
    const subnets = interfaces.reduce((sum, r) => sum + (r.Properties!.SubnetIds as unknown[]).length, 0);
    expect([interfaces.length, subnets]).toEqual([12, 24]);
    const row = resourceCostTable(target.stacks, 'us-east-1').rows.find((r) => r.type === 'AWS::EC2::VPCEndpoint' && r.status === 'fixed')!;
    expect(row.count).toBe(12);
    expect(row.fixed!.quantity).toBeCloseTo(24 * HOURS_PER_MONTH, 9);
    expect(row.fixed!.monthlyUsd).toBeCloseTo(175.32, 9);
  });
});

test("a fork's additions: a queue and an alarm are priced, a type without a price is listed UNPRICED, not dropped", () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-fork-'));
  const app = new App({ outdir });
  const stack = new Stack(new Stage(app, 'Fork', { env: { region: 'us-east-1' } }), 'Extra');
  const queue = new sqs.Queue(stack, 'Work');
  new cloudwatch.Alarm(stack, 'Backlog', { metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }), threshold: 10, evaluationPeriods: 1 });
  new CfnResource(stack, 'Graph', { type: 'AWS::Neptune::DBInstance', properties: { DBInstanceClass: 'db.r5.large' } });
  app.synth();
  expect(RESOURCE_CHARGES['AWS::Neptune::DBInstance']).toBeUndefined();

  const [fork] = loadAssembly(outdir).targets;
  const table = resourceCostTable(fork.stacks, 'us-east-1');
  expect(table.rows.map((r) => [r.type, r.status])).toEqual([
    ['AWS::CloudWatch::Alarm', 'fixed'],
    ['AWS::Neptune::DBInstance', 'unpriced'],
    ['AWS::SQS::Queue', 'per-use'],
  ]);
  expect(table.unpriced).toEqual(['AWS::Neptune::DBInstance']);
  expect(table.fixedMonthlyUsd).toBeCloseTo(0.1, 9);
  const text = formatResourceCosts('Fork (us-east-1)', table, ['Fork-Extra']);
  expect(text).toMatch(/^AWS::Neptune::DBInstance +1 +- +UNPRICED +UNPRICED: no price for this resource type +not in lib\/cost\/resource-charges\.ts$/m);
  expect(text.split('\n')).toContain('UNPRICED resource types, in no total: AWS::Neptune::DBInstance');
});

test('an interface endpoint whose subnets the template does not list is UNPRICED, not guessed', () => {
  const stacks = [{ template: { Resources: { E: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', SubnetIds: { 'Fn::Split': [',', { 'Fn::ImportValue': 'subnets' }] } } } } } }];
  const table = resourceCostTable(stacks as never, 'us-east-1');
  expect(table.unpriced).toEqual(['AWS::EC2::VPCEndpoint']);
  expect(table.fixedMonthlyUsd).toBe(0);
});

test('one turn and one delegated call: the hand figures, each total the sum of its lines', () => {
  const { Commercial } = parseConfig({}).targets;
  const turn = turnCost(Commercial);
  // The usage estimate's $7.71918 for 100,000 turns, per turn; then 1 API request x $3.50/1e6, 1 trace x $5/1e6,
  // 2 trail events x $0.10/1e5, (2 x 2 KB + 1 KB + 2 x 1.5 KB) of logs x $0.50/GB, 60 KB of endpoint data x $0.01/GB.
  const platform = 0.0000035 + 0.000005 + 0.000002 + (8 / 1048576) * 0.5 + (60 / 1048576) * 0.01;
  expect(turn.platformUsd).toBeCloseTo(platform, 12);
  expect(turn.totalUsd).toBeCloseTo(7.71918 / 100_000 + platform, 12);
  expect(turn.totalUsd).toBeCloseTo(turn.lineItems.reduce((sum, l) => sum + l.monthlyUsd!, 0), 15);

  // 3.5 GB-s x $0.0000166667 + 3 events x 1 KB x 2 write units x $0.625/1e6 + 60 KB x $0.01/GB.
  const delegated = delegatedCallCost(Commercial);
  expect(delegated.totalUsd).toBeCloseTo(3.5 * 0.0000166667 + 6 * 0.625e-6 + (60 / 1048576) * 0.01, 12);
  expect(delegated.unconfirmed).toBe(false);
  expect(delegatedCallCost(parseConfig({}).targets.GovWest).unconfirmed).toBe(true);
});
