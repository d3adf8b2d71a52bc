import * as path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ENV } from '../../../lib/contract/env-names';
import { ReferenceAccess, type ToolDeclaration } from '../../../lib/contract/tool-declaration';
import { ApprovalWorkflow } from '../../../lib/constructs/approval-workflow/approval-workflow';
import { ReferenceData } from '../../../lib/constructs/reference-data/reference-data';
import { SessionStore } from '../../../lib/constructs/session-store/session-store';
import { FastToolWorkflow } from '../../../lib/constructs/tool-workflow/fast-tool-workflow';
import { findTool } from '../../../lib/tools/catalog';
import { GOV_WEST, listOf, roleStatements, targetStack, TEST_ACCOUNT, testFoundation, type TestFoundation } from '../constructs/construct-test-stacks';

/**
 * The tool workflows' L2 constructs one at a time: FastToolWorkflow,
 * ApprovalWorkflow and ReferenceData, with their props, overrides, imports,
 * grants, metrics and refusals.
 */
const PREFIX = 'statehouse-test';
const LOOKUP = findTool('lookup_case')!;
const DEADLINE = findTool('compute_deadline')!;
const RELEASE = findTool('release_records')!;

interface Fixture {
  readonly stack: Stack;
  readonly foundation: TestFoundation;
  readonly referenceData: ReferenceData;
  readonly sessions: SessionStore;
  readonly fn: (id: string) => lambda.Function;
}

function fixture(): Fixture {
  const { stack } = targetStack(GOV_WEST);
  const foundation = testFoundation(stack);
  const sessions = new SessionStore(stack, 'Sessions', {
    namePrefix: `${PREFIX}-data`,
    dataKey: foundation.dataKey,
    s3Endpoint: foundation.s3Endpoint,
    accessLogsBucket: foundation.accessLogs,
  });
  const referenceData = new ReferenceData(stack, 'Reference', { namePrefix: `${PREFIX}-data`, dataKey: foundation.dataKey, backupPlan: sessions.backupPlan });
  const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});') });
  return { stack, foundation, referenceData, sessions, fn };
}

const machineOf = (template: Template) => Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0];
const roleOf = (template: Template, roleName: string) => Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith(roleName))!;

