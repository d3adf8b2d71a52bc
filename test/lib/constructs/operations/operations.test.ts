import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Duration, Stack, Validations, type App, type Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { ReportedViolation } from '../../../../lib/compliance/validation-report';
import { NeuronEndpoint } from '../../../../lib/constructs/neuron-endpoint/neuron-endpoint';
import { Operations, type OperationsProps, type WatchedFunction } from '../../../../lib/constructs/operations/operations';
import { OPERATIONS_THRESHOLDS } from '../../../../lib/constructs/operations/operations-defaults';
import { PlatformKeys } from '../../../../lib/constructs/platform-keys/platform-keys';
import { METRICS_NAMESPACE } from '../../../../lib/constructs/platform-function/platform-function';
import { SessionStore } from '../../../../lib/constructs/session-store/session-store';
import { FastToolWorkflow } from '../../../../lib/constructs/tool-workflow/fast-tool-workflow';
import { AgentLoop } from '../../../../lib/constructs/agent-loop/agent-loop';
import { partitionOf, servicePrincipalName } from '../../../../lib/residency/region-facts';
import { ResidencyGuard } from '../../../../lib/residency/residency-guard';
import { cfnLint, cfnLintReady } from '../../../helpers/cfn-lint';
import { COMMERCIAL, GOV_WEST, listOf, logicalIdOf, synthReport, targetStack, TEST_ACCOUNT, type Statement } from '../construct-test-stacks';

const PREFIX = 'statehouse-test';
const OPERATIONS_PATH = 'Target/Test/Operations';

interface Fixture {
  readonly app: App;
  readonly stage: Stage;
  readonly stack: Stack;
  readonly keys: PlatformKeys;
  readonly operations: Operations;
  readonly template: () => Template;
}

/** A function deployed elsewhere, with its dead-letter queue: what Operations reads of a PlatformFunction. */
function watched(stack: Stack, serviceName: string): WatchedFunction {
  const functionArn = stack.formatArn({ service: 'lambda', resource: 'function', resourceName: `${PREFIX}-${serviceName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  return {
    serviceName,
    function: lambda.Function.fromFunctionAttributes(stack, `Fn-${serviceName}`, { functionArn, sameEnvironment: true }),
    deadLetterQueue: sqs.Queue.fromQueueArn(stack, `Dlq-${serviceName}`, stack.formatArn({ service: 'sqs', resource: `${PREFIX}-${serviceName}-dlq` })),
  };
}

/** Operations over imported resources, its topic under the PlatformKeys logs key of the same target prefix. */
function operationsIn(region: string, props: Partial<OperationsProps> = {}, compliancePacks = false): Fixture {
  const { app, stage, stack } = targetStack(region, 'Target', { cfnValidation: compliancePacks });
  const keys = new PlatformKeys(stack, 'Keys', { residency: { regions: [region], crossRegionInference: 'deny', fips: true }, aliasPrefix: PREFIX });
  const machineArn = (name: string) => stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: `${PREFIX}-${name}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const orchestrator = watched(stack, 'orchestrator');
  const rounds = watched(stack, 'agent-loop');
  const operations = new Operations(stack, 'Operations', {
    namePrefix: PREFIX,
    encryptionKey: keys.logs,
    sessions: SessionStore.fromSessionStoreAttributes(stack, 'Sessions', { tableName: `${PREFIX}-sessions`, payloadBucketName: `${PREFIX}-payloads`, dataKey: keys.data }),
    apiFunction: orchestrator,
    turnFunctions: [orchestrator, rounds],
    functions: [orchestrator, rounds, watched(stack, 'summarizer')],
    workflows: {
      'fast-tools': FastToolWorkflow.fromFastToolWorkflowAttributes(stack, 'Fast', { stateMachineArn: machineArn('fast-tools') }),
      'agent-loop': AgentLoop.fromAgentLoopAttributes(stack, 'Loop', { stateMachineArn: machineArn('agent-loop') }),
    },
    neuronEndpoint: NeuronEndpoint.fromEndpointAttributes(stack, 'Neuron', { endpointName: `${PREFIX}-neuron` }),
    ...props,
  });
  if (compliancePacks) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
    Validations.of(stage).addPlugins(new ResidencyGuard({ regions: [region], crossRegionInference: 'deny', fips: true }));
  }
  return { app, stage, stack, keys, operations, template: () => Template.fromStack(stack) };
}

type Resource = { Properties: Record<string, any> };

/** `Fn::Join` of strings and the partition pseudo-parameter, as a string; any other token becomes `TOKEN`. */
function joined(value: unknown, partition: string): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, any>;
  if (node.Ref === 'AWS::Partition') return partition;
  if (node['Fn::Join']) return (node['Fn::Join'][1] as unknown[]).map((part) => joined(part, partition)).join(node['Fn::Join'][0]);
  return 'TOKEN';
}

