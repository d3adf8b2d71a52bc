import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../../lib/contract/env-names';
import { modelToolDeclaration, ReferenceAccess, type ToolDeclaration } from '../../../lib/contract/tool-declaration';
import { readValidationReport } from '../../../lib/compliance/validation-report';
import { agentLoopMachineName } from '../../../lib/constructs/agent-loop/agent-loop-defaults';
import { fastToolsMachineName, slowToolsMachineName } from '../../../lib/constructs/tool-workflow/tool-workflow-defaults';
import { targetPrefix } from '../../../lib/config/naming';
import { ToolPolicySet } from '../../../lib/policy/tool-policy-set';
import { partitionOf } from '../../../lib/residency/region-facts';
import type { StatehouseStage } from '../../../lib/stacks/statehouse-stage';
import { stacksOf, synthStatehouse, type Synthesized } from '../../helpers/synth';
import { declaredTools, fastTools, getItemTools, keyAttributeOf, lambdaTools, slowTools, toolServiceName } from './support/declared-tools';
import { machineNamed, synthesizedMachines, taskStates, templateResolver, TEST_ACCOUNT, type SynthesizedMachine } from './synthesized-workflows';

/**
 * The synthesized tool workflows of every target: what the two state machines
 * are, what they may do, and what the orchestrator may do with them. What
 * each target runs is read from the declarations its Runtime stack passed,
 * never listed here.
 */
const TARGETS = ['Commercial', 'GovWest', 'GovEast'];

let synth: Synthesized;
beforeAll(() => {
  // GIVEN the default configuration with every target selected
  synth = synthStatehouse({ targets: TARGETS.join(','), cfnValidation: true });
});

const stageOf = (name: string): StatehouseStage => synth.stages.find((s) => s.stageName === name)!;
const machinesOf = (stage: StatehouseStage) => synthesizedMachines(stage.runtime, stacksOf(stage));
const onlyOne = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0];
};
type Resource = { Type: string; Properties: Record<string, any> };
const resources = (template: Template, type: string): Array<[string, Resource]> => Object.entries(template.findResources(type)) as Array<[string, Resource]>;

/** The function whose Powertools service name is `service`. */
function functionOf(template: Template, service: string): [string, Resource] {
  return onlyOne(resources(template, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service));
}

