import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { SAGEMAKER_ENDPOINT_NAME, SAGEMAKER_ENDPOINT_NAME_RULE } from '../contract/model-backend-config';
import { AGENT_NAME_PATTERN, AGENT_NAME_RULE, MAX_INSTRUCTIONS_BYTES } from '../contract/agent';
import { BACKGROUND_DEFAULTS, MAX_BACKGROUND_ROUNDS } from '../contract/agent-loop';
import { SESSION_LIMIT_BOUNDS, type ConfigurableSessionLimit } from '../contract/session-limits';
import { TOOL_CATALOG } from '../tools/catalog';
import { MODEL_SIZES } from '../cost/neuron-throughput';
import { DEFAULT_RECALL_TOKENS, MEMORY_BOUNDS, MEMORY_KINDS } from '../contract/memory-table';
import { EMBEDDING_MODELS, INTERFACE_ENDPOINT_SERVICES, NEURON_INSTANCE_TYPES } from '../residency/region-facts';
import { CROSS_REGION_INFERENCE } from '../residency/residency';

/**
 * The typed Statehouse configuration. This file only describes shapes and
 * per-field rules; rules that need the region-facts table (partitions,
 * capabilities) or several fields live in `load.ts`. Nothing here knows a
 * construct: lib/stacks/target-props.ts turns a parsed target into construct props.
 */

const REGION_PATTERN = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const ACCOUNT_PATTERN = /^\d{12}$/;
const TARGET_NAME_PATTERN = /^[A-Z][A-Za-z0-9]{0,31}$/;

/** Finite retentions CloudWatch Logs accepts (never "infinite": AU-11 sets an end). */
const LOG_RETENTION_CHOICES: number[] = Object.values(RetentionDays).filter(
  (v): v is number => typeof v === 'number' && v !== RetentionDays.INFINITE,
);

const region = z
  .string()
  .regex(REGION_PATTERN, { message: 'must be an AWS region id such as "us-east-1" or "us-gov-west-1"' });

export const residencySchema = z
  .object({
    /** Regions where data may be stored and processed. The target's own region must be one of them. */
    regions: z
      .array(region, { message: 'must list the regions where the data may be stored and processed, the target region among them (e.g. ["us-gov-west-1"])' })
      .min(1, { message: 'must list at least one region (the target region)' }),
    /**
     * `deny`: Bedrock inference profiles are refused; every model call stays in the target region.
     * `within-partition`: profiles that route between the allowed regions of one partition are allowed.
     * @default RESIDENCY_DEFAULTS.crossRegionInference ('deny')
     */
    crossRegionInference: z
      .enum(CROSS_REGION_INFERENCE, {
        message: `must be one of ${CROSS_REGION_INFERENCE.map((v) => `"${v}"`).join(', ')}`,
      })
      .optional(),
    /** Use FIPS 140 endpoints for every SDK client where the partition offers them. @default RESIDENCY_DEFAULTS.fips: on in GovCloud, off in commercial */
    fips: z.boolean({ message: 'must be true or false' }).optional(),
  }, { message: 'must say where the target\'s data may be stored and processed, e.g. {"regions": ["us-gov-west-1"]} (crossRegionInference and fips have defaults)' })
  .strict();
/** Residency as written: crossRegionInference and fips may be left to RESIDENCY_DEFAULTS. */
export type ResidencySettings = z.infer<typeof residencySchema>;
/** Residency with its defaults filled in: what the stacks, the gate and the guard are built from. */
export type ResidencyConfig = Required<ResidencySettings>;

const modelId = z.string().min(1, { message: 'must name a model' }).max(256);
const maxTokens = z.number().int().positive().max(32768);
const endpointName = z.string().regex(SAGEMAKER_ENDPOINT_NAME, { message: `must be a SageMaker endpoint name: ${SAGEMAKER_ENDPOINT_NAME_RULE}` });

const MODEL_KINDS = ['bedrock-converse', 'sagemaker', 'neuron'] as const;

/** A kind the kit no longer offers: why it went, and what to use instead. */
const REMOVED_MODEL_KINDS: ReadonlyMap<string, string> = new Map([
  [
    'bedrock-agent',
    'Amazon Bedrock Agents (now "Agents Classic") no longer takes new customers from 2026-07-30 and runs only in us-gov-west-1 within GovCloud ' +
    '(docs.aws.amazon.com/bedrock/latest/userguide/agents-classic-maintenance-mode.html, .../agents-supported.html), and its inline agent never called the session\'s tools. ' +
    'Use {"kind": "bedrock-converse", "modelId": "<the foundationModel you had>"}: the orchestrator runs the tool loop itself, with the tools of tools.enabled',
  ],
]);

