import { ENV } from '../../contract/env-names';
import { MEMORY_KINDS, type MemorySettings } from '../../contract/memory-table';
import type { CfnValue } from '../cfn-types';
import type { AccessPolicy, AuditTrailEvidence, DataStore, DataStoreEvidence, Encryption, KeyEvidence } from '../evidence-types';
import { statementSentence, statementsOf, statementText } from '../policy-text';
import { asList, isObject, TargetResolver, type ResourceHandle } from '../resolve';
import { accessWords } from './data-paths';
import { endpointLabel } from './network';
import { located } from './summary';

/**
 * Section 2: every place data rests. For each store: where it is, under which
 * key (resolved across stacks to the key's alias and description), who may
 * reach it (TLS-only, VPC-endpoint-only policies), how it is recovered, how
 * long it keeps data and what happens on stack deletion.
 */

/** Data-store types and the words an auditor knows them by. */
export const DATA_STORE_KINDS: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'DynamoDB table',
  'AWS::DynamoDB::GlobalTable': 'DynamoDB global table',
  'AWS::S3::Bucket': 'S3 bucket',
  'AWS::Logs::LogGroup': 'CloudWatch log group',
  'AWS::SQS::Queue': 'SQS queue',
  'AWS::SNS::Topic': 'SNS topic',
  'AWS::Backup::BackupVault': 'Backup vault',
  'AWS::StepFunctions::StateMachine': 'Step Functions state machine (execution data)',
  'AWS::SageMaker::EndpointConfig': 'SageMaker endpoint config (volumes, data capture)',
};

const SQS_DEFAULT_RETENTION_SECONDS = 345_600;
const DAY_SECONDS = 86_400;
/** DynamoDB's recovery window when RecoveryPeriodInDays is not set. */
const DYNAMODB_DEFAULT_PITR_DAYS = 35;

function kmsEncryption(resolver: TargetResolver, handle: ResourceHandle, keyExpr: CfnValue, fallback: string): Encryption {
  if (keyExpr === undefined) return { atRest: fallback };
  const key = resolver.describeKey(handle.stack, keyExpr);
  const managed = key.logicalId !== undefined ? 'customer-managed key' : key.alias?.startsWith('alias/aws/') ? 'AWS managed key' : 'key outside this target';
  return { atRest: `KMS (${managed})`, key };
}

function encryptionOf(resolver: TargetResolver, handle: ResourceHandle): Encryption {
  const p = handle.resource.Properties ?? {};
  switch (handle.resource.Type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable': {
      const sse = p.SSESpecification ?? {};
      if (sse.SSEEnabled !== true) return { atRest: 'AWS owned key (DynamoDB default)' };
      return kmsEncryption(resolver, handle, sse.KMSMasterKeyId, 'KMS (AWS managed key aws/dynamodb)');
    }
    case 'AWS::S3::Bucket': {
      const rule = asList(p.BucketEncryption?.ServerSideEncryptionConfiguration)[0] as Record<string, any> | undefined;
      const byDefault = rule?.ServerSideEncryptionByDefault;
      if (!byDefault) return { atRest: 'SSE-S3 (S3 default for new objects)' };
      if (String(byDefault.SSEAlgorithm).startsWith('aws:kms')) {
        return kmsEncryption(resolver, handle, byDefault.KMSMasterKeyID, 'KMS (AWS managed key aws/s3)');
      }
      return { atRest: `SSE-S3 (${byDefault.SSEAlgorithm})` };
    }
    case 'AWS::Logs::LogGroup':
      return kmsEncryption(resolver, handle, p.KmsKeyId, 'CloudWatch Logs service encryption (no customer key)');
    case 'AWS::SQS::Queue':
      return kmsEncryption(resolver, handle, p.KmsMasterKeyId, p.SqsManagedSseEnabled === false ? 'none' : 'SSE-SQS (service-owned key)');
    case 'AWS::SNS::Topic':
      return kmsEncryption(resolver, handle, p.KmsMasterKeyId, 'none');
    case 'AWS::Backup::BackupVault':
      return kmsEncryption(resolver, handle, p.EncryptionKeyArn, 'AWS Backup default key');
    case 'AWS::StepFunctions::StateMachine':
      return p.EncryptionConfiguration?.Type === 'CUSTOMER_MANAGED_KMS_KEY'
        ? kmsEncryption(resolver, handle, p.EncryptionConfiguration.KmsKeyId, 'AWS owned key')
        : { atRest: 'AWS owned key (Step Functions default)' };
    case 'AWS::SageMaker::EndpointConfig':
      return kmsEncryption(resolver, handle, p.KmsKeyId, 'SageMaker default (AWS managed) volume key');
    default:
      return { atRest: 'unknown' };
  }
}