describe('FastToolWorkflow', () => {
  test('defaults: Express, the given name, ALL logging with data, X-Ray, the key; the machine is the workflow\'s default child', () => {
    const f = fixture();
    const logGroup = new logs.LogGroup(f.stack, 'FastLogs', { encryptionKey: f.foundation.logsKey });
    const fast = new FastToolWorkflow(f.stack, 'Fast', {
      stateMachineName: `${PREFIX}-tools-fast`,
      tools: [LOOKUP, DEADLINE],
      toolFunctions: { compute_deadline: f.fn('Deadline') },
      referenceData: f.referenceData,
      encryptionKey: f.foundation.dataKey,
      logGroup,
    });
    const template = Template.fromStack(f.stack);
    const machine = machineOf(template);
    expect(machine.Properties).toMatchObject({
      StateMachineName: `${PREFIX}-tools-fast`,
      StateMachineType: 'EXPRESS',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      TracingConfiguration: { Enabled: true },
      EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY' },
    });
    expect(Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0]).toMatch(/^Fast[0-9A-F]{8}$/);
    expect(fast.node.defaultChild).toBe(fast.stateMachine);
    // Its ARN is built from the name: no reference to the machine (the orchestrator names it, the approval workflow invokes the orchestrator).
    expect(JSON.stringify(f.stack.resolve(fast.stateMachineArn))).toMatch(new RegExp(`:states:${GOV_WEST}:.*:stateMachine:${PREFIX}-tools-fast"`));
    expect(JSON.stringify(f.stack.resolve(fast.stateMachineArn))).not.toContain('Ref":"Fast');
    expect(fast.stateMachineName).toBe(`${PREFIX}-tools-fast`);
    // AND no log group of its own: the given one
    expect(fast.node.tryFindChild('Logs')).toBeUndefined();
    expect(machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0]).toBe(
      f.stack.resolve((logGroup.node.defaultChild as logs.CfnLogGroup).logicalId),
    );
  });

  test('overrides merge defaults → user → required: tracing and the timeout are yours, logging and encryption are not', () => {
    const f = fixture();
    new FastToolWorkflow(f.stack, 'Fast', {
      stateMachineName: `${PREFIX}-tools-fast`,
      tools: [DEADLINE],
      toolFunctions: { compute_deadline: f.fn('Deadline') },
      encryptionKey: f.foundation.dataKey,
      logsKey: f.foundation.logsKey,
      logGroupProps: { retention: logs.RetentionDays.TEN_YEARS, encryptionKey: undefined },
      stateMachineProps: {
        tracingEnabled: false,
        logs: { destination: new logs.LogGroup(f.stack, 'Elsewhere'), level: sfn.LogLevel.OFF },
        encryptionConfiguration: new sfn.AwsOwnedEncryptionConfiguration(),
        stateMachineType: sfn.StateMachineType.STANDARD,
      },
    });
    const template = Template.fromStack(f.stack);
    const machine = machineOf(template);
    expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: false });
    expect(machine.Properties).toMatchObject({ StateMachineType: 'EXPRESS', LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true }, EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY' } });
    // The log group it created: the user's retention, always the logs key, RETAIN.
    const [logsId, created] = Object.entries(template.findResources('AWS::Logs::LogGroup')).find(([id]) => id.startsWith('FastLogs'))!;
    expect(created).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 3653, KmsKeyId: expect.anything() } });
    expect(machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0]).toBe(logsId);
  });

  test('grants and metrics need only the ARN: an imported workflow grants StartSyncExecution and its key for that machine only', () => {
    const f = fixture();
    const arn = `arn:aws-us-gov:states:${GOV_WEST}:${TEST_ACCOUNT}:stateMachine:elsewhere-tools-fast`;
    const imported = FastToolWorkflow.fromFastToolWorkflowAttributes(f.stack, 'Imported', { stateMachineArn: arn, encryptionKey: f.foundation.dataKey });
    const caller = new iam.Role(f.stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grantStartSync(caller);
    const statements = roleStatements(Template.fromStack(f.stack), roleOf(Template.fromStack(f.stack), 'Caller'));
    expect(statements).toEqual([
      expect.objectContaining({ Action: 'states:StartSyncExecution', Resource: arn }),
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': arn } },
      }),
    ]);
    expect(imported.stateMachineName).toBe('elsewhere-tools-fast');
    const failed = imported.metricFailed();
    expect([failed.namespace, failed.metricName, failed.dimensions]).toEqual(['AWS/States', 'ExecutionsFailed', { StateMachineArn: arn }]);
    expect(imported.metricTimedOut().metricName).toBe('ExecutionsTimedOut');
    expect([imported.metricDuration().metricName, imported.metricDuration().statistic]).toEqual(['ExecutionTime', 'Average']);
  });

  test.each<[string, (f: Fixture) => Partial<ConstructorParameters<typeof FastToolWorkflow>[2]>, RegExp]>([
    ['a slow tool', () => ({ tools: [RELEASE] }), /tool "release_records" is mode "slow" with an approval rule; the fast workflow runs only mode "fast" tools/],
    ['a Lambda tool without its function', () => ({ tools: [DEADLINE] }), /tool "compute_deadline" runs a Lambda function, but toolFunctions has none under "compute_deadline"/],
    ['a lookup without reference data', () => ({ tools: [LOOKUP] }), /tool "lookup_case" reads the reference table \(dynamodb-get-item\); pass referenceData/],
    [
      'a key attribute that is not an input field name',
      (f) => ({ tools: [{ ...LOOKUP, implementation: { kind: 'dynamodb-get-item', keyAttribute: "x'}" } } as ToolDeclaration], referenceData: f.referenceData }),
      /keyAttribute is "x'}"; it must match/,
    ],
    ['a tool declared twice', (f) => ({ tools: [LOOKUP, LOOKUP], referenceData: f.referenceData }), /tool "lookup_case" is declared twice/],
    ['no log group and no key for one', (f) => ({ tools: [LOOKUP], referenceData: f.referenceData, logGroup: undefined }), /pass logGroup, or logsKey/],
  ])('refuses %s, naming the prop and the fix', (_case, props, message) => {
    const f = fixture();
    const base = { stateMachineName: `${PREFIX}-tools-fast`, encryptionKey: f.foundation.dataKey, logGroup: new logs.LogGroup(f.stack, 'Logs'), tools: [] };
    expect(() => new FastToolWorkflow(f.stack, 'Fast', { ...base, ...props(f) })).toThrow(message);
  });
});