/**
 * A model backend. An inference profile (`us.`, `us-gov.` ids) is accepted
 * only with residency.crossRegionInference = within-partition and every
 * region it routes to in residency.regions (load.ts). `neuron` is this
 * target's own Neuron endpoint (the `neuron` field), valid only when that
 * field is set.
 */
export const modelSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('bedrock-converse'), modelId, maxTokens: maxTokens.optional() }).strict(),
    z.object({ kind: z.literal('sagemaker'), endpointName, stream: z.boolean().optional(), maxTokens: maxTokens.optional() }).strict(),
    z.object({ kind: z.literal('neuron'), stream: z.boolean().optional(), maxTokens: maxTokens.optional() }).strict(),
  ],
  {
    error: (issue) => {
      const kind = (issue.input as { kind?: unknown } | undefined)?.kind;
      const removed = typeof kind === 'string' ? REMOVED_MODEL_KINDS.get(kind) : undefined;
      return removed ? `"${kind}" is no longer a model kind: ${removed}.` : `kind must be one of ${MODEL_KINDS.map((k) => `"${k}"`).join(', ')}`;
    },
  },
);
export type ModelConfig = z.infer<typeof modelSchema>;

/** The model server of the Neuron serving image (lib/stacks/target-props.ts maps each to ServingImage.lmiNeuronx / tgiNeuronx). */
export const NEURON_SERVERS = ['lmi', 'tgi'] as const;
export type NeuronServer = (typeof NEURON_SERVERS)[number];
/** `working-hours`: full capacity on workdays, the off-hours bounds otherwise; `always-on`: one set of bounds all week. */
export const NEURON_SCHEDULES = ['working-hours', 'always-on'] as const;
export type NeuronSchedule = (typeof NEURON_SCHEDULES)[number];

const oneOf = (values: readonly string[]) => `must be one of ${values.map((v) => `"${v}"`).join(', ')}`;
const positiveInt = (what: string) => z.number({ message: `must be a number (${what})` }).int({ message: 'must be a whole number' }).positive({ message: 'must be positive' });
const wholeHour = z.number({ message: 'must be a number (an hour of the day)' }).int({ message: 'must be a whole hour' });

/** The same rule ServingImage applies: an ECR tag, and a Neuron one. */
const ECR_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** S3 key characters AWS calls safe; a prefix, so no leading "/". */
const S3_PREFIX = /^[A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()\/-]{0,1023}$/;

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * When the endpoint runs at full capacity: the options of NeuronEndpoint's
 * ScalingSchedule.workingHours(), which checks their ranges (hours, days,
 * capacities) and reports each problem with this field's name.
 */
export const workingHoursSchema = z
  .object({
    /** IANA time zone of the working hours. @default America/New_York */
    timeZone: z.string().refine(isTimeZone, { message: 'must be an IANA time zone such as "America/New_York" or "America/Denver"' }).optional(),
    /** Hour (0-23) the working-hours capacity starts. @default 8 */
    startHour: wholeHour.optional(),
    /** Hour (1-23) the off-hours capacity starts. @default 18 */
    endHour: wholeHour.optional(),
    /** Cron day names and ranges, e.g. "MON-FRI" or "MON,WED,FRI". @default "MON-FRI" */
    workdays: z.string({ message: 'must be cron day names and ranges such as "MON-FRI"' }).optional(),
    /** Instances outside working hours. @default 1 (a real-time endpoint cannot scale to zero) */
    offHoursMinCapacity: positiveInt('instances').optional(),
    /** @default 1 */
    offHoursMaxCapacity: positiveInt('instances').optional(),
  })
  .strict();

/**
 * This target's Neuron endpoint (SageMaker real-time endpoint on Trainium or
 * Inferentia). Setting it adds
 * the weights bucket to the State stack and the Inference stack; a model of
 * kind `neuron` then calls it. Serving settings left out take the instance
 * size's defaults (lib/constructs/neuron-endpoint/neuron-endpoint-defaults.ts).
 */