/** The resource policy that governs a store: a separate policy resource or a property. */
function resourcePolicyDocuments(resolver: TargetResolver, handle: ResourceHandle): Array<{ stackHandle: ResourceHandle; doc: CfnValue }> {
  const p = handle.resource.Properties ?? {};
  const own: Array<{ stackHandle: ResourceHandle; doc: CfnValue }> = [];
  if (p.ResourcePolicy?.PolicyDocument) own.push({ stackHandle: handle, doc: p.ResourcePolicy.PolicyDocument });
  if (p.AccessPolicy) own.push({ stackHandle: handle, doc: p.AccessPolicy });
  const policyTypes: Record<string, [string, string]> = {
    'AWS::S3::Bucket': ['AWS::S3::BucketPolicy', 'Bucket'],
    'AWS::SQS::Queue': ['AWS::SQS::QueuePolicy', 'Queues'],
    'AWS::SNS::Topic': ['AWS::SNS::TopicPolicy', 'Topics'],
  };
  const [policyType, targetProp] = policyTypes[handle.resource.Type] ?? [];
  if (policyType) {
    for (const policy of resolver.resources(policyType)) {
      const targets = asList(policy.resource.Properties?.[targetProp]).map((t) => resolver.follow(policy.stack, t));
      if (targets.some((t) => TargetResolver.same(t, handle))) {
        own.push({ stackHandle: policy, doc: policy.resource.Properties?.PolicyDocument });
      }
    }
  }
  return own;
}

function isFalse(v: unknown): boolean {
  return v === false || (typeof v === 'string' && v.toLowerCase() === 'false');
}

function accessOf(resolver: TargetResolver, handle: ResourceHandle): AccessPolicy {
  let tlsOnly = false;
  let vpcEndpointOnly: AccessPolicy['vpcEndpointOnly'];
  const statements: string[] = [];
  for (const { stackHandle, doc } of resourcePolicyDocuments(resolver, handle)) {
    for (const s of statementsOf(doc)) {
      statements.push(statementSentence(statementText(resolver, stackHandle.stack, s)));
      if (s.Effect !== 'Deny') continue;
      for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
        for (const [key, value] of Object.entries(keys ?? {})) {
          const k = key.toLowerCase();
          if (k === 'aws:securetransport' && operator === 'Bool' && isFalse(value)) tlsOnly = true;
          if (k === 'aws:sourcevpce' && operator.startsWith('StringNotEquals')) {
            const endpoints = asList(value).map((v) => {
              const endpoint = resolver.follow(stackHandle.stack, v);
              return endpoint ? endpointLabel(resolver, endpoint) : resolver.render(stackHandle.stack, v);
            });
            vpcEndpointOnly = { endpoint: endpoints.join(', '), actions: asList(s.Action).map((a) => resolver.render(stackHandle.stack, a)) };
          }
        }
      }
    }
  }
  const block = handle.resource.Properties?.PublicAccessBlockConfiguration;
  const publicAccessBlocked =
    handle.resource.Type === 'AWS::S3::Bucket'
      ? !!block && ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'].every((f) => block[f] === true)
      : undefined;
  return { tlsOnly, vpcEndpointOnly, publicAccessBlocked, statements };
}

