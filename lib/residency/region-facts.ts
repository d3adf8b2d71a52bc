/**
 * Region facts: what each supported region offers, as data. Every row carries
 * its source and a status. This is the ONLY file allowed to hold partition or
 * domain literals (`arn:aws`, `amazonaws.com`); everything else asks it.
 *
 * A fork that adds a region adds rows here, with sources. A fact without an
 * authoritative source is `unverified`: synth warns, and `npm run preflight`
 * asks the real account.
 */

import type { InferenceProfilePrefix } from '../contract/model-backend-config';

export enum FactStatus {
  AVAILABLE = 'available',
  UNAVAILABLE = 'unavailable',
  UNVERIFIED = 'unverified',
}

export type PartitionId = 'aws' | 'aws-us-gov';

export interface PartitionFacts {
  readonly id: PartitionId;
  readonly name: string;
  /** DNS suffix of the partition's service endpoints. */
  readonly dnsSuffix: string;
  /** The literal ARN prefix, used only by the residency guard to look for leaks. */
  readonly arnPrefix: string;
  readonly regions: readonly string[];
  readonly source: string;
}

const BOTOCORE_PARTITIONS = 'botocore data/partitions.json';

export const PARTITIONS: Readonly<Record<PartitionId, PartitionFacts>> = {
  aws: {
    id: 'aws',
    name: 'AWS commercial',
    dnsSuffix: 'amazonaws.com',
    arnPrefix: 'arn:aws:',
    regions: ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'],
    source: BOTOCORE_PARTITIONS,
  },
  'aws-us-gov': {
    id: 'aws-us-gov',
    name: 'AWS GovCloud (US)',
    dnsSuffix: 'amazonaws.com',
    arnPrefix: 'arn:aws-us-gov:',
    regions: ['us-gov-west-1', 'us-gov-east-1'],
    source: BOTOCORE_PARTITIONS,
  },
};

export const GOVCLOUD_REGIONS = PARTITIONS['aws-us-gov'].regions;
export const SUPPORTED_REGIONS: readonly string[] = Object.values(PARTITIONS).flatMap((p) => p.regions);

/** The partition a region belongs to, or undefined for a region this kit does not know. */
export function partitionOf(region: string): PartitionFacts | undefined {
  return Object.values(PARTITIONS).find((p) => p.regions.includes(region));
}

/** A fact about one capability in a set of regions. */
export interface CapabilityFact {
  readonly capability: string;
  readonly regions: readonly string[];
  readonly status: FactStatus;
  /** Where the fact comes from: a document, a source file, or why none was found. */
  readonly source: string;
  /** Why it is unavailable, in words a platform team understands. */
  readonly why?: string;
  /** What to do instead. */
  readonly alternative?: string;
}

const GOV_LAMBDA = 'docs.aws.amazon.com/govcloud-us/latest/UserGuide/govcloud-lambda.html';
const GOV_SFN = 'docs.aws.amazon.com/govcloud-us/latest/UserGuide/govcloud-step-functions.html';
const BEDROCK_AGENTS = 'docs.aws.amazon.com/bedrock/latest/userguide/agents-supported.html';
const BEDROCK_KB = 'docs.aws.amazon.com/bedrock/latest/userguide/kb-managed-regions.html';
const BEDROCK_GUARDRAILS = 'docs.aws.amazon.com/bedrock/latest/userguide/guardrails-supported.html';
const BEDROCK_NOVA_REGIONS =
  'docs.aws.amazon.com/bedrock/latest/userguide/copy-model-support.html (single-Region model support) and batch-inference-supported.html (Regions supporting the foundation model)';
/** Amazon Titan Text Embeddings V2 (docs.aws.amazon.com/bedrock/latest/userguide/titan-embedding-models.html). */
export const TITAN_TEXT_EMBEDDINGS_V2 = 'amazon.titan-embed-text-v2:0';
const BEDROCK_TITAN_EMBEDDINGS =
  'docs.aws.amazon.com/bedrock/latest/userguide/models-regions.html (Model support by AWS Region) and titan-embedding-models.html; ' +
  'aws-samples/sample-connector-for-bedrock (titan_embedings provider) calls it in us-east-1 and us-west-2';
