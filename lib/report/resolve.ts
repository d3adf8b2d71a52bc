import { PARTITIONS, partitionOf } from '../residency/region-facts';
import type { CfnResource, CfnValue } from './cfn-types';
import type { StackArtifact, TargetAssembly } from './load-assembly';

/**
 * Resolution of CloudFormation intrinsics across the stacks of one target:
 * `Fn::ImportValue` export names lead to the producing stack's Outputs, whose
 * `Ref` / `Fn::GetAtt` lead to the resource. Everything here is read-only
 * over the loaded templates.
 */

/** A resource of a target, found by following an expression. */
export interface ResourceHandle {
  readonly stack: StackArtifact;
  readonly logicalId: string;
  readonly resource: CfnResource;
  /** The attribute the expression asked for (`Arn`, `StreamArn`, ...); undefined for `Ref`. */
  readonly attribute?: string;
}

/** A KMS key an expression points at, with what an auditor reads about it. */
export interface KeyDescription {
  /** `alias/...` of the key, or undefined when it has none. */
  readonly alias?: string;
  readonly description?: string;
  readonly rotation?: boolean;
  /** `GovWest/Foundation` / logical id of the AWS::KMS::Key; undefined for a key outside the target. */
  readonly stack?: string;
  readonly logicalId?: string;
  /** The expression as text, for keys the templates do not define. */
  readonly reference: string;
}

/** The property that holds a resource's physical name, per type. */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Backup::BackupVault': 'BackupVaultName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SageMaker::EndpointConfig': 'EndpointConfigName',
  'AWS::SageMaker::Endpoint': 'EndpointName',
  'AWS::SageMaker::Model': 'ModelName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::CloudTrail::Trail': 'TrailName',
  'AWS::ApiGateway::RestApi': 'Name',
  'AWS::KMS::Alias': 'AliasName',
};

