import * as fs from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readValidationReport } from '../../../../lib/compliance/validation-report';
import { ENV } from '../../../../lib/contract/env-names';
import { MEMORY_DEFAULTS } from '../../../../lib/contract/memory-table';
import { loadAssembly } from '../../../../lib/report/load-assembly';
import { TargetResolver } from '../../../../lib/report/resolve';
import { dataPaths } from '../../../../lib/report/sections/data-paths';
import { dataStoreEvidence } from '../../../../lib/report/sections/data-stores';
import { PARTITIONS, TITAN_TEXT_EMBEDDINGS_V2 } from '../../../../lib/residency/region-facts';
import { cfnLint, cfnLintAvailable, cfnLintOptedOut } from '../../../helpers/cfn-lint';
import { arnOf, simulate, type PolicyDocument } from '../../../helpers/iam-simulate';
import { readTemplate, stacksOf, synthStatehouse, templatePath, type Synthesized } from '../../../helpers/synth';

/**
 * Memory on, synthesized for a commercial and a GovCloud target: the memory
 * table in State, the extractor on the session stream, the routes, and
 * grants that say exactly what each function may do, under cdk-nag and cfn-lint.
 */

const ACCOUNT = '111122223333';
const TARGETS = ['Commercial', 'GovWest'] as const;
const ASSISTANT = { description: 'An assistant.', instructions: 'You assist agency staff.', memory: {} };
const RECORDS = { description: 'Searches records.', instructions: 'You search case records.', memory: { scope: 'agent', recallTokens: 400 } };
const overrides = {
  targets: Object.fromEntries(
    TARGETS.map((name) => [name, { account: ACCOUNT, agents: { assistant: ASSISTANT, 'records-search': RECORDS }, memory: { retentionDays: { episode: 30 } } }]),
  ),
};

let synth: Synthesized;
beforeAll(() => {
  synth = synthStatehouse({ targets: TARGETS.join(','), overrides });
});

const stageOf = (name: string) => synth.stages.find((s) => s.stageName === name)!;
const functionsOf = (template: Record<string, any>) =>
  Object.entries(template.Resources as Record<string, any>).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
function functionOf(template: Record<string, any>, service: string): [string, Record<string, any>] {
  return functionsOf(template).find(([, r]) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service)!;
}
/** Every statement of the policies on a function's role. */
function statementsOf(template: Record<string, any>, service: string): Array<Record<string, any>> {
  const [, fn] = functionOf(template, service);
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.Resources as Record<string, any>)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: any) => role.Ref === roleId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement);
}
const actionsOf = (statements: Array<Record<string, any>>) => statements.flatMap((s) => [s.Action].flat() as string[]);
/** Statements on the memory table (its ARN is imported from State: the export names the table's logical id). */
const onMemoryTable = (statements: Array<Record<string, any>>) => statements.filter((s) => JSON.stringify(s.Resource).includes('Memory27AF0880'));

