import {
  getDenialReasons,
  runSimulation,
  type EvaluationResult,
  type Simulation,
} from '@cloud-copilot/iam-simulate';

/**
 * Ask the IAM policy simulator (`@cloud-copilot/iam-simulate`) what AWS would
 * decide for one request under a given set of policies, so tests can prove
 * what a synthesized policy MEANS rather than what it looks like.
 */

/** An IAM policy document as it appears in a template or the SCP file. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: unknown[];
}

/** One signed request: who calls what, on which resource, with which request context. */
export interface AccessRequest {
  /** IAM principal ARN (a role), e.g. `arn:aws-us-gov:iam::222222222222:role/x`. */
  readonly principal: string;
  readonly action: string;
  /** The resource ARN. */
  readonly resource: string;
  /**
   * Account that owns the resource. Default: the account field of `resource`.
   * Give it for ARNs without one (S3 objects, Bedrock foundation models).
   */
  readonly resourceAccount?: string;
  /**
   * Request context the caller and the service set, e.g. `aws:RequestedRegion`,
   * `kms:ViaService`. Every key given here must apply to the action, or the
   * simulation throws (a silently ignored key would make the test vacuous).
   */
  readonly context?: Record<string, string | string[]>;
}

/** The policies in force for the request. Omitted kinds are absent, not empty. */
export interface PoliciesInForce {
  readonly identity?: PolicyDocument[];
  readonly boundary?: PolicyDocument;
  readonly resourcePolicy?: PolicyDocument;
  /** SCPs of the account; AWS's default `FullAWSAccess` is attached beside them. */
  readonly scps?: PolicyDocument[];
}

export interface Verdict {
  readonly decision: EvaluationResult;
  /**
   * Why it was denied: `<policy type>:<Sid>` for an explicit deny (`pb`, `scp`,
   * `identity`, `resource`), `<policy type>:implicit` for a missing allow.
   * Empty when allowed.
   */
  readonly deniedBy: string[];
}

/** AWS attaches this SCP to every OU and account unless an admin removes it. */
const FULL_AWS_ACCESS: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

/** `arn:partition:service:region:account:resource`, so a test names the partition it means. */
export function arnOf(parts: { partition: string; service: string; region?: string; account?: string; resource: string }): string {
  return `arn:${parts.partition}:${parts.service}:${parts.region ?? ''}:${parts.account ?? ''}:${parts.resource}`;
}

function accountOfArn(arn: string): string {
  return arn.split(':')[4] ?? '';
}

/**
 * Keys AWS puts on every signed request (the caller cannot choose them), so
 * tests state only what varies: region, `kms:ViaService`, ...
 */
function standardContext(request: AccessRequest, resourceAccount: string): Record<string, string> {
  const principalAccount = accountOfArn(request.principal);
  return {
    'aws:PrincipalArn': request.principal,
    'aws:PrincipalAccount': principalAccount,
    ...(resourceAccount ? { 'aws:ResourceAccount': resourceAccount } : {}),
    ...(request.action.startsWith('kms:') ? { 'kms:CallerAccount': principalAccount } : {}),
  };
}