export const neuronSchema = z
  .object({
    /** @default `statehouse-<target lowercase>-llm` */
    endpointName: endpointName.optional(),
    instanceType: z.enum(NEURON_INSTANCE_TYPES, { message: `${oneOf(NEURON_INSTANCE_TYPES)} (lib/residency/region-facts.ts NEURON_INSTANCE_TYPES)` }),
    /** @default `lmi` */
    server: z.enum(NEURON_SERVERS, { message: `${oneOf(NEURON_SERVERS)} (DJL LMI or Hugging Face TGI, both for Neuron)` }).optional(),
    /** Serving image tag. @default the newest Neuron tag the kit knows for the server */
    imageTag: z
      .string()
      .regex(ECR_TAG, { message: 'must be an image tag: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"' })
      .refine((tag) => tag.includes('neuronx'), { message: 'must be a Neuron image tag (it contains "neuronx", e.g. "0.29.0-neuronx-sdk2.19.1"); GPU images cannot run on Trainium or Inferentia' })
      .optional(),
    /** Key prefix of the staged weights in the kit's weights bucket (State stack), e.g. `llama-3-8b/`. */
    weightsPrefix: z.string({ message: 'must be the S3 key prefix of the staged weights in the weights bucket, e.g. "llama-3-8b/"' }).regex(S3_PREFIX, {
      message: 'must be an S3 key prefix without a leading "/", of letters, digits and !_.*\'()-/ (at most 1024), e.g. "llama-3-8b/"',
    }),
    /** Model size for the cost per output token (benchmarks exist for Llama 3 8B and 70B). @default 8B in the estimate */
    modelSize: z.enum(MODEL_SIZES, { message: `${oneOf(MODEL_SIZES)} (the Llama 3 sizes with Neuron benchmarks)` }).optional(),
    /** NeuronCores one model copy is sharded over. @default per instance size */
    tensorParallelDegree: positiveInt('NeuronCores').optional(),
    /** Longest sequence, prompt and answer together. @default per instance size */
    maxSequenceLength: positiveInt('tokens').optional(),
    /** Requests batched together. @default per instance size */
    maxBatchSize: positiveInt('requests').optional(),
    /** Instances during working hours (all week with `always-on`). @default 1 */
    minCapacity: positiveInt('instances').optional(),
    /** @default 2 */
    maxCapacity: positiveInt('instances').optional(),
    /** @default `working-hours` */
    schedule: z.enum(NEURON_SCHEDULES, { message: oneOf(NEURON_SCHEDULES) }).optional(),
    /** Only with `schedule: working-hours`. @default Monday to Friday 08:00-18:00 America/New_York, one instance otherwise */
    workingHours: workingHoursSchema.optional(),
  })
  .strict();
export type NeuronSettings = z.infer<typeof neuronSchema>;

/** One configurable session limit, within the bounds the functions check again at cold start. */
function sessionLimit(limit: ConfigurableSessionLimit, what: string) {
  const { min, max, why } = SESSION_LIMIT_BOUNDS[limit];
  return z
    .number({ message: `must be a number (${what})` })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max} (${why})` });
}

/** Session limits (lib/contract/session-limits.ts SessionLimits; defaults DEFAULT_SESSION_LIMITS). */
export const sessionSchema = z
  .object({
    /** Newest events loaded per turn (K). */
    contextEvents: sessionLimit('contextEvents', 'events per turn'),
    /** Token budget of the context sent to the model: summary + newest events. */
    contextTokens: sessionLimit('contextTokens', 'tokens'),
    /** Tokens a session may spend in total before turns are refused (429). */
    tokenBudget: sessionLimit('tokenBudget', 'tokens'),
    /** Days after the last turn before a session expires (TTL). */
    ttlDays: sessionLimit('ttlDays', 'days'),
    /** Contents above this many bytes go to the payload bucket first. */
    inlineThresholdBytes: sessionLimit('inlineThresholdBytes', 'bytes'),
  })
  .strict();

/**
 * Background turns (lib/contract/agent-loop.ts): the agent loop, a Standard
 * state machine, runs a turn round by round with the round function. Unset
 * fields take BACKGROUND_TURN_DEFAULTS (lib/config/defaults.ts).
 */
export const backgroundSchema = z
  .object({
    /** Deploy the agent loop and the round function. `false`: turns run within the API call only. @default true */
    enabled: z.boolean({ message: 'must be true or false' }).optional(),
    /** A turn's deadline; past it the turn ends `incomplete`, its work kept. @default BACKGROUND_DEFAULTS.deadlineSeconds */
    deadlineSeconds: z
      .number({ message: 'must be a number of seconds' })
      .int({ message: 'must be a whole number of seconds' })
      .min(1, { message: 'must be at least 1 second' })
      .max(BACKGROUND_DEFAULTS.maxDeadlineSeconds, {
        message: `must be at most ${BACKGROUND_DEFAULTS.maxDeadlineSeconds} (a day: a background turn is one task, not a job queue); split longer work into several turns`,
      })
      .optional(),
    /** Model calls one background turn may make. @default BACKGROUND_DEFAULTS.maxRounds */
    maxRounds: z
      .number({ message: 'must be a number of rounds' })
      .int({ message: 'must be a whole number of rounds' })
      .min(1, { message: 'must be at least 1 (a turn asks the model at least once)' })
      .max(MAX_BACKGROUND_ROUNDS, {
        message: `must be at most ${MAX_BACKGROUND_ROUNDS} (each round adds to the execution's history, which Step Functions caps); split longer work into several turns`,
      })
      .optional(),
  })
  .strict();