/** Backup plans that select a resource or target a vault. */
function backupRules(resolver: TargetResolver, handle: ResourceHandle, by: 'selection' | 'vault'): string[] {
  const out: string[] = [];
  for (const plan of resolver.resources('AWS::Backup::BackupPlan')) {
    const rules = asList(plan.resource.Properties?.BackupPlan?.BackupPlanRule) as Array<Record<string, any>>;
    const selected =
      by === 'selection' &&
      resolver.resources('AWS::Backup::BackupSelection').some(
        (sel) =>
          TargetResolver.same(resolver.follow(sel.stack, sel.resource.Properties?.BackupPlanId), plan) &&
          asList(sel.resource.Properties?.BackupSelection?.Resources).some((r) => TargetResolver.same(resolver.follow(sel.stack, r), handle)),
      );
    for (const rule of rules) {
      const vault = resolver.follow(plan.stack, rule.TargetBackupVault);
      const toThisVault = TargetResolver.same(vault, handle);
      if (by === 'vault' ? !toThisVault : !selected) continue;
      const keep = rule.Lifecycle?.DeleteAfterDays !== undefined ? `, kept ${rule.Lifecycle.DeleteAfterDays} days` : ', kept until deleted';
      const where = by === 'selection' && vault ? ` into ${resolver.label(vault)}` : '';
      out.push(`AWS Backup rule ${rule.RuleName ?? ''} ${rule.ScheduleExpression ?? ''}${keep}${where}`.replace(/\s+/g, ' ').trim());
    }
  }
  return out;
}

function days(n: number): string {
  return `${n} day${n === 1 ? '' : 's'}`;
}

function lifecycleText(p: Record<string, any>): string {
  const rules = asList(p.LifecycleConfiguration?.Rules) as Array<Record<string, any>>;
  const parts = rules
    .filter((r) => r.Status !== 'Disabled')
    .map((r) =>
      [
        r.Prefix ? `prefix ${r.Prefix}:` : '',
        r.ExpirationInDays !== undefined ? `objects expire after ${days(r.ExpirationInDays)}` : '',
        r.NoncurrentVersionExpiration?.NoncurrentDays !== undefined ? `old versions after ${days(r.NoncurrentVersionExpiration.NoncurrentDays)}` : '',
        r.AbortIncompleteMultipartUpload ? `incomplete uploads after ${days(r.AbortIncompleteMultipartUpload.DaysAfterInitiation)}` : '',
      ]
        .filter(Boolean)
        .join(', '),
    )
    .filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'no lifecycle expiry: kept until deleted';
}

/** The topic's subscriptions (AWS::SNS::Subscription and the topic's inline `Subscription`). */
function subscriptionsOf(resolver: TargetResolver, topic: ResourceHandle): Array<{ protocol: string; endpoint: string }> {
  const inline = asList(topic.resource.Properties?.Subscription) as Array<Record<string, any>>;
  const separate = resolver
    .resources('AWS::SNS::Subscription')
    .filter((sub) => TargetResolver.same(resolver.follow(sub.stack, sub.resource.Properties?.TopicArn), topic))
    .map((sub) => ({ stack: sub.stack, p: sub.resource.Properties ?? {} }));
  return [
    ...inline.map((p) => ({ stack: topic.stack, p })),
    ...separate,
  ].map(({ stack, p }) => ({ protocol: resolver.render(stack, p.Protocol), endpoint: resolver.render(stack, p.Endpoint) }));
}

/** Functions and state machines whose roles may publish to the topic. */
function publishersOf(resolver: TargetResolver, topic: ResourceHandle): string[] {
  const roles = resolver
    .resources('AWS::IAM::Policy')
    .filter((policy) =>
      statementsOf(policy.resource.Properties?.PolicyDocument).some(
        (st) =>
          (st.Effect ?? 'Allow') === 'Allow' &&
          asList(st.Action).some((a) => a === 'sns:Publish' || a === 'sns:*') &&
          asList(st.Resource).some((r) => TargetResolver.same(resolver.follow(policy.stack, r), topic)),
      ),
    )
    .flatMap((policy) => asList(policy.resource.Properties?.Roles).map((r) => resolver.follow(policy.stack, r)))
    .filter((r): r is ResourceHandle => !!r);
  const users = roles.flatMap((role) => resolver.referrers(role).filter((u) => u.resource.Type === 'AWS::Lambda::Function' || u.resource.Type === 'AWS::StepFunctions::StateMachine'));
  return [...new Set(users.map((u) => resolver.label(u)))];
}

/**
 * Who may read or write a table: each function and state machine whose role
 * has an Allow on it (the table, its indexes or its stream), with what.
 */