/** Evaluate one request; throws when the simulator rejects the input. */
export async function simulate(request: AccessRequest, policies: PoliciesInForce): Promise<Verdict> {
  const resourceAccount = request.resourceAccount ?? accountOfArn(request.resource);
  const given = request.context ?? {};
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: resourceAccount },
      contextVariables: { ...standardContext(request, resourceAccount), ...given },
    },
    identityPolicies: (policies.identity ?? []).map((policy, i) => ({ name: `identity-${i + 1}`, policy })),
    permissionBoundaryPolicies: policies.boundary ? [{ name: 'boundary', policy: policies.boundary }] : undefined,
    resourcePolicy: policies.resourcePolicy,
    serviceControlPolicies: policies.scps
      ? [
          {
            orgIdentifier: 'ou-statehouse',
            policies: [FULL_AWS_ACCESS, ...policies.scps].map((policy, i) => ({ name: `scp-${i + 1}`, policy })),
          },
        ]
      : [],
    resourceControlPolicies: [],
  };

  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error') {
    throw new Error(`iam-simulate rejected the simulation: ${JSON.stringify(response.errors, null, 2)}`);
  }
  if (response.resultType !== 'single') {
    throw new Error(`expected one concrete resource, got a wildcard simulation for "${request.resource}"`);
  }
  const ignored = (response.result.ignoredContextKeys ?? []).filter((key) => key in given);
  if (ignored.length > 0) {
    throw new Error(`context keys ${ignored.join(', ')} do not apply to ${request.action} on ${request.resource}; the test would prove nothing`);
  }

  const analysis = response.result.analysis;
  const deniedBy =
    analysis.result === 'Allowed'
      ? []
      : getDenialReasons(analysis).map((d) =>
          d.denialType === 'Explicit' ? `${d.policyType}:${d.statementId ?? `#${d.statementIndex}`}` : `${d.policyType}:implicit`,
        );
  return { decision: analysis.result, deniedBy };
}

/** Where a template's intrinsic functions point, for resolving policies to literal JSON. */
export interface TemplateEnv {
  readonly template: Record<string, any>;
  readonly stackName: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/**
 * Resolve the few intrinsics the Statehouse policies use (`Ref` of pseudo
 * parameters and log groups, `Fn::GetAtt` of a log group's `Arn`, `Fn::Join`,
 * `Fn::Sub` with pseudo parameters) to literal strings. A log group without
 * `LogGroupName` gets `<stackName>-<logicalId>`, standing in for the name
 * CloudFormation would generate. Anything else throws, naming what it met.
 */
export function resolveIntrinsics(value: unknown, env: TemplateEnv): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, env));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const [fn, arg] = entries[0] ?? [];
  if (entries.length === 1 && fn === 'Ref') return refOf(arg as string, env);
  if (entries.length === 1 && fn === 'Fn::GetAtt') {
    const [logicalId, attribute] = arg as [string, string];
    return getAttOf(logicalId, attribute, env);
  }
  if (entries.length === 1 && fn === 'Fn::Join') {
    const [separator, parts] = arg as [string, unknown[]];
    return parts.map((p) => resolveIntrinsics(p, env)).join(separator);
  }
  if (entries.length === 1 && fn === 'Fn::Sub' && typeof arg === 'string') {
    return arg.replace(/\$\{([^}]+)\}/g, (_, name: string) => refOf(name, env));
  }
  if (entries.length === 1 && fn?.startsWith('Fn::')) throw new Error(`resolveIntrinsics: ${fn} is not supported`);
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, env)]));
}

function refOf(name: string, env: TemplateEnv): string {
  const pseudo: Record<string, string> = {
    'AWS::Partition': env.partition,
    'AWS::Region': env.region,
    'AWS::AccountId': env.account,
    'AWS::StackName': env.stackName,
  };
  if (name in pseudo) return pseudo[name];
  if (logGroupResource(name, env)) return logGroupName(name, env);
  throw new Error(`resolveIntrinsics: Ref to "${name}" is not supported`);
}

function getAttOf(logicalId: string, attribute: string, env: TemplateEnv): string {
  if (logGroupResource(logicalId, env) && attribute === 'Arn') {
    // CloudFormation documents a log group's Arn with the trailing `:*`.
    return arnOf({
      partition: env.partition,
      service: 'logs',
      region: env.region,
      account: env.account,
      resource: `log-group:${logGroupName(logicalId, env)}:*`,
    });
  }
  throw new Error(`resolveIntrinsics: Fn::GetAtt ${logicalId}.${attribute} is not supported`);
}

function logGroupResource(logicalId: string, env: TemplateEnv): Record<string, any> | undefined {
  const resource = env.template.Resources?.[logicalId];
  return resource?.Type === 'AWS::Logs::LogGroup' ? resource : undefined;
}

function logGroupName(logicalId: string, env: TemplateEnv): string {
  return logGroupResource(logicalId, env)?.Properties?.LogGroupName ?? `${env.stackName}-${logicalId}`;
}
