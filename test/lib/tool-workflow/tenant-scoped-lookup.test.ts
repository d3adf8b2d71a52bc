import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ToolRunOutput } from '../../../lib/contract/workflow-contract';
import { motoDynamoDbClient, startMoto, type MotoServer } from '../../helpers/moto';
import { stacksOf, synthStatehouse } from '../../helpers/synth';
import { asSdkTask, installPromiseWithResolvers } from './local-interpreter';
import { createReferenceTable } from './reference-table';
import { machineNamed, synthesizedMachines } from './synthesized-workflows';

/**
 * Tenant isolation of the reference-table lookup (AC-3, AC-4). The
 * `lookup_case` Task of GovWest's Express workflow, exactly as synthesized,
 * runs its GetItem on moto against a table that holds two tenants' records.
 * The model chooses only the case id; the tenant is the workflow input's
 * `tenant`, which the orchestrator sets from the authenticated caller.
 *
 * The keys are written out here (`T#<tenant>#caseId#<case id>`, the format of
 * lib/contract/reference-table.ts) so that this test reads the same against
 * any version of the workflow: before the key was tenant-scoped, the lookup
 * read whatever item had the model's case id as its key, whoever owned it.
 */
installPromiseWithResolvers();

let moto: MotoServer;
let dynamodb: DynamoDBClient;
let definition: StateMachineDefinition;

const RECORD_OF_A = { status: { S: 'open' }, owner: { S: 'agency-a' } };
const RECORD_OF_B = { status: { S: 'sealed' }, owner: { S: 'agency-b' }, note: { S: 'litigation hold' } };

beforeAll(async () => {
  // GIVEN the synthesized fast workflow and its reference table on moto
  const [stage] = synthStatehouse({ targets: 'GovWest' }).stages;
  definition = machineNamed(synthesizedMachines(stage.runtime, stacksOf(stage)), '-tools-fast').definition;
  const lookup = (definition.States['Run lookup_case'] as any).Parameters;
  const tableName = lookup.TableName as string;
  const [keyName] = Object.keys(lookup.Key);
  moto = await startMoto();
  dynamodb = motoDynamoDbClient(moto);
  await createReferenceTable(dynamodb, tableName);
  // AND tenant A's case FOIA-1001 and tenant B's case FOIA-2002, each under its tenant's key
  const put = (key: string, record: Record<string, { S: string }>) => dynamodb.send(new PutItemCommand({ TableName: tableName, Item: { [keyName]: { S: key }, ...record } }));
  await put('T#agency-a#caseId#FOIA-1001', RECORD_OF_A);
  await put('T#agency-b#caseId#FOIA-2002', RECORD_OF_B);
  // AND a copy of B's record under its bare case id, as an item not yet re-keyed would be
  await put('FOIA-2002', RECORD_OF_B);
});

afterAll(async () => {
  dynamodb?.destroy();
  await moto?.stop();
});

async function lookUp(tenant: string, caseId: string): Promise<ToolRunOutput> {
  const execution = new StateMachine(definition).run({ tool: 'lookup_case', toolCallId: 'call-1', tenant, session: 'sess-1', input: { caseId } } as any, {
    overrides: {
      taskResourceLocalHandlers: {
        'Run lookup_case': asSdkTask('DynamoDb', (parameters) => dynamodb.send(new GetItemCommand(parameters)) as any),
      },
    },
  });
  return (await execution.result) as unknown as ToolRunOutput;
}

const itemOf = (output: ToolRunOutput) => (output.ok ? ((output.output as any).Item as Record<string, { S: string }> | undefined) : undefined);

describe('lookup_case reads the calling tenant\'s records only', () => {
  test('tenant A reads its own case', async () => {
    const output = await lookUp('agency-a', 'FOIA-1001');
    expect(itemOf(output)).toMatchObject(RECORD_OF_A);
  });

  test('tenant A asking for tenant B\'s case id gets nothing, not B\'s record', async () => {
    // WHEN the model, in a turn of tenant A, asks for B's case
    const output = await lookUp('agency-a', 'FOIA-2002');
    // THEN the lookup answers as for an unknown case
    expect(output).toEqual({ ok: true, output: {} });
  });

  test('tenant B reads its case under its own key (never an unscoped item)', async () => {
    const item = itemOf(await lookUp('agency-b', 'FOIA-2002'));
    expect(item).toMatchObject(RECORD_OF_B);
    expect(Object.values(item!).map((value) => value.S)).toContain('T#agency-b#caseId#FOIA-2002');
  });

  test('a case id shaped like another tenant\'s key stays inside the caller\'s tenant', async () => {
    expect(await lookUp('agency-a', 'agency-b#caseId#FOIA-2002')).toEqual({ ok: true, output: {} });
  });
});
