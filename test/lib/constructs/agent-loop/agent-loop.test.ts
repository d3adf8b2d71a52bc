import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { listAcknowledgments } from '../../../../lib/compliance/acknowledgments';
import { addCompliancePacks } from '../../../../lib/compliance/packs';
import type { ReportedViolation } from '../../../../lib/compliance/validation-report';
import { AGENT_LOOP_STATES, AgentLoop, type AgentLoopProps } from '../../../../lib/constructs/agent-loop/agent-loop';
import { ApprovalWorkflow } from '../../../../lib/constructs/approval-workflow/approval-workflow';
import { SessionStore } from '../../../../lib/constructs/session-store/session-store';
import { ENV } from '../../../../lib/contract/env-names';
import { ResidencyGuard } from '../../../../lib/residency/residency-guard';
import { findTool } from '../../../../lib/tools/catalog';
import { cfnLint, cfnLintReady } from '../../../helpers/cfn-lint';
import { synthesizedMachines, type SynthesizedMachine } from '../../tool-workflow/synthesized-workflows';
import { COMMERCIAL, GOV_WEST, listOf, logicalIdOf, roleStatements, synthReport, targetStack, TEST_ACCOUNT, testFoundation, type TargetStackFixture } from '../construct-test-stacks';

/**
 * The AgentLoop construct on its own: the state machine's definition (states,
 * payloads, Retry and Catch), its role, its grants, its refusals, and the
 * compliance packs and cfn-lint on a commercial and a GovCloud region.
 */
const NAME = 'statehouse-test-agent-loop';
const LOOP_PATH = 'Target/Test/Loop';
const RELEASE = findTool('release_records')!;
const DEADLINE = findTool('compute_deadline')!;
const PARTITION_OF: Record<string, string> = { [COMMERCIAL]: 'aws', [GOV_WEST]: 'aws-us-gov' };

interface Fixture extends TargetStackFixture {
  readonly loop: AgentLoop;
  readonly round: lambda.Function;
  readonly approvalWait: lambda.Function;
  readonly release: lambda.Function;
  readonly sessions: SessionStore;
}

interface FixtureOptions {
  /** The cdk-nag packs on the app and the residency guard on the stage, as bin/ and the stages add them. */
  readonly compliancePacks?: boolean;
  /** An ApprovalWorkflow of the same tools, functions and approval wait next to the loop. */
  readonly approvalWorkflow?: boolean;
}

/** An AgentLoop `Loop` running release_records, with plain functions standing in for the round function, the approval wait and the tool. */
function loopIn(region: string, props: Partial<AgentLoopProps> = {}, options: FixtureOptions = {}): Fixture {
  const fixture = targetStack(region, 'Target', { cfnValidation: options.compliancePacks });
  const { stack } = fixture;
  const foundation = testFoundation(stack);
  const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});') });
  const [round, approvalWait, release] = [fn('Round'), fn('ApprovalWait'), fn('Release')];
  const sessions = new SessionStore(stack, 'Sessions', { namePrefix: 'statehouse-test-data', dataKey: foundation.dataKey, s3Endpoint: foundation.s3Endpoint, accessLogsBucket: foundation.accessLogs });
  const slowCalls = { tools: [RELEASE], toolFunctions: { release_records: release }, encryptionKey: foundation.dataKey, logsKey: foundation.logsKey };
  const loop = new AgentLoop(stack, 'Loop', { ...slowCalls, stateMachineName: NAME, roundFunction: round, approvalWait, ...props });
  if (options.approvalWorkflow) {
    new ApprovalWorkflow(stack, 'Slow', { ...slowCalls, stateMachineName: 'statehouse-test-tools-slow', resumeTarget: fn('Resume'), approvalWait, sessions });
  }
  if (options.compliancePacks) {
    addCompliancePacks(fixture.app);
    Validations.of(fixture.stage).addPlugins(new ResidencyGuard({ regions: [region], crossRegionInference: 'deny', fips: true }));
  }
  return { ...fixture, loop, round, approvalWait, release, sessions };
}

/** The synthesized machines of the fixture's stack, their definitions resolved as CloudFormation would. */
function machinesOf(f: Fixture): SynthesizedMachine[] {
  f.app.synth();
  return synthesizedMachines(f.stack, [f.stack]);
}

