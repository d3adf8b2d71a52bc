import { Annotations, Stack, Stage, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { FactStatus, findFact, type CapabilityFact } from './region-facts';

/** The outcome of asking the region-facts table about one capability. */
export interface CapabilityCheck {
  readonly capability: string;
  readonly region: string;
  readonly status: FactStatus;
  readonly fact?: CapabilityFact;
}

/** Id prefix of the gate's warnings, one per unverified capability (the app points them at preflight). */
export const UNVERIFIED_WARNING = 'statehouse:unverified:';

/** Metadata type of every capability the gate was asked about. */
export const CAPABILITY_METADATA_TYPE = 'statehouse:capability';

export interface CapabilityRecord {
  readonly capability: string;
  readonly region: string;
  readonly status: FactStatus;
  readonly neededBy: string;
}

/** Every capability asked for under `root`, e.g. to verify the unverified ones against an account. */
export function capabilityRecords(root: IConstruct): CapabilityRecord[] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === CAPABILITY_METADATA_TYPE).map((m) => m.data as CapabilityRecord));
}

/** Look a capability up for a region. A pair with no row is `unverified`. */
export function checkCapability(capability: string, region: string): CapabilityCheck {
  const fact = findFact(capability, region);
  return { capability, region, status: fact?.status ?? FactStatus.UNVERIFIED, fact };
}

/**
 * How to answer an unverified fact against a real account by hand: an AWS CLI
 * command, or what to try in a sandbox account where no API answers. The
 * preflight command asks the same questions itself, and prints this where it cannot.
 */
export function verifyHint(capability: string, region: string): string | undefined {
  const [service, kind, arg] = capability.split(':');
  if (service === 'sagemaker' && kind === 'instance') {
    const ec2Type = arg.replace(/^ml\./, '');
    return `aws ec2 describe-instance-type-offerings --region ${region} --filters Name=instance-type,Values=${ec2Type}; aws service-quotas list-service-quotas --service-code sagemaker --region ${region} --query "Quotas[?contains(QuotaName, '${arg} for endpoint usage')]"`;
  }
  if (service === 'vpce') return `aws ec2 describe-vpc-endpoint-services --region ${region} --query "ServiceNames[?ends_with(@, '.${kind}')]"`;
  if (capability === 'apigateway:private-rest-api') return verifyHint('vpce:execute-api', region);
  if (service === 'vpce-gateway') return `from a function in the VPC, resolve and call the ${kind} host; it must answer through the gateway endpoint`;
  if (service === 'bedrock') return `aws bedrock list-foundation-models --region ${region}; aws bedrock list-inference-profiles --region ${region}`;
  if (service === 'lambda' && kind === 'runtime') return `aws lambda list-layers --compatible-runtime ${arg} --region ${region}`;
  if (service === 'lambda') return `create a test function that uses ${kind} in a sandbox account of ${region}, call it, then delete it`;
  if (capability === 'states:express') return `create an EXPRESS state machine in a sandbox account of ${region}, then delete it`;
  if (service === 'cloudformation') return `aws cloudformation describe-type --type RESOURCE --type-name ${capability.slice('cloudformation:'.length)} --region ${region}`;
  return undefined;
}

function targetLabel(scope: IConstruct, region: string): string {
  const stage = Stage.of(scope);
  return stage?.stageName ? `${stage.stageName} (${region})` : region;
}

/**
 * Message for a capability the target cannot run: what, why, the source and
 * what to do instead.
 */
export function unavailableMessage(check: CapabilityCheck, neededBy: string, target: string): string {
  const fact = check.fact!;
  return (
    `${target} cannot run "${check.capability}", which ${neededBy} needs. ` +
    `Why: ${fact.why ?? 'the region does not offer it.'} (source: ${fact.source}). ` +
    `Instead: ${fact.alternative ?? 'choose a target region that offers it.'}`
  );
}

/** Message for a capability nobody has confirmed: one line, what, who needs it, the source and how to check by hand. */
export function unverifiedMessage(check: CapabilityCheck, neededBy: string, target: string): string {
  const hint = verifyHint(check.capability, check.region);
  return (
    `"${check.capability}" in ${target} is unverified (${check.fact?.source ?? 'no row in lib/residency/region-facts.ts'}); ${neededBy} needs it.` +
    (hint ? ` Check by hand: ${hint}` : '')
  );
}

/**
 * The capability gate. A construct that needs a regional capability calls
 * `requireCapability(this, 'sagemaker:hosting', 'the Neuron endpoint')`.
 *
 * - unavailable: synth fails (a stack validation error) with what, why and the alternative;
 * - unverified: a synth warning that says how to verify;
 * - available: nothing.
 *
 * Errors are stack validations, so one `cdk synth` reports every gate failure at once.
 */
export function requireCapability(scope: IConstruct, capability: string, neededBy: string): CapabilityCheck {
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.region)) {
    throw new Error(
      `${scope.node.path}: the capability gate needs a concrete region; give the stack an env with a region (got an unresolved token).`,
    );
  }
  const check = checkCapability(capability, stack.region);
  const target = targetLabel(scope, stack.region);
  // Recorded for the preflight command and the evidence report (also lands in the assembly's metadata).
  const record: CapabilityRecord = { capability, region: stack.region, status: check.status, neededBy };
  scope.node.addMetadata(CAPABILITY_METADATA_TYPE, record);
  if (check.status === FactStatus.UNAVAILABLE) {
    const message = unavailableMessage(check, neededBy, target);
    scope.node.addValidation({ validate: () => [message] });
  } else if (check.status === FactStatus.UNVERIFIED) {
    // `::` is reserved in a validation id (prefix::rule): a CloudFormation type name in a capability is written with dots there.
    Annotations.of(scope).addWarningV2(`${UNVERIFIED_WARNING}${capability.replace(/::/g, '.')}`, unverifiedMessage(check, neededBy, target));
  }
  return check;
}