/** The namespace/metric pairs an alarm evaluates, whether one metric or a math expression. */
function alarmMetrics(alarm: Resource): string[] {
  const p = alarm.Properties;
  if (p.MetricName) return [`${p.Namespace}/${p.MetricName}`];
  return (p.Metrics as any[]).filter((m) => m.MetricStat).map((m) => `${m.MetricStat.Metric.Namespace}/${m.MetricStat.Metric.MetricName}`);
}

function alarmNamed(template: Template, name: string): Resource {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: `${PREFIX}-${name}` } }));
  expect(found).toHaveLength(1);
  return found[0] as Resource;
}

/** Every alarm Operations makes for the fixture: its metrics and threshold. */
const EXPECTED_ALARMS: ReadonlyArray<[name: string, metrics: string[], threshold: number, periods: number]> = [
  ['turn-errors', ['AWS/Lambda/Errors', 'AWS/Lambda/Errors'], OPERATIONS_THRESHOLDS.turnErrors, 1],
  ['turn-throttles', ['AWS/Lambda/Throttles', 'AWS/Lambda/Throttles'], OPERATIONS_THRESHOLDS.turnThrottles, 1],
  ['turn-conflicts', [`${METRICS_NAMESPACE}/TurnConflicts`, `${METRICS_NAMESPACE}/TurnConflicts`], OPERATIONS_THRESHOLDS.turnConflicts, 1],
  ['model-errors', [`${METRICS_NAMESPACE}/ModelErrors`, `${METRICS_NAMESPACE}/ModelErrors`], OPERATIONS_THRESHOLDS.modelErrors, 1],
  ['turn-duration', ['AWS/Lambda/Duration'], OPERATIONS_THRESHOLDS.turnDuration.toMilliseconds(), OPERATIONS_THRESHOLDS.turnDurationPeriods],
  ['session-throttles', ['AWS/DynamoDB/ThrottledRequests', 'AWS/DynamoDB/ThrottledRequests', 'AWS/DynamoDB/ThrottledRequests'], OPERATIONS_THRESHOLDS.sessionThrottles, 1],
  ['dead-letters-orchestrator', ['AWS/SQS/ApproximateNumberOfMessagesVisible'], OPERATIONS_THRESHOLDS.deadLetters, 1],
  ['dead-letters-agent-loop', ['AWS/SQS/ApproximateNumberOfMessagesVisible'], OPERATIONS_THRESHOLDS.deadLetters, 1],
  ['dead-letters-summarizer', ['AWS/SQS/ApproximateNumberOfMessagesVisible'], OPERATIONS_THRESHOLDS.deadLetters, 1],
  ['workflow-failures-fast-tools', ['AWS/States/ExecutionsFailed', 'AWS/States/ExecutionsTimedOut'], OPERATIONS_THRESHOLDS.workflowFailures, 1],
  ['workflow-failures-agent-loop', ['AWS/States/ExecutionsFailed', 'AWS/States/ExecutionsTimedOut'], OPERATIONS_THRESHOLDS.workflowFailures, 1],
  ['neuron-errors', ['AWS/SageMaker/Invocation5XXErrors'], OPERATIONS_THRESHOLDS.neuronErrors, 1],
  // ModelLatency is in microseconds.
  ['neuron-latency', ['AWS/SageMaker/ModelLatency'], OPERATIONS_THRESHOLDS.neuronLatency.toMilliseconds() * 1000, OPERATIONS_THRESHOLDS.neuronLatencyPeriods],
];