const machineNamed = (machines: SynthesizedMachine[], name: string) => machines.find((m) => m.name === name)!;
const functionArn = (region: string, fn: lambda.Function) => `arn:${PARTITION_OF[region]}:lambda:${region}:${TEST_ACCOUNT}:function:${logicalIdOf(fn)}`;

/** Lambda's transient errors and what a killed function reports. */
const LAMBDA_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
];
/** The Retry of both Round tasks, as the contract's error names (lib/contract/agent-loop.ts) reach Step Functions. */
const ROUND_RETRY = [
  { ErrorEquals: ['Statehouse.ModelThrottled'], IntervalSeconds: 2, BackoffRate: 2, MaxDelaySeconds: 60, MaxAttempts: 8, JitterStrategy: 'FULL' },
  {
    ErrorEquals: ['Statehouse.ModelUnavailable', 'States.Timeout', ...LAMBDA_ERRORS],
    IntervalSeconds: 2,
    BackoffRate: 2,
    MaxAttempts: 5,
    JitterStrategy: 'FULL',
  },
  { ErrorEquals: ['Statehouse.SessionBusy'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 5, JitterStrategy: 'FULL' },
];
const TO_ROUND_FAILED = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: AGENT_LOOP_STATES.ROUND_FAILED }];
const TURN = { 'tenant.$': '$.tenant', 'session.$': '$.session', 'requestId.$': '$.requestId' };

