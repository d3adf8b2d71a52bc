import type { CfnValue } from '../cfn-types';
import type { DataPath, DataPathKind, ExternalNode } from '../evidence-types';
import { statementsOf } from '../policy-text';
import { asList, TargetResolver, type ResourceHandle } from '../resolve';
import { endpointService } from './network';
import { nodeId } from './summary';

/**
 * The main data paths of a target, for the architecture diagram: derived from
 * the templates, never drawn by hand. API methods name the function they
 * integrate; a role's grants name what its function or state machine reads
 * and writes; event source mappings name the stream a function consumes;
 * state-machine definitions name the functions they run. A call from a
 * function in the VPC goes through the endpoint of the action's service.
 */

export const CLIENT_NODE = 'client';

/** The endpoint service an IAM action is called through. */
function endpointServiceOfAction(action: string): string | undefined {
  const [service, name = ''] = action.split(':');
  if (service === 'bedrock') return /^(Retrieve|InvokeAgent|InvokeInlineAgent|RetrieveAndGenerate)/.test(name) ? 'bedrock-agent-runtime' : 'bedrock-runtime';
  if (service === 'sagemaker') return 'sagemaker.runtime';
  return service;
}

/** `read`, `write` or `read/write` from the action names. */
export function accessWords(actions: string[]): string {
  const names = actions.map((a) => a.split(':')[1] ?? a);
  const reads = names.some((n) => /^(Get|Query|Scan|BatchGet|List|Describe|Select|Head)/.test(n) || n === '*');
  const writes = names.some((n) => /^(Put|Update|Delete|BatchWrite|TransactWrite|Abort|Restore|Send|Create)/.test(n) || n === '*');
  return reads && writes ? 'read/write' : writes ? 'write' : 'read';
}

const ACCESS_WORDS: ReadonlySet<string> = new Set(['read', 'write', 'read/write']);

/** `states:StartSyncExecution`, `states:SendTaskSuccess` → `start (sync), task tokens`. */
function workflowWords(actions: string[]): string {
  const words = actions.map((a) => {
    const name = a.split(':')[1] ?? a;
    if (name === 'StartSyncExecution') return 'start (sync)';
    if (name === 'StartExecution') return 'start';
    if (name.startsWith('SendTask')) return 'task tokens';
    return name;
  });
  return [...new Set(words)].join(', ');
}

class PathBuilder {
  readonly paths: DataPath[] = [];
  readonly externals: ExternalNode[] = [];
  private readonly endpointsByService = new Map<string, string>();

  constructor(resolver: TargetResolver) {
    for (const e of resolver.resources('AWS::EC2::VPCEndpoint')) {
      this.endpointsByService.set(endpointService(resolver, e), nodeId({ stack: e.stack.displayName, logicalId: e.logicalId }));
    }
  }

  /** The endpoint of the service, or of its FIPS host (`bedrock-runtime-fips`) where the target uses that instead. */
  endpointFor(service: string | undefined): string | undefined {
    return service ? (this.endpointsByService.get(service) ?? this.endpointsByService.get(`${service}-fips`)) : undefined;
  }

  /** One path per caller, target and kind: a role with separate read and write statements on one store reads and writes it. */
  add(path: DataPath): void {
    const i = this.paths.findIndex((p) => p.from === path.from && p.to === path.to && p.kind === path.kind);
    if (i < 0) this.paths.push(path);
    else if (path.kind === 'read-write' && this.paths[i].label !== path.label && ACCESS_WORDS.has(path.label) && ACCESS_WORDS.has(this.paths[i].label)) {
      this.paths[i] = { ...this.paths[i], label: 'read/write' };
    }
  }

  external(node: ExternalNode): string {
    if (!this.externals.some((e) => e.id === node.id)) this.externals.push(node);
    return node.id;
  }
}

const id = (h: ResourceHandle): string => nodeId({ stack: h.stack.displayName, logicalId: h.logicalId });

/** `arn:<partition>:bedrock:<region>::foundation-model/<id>` → a model node. */
function modelNode(builder: PathBuilder, rendered: string): string | undefined {
  const match = /:(bedrock|sagemaker):[^:]*:[^:]*:([a-z-]+)\/(.+)$/.exec(rendered);
  if (!match) return undefined;
  const [, service, type, name] = match;
  return builder.external({ id: `${service}:${type}/${name}`, kind: 'model', label: `${service === 'bedrock' ? 'Bedrock' : 'SageMaker'} ${type} ${name}` });
}