function tableAccessors(resolver: TargetResolver, table: ResourceHandle): string[] {
  const actionsByRole = new Map<string, { role: ResourceHandle; actions: string[] }>();
  for (const policy of resolver.resources('AWS::IAM::Policy')) {
    for (const st of statementsOf(policy.resource.Properties?.PolicyDocument)) {
      if ((st.Effect ?? 'Allow') !== 'Allow') continue;
      if (!asList(st.Resource).some((r) => TargetResolver.same(resolver.followOrFind(policy.stack, r), table))) continue;
      const actions = asList(st.Action).map((a) => resolver.render(policy.stack, a));
      for (const roleExpr of asList(policy.resource.Properties?.Roles)) {
        const role = resolver.follow(policy.stack, roleExpr);
        if (!role) continue;
        const key = `${role.stack.artifactId}/${role.logicalId}`;
        const entry = actionsByRole.get(key) ?? { role, actions: [] };
        entry.actions.push(...actions);
        actionsByRole.set(key, entry);
      }
    }
  }
  const lines = [...actionsByRole.values()].flatMap(({ role, actions }) =>
    resolver
      .referrers(role)
      .filter((u) => u.resource.Type === 'AWS::Lambda::Function' || u.resource.Type === 'AWS::StepFunctions::StateMachine')
      .map((u) => `${accessWords(actions)} by ${resolver.label(u)}`),
  );
  return [...new Set(lines)].sort();
}

/**
 * A memory table's retention per kind (lib/contract/memory-table.ts): the
 * settings its functions are given (ENV.MEMORY_SETTINGS next to
 * ENV.MEMORY_TABLE naming this table). Undefined for any other table.
 */
function memoryRetention(resolver: TargetResolver, table: ResourceHandle): string | undefined {
  const texts = new Set<string>();
  for (const fn of resolver.resources('AWS::Lambda::Function')) {
    const vars = fn.resource.Properties?.Environment?.Variables ?? {};
    if (!TargetResolver.same(resolver.follow(fn.stack, vars[ENV.MEMORY_TABLE]), table) || typeof vars[ENV.MEMORY_SETTINGS] !== 'string') continue;
    try {
      const settings = JSON.parse(vars[ENV.MEMORY_SETTINGS]) as MemorySettings;
      const kinds = MEMORY_KINDS.map((kind) => `${kind} ${days(settings.retentionDays[kind])}`).join(', ');
      texts.add(`records expire by kind (TTL on \`expiresAt\`): ${kinds} after they are written; forget and export log entries after ${days(settings.logRetentionDays)}; at most ${settings.maxRecordsPerActor} records per person (the oldest evicted first)`);
    } catch {
      texts.add(`${ENV.MEMORY_SETTINGS} of ${resolver.label(fn)} is not JSON`);
    }
  }
  return texts.size > 0 ? [...texts].join('; ') : undefined;
}

/** `Lists (GSI): partition sk2, sort gsi1sk; projection ALL`. */
function indexesOf(p: Record<string, any>): string[] {
  const keys = (schema: unknown) =>
    (asList(schema as CfnValue) as Array<Record<string, any>>).map((k) => `${k.KeyType === 'HASH' ? 'partition' : 'sort'} \`${k.AttributeName}\``).join(', ');
  const describe = (kind: string) => (i: Record<string, any>) =>
    `index \`${i.IndexName}\` (${kind}): ${keys(i.KeySchema)}; projection ${i.Projection?.ProjectionType ?? 'ALL'}${i.Projection?.NonKeyAttributes ? ` (${asList(i.Projection.NonKeyAttributes).join(', ')})` : ''}`;
  return [
    ...(asList(p.GlobalSecondaryIndexes) as Array<Record<string, any>>).map(describe('global secondary')),
    ...(asList(p.LocalSecondaryIndexes) as Array<Record<string, any>>).map(describe('local secondary')),
  ];
}

function referrerLabels(resolver: TargetResolver, handle: ResourceHandle, skip: string[]): string[] {
  return resolver
    .referrers(handle)
    .filter((r) => !skip.includes(r.resource.Type))
    .map((r) => resolver.label(r));
}

const NOT_WRITERS = ['AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::IAM::ManagedPolicy', 'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy', 'AWS::Backup::BackupPlan', 'AWS::Backup::BackupSelection', 'AWS::CloudFormation::Stack'];

