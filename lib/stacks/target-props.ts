import { Duration, TimeZone, type Environment } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BACKGROUND_TURN_DEFAULTS } from '../config/defaults';
import { ConfigError, targetToolPolicies } from '../config/load';
import { dataResourcePrefix, permissionsBoundaryName, targetPrefix, trailName } from '../config/naming';
import type { BackgroundSettings, GuardrailSettings, ImportedVpcSettings, ModelConfig, NeuronConfig, NeuronServer, TargetConfig } from '../config/schema';
import { DEFAULT_RECALL_TOKENS, MEMORY_DEFAULTS, type AgentMemory, type MemorySettings } from '../contract/memory-table';
import type { GuardrailProps, IGuardrail } from '../constructs/guardrail/guardrail';
import { PiiAction, PiiEntityType } from '../constructs/guardrail/guardrail-policies';
import type { AgentProps, BackgroundTurnProps, DeployedSessionLimits } from '../constructs/agent-orchestrator/agent-orchestrator';
import { ModelBackend } from '../constructs/model-backend/model-backend';
import { ScalingSchedule, ScalingScheduleError } from '../constructs/neuron-endpoint/endpoint-scaling';
import { NeuronEndpointPropsError, type INeuronEndpoint, type NeuronEndpointProps } from '../constructs/neuron-endpoint/neuron-endpoint';
import { NeuronInstanceType } from '../constructs/neuron-endpoint/neuron-instance-type';
import { ServingImage } from '../constructs/neuron-endpoint/serving-image';
import type { ToolDeclaration } from '../contract/tool-declaration';
import type { ToolPolicySet } from '../policy/tool-policy-set';
import { checkCapability } from '../residency/capability-gate';
import { FactStatus, fipsHostServices, regionEmbeddingModel } from '../residency/region-facts';
import type { Residency } from '../residency/residency';
import { findTool } from '../tools/catalog';

/**
 * The only reader of a validated target configuration: it turns one target
 * (lib/config, already checked by parseConfig) into the props of its stacks
 * and constructs. Stacks and constructs never see a configuration type, so a
 * fork that uses the constructs without the configuration loses nothing.
 */

/** The props of one target's stacks, from its configuration. */
export interface TargetStacksProps {
  readonly env: Environment;
  /** Termination protection of the stacks that hold data (Foundation, State). */
  readonly terminationProtection: boolean;
  readonly logRetention: RetentionDays;
  readonly residency: Residency;
  /** Services whose SDK clients use a separate -fips host in the target region (empty without FIPS). */
  readonly fipsServices: readonly string[];
  readonly foundation: FoundationSettings;
  readonly state: StateSettings;
  /** Only when the target sets `neuron`. */
  readonly inference?: InferenceSettings;
  readonly runtime: RuntimeSettings;
  /** The organization admin's SCP document (written next to the templates by bin/). */
  readonly serviceControlPolicy: { readonly account: string; readonly trailName: string };
}

export interface FoundationSettings {
  readonly permissionsBoundaryName: string;
  readonly keyAliasPrefix: string;
  /** CIDR of the network: the VPC the kit creates, or the imported one's. */
  readonly vpcCidr: string;
  /** Named zones, so synth needs no lookup. */
  readonly availabilityZones: readonly string[];
  /** An existing VPC the network is built in instead of a new one (`network.vpc`). @default none: a new isolated VPC */
  readonly importedVpc?: ImportedVpc;
  readonly interfaceEndpoints: readonly string[];
  readonly trailName: string;
  readonly auditRetentionDays: number;
  /** Tables and buckets under this prefix are covered by the trail's data events. */
  readonly dataResourcePrefix: string;
  /** Capabilities the configuration says the target's own additions need (capability gate). */
  readonly requiredCapabilities: readonly string[];
}

/** An existing VPC, by the attributes `ec2.Vpc.fromVpcAttributes` takes (no lookup). */
export interface ImportedVpc {
  readonly vpcId: string;
  /** The kind of the subnets below: PRIVATE_ISOLATED or PRIVATE_WITH_EGRESS. */
  readonly subnetType: ec2.SubnetType;
  /** In zone order: subnet i is in zone i modulo the number of zones. */
  readonly subnetIds: readonly string[];
  /** Each subnet's route table, for the kit's own gateway endpoints. */
  readonly routeTableIds?: readonly string[];
  /** The VPC's own S3 and DynamoDB gateway endpoints, used instead of new ones. */
  readonly gatewayEndpointIds?: { readonly s3: string; readonly dynamoDb: string };
}