const PSEUDO_PARAMETERS = ['AWS::AccountId', 'AWS::Region', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::StackName', 'AWS::StackId', 'AWS::NoValue', 'AWS::NotificationARNs'];

export function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as a list (CloudFormation accepts a scalar where a list is meant). */
export function asList(v: CfnValue): CfnValue[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** The words a reader knows a resource type by; other types print as `Service Type`. */
const TYPE_WORDS: Readonly<Record<string, string>> = {
  'AWS::Lambda::Function': 'Lambda function',
  'AWS::S3::Bucket': 'S3 bucket',
  'AWS::DynamoDB::Table': 'DynamoDB table',
  'AWS::Logs::LogGroup': 'log group',
  'AWS::SQS::Queue': 'SQS queue',
  'AWS::SNS::Topic': 'SNS topic',
  'AWS::KMS::Key': 'KMS key',
  'AWS::IAM::Role': 'IAM role',
  'AWS::IAM::ManagedPolicy': 'managed policy',
  'AWS::StepFunctions::StateMachine': 'state machine',
  'AWS::Backup::BackupVault': 'backup vault',
  'AWS::CloudTrail::Trail': 'CloudTrail trail',
  'AWS::ApiGateway::RestApi': 'REST API',
  'AWS::ApiGateway::Stage': 'API stage',
  'AWS::SageMaker::Endpoint': 'SageMaker endpoint',
  'AWS::SageMaker::EndpointConfig': 'SageMaker endpoint config',
  'AWS::EC2::FlowLog': 'VPC flow log',
  'AWS::Lambda::EventSourceMapping': 'event source mapping',
  'AWS::Backup::BackupSelection': 'backup selection',
  'AWS::ApiGateway::Account': 'API Gateway account settings',
  'AWS::EC2::VPCEndpoint': 'VPC endpoint',
  'AWS::EC2::SecurityGroup': 'security group',
};

export function typeWords(type: string): string {
  return TYPE_WORDS[type] ?? type.replace(/^AWS::/, '').replace('::', ' ');
}

/**
 * The construct path of a resource: its `aws:cdk:path` template metadata
 * (the CDK CLI turns that on), else the stack metadata's logical-id entries.
 */
export function constructPathOf(handle: { stack: StackArtifact; logicalId: string; resource: CfnResource }): string | undefined {
  return handle.resource.Metadata?.['aws:cdk:path'] ?? handle.stack.constructPaths[handle.logicalId];
}

/**
 * A readable name from the construct path: `GovWest/Runtime/Agent/Orchestrator/Resource/Resource`
 * → `Agent/Orchestrator`. Falls back to the logical id.
 */
export function titleOf(handle: { stack: StackArtifact; logicalId: string; resource: CfnResource }): string {
  const full = constructPathOf(handle);
  if (!full) return handle.logicalId;
  const prefix = `${handle.stack.displayName}/`;
  const rest = full.startsWith(prefix) ? full.slice(prefix.length) : full;
  const parts = rest.split('/').filter((p) => p !== 'Resource' && p !== 'Default');
  return parts.join('/') || handle.logicalId;
}

export class TargetResolver {
  private readonly exportsByName = new Map<string, { stack: StackArtifact; value: CfnValue }>();
  private referrerIndex?: Map<string, ResourceHandle[]>;

  constructor(readonly target: TargetAssembly) {
    for (const stack of target.stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        const name = output.Export?.Name;
        if (typeof name === 'string') this.exportsByName.set(name, { stack, value: output.Value });
      }
    }
  }

  /** Every resource of the target, in stack then template order; optionally of some types only. */
  resources(...types: string[]): ResourceHandle[] {
    const out: ResourceHandle[] = [];
    for (const stack of this.target.stacks) {
      for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
        if (types.length === 0 || types.includes(resource.Type)) out.push({ stack, logicalId, resource });
      }
    }
    return out;
  }

  resource(stack: StackArtifact, logicalId: string): ResourceHandle | undefined {
    const resource = stack.template.Resources?.[logicalId];
    return resource ? { stack, logicalId, resource } : undefined;
  }

  /** The export an `Fn::ImportValue` names, with the stack that produces it. */
  importedValue(name: CfnValue): { stack: StackArtifact; value: CfnValue } | undefined {
    return typeof name === 'string' ? this.exportsByName.get(name) : undefined;
  }

  /** Follow `Ref`, `Fn::GetAtt` and `Fn::ImportValue` to the resource an expression points at. */
  follow(stack: StackArtifact, expr: CfnValue): ResourceHandle | undefined {
    if (!isObject(expr)) return undefined;
    if (typeof expr.Ref === 'string') return this.resource(stack, expr.Ref);
    const getAtt = expr['Fn::GetAtt'];
    if (getAtt !== undefined) {
      const [logicalId, attribute] = Array.isArray(getAtt) ? getAtt : String(getAtt).split(/\.(.+)/);
      const handle = typeof logicalId === 'string' ? this.resource(stack, logicalId) : undefined;
      return handle ? { ...handle, attribute: typeof attribute === 'string' ? attribute : undefined } : undefined;
    }
    if ('Fn::ImportValue' in expr) {
      const imported = this.importedValue(expr['Fn::ImportValue']);
      return imported ? this.follow(imported.stack, imported.value) : undefined;
    }
    return undefined;
  }

  /** Every reference (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`) anywhere inside a value, followed. */
  referencesIn(stack: StackArtifact, value: CfnValue): ResourceHandle[] {
    const out: ResourceHandle[] = [];
    const walk = (v: CfnValue): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (isObject(v)) {
        const handle = this.follow(stack, v);
        if (handle) out.push(handle);
        else Object.values(v).forEach(walk);
      }
    };
    walk(value);
    return out;
  }

  /** Resources whose properties reference `target` (in any stack of the target). */
  referrers(target: ResourceHandle): ResourceHandle[] {
    if (!this.referrerIndex) {
      this.referrerIndex = new Map();
      for (const handle of this.resources()) {
        for (const ref of this.referencesIn(handle.stack, handle.resource.Properties)) {
          const key = `${ref.stack.artifactId}/${ref.logicalId}`;
          const list = this.referrerIndex.get(key) ?? [];
          if (!list.some((h) => TargetResolver.same(h, handle))) list.push(handle);
          this.referrerIndex.set(key, list);
        }
      }
    }
    return this.referrerIndex.get(`${target.stack.artifactId}/${target.logicalId}`) ?? [];
  }

  /** Two handles name the same resource. */
  static same(a: ResourceHandle | undefined, b: ResourceHandle | undefined): boolean {
    return !!a && !!b && a.stack.artifactId === b.stack.artifactId && a.logicalId === b.logicalId;
  }

  /** The value of a pseudo parameter in a stack, or a `${...}` placeholder when only deploy time knows it. */
  private pseudo(stack: StackArtifact, name: string): string {
    const partition = stack.region ? partitionOf(stack.region) : undefined;
    switch (name) {
      case 'AWS::Region':
        return stack.region ?? '${AWS::Region}';
      case 'AWS::AccountId':
        return stack.account ?? '${AWS::AccountId}';
      case 'AWS::Partition':
        return partition?.id ?? '${AWS::Partition}';
      case 'AWS::URLSuffix':
        return partition ? PARTITIONS[partition.id].dnsSuffix : '${AWS::URLSuffix}';
      case 'AWS::StackName':
        return stack.stackName;
      default:
        return `\${${name}}`;
    }
  }

  /** The physical name of a resource when the template sets one. */
  physicalName(handle: ResourceHandle): string | undefined {
    const prop = NAME_PROPERTY[handle.resource.Type];
    const value = prop ? handle.resource.Properties?.[prop] : undefined;
    return value === undefined ? undefined : this.render(handle.stack, value);
  }

  /** `statehouse-govwest-data-sessions`, or the construct-path title when the name is generated. */
  name(handle: ResourceHandle): string {
    if (handle.resource.Type === 'AWS::KMS::Key') return this.aliasesOf(handle)[0] ?? titleOf(handle);
    return this.physicalName(handle) ?? titleOf(handle);
  }

  /** `DynamoDB table statehouse-govwest-data-sessions`, `Lambda function Agent/Orchestrator`. */
  label(handle: ResourceHandle): string {
    const attribute = handle.attribute && !['Arn', 'GroupId', 'BackupVaultName'].includes(handle.attribute) ? ` (${handle.attribute})` : '';
    return `${typeWords(handle.resource.Type)} ${this.name(handle)}${attribute}`;
  }

  /**
   * An expression as text: literals as they are, pseudo parameters resolved
   * from the stack's environment where it is known (`${AWS::AccountId}`
   * otherwise), `Ref` of a named resource as its name, imports followed to
   * the producing stack.
   */
  render(stack: StackArtifact, expr: CfnValue): string {
    if (expr === undefined || expr === null) return '';
    if (typeof expr === 'string') return expr;
    if (typeof expr === 'number' || typeof expr === 'boolean') return String(expr);
    if (Array.isArray(expr)) return expr.map((e) => this.render(stack, e)).join(', ');
    if (!isObject(expr)) return JSON.stringify(expr);
    if (typeof expr.Ref === 'string') {
      if (PSEUDO_PARAMETERS.includes(expr.Ref)) return this.pseudo(stack, expr.Ref);
      const handle = this.resource(stack, expr.Ref);
      if (handle) return this.physicalName(handle) ?? `\${${expr.Ref}}`;
      return `\${${expr.Ref}}`;
    }
    if ('Fn::GetAtt' in expr) {
      const getAtt = expr['Fn::GetAtt'];
      const [logicalId, attribute] = Array.isArray(getAtt) ? getAtt : String(getAtt).split(/\.(.+)/);
      return `\${${logicalId}.${attribute}}`;
    }
    if ('Fn::ImportValue' in expr) {
      const imported = this.importedValue(expr['Fn::ImportValue']);
      return imported ? this.render(imported.stack, imported.value) : `\${Import:${this.render(stack, expr['Fn::ImportValue'])}}`;
    }
    if ('Fn::Join' in expr) {
      const [separator, parts] = expr['Fn::Join'] as [string, CfnValue[]];
      return asList(parts)
        .map((p) => this.render(stack, p))
        .join(separator);
    }
    if ('Fn::Sub' in expr) {
      const sub = expr['Fn::Sub'];
      const [text, vars] = Array.isArray(sub) ? (sub as [string, Record<string, CfnValue>]) : [sub as string, {}];
      return String(text).replace(/\$\{([^}!]+)\}/g, (whole, name: string) => {
        if (vars && name in vars) return this.render(stack, vars[name]);
        if (PSEUDO_PARAMETERS.includes(name)) return this.pseudo(stack, name);
        const [logicalId, attribute] = name.split(/\.(.+)/);
        if (attribute) return whole;
        const handle = this.resource(stack, logicalId);
        return handle ? (this.physicalName(handle) ?? whole) : whole;
      });
    }
    return JSON.stringify(expr);
  }

  /**
   * What an expression points at when it is not a reference: a resource of
   * the target whose physical name appears in the rendered ARN
   * (`arn:...:s3:::statehouse-govwest-data-payloads-${AWS::AccountId}/*`).
   */
  findByName(stack: StackArtifact, expr: CfnValue): ResourceHandle | undefined {
    const text = this.render(stack, expr);
    for (const handle of this.resources()) {
      const name = this.physicalName(handle);
      if (!name || name.length < 4 || handle.resource.Type === 'AWS::KMS::Alias') continue;
      const at = text.indexOf(name);
      if (at <= 0) continue;
      const before = text[at - 1];
      const after = text[at + name.length];
      if ((before === ':' || before === '/') && (after === undefined || after === '/' || after === ':')) return handle;
    }
    return undefined;
  }

  /** Follow a reference, or find the resource by name. */
  followOrFind(stack: StackArtifact, expr: CfnValue): ResourceHandle | undefined {
    return this.follow(stack, expr) ?? this.findByName(stack, expr);
  }

  /** The AWS::KMS::Alias resources of the target that name a key. */
  aliasesOf(key: ResourceHandle): string[] {
    return this.resources('AWS::KMS::Alias')
      .filter((alias) => TargetResolver.same(this.follow(alias.stack, alias.resource.Properties?.TargetKeyId), key))
      .map((alias) => this.render(alias.stack, alias.resource.Properties?.AliasName));
  }

  /** Resolve a key expression (ARN, id, alias, import) to the key, its alias and its description. */
  describeKey(stack: StackArtifact, expr: CfnValue): KeyDescription {
    let handle = this.follow(stack, expr);
    if (handle?.resource.Type === 'AWS::KMS::Alias') handle = this.follow(handle.stack, handle.resource.Properties?.TargetKeyId);
    if (!handle || handle.resource.Type !== 'AWS::KMS::Key') {
      const reference = this.render(stack, expr);
      return { reference, alias: reference.includes('alias/') ? reference.slice(reference.indexOf('alias/')) : undefined };
    }
    const props = handle.resource.Properties ?? {};
    return {
      alias: this.aliasesOf(handle)[0],
      description: typeof props.Description === 'string' ? props.Description : undefined,
      rotation: props.EnableKeyRotation === true,
      stack: handle.stack.displayName,
      logicalId: handle.logicalId,
      reference: `${handle.stack.displayName}/${handle.logicalId}`,
    };
  }
}