describe.each([COMMERCIAL, GOV_WEST])('AgentLoop in %s', (region) => {
  let f: Fixture;
  let template: Template;
  let machine: SynthesizedMachine;
  let states: Record<string, any>;
  beforeAll(() => {
    // GIVEN a loop with its defaults (one slow tool, the default deadline)
    f = loopIn(region);
    // WHEN synthesized
    template = Template.fromStack(f.stack);
    machine = machineNamed(machinesOf(f), NAME);
    states = machine.definition.States as Record<string, any>;
  });

  test('a Standard machine under its fixed name: ALL logging with data to a log group under the logs key, X-Ray, the data key, a backstop of deadline + 1 h', () => {
    const [[, resource]] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(resource.Properties).toMatchObject({
      StateMachineName: NAME,
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      TracingConfiguration: { Enabled: true },
      EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY' },
    });
    expect(machine.definition.TimeoutSeconds).toBe(3600 + 3600);
    expect(f.loop.node.defaultChild).toBe(f.loop.stateMachine);
    // The log group it created: under the logs key, a year, RETAIN.
    const logGroupId = resource.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    expect(logGroupId).toMatch(/^LoopLogs/);
    expect(template.toJSON().Resources[logGroupId]).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 365, KmsKeyId: expect.anything() } });
    // Its ARN is built from the name: the orchestrator names it without a reference.
    expect(f.stack.resolve(f.loop.stateMachineArn)).toBe(`arn:${PARTITION_OF[region]}:states:${region}:${TEST_ACCOUNT}:stateMachine:${NAME}`);
    expect(f.stack.resolve(f.loop.orchestratorEnvironment)).toEqual({ [ENV.AGENT_LOOP_STATE_MACHINE]: f.stack.resolve(f.loop.stateMachineArn) });
  });

  test('the states: Round → Round committed → Next step?, the slow call and the round after it, RoundFailed → Turn failed', () => {
    const S = AGENT_LOOP_STATES;
    expect(machine.definition.StartAt).toBe(S.ROUND);
    expect(Object.fromEntries(Object.entries(states).map(([name, state]) => [name, state.Type]))).toEqual({
      [S.ROUND]: 'Task',
      [S.ROUND_COMMITTED]: 'Pass',
      [S.NEXT_STEP]: 'Choice',
      [S.RUN_SLOW_CALL]: 'Parallel',
      [S.ROUND_AFTER_SLOW_CALL]: 'Task',
      [S.TURN_DONE]: 'Succeed',
      [S.UNKNOWN_OUTCOME]: 'Pass',
      [S.ROUND_FAILED]: 'Task',
      [S.TURN_FAILED]: 'Fail',
    });
    expect(states[S.NEXT_STEP].Choices).toEqual([
      { Variable: '$.outcome.status', StringEquals: 'continue', Next: S.ROUND },
      {
        And: [
          {
            Or: [
              { Variable: '$.outcome.status', StringEquals: 'awaiting_approval' },
              { Variable: '$.outcome.status', StringEquals: 'awaiting_tool' },
            ],
          },
          { Variable: '$.outcome.slowTool', IsPresent: true },
        ],
        Next: S.RUN_SLOW_CALL,
      },
      { Variable: '$.outcome.status', StringEquals: 'done', Next: S.TURN_DONE },
    ]);
    // A status the loop does not know (or a slow call without its input) fails the turn through RoundFailed, as an error the function records.
    expect(states[S.NEXT_STEP].Default).toBe(S.UNKNOWN_OUTCOME);
    expect(states[S.UNKNOWN_OUTCOME]).toMatchObject({ ResultPath: '$.failure', Result: { Error: 'States.NoChoiceMatched' }, Next: S.ROUND_FAILED });
  });

  test('Round: the RoundEvent without `resume`, to the round function, 20 minutes at most, with the declared retries and one catch', () => {
    expect(states.Round).toEqual({
      Type: 'Task',
      Resource: functionArn(region, f.round),
      Parameters: { kind: 'statehouse.round', ...TURN, 'round.$': '$.round' },
      TimeoutSeconds: 1200,
      ResultPath: '$.outcome',
      Retry: ROUND_RETRY,
      Catch: TO_ROUND_FAILED,
      Next: AGENT_LOOP_STATES.ROUND_COMMITTED,
    });
  });

  test('Round committed keeps the loop\'s own fields, takes `round` from the outcome, and keeps the outcome', () => {
    expect(states[AGENT_LOOP_STATES.ROUND_COMMITTED]).toEqual({
      Type: 'Pass',
      Parameters: { ...TURN, 'round.$': '$.outcome.round', 'outcome.$': '$.outcome' },
      Next: AGENT_LOOP_STATES.NEXT_STEP,
    });
  });

  test('the slow call runs on the round\'s SlowToolRunInput in a one-branch Parallel; the round after it sends the branch\'s `resume`', () => {
    const parallel = states[AGENT_LOOP_STATES.RUN_SLOW_CALL];
    expect(parallel).toMatchObject({
      InputPath: '$.outcome.slowTool',
      ResultSelector: { 'resume.$': '$[0].resume' },
      ResultPath: '$.slowCall',
      Catch: TO_ROUND_FAILED,
      Next: AGENT_LOOP_STATES.ROUND_AFTER_SLOW_CALL,
    });
    expect(parallel.Branches).toHaveLength(1);
    expect(parallel.Branches[0].StartAt).toBe('Approval required?');
    expect(states[AGENT_LOOP_STATES.ROUND_AFTER_SLOW_CALL]).toEqual({
      ...states.Round,
      Parameters: { kind: 'statehouse.round', ...TURN, 'round.$': '$.round', 'resume.$': '$.slowCall.resume' },
    });
  });

  test('RoundFailed: the RoundFailedEvent, retried on Lambda\'s errors and a concurrent writer, then the execution fails with the round\'s error', () => {
    expect(states[AGENT_LOOP_STATES.ROUND_FAILED]).toEqual({
      Type: 'Task',
      Resource: functionArn(region, f.round),
      Parameters: { kind: 'statehouse.round-failed', ...TURN, 'round.$': '$.round', 'failure.$': '$.failure' },
      TimeoutSeconds: 1200,
      ResultPath: null,
      Retry: [
        {
          ErrorEquals: [...LAMBDA_ERRORS, 'Statehouse.SessionBusy'],
          IntervalSeconds: 2,
          BackoffRate: 2,
          MaxAttempts: 6,
          JitterStrategy: 'FULL',
        },
      ],
      Next: AGENT_LOOP_STATES.TURN_FAILED,
    });
    expect(states[AGENT_LOOP_STATES.TURN_FAILED]).toEqual({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
  });

  test('the loop\'s role may invoke exactly the round function, the approval wait and the slow tool\'s function', () => {
    const roleId = template.toJSON().Resources[machine.logicalId].Properties.RoleArn['Fn::GetAtt'][0];
    const invoked = roleStatements(template, roleId)
      .filter((s) => listOf(s.Action as string | string[]).includes('lambda:InvokeFunction'))
      .flatMap((s) => [s.Resource].flat())
      .map((r) => JSON.stringify(r));
    const fns = [f.round, f.approvalWait, f.release].map(logicalIdOf);
    expect(invoked.sort()).toEqual(
      [...fns.map((id) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] })), ...fns.map((id) => JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, ':*']] }))].sort(),
    );
    // AND nothing else of Lambda or Step Functions
    const actions = roleStatements(template, roleId).flatMap((s) => listOf(s.Action as string | string[]));
    expect(actions.filter((a) => a.startsWith('lambda:') || a.startsWith('states:'))).toEqual(['lambda:InvokeFunction']);
  });
});