export type BackgroundSettings = z.infer<typeof backgroundSchema>;

const TENANT_ID = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'tenant ids are lowercase letters, digits and hyphens (max 63)' });

/** Names of the tools in lib/tools/catalog.ts: the only tools a target can enable. */
export const TOOL_NAMES = TOOL_CATALOG.map((tool) => tool.name) as [string, ...string[]];

const toolName = z.enum(TOOL_NAMES, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a tool of lib/tools/catalog.ts; use one of ${TOOL_NAMES.map((n) => `"${n}"`).join(', ')}, or declare the tool there first.`,
});

/** Addresses subscribed to a topic of the kit. */
const emailAddresses = z.array(z.email({ message: 'must be an email address' })).max(20, { message: 'may list at most 20 addresses; subscribe a distribution list instead' });

/** What the Operations construct notifies (README, Operations). */
const operationsSchema = z
  .object({
    /** Subscribed to the operations alarms topic; each address confirms its subscription first. @default none */
    alarmEmails: emailAddresses.optional(),
  })
  .strict();

export const toolsSchema = z
  .object({
    /**
     * Tools the model may call in this target. Default: every catalog tool the
     * region offers (its `requiresCapability` is available) whose settings are
     * given (`search_knowledge_base` only with `knowledgeBaseId`). An enabled
     * tool is checked by the capability gate: unavailable fails synth.
     */
    enabled: z.array(toolName).optional(),
    /**
     * Tenant id → the enabled tools that tenant may call. A tenant not listed
     * may call every enabled tool. Shorthand for Cedar: each tenant listed
     * becomes a forbid of every other tool (lib/policy/tenant-tool-policies.ts),
     * next to lib/policy/default.cedar and the policyFiles.
     */
    policy: z.record(TENANT_ID, z.array(toolName)),
    /**
     * This target's own Cedar tool policies (`.cedar` files), added to
     * lib/policy/default.cedar; paths relative to the directory synth runs
     * in. Validated against lib/policy/statehouse.cedarschema at synth.
     * @default none
     */
    policyFiles: z.array(z.string().regex(/\.cedar$/, { message: 'must be the path of a .cedar file, e.g. "policy/my-agency.cedar"' })).optional(),
    /**
     * IAM role ARN (a role of `tenants`) → attributes of its callers that the
     * policies read (`principal.office`), each declared on Statehouse::Actor
     * in lib/policy/statehouse.cedarschema. @default none
     */
    actors: z
      .record(
        z.string(),
        z.record(
          z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: 'attribute names are Cedar identifiers: letters, digits and "_", not starting with a digit' }),
          z.string({ message: 'must be a string' }).max(256, { message: 'must be at most 256 characters' }),
        ),
      )
      .optional(),
    /** Bedrock knowledge base id (10 letters or digits) the `search_knowledge_base` tool retrieves from. */
    knowledgeBaseId: z.string().regex(/^[0-9a-zA-Z]{10}$/, { message: 'must be a Bedrock knowledge base id: 10 letters or digits, e.g. "KB12345678"' }).optional(),
    /**
     * Email addresses subscribed to the approval notices topic: each is told
     * when a call waits for approval (session, tool and requester; never the
     * tool's input). Each address confirms its subscription first.
     * @default none: the topic exists for a team to subscribe a chat channel or a queue to it
     */
    approvalEmails: emailAddresses.optional(),
  })
  .strict();

/** EC2 resource ids: the prefix, then 8 (older) or 17 hexadecimal digits. */
function ec2Id(prefix: string, what: string) {
  const example = `${prefix}-0123456789abcdef0`;
  return z.string({ message: `must be ${what} id such as "${example}"` }).regex(new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`), {
    message: `must be ${what} id such as "${example}" ("${prefix}-" and 8 or 17 hexadecimal digits)`,
  });
}
const vpcEndpointId = ec2Id('vpce', 'a VPC endpoint');
const VPC_CIDR_RULE = 'must be the VPC\'s IPv4 CIDR, /16 to /28, e.g. "10.30.0.0/16"';
const zoneName = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, { message: 'must be zone names such as "us-gov-west-1a"' });