function describeStore(resolver: TargetResolver, handle: ResourceHandle): DataStore {
  const p = handle.resource.Properties ?? {};
  const type = handle.resource.Type;
  const recovery: string[] = [];
  const notes: string[] = [];
  let pitr: boolean | undefined;
  let retention = 'kept until deleted';
  let deletionProtection: boolean | undefined;
  let subscriptions: DataStore['subscriptions'];
  let publishers: DataStore['publishers'];
  switch (type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable':
      pitr = p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true;
      if (pitr) recovery.push(`point-in-time recovery (${p.PointInTimeRecoverySpecification.RecoveryPeriodInDays ?? DYNAMODB_DEFAULT_PITR_DAYS} days)`);
      recovery.push(...backupRules(resolver, handle, 'selection'));
      deletionProtection = p.DeletionProtectionEnabled === true;
      retention =
        memoryRetention(resolver, handle) ??
        (p.TimeToLiveSpecification?.Enabled ? `items expire by TTL on attribute \`${p.TimeToLiveSpecification.AttributeName}\`` : 'items kept until deleted (no TTL)');
      notes.push(...indexesOf(p));
      notes.push(...tableAccessors(resolver, handle));
      if (p.StreamSpecification?.StreamViewType) notes.push(`stream: ${p.StreamSpecification.StreamViewType}`);
      if (type === 'AWS::DynamoDB::GlobalTable') notes.push(`replicas: ${asList(p.Replicas).map((r: any) => r.Region).join(', ')}`);
      break;
    case 'AWS::S3::Bucket':
      if (p.VersioningConfiguration?.Status === 'Enabled') recovery.push('versioning enabled');
      if (p.ReplicationConfiguration) recovery.push('replication configured');
      if (p.ObjectLockEnabled) recovery.push('object lock enabled');
      retention = lifecycleText(p);
      if (p.LoggingConfiguration) {
        const dest = resolver.follow(handle.stack, p.LoggingConfiguration.DestinationBucketName);
        notes.push(`server access logs to ${dest ? resolver.label(dest) : resolver.render(handle.stack, p.LoggingConfiguration.DestinationBucketName)} (prefix ${p.LoggingConfiguration.LogFilePrefix ?? '/'})`);
      }
      break;
    case 'AWS::Logs::LogGroup':
      retention = p.RetentionInDays !== undefined ? days(p.RetentionInDays) : 'never expires';
      notes.push(...referrerLabels(resolver, handle, NOT_WRITERS).map((w) => `written by ${w}`));
      break;
    case 'AWS::SQS::Queue':
      retention = days(Math.round((p.MessageRetentionPeriod ?? SQS_DEFAULT_RETENTION_SECONDS) / DAY_SECONDS)) + ' per message';
      notes.push(...referrerLabels(resolver, handle, [...NOT_WRITERS, 'AWS::SQS::Queue']).map((w) => `dead letters / messages from ${w}`));
      break;
    case 'AWS::SNS::Topic':
      retention = 'not kept: delivered to the subscriptions, retried by SNS per its delivery policy';
      subscriptions = subscriptionsOf(resolver, handle);
      publishers = publishersOf(resolver, handle);
      notes.push(...subscriptions.map((sub) => `subscription: ${sub.protocol} → ${sub.endpoint}`), ...publishers.map((w) => `published by ${w}`));
      if (subscriptions.length === 0) notes.push('no subscriptions in the templates');
      break;
    case 'AWS::Backup::BackupVault':
      retention = backupRules(resolver, handle, 'vault').join('; ') || 'per the backup plans that use it';
      if (p.LockConfiguration) notes.push('vault lock configured');
      break;
    case 'AWS::StepFunctions::StateMachine': {
      const express = p.StateMachineType === 'EXPRESS';
      const logging = p.LoggingConfiguration;
      retention = express ? 'no execution history (Express); execution data only in its log group' : 'execution history kept by Step Functions after the execution closes';
      if (logging) notes.push(`logging level ${logging.Level ?? 'OFF'}, execution data ${logging.IncludeExecutionData ? 'included' : 'excluded'}`);
      notes.push(`type ${p.StateMachineType ?? 'STANDARD'}`);
      if (p.TracingConfiguration?.Enabled) notes.push('X-Ray tracing on');
      break;
    }
    case 'AWS::SageMaker::EndpointConfig':
      retention = 'ML storage volumes live as long as the endpoint';
      for (const v of asList(p.ProductionVariants) as Array<Record<string, any>>) notes.push(`variant ${v.VariantName}: ${v.InstanceType ?? 'serverless'} x${v.InitialInstanceCount ?? 1}`);
      if (p.DataCaptureConfig) notes.push(`data capture to ${resolver.render(handle.stack, p.DataCaptureConfig.DestinationS3Uri)}`);
      break;
    default:
      break;
  }
  return {
    ...located(handle),
    kind: DATA_STORE_KINDS[type] ?? type,
    type,
    name: resolver.physicalName(handle),
    region: handle.stack.region ?? 'environment-agnostic',
    encryption: encryptionOf(resolver, handle),
    access: accessOf(resolver, handle),
    pitr,
    recovery,
    retention,
    deletionProtection,
    deletionPolicy: handle.resource.DeletionPolicy ?? 'Delete',
    subscriptions,
    publishers,
    notes,
  };
}