describe.each(TARGETS)('memory on, target %s', (name) => {
  test('cdk-nag (AwsSolutions, NIST 800-53 R5) and the residency guard report nothing unacknowledged; cfn-lint no error', () => {
    const { errors } = readValidationReport(synth.assembly.directory);
    expect(errors.filter((e) => e.paths.some((p) => p.startsWith(`${name}/`)))).toEqual([]);
    if (cfnLintAvailable()) {
      expect(cfnLint(stacksOf(stageOf(name)).map(templatePath), stageOf(name).foundation.region).filter((f) => f.Level === 'Error')).toEqual([]);
    } else if (!cfnLintOptedOut()) {
      throw new Error('cfn-lint is not on PATH. Install it (pip install cfn-lint) or set STATEHOUSE_SKIP_CFN_LINT=1 outside CI.');
    }
  });

  test('the memory table: key schema from the contract, the data key, PITR, TTL on expiresAt, deletion protection, RETAIN, in the backup plan', () => {
    const state = Template.fromStack(stageOf(name).state);
    state.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: `statehouse-${name.toLowerCase()}-data-memory`,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('KeysData') } },
      },
    });
    expect(JSON.stringify(state.findResources('AWS::Backup::BackupSelection'))).toContain('Memory');
  });

  test('the extractor reads the session stream with the summarizer\'s filter, reports batch item failures, dead-letters under the data key', () => {
    const template = readTemplate(stageOf(name).runtime);
    const [extractorId, extractor] = functionOf(template, 'memory-extractor');
    const vars = extractor.Properties.Environment.Variables;
    expect(JSON.parse(vars[ENV.MEMORY_AGENTS])).toEqual({ assistant: { scope: 'actor', recallTokens: 800 }, 'records-search': { scope: 'agent', recallTokens: 400 } });
    expect(JSON.parse(vars[ENV.MEMORY_SETTINGS])).toEqual({ ...MEMORY_DEFAULTS, retentionDays: { ...MEMORY_DEFAULTS.retentionDays, episode: 30 } });
    expect(vars[ENV.MEMORY_MODEL]).toBeDefined();
    expect(vars[ENV.MEMORY_TABLE]).toBeDefined();
    expect(vars[ENV.SESSION_TABLE]).toBeDefined();
    const mappings = Object.values(template.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    const mine = mappings.find((m) => m.Properties.FunctionName.Ref === extractorId)!;
    const summarizer = mappings.find((m) => m.Properties.FunctionName.Ref === functionOf(template, 'summarizer')[0])!;
    expect(mine.Properties.FilterCriteria).toEqual(summarizer.Properties.FilterCriteria);
    expect(mine.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mine.Properties.DestinationConfig.OnFailure.Destination).toBeDefined();
    // The two readers the stream allows per shard: no third consumer.
    expect(mappings).toHaveLength(2);
  });

  test('least privilege: the extractor may write records (PutItem, UpdateItem in its transaction); the turn functions only outside a transaction', () => {
    const template = readTemplate(stageOf(name).runtime);
    const extractor = onMemoryTable(statementsOf(template, 'memory-extractor'));
    expect(actionsOf(extractor).sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(extractor.every((s) => s.Condition === undefined)).toBe(true);
    const orchestrator = onMemoryTable(statementsOf(template, 'orchestrator'));
    const writes = orchestrator.filter((s) => actionsOf([s]).some((a) => a !== 'dynamodb:Query' && a !== 'dynamodb:GetItem'));
    expect(actionsOf(writes).sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(writes.map((s) => s.Condition)).toEqual([{ Null: { 'dynamodb:EnclosingOperation': 'true' } }]);
    // The extractor reads sessions, never writes them.
    const sessionWrites = statementsOf(template, 'memory-extractor').filter((s) => JSON.stringify(s.Resource).includes('Sessions') && actionsOf([s]).some((a) => /Put|Update|Delete|BatchWrite/.test(a)));
    expect(sessionWrites).toEqual([]);
  });

  test('every turn function (orchestrator, rounds) has the memory table, settings and export roles; the routes exist on the API', () => {
    const template = readTemplate(stageOf(name).runtime);
    for (const service of ['orchestrator', 'agent-loop']) {
      const vars = functionOf(template, service)[1].Properties.Environment.Variables;
      expect(Object.keys(vars)).toEqual(expect.arrayContaining([ENV.MEMORY_TABLE, ENV.MEMORY_SETTINGS, ENV.MEMORY_EXPORT_ROLES]));
    }
    const api = Template.fromStack(stageOf(name).runtime);
    const resources = api.findResources('AWS::ApiGateway::Resource');
    const memory = Object.entries(resources).find(([, r]) => r.Properties.PathPart === 'memory')!;
    const byId = Object.entries(resources).find(([, r]) => r.Properties.PathPart === '{memoryId}')!;
    expect(byId[1].Properties.ParentId).toEqual({ Ref: memory[0] });
    const methods = Object.values(api.findResources('AWS::ApiGateway::Method'));
    const on = (id: string) => methods.filter((m) => m.Properties.ResourceId.Ref === id).map((m) => [m.Properties.HttpMethod, m.Properties.AuthorizationType]);
    expect(on(memory[0]).sort()).toEqual([['DELETE', 'AWS_IAM'], ['GET', 'AWS_IAM']]);
    expect(on(byId[0])).toEqual([['DELETE', 'AWS_IAM']]);
  });

  test('the operations alarms watch the extractor\'s errors and its dead-letter queue', () => {
    const alarms = Object.values(Template.fromStack(stageOf(name).runtime).findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);
    const prefix = `statehouse-${name.toLowerCase()}`;
    expect(alarms).toEqual(expect.arrayContaining([`${prefix}-memory-extractor-errors`, `${prefix}-dead-letters-memory-extractor`, `${prefix}-memory-throttles`]));
  });
});

test('Commercial ranks with the region\'s embedding model: the functions may invoke exactly that model, nothing else of Bedrock embeddings', async () => {
  const template = readTemplate(stageOf('Commercial').runtime);
  for (const service of ['orchestrator', 'memory-extractor']) {
    expect(functionOf(template, service)[1].Properties.Environment.Variables[ENV.EMBEDDING_MODEL]).toBe(TITAN_TEXT_EMBEDDINGS_V2);
    const embedding = statementsOf(template, service).filter((s) => JSON.stringify(s.Resource).includes('titan-embed'));
    expect(embedding).toHaveLength(1);
    expect(embedding[0].Action).toBe('bedrock:InvokeModel');
    const identity: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ ...embedding[0], Resource: `arn:${PARTITIONS.aws.id}:bedrock:us-east-1::foundation-model/${TITAN_TEXT_EMBEDDINGS_V2}` }],
    };
    const role = arnOf({ partition: 'aws', service: 'iam', account: ACCOUNT, resource: 'role/x' });
    const invoke = (modelId: string) =>
      simulate({ principal: role, action: 'bedrock:InvokeModel', resource: arnOf({ partition: 'aws', service: 'bedrock', region: 'us-east-1', resource: `foundation-model/${modelId}` }), resourceAccount: ACCOUNT }, { identity: [identity] });
    expect((await invoke(TITAN_TEXT_EMBEDDINGS_V2)).decision).toBe('Allowed');
    expect((await invoke('amazon.titan-embed-text-v1')).decision).not.toBe('Allowed');
  }
});

