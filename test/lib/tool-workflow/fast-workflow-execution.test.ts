import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { referenceItemKey } from '../../../lib/contract/reference-table';
import type { ToolDeclaration } from '../../../lib/contract/tool-declaration';
import type { ToolRunInput, ToolRunOutput } from '../../../lib/contract/workflow-contract';
import { motoDynamoDbClient, startMoto, type MotoServer } from '../../helpers/moto';
import { stacksOf, synthStatehouse } from '../../helpers/synth';
import { asLambdaTask, asSdkTask, installPromiseWithResolvers } from './local-interpreter';
import { createReferenceTable } from './reference-table';
import { declaredTools, slowTools } from './support/declared-tools';
import { machineNamed, synthesizedMachines } from './synthesized-workflows';

/**
 * The Express workflow of GovWest, exactly as synthesized, executed by
 * aws-local-stepfunctions: the compute_deadline Task runs the real handler
 * module, the lookup_case Task (the dynamodb:getItem SDK integration) runs
 * the real GetItem on moto. Only the transport is local.
 */
installPromiseWithResolvers();

type Handler = (event: unknown) => Promise<unknown>;

let moto: MotoServer;
let dynamodb: DynamoDBClient;
let definition: StateMachineDefinition;
let computeDeadline: Handler;
let tools: readonly ToolDeclaration[];
/** The tenant of every run below (the orchestrator sets `tenant` from the authenticated caller). */
const TENANT = 'agency';
/** The stored case record, keyed in its tenant's part of the table. */
const CASE_RECORD = { caseId: { S: referenceItemKey(TENANT, 'caseId', 'FOIA-4411') }, status: { S: 'open' }, receivedOn: { S: '2026-11-20' } };

beforeAll(async () => {
  // GIVEN the synthesized fast-tools workflow, moto with the reference table it names, and the real handler
  const [stage] = synthStatehouse({ targets: 'GovWest' }).stages;
  tools = declaredTools(stage);
  definition = machineNamed(synthesizedMachines(stage.runtime, stacksOf(stage)), '-tools-fast').definition;
  moto = await startMoto();
  dynamodb = motoDynamoDbClient(moto);
  const tableName = (definition.States['Run lookup_case'] as any).Parameters.TableName as string;
  await createReferenceTable(dynamodb, tableName);
  await dynamodb.send(new PutItemCommand({ TableName: tableName, Item: CASE_RECORD }));
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  ({ handler: computeDeadline } = await import('../../../lambda/tools/compute-deadline/index'));
});

afterAll(async () => {
  dynamodb?.destroy();
  await moto?.stop();
});

/** Run the synthesized definition; `computeDeadlineTask` replaces the real handler where a scenario needs a slow or crashing one. */
async function run(input: Partial<ToolRunInput>, computeDeadlineTask: Handler = computeDeadline): Promise<ToolRunOutput> {
  const machine = new StateMachine(definition);
  const execution = machine.run({ toolCallId: 'call-1', tenant: TENANT, session: 'sess-1', ...input } as any, {
    overrides: {
      taskResourceLocalHandlers: {
        'Run compute_deadline': asLambdaTask(computeDeadlineTask),
        'Run lookup_case': asSdkTask('DynamoDb', (parameters) => dynamodb.send(new GetItemCommand(parameters)) as any),
      },
    },
  });
  return (await execution.result) as unknown as ToolRunOutput;
}

describe('fast-tools workflow (Express), executed', () => {
  test('compute_deadline: the real handler\'s answer comes back as { ok: true, output }', async () => {
    // WHEN the model asks for 5 business days after the Friday before Thanksgiving
    const output = await run({ tool: 'compute_deadline', input: { startDate: '2026-11-20', businessDays: 5 } });
    // THEN the deadline skips the weekend and Thanksgiving Day
    expect(output).toEqual({
      ok: true,
      output: {
        startDate: '2026-11-20',
        businessDays: 5,
        deadline: '2026-11-30',
        holidaysSkipped: [{ date: '2026-11-26', name: 'Thanksgiving Day' }],
      },
    });
  });

  test('lookup_case: the GetItem integration reads the caller\'s tenant\'s record from the reference table', async () => {
    const output = await run({ tool: 'lookup_case', input: { caseId: 'FOIA-4411' } });
    expect(output).toEqual({ ok: true, output: { Item: CASE_RECORD } });
  });

  test('lookup_case of an unknown case: an empty output, not an error', async () => {
    expect(await run({ tool: 'lookup_case', input: { caseId: 'FOIA-9' } })).toEqual({ ok: true, output: {} });
  });

  test('a tool error (the handler throws Statehouse.ToolFailed) reaches the model as tool_failed with the handler\'s message', async () => {
    const output = await run({ tool: 'compute_deadline', input: { startDate: '2026-02-30', businessDays: 5 } });
    expect(output).toEqual({ ok: false, error: 'tool_failed', message: '"2026-02-30" is not a day of the calendar' });
  });

  test('a crash (any other error) reaches the model as tool_failed naming the error, never its text', async () => {
    const crash: Handler = async () => {
      throw new TypeError('secret internals: cannot read properties of undefined');
    };
    const output = await run({ tool: 'compute_deadline', input: { startDate: '2026-11-20', businessDays: 5 } }, crash);
    expect(output).toEqual({ ok: false, error: 'tool_failed', message: 'The tool compute_deadline failed (TypeError).' });
  });

  test('a handler slower than the tool\'s timeout ends as timeout (the synthesized TimeoutSeconds, enforced by the interpreter)', async () => {
    // GIVEN the real handler behind a delay just past the Task's own TimeoutSeconds (5 s for compute_deadline)
    const timeoutSeconds = (definition.States['Run compute_deadline'] as any).TimeoutSeconds as number;
    let finished: Promise<unknown> = Promise.resolve();
    const slow: Handler = (event) => (finished = sleep(timeoutSeconds * 1000 + 500).then(() => computeDeadline(event)));
    // WHEN it runs THEN the model gets a timeout, not a crash
    const output = await run({ tool: 'compute_deadline', input: { startDate: '2026-11-20', businessDays: 5 } }, slow);
    expect(output).toEqual({ ok: false, error: 'timeout', message: 'The tool compute_deadline did not finish within its time limit.' });
    await finished;
  });

  test('a tool that is not a fast tool of this target (unknown, or slow) is not_allowed', async () => {
    const notFast = ['delete_everything', ...slowTools(tools).map((tool) => tool.name)];
    expect(notFast.length).toBeGreaterThan(1);
    for (const tool of notFast) {
      expect(await run({ tool, input: {} })).toEqual({ ok: false, error: 'not_allowed', message: `The tool ${tool} does not run in this workflow.` });
    }
  });
});