/**
 * The session API. It stays private: its resource policy denies every
 * request that does not arrive through the kit's own execute-api endpoint
 * or one listed here (AC-4).
 */
export const apiSchema = z
  .object({
    /**
     * The agency's own execute-api interface endpoints, in application VPCs
     * of this or other accounts, in the target region, whose callers may
     * reach the API. Each is admitted by the resource policy
     * (`aws:SourceVpce`) and associated with the API, so its
     * `https://{api}-{vpce}.execute-api...` name resolves. @default none: only the kit's endpoint
     */
    allowedVpcEndpoints: z.array(vpcEndpointId).optional(),
  })
  .strict();

/**
 * An existing VPC the kit uses instead of creating its own, named by its
 * attributes (no lookup, so synth still needs no credentials). The kit
 * creates its interface endpoints, their security groups and a flow log in
 * it; subnets, route tables, gateways and DNS stay the VPC owner's.
 */
export const importedVpcSchema = z
  .object({
    vpcId: ec2Id('vpc', 'a VPC'),
    /** The VPC's IPv4 CIDR: the kit's interface endpoints admit HTTPS from it (a literal, so reviewers and cdk-nag read it). */
    cidr: z
      .string({ message: VPC_CIDR_RULE })
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-8])$/, { message: VPC_CIDR_RULE }),
    /** Zones of the subnets, in the order the subnet lists follow. */
    availabilityZones: z.array(zoneName).min(2, { message: 'must name at least 2 zones (CP-10: survive the loss of one zone)' }),
    /** Subnets with no route out of the VPC, one per zone (or the same number per zone), in zone order. Set this or privateSubnetIds. */
    isolatedSubnetIds: z.array(ec2Id('subnet', 'a subnet')).optional(),
    /** Subnets with a route out (NAT, transit gateway), as isolatedSubnetIds. Set this or isolatedSubnetIds. */
    privateSubnetIds: z.array(ec2Id('subnet', 'a subnet')).optional(),
    /** Each subnet's route table, in the same order: the kit creates its S3 and DynamoDB gateway endpoints on them. Set this or gatewayEndpoints. */
    routeTableIds: z.array(ec2Id('rtb', 'a route table')).optional(),
    /** The VPC's own S3 and DynamoDB gateway endpoints, when its route tables already have them (a route table holds one per service). Set this or routeTableIds. */
    gatewayEndpoints: z.object({ s3: vpcEndpointId, dynamodb: vpcEndpointId }).strict().optional(),
  })
  .strict();
export type ImportedVpcSettings = z.infer<typeof importedVpcSchema>;

export const networkSchema = z
  .object({
    /** An existing VPC instead of the kit's isolated one. @default none: the kit creates its VPC (vpcCidr, maxAzs, availabilityZones) */
    vpc: importedVpcSchema.optional(),
  })
  .strict();

const agentName = z.string().regex(AGENT_NAME_PATTERN, { message: `must be an agent name: ${AGENT_NAME_RULE}` });
const guardrailName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, { message: 'must be a guardrail name: lowercase letters, digits and hyphens, starting with a letter (at most 31)' });

/** A Bedrock guardrail of this target (lib/constructs/guardrail): what its policies block or mask. Unset fields take the construct's defaults. */
export const guardrailSchema = z
  .object({
    description: z.string().max(200).optional(),
    /** What the user is told when their message is blocked. */
    blockedInputMessage: z.string().min(1).max(500).optional(),
    /** What replaces a blocked reply. */
    blockedOutputMessage: z.string().min(1).max(500).optional(),
    /** Subjects the agents must not discuss. */
    deniedTopics: z
      .array(z.object({ name: z.string().min(1).max(100), definition: z.string().min(1).max(200), examples: z.array(z.string().max(100)).max(5).optional() }).strict())
      .max(30)
      .optional(),
    /** Sensitive information: each entity type BLOCKed or ANONYMIZEd. @default the construct's DEFAULT_PII_ENTITIES */
    piiEntities: z
      .array(z.object({ type: z.string().regex(/^[A-Z_]+$/, { message: 'must be an entity type such as "EMAIL" or "US_SOCIAL_SECURITY_NUMBER"' }), action: z.enum(['BLOCK', 'ANONYMIZE']) }).strict())
      .optional(),
  })
  .strict();
export type GuardrailSettings = z.infer<typeof guardrailSchema>;

