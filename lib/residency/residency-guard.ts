import * as fs from 'node:fs';
import type {
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolation,
} from 'aws-cdk-lib';
import type { Residency } from './residency';
import { PARTITIONS, partitionOf } from './region-facts';

/**
 * The residency guard: a CDK validation plugin that reads every synthesized
 * template of its Stage and fails synth when data could leave the boundary.
 *
 * Rules (acknowledge one only through `acknowledge(scope, 'StatehouseResidency::<Rule>', reason)`):
 * - PartitionLiteral: a literal ARN of another partition.
 * - RegionOutsideResidency: a region id outside `residency.regions`.
 * - UnencryptedDataStore: a data store without encryption at rest (SC-28).
 * - WildcardPrincipal: an Allow to `*` without an account/org/VPC-endpoint condition (AC-3).
 * - LambdaOutsideVpc: a function with no VPC config (SC-7).
 */

/** Plugin name; also the namespace of its rule ids in acknowledgments. */
export const RESIDENCY_GUARD_NAME = 'StatehouseResidency';

type Json = unknown;
type Resource = { Type: string; Properties?: Record<string, Json> };
type Template = { Resources?: Record<string, Resource> };

const REGION_ID = /\b(?:us|eu|ap|sa|ca|me|af|il|mx|cn)(?:-gov|-iso|-isob)?-(?:east|west|north|south|central|northeast|northwest|southeast|southwest)-\d\b/g;

/** Condition keys that pin a wildcard principal to the agency's own boundary. */
const SCOPING_CONDITION_KEYS = [
  'aws:principalaccount',
  'aws:principalorgid',
  'aws:sourceaccount',
  'aws:sourcevpce',
  'aws:sourcevpc',
  'aws:principalarn',
  'aws:sourcearn',
  'kms:calleraccount',
];

/** Data stores and how to tell that they are encrypted at rest. */
const ENCRYPTION_CHECKS: Record<string, (p: Record<string, any>) => boolean> = {
  'AWS::DynamoDB::Table': (p) => p.SSESpecification?.SSEEnabled === true && p.SSESpecification?.KMSMasterKeyId !== undefined,
  'AWS::S3::Bucket': (p) => Array.isArray(p.BucketEncryption?.ServerSideEncryptionConfiguration),
  'AWS::Logs::LogGroup': (p) => p.KmsKeyId !== undefined,
  'AWS::SQS::Queue': (p) => p.KmsMasterKeyId !== undefined || p.SqsManagedSseEnabled === true,
  'AWS::SNS::Topic': (p) => p.KmsMasterKeyId !== undefined,
  'AWS::SageMaker::EndpointConfig': (p) => p.KmsKeyId !== undefined,
  'AWS::StepFunctions::StateMachine': (p) => p.EncryptionConfiguration?.Type === 'CUSTOMER_MANAGED_KMS_KEY',
  'AWS::CloudTrail::Trail': (p) => p.KMSKeyId !== undefined,
};

function* strings(node: Json, path: string): Generator<[string, string]> {
  if (typeof node === 'string') yield [path, node];
  else if (Array.isArray(node)) for (let i = 0; i < node.length; i++) yield* strings(node[i], `${path}/${i}`);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) yield* strings(v, `${path}/${k}`);
}

/** Every policy statement anywhere in a resource's properties. */
function* statements(node: Json, path: string): Generator<[string, Record<string, any>]> {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) yield* statements(node[i], `${path}/${i}`);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'Statement' && Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) yield [`${path}/Statement/${i}`, v[i] as Record<string, any>];
      } else {
        yield* statements(v, `${path}/${k}`);
      }
    }
  }
}

function isWildcardPrincipal(principal: Json): boolean {
  if (principal === '*') return true;
  if (principal && typeof principal === 'object') {
    const aws = (principal as Record<string, Json>).AWS;
    return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
  }
  return false;
}

function hasScopingCondition(condition: Json): boolean {
  if (!condition || typeof condition !== 'object') return false;
  return Object.values(condition as Record<string, Json>).some(
    (block) => block !== null && typeof block === 'object' && Object.keys(block).some((k) => SCOPING_CONDITION_KEYS.includes(k.toLowerCase())),
  );
}