describe.each([COMMERCIAL, GOV_WEST])('Operations in %s', (region) => {
  const partition = partitionOf(region)!.id;
  let f: Fixture;
  let template: Template;
  beforeAll(() => {
    // GIVEN the watched things of a target: two turn functions, three dead-letter queues, two workflows, a Neuron endpoint
    f = operationsIn(region, { alarmEmails: ['oncall@example.gov'] });
    // WHEN synthesized
    template = f.template();
  });

  test.each(EXPECTED_ALARMS)('alarm %s watches %j at its threshold and notifies the topic', (name, metrics, threshold, periods) => {
    const alarm = alarmNamed(template, name);
    expect(alarmMetrics(alarm)).toEqual(metrics);
    expect(alarm.Properties).toMatchObject({
      Threshold: threshold,
      EvaluationPeriods: periods,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalIdOf(f.operations.topic) }],
    });
    expect(alarm.Properties.AlarmDescription).toContain(`Runbook: README, Operations, ${name}.`);
  });

  test('there are no other alarms, and every one notifies the topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
    expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual(EXPECTED_ALARMS.map(([name]) => `${PREFIX}-${name}`).sort());
    expect(Object.keys(f.operations.alarms).sort()).toEqual(EXPECTED_ALARMS.map(([name]) => name).sort());
  });

  test('the Powertools turn metrics are read per turn function (the service dimension)', () => {
    const alarm = alarmNamed(template, 'turn-conflicts');
    const dimensions = (alarm.Properties.Metrics as any[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric.Dimensions);
    expect(dimensions).toEqual([[{ Name: 'service', Value: 'orchestrator' }], [{ Name: 'service', Value: 'agent-loop' }]]);
  });

  test('the dashboard has the alarms and a widget per watched thing', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0].Properties.DashboardName).toBe(`${PREFIX}-operations`);
    const body = JSON.parse(joined(dashboards[0].Properties.DashboardBody, partition));
    const titles = (body.widgets as any[]).map((w) => w.properties.title);
    expect(titles).toEqual(['Alarms', 'Turns', 'Tokens', 'Turn functions', 'Session store', 'Dead-letter queues', 'Workflow fast-tools', 'Workflow agent-loop', 'Neuron endpoint']);
    expect(body.widgets[0].properties.alarms).toHaveLength(EXPECTED_ALARMS.length);
    const neuron = JSON.stringify(body.widgets.at(-1).properties.metrics);
    expect(neuron).toContain('Invocations');
    expect(neuron).toContain('ModelLatency');
  });

  test('the topic is encrypted under the logs key, enforces TLS and admits only this target\'s alarms', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: `${PREFIX}-operations-alarms`,
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(f.keys.logs as never), 'Arn'] },
    });
    const statements = (Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0] as Resource).Properties.PolicyDocument.Statement as Statement[];
    expect(statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }))).toBe(true);
    const publish = statements.find((s) => s.Sid === 'CloudWatchAlarmsOfThisTarget')!;
    expect(publish.Principal).toEqual({ Service: servicePrincipalName('cloudwatch') });
    expect(listOf(publish.Action as string[])).toEqual(['sns:Publish']);
    expect(publish.Condition!.StringEquals).toEqual({ 'aws:SourceAccount': TEST_ACCOUNT });
    expect(joined(publish.Condition!.ArnLike['aws:SourceArn'], partition)).toBe(`arn:${partition}:cloudwatch:${region}:${TEST_ACCOUNT}:alarm:${PREFIX}-*`);
  });

  test('the logs key lets CloudWatch encrypt for this account\'s alarms of this target only, and every alarm is one of them', () => {
    const keyId = logicalIdOf(f.keys.logs as never);
    const statements = (template.toJSON().Resources[keyId] as Resource).Properties.KeyPolicy.Statement as Statement[];
    const cloudwatch = statements.find((s) => s.Sid === 'CloudWatchAlarmsOfThisTarget')!;
    expect(cloudwatch).toMatchObject({ Effect: 'Allow', Principal: { Service: servicePrincipalName('cloudwatch') }, Resource: '*' });
    expect(listOf(cloudwatch.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(cloudwatch.Condition!.StringEquals).toEqual({ 'aws:SourceAccount': TEST_ACCOUNT });
    const sourceArn = joined(cloudwatch.Condition!.ArnLike['aws:SourceArn'], partition);
    expect(sourceArn).toBe(`arn:${partition}:cloudwatch:${region}:${TEST_ACCOUNT}:alarm:${PREFIX}-*`);
    const pattern = new RegExp(`^${sourceArn.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    for (const [name] of EXPECTED_ALARMS) expect(`arn:${partition}:cloudwatch:${region}:${TEST_ACCOUNT}:alarm:${PREFIX}-${name}`).toMatch(pattern);
    // The data and audit keys are not opened to CloudWatch.
    for (const key of [f.keys.data, f.keys.audit]) {
      const other = (template.toJSON().Resources[logicalIdOf(key as never)] as Resource).Properties.KeyPolicy.Statement as Statement[];
      expect(JSON.stringify(other)).not.toContain(servicePrincipalName('cloudwatch'));
    }
  });

  test('alarmEmails are subscribed to the topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.gov', TopicArn: { Ref: logicalIdOf(f.operations.topic) } });
  });
});

describe('Operations choices', () => {
  test('without a Neuron endpoint there is no endpoint alarm or widget', () => {
    // GIVEN a target without a Neuron endpoint WHEN synthesized
    const template = operationsIn(COMMERCIAL, { neuronEndpoint: undefined }).template();
    // THEN
    const names = (Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[]).map((a) => a.Properties.AlarmName);
    expect(names.filter((n: string) => n.includes('neuron'))).toEqual([]);
    const body = joined((Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as Resource).Properties.DashboardBody, 'aws');
    expect(body).not.toContain('Neuron endpoint');
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('a threshold given in thresholds replaces its default and leaves the others', () => {
    // GIVEN a fork that pages at 3 conflicts and a 10 s turn
    const template = operationsIn(COMMERCIAL, { thresholds: { turnConflicts: 3, turnDuration: Duration.seconds(10) } }).template();
    // THEN
    expect(alarmNamed(template, 'turn-conflicts').Properties.Threshold).toBe(3);
    expect(alarmNamed(template, 'turn-duration').Properties.Threshold).toBe(10_000);
    expect(alarmNamed(template, 'model-errors').Properties.Threshold).toBe(OPERATIONS_THRESHOLDS.modelErrors);
  });

  test('refuses an empty turnFunctions with what to give instead', () => {
    expect(() => operationsIn(COMMERCIAL, { turnFunctions: [] })).toThrow(/turnFunctions is empty; give the functions that run turns/);
  });
});

describe.each([COMMERCIAL, GOV_WEST])('Operations compliance in %s', (region) => {
  let f: Fixture;
  let errors: ReportedViolation[];
  beforeAll(() => {
    // GIVEN Operations in an app with cdk-nag's AwsSolutions and NIST 800-53 R5 packs and the residency guard, as bin/ builds it
    f = operationsIn(region, {}, true);
    // WHEN synthesized
    errors = synthReport(f.app).errors;
  });

  test('cdk-nag and the residency guard report zero findings on the construct and its key, with no acknowledgment', () => {
    expect(errors.filter((e) => e.paths.some((p) => p.startsWith(`${OPERATIONS_PATH}/`) || p.startsWith('Target/Test/Keys/')))).toEqual([]);
    const acknowledged = f.operations.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY));
    expect(acknowledged).toEqual([]);
  });

  test('cfn-lint reports zero errors for the region', () => {
    if (!cfnLintReady()) return;
    const file = path.join(f.stage.outdir, f.stack.templateFile);
    expect(fs.existsSync(file)).toBe(true);
    expect(cfnLint([file], region).filter((finding) => finding.Level === 'Error')).toEqual([]);
  });
});
