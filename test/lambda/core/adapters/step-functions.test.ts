import { DescribeExecutionCommand, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { StepFunctionsDecisionSender } from '../../../../lambda/core/adapters/step-functions/decision-sender';
import { StepFunctionsSlowToolStarter } from '../../../../lambda/core/adapters/step-functions/slow-tool-starter';
import { StepFunctionsToolRunner } from '../../../../lambda/core/adapters/step-functions/sync-tool-runner';
import { ApprovalClosedError, ToolWorkflowError } from '../../../../lambda/core/domain/errors';
import type { SlowToolRunInput, ToolRunInput } from '../../../../lib/contract/workflow-contract';
import { startLocalStepFunctions, type LocalStepFunctions, type TaskHandler } from '../../../helpers/local-stepfunctions';
import { fastToolsDefinition, FUNCTIONS, LAMBDA_INVOKE, stateMachineArn } from '../support/tool-workflows';

/** The Step Functions adapters with the real SDK client against the local endpoint, running real definitions. */
let sfn: LocalStepFunctions;
let client: SFNClient;
let tool: TaskHandler = async () => ({});
let serial = 0;

const FAST = stateMachineArn('fast-tools');
/** The same workflow with compute_deadline's 5 s cut to 1 s, for the timeout case; FAST keeps its own, so an answer never races the clock. */
const FAST_SHORT_TIMEOUT = stateMachineArn('fast-tools-short-timeout');
const run = (input: Partial<ToolRunInput> = {}): ToolRunInput => ({
  tool: 'compute_deadline',
  toolCallId: `call-${++serial}`,
  input: { startDate: '2026-11-20', businessDays: 10 },
  tenant: 'agency-a',
  session: 's-1',
  ...input,
});

beforeAll(async () => {
  sfn = await startLocalStepFunctions();
  client = new SFNClient(sfn.clientConfig());
  const fast = fastToolsDefinition({ compute_deadline: FUNCTIONS.computeDeadline });
  const handlers = { [FUNCTIONS.computeDeadline]: (input: unknown) => tool(input) };
  sfn.register(FAST, fast, handlers, { type: 'EXPRESS' });
  sfn.register(FAST_SHORT_TIMEOUT, fast, handlers, { type: 'EXPRESS', timeoutOverrides: { compute_deadline: 1 } });
});

afterAll(async () => {
  client?.destroy();
  await sfn?.stop();
});

describe('StepFunctionsToolRunner (StartSyncExecution on the Express workflow)', () => {
  const runner = () => new StepFunctionsToolRunner({ client, stateMachineArn: FAST });

  test('the tool Lambda gets the ToolRunInput; its answer comes back as the output', async () => {
    const seen: unknown[] = [];
    tool = async (input) => {
      seen.push(input);
      return { dueDate: '2026-12-07' };
    };
    const input = run();
    await expect(runner().run(input)).resolves.toEqual({ ok: true, output: { dueDate: '2026-12-07' } });
    expect(seen).toEqual([input]);
  });

  test("a tool's error, its timeout and its invalid-input error are outputs, not throws", async () => {
    tool = async () => {
      throw new Error('upstream 500');
    };
    await expect(runner().run(run())).resolves.toMatchObject({ ok: false, error: 'tool_failed' });

    tool = () => new Promise(() => undefined);
    await expect(new StepFunctionsToolRunner({ client, stateMachineArn: FAST_SHORT_TIMEOUT }).run(run())).resolves.toMatchObject({ ok: false, error: 'timeout' });

    tool = async () => {
      throw Object.assign(new Error('businessDays out of range'), { name: 'Statehouse.InvalidInput' });
    };
    await expect(runner().run(run())).resolves.toMatchObject({ ok: false, error: 'invalid_input' });
  });

  test('an execution that fails, times out or answers something else is a tool error too', async () => {
    const failing = stateMachineArn('fast-failing');
    sfn.register(
      failing,
      { StartAt: 'Fail', States: { Fail: { Type: 'Fail', Error: 'Custom.Broken', Cause: 'stack trace with secrets' } } },
      {},
      { type: 'EXPRESS' },
    );
    const failed = await new StepFunctionsToolRunner({ client, stateMachineArn: failing }).run(run());
    expect(failed).toEqual({ ok: false, error: 'tool_failed', message: 'compute_deadline failed with Custom.Broken' });

    const slow = stateMachineArn('fast-timing-out');
    sfn.register(
      slow,
      { TimeoutSeconds: 1, StartAt: 'Hang', States: { Hang: { Type: 'Task', Resource: LAMBDA_INVOKE, Parameters: { FunctionName: FUNCTIONS.computeDeadline }, End: true } } },
      { [FUNCTIONS.computeDeadline]: () => new Promise(() => undefined) },
      { type: 'EXPRESS' },
    );
    await expect(new StepFunctionsToolRunner({ client, stateMachineArn: slow }).run(run())).resolves.toMatchObject({ ok: false, error: 'timeout' });

    const odd = stateMachineArn('fast-odd');
    sfn.register(odd, { StartAt: 'Say', States: { Say: { Type: 'Pass', Result: { answer: 42 }, End: true } } }, {}, { type: 'EXPRESS' });
    await expect(new StepFunctionsToolRunner({ client, stateMachineArn: odd }).run(run())).resolves.toEqual({
      ok: false,
      error: 'tool_failed',
      message: 'compute_deadline returned output that is not a tool result',
    });
  });

  test('a workflow the service refuses to run is a ToolWorkflowError, not a tool result', async () => {
    await expect(new StepFunctionsToolRunner({ client, stateMachineArn: stateMachineArn('missing') }).run(run())).rejects.toThrow(ToolWorkflowError);
  });
});

describe('StepFunctionsSlowToolStarter (StartExecution on the Standard workflow)', () => {
  const SLOW = stateMachineArn('slow-tools-starter');
  const input: SlowToolRunInput = {
    tool: 'release_records',
    toolCallId: 'call-9',
    input: { caseId: 'FOIA-4411', recordIds: ['r-1'], justification: 'requested under FOIA' },
    tenant: 'agency-a',
    session: 's-9',
    requestId: 'r-1',
    requestedBy: 'alice',
    approvalRequired: true,
    approvalTimeoutSeconds: 60,
  };
  let gate: () => void = () => undefined;

  beforeAll(() => {
    sfn.register(
      SLOW,
      { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: LAMBDA_INVOKE, Parameters: { FunctionName: FUNCTIONS.releaseRecords }, End: true } } },
      { [FUNCTIONS.releaseRecords]: () => new Promise<void>((resolve) => (gate = resolve)) },
    );
  });

  test('starting the same call again is idempotent, while it runs and after it ended; another input under its name is refused', async () => {
    const starter = new StepFunctionsSlowToolStarter({ client, stateMachineArn: SLOW });
    await starter.start('statehouse-abc', input);
    await starter.start('statehouse-abc', input);
    expect(sfn.executions(SLOW)).toHaveLength(1);
    const [execution] = sfn.executions(SLOW);
    expect(JSON.parse(execution.input)).toEqual(input);

    gate();
    await sfn.finished(execution.executionArn);
    await starter.start('statehouse-abc', input);
    expect(sfn.executions(SLOW)).toHaveLength(1);

    await expect(starter.start('statehouse-abc', { ...input, toolCallId: 'call-10' })).rejects.toThrow(ToolWorkflowError);
  });
});