/** Every statement of the AWS::IAM::Policy resources attached to `roleLogicalId`. */
function statementsOf(template: Template, roleLogicalId: string): Array<Record<string, any>> {
  return resources(template, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: unknown) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

const actionsOf = (statement: Record<string, any>): string[] => [statement.Action].flat();
const resourcesOfStatement = (statement: Record<string, any>): unknown[] => [statement.Resource].flat();

test('the default configuration synthesizes all three targets with zero unacknowledged findings', () => {
  expect(synth.stages.map((s) => s.stageName)).toEqual(TARGETS);
  expect(readValidationReport(synth.assembly.directory).errors).toEqual([]);
});

describe.each(TARGETS)('target %s', (targetName) => {
  let stage: StatehouseStage;
  let template: Template;
  let machines: SynthesizedMachine[];
  let partition: string;
  let resolve: (value: unknown) => unknown;
  let tools: readonly ToolDeclaration[];
  beforeAll(() => {
    stage = stageOf(targetName);
    tools = declaredTools(stage);
    template = Template.fromStack(stage.runtime);
    machines = machinesOf(stage);
    partition = partitionOf(stage.runtime.region)!.id;
    resolve = templateResolver(stage.runtime, stacksOf(stage)).resolve;
  });
  const prefix = targetPrefix(targetName);
  const machineArn = (name: string) => `arn:${partition}:states:${stage.runtime.region}:${TEST_ACCOUNT}:stateMachine:${name}`;

  test('an Express machine for fast tools and a Standard machine for slow ones, under fixed names (and the agent loop, which runs slow tools too)', () => {
    expect(machines.map((m) => [m.name, m.type]).sort()).toEqual([
      [agentLoopMachineName(prefix), 'STANDARD'],
      [fastToolsMachineName(prefix), 'EXPRESS'],
      [slowToolsMachineName(prefix), 'STANDARD'],
    ]);
    expect(fastToolsMachineName(prefix)).toBe(`statehouse-${targetName.toLowerCase()}-tools-fast`);
  });

  test('all log ALL execution data to a KMS-encrypted log group with retention, trace with X-Ray and encrypt state under the data key', () => {
    const dataKeyArn = stage.runtime.resolve(stage.foundation.keys.data.keyArn);
    for (const [, machine] of resources(template, 'AWS::StepFunctions::StateMachine')) {
      const { LoggingConfiguration, TracingConfiguration, EncryptionConfiguration } = machine.Properties;
      expect(LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
      expect(TracingConfiguration).toEqual({ Enabled: true });
      expect(EncryptionConfiguration).toMatchObject({ Type: 'CUSTOMER_MANAGED_KMS_KEY' });
      expect(JSON.stringify(EncryptionConfiguration.KmsKeyId)).toBe(JSON.stringify(dataKeyArn));
      const logGroupId = LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      const logGroup = template.toJSON().Resources[logGroupId];
      expect(logGroup.Properties.KmsKeyId).toBeDefined();
      expect(logGroup.Properties.RetentionInDays).toBe(365);
      expect(logGroup.DeletionPolicy).toBe('Retain');
    }
  });

  test('no Task is an HTTP task: each is a tool Lambda, the approval wait, the resume call, a round, the DynamoDB GetItem or the SNS Publish integration', () => {
    const allowed = [
      new RegExp(`^arn:${partition}:states:::sns:publish$`),
      new RegExp(`^arn:${partition}:lambda:${stage.runtime.region}:${TEST_ACCOUNT}:function:`),
      new RegExp(`^arn:${partition}:states:::lambda:invoke\\.waitForTaskToken$`),
      new RegExp(`^arn:${partition}:states:::aws-sdk:dynamodb:getItem$`),
    ];
    for (const machine of machines) {
      for (const [name, state] of taskStates(machine.definition)) {
        expect(`${name}: ${state.Resource}`).not.toMatch(/http/i);
        expect(allowed.some((pattern) => pattern.test(state.Resource))).toBe(true);
      }
    }
  });

  test('the fast machine routes on $.tool to one Task per fast tool, with the tool\'s timeout and the three catches', () => {
    const { definition } = machineNamed(machines, '-tools-fast');
    const route = definition.States[definition.StartAt] as any;
    expect(route.Type).toBe('Choice');
    expect(route.Choices.map((c: any) => [c.Variable, c.StringEquals, c.Next])).toEqual(fastTools(tools).map((tool) => ['$.tool', tool.name, `Run ${tool.name}`]));
    expect((definition.States[route.Default] as any).Parameters).toMatchObject({ ok: false, error: 'not_allowed' });
    for (const tool of fastTools(tools)) {
      const task = definition.States[`Run ${tool.name}`] as any;
      expect(task.TimeoutSeconds).toBe(tool.timeoutSeconds);
      expect(task.ResultSelector).toEqual({ ok: true, 'output.$': '$' });
      expect(task.Catch.map((c: any) => [c.ErrorEquals, c.Next])).toEqual([
        [['States.Timeout'], 'Tool timed out'],
        [['Statehouse.ToolFailed'], 'Read tool error'],
        [['States.ALL'], 'Tool crashed'],
      ]);
    }
    for (const tool of lambdaTools(fastTools(tools))) {
      expect((definition.States[`Run ${tool.name}`] as any).Parameters).toEqual({
        'input.$': '$.input',
        'tenant.$': '$.tenant',
        'session.$': '$.session',
        'toolCallId.$': '$.toolCallId',
      });
    }
    // AC-3: the key is the caller's tenant (workflow input), the key attribute and the model's value.
    for (const tool of getItemTools(fastTools(tools))) {
      const keyAttribute = keyAttributeOf(tool);
      expect((definition.States[`Run ${tool.name}`] as any).Parameters).toEqual({
        TableName: `${prefix}-data-reference`,
        Key: { [stage.state.referenceData.partitionKeyName]: { 'S.$': `States.Format('T#{}#{}#{}', $.tenant, '${keyAttribute}', $.input.${keyAttribute})` } },
      });
    }
  });

  test('the slow machine waits on a task token for the approval, runs the tool, and resumes the orchestrator', () => {
    const { definition } = machineNamed(machines, '-tools-slow');
    const wait = definition.States['Wait for approval'] as any;
    expect(wait).toMatchObject({
      Resource: `arn:${partition}:states:::lambda:invoke.waitForTaskToken`,
      TimeoutSecondsPath: '$.approvalTimeoutSeconds',
      ResultPath: '$.decision',
      Parameters: { Payload: { 'taskToken.$': '$$.Task.Token', 'tenant.$': '$.tenant', 'session.$': '$.session', 'toolCallId.$': '$.toolCallId' } },
    });
    expect(wait.Catch.map((c: any) => c.ErrorEquals)).toEqual([['States.Timeout'], ['States.ALL']]);
    for (const tool of slowTools(tools)) {
      expect(definition.States[`Run ${tool.name}`]).toMatchObject({ TimeoutSeconds: tool.timeoutSeconds, ResultPath: '$.result' });
    }
    const resume = definition.States['Resume the turn'] as any;
    const [orchestratorId] = functionOf(template, 'orchestrator');
    expect(resume.Resource).toBe(`arn:${partition}:lambda:${stage.runtime.region}:${TEST_ACCOUNT}:function:${orchestratorId}`);
    expect(resume).toMatchObject({ InputPath: '$.resume', ResultPath: null, OutputPath: '$.resume', End: true });
    expect(resume.Retry[0].ErrorEquals).toEqual(expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']));
  });

  test('the orchestrator gets the machines\' ARNs (built from their names) and the policy; its bundle the model-facing declarations only', () => {
    const [, orchestrator] = functionOf(template, 'orchestrator');
    const env = resolve(orchestrator.Properties.Environment.Variables) as Record<string, string>;
    expect(env).toMatchObject({
      [ENV.FAST_TOOLS_STATE_MACHINE]: machineArn(fastToolsMachineName(prefix)),
      [ENV.SLOW_TOOLS_STATE_MACHINE]: machineArn(slowToolsMachineName(prefix)),
    });
    // The default configuration's tool policy: the kit's default Cedar policy, for the tools it runs.
    expect(JSON.parse(env[ENV.TOOL_POLICY])).toEqual(ToolPolicySet.for({}, tools).document);
    // The declarations ship in the bundle (they do not fit in the environment), their digest in the environment.
    expect(env[ENV.TOOLS]).toBeUndefined();
    expect(env[ENV.TOOLS_DIGEST]).toMatch(/^[0-9a-f]{16}$/);
    expect(stage.runtime.agent.toolDeclarations).toEqual(tools.map(modelToolDeclaration));
    // No code location, no data access: the orchestrator reads no tool data itself.
    expect(JSON.stringify(stage.runtime.agent.toolDeclarations)).not.toMatch(/implementation|dataAccess|index\.ts/);
    expect(env[ENV.REFERENCE_TABLE]).toBeUndefined();
    expect(env[ENV.KNOWLEDGE_BASE_ID]).toBeUndefined();
  });

  test('the orchestrator may start the fast machine synchronously, start the slow one, look up its executions and answer its task tokens: nothing more of the tool workflows', () => {
    const [, orchestrator] = functionOf(template, 'orchestrator');
    const statements = statementsOf(template, orchestrator.Properties.Role['Fn::GetAtt'][0]).filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    // The agent loop's grants are its own test's (test/lib/constructs/agent-loop).
    const grants = statements
      .flatMap((s) => actionsOf(s).flatMap((action) => resourcesOfStatement(s).map((r) => `${action} ${resolve(r)}`)))
      .filter((grant) => !grant.includes(agentLoopMachineName(prefix)))
      .sort();
    expect(grants).toEqual(
      [
        `states:DescribeExecution ${machineArn(slowToolsMachineName(prefix)).replace(':stateMachine:', ':execution:')}:*`,
        `states:SendTaskFailure ${machineArn(slowToolsMachineName(prefix))}`,
        `states:SendTaskSuccess ${machineArn(slowToolsMachineName(prefix))}`,
        `states:StartExecution ${machineArn(slowToolsMachineName(prefix))}`,
        `states:StartSyncExecution ${machineArn(fastToolsMachineName(prefix))}`,
      ].sort(),
    );
  });

  test('each machine role may invoke exactly its own functions; the slow one also the orchestrator, the fast one GetItem on the reference table', () => {
    const invokable = (machineLogicalId: string) => {
      const roleId = template.toJSON().Resources[machineLogicalId].Properties.RoleArn['Fn::GetAtt'][0];
      const statements = statementsOf(template, roleId);
      const invoke = statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
      const functions = invoke.flatMap(resourcesOfStatement).map((r) => String(resolve(r)).replace(/^.*:function:/, ''));
      const getItem = statements.filter((s) => actionsOf(s).includes('dynamodb:GetItem')).flatMap(resourcesOfStatement).map((r) => resolve(r));
      return { functions: [...new Set(functions)].sort(), getItem };
    };
    const fnId = (service: string) => functionOf(template, service)[0];
    const withVersions = (ids: string[]) => [...ids, ...ids.map((id) => `${id}:*`)].sort();
    const table = `arn:${partition}:dynamodb:${stage.runtime.region}:${TEST_ACCOUNT}:table/${prefix}-data-reference`;
    const fast = invokable(machineNamed(machines, '-tools-fast').logicalId);
    expect(fast.functions).toEqual(withVersions(lambdaTools(fastTools(tools)).map((tool) => fnId(toolServiceName(tool)))));
    expect(fast.getItem).toEqual(getItemTools(fastTools(tools)).length > 0 ? [table] : []);
    const slow = invokable(machineNamed(machines, '-tools-slow').logicalId);
    expect(slow.functions).toEqual(withVersions([fnId('orchestrator'), fnId('approval-wait'), ...lambdaTools(slowTools(tools)).map((tool) => fnId(toolServiceName(tool)))]));
    expect(slow.getItem).toEqual(getItemTools(slowTools(tools)).length > 0 ? [table] : []);
  });

  test('the approval wait updates session headers; each Lambda tool reaches exactly the reference data its declaration names', () => {
    const tables = (service: string) => {
      const [, fn] = functionOf(template, service);
      return statementsOf(template, fn.Properties.Role['Fn::GetAtt'][0])
        .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))
        .flatMap((s) => resourcesOfStatement(s).map((r) => `${actionsOf(s).join(',')} ${String(resolve(r)).replace(/^.*:table\//, '')}`));
    };
    expect(tables('approval-wait')).toEqual([`dynamodb:UpdateItem ${prefix}-data-sessions`]);
    const expected: Record<ReferenceAccess, string[]> = {
      [ReferenceAccess.READ]: [`dynamodb:GetItem ${prefix}-data-reference`],
      [ReferenceAccess.RECORD]: [`dynamodb:GetItem,dynamodb:PutItem ${prefix}-data-reference`],
    };
    for (const tool of lambdaTools(tools)) {
      const access = tool.dataAccess?.referenceTable;
      expect(tables(toolServiceName(tool))).toEqual(access ? expected[access] : []);
      const [, fn] = functionOf(template, toolServiceName(tool));
      expect(fn.Properties.Timeout).toBe(tool.timeoutSeconds);
    }
  });

  test('the reference table lives in the State stack: one partition key `caseId` (unchanged, as the table is retained), under the data key, PITR, deletion protection, RETAIN', () => {
    const state = Template.fromStack(stage.state);
    const [tableId, table] = onlyOne(
      (Object.entries(state.findResources('AWS::DynamoDB::Table')) as Array<[string, any]>).filter(([, t]) => t.Properties.TableName === `${prefix}-data-reference`),
    );
    expect(table).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        // Stateful: a new key would replace the table. Every tool's key is a tenant-scoped value in it.
        KeySchema: [{ AttributeName: 'caseId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      },
    });
    // CP-9: in the session store's daily backup plan.
    state.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupPlanId: { 'Fn::GetAtt': [stage.state.resolve((stage.state.sessions.backupPlan.node.defaultChild as any).logicalId), 'BackupPlanId'] },
      BackupSelection: Match.objectLike({ Resources: [{ 'Fn::GetAtt': [tableId, 'Arn'] }] }),
    });
  });

  test('the session API accepts approvals: POST /sessions/{sessionId}/approvals', () => {
    const paths = resources(template, 'AWS::ApiGateway::Resource').map(([, r]) => r.Properties.PathPart);
    expect(paths).toContain('approvals');
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM' });
  });
});

test.each([
  ['GovWest', true],
  ['GovEast', true],
  ['Commercial', false],
])('%s: Express workflows warn as unverified in GovCloud only (%s)', (targetName, warns) => {
  const warnings = Annotations.fromStack(stageOf(targetName).runtime).findWarning('*', Match.stringLikeRegexp('"states:express" .* is unverified'));
  expect(warnings.length > 0).toBe(warns);
});