describe('AgentLoop grants', () => {
  const grantsOf = (f: Fixture, role: iam.Role) => {
    const template = Template.fromStack(f.stack);
    return roleStatements(template, logicalIdOf(role))
      .filter((s) => listOf(s.Action as string | string[]).some((a) => a.startsWith('states:')))
      .flatMap((s) => listOf(s.Action as string | string[]).map((a) => `${a} ${JSON.stringify(f.stack.resolve(s.Resource))}`))
      .sort();
  };
  const machineArn = `arn:aws-us-gov:states:${GOV_WEST}:${TEST_ACCOUNT}:stateMachine:${NAME}`;
  const executions = `arn:aws-us-gov:states:${GOV_WEST}:${TEST_ACCOUNT}:execution:${NAME}:*`;
  const EXPECTED = [
    `states:DescribeExecution ${JSON.stringify(executions)}`,
    `states:SendTaskFailure ${JSON.stringify(machineArn)}`,
    `states:SendTaskSuccess ${JSON.stringify(machineArn)}`,
    `states:StartExecution ${JSON.stringify(machineArn)}`,
    `states:StopExecution ${JSON.stringify(executions)}`,
  ].sort();

  test('start, describe, stop and answer: exact actions on this machine or its executions, its key for this machine only, one acknowledgment', () => {
    // GIVEN a loop and a caller granted all four
    const f = loopIn(GOV_WEST);
    const caller = new iam.Role(f.stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    f.loop.grantStart(caller);
    f.loop.grantDescribeExecutions(caller);
    f.loop.grantStop(caller);
    f.loop.grantSendTaskResult(caller);
    // THEN
    expect(grantsOf(f, caller)).toEqual(EXPECTED);
    const kms = roleStatements(Template.fromStack(f.stack), logicalIdOf(caller)).filter((s) => listOf(s.Action as string | string[]).includes('kms:Decrypt'));
    expect(kms.map((s) => f.stack.resolve(s.Condition))).toEqual([{ StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': machineArn } }]);
    // The executions' wildcard is acknowledged once on the caller, with its reason.
    const acks = listAcknowledgments(caller).map((a) => a.rule.replace(/^Annotation::/, ''));
    expect(acks).toEqual([`AwsSolutions-IAM5[Resource::arn:aws-us-gov:states:${GOV_WEST}:${TEST_ACCOUNT}:execution:${NAME}:*]`]);
  });

  test('an imported loop grants the same by its ARN and names itself in the orchestrator environment', () => {
    const f = loopIn(GOV_WEST);
    const imported = AgentLoop.fromAgentLoopAttributes(f.stack, 'Imported', { stateMachineArn: machineArn });
    const caller = new iam.Role(f.stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    for (const grant of [imported.grantStart, imported.grantDescribeExecutions, imported.grantStop, imported.grantSendTaskResult]) grant.call(imported, caller);
    expect(grantsOf(f, caller)).toEqual(EXPECTED);
    expect(imported.stateMachineName).toBe(NAME);
    expect(imported.orchestratorEnvironment).toEqual({ [ENV.AGENT_LOOP_STATE_MACHINE]: machineArn });
    expect(imported.metricFailed().dimensions).toEqual({ StateMachineArn: machineArn });
  });
});

describe('AgentLoop props', () => {
  test('the deadline sets the backstop; stateMachineProps.timeout and logGroupProps override the defaults', () => {
    const withDeadline = machineNamed(machinesOf(loopIn(GOV_WEST, { deadline: Duration.minutes(30) })), NAME);
    expect(withDeadline.definition.TimeoutSeconds).toBe(1800 + 3600);
    const f = loopIn(GOV_WEST, { stateMachineProps: { timeout: Duration.hours(6) }, logGroupProps: { retention: logs.RetentionDays.TEN_YEARS } });
    expect(machineNamed(machinesOf(f), NAME).definition.TimeoutSeconds).toBe(6 * 3600);
    const [, logGroup] = Object.entries(Template.fromStack(f.stack).findResources('AWS::Logs::LogGroup')).find(([id]) => id.startsWith('LoopLogs'))!;
    expect(logGroup.Properties.RetentionInDays).toBe(3653);
  });

  test.each<[string, Partial<AgentLoopProps>, RegExp]>([
    ['a fast tool', { tools: [DEADLINE] }, /Loop: tool "compute_deadline" is mode "fast"; the agent loop runs only mode "slow" tools/],
    ['a Lambda tool without its function', { toolFunctions: {} }, /tool "release_records" runs a Lambda function, but toolFunctions has none under "release_records"/],
    ['a deadline of zero', { deadline: Duration.seconds(0) }, /Loop: deadline is 0 s; a background turn's deadline is a whole number of seconds from 1 to 86400/],
    ['a deadline past a day', { deadline: Duration.hours(25) }, /deadline is 90000 s; .* from 1 to 86400 \(a day\)/],
    ['a deadline in part seconds', { deadline: Duration.millis(1500) }, /deadline is 1.5 s; a background turn's deadline is a whole number of seconds/],
  ])('refuses %s, naming the prop and the fix', (_case, props, message) => {
    expect(() => loopIn(GOV_WEST, props)).toThrow(message);
  });
});

describe('the slow call is the approval workflow\'s own states', () => {
  test('the branch holds exactly the ApprovalWorkflow\'s states, ending where the approval workflow resumes the turn', () => {
    // GIVEN a loop and an approval workflow of the same tools, functions and approval wait
    const f = loopIn(GOV_WEST, {}, { approvalWorkflow: true });
    const machines = machinesOf(f);
    const approval = machineNamed(machines, 'statehouse-test-tools-slow').definition;
    const branch = (machineNamed(machines, NAME).definition.States[AGENT_LOOP_STATES.RUN_SLOW_CALL] as any).Branches[0];
    // THEN the same start and states; where the approval workflow goes on to `Resume the turn`, the branch ends
    const { 'Resume the turn': resume, ...approvalStates } = approval.States as Record<string, any>;
    expect(resume).toMatchObject({ InputPath: '$.resume', End: true });
    const ended = Object.fromEntries(
      Object.entries(approvalStates).map(([name, state]) => {
        if (state.Next !== 'Resume the turn') return [name, state];
        const { Next: _next, ...rest } = state;
        return [name, { ...rest, End: true }];
      }),
    );
    expect(branch.StartAt).toBe(approval.StartAt);
    expect(branch.States).toEqual(ended);
  });
});

describe.each([COMMERCIAL, GOV_WEST])('AgentLoop compliance in %s', (region) => {
  let f: Fixture;
  let errors: ReportedViolation[];
  beforeAll(() => {
    // GIVEN the loop in an app with cdk-nag's AwsSolutions and NIST 800-53 R5 packs and the residency guard, as bin/ builds it
    f = loopIn(region, {}, { compliancePacks: true });
    // WHEN synthesized
    errors = synthReport(f.app).errors;
  });

  test('cdk-nag and the residency guard report zero findings on the construct; each acknowledgment names a rule and a reason', () => {
    // The test's own functions, key and VPC are not the construct's: only its paths count.
    expect(errors.filter((e) => e.paths.some((p) => p.startsWith(`${LOOP_PATH}/`)))).toEqual([]);
    // The packs did run: the test's plain functions (outside the VPC, no DLQ) have findings.
    expect(errors.some((e) => e.paths.some((p) => p.startsWith('Target/Test/Round/')))).toBe(true);
    const acks = listAcknowledgments(f.loop).map((a) => `${a.rule.replace(/^Annotation::/, '')} @ ${a.path.replace(`${LOOP_PATH}/`, '')}`);
    expect(acks.sort()).toEqual(
      [
        'AwsSolutions-IAM5[Resource::*] @ Resource/Role',
        'NIST.800.53.R5-IAMNoInlinePolicy @ Resource/Role',
        ...[f.round, f.approvalWait, f.release].map((fn) => `AwsSolutions-IAM5[Resource::<${logicalIdOf(fn)}.Arn>:*] @ Resource/Role`),
      ].sort(),
    );
    for (const ack of listAcknowledgments(f.loop)) expect(ack.reason.length).toBeGreaterThanOrEqual(40);
  });

  test('cfn-lint reports zero errors for the region', () => {
    if (!cfnLintReady()) return;
    const file = path.join(f.stage.outdir, f.stack.templateFile);
    expect(fs.existsSync(file)).toBe(true);
    expect(cfnLint([file], region).filter((finding) => finding.Level === 'Error')).toEqual([]);
  });
});