interface Finding {
  readonly rule: string;
  readonly logicalId: string;
  readonly location: string;
}

const RULES: Record<string, { description: string; fix: string }> = {
  'PartitionLiteral': {
    description: 'The template holds a literal ARN of another partition; it would point outside this partition or fail to deploy.',
    fix: `Build ARNs with Stack.formatArn / Aws.PARTITION, or iam.ServicePrincipal; never write "${PARTITIONS.aws.arnPrefix}".`,
  },
  'RegionOutsideResidency': {
    description: 'The template names a region outside residency.regions.',
    fix: 'Reference only resources in the allowed regions, or add the region to residency.regions if your rules allow it.',
  },
  'UnencryptedDataStore': {
    description: 'A data store has no encryption at rest under a key (SC-28).',
    fix: 'Pass the platform data key (PlatformKeys.data) to the construct.',
  },
  'WildcardPrincipal': {
    description: 'A policy allows any principal ("*") without an account, organization or VPC endpoint condition (AC-3).',
    fix: 'Name the principal, or add an aws:PrincipalAccount / aws:SourceVpce condition.',
  },
  'LambdaOutsideVpc': {
    description: 'A Lambda function runs outside the isolated VPC (SC-7).',
    fix: 'Give the function the isolated subnets (PlatformFunction does this).',
  },
};

export class ResidencyGuard implements IPolicyValidationPlugin {
  public readonly name = RESIDENCY_GUARD_NAME;
  public readonly version = '1.0.0';
  public readonly ruleIds = Object.keys(RULES);

  constructor(private readonly residency: Residency) {}

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const byRule = new Map<string, PolicyViolation['violatingResources'][number][]>();
    for (const stack of context.stackTemplates) {
      const template = JSON.parse(fs.readFileSync(stack.templatePath, 'utf8')) as Template;
      for (const f of this.findings(template, stack.region)) {
        const list = byRule.get(f.rule) ?? [];
        list.push({ resourceLogicalId: f.logicalId, templatePath: stack.templatePath, locations: [f.location] });
        byRule.set(f.rule, list);
      }
    }
    const violations: PolicyViolation[] = [...byRule].map(([rule, violatingResources]) => ({
      ruleName: rule,
      description: RULES[rule].description,
      fix: RULES[rule].fix,
      severity: 'error',
      violatingResources,
    }));
    return { success: violations.length === 0, violations };
  }

  /** The findings for one template; exported through `validate` and used directly by tests. */
  public findings(template: Template, region: string | undefined): Finding[] {
    const out: Finding[] = [];
    const own = region ? partitionOf(region) : undefined;
    const foreignPrefixes = Object.values(PARTITIONS)
      .filter((p) => p.id !== own?.id)
      .map((p) => p.arnPrefix);
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      const props = resource.Properties ?? {};
      for (const [location, value] of strings(props, 'Properties')) {
        if (own && foreignPrefixes.some((prefix) => value.includes(prefix))) {
          out.push({ rule: 'PartitionLiteral', logicalId, location });
        }
        for (const match of value.match(REGION_ID) ?? []) {
          if (!this.residency.regions.includes(match)) {
            out.push({ rule: 'RegionOutsideResidency', logicalId, location: `${location} (${match})` });
          }
        }
      }
      const encrypted = ENCRYPTION_CHECKS[resource.Type];
      if (encrypted && !encrypted(props)) out.push({ rule: 'UnencryptedDataStore', logicalId, location: 'Properties' });
      for (const [location, st] of statements(props, 'Properties')) {
        if (st.Effect === 'Allow' && isWildcardPrincipal(st.Principal) && !hasScopingCondition(st.Condition)) {
          out.push({ rule: 'WildcardPrincipal', logicalId, location });
        }
      }
      if (resource.Type === 'AWS::Lambda::Function' && props.VpcConfig === undefined) {
        out.push({ rule: 'LambdaOutsideVpc', logicalId, location: 'Properties' });
      }
    }
    return out;
  }
}