/** How many tokens of recalled records a turn may carry, and why (load.ts also keeps it below session.contextTokens). */
export const RECALL_TOKENS_BOUNDS = { min: 50, max: 8000, why: 'recalled records share the turn\'s context budget with the summary and the newest events' } as const;
/** One record's text, in UTF-8 bytes. */
export const MEMORY_RECORD_BYTES_BOUNDS = { min: 64, max: 4096, why: 'a record is recalled whole into a turn\'s context; keep records to a sentence or two' } as const;
/** Days a forget or export log entry is kept. */
export const MEMORY_LOG_RETENTION_BOUNDS = { min: 365, max: 3650, why: 'AU-11: a year at least for records of who forgot or exported what; ten years at most' } as const;

const ROLE_ARN = /^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@\/-]+$/;

function bounded(what: string, bounds: { readonly min: number; readonly max: number; readonly why: string }) {
  return z
    .number({ message: `must be a number (${what})` })
    .int({ message: 'must be a whole number' })
    .min(bounds.min, { message: `must be at least ${bounds.min} (${bounds.why})` })
    .max(bounds.max, { message: `must be at most ${bounds.max} (${bounds.why})` });
}

/**
 * An agent's memory across the person's sessions (lib/contract/memory-table.ts
 * AgentMemory). Setting it turns memory on for the agent: what it learns
 * about a person is extracted after each turn and recalled at the next
 * session's turns. Memory about people is a Privacy Act system of records:
 * an agency turns it on deliberately (README, Memory).
 */
export const agentMemorySchema = z
  .object({
    /** `actor`: share the person's memory with every agent of scope `actor`; `agent`: keep it to this agent. @default 'actor' */
    scope: z.enum(['actor', 'agent'], { message: 'must be "actor" (shared by the person\'s agents) or "agent" (this agent\'s own)' }).optional(),
    /** Tokens of recalled records added to a turn, at most. @default DEFAULT_RECALL_TOKENS */
    recallTokens: bounded('tokens', RECALL_TOKENS_BOUNDS).optional(),
  }, { message: `must be an object such as {"scope": "actor", "recallTokens": ${DEFAULT_RECALL_TOKENS}} (both fields have defaults: {} turns memory on)` })
  .strict();
export type AgentMemorySettings = z.infer<typeof agentMemorySchema>;

/**
 * The target's memory store settings (lib/contract/memory-table.ts
 * MemorySettings, bounds MEMORY_BOUNDS), used when any agent has `memory`.
 * Unset fields take MEMORY_DEFAULTS; the models default to the target's.
 */
export const memorySchema = z
  .object({
    /** Records one person may hold; past it the oldest are evicted. @default MEMORY_DEFAULTS.maxRecordsPerActor */
    maxRecordsPerActor: bounded('records', MEMORY_BOUNDS.maxRecordsPerActor).optional(),
    /** Days a record of each kind is kept after it is written (DynamoDB TTL deletes it). @default MEMORY_DEFAULTS.retentionDays */
    retentionDays: z
      .object(Object.fromEntries(MEMORY_KINDS.map((kind) => [kind, bounded('days', MEMORY_BOUNDS.retentionDays).optional()])) as Record<(typeof MEMORY_KINDS)[number], z.ZodOptional<z.ZodNumber>>)
      .strict()
      .optional(),
    /** The most one record's text may be, in UTF-8 bytes. @default MEMORY_DEFAULTS.maxRecordBytes */
    maxRecordBytes: bounded('bytes', MEMORY_RECORD_BYTES_BOUNDS).optional(),
    /** Days a forget or export log entry is kept (AU-11). @default MEMORY_DEFAULTS.logRetentionDays */
    logRetentionDays: bounded('days', MEMORY_LOG_RETENTION_BOUNDS).optional(),
    /** The extractor's model: in-region, checked by residency like every model. @default the target's `model` */
    model: modelSchema.optional(),
    /**
     * The Bedrock embedding model recall ranks records with, or `false` for
     * lexical ranking only. @default the region's embedding model where the
     * region facts list one (lib/residency/region-facts.ts EMBEDDING_MODELS), else none
     */
    embeddingModel: z
      .union([z.enum(EMBEDDING_MODELS as [string, ...string[]]), z.literal(false)], {
        message: `must be an embedding model the kit knows (${EMBEDDING_MODELS.map((m) => `"${m}"`).join(', ')}) or false for lexical ranking; add another model to EMBEDDING_MODELS in lib/residency/region-facts.ts with its source first`,
      })
      .optional(),
    /** IAM role ARNs that may export any person's memory of their tenant (GET /memory?actor=<arn>); each must be a role of `tenants`. @default none */
    exportRoles: z.array(z.string().regex(ROLE_ARN, { message: 'must be an IAM role ARN' })).optional(),
  })
  .strict();
export type MemorySettingsConfig = z.infer<typeof memorySchema>;