test('the turn functions\' memory writes are refused inside a transaction, the extractor\'s allowed (IAM policy simulator)', async () => {
  const template = readTemplate(stageOf('GovWest').runtime);
  const table = arnOf({ partition: 'aws-us-gov', service: 'dynamodb', region: 'us-gov-west-1', account: ACCOUNT, resource: 'table/statehouse-govwest-data-memory' });
  const role = arnOf({ partition: 'aws-us-gov', service: 'iam', account: ACCOUNT, resource: 'role/x' });
  const identity = (service: string): PolicyDocument => ({
    Version: '2012-10-17',
    Statement: onMemoryTable(statementsOf(template, service)).map((s) => ({ ...s, Resource: table })),
  });
  const put = (service: string, context?: Record<string, string>) => simulate({ principal: role, action: 'dynamodb:PutItem', resource: table, context }, { identity: [identity(service)] });
  const inTransaction = { 'dynamodb:EnclosingOperation': 'TransactWriteItems' };
  expect((await put('orchestrator')).decision).toBe('Allowed');
  expect((await put('orchestrator', inTransaction)).decision).not.toBe('Allowed');
  expect((await put('memory-extractor', inTransaction)).decision).toBe('Allowed');
});

test('GovWest has no embedding model (unverified there): lexical ranking, no embedding grant; no commercial partition in its templates', () => {
  const stage = stageOf('GovWest');
  const template = readTemplate(stage.runtime);
  for (const [, fn] of functionsOf(template)) expect(fn.Properties.Environment?.Variables?.[ENV.EMBEDDING_MODEL]).toBeUndefined();
  expect(JSON.stringify(template)).not.toContain('titan-embed');
  for (const stack of stacksOf(stage)) expect(fs.readFileSync(templatePath(stack), 'utf8')).not.toContain(PARTITIONS.aws.arnPrefix);
});

test('the evidence report lists the memory store with its key, region, retention per kind and every function that reads or writes it; the data paths show them', () => {
  const target = loadAssembly(synth.assembly.directory).targets.find((t) => t.name === 'GovWest')!;
  const resolver = new TargetResolver(target);
  const store = dataStoreEvidence(resolver).stores.find((s) => s.name === 'statehouse-govwest-data-memory')!;
  expect(store.region).toBe('us-gov-west-1');
  expect(store.encryption.key?.alias).toBe('alias/statehouse-govwest-data');
  expect(store.retention).toBe(
    'records expire by kind (TTL on `expiresAt`): fact 365 days, preference 730 days, episode 30 days after they are written; forget and export log entries after 2555 days; at most 200 records per person (the oldest evicted first)',
  );
  expect(store.notes).toEqual(
    expect.arrayContaining(['read/write by Lambda function Agent/MemoryExtractor', 'read/write by Lambda function Agent/Orchestrator', 'read/write by Lambda function Agent/Rounds']),
  );
  const { paths } = dataPaths(resolver);
  const toMemory = paths.filter((p) => p.to.includes('Memory27AF0880')).map((p) => `${p.from.split('/').pop()} ${p.label}`).sort();
  expect(toMemory).toEqual([expect.stringMatching(/MemoryExtractor.* read\/write$/), expect.stringMatching(/Orchestrator.* read\/write$/), expect.stringMatching(/Rounds.* read\/write$/)]);
});