describe('StepFunctionsDecisionSender and the local task tokens', () => {
  const WAITING = stateMachineArn('waiting');
  const decision = { approved: true, approver: 'olivia', reason: 'statute allows it', decidedAt: '2026-11-20T10:00:00.000Z' };

  beforeAll(() => {
    sfn.register(
      WAITING,
      {
        StartAt: 'Wait',
        States: {
          Wait: {
            Type: 'Task',
            Resource: `${LAMBDA_INVOKE}.waitForTaskToken`,
            Parameters: { FunctionName: FUNCTIONS.approvalWait, Payload: { 'taskToken.$': '$$.Task.Token', 'id.$': '$.id' } },
            TimeoutSeconds: 600,
            End: true,
          },
        },
      },
      { [FUNCTIONS.approvalWait]: async () => ({ stored: true }) },
    );
  });

  async function waiting(name: string): Promise<{ executionArn: string; token: string }> {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: WAITING, name, input: '{"id":1}' }));
    return { executionArn: executionArn as string, token: await sfn.waitingTaskToken(executionArn as string) };
  }

  test('SendTaskSuccess resumes the execution with the decision as the task output; a second send finds the task closed', async () => {
    const { executionArn, token } = await waiting('approve-1');
    const sender = new StepFunctionsDecisionSender({ client });
    await sender.sendDecision(token, decision);

    const done = await sfn.finished(executionArn);
    expect(done).toMatchObject({ status: 'SUCCEEDED' });
    expect(JSON.parse(done.output ?? '')).toEqual(decision);
    await expect(client.send(new DescribeExecutionCommand({ executionArn }))).resolves.toMatchObject({ status: 'SUCCEEDED' });
    await expect(sender.sendDecision(token, decision)).rejects.toThrow(ApprovalClosedError);
    await expect(sender.sendDecision('not-a-token', decision)).rejects.toThrow(ApprovalClosedError);
  });

  test('SendTaskFailure fails the task with its error and cause', async () => {
    const { executionArn, token } = await waiting('fail-1');
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Custom.Rejected', cause: 'no' }));
    await expect(sfn.finished(executionArn)).resolves.toMatchObject({ status: 'FAILED', error: 'Custom.Rejected', cause: 'no' });
  });

  test('output that is not JSON is refused (InvalidOutput) and the task keeps waiting', async () => {
    const { executionArn, token } = await waiting('invalid-1');
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{nope' }))).rejects.toMatchObject({ name: 'InvalidOutput' });
    await expect(client.send(new DescribeExecutionCommand({ executionArn }))).resolves.toMatchObject({ status: 'RUNNING' });
    await new StepFunctionsDecisionSender({ client }).sendDecision(token, decision);
    await expect(sfn.finished(executionArn)).resolves.toMatchObject({ status: 'SUCCEEDED' });
  });

  test('a wait past its TimeoutSecondsPath (read from the state input, as the service does) fails with States.Timeout; the token is then closed', async () => {
    const PATHED = stateMachineArn('waiting-pathed');
    const seen: unknown[] = [];
    sfn.register(
      PATHED,
      {
        StartAt: 'Wait',
        States: {
          Wait: {
            Type: 'Task',
            Resource: `${LAMBDA_INVOKE}.waitForTaskToken`,
            Parameters: { FunctionName: FUNCTIONS.approvalWait, Payload: { 'taskToken.$': '$$.Task.Token' } },
            TimeoutSecondsPath: '$.approvalTimeoutSeconds',
            Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'TimedOut' }],
            End: true,
          },
          TimedOut: { Type: 'Pass', Result: 'timed out', End: true },
        },
      },
      {
        [FUNCTIONS.approvalWait]: async (payload) => {
          seen.push(payload);
          return {};
        },
      },
    );
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: PATHED, input: '{"approvalTimeoutSeconds":1}' }));
    const token = await sfn.waitingTaskToken(executionArn as string);
    expect(seen).toEqual([{ taskToken: token }]);

    await expect(sfn.finished(executionArn as string)).resolves.toMatchObject({ status: 'SUCCEEDED', output: '"timed out"' });
    await expect(new StepFunctionsDecisionSender({ client }).sendDecision(token, decision)).rejects.toThrow(ApprovalClosedError);
  });

  test('a definition with a Task no handler matches is refused at registration, so nothing ever calls AWS', () => {
    expect(() =>
      sfn.register(
        stateMachineArn('unhandled'),
        { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: LAMBDA_INVOKE, Parameters: { FunctionName: FUNCTIONS.orchestrator }, End: true } } },
        {},
      ),
    ).toThrow(/has no local handler/);
  });
});