/** An agent a platform team declares: the unit a session runs with (lib/contract/agent.ts). */
export const agentSchema = z
  .object({
    /** What the agent is for; what a caller, or a delegating agent's model, is told about it. */
    description: z.string({ message: 'must say what the agent is for' }).min(1).max(1024, { message: 'must be at most 1024 characters' }),
    /** The system prompt. */
    instructions: z
      .string({ message: 'must be the agent\'s system prompt' })
      .min(1, { message: 'must not be empty' })
      .refine((text) => Buffer.byteLength(text, 'utf8') <= MAX_INSTRUCTIONS_BYTES, {
        message: `must be at most ${MAX_INSTRUCTIONS_BYTES} bytes (UTF-8); put reference material in a knowledge base instead`,
      }),
    /** The agent's own model. @default the target's `model` */
    model: modelSchema.optional(),
    /** Enabled tools the agent may call. @default every enabled tool */
    tools: z.array(toolName).optional(),
    /** Agents this agent may ask within a turn (each offered to its model as a tool). @default none */
    delegates: z.array(agentName).optional(),
    /** Agents this agent may hand the session to for the following turns. @default none */
    handoffs: z.array(agentName).optional(),
    /** A guardrail of this target (`guardrails`) applied to every text of the agent's turns. @default none */
    guardrail: guardrailName.optional(),
    limits: z
      .object({
        maxToolRounds: z.number().int().min(0).max(16).optional(),
        delegationTokenBudget: z.number().int().positive().optional(),
        maxDelegationDepth: z.number().int().min(0).max(4).optional(),
      })
      .strict()
      .optional(),
    /** Memory across the person's sessions. @default none: off (nothing extracted, nothing recalled) */
    memory: agentMemorySchema.optional(),
  })
  .strict();
export type AgentSettings = z.infer<typeof agentSchema>;