function describeTrail(resolver: TargetResolver, handle: ResourceHandle): AuditTrailEvidence {
  const p = handle.resource.Properties ?? {};
  const bucket = resolver.follow(handle.stack, p.S3BucketName);
  const logGroup = p.CloudWatchLogsLogGroupArn ? resolver.follow(handle.stack, p.CloudWatchLogsLogGroupArn) : undefined;
  const selectors = (asList(p.AdvancedEventSelectors) as Array<Record<string, any>>).map((sel) => {
    const fields = (asList(sel.FieldSelectors) as Array<Record<string, any>>).map((f) => {
      const [op, values] = Object.entries(f).find(([k]) => k !== 'Field') ?? ['', []];
      return `${f.Field} ${op} ${asList(values).map((v) => resolver.render(handle.stack, v)).join(' | ')}`;
    });
    return `${sel.Name ?? 'selector'}: ${fields.join('; ')}`;
  });
  return {
    ...located(handle),
    name: resolver.physicalName(handle),
    bucket: bucket ? resolver.label(bucket) : resolver.render(handle.stack, p.S3BucketName),
    logGroup: logGroup ? resolver.label(logGroup) : undefined,
    key: p.KMSKeyId ? resolver.describeKey(handle.stack, p.KMSKeyId) : undefined,
    multiRegion: p.IsMultiRegionTrail === true,
    logFileValidation: p.EnableLogFileValidation === true,
    selectors,
  };
}

function describeKeys(resolver: TargetResolver, stores: DataStore[], trails: AuditTrailEvidence[]): KeyEvidence[] {
  return resolver.resources('AWS::KMS::Key').map((handle) => {
    const ref = `${handle.stack.displayName}/${handle.logicalId}`;
    const protects = [
      ...stores.filter((s) => s.encryption.key?.reference === ref).map((s) => `${s.kind} ${s.name ?? s.title}`),
      ...trails.filter((t) => t.key?.reference === ref).map((t) => `CloudTrail trail ${t.name ?? t.title}`),
      ...resolver
        .resources('AWS::Lambda::Function')
        .filter((fn) => isObject(fn.resource.Properties?.KmsKeyArn) && resolver.describeKey(fn.stack, fn.resource.Properties?.KmsKeyArn).reference === ref)
        .map((fn) => `environment variables of ${resolver.label(fn)}`),
    ];
    const p = handle.resource.Properties ?? {};
    return {
      ...located(handle),
      alias: resolver.aliasesOf(handle)[0],
      description: p.Description,
      rotation: p.EnableKeyRotation === true,
      deletionPolicy: handle.resource.DeletionPolicy ?? 'Delete',
      protects,
    };
  });
}

export function dataStoreEvidence(resolver: TargetResolver): DataStoreEvidence {
  const stores = resolver.resources(...Object.keys(DATA_STORE_KINDS)).map((h) => describeStore(resolver, h));
  const trails = resolver.resources('AWS::CloudTrail::Trail').map((h) => describeTrail(resolver, h));
  return { stores, keys: describeKeys(resolver, stores, trails), trails };
}