/** Grants of a caller's role become paths to what they name. */
function grantPaths(resolver: TargetResolver, builder: PathBuilder, caller: ResourceHandle, roleExpr: CfnValue, inVpc: boolean, deadLetters: ResourceHandle[]): void {
  const role = resolver.follow(caller.stack, roleExpr);
  if (!role) return;
  const policies = resolver
    .resources('AWS::IAM::Policy')
    .filter((p) => asList(p.resource.Properties?.Roles).some((r) => TargetResolver.same(resolver.follow(p.stack, r), role)));
  for (const policy of policies) {
    for (const s of statementsOf(policy.resource.Properties?.PolicyDocument)) {
      if (s.Effect === 'Deny') continue;
      const actions = asList(s.Action).map((a) => resolver.render(policy.stack, a));
      const service = endpointServiceOfAction(actions[0] ?? '');
      const via = inVpc ? builder.endpointFor(service) : undefined;
      for (const r of asList(s.Resource)) {
        if (r === '*') continue;
        const target = resolver.followOrFind(policy.stack, r);
        if (!target) {
          const model = modelNode(builder, resolver.render(policy.stack, r));
          if (model) builder.add({ from: id(caller), to: model, kind: 'model', label: 'inference', via });
          continue;
        }
        if (target.attribute === 'StreamArn') continue;
        let kind: DataPathKind | undefined;
        let label = accessWords(actions);
        switch (target.resource.Type) {
          case 'AWS::DynamoDB::Table':
          case 'AWS::DynamoDB::GlobalTable':
          case 'AWS::S3::Bucket':
            kind = 'read-write';
            break;
          case 'AWS::SQS::Queue':
            kind = deadLetters.some((d) => TargetResolver.same(d, target)) ? 'dead-letter' : 'read-write';
            label = kind === 'dead-letter' ? 'dead letters' : label;
            break;
          case 'AWS::StepFunctions::StateMachine':
            kind = 'workflow';
            label = workflowWords(actions);
            break;
          case 'AWS::SNS::Topic':
            kind = 'read-write';
            label = 'publish';
            break;
          case 'AWS::Lambda::Function':
            kind = 'invoke';
            label = 'invoke';
            break;
          case 'AWS::SageMaker::Endpoint':
            kind = 'model';
            label = 'inference';
            break;
          default:
            break;
        }
        if (kind) builder.add({ from: id(caller), to: id(target), kind, label, via: kind === 'dead-letter' ? undefined : via });
      }
    }
  }
}

export function dataPaths(resolver: TargetResolver): { paths: DataPath[]; externals: ExternalNode[] } {
  const builder = new PathBuilder(resolver);

  // Client → private API through its execute-api endpoint; API → integrated functions.
  for (const api of resolver.resources('AWS::ApiGateway::RestApi')) {
    const endpoint = asList(api.resource.Properties?.EndpointConfiguration?.VpcEndpointIds).map((v) => resolver.follow(api.stack, v)).find(Boolean);
    const client = builder.external({ id: CLIENT_NODE, kind: 'service', label: 'Client (SigV4-signed HTTPS)' });
    builder.add({ from: client, to: id(api), kind: 'invoke', label: 'HTTPS, IAM auth', via: endpoint ? id(endpoint) : undefined });
    const methods = resolver
      .resources('AWS::ApiGateway::Method')
      .filter((m) => TargetResolver.same(resolver.follow(m.stack, m.resource.Properties?.RestApiId), api));
    for (const m of methods) {
      for (const fn of resolver.referencesIn(m.stack, m.resource.Properties?.Integration?.Uri)) {
        if (fn.resource.Type !== 'AWS::Lambda::Function') continue;
        const count = methods.filter((o) => resolver.referencesIn(o.stack, o.resource.Properties?.Integration?.Uri).some((h) => TargetResolver.same(h, fn))).length;
        builder.add({ from: id(api), to: id(fn), kind: 'invoke', label: `${count} method${count === 1 ? '' : 's'}` });
      }
    }
  }

  // Functions: what their roles let them reach.
  for (const fn of resolver.resources('AWS::Lambda::Function')) {
    const p = fn.resource.Properties ?? {};
    const deadLetters = [
      resolver.follow(fn.stack, p.DeadLetterConfig?.TargetArn),
      ...resolver
        .resources('AWS::Lambda::EventSourceMapping')
        .filter((m) => TargetResolver.same(resolver.follow(m.stack, m.resource.Properties?.FunctionName), fn))
        .map((m) => resolver.follow(m.stack, m.resource.Properties?.DestinationConfig?.OnFailure?.Destination)),
    ].filter((h): h is ResourceHandle => !!h);
    grantPaths(resolver, builder, fn, p.Role, asList(p.VpcConfig?.SubnetIds).length > 0, deadLetters);
  }

  // Streams and queues that feed functions.
  for (const mapping of resolver.resources('AWS::Lambda::EventSourceMapping')) {
    const source = resolver.follow(mapping.stack, mapping.resource.Properties?.EventSourceArn);
    const fn = resolver.follow(mapping.stack, mapping.resource.Properties?.FunctionName);
    if (source && fn) builder.add({ from: id(source), to: id(fn), kind: 'stream', label: source.attribute === 'StreamArn' ? 'stream' : 'messages' });
  }

  // State machines: the functions their definitions run, and what their roles reach.
  for (const sm of resolver.resources('AWS::StepFunctions::StateMachine')) {
    const p = sm.resource.Properties ?? {};
    for (const target of resolver.referencesIn(sm.stack, [p.DefinitionString, p.Definition, p.DefinitionSubstitutions])) {
      if (target.resource.Type === 'AWS::Lambda::Function') builder.add({ from: id(sm), to: id(target), kind: 'invoke', label: 'task' });
    }
    grantPaths(resolver, builder, sm, p.RoleArn, false, []);
  }

  // Audit: the trail writes to its bucket and log group.
  for (const trail of resolver.resources('AWS::CloudTrail::Trail')) {
    const p = trail.resource.Properties ?? {};
    for (const target of [resolver.follow(trail.stack, p.S3BucketName), resolver.follow(trail.stack, p.CloudWatchLogsLogGroupArn)]) {
      if (target) builder.add({ from: id(trail), to: id(target), kind: 'audit', label: 'audit log' });
    }
  }
  return { paths: builder.paths, externals: builder.externals };
}
