import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { StatehouseStage } from '../../../lib/stacks/statehouse-stage';
import type { ToolRunOutput } from '../../../lib/contract/workflow-contract';
import { motoDynamoDbClient, startMoto, type MotoServer } from '../../helpers/moto';
import { stacksOf, synthStatehouse } from '../../helpers/synth';
import { asSdkTask, installPromiseWithResolvers } from './local-interpreter';
import { createReferenceTable } from './reference-table';
import { LOOKUP_EMPLOYEE } from './support/lookup-employee';
import { machineNamed, synthesizedMachines } from './synthesized-workflows';

/**
 * A DynamoDB tool names its own key attribute: a fork declares
 * `lookup_employee` with `keyAttribute: 'employeeId'` next to the kit's
 * `lookup_case` (`caseId`). The target synthesizes, the reference table keeps
 * its one partition key, and the synthesized lookup reads the employee record.
 */
jest.mock('../../../lib/tools/catalog', () =>
  jest.requireActual('./support/lookup-employee').catalogWithLookupEmployee(jest.requireActual('../../../lib/tools/catalog')),
);
installPromiseWithResolvers();

let stage: StatehouseStage;
let definition: StateMachineDefinition;
let moto: MotoServer;
let dynamodb: DynamoDBClient;
let tableName: string;
let partitionKey: string;

beforeAll(async () => {
  // GIVEN the catalog with lookup_employee WHEN GovWest is synthesized with the default tools
  [stage] = synthStatehouse({ targets: 'GovWest' }).stages;
  definition = machineNamed(synthesizedMachines(stage.runtime, stacksOf(stage)), '-tools-fast').definition;
  const lookup = (definition.States['Run lookup_employee'] as any).Parameters;
  tableName = lookup.TableName;
  [partitionKey] = Object.keys(lookup.Key);
  moto = await startMoto();
  dynamodb = motoDynamoDbClient(moto);
  await createReferenceTable(dynamodb, tableName, partitionKey);
});

afterAll(async () => {
  dynamodb?.destroy();
  await moto?.stop();
});

async function run(tool: string, tenant: string, input: Record<string, string>): Promise<ToolRunOutput> {
  const execution = new StateMachine(definition).run({ tool, toolCallId: 'call-1', tenant, session: 'sess-1', input } as any, {
    overrides: {
      taskResourceLocalHandlers: {
        [`Run ${tool}`]: asSdkTask('DynamoDb', (parameters) => dynamodb.send(new GetItemCommand(parameters)) as any),
      },
    },
  });
  return (await execution.result) as unknown as ToolRunOutput;
}

describe('a DynamoDB tool with its own key attribute', () => {
  test('synthesizes: its Task keys the table\'s one partition key by tenant, its own attribute and the model\'s value', () => {
    expect(partitionKey).toBe('caseId');
    expect((definition.States['Run lookup_employee'] as any).Parameters.Key).toEqual({
      caseId: { 'S.$': "States.Format('T#{}#{}#{}', $.tenant, 'employeeId', $.input.employeeId)" },
    });
    // AND the model is offered it
    expect(stage.runtime.agent.toolDeclarations.map((tool) => tool.name)).toContain(LOOKUP_EMPLOYEE.name);
  });

  test('executed, it reads the employee record of the caller\'s tenant, and lookup_case still reads cases', async () => {
    // GIVEN an employee record and a case record of one tenant in the one table
    await dynamodb.send(new PutItemCommand({ TableName: tableName, Item: { [partitionKey]: { S: 'T#agency#employeeId#E-1001' }, name: { S: 'Dana Reyes' } } }));
    await dynamodb.send(new PutItemCommand({ TableName: tableName, Item: { [partitionKey]: { S: 'T#agency#caseId#FOIA-4411' }, status: { S: 'open' } } }));
    // WHEN the model asks for each THEN each tool reads its own record
    expect(await run('lookup_employee', 'agency', { employeeId: 'E-1001' })).toEqual({
      ok: true,
      output: { Item: { [partitionKey]: { S: 'T#agency#employeeId#E-1001' }, name: { S: 'Dana Reyes' } } },
    });
    expect(await run('lookup_case', 'agency', { caseId: 'FOIA-4411' })).toMatchObject({ ok: true, output: { Item: { status: { S: 'open' } } } });
    // AND another tenant reads neither
    expect(await run('lookup_employee', 'agency-b', { employeeId: 'E-1001' })).toEqual({ ok: true, output: {} });
  });
});
