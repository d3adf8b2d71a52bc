import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { PlatformFunction, type PlatformFunctionProps } from '../../../../lib/constructs/platform-function/platform-function';
import { servicePrincipalName } from '../../../../lib/residency/region-facts';
import { REPO_ROOT } from '../../../helpers/synth';
import {
  COMMERCIAL,
  GOV_EAST,
  GOV_WEST,
  logicalIdOf,
  roleStatements,
  synthFailure,
  targetStack,
  testFoundation,
  type TargetStackFixture,
  type TestFoundation,
} from '../construct-test-stacks';

const ENTRY = path.join(REPO_ROOT, 'lambda', 'summarizer', 'index.ts');

interface FunctionFixture extends TargetStackFixture {
  readonly fn: PlatformFunction;
  readonly foundation: TestFoundation;
}

function functionIn(region: string, props: Partial<PlatformFunctionProps> = {}): FunctionFixture {
  const fixture = targetStack(region);
  const foundation = testFoundation(fixture.stack);
  const fn = new PlatformFunction(fixture.stack, 'Worker', {
    entry: ENTRY,
    description: 'Statehouse test worker',
    serviceName: 'worker',
    vpc: foundation.vpc,
    subnets: foundation.subnets,
    logsKey: foundation.logsKey,
    dataKey: foundation.dataKey,
    logRetention: foundation.logRetention,
    environment: { EXTRA: 'value' },
    ...props,
  });
  return { ...fixture, fn, foundation };
}

/** Warnings of the capability gate on the function (ids `statehouse:unverified:*`). */
function gateWarnings(fixture: FunctionFixture): string[] {
  return Annotations.fromStack(fixture.stack)
    .findWarning('*', Match.stringLikeRegexp('statehouse:unverified:'))
    .map((w) => /statehouse:unverified:([\w:.-]+)/.exec(String(w.entry.data))![1]);
}

describe('PlatformFunction defaults', () => {
  let f: FunctionFixture;
  let template: Template;
  beforeAll(() => {
    // GIVEN a platform function with default settings in us-gov-west-1
    f = functionIn(GOV_WEST);
    template = Template.fromStack(f.stack);
  });

  test('runs nodejs24.x on x86_64 in the isolated subnets, traced, TEXT logs into its own log group, reserved concurrency, DLQ, encrypted environment', () => {
    // THEN the one function has every platform control
    const subnets = Object.keys(template.findResources('AWS::EC2::Subnet')).map((id) => ({ Ref: id }));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['x86_64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 30,
      ReservedConcurrentExecutions: 50,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'Text', LogGroup: { Ref: logicalIdOf(f.fn.logGroup) } },
      VpcConfig: { SubnetIds: Match.arrayEquals(subnets), SecurityGroupIds: Match.anyValue() },
      KmsKeyArn: { 'Fn::GetAtt': [logicalIdOf(f.foundation.dataKey), 'Arn'] },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalIdOf(f.fn.deadLetterQueue), 'Arn'] } },
      Role: { 'Fn::GetAtt': [logicalIdOf(f.fn.role), 'Arn'] },
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'worker',
          POWERTOOLS_METRICS_NAMESPACE: 'Statehouse',
          NODE_OPTIONS: '--enable-source-maps',
          EXTRA: 'value',
        },
      },
    });
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  test('its log group is under the logs key, with retention, and retained', () => {
    // THEN the function's log group is encrypted, retained and has a retention
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(f.foundation.logsKey), 'Arn'] }, RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
    // and the role may write to that log group only
    expect(roleStatements(template, logicalIdOf(f.fn.role))).toContainEqual({
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::GetAtt': [logicalIdOf(f.fn.logGroup), 'Arn'] },
    });
  });

  test('its dead-letter queue is encrypted under the data key, TLS-only, and keeps messages 14 days', () => {
    // THEN the DLQ is encrypted under the data key and its policy denies requests without TLS
    const queueId = logicalIdOf(f.fn.deadLetterQueue);
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(f.foundation.dataKey), 'Arn'] },
      MessageRetentionPeriod: Duration.days(14).toSeconds(),
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('its role is assumed by Lambda only', () => {
    // THEN the role trusts the Lambda service principal only, and is the function's grant principal
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: servicePrincipalName('lambda') } }],
      },
    });
    expect(f.fn.grantPrincipal).toBe(f.fn.role);
  });

  test('TEXT logs and x86_64 need no capability the region lacks: no gate warning', () => {
    // THEN the capability gate has nothing to say
    expect(gateWarnings(f)).toEqual([]);
  });
});

test('PlatformFunction takes overrides of memory, timeout and reserved concurrency', () => {
  // GIVEN a function with its own limits
  const { stack } = functionIn(COMMERCIAL, { memorySize: 512, timeout: Duration.seconds(29), reservedConcurrentExecutions: 5 });
  // THEN the function has them
  Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { MemorySize: 512, Timeout: 29, ReservedConcurrentExecutions: 5 });
});

describe('PlatformFunction and the capability gate', () => {
  test.each([GOV_WEST, GOV_EAST])('JSON log format in %s fails synth, saying to use TEXT', (region) => {
    // GIVEN a function that asks for JSON logs in GovCloud
    const { app } = functionIn(region, { loggingFormat: lambda.LoggingFormat.JSON });
    // WHEN synthesized THEN synth fails with what, why and what to do
    expect(synthFailure(app)).toMatch(
      new RegExp(
        `Target \\(${region}\\) cannot run "lambda:json-log-format", which Target/Test/Worker \\(loggingFormat JSON\\) needs\\. Why: .*not offered in AWS GovCloud \\(US\\)\\..*Instead: Use the TEXT log format`,
      ),
    );
  });

  test('JSON log format in us-east-1 is allowed, silently', () => {
    // GIVEN a function with JSON logs in us-east-1
    // THEN it synthesizes with JSON logs and no gate warning
    const f = functionIn(COMMERCIAL, { loggingFormat: lambda.LoggingFormat.JSON });
    Template.fromStack(f.stack).hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }) });
    expect(gateWarnings(f)).toEqual([]);
  });

  test('arm64 in us-gov-west-1 synthesizes, with a warning that says how to verify it', () => {
    // GIVEN an arm64 function in GovCloud
    const f = functionIn(GOV_WEST, { architecture: lambda.Architecture.ARM_64 });
    // THEN the function is arm64 and the gate warns that arm64 is unverified there
    Template.fromStack(f.stack).hasResourceProperties('AWS::Lambda::Function', { Architectures: ['arm64'] });
    expect(gateWarnings(f)).toEqual(['lambda:arm64']);
    Annotations.fromStack(f.stack).hasWarning('/Target/Test/Worker', Match.stringLikeRegexp('"lambda:arm64" in Target \\(us-gov-west-1\\) is unverified.*Check by hand: create a test function that uses arm64 in a sandbox account of us-gov-west-1'));
  });

  test('arm64 in us-east-1 is allowed, silently', () => {
    // GIVEN an arm64 function in us-east-1
    // THEN it synthesizes as arm64 and no gate warning
    const f = functionIn(COMMERCIAL, { architecture: lambda.Architecture.ARM_64 });
    Template.fromStack(f.stack).hasResourceProperties('AWS::Lambda::Function', { Architectures: ['arm64'] });
    expect(gateWarnings(f)).toEqual([]);
  });
});