describe('ApprovalWorkflow', () => {
  test('Standard; binds the approval wait to the session store for header updates only; grants start, answer and describe by ARN', () => {
    const f = fixture();
    const approvalWait = f.fn('ApprovalWait');
    const resume = f.fn('Resume');
    const approval = new ApprovalWorkflow(f.stack, 'Slow', {
      stateMachineName: `${PREFIX}-tools-slow`,
      tools: [RELEASE],
      toolFunctions: { release_records: f.fn('Release') },
      encryptionKey: f.foundation.dataKey,
      logsKey: f.foundation.logsKey,
      resumeTarget: resume,
      approvalWait,
      sessions: f.sessions,
    });
    const caller = new iam.Role(f.stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    approval.grantStart(caller);
    approval.grantSendTaskResult(caller);
    approval.grantDescribeExecutions(caller);
    const template = Template.fromStack(f.stack);
    expect(machineOf(template).Properties).toMatchObject({ StateMachineType: 'STANDARD', StateMachineName: `${PREFIX}-tools-slow` });
    // THEN the approval wait knows the session table and may UpdateItem on it, nothing else of the data
    const [, waitFn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ApprovalWait'))!;
    expect(Object.keys(waitFn.Properties.Environment.Variables)).toEqual([ENV.SESSION_TABLE]);
    const waitActions = roleStatements(template, roleOf(template, 'ApprovalWaitServiceRole')).flatMap((s) => listOf(s.Action as string | string[]));
    expect(waitActions.filter((a) => a.startsWith('dynamodb:') || a.startsWith('s3:'))).toEqual(['dynamodb:UpdateItem']);
    // AND the caller's Step Functions actions are exactly these
    const machineArn = `arn:aws-us-gov:states:${GOV_WEST}:${TEST_ACCOUNT}:stateMachine:${PREFIX}-tools-slow`;
    const callerStatements = roleStatements(template, roleOf(template, 'Caller')).filter((s) => listOf(s.Action as string | string[]).some((a) => a.startsWith('states:')));
    const grants = callerStatements.flatMap((s) => listOf(s.Action as string | string[]).map((a) => `${a} ${JSON.stringify(f.stack.resolve(s.Resource))}`)).sort();
    expect(grants).toEqual(
      [
        `states:DescribeExecution ${JSON.stringify(machineArn.replace(':stateMachine:', ':execution:') + ':*')}`,
        `states:SendTaskFailure ${JSON.stringify(machineArn)}`,
        `states:SendTaskSuccess ${JSON.stringify(machineArn)}`,
        `states:StartExecution ${JSON.stringify(machineArn)}`,
      ].sort(),
    );
  });

  test('refuses a fast tool', () => {
    const f = fixture();
    expect(
      () =>
        new ApprovalWorkflow(f.stack, 'Slow', {
          stateMachineName: `${PREFIX}-tools-slow`,
          tools: [DEADLINE],
          toolFunctions: { compute_deadline: f.fn('Deadline') },
          encryptionKey: f.foundation.dataKey,
          logsKey: f.foundation.logsKey,
          resumeTarget: f.fn('Resume'),
          approvalWait: f.fn('ApprovalWait'),
          sessions: f.sessions,
        }),
    ).toThrow(/tool "compute_deadline" is mode "fast"; the approval workflow runs only mode "slow" tools/);
  });

  test('an imported approval workflow grants the same by its ARN', () => {
    const f = fixture();
    const arn = `arn:aws-us-gov:states:${GOV_WEST}:${TEST_ACCOUNT}:stateMachine:elsewhere-tools-slow`;
    const imported = ApprovalWorkflow.fromApprovalWorkflowAttributes(f.stack, 'Imported', { stateMachineArn: arn });
    const caller = new iam.Role(f.stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grantStart(caller);
    const template = Template.fromStack(f.stack);
    // Without a key, no KMS statement.
    expect(roleStatements(template, roleOf(template, 'Caller'))).toEqual([expect.objectContaining({ Action: 'states:StartExecution', Resource: arn })]);
  });
});

describe('ReferenceData', () => {
  test('default: one partition key `caseId`, under the data key, PITR, deletion protection, RETAIN', () => {
    const f = fixture();
    const [, table] = Object.entries(Template.fromStack(f.stack).findResources('AWS::DynamoDB::Table')).find(([id]) => id.startsWith('Reference'))!;
    expect(table).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: `${PREFIX}-data-reference`,
        KeySchema: [{ AttributeName: 'caseId', KeyType: 'HASH' }],
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      },
    });
    expect(f.referenceData.partitionKeyName).toBe('caseId');
  });

  test('a partition key and table settings of your own; the name, key schema and key stay the construct\'s', () => {
    const { stack } = targetStack(GOV_WEST);
    const foundation = testFoundation(stack);
    const sessions = new SessionStore(stack, 'Sessions', { namePrefix: 'p', dataKey: foundation.dataKey, s3Endpoint: foundation.s3Endpoint, accessLogsBucket: foundation.accessLogs });
    new ReferenceData(stack, 'Reference', {
      namePrefix: 'p',
      dataKey: foundation.dataKey,
      backupPlan: sessions.backupPlan,
      partitionKeyName: 'pk',
      tableProps: { tableName: 'mine', pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false }, sortKey: { name: 'sk', type: 0 as never } },
    });
    const [, table] = Object.entries(Template.fromStack(stack).findResources('AWS::DynamoDB::Table')).find(([id]) => id.startsWith('Reference'))!;
    expect(table.Properties).toMatchObject({ TableName: 'p-reference', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } });
    expect(() => new ReferenceData(stack, 'Bad', { namePrefix: 'q', dataKey: foundation.dataKey, backupPlan: sessions.backupPlan, partitionKeyName: 'a key' })).toThrow(
      /partitionKeyName is "a key"; a DynamoDB attribute name here is/,
    );
  });

  test.each([
    [ReferenceAccess.READ, ['dynamodb:GetItem'], ['kms:Decrypt']],
    [ReferenceAccess.RECORD, ['dynamodb:GetItem', 'dynamodb:PutItem'], ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']],
  ])('bind(fn, %s) sets the table and key attribute variables and grants exactly that access', (access, tableActions, keyActions) => {
    const f = fixture();
    const fn = f.fn('Tool');
    f.referenceData.bind(fn, access);
    const template = Template.fromStack(f.stack);
    const [, tool] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('Tool'))!;
    expect(tool.Properties.Environment.Variables).toEqual({ [ENV.REFERENCE_TABLE]: { Ref: expect.stringMatching(/^Reference/) }, [ENV.REFERENCE_KEY_ATTRIBUTE]: 'caseId' });
    const statements = roleStatements(template, roleOf(template, 'ToolServiceRole'));
    expect(statements.map((s) => [...listOf(s.Action as string | string[])].sort())).toEqual([tableActions, keyActions]);
  });

  test('imported by name: grants and bind name the table by an ARN built from it', () => {
    const f = fixture();
    const imported = ReferenceData.fromReferenceDataAttributes(f.stack, 'Imported', { tableName: 'elsewhere-reference', dataKey: f.foundation.dataKey });
    const fn = f.fn('Tool');
    imported.bind(fn, ReferenceAccess.READ);
    const template = Template.fromStack(f.stack);
    const [getItem] = roleStatements(template, roleOf(template, 'ToolServiceRole'));
    expect(f.stack.resolve(getItem.Resource)).toEqual(`arn:aws-us-gov:dynamodb:${GOV_WEST}:${TEST_ACCOUNT}:table/elsewhere-reference`);
    expect(imported.partitionKeyName).toBe('caseId');
    expect(imported.metricThrottles()).toBeDefined();
  });
});

test('a catalog tool names its handler by an absolute entry path', () => {
  for (const tool of [DEADLINE, RELEASE]) {
    expect(tool.implementation.kind).toBe('lambda');
    if (tool.implementation.kind === 'lambda') expect(path.isAbsolute(tool.implementation.entry)).toBe(true);
  }
});