const CFN_LINT_SPEC = 'cfn-lint 1.51 region spec (AWS::SageMaker::* absent in us-gov-east-1)';
// How to ask the account is the gate's to say (verifyHint), once per warning; a source says only what is known.
const NO_SOURCE = 'no authoritative source found';
const COMMERCIAL = PARTITIONS.aws.regions;
const GOV_WEST = ['us-gov-west-1'];
const GOV_EAST = ['us-gov-east-1'];

/** SageMaker ML instance types this kit knows, by family. */
export const NEURON_INSTANCE_TYPES = [
  'ml.trn1.2xlarge',
  'ml.trn1.32xlarge',
  'ml.trn2.48xlarge',
  'ml.inf2.xlarge',
  'ml.inf2.8xlarge',
  'ml.inf2.24xlarge',
  'ml.inf2.48xlarge',
] as const;

/** Interface endpoint services the runtime may call (the suffix after `com.amazonaws.{region}.`). */
export const INTERFACE_ENDPOINT_SERVICES = [
  'kms',
  'logs',
  'sts',
  'monitoring',
  'states',
  // StartSyncExecution (Express workflows) is served from its own host, sync-states.
  'sync-states',
  'lambda',
  'xray',
  'bedrock-runtime',
  'bedrock-agent-runtime',
  'sagemaker.runtime',
  'execute-api',
] as const;

const ALL_GOV = [...GOV_WEST, ...GOV_EAST];

/**
 * The capability table. Look-ups take the FIRST row whose capability and
 * region match; a capability/region pair with no row is `unverified`.
 */