export interface StateSettings {
  readonly namePrefix: string;
  /** Add the weights bucket of the Neuron endpoint. */
  readonly modelWeights: boolean;
  /** The memory store's settings (retention per kind, cap per person): no resource changes with them. */
  readonly memorySettings: MemorySettings;
}

/**
 * What a target's `neuron` configuration stands for in NeuronEndpoint props.
 * Fields the configuration leaves out stay undefined, so the construct's own
 * defaults (neuron-endpoint-defaults.ts) apply: one place for each default.
 */
export interface NeuronEndpointSettings
  extends Pick<NeuronEndpointProps, 'endpointName' | 'instanceType' | 'image' | 'tensorParallelDegree' | 'maxSequenceLength' | 'maxBatchSize' | 'minCapacity' | 'maxCapacity'> {
  readonly scalingSchedule: ScalingSchedule;
}

export interface InferenceSettings {
  readonly endpoint: NeuronEndpointSettings;
  /** Key prefix of the staged weights in the State stack's weights bucket. */
  readonly weightsPrefix: string;
  /** Where a construct's refusal is reported in the configuration (`targets.GovWest.neuron`). */
  readonly configPath: string;
  /** The endpoint bills by the hour: true when no model of the target calls it. */
  readonly unused: boolean;
}

export interface RuntimeSettings {
  /** Prefix of the runtime's named resources (the tool state machines). */
  readonly namePrefix: string;
  /**
   * The default model, the summarizer's, and the agents with theirs; a model
   * of kind `neuron` needs the target's endpoint (Inference stack).
   */
  readonly models: (neuronEndpoint?: INeuronEndpoint, guardrails?: Readonly<Record<string, IGuardrail>>) => {
    readonly model: ModelBackend;
    readonly summarizerModel?: ModelBackend;
    readonly agents: Readonly<Record<string, AgentProps>>;
    readonly defaultAgent: string;
    /** The memory extractor's model, when some agent has memory on (`memory.model`, else the default model). */
    readonly memoryModel?: ModelBackend;
  };
  /** The memory store's settings, always (the store exists either way); the extractor runs only when some agent has `memory`. */
  readonly memory: MemoryRuntimeSettings;
  /** The target's Bedrock guardrails by name, with what the configuration sets (the Runtime stack adds the key). */
  readonly guardrails: Readonly<Record<string, Omit<GuardrailProps, 'encryptionKey'>>>;
  /** Tenant id → IAM role ARNs whose callers act for it. */
  readonly tenants: Readonly<Record<string, readonly string[]>>;
  /** The agency's execute-api endpoints the API admits besides the kit's own (`api.allowedVpcEndpoints`). */
  readonly allowedVpcEndpoints: readonly string[];
  readonly limits: DeployedSessionLimits;
  /** Background turns' limits; none when the target turns them off (then no agent loop and no round function). */
  readonly background?: Required<BackgroundTurnProps>;
  /** Streaming turns: deployed or not, and (when the region facts decided it) why not. */
  readonly streaming: StreamingSettings;
  /** The enabled tools' declarations, from the kit's catalog (lib/tools/catalog.ts). */
  readonly tools: readonly ToolDeclaration[];
  /** The Cedar tool policy: the kit's default, the target's own files and `tools.policy`, validated by parseConfig. */
  readonly toolPolicy: ToolPolicySet;
  readonly knowledgeBaseId?: string;
  /** Subscribed to the approval notices topic (configuration `tools.approvalEmails`). */
  readonly approvalEmails: readonly string[];
  /** Subscribed to the operations alarms topic (configuration `operations.alarmEmails`). */
  readonly alarmEmails: readonly string[];
}

/** What the Runtime stack needs of a target's memory (configuration `memory` and the agents' `memory`). */
export interface MemoryRuntimeSettings {
  /** MEMORY_DEFAULTS with the configuration's values over them. */
  readonly settings: MemorySettings;
  /** The in-region Bedrock embedding model recall ranks with; none: lexical ranking. */
  readonly embeddingModel?: string;
  /** IAM role ARNs that may export a person's memory of their tenant. */
  readonly exportRoles: readonly string[];
}

