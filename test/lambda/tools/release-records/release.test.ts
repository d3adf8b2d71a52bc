import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { referenceItemKey, RELEASE_RECORD_KIND, REFERENCE_TABLE_SCHEMA } from '../../../../lib/contract/reference-table';
import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import { recordRelease, releaseKey, type ReleaseInput } from '../../../../lambda/tools/release-records/release';
import type { ToolTaskPayload } from '../../../../lambda/tools/tool-task';
import { motoDynamoDbClient, startMoto, type MotoServer } from '../../../helpers/moto';
import { createReferenceTable } from '../../../lib/tool-workflow/reference-table';

/** release_records' own records: one per tool call, in the calling tenant's part of the reference table (moto). */
const TABLE = 'statehouse-test-reference';
const KEY = REFERENCE_TABLE_SCHEMA.partitionKey.name;
const INPUT: ReleaseInput = { caseId: 'FOIA-4411', recordIds: ['REC-1'], justification: 'The requester asked for their own file.' };

let moto: MotoServer;
let client: DynamoDBClient;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  moto = await startMoto();
  client = motoDynamoDbClient(moto);
  documents = DynamoDBDocumentClient.from(client);
  await createReferenceTable(client, TABLE);
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

const task = (tenant: string, input = INPUT): ToolTaskPayload<ReleaseInput> => ({ tenant, session: 'sess-1', toolCallId: 'call-1', input });
const deps = () => ({ client: documents, tableName: TABLE, keyAttribute: KEY, clock: systemClock });

test('the item key is the contract\'s: T#<tenant>#<field>#<value>, with RELEASE as the field of a release', () => {
  expect(referenceItemKey('agency-a', 'caseId', 'FOIA-4411')).toBe('T#agency-a#caseId#FOIA-4411');
  expect(releaseKey(task('agency-a'))).toBe(`T#agency-a#${RELEASE_RECORD_KIND}#sess-1#call-1`);
});

test('two tenants with the same session and tool-call ids record two releases; a retry answers with its own tenant\'s', async () => {
  // GIVEN tenant A's release WHEN tenant B's call has the same ids but another case
  const a = await recordRelease(deps(), task('agency-a'));
  const b = await recordRelease(deps(), task('agency-b', { ...INPUT, caseId: 'FOIA-9' }));
  // THEN both are stored, each under its tenant's key
  expect([a.releaseId, b.releaseId]).toEqual(['T#agency-a#RELEASE#sess-1#call-1', 'T#agency-b#RELEASE#sess-1#call-1']);
  const { Items = [] } = await client.send(new ScanCommand({ TableName: TABLE }));
  expect(Items.map((item) => [item[KEY].S, item.tenant.S]).sort()).toEqual([
    ['T#agency-a#RELEASE#sess-1#call-1', 'agency-a'],
    ['T#agency-b#RELEASE#sess-1#call-1', 'agency-b'],
  ]);
  // AND a retry of A's call finds A's release, not B's
  expect(await recordRelease(deps(), task('agency-a'))).toEqual(a);
});
