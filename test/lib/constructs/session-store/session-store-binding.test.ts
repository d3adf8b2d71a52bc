import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ENV } from '../../../../lib/contract/env-names';
import { SessionAccess, SessionStore, type ISessionStore } from '../../../../lib/constructs/session-store/session-store';
import { GOV_WEST, listOf, roleStatements, targetStack, testFoundation } from '../construct-test-stacks';

/**
 * SessionStore's L2 shape: `bind(fn, access)` sets the variables and the
 * grant of exactly that access together; an imported store binds the same
 * way; overrides merge defaults → yours → what the store requires.
 */

function functionIn(stack: import('aws-cdk-lib').Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}') });
}

function actionsOf(template: Template, fnId: string): string[] {
  const role = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith(fnId))![0];
  return roleStatements(template, role).flatMap((s) => listOf(s.Action)).sort();
}

describe('SessionStore.bind', () => {
  test.each<[SessionAccess, string[], string[]]>([
    [SessionAccess.READ_WRITE, [ENV.SESSION_TABLE, ENV.PAYLOAD_BUCKET, ENV.PAYLOAD_KEY], ['dynamodb:PutItem', 's3:PutObject', 'kms:GenerateDataKey']],
    [SessionAccess.READ, [ENV.SESSION_TABLE, ENV.PAYLOAD_BUCKET, ENV.PAYLOAD_KEY], ['dynamodb:Query', 's3:GetObject', 'kms:Decrypt']],
    [SessionAccess.UPDATE_HEADERS, [ENV.SESSION_TABLE], ['dynamodb:UpdateItem']],
  ])('%s sets exactly its variables and its grant', (access, variables, mustHave) => {
    // GIVEN a store and a function WHEN the function is bound with `access`
    const { stack } = targetStack(GOV_WEST);
    const foundation = testFoundation(stack);
    const store = new SessionStore(stack, 'Sessions', { namePrefix: 'p-data', dataKey: foundation.dataKey, s3Endpoint: foundation.s3Endpoint, accessLogsBucket: foundation.accessLogs });
    store.bind(functionIn(stack, 'Fn'), access);
    const template = Template.fromStack(stack);
    // THEN the variables are the store's, and the grant is the access's, nothing more
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual([...variables].sort());
    const actions = actionsOf(template, 'Fn');
    for (const action of mustHave) expect(actions).toContain(action);
    if (access === SessionAccess.UPDATE_HEADERS) expect(actions.filter((a) => a.startsWith('dynamodb:') || a.startsWith('s3:'))).toEqual(['dynamodb:UpdateItem']);
    if (access === SessionAccess.READ) expect(actions.filter((a) => /Put|Delete|Update|Write/.test(a))).toEqual([]);
  });

  test('an imported store binds and grants the same way, by name, without the resources', () => {
    // GIVEN a store deployed elsewhere
    const { stack } = targetStack(GOV_WEST);
    const dataKey = kms.Key.fromKeyArn(stack, 'Key', `arn:aws-us-gov:kms:${GOV_WEST}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
    const store: ISessionStore = SessionStore.fromSessionStoreAttributes(stack, 'Sessions', { tableName: 'agency-sessions', payloadBucketName: 'agency-payloads', dataKey });
    // WHEN a function is bound read-write
    store.bind(functionIn(stack, 'Fn'), SessionAccess.READ_WRITE);
    const template = Template.fromStack(stack);
    // THEN no table or bucket is created, and the grant names the imported ones
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [ENV.SESSION_TABLE]: 'agency-sessions', [ENV.PAYLOAD_BUCKET]: 'agency-payloads' } },
    });
    const resources = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(resources).toContain(':table/agency-sessions');
    expect(resources).toContain('agency-payloads/*');
    expect(resources).toContain('1234abcd-12ab-34cd-56ef-1234567890ab');
  });
});

describe('SessionStore overrides', () => {
  test('table and bucket overrides merge over the defaults; the key schema, key, stream and TLS-only rule are the store\'s', () => {
    // GIVEN overrides that try to change what the store requires, and some that it allows
    const { stack } = targetStack(GOV_WEST);
    const foundation = testFoundation(stack);
    const otherKey = new kms.Key(stack, 'OtherKey', { enableKeyRotation: true });
    new SessionStore(stack, 'Sessions', {
      namePrefix: 'p-data',
      dataKey: foundation.dataKey,
      s3Endpoint: foundation.s3Endpoint,
      accessLogsBucket: foundation.accessLogs,
      tableProps: {
        contributorInsightsSpecification: { enabled: true },
        partitionKey: { name: 'id', type: dynamodb.AttributeType.NUMBER },
        encryptionKey: otherKey,
        stream: dynamodb.StreamViewType.KEYS_ONLY,
      },
      payloadBucketProps: { lifecycleRules: [{ expiration: Duration.days(30) }], enforceSSL: false, removalPolicy: RemovalPolicy.RETAIN },
    });
    const template = Template.fromStack(stack);
    // THEN the allowed ones apply
    template.hasResourceProperties('AWS::DynamoDB::Table', { ContributorInsightsSpecification: { Enabled: true } });
    template.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] } });
    // AND the required ones win
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [stack.getLogicalId(foundation.dataKey.node.defaultChild as kms.CfnKey), 'Arn'] } },
    });
    const payloadPolicy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p.Properties.Bucket).includes('SessionsPayloads'))!;
    expect(payloadPolicy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });
});