/** Memory settings of a target: the configuration's over MEMORY_DEFAULTS; the embedding model the region's unless set (false: none). */
export function memorySettingsOf(target: TargetConfig): MemoryRuntimeSettings {
  const memory = target.memory ?? {};
  const embeddingModel = memory.embeddingModel === false ? undefined : (memory.embeddingModel ?? regionEmbeddingModel(target.region));
  return {
    settings: {
      maxRecordsPerActor: memory.maxRecordsPerActor ?? MEMORY_DEFAULTS.maxRecordsPerActor,
      retentionDays: { ...MEMORY_DEFAULTS.retentionDays, ...definedOnly(memory.retentionDays ?? {}) },
      maxRecordBytes: memory.maxRecordBytes ?? MEMORY_DEFAULTS.maxRecordBytes,
      logRetentionDays: memory.logRetentionDays ?? MEMORY_DEFAULTS.logRetentionDays,
    },
    ...(embeddingModel === undefined ? {} : { embeddingModel }),
    exportRoles: memory.exportRoles ?? [],
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** An agent's `memory` with its defaults; undefined when the agent has memory off. */
export function agentMemoryOf(memory: { readonly scope?: AgentMemory['scope']; readonly recallTokens?: number } | undefined): AgentMemory | undefined {
  return memory && { scope: memory.scope ?? 'actor', recallTokens: memory.recallTokens ?? DEFAULT_RECALL_TOKENS };
}

/** Whether some agent of the target has memory on (then the extractor runs and its model is called). */
export function memoryInUse(target: TargetConfig): boolean {
  return Object.values(target.agents).some((agent) => agent.memory !== undefined);
}

/** The props of every stack of target `name`. */
export function targetStacksProps(name: string, target: TargetConfig): TargetStacksProps {
  const imported = target.network?.vpc;
  const zones = imported?.availabilityZones ?? target.availabilityZones ?? ['a', 'b', 'c'].slice(0, target.maxAzs).map((letter) => `${target.region}${letter}`);
  return {
    env: { account: target.account, region: target.region },
    terminationProtection: target.terminationProtection,
    logRetention: target.logRetentionDays as RetentionDays,
    residency: target.residency,
    fipsServices: target.residency.fips ? fipsHostServices(target.region) : [],
    foundation: {
      permissionsBoundaryName: permissionsBoundaryName(name),
      keyAliasPrefix: targetPrefix(name),
      vpcCidr: imported?.cidr ?? target.vpcCidr,
      availabilityZones: zones,
      importedVpc: imported && importedVpc(imported),
      interfaceEndpoints: target.interfaceEndpoints,
      trailName: trailName(name),
      auditRetentionDays: target.auditRetentionDays,
      dataResourcePrefix: dataResourcePrefix(name),
      requiredCapabilities: target.requiredCapabilities,
    },
    state: { namePrefix: dataResourcePrefix(name), modelWeights: target.neuron !== undefined, memorySettings: memorySettingsOf(target).settings },
    inference: target.neuron && {
      endpoint: neuronSettingsOrConfigError(name, target.neuron),
      weightsPrefix: target.neuron.weightsPrefix,
      configPath: `targets.${name}.neuron`,
      unused: !modelsInUse(target).some((m) => m.kind === 'neuron'),
    },
    runtime: {
      namePrefix: targetPrefix(name),
      // Physical names under the target's prefix: statehouse-govwest-foia.
      guardrails: Object.fromEntries(Object.entries(target.guardrails ?? {}).map(([guardrail, settings]) => [guardrail, guardrailProps(`${targetPrefix(name)}-${guardrail}`, settings)])),
      models: (neuronEndpoint, guardrails = {}) => {
        const model = modelBackendFor(target.model, target.residency, neuronEndpoint);
        return {
          model,
          summarizerModel: target.summarizerModel && modelBackendFor(target.summarizerModel, target.residency, neuronEndpoint),
          memoryModel: memoryInUse(target) ? (target.memory?.model ? modelBackendFor(target.memory.model, target.residency, neuronEndpoint) : model) : undefined,
          agents: Object.fromEntries(
            Object.entries(target.agents).map(([name, agent]): [string, AgentProps] => [
              name,
              {
                description: agent.description,
                instructions: agent.instructions,
                model: agent.model ? modelBackendFor(agent.model, target.residency, neuronEndpoint) : model,
                // An agent that names no tools may call every enabled tool (the tool policy still decides per call).
                tools: agent.tools ?? target.tools.enabled,
                delegates: agent.delegates,
                handoffs: agent.handoffs,
                guardrail: agent.guardrail === undefined ? undefined : guardrails[agent.guardrail],
                limits: agent.limits,
                memory: agentMemoryOf(agent.memory),
              },
            ]),
          ),
          defaultAgent: target.defaultAgent,
        };
      },
      memory: memorySettingsOf(target),
      tenants: target.tenants,
      allowedVpcEndpoints: target.api?.allowedVpcEndpoints ?? [],
      limits: target.session,
      background: backgroundTurns(target.background),
      streaming: streamingOf(target),
      // parseConfig accepts only catalog tools in tools.enabled.
      tools: target.tools.enabled.map((tool) => findTool(tool)!),
      toolPolicy: targetToolPolicies(target),
      knowledgeBaseId: target.tools.knowledgeBaseId,
      approvalEmails: target.tools.approvalEmails ?? [],
      alarmEmails: target.operations?.alarmEmails ?? [],
    },
    serviceControlPolicy: { account: target.account ?? '*', trailName: trailName(name) },
  };
}

/** `network.vpc` as the attributes of the VPC to import (parseConfig checked that exactly one subnet list is set). */
function importedVpc(vpc: ImportedVpcSettings): ImportedVpc {
  const isolated = vpc.isolatedSubnetIds !== undefined;
  return {
    vpcId: vpc.vpcId,
    subnetType: isolated ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS,
    subnetIds: (isolated ? vpc.isolatedSubnetIds : vpc.privateSubnetIds)!,
    routeTableIds: vpc.routeTableIds,
    gatewayEndpointIds: vpc.gatewayEndpoints && { s3: vpc.gatewayEndpoints.s3, dynamoDb: vpc.gatewayEndpoints.dynamodb },
  };
}

/**
 * Whether a target streams turns. `auto` asks the region facts: streaming
 * needs Lambda response streaming (unverified in GovCloud) and API
 * Gateway's REST response streaming; `required` deploys it and lets the
 * capability gate fail or warn.
 */
export interface StreamingSettings {
  readonly enabled: boolean;
  /** With `required`: the gate checks the capabilities (synth fails where unavailable, warns where unverified). */
  readonly gated: boolean;
  /** With `auto` where the facts do not list streaming: what the synth warning says. */
  readonly offBecause?: string;
}

export const STREAMING_CAPABILITIES = ['lambda:response-streaming', 'apigateway:rest-response-streaming'] as const;

function streamingOf(target: TargetConfig): StreamingSettings {
  const mode = target.streaming ?? 'auto';
  if (mode === 'off') return { enabled: false, gated: false };
  if (mode === 'required') return { enabled: true, gated: true };
  const missing = STREAMING_CAPABILITIES.map((capability) => checkCapability(capability, target.region)).filter((check) => check.status !== FactStatus.AVAILABLE);
  if (missing.length === 0) return { enabled: true, gated: false };
  const what = missing.map((check) => `"${check.capability}" is ${check.status} in ${target.region} (${check.fact?.source ?? 'no row in lib/residency/region-facts.ts'})`).join('; ');
  return {
    enabled: false,
    gated: false,
    offBecause:
      `streaming turns are off: ${what}. Turns answer in one response; "stream": true is refused with a 400 that says so. ` +
      `Instead: verify the capability in this account and set streaming: "required" to deploy it (synth then warns until the fact is confirmed), or streaming: "off" to silence this warning.`,
  };
}

/** A target's `background` over BACKGROUND_TURN_DEFAULTS, as the orchestrator's and the loop's props; undefined when disabled. */
function backgroundTurns(background: BackgroundSettings | undefined): Required<BackgroundTurnProps> | undefined {
  const { enabled, deadlineSeconds, maxRounds } = { ...BACKGROUND_TURN_DEFAULTS, ...background };
  return enabled ? { deadline: Duration.seconds(deadlineSeconds), maxRounds } : undefined;
}

/** A guardrail of the configuration as Guardrail props; unset fields keep the construct's defaults. */
function guardrailProps(guardrailName: string, guardrail: GuardrailSettings): Omit<GuardrailProps, 'encryptionKey'> {
  return {
    guardrailName,
    description: guardrail.description,
    blockedInputMessage: guardrail.blockedInputMessage,
    blockedOutputMessage: guardrail.blockedOutputMessage,
    deniedTopics: guardrail.deniedTopics,
    piiEntities: guardrail.piiEntities?.map((entity) => ({ type: PiiEntityType.of(entity.type), action: entity.action === 'BLOCK' ? PiiAction.BLOCK : PiiAction.ANONYMIZE })),
  };
}

/** Every model the target's functions call: each agent's (or the default model), the summarizer's and, with memory on, the extractor's. */
export function modelsInUse(target: TargetConfig): ModelConfig[] {
  return [
    ...Object.values(target.agents).map((agent) => agent.model ?? target.model),
    target.summarizerModel ?? target.model,
    ...(memoryInUse(target) ? [target.memory?.model ?? target.model] : []),
  ];
}

/**
 * A model configuration as the ModelBackend the orchestrator binds.
 * `neuron` is `neuronEndpoint`, the target's own endpoint (the Inference
 * stack's). With crossRegionInference "within-partition" an inference
 * profile may route to residency.regions; with "deny", to the stack's region
 * only, which refuses every profile.
 */
export function modelBackendFor(model: ModelConfig, residency: Residency, neuronEndpoint?: INeuronEndpoint): ModelBackend {
  switch (model.kind) {
    case 'bedrock-converse':
      return ModelBackend.bedrockConverse({
        modelId: model.modelId,
        maxTokens: model.maxTokens,
        allowedRegions: residency.crossRegionInference === 'within-partition' ? residency.regions : undefined,
      });
    case 'sagemaker':
      return ModelBackend.sagemakerEndpoint({ endpointName: model.endpointName, stream: model.stream, maxTokens: model.maxTokens });
    case 'neuron':
      if (!neuronEndpoint) {
        throw new Error(
          'a model of kind "neuron" calls the target\'s Neuron endpoint, but none was given; ' +
            'pass the NeuronEndpoint (the target\'s `neuron` configuration creates it in the Inference stack), or use kind "sagemaker" with an endpoint name.',
        );
      }
      return ModelBackend.neuron(neuronEndpoint, { stream: model.stream, maxTokens: model.maxTokens });
  }
}

/** The Neuron serving image of each server the configuration offers. */
const SERVING_IMAGES: Readonly<Record<NeuronServer, (tag?: string) => ServingImage>> = {
  lmi: (tag) => ServingImage.lmiNeuronx(tag),
  tgi: (tag) => ServingImage.tgiNeuronx(tag),
};

/**
 * The endpoint props of a target's `neuron` configuration.
 * @throws ScalingScheduleError when the working hours cannot run (see `neuronConfigError`).
 */
export function neuronEndpointSettings(neuron: NeuronConfig): NeuronEndpointSettings {
  const instanceType = NeuronInstanceType.KNOWN.find((t) => t.name === neuron.instanceType);
  if (!instanceType) {
    throw new Error(
      `neuron.instanceType "${neuron.instanceType}" is in region facts' NEURON_INSTANCE_TYPES but has no NeuronInstanceType member; ` +
        'add the member (its NeuronCores and storage, with the source) to neuron-instance-type.ts.',
    );
  }
  const hours = neuron.workingHours ?? {};
  return {
    endpointName: neuron.endpointName,
    instanceType,
    image: SERVING_IMAGES[neuron.server](neuron.imageTag),
    tensorParallelDegree: neuron.tensorParallelDegree,
    maxSequenceLength: neuron.maxSequenceLength,
    maxBatchSize: neuron.maxBatchSize,
    minCapacity: neuron.minCapacity,
    maxCapacity: neuron.maxCapacity,
    scalingSchedule:
      neuron.schedule === 'always-on'
        ? ScalingSchedule.alwaysOn()
        : ScalingSchedule.workingHours({ ...hours, timeZone: hours.timeZone === undefined ? undefined : TimeZone.of(hours.timeZone) }),
  };
}

function neuronSettingsOrConfigError(name: string, neuron: NeuronConfig): NeuronEndpointSettings {
  try {
    return neuronEndpointSettings(neuron);
  } catch (e) {
    throw neuronConfigError(e, `targets.${name}.neuron`);
  }
}

/**
 * The construct's and the schedule's validation, reported against the
 * configuration at `at` (`targets.GovWest.neuron`): their problems name the
 * prop, which is also the field (`tensorParallelDegree`, `maxCapacity`;
 * `startHour`, `workdays` under `workingHours`). Any other error is returned
 * as it is.
 */
export function neuronConfigError(error: unknown, at: string): unknown {
  if (error instanceof ScalingScheduleError) return new ConfigError(error.problems.map((message) => ({ path: `${at}.workingHours`, message })));
  if (error instanceof NeuronEndpointPropsError) return new ConfigError(error.problems.map((message) => ({ path: at, message })));
  return error;
}