export const targetSchema = z
  .object({
    /**
     * 12-digit account id. Leave it out to deploy into whatever account the
     * credentials belong to (the templates then use `AWS::AccountId`).
     */
    account: z.string().regex(ACCOUNT_PATTERN, { message: 'must be a 12-digit AWS account id' }).optional(),
    region,
    /** Synthesized by `cdk synth` without `-c targets=...`. */
    default: z.boolean({ message: 'must be true or false' }),
    residency: residencySchema,
    /** Days CloudWatch Logs keep platform logs (AU-11). */
    logRetentionDays: z
      .number({ message: 'must be a number of days' })
      .refine((d) => LOG_RETENTION_CHOICES.includes(d), {
        message: `must be a retention CloudWatch Logs offers: ${LOG_RETENTION_CHOICES.join(', ')}`,
      }),
    /** Days the audit bucket keeps CloudTrail and access logs before they expire (AU-11). */
    auditRetentionDays: z
      .number({ message: 'must be a number of days' })
      .int({ message: 'must be a whole number of days' })
      .min(365, { message: 'must be at least 365 days (AU-11 retention for audit records)' }),
    /** CIDR of the isolated VPC the kit creates (not used with `network.vpc`, which names its own). */
    vpcCidr: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/, { message: 'must be an IPv4 CIDR between /16 and /24' }),
    /**
     * Interface endpoints to create in the isolated VPC. Each is checked by the
     * capability gate: unavailable fails synth, unverified warns.
     */
    interfaceEndpoints: z.array(
      z.enum(INTERFACE_ENDPOINT_SERVICES, {
        message: `must be one of ${INTERFACE_ENDPOINT_SERVICES.join(', ')}`,
      }),
    ),
    /**
     * Capabilities your own additions need (e.g. `sagemaker:hosting`,
     * `bedrock:knowledge-bases`), checked by the capability gate like the kit's own.
     */
    requiredCapabilities: z.array(
      z.string().regex(/^[a-z0-9-]+(:[a-zA-Z0-9.-]+)+$/, {
        message: 'must be a capability id such as "sagemaker:hosting" or "sagemaker:instance:ml.inf2.xlarge" (see lib/residency/region-facts.ts)',
      }),
    ),
    /** The model of every agent that names none, and of the summarizer unless summarizerModel is set. */
    model: modelSchema,
    /**
     * The agents of this target, by name. A value given here replaces the
     * default agents as a whole (as arrays do), so an agent you do not list is gone.
     */
    agents: z.record(agentName, agentSchema).refine((agents) => Object.keys(agents).length > 0, { message: 'must declare at least one agent' }),
    /** The agent a session gets when its creator names none. */
    defaultAgent: agentName,
    /** Bedrock guardrails the agents may name, by name. @default none */
    guardrails: z.record(guardrailName, guardrailSchema).optional(),
    /** The summarizer's model backend, e.g. Neuron for the summaries while the orchestrator runs on Bedrock. @default model */
    summarizerModel: modelSchema.optional(),
    /** This target's Neuron endpoint. @default none: no weights bucket, no Inference stack */
    neuron: neuronSchema.optional(),
    /** The memory store's settings, for agents with `memory`. @default MEMORY_DEFAULTS, the target's model, the region's embedding model */
    memory: memorySchema.optional(),
    /**
     * Tenants: tenant id → IAM role ARNs whose callers act for it. The tenant
     * always comes from the caller's identity, never from a request body.
     */
    tenants: z.record(
      TENANT_ID,
      z.array(z.string().regex(ROLE_ARN, { message: 'must be an IAM role ARN' })).min(1),
    ),
    session: sessionSchema,
    /** Background turns: the agent loop and its limits. @default BACKGROUND_TURN_DEFAULTS (enabled) */
    background: backgroundSchema.optional(),
    /**
     * Streaming turns (`"stream": true`: server-sent events through API
     * Gateway's REST response streaming and Lambda response streaming).
     * `auto`: where the region facts list Lambda response streaming, else
     * off with a synth warning; `required`: always, and synth fails where the
     * region cannot stream (warns where unverified); `off`: never.
     * @default 'auto'
     */
    streaming: z.enum(['auto', 'required', 'off'], { message: 'must be "auto", "required" or "off"' }).optional(),
    /** The tools of lib/tools/catalog.ts this target runs, and who may call them. */
    tools: toolsSchema,
    /**
     * Zone names for the isolated subnets of the VPC the kit creates. Default: the first `maxAzs` of
     * `{region}a`, `{region}b`, `{region}c` (no context lookup at synth).
     * With `network.vpc`, the zones are that VPC's (`network.vpc.availabilityZones`).
     */
    availabilityZones: z.array(zoneName).min(2).optional(),
    /** Where the kit's network lives. @default the kit's own isolated VPC */
    network: networkSchema.optional(),
    /** The session API's network path. @default only the kit's execute-api endpoint */
    api: apiSchema.optional(),
    /** Alarms of the target's dashboard. @default no subscriptions (the topic exists for a team to subscribe to) */
    operations: operationsSchema.optional(),
    /**
     * CloudFormation termination protection on the stacks that hold data
     * (Foundation and State). Turn it off only for a throwaway account or the
     * emulator (`npm run deploy:local`, which cannot set it).
     */
    terminationProtection: z.boolean({ message: 'must be true or false' }),
    /** Availability zones the isolated subnets of the kit's VPC span (not used with `network.vpc`). */
    maxAzs: z
      .number({ message: 'must be a number' })
      .int({ message: 'must be a whole number' })
      .min(2, { message: 'must be at least 2 (CP-10: survive the loss of one zone)' })
      .max(3, { message: 'must be at most 3' }),
  })
  .strict();
/** A target as written: its residency's, tools' and Neuron endpoint's defaults not filled in yet. */
export type WrittenTarget = z.infer<typeof targetSchema>;

/** A target as the cross-field rules read it: its residency complete; `tools.enabled` may be left to the region's default. */
export interface TargetSettings extends Omit<WrittenTarget, 'residency'> {
  readonly residency: ResidencyConfig;
}

/** The tools of a parsed target: `enabled` resolved to a list. */
export interface ToolsConfig extends z.infer<typeof toolsSchema> {
  readonly enabled: string[];
}

/** The Neuron endpoint of a parsed target: name, server and schedule resolved. */
export interface NeuronConfig extends NeuronSettings {
  readonly endpointName: string;
  readonly server: NeuronServer;
  readonly schedule: NeuronSchedule;
}

/** A parsed, validated target (what `parseConfig` returns). */
export interface TargetConfig extends Omit<TargetSettings, 'tools' | 'neuron'> {
  readonly tools: ToolsConfig;
  readonly neuron?: NeuronConfig;
}

export const configSchema = z
  .object({
    targets: z
      .record(
        z.string().regex(TARGET_NAME_PATTERN, {
          message: 'target names start with a capital letter and hold only letters and digits (max 32), e.g. "GovWest"',
        }),
        targetSchema,
      )
      .refine((targets) => Object.keys(targets).length > 0, { message: 'must declare at least one target' }),
  })
  .strict();
/** A configuration as written (the defaults, or a user's file). */
export type StatehouseSettings = z.infer<typeof configSchema>;

/** A parsed, validated configuration. */
export interface StatehouseConfig {
  readonly targets: Record<string, TargetConfig>;
}