export const CAPABILITY_FACTS: readonly CapabilityFact[] = [
  // --- Lambda -------------------------------------------------------------
  {
    capability: 'lambda:function-url',
    regions: ALL_GOV,
    status: FactStatus.UNAVAILABLE,
    source: GOV_LAMBDA,
    why: 'Lambda function URLs are not offered in AWS GovCloud (US).',
    alternative: 'Expose the function through the private REST API (API Gateway with IAM auth).',
  },
  { capability: 'lambda:function-url', regions: COMMERCIAL, status: FactStatus.AVAILABLE, source: 'docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html' },
  {
    capability: 'lambda:json-log-format',
    regions: ALL_GOV,
    status: FactStatus.UNAVAILABLE,
    source: GOV_LAMBDA,
    why: 'Lambda advanced logging controls (JSON log format) are not offered in AWS GovCloud (US).',
    alternative: 'Use the TEXT log format; Powertools Logger still writes one JSON object per line.',
  },
  { capability: 'lambda:json-log-format', regions: COMMERCIAL, status: FactStatus.AVAILABLE, source: 'docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html' },
  {
    capability: 'lambda:zip-cmk-encryption',
    regions: ALL_GOV,
    status: FactStatus.UNAVAILABLE,
    source: GOV_LAMBDA,
    why: 'Encrypting .zip deployment packages with a customer-managed key is not offered in AWS GovCloud (US).',
    alternative: 'Leave the package under the AWS-owned key; the asset bucket is still KMS-encrypted.',
  },
  { capability: 'lambda:runtime:nodejs22.x', regions: [...COMMERCIAL, ...ALL_GOV], status: FactStatus.AVAILABLE, source: 'aws-cdk-lib region-info LATEST_NODE_RUNTIME (nodejs24.x for aws-us-gov) implies 22.x' },
  { capability: 'lambda:runtime:nodejs24.x', regions: [...COMMERCIAL, ...ALL_GOV], status: FactStatus.AVAILABLE, source: 'aws-cdk-lib 2.276 region-info LATEST_NODE_RUNTIME' },
  { capability: 'lambda:arm64', regions: COMMERCIAL, status: FactStatus.AVAILABLE, source: 'docs.aws.amazon.com/lambda/latest/dg/foundation-arch.html' },
  // Streaming turns: API Gateway streams a REST API's response from a Lambda that streams its own (InvokeWithResponseStream).
  { capability: 'lambda:response-streaming', regions: COMMERCIAL, status: FactStatus.AVAILABLE, source: 'docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html' },
  {
    capability: 'lambda:response-streaming',
    regions: ALL_GOV,
    status: FactStatus.UNVERIFIED,
    source: `${GOV_LAMBDA} does not say; ${NO_SOURCE}`,
  },
  {
    capability: 'apigateway:rest-response-streaming',
    regions: [...COMMERCIAL, ...ALL_GOV],
    status: FactStatus.AVAILABLE,
    source: 'AWS What\'s New, 2025-11-19, "API Gateway response streaming for REST APIs": all commercial and AWS GovCloud (US) Regions',
  },
  { capability: 'lambda:arm64', regions: ALL_GOV, status: FactStatus.UNVERIFIED, source: `indirect evidence only; ${NO_SOURCE}` },

  // --- Step Functions -----------------------------------------------------
  {
    capability: 'states:http-task',
    regions: ALL_GOV,
    status: FactStatus.UNAVAILABLE,
    source: GOV_SFN,
    why: 'Step Functions HTTP tasks (third-party APIs) are not offered in AWS GovCloud (US).',
    alternative: 'Implement the tool as a Lambda function or an AWS SDK service integration.',
  },
  { capability: 'states:http-task', regions: COMMERCIAL, status: FactStatus.AVAILABLE, source: 'docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html' },
  {
    capability: 'states:test-state',
    regions: ALL_GOV,
    status: FactStatus.UNAVAILABLE,
    source: GOV_SFN,
    why: 'The Step Functions TestState API is not offered in AWS GovCloud (US).',
    alternative: 'Test state machines locally (aws-local-stepfunctions) or with a real execution.',
  },
  { capability: 'states:express', regions: COMMERCIAL, status: FactStatus.AVAILABLE, source: 'docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html' },
  { capability: 'states:express', regions: ALL_GOV, status: FactStatus.UNVERIFIED, source: `${GOV_SFN} does not say; ${NO_SOURCE}` },

  // --- SageMaker ----------------------------------------------------------
  {
    capability: 'sagemaker:hosting',
    regions: GOV_EAST,
    status: FactStatus.UNAVAILABLE,
    source: CFN_LINT_SPEC,
    why: 'SageMaker models, endpoint configurations and endpoints cannot be created in us-gov-east-1.',
    alternative:
      'Use the Bedrock backend in us-gov-east-1, or host the Neuron endpoint in us-gov-west-1 (add it to residency.regions if your rules allow data to stay within the GovCloud partition).',
  },
  { capability: 'sagemaker:hosting', regions: [...COMMERCIAL, ...GOV_WEST], status: FactStatus.AVAILABLE, source: 'docs.aws.amazon.com/general/latest/gr/sagemaker.html' },
  ...NEURON_INSTANCE_TYPES.map(
    (type): CapabilityFact => ({
      capability: `sagemaker:instance:${type}`,
      regions: GOV_EAST,
      status: FactStatus.UNAVAILABLE,
      source: CFN_LINT_SPEC,
      why: 'us-gov-east-1 has no SageMaker hosting at all.',
      alternative: 'Host the endpoint in us-gov-west-1 or use the Bedrock backend.',
    }),
  ),
  ...NEURON_INSTANCE_TYPES.map(
    (type): CapabilityFact => ({
      capability: `sagemaker:instance:${type}`,
      regions: GOV_WEST,
      status: FactStatus.UNVERIFIED,
      source: `SageMaker hosting of Trainium/Inferentia in GovCloud: ${NO_SOURCE}`,
    }),
  ),
  ...(['ml.trn1.2xlarge', 'ml.trn1.32xlarge', 'ml.inf2.xlarge', 'ml.inf2.8xlarge', 'ml.inf2.24xlarge', 'ml.inf2.48xlarge'] as const).map(
    (type): CapabilityFact => ({
      capability: `sagemaker:instance:${type}`,
      regions: ['us-east-1', 'us-east-2', 'us-west-2'],
      status: FactStatus.AVAILABLE,
      source: 'aws.amazon.com/sagemaker/pricing (real-time inference, Inf2 and Trn1 rows)',
    }),
  ),

  // --- Bedrock ------------------------------------------------------------
  { capability: 'bedrock:runtime', regions: [...COMMERCIAL, ...ALL_GOV], status: FactStatus.AVAILABLE, source: 'botocore endpoints.json (bedrock-runtime in both GovCloud regions)' },
  { capability: 'bedrock:agents', regions: GOV_WEST, status: FactStatus.AVAILABLE, source: `${BEDROCK_AGENTS} (closed to new customers from 2026-07-30)` },
  {
    capability: 'bedrock:agents',
    regions: GOV_EAST,
    status: FactStatus.UNAVAILABLE,
    source: BEDROCK_AGENTS,
    why: 'Bedrock Agents run only in us-gov-west-1 within GovCloud.',
    alternative: 'Use InvokeInlineAgent in us-gov-west-1, or the Converse backend with Step Functions tools.',
  },
  { capability: 'bedrock:agents', regions: ['us-east-1', 'us-west-2'], status: FactStatus.AVAILABLE, source: BEDROCK_AGENTS },
  { capability: 'bedrock:knowledge-bases', regions: GOV_WEST, status: FactStatus.AVAILABLE, source: `${BEDROCK_KB} (S3 data sources only, your own embedding model)` },
  {
    capability: 'bedrock:knowledge-bases',
    regions: GOV_EAST,
    status: FactStatus.UNAVAILABLE,
    source: BEDROCK_KB,
    why: 'Managed knowledge bases run only in us-gov-west-1 within GovCloud.',
    alternative: 'Retrieve from a knowledge base in us-gov-west-1 (within-partition residency) or run retrieval as your own tool.',
  },
  { capability: 'bedrock:knowledge-bases', regions: ['us-east-1', 'us-west-2'], status: FactStatus.AVAILABLE, source: BEDROCK_KB },
  // Guardrails (ApplyGuardrail): the four US commercial regions and both GovCloud regions are listed.
  { capability: 'bedrock:guardrails', regions: [...COMMERCIAL, ...ALL_GOV], status: FactStatus.AVAILABLE, source: BEDROCK_GUARDRAILS },
  // The CloudFormation types that create a guardrail and publish its version.
  ...(['AWS::Bedrock::Guardrail', 'AWS::Bedrock::GuardrailVersion'] as const).flatMap((type): CapabilityFact[] => [
    {
      capability: `cloudformation:${type}`,
      regions: COMMERCIAL,
      status: FactStatus.AVAILABLE,
      source: `docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-${type.split('::')[2].toLowerCase()}.html; cfn-lint 1.51 region spec lists it in the four US commercial regions`,
    },
    {
      capability: `cloudformation:${type}`,
      regions: ALL_GOV,
      status: FactStatus.UNVERIFIED,
      source:
        `${type} in GovCloud CloudFormation: ${NO_SOURCE}; indirect evidence only (cfn-lint 1.51 region spec lists it in both GovCloud regions)`,
    },
  ]),
  { capability: 'bedrock:agentcore', regions: GOV_WEST, status: FactStatus.AVAILABLE, source: `${BEDROCK_AGENTS} (subset of features)` },
  {
    capability: 'bedrock:agentcore',
    regions: GOV_EAST,
    status: FactStatus.UNAVAILABLE,
    source: BEDROCK_AGENTS,
    why: 'Bedrock AgentCore runs only in us-gov-west-1 within GovCloud.',
    alternative: 'Use the orchestrator Lambda in this kit, or AgentCore in us-gov-west-1.',
  },
  // --- Bedrock models (the kit's catalog; a model without a row is unverified) ---
  // Nova Pro in-region: listed with single-Region support in us-east-1 and us-gov-west-1.
  { capability: 'bedrock:model:amazon.nova-pro-v1:0', regions: ['us-east-1', ...GOV_WEST], status: FactStatus.AVAILABLE, source: BEDROCK_NOVA_REGIONS },
  { capability: 'bedrock:model:amazon.nova-lite-v1:0', regions: ['us-east-1', ...GOV_WEST], status: FactStatus.AVAILABLE, source: BEDROCK_NOVA_REGIONS },
  { capability: 'bedrock:model:anthropic.claude-3-haiku-20240307-v1:0', regions: ['us-east-1'], status: FactStatus.AVAILABLE, source: 'docs.aws.amazon.com/bedrock/latest/userguide/models-region-compatibility.html (in-Region)' },
  // OpenAI's open-weight models: the regions that serve them on Bedrock (GovCloud included) have no authoritative list here.
  ...(['openai.gpt-oss-120b-1:0', 'openai.gpt-oss-20b-1:0'] as const).map(
    (model): CapabilityFact => ({
      capability: `bedrock:model:${model}`,
      regions: [...COMMERCIAL, ...ALL_GOV],
      status: FactStatus.UNVERIFIED,
      source: `where ${model} runs in-Region: ${NO_SOURCE}`,
    }),
  ),
  // Embedding models memory recall may rank with (EMBEDDING_MODELS below). Titan Text Embeddings V2 on Bedrock:
  // listed here only where a source shows it; GovCloud has no row (unverified: synth warns, preflight asks).
  { capability: `bedrock:model:${TITAN_TEXT_EMBEDDINGS_V2}`, regions: ['us-east-1', 'us-west-2'], status: FactStatus.AVAILABLE, source: BEDROCK_TITAN_EMBEDDINGS },
  {
    capability: 'bedrock:model-list',
    regions: [...COMMERCIAL, ...ALL_GOV],
    status: FactStatus.UNVERIFIED,
    source: `exact model list per region: ${NO_SOURCE}`,
  },

  // --- Networking ---------------------------------------------------------
  ...INTERFACE_ENDPOINT_SERVICES.map(
    (service): CapabilityFact => ({
      capability: `vpce:${service}`,
      regions: ['us-east-1', 'us-east-2', 'us-west-2'],
      status: FactStatus.AVAILABLE,
      source: 'docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html',
    }),
  ),
  ...(['kms', 'logs', 'sts', 'monitoring', 'lambda', 'states', 'xray'] as const).map(
    (service): CapabilityFact => ({
      capability: `vpce:${service}`,
      regions: ALL_GOV,
      status: FactStatus.AVAILABLE,
      source: 'docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-vpc-endpoints.html',
    }),
  ),
  ...(['bedrock-runtime', 'bedrock-agent-runtime', 'sagemaker.runtime', 'execute-api', 'sync-states'] as const).map(
    (service): CapabilityFact => ({
      capability: `vpce:${service}`,
      regions: ALL_GOV,
      status: FactStatus.UNVERIFIED,
      source: `VPC interface endpoint services per GovCloud region: ${NO_SOURCE}`,
    }),
  ),
  // FIPS endpoint services: what the functions reach when residency.fips is on.
  ...(['kms', 'lambda', 'bedrock-runtime', 'states'] as const).map(
    (service): CapabilityFact => ({
      capability: `vpce:${service}-fips`,
      regions: [...ALL_GOV, 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'],
      status: FactStatus.UNVERIFIED,
      source: `a PrivateLink endpoint service for the ${service}-fips host: ${NO_SOURCE}`,
    }),
  ),
  ...(['dynamodb', 's3'] as const).map(
    (service): CapabilityFact => ({
      capability: `vpce-gateway:${service}-fips`,
      regions: [...ALL_GOV, 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'],
      status: FactStatus.UNVERIFIED,
      source: `whether the ${service} gateway endpoint's prefix list covers the ${service}-fips host: ${NO_SOURCE}`,
    }),
  ),
  { capability: 'apigateway:private-rest-api', regions: COMMERCIAL, status: FactStatus.AVAILABLE, source: 'docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-apis.html' },
  { capability: 'apigateway:private-rest-api', regions: ALL_GOV, status: FactStatus.UNVERIFIED, source: `Private REST APIs in GovCloud: ${NO_SOURCE}` },

  // --- FIPS ---------------------------------------------------------------
  { capability: 'fips:endpoints', regions: [...ALL_GOV, 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'], status: FactStatus.AVAILABLE, source: 'botocore endpoints.json (-fips variants in US regions)' },
];

/**
 * The Bedrock embedding models the kit knows (memory recall ranks records
 * with one; without one it ranks lexically). A target's default embedding
 * model is the first of these its region's facts mark `available`.
 */
export const EMBEDDING_MODELS: readonly string[] = [TITAN_TEXT_EMBEDDINGS_V2];

/** The region's in-region embedding model, where the facts list one as available; undefined: lexical ranking. */
export function regionEmbeddingModel(region: string): string | undefined {
  return EMBEDDING_MODELS.find((model) => findFact(`bedrock:model:${model}`, region)?.status === FactStatus.AVAILABLE);
}

/** Where a profile of one prefix sends its global requests: any commercial region, so no residency list can hold it. */
export const ANY_COMMERCIAL_REGION = 'any-commercial-region';

/**
 * Where Bedrock may process a request sent to a system-defined inference
 * profile of one prefix (its destination regions). A profile is acceptable
 * only when every one of its routes is an allowed region.
 */
export interface InferenceProfileRouteFact {
  readonly prefix: InferenceProfilePrefix;
  /** The union over the prefix's models and source regions; ANY_COMMERCIAL_REGION for `global.`. */
  readonly routes: readonly string[] | typeof ANY_COMMERCIAL_REGION;
  /** `unverified`: the routes are a best guess; the profile is still accepted only when all of them are allowed, and synth warns. */
  readonly status: FactStatus.AVAILABLE | FactStatus.UNVERIFIED;
  readonly source: string;
}

const BEDROCK_PROFILES = 'docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html';
const BEDROCK_GEO_PROFILES = 'docs.aws.amazon.com/bedrock/latest/userguide/geographic-cross-region-inference.html';
const CDK_BEDROCK_ALPHA = 'aws-cdk @aws-cdk/aws-bedrock-alpha CrossRegionInferenceProfileRegion ("according to the model chosen, this might include")';
const NO_PROFILE_LIST =
  `no complete list found (${BEDROCK_PROFILES} gives destinations per model); ask the account: ` +
  '`aws bedrock get-inference-profile --inference-profile-identifier <id>` lists a model ARN per destination region';

/** Destination regions of each inference-profile prefix (the prefixes are lib/contract/model-backend-config.ts's). */
export const INFERENCE_PROFILE_ROUTES: Readonly<Record<InferenceProfilePrefix, InferenceProfileRouteFact>> = {
  us: {
    prefix: 'us',
    routes: ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'],
    status: FactStatus.AVAILABLE,
    source:
      `${BEDROCK_GEO_PROFILES} (a request made in the US stays in the US Regions); ${BOTOCORE_PARTITIONS} (the commercial US Regions are these four); ` +
      'us-west-1 is among the destinations of us. profiles (docs.aws.amazon.com/bedrock/latest/userguide/bda-cris.html)',
  },
  'us-gov': {
    prefix: 'us-gov',
    routes: ['us-gov-west-1', 'us-gov-east-1'],
    status: FactStatus.AVAILABLE,
    source: `${BEDROCK_PROFILES} (us-gov. profiles route within AWS GovCloud (US)); ${BOTOCORE_PARTITIONS} (the aws-us-gov partition has these two Regions only)`,
  },
  eu: {
    prefix: 'eu',
    routes: ['eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3'],
    status: FactStatus.UNVERIFIED,
    source: `${CDK_BEDROCK_ALPHA}; ${NO_PROFILE_LIST}`,
  },
  apac: {
    prefix: 'apac',
    routes: [
      'ap-northeast-1',
      'ap-northeast-2',
      'ap-northeast-3',
      'ap-south-1',
      'ap-south-2',
      'ap-southeast-1',
      'ap-southeast-2',
      'ap-southeast-3',
      'ap-southeast-4',
      'ap-southeast-5',
      'ap-southeast-7',
      'ap-east-2',
      // The APAC geography includes the Middle East (UAE).
      'me-central-1',
    ],
    status: FactStatus.UNVERIFIED,
    source: `${CDK_BEDROCK_ALPHA}; ${NO_PROFILE_LIST}`,
  },
  jp: { prefix: 'jp', routes: ['ap-northeast-1', 'ap-northeast-3'], status: FactStatus.UNVERIFIED, source: `${CDK_BEDROCK_ALPHA}; ${NO_PROFILE_LIST}` },
  au: { prefix: 'au', routes: ['ap-southeast-2', 'ap-southeast-4'], status: FactStatus.UNVERIFIED, source: `${CDK_BEDROCK_ALPHA}; ${NO_PROFILE_LIST}` },
  ca: {
    prefix: 'ca',
    routes: ['ca-central-1', 'ca-west-1'],
    status: FactStatus.UNVERIFIED,
    source: `no Bedrock source found for a ca. geography; assumed to stay in Canada's Regions (${BOTOCORE_PARTITIONS}); ${NO_PROFILE_LIST}`,
  },
  global: {
    prefix: 'global',
    routes: ANY_COMMERCIAL_REGION,
    status: FactStatus.AVAILABLE,
    source: `${BEDROCK_PROFILES} ("the destination Regions for Global cross-Region inference profiles include all commercial Regions")`,
  },
};

/** The routes of a profile that are not allowed regions (every one, in words, for `global.`). */
export function profileRoutesOutside(fact: InferenceProfileRouteFact, allowedRegions: readonly string[]): readonly string[] {
  if (fact.routes === ANY_COMMERCIAL_REGION) return ['any commercial region worldwide'];
  return fact.routes.filter((region) => !allowedRegions.includes(region));
}

/** The first fact for a capability in a region, if any row covers it. */
export function findFact(capability: string, region: string): CapabilityFact | undefined {
  return CAPABILITY_FACTS.find((f) => f.capability === capability && f.regions.includes(region));
}

/**
 * How a service's FIPS 140 endpoint is reached in a region:
 * `standard` - the normal host already terminates TLS with FIPS-validated modules;
 * `fips-host` - a separate `-fips` host exists (SDK v3: `useFipsEndpoint: true`).
 */
export type FipsEndpointKind = 'standard' | 'fips-host';

interface FipsFact {
  readonly service: string;
  readonly regions: readonly string[];
  readonly kind: FipsEndpointKind;
  readonly source: string;
}

const BOTOCORE_ENDPOINTS = 'botocore data/endpoints.json';

export const FIPS_ENDPOINT_FACTS: readonly FipsFact[] = [
  ...['sts', 'logs', 'monitoring', 'events', 'ssm', 'sqs', 'sns', 'cloudtrail', 'cloudformation', 'runtime.sagemaker', 'streams.dynamodb'].map(
    (service): FipsFact => ({ service, regions: ALL_GOV, kind: 'standard', source: BOTOCORE_ENDPOINTS }),
  ),
  { service: 'states', regions: GOV_WEST, kind: 'standard', source: `${BOTOCORE_ENDPOINTS}; ${GOV_SFN} (us-gov-west-1 accepts FIPS endpoints only)` },
  { service: 'states', regions: GOV_EAST, kind: 'fips-host', source: BOTOCORE_ENDPOINTS },
  ...['dynamodb', 'kms', 'lambda', 's3', 'api.sagemaker', 'ecr', 'bedrock', 'bedrock-runtime'].map(
    (service): FipsFact => ({ service, regions: ALL_GOV, kind: 'fips-host', source: BOTOCORE_ENDPOINTS }),
  ),
  ...['dynamodb', 'kms', 'lambda', 's3', 'sts', 'states', 'bedrock-runtime', 'runtime.sagemaker'].map(
    (service): FipsFact => ({ service, regions: ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'], kind: 'fips-host', source: BOTOCORE_ENDPOINTS }),
  ),
];

/** How to reach the FIPS endpoint of a service in a region; undefined when no fact is recorded. */
export function fipsEndpointKind(service: string, region: string): FipsEndpointKind | undefined {
  return FIPS_ENDPOINT_FACTS.find((f) => f.service === service && f.regions.includes(region))?.kind;
}

/**
 * Registry accounts of the AWS Deep Learning Containers (Neuron serving images).
 * aws-cdk-lib's region-info has no GovCloud rows for these
 * (`FactName.DLC_REPOSITORY_ACCOUNT` throws for us-gov-west-1).
 */
export interface RegistryAccountFact {
  readonly account: string;
  readonly source: string;
}

const SAGEMAKER_SDK_IMAGES = 'aws/sagemaker-python-sdk image_uri_config/djl-neuronx.json, huggingface-llm-neuronx.json';

export const DLC_REGISTRY_ACCOUNTS: Readonly<Record<string, RegistryAccountFact>> = {
  'us-east-1': { account: '763104351884', source: SAGEMAKER_SDK_IMAGES },
  'us-east-2': { account: '763104351884', source: SAGEMAKER_SDK_IMAGES },
  'us-west-1': { account: '763104351884', source: SAGEMAKER_SDK_IMAGES },
  'us-west-2': { account: '763104351884', source: SAGEMAKER_SDK_IMAGES },
  'us-gov-west-1': { account: '442386744353', source: SAGEMAKER_SDK_IMAGES },
  'us-gov-east-1': { account: '446045086412', source: `${SAGEMAKER_SDK_IMAGES}; the west account does not serve east (aws/deep-learning-containers#3105)` },
};

/**
 * IAM service principal names (`cloudtrail.amazonaws.com`) are the same in
 * every partition this kit supports; aws-cdk-lib's ServicePrincipal maps the
 * few regional exceptions. Build them here so no other file holds the domain.
 */
const SERVICE_PRINCIPAL_DOMAIN = 'amazonaws.com';

export function servicePrincipalName(service: string): string {
  return `${service}.${SERVICE_PRINCIPAL_DOMAIN}`;
}

/** Services whose SDK clients need `useFipsEndpoint: true` in a region (a separate -fips host). */
export function fipsHostServices(region: string): string[] {
  return FIPS_ENDPOINT_FACTS.filter((f) => f.kind === 'fips-host' && f.regions.includes(region)).map((f) => f.service);
}
