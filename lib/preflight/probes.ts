import { ListLayersCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ListFoundationModelsCommand, ListInferenceProfilesCommand, type BedrockClient } from '@aws-sdk/client-bedrock';
import { DescribeInstanceTypeOfferingsCommand, DescribeVpcEndpointServicesCommand, type EC2Client, type _InstanceType } from '@aws-sdk/client-ec2';
import { GetServiceQuotaCommand, ListAWSDefaultServiceQuotasCommand, type ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { STSClient } from '@aws-sdk/client-sts';
import { verifyHint, type CapabilityRecord } from '../residency/capability-gate';

/** What preflight learned about one capability from the real account. */
export type ProbeResult = 'pass' | 'fail' | 'unknown';

export interface ProbeOutcome {
  readonly capability: string;
  readonly neededBy: string;
  readonly result: ProbeResult;
  readonly detail: string;
}

export interface PreflightClients {
  /** Who the credentials are in the target's region: asked first. */
  readonly sts: STSClient;
  readonly ec2: EC2Client;
  readonly quotas: ServiceQuotasClient;
  readonly bedrock: BedrockClient;
  readonly lambda: LambdaClient;
}

/** What the target is configured to use, for probes that look for one thing in a list. */
export interface ProbeContext {
  readonly region: string;
  /** Bedrock model ids the target's configuration names. */
  readonly modelIds: readonly string[];
}

type Probe = (arg: string, clients: PreflightClients, context: ProbeContext) => Promise<Omit<ProbeOutcome, 'capability' | 'neededBy'>>;

/** An SDK error in one short line: its name and message. */
export function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`.replace(/\s+/g, ' ').slice(0, 160);
}

/** EC2 offers the instance type in the region, and the SageMaker endpoint quota for it is above zero. */
const sagemakerInstance: Probe = async (instanceType, clients, { region }) => {
  const ec2Type = instanceType.replace(/^ml\./, '');
  const offerings = await clients.ec2.send(
    new DescribeInstanceTypeOfferingsCommand({ LocationType: 'region', Filters: [{ Name: 'instance-type', Values: [ec2Type] }] }),
  );
  const offered = (offerings.InstanceTypeOfferings ?? []).some((o) => o.InstanceType === (ec2Type as _InstanceType));
  if (!offered) return { result: 'fail', detail: `EC2 does not offer ${ec2Type} in ${region}` };

  const quotaName = `${instanceType} for endpoint usage`;
  try {
    const value = await endpointQuota(clients.quotas, quotaName);
    if (value === undefined) return { result: 'unknown', detail: `${ec2Type} offered; no Service Quotas entry named "${quotaName}"` };
    return value > 0
      ? { result: 'pass', detail: `${ec2Type} offered; quota "${quotaName}" = ${value}` }
      : { result: 'fail', detail: `${ec2Type} offered, but quota "${quotaName}" is 0: request an increase in Service Quotas` };
  } catch (error) {
    return { result: 'unknown', detail: `${ec2Type} offered; quota "${quotaName}" could not be read (${describeError(error)})` };
  }
};

/** The account's applied SageMaker quota with this name, or undefined when Service Quotas has none. */
async function endpointQuota(quotas: ServiceQuotasClient, quotaName: string): Promise<number | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await quotas.send(new ListAWSDefaultServiceQuotasCommand({ ServiceCode: 'sagemaker', NextToken: nextToken }));
    const quota = (page.Quotas ?? []).find((q) => q.QuotaName === quotaName);
    if (quota?.QuotaCode) {
      const applied = await quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'sagemaker', QuotaCode: quota.QuotaCode }));
      return applied.Quota?.Value ?? quota.Value ?? 0;
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return undefined;
}

/** The interface endpoint service exists in the region. */
const vpcEndpointService: Probe = async (service, clients, { region }) => {
  const suffix = `.${region}.${service}`;
  const found = await clients.ec2.send(new DescribeVpcEndpointServicesCommand({}));
  const names = found.ServiceNames ?? [];
  return names.some((n) => n.endsWith(suffix))
    ? { result: 'pass', detail: `endpoint service *${suffix} offered` }
    : { result: 'fail', detail: `no endpoint service *${suffix} among ${names.length} offered; remove "${service}" from interfaceEndpoints` };
};

/** The configured models (or inference profiles) are listed for the account in the region. */
const bedrockModels: Probe = async (_arg, clients, { modelIds }) => {
  const models = await clients.bedrock.send(new ListFoundationModelsCommand({}));
  const profiles = await clients.bedrock.send(new ListInferenceProfilesCommand({}));
  const known = new Set([
    ...(models.modelSummaries ?? []).map((m) => m.modelId ?? ''),
    ...(profiles.inferenceProfileSummaries ?? []).map((p) => p.inferenceProfileId ?? ''),
  ]);
  const missing = modelIds.filter((id) => !known.has(id));
  return missing.length === 0
    ? { result: 'pass', detail: `listed: ${modelIds.join(', ') || '(no model configured)'}` }
    : { result: 'fail', detail: `not listed in this region: ${missing.join(', ')}; enable model access or pick a listed model` };
};

/** The Lambda API of the region accepts the runtime (ListLayers validates CompatibleRuntime). */
const lambdaRuntime: Probe = async (runtime, clients) => {
  await clients.lambda.send(new ListLayersCommand({ CompatibleRuntime: runtime as never, MaxItems: 1 }));
  return { result: 'pass', detail: `the Lambda API accepts runtime ${runtime}` };
};

const PROBES: Array<[RegExp, Probe]> = [
  [/^sagemaker:instance:(.+)$/, sagemakerInstance],
  [/^vpce:(.+)$/, vpcEndpointService],
  [/^apigateway:private-rest-api$/, (_a, c, ctx) => vpcEndpointService('execute-api', c, ctx)],
  [/^bedrock:model-list$/, bedrockModels],
  // A catalog model whose region row is unverified (e.g. gpt-oss): the same question, ListFoundationModels.
  [/^bedrock:model:.+$/, bedrockModels],
  [/^lambda:runtime:(.+)$/, lambdaRuntime],
];

/** Ask the account about one capability. Errors become `unknown` with the reason (e.g. no permission). */
export async function probeCapability(record: CapabilityRecord, clients: PreflightClients, context: ProbeContext): Promise<ProbeOutcome> {
  const base = { capability: record.capability, neededBy: record.neededBy };
  for (const [pattern, probe] of PROBES) {
    const match = pattern.exec(record.capability);
    if (!match) continue;
    try {
      return { ...base, ...(await probe(match[1] ?? '', clients, context)) };
    } catch (error) {
      return { ...base, result: 'unknown', detail: `could not ask: ${describeError(error)}` };
    }
  }
  // No API answers these without creating a resource (gateway endpoints' -fips hosts, arm64, Express workflows): say how to check by hand.
  const hint = verifyHint(record.capability, context.region);
  return { ...base, result: 'unknown', detail: hint ? `no API to ask; check by hand: ${hint}` : 'no probe for this capability; verify it by hand' };
}
