import { z } from 'zod';
import { inferenceProfilePrefix, isInferenceProfileArn } from '../contract/model-backend-config';
import { DEFAULT_TOOL_POLICY_FILES, formatToolPolicyProblem, ToolPolicyError, ToolPolicySet, type ToolPolicyProblem } from '../policy/tool-policy-set';
import { checkCapability } from '../residency/capability-gate';
import { ANY_COMMERCIAL_REGION, FactStatus, INFERENCE_PROFILE_ROUTES, partitionOf, profileRoutesOutside, SUPPORTED_REGIONS } from '../residency/region-facts';
import { findTool } from '../tools/catalog';
import { DEFAULT_CONFIG, defaultEnabledTools, missingToolSettings, NEURON_DEFAULTS, RESIDENCY_DEFAULTS, TARGET_DEFAULTS } from './defaults';
import { DEFAULT_RECALL_TOKENS } from '../contract/memory-table';
import { neuronEndpointName } from './naming';
import {
  configSchema,
  type ModelConfig,
  type NeuronConfig,
  type StatehouseConfig,
  type TargetConfig,
  type TargetSettings,
  type WrittenTarget,
} from './schema';

/** One problem in a configuration: where it is, and what to do. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** A configuration that cannot be used. Lists every problem at once. */
export class ConfigError extends Error {
  constructor(public readonly problems: readonly ConfigProblem[]) {
    super(
      `Statehouse configuration is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

type Json = unknown;

function isPlainObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deep merge of plain objects; arrays and scalars in `override` replace
 * `base`, and so does an object that switches a `kind` discriminator (a
 * SageMaker model does not inherit the default Bedrock model's fields).
 */
export function mergeConfig(base: Json, override: Json): Json {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  if ('kind' in override && override.kind !== base.kind) return override;
  const out: Record<string, Json> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = REPLACED_AS_A_WHOLE.has(key) ? value : mergeConfig(base[key], value);
  return out;
}

/** Fields an override replaces instead of merging into: a team that declares its agents gets exactly those. */
const REPLACED_AS_A_WHOLE: ReadonlySet<string> = new Set(['agents']);

/**
 * A target's residency with the fields it leaves out filled in
 * (RESIDENCY_DEFAULTS), before any rule reads it: the rules and the stacks
 * see one value. A region the kit has no facts for is refused by the rules;
 * its FIPS default is the stricter one meanwhile.
 */
function withResidencyDefaults(target: WrittenTarget): TargetSettings {
  const partition = partitionOf(target.region);
  const { regions, crossRegionInference, fips } = target.residency;
  return {
    ...target,
    residency: {
      regions,
      crossRegionInference: crossRegionInference ?? RESIDENCY_DEFAULTS.crossRegionInference,
      fips: fips ?? (partition ? RESIDENCY_DEFAULTS.fips[partition.id] : true),
    },
  };
}

/** Rules that need the region-facts table; zod checks the shapes first. */
function crossFieldProblems(targets: Record<string, TargetSettings>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [name, target] of Object.entries(targets)) {
    const at = `targets.${name}`;
    const partition = partitionOf(target.region);
    if (!partition) {
      problems.push({
        path: `${at}.region`,
        message: `"${target.region}" is not a region this kit has facts for; use one of ${SUPPORTED_REGIONS.join(', ')}, or add the region's rows to lib/residency/region-facts.ts with their sources.`,
      });
      continue;
    }
    if (!target.residency.regions.includes(target.region)) {
      problems.push({
        path: `${at}.residency.regions`,
        message: `must include the target region "${target.region}" (the stacks themselves live there); add it to the list.`,
      });
    }
    target.residency.regions.forEach((r, i) => {
      const other = partitionOf(r);
      if (other?.id !== partition.id) {
        problems.push({
          path: `${at}.residency.regions[${i}]`,
          message: `"${r}" is not in the ${partition.name} partition of "${target.region}"; data cannot cross partitions. Use regions from ${partition.regions.join(', ')}.`,
        });
      }
    });
    if (target.residency.crossRegionInference === 'within-partition' && target.residency.regions.length < 2) {
      problems.push({
        path: `${at}.residency.crossRegionInference`,
        message: `"within-partition" lets Bedrock route between allowed regions, but residency.regions lists only "${target.region}"; list the other regions the data may reach, or set "deny".`,
      });
    }
    if (!target.interfaceEndpoints.includes(EXECUTE_API_ENDPOINT)) {
      problems.push({
        path: `${at}.interfaceEndpoints`,
        message: `must include "${EXECUTE_API_ENDPOINT}": the session API is private and reachable only through that interface endpoint (got ${target.interfaceEndpoints.map((e) => `"${e}"`).join(', ') || 'none'}); add "${EXECUTE_API_ENDPOINT}".`,
      });
    }
    problems.push(...apiProblems(at, target), ...networkProblems(at, target));
    problems.push(...toolProblems(at, target), ...agentProblems(at, target));
    problems.push(...modelProblems(name, target), ...neuronProblems(at, target), ...memoryProblems(at, target));
  }
  return problems;
}

/** The interface endpoint the private session API is reached through (its resource policy admits only it). */
const EXECUTE_API_ENDPOINT = 'execute-api';

/** Each entry of `list` after its first occurrence, at `<path>[i]`, as "listed twice". */
function duplicateProblems(path: string, list: readonly string[], what: string): ConfigProblem[] {
  return list.flatMap((value, i) => (list.indexOf(value) === i ? [] : [{ path: `${path}[${i}]`, message: `"${value}" is listed twice; list each ${what} once.` }]));
}

/** The API's admitted endpoints: each once (the resource policy and the API's endpoint list take each id once). */
function apiProblems(at: string, target: TargetSettings): ConfigProblem[] {
  return duplicateProblems(`${at}.api.allowedVpcEndpoints`, target.api?.allowedVpcEndpoints ?? [], 'endpoint');
}

/**
 * An imported VPC (`network.vpc`): its zones are the target region's, its
 * subnets are of one kind and fill the zones evenly (as ec2.Vpc.fromVpcAttributes
 * reads them), and the kit knows how its functions reach S3 and DynamoDB:
 * gateway endpoints it creates on the given route tables, or the VPC's own.
 */
function networkProblems(at: string, target: TargetSettings): ConfigProblem[] {
  const vpc = target.network?.vpc;
  if (vpc === undefined) return [];
  const path = `${at}.network.vpc`;
  const problems: ConfigProblem[] = [];
  if (target.availabilityZones !== undefined) {
    problems.push({
      path: `${at}.availabilityZones`,
      message: 'names the zones of the VPC the kit creates, but network.vpc imports an existing VPC; remove availabilityZones and list that VPC\'s zones in network.vpc.availabilityZones.',
    });
  }
  vpc.availabilityZones.forEach((zone, i) => {
    if (!zone.startsWith(target.region)) {
      problems.push({ path: `${path}.availabilityZones[${i}]`, message: `"${zone}" is not a zone of the target region ${target.region}; the VPC must be in ${target.region} (e.g. "${target.region}a").` });
    }
  });
  problems.push(...duplicateProblems(`${path}.availabilityZones`, vpc.availabilityZones, 'zone'));
  const kinds = (['isolatedSubnetIds', 'privateSubnetIds'] as const).filter((field) => vpc[field] !== undefined);
  if (kinds.length !== 1) {
    problems.push({
      path,
      message:
        kinds.length === 0
          ? 'names no subnets for the kit\'s functions and endpoints; list them in isolatedSubnetIds (no route out of the VPC) or privateSubnetIds (a route out through NAT or a transit gateway).'
          : 'sets both isolatedSubnetIds and privateSubnetIds; the kit places its functions and endpoints in one kind of subnet: keep one list.',
    });
  }
  const [field] = kinds;
  const subnets = field === undefined ? [] : vpc[field]!;
  if (field !== undefined) {
    problems.push(...duplicateProblems(`${path}.${field}`, subnets, 'subnet'));
    const zones = vpc.availabilityZones.length;
    if (subnets.length < zones || subnets.length % zones !== 0) {
      problems.push({
        path: `${path}.${field}`,
        message: `lists ${subnets.length} subnet${subnets.length === 1 ? '' : 's'} for ${zones} zones; list one subnet per zone (or the same number in each), in the order of availabilityZones.`,
      });
    }
  }
  if (vpc.routeTableIds !== undefined && vpc.gatewayEndpoints !== undefined) {
    problems.push({
      path,
      message: 'sets both routeTableIds (the kit creates S3 and DynamoDB gateway endpoints on them) and gatewayEndpoints (the VPC\'s own); a route table holds one gateway endpoint per service, so keep one.',
    });
  } else if (vpc.routeTableIds === undefined && vpc.gatewayEndpoints === undefined) {
    problems.push({
      path,
      message:
        'does not say how the functions reach S3 and DynamoDB (the payload bucket admits only requests through an S3 gateway endpoint); ' +
        'set routeTableIds (each subnet\'s route table, for the kit\'s own gateway endpoints) or gatewayEndpoints {"s3": "vpce-...", "dynamodb": "vpce-..."} (the VPC\'s existing ones).',
    });
  } else if (vpc.routeTableIds !== undefined && field !== undefined && vpc.routeTableIds.length !== subnets.length) {
    problems.push({
      path: `${path}.routeTableIds`,
      message: `lists ${vpc.routeTableIds.length} route tables for ${subnets.length} subnets; give each subnet's route table, in the order of ${field} (repeat one that several subnets share).`,
    });
  }
  return problems;
}

/** The interface endpoint a model of this kind is reached through from the isolated subnets. */
const SAGEMAKER_RUNTIME_ENDPOINT = 'sagemaker.runtime';

/**
 * Model rules: `neuron` means this target's Neuron endpoint, so the target
 * must declare one; a SageMaker model is reached through the SageMaker
 * runtime interface endpoint (the subnets have no other way out); a Bedrock
 * inference profile may route only to residency.regions.
 */
function modelProblems(name: string, target: TargetSettings): ConfigProblem[] {
  const at = `targets.${name}`;
  const models: Array<[string, ModelConfig | undefined]> = [
    ['model', target.model],
    ['summarizerModel', target.summarizerModel],
    ['memory.model', target.memory?.model],
  ];
  return models.flatMap(([field, model]) => (model ? modelRuleProblems(at, field, model, target) : []));
}

/** The model rules for one model of the target, at `<at>.<field>`. */
function modelRuleProblems(at: string, field: string, model: ModelConfig, target: TargetSettings): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (model.kind === 'neuron' && target.neuron === undefined) {
    problems.push({
      path: `${at}.${field}.kind`,
      message:
        `"neuron" means this target's own Neuron endpoint, but ${at}.neuron is not set. ` +
        `Add it (e.g. "neuron": {"instanceType": "ml.inf2.xlarge", "weightsPrefix": "llama-3-8b/"}), or use kind "bedrock-converse", or "sagemaker" with the endpointName of an endpoint deployed elsewhere.`,
    });
  }
  if ((model.kind === 'neuron' || model.kind === 'sagemaker') && !target.interfaceEndpoints.includes(SAGEMAKER_RUNTIME_ENDPOINT)) {
    problems.push({
      path: `${at}.interfaceEndpoints`,
      message: `${field} calls a SageMaker endpoint, which the isolated subnets reach only through the "${SAGEMAKER_RUNTIME_ENDPOINT}" interface endpoint; add "${SAGEMAKER_RUNTIME_ENDPOINT}" to interfaceEndpoints.`,
    });
  }
  if (model.kind === 'bedrock-converse') {
    const problem = inferenceProfileProblem(model.modelId, target);
    if (problem) problems.push({ path: `${at}.${field}.modelId`, message: problem });
  }
  return problems;
}

/**
 * Data residency (SC-7): an inference profile is allowed only with
 * crossRegionInference "within-partition" and every region it can route to
 * (the region facts' INFERENCE_PROFILE_ROUTES) in residency.regions. The
 * ModelBackend construct applies the same rule for library users.
 */
function inferenceProfileProblem(modelId: string, target: TargetSettings): string | undefined {
  const { regions, crossRegionInference } = target.residency;
  if (isInferenceProfileArn(modelId)) {
    return (
      `"${modelId}" is an inference-profile ARN, whose routes cannot be checked against residency.regions (an application profile copies another profile's routes, and its ARN does not say which). ` +
      'Use the system-defined profile id (e.g. "us-gov.anthropic.claude-3-haiku-20240307-v1:0"), whose prefix names its routes, or an in-region model id.'
    );
  }
  const prefix = inferenceProfilePrefix(modelId);
  if (prefix === undefined) return undefined;
  const fact = INFERENCE_PROFILE_ROUTES[prefix];
  const baseModelId = modelId.slice(prefix.length + 1);
  const routes = fact.routes === ANY_COMMERCIAL_REGION ? 'any commercial region worldwide' : fact.routes.join(', ');
  const what = `"${modelId}" is a cross-region inference profile: Bedrock may process its requests in ${routes} (source: ${fact.source}).`;
  const inRegion = `use the in-region model id "${baseModelId}"`;
  if (crossRegionInference === 'deny') {
    return `${what} residency.crossRegionInference is "deny", so requests must stay in ${target.region}. Instead, ${inRegion}, or set crossRegionInference to "within-partition" and list every region the profile routes to in residency.regions.`;
  }
  if (fact.routes === ANY_COMMERCIAL_REGION) {
    const geographic = partitionOf(target.region)?.id === 'aws-us-gov' ? 'us-gov' : 'us';
    return (
      `${what} No residency.regions list can hold every commercial region. ` +
      `Instead, ${inRegion}, or a geographic profile whose routes are all in residency.regions (e.g. "${geographic}.${baseModelId}", which routes to ${profileRoutesOutside(INFERENCE_PROFILE_ROUTES[geographic], []).join(', ')}).`
    );
  }
  const missing = profileRoutesOutside(fact, regions);
  if (missing.length === 0) return undefined;
  return (
    `${what} residency.regions (${regions.join(', ')}) does not list ${missing.join(', ')}, so prompts and replies could be processed outside the allowed regions. ` +
    `Instead, ${inRegion}, or add ${missing.join(', ')} to residency.regions if your rules allow the data there.`
  );
}

/**
 * Memory rules: an agent's recalled records fit inside the context budget;
 * the embedding model runs in the target region; each export role is a
 * role of this target's tenants (the tenant of an export comes from the
 * caller's role, like every request's).
 */
function memoryProblems(at: string, target: TargetSettings): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [name, agent] of Object.entries(target.agents)) {
    const recall = agent.memory?.recallTokens;
    if (recall !== undefined && recall >= target.session.contextTokens) {
      problems.push({
        path: `${at}.agents.${name}.memory.recallTokens`,
        message: `is ${recall}, but a turn's whole context is session.contextTokens = ${target.session.contextTokens} tokens, and recalled records share it with the summary and the newest events; give fewer than ${target.session.contextTokens} (the default is ${DEFAULT_RECALL_TOKENS}), or raise session.contextTokens.`,
      });
    }
  }
  const embeddingModel = target.memory?.embeddingModel;
  if (typeof embeddingModel === 'string') {
    const check = checkCapability(`bedrock:model:${embeddingModel}`, target.region);
    if (check.status === FactStatus.UNAVAILABLE) {
      problems.push({
        path: `${at}.memory.embeddingModel`,
        message: `"${embeddingModel}" does not run in ${target.region} (${check.fact?.why ?? check.fact?.source ?? 'lib/residency/region-facts.ts'}), and recall must stay in-region; set it to false for lexical ranking, or leave it out for the region's default.`,
      });
    }
  }
  const exportRoles = target.memory?.exportRoles ?? [];
  const roles = Object.values(target.tenants).flat();
  exportRoles.forEach((role, i) => {
    if (!roles.includes(role)) {
      problems.push({
        path: `${at}.memory.exportRoles[${i}]`,
        message: `"${role}" is not a role of this target's tenants; an export reads one tenant's memory, and the tenant comes from the caller's role: map the role to its tenant under tenants first, or remove it.`,
      });
    }
  });
  problems.push(...duplicateProblems(`${at}.memory.exportRoles`, exportRoles, 'role'));
  return problems;
}

/** Neuron rules the schema cannot express alone (ranges are the NeuronEndpoint construct's to check). */
function neuronProblems(at: string, target: TargetSettings): ConfigProblem[] {
  const neuron = target.neuron;
  if (neuron?.workingHours !== undefined && (neuron.schedule ?? NEURON_DEFAULTS.schedule) === 'always-on') {
    return [
      {
        path: `${at}.neuron.workingHours`,
        message: 'is set, but schedule is "always-on", which keeps one set of bounds all week; remove workingHours, or set schedule to "working-hours".',
      },
    ];
  }
  return [];
}

/**
 * Tool rules: every enabled tool has its settings, the tenant policy names
 * declared tenants and enabled tools, the actors are roles of the tenants,
 * and the Cedar policies validate (toolPolicyProblems). (A tool the region
 * cannot run is the capability gate's to report, at synth, with the region
 * fact's reasons.)
 */
function toolProblems(at: string, target: TargetSettings): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const enabled = resolveEnabledTools(target);
  (target.tools.enabled ?? []).forEach((name, i) => {
    const path = `${at}.tools.enabled[${i}]`;
    if (target.tools.enabled!.indexOf(name) !== i) problems.push({ path, message: `"${name}" is listed twice; list each tool once.` });
    for (const setting of missingToolSettings(findTool(name)!, target.tools)) {
      problems.push({ path, message: `"${name}" needs ${setting}; set it, or remove "${name}" from tools.enabled.` });
    }
  });
  for (const [tenant, names] of Object.entries(target.tools.policy)) {
    if (!(tenant in target.tenants)) {
      problems.push({
        path: `${at}.tools.policy.${tenant}`,
        message: `"${tenant}" is not a tenant of this target (tenants: ${Object.keys(target.tenants).join(', ') || 'none'}); declare it under tenants, or remove its policy.`,
      });
    }
    names.forEach((name, i) => {
      if (!enabled.includes(name)) {
        problems.push({
          path: `${at}.tools.policy.${tenant}[${i}]`,
          message: `"${name}" is not enabled in this target (enabled: ${enabled.join(', ') || 'none'}); enable it under tools.enabled, or remove it from the policy.`,
        });
      }
    });
  }
  const roles = Object.values(target.tenants).flat();
  for (const role of Object.keys(target.tools.actors ?? {})) {
    if (!roles.includes(role)) {
      problems.push({
        path: `${at}.tools.actors.${role}`,
        message: `"${role}" is not a role of this target's tenants; map it to a tenant under tenants first, or remove its attributes.`,
      });
    }
  }
  // The Cedar validation would repeat the problems above in its own words.
  return problems.length > 0 ? problems : toolPolicyProblems(at, target);
}

/**
 * A target's tool policies (ToolPolicySet): lib/policy/default.cedar, the
 * policyFiles, the tenant map's forbids and the actors' attributes,
 * validated for its tenants, agents and enabled tools.
 * @throws ToolPolicyError
 */
export function targetToolPolicies(target: TargetSettings): ToolPolicySet {
  return ToolPolicySet.of(
    { files: [...DEFAULT_TOOL_POLICY_FILES, ...(target.tools.policyFiles ?? [])], tenantTools: target.tools.policy, actors: target.tools.actors },
    { tools: resolveEnabledTools(target).map((name) => findTool(name)!), tenants: Object.keys(target.tenants), agents: Object.keys(target.agents) },
  );
}

/** Each policy problem at the configuration field it comes from, with the file, line and column in the message. */
function toolPolicyProblems(at: string, target: TargetSettings): ConfigProblem[] {
  const fieldOf = (problem: ToolPolicyProblem): string => {
    if (problem.role !== undefined) return `${at}.tools.actors.${problem.role}`;
    if (problem.source.startsWith('tools.policy.')) return `${at}.${problem.source}`;
    const i = (target.tools.policyFiles ?? []).indexOf(problem.file ?? '');
    return i < 0 ? `${at}.tools` : `${at}.tools.policyFiles[${i}]`;
  };
  try {
    targetToolPolicies(target);
    return [];
  } catch (error) {
    if (!(error instanceof ToolPolicyError)) throw error;
    return error.problems.map((problem) => ({ path: fieldOf(problem), message: formatToolPolicyProblem(problem) }));
  }
}

/**
 * Agent rules: the default agent exists; each agent's tools are enabled,
 * its delegates and handoffs are other agents of the target, and its model
 * follows the model rules.
 */
function agentProblems(at: string, target: TargetSettings): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = Object.keys(target.agents);
  const known = names.map((n) => `"${n}"`).join(', ');
  if (!(target.defaultAgent in target.agents)) {
    problems.push({ path: `${at}.defaultAgent`, message: `"${target.defaultAgent}" is not an agent of this target (agents: ${known}); name one of them, or declare it under agents.` });
  }
  const enabled = resolveEnabledTools(target);
  for (const [name, agent] of Object.entries(target.agents)) {
    const path = `${at}.agents.${name}`;
    (agent.tools ?? []).forEach((tool, i) => {
      if (!enabled.includes(tool)) {
        problems.push({ path: `${path}.tools[${i}]`, message: `"${tool}" is not enabled in this target (enabled: ${enabled.join(', ') || 'none'}); enable it under tools.enabled, or remove it from the agent.` });
      }
    });
    for (const field of ['delegates', 'handoffs'] as const) {
      (agent[field] ?? []).forEach((other, i) => {
        if (other === name) problems.push({ path: `${path}.${field}[${i}]`, message: `an agent cannot ${field === 'delegates' ? 'delegate' : 'hand off'} to itself; remove "${other}".` });
        else if (!(other in target.agents)) problems.push({ path: `${path}.${field}[${i}]`, message: `"${other}" is not an agent of this target (agents: ${known}); declare it, or remove it.` });
      });
    }
    if (agent.model) problems.push(...modelRuleProblems(at, `agents.${name}.model`, agent.model, target));
    if (agent.guardrail !== undefined && !(agent.guardrail in (target.guardrails ?? {}))) {
      const declared = Object.keys(target.guardrails ?? {});
      problems.push({
        path: `${path}.guardrail`,
        message: `"${agent.guardrail}" is not a guardrail of this target (guardrails: ${declared.map((g) => `"${g}"`).join(', ') || 'none'}); declare it under guardrails, or remove it.`,
      });
    }
  }
  return problems;
}

/** `tools.enabled` as written, or the region's default. */
function resolveEnabledTools(target: TargetSettings): string[] {
  return target.tools.enabled ?? defaultEnabledTools(target.region, target.tools);
}

/** A target's Neuron endpoint with its name, server and schedule filled in. */
function resolveNeuron(name: string, target: TargetSettings): NeuronConfig | undefined {
  const neuron = target.neuron;
  if (neuron === undefined) return undefined;
  return {
    ...neuron,
    endpointName: neuron.endpointName ?? neuronEndpointName(name),
    server: neuron.server ?? NEURON_DEFAULTS.server,
    schedule: neuron.schedule ?? NEURON_DEFAULTS.schedule,
  };
}

/** The parsed configuration with every default that depends on the region or the target's name filled in. */
function resolve(settings: Record<string, TargetSettings>): StatehouseConfig {
  const targets = Object.fromEntries(
    Object.entries(settings).map(([name, target]): [string, TargetConfig] => [
      name,
      { ...target, tools: { ...target.tools, enabled: resolveEnabledTools(target) }, neuron: resolveNeuron(name, target) },
    ]),
  );
  return { targets };
}

function zodProblems(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    message:
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling against README "Configuration reference".`
        : issue.message,
  }));
}

/**
 * Parse and validate a configuration: user overrides deep-merged over the
 * defaults. Throws a ConfigError listing every problem.
 */
export function parseConfig(overrides: Json = {}): StatehouseConfig {
  if (!isPlainObject(overrides)) {
    throw new ConfigError([{ path: '(root)', message: 'must be a JSON object such as {"targets": {...}}' }]);
  }
  // A target the defaults do not declare starts from the per-target defaults.
  const overriddenTargets = isPlainObject(overrides.targets) ? Object.keys(overrides.targets) : [];
  const base = {
    ...DEFAULT_CONFIG,
    targets: {
      ...Object.fromEntries(overriddenTargets.map((name) => [name, TARGET_DEFAULTS])),
      ...DEFAULT_CONFIG.targets,
    },
  };
  const merged = mergeConfig(base, overrides);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(zodProblems(parsed.error));
  const targets = Object.fromEntries(Object.entries(parsed.data.targets).map(([name, target]) => [name, withResidencyDefaults(target)]));
  const problems = crossFieldProblems(targets);
  if (problems.length > 0) throw new ConfigError(problems);
  return resolve(targets);
}

/**
 * Which targets to synthesize: `-c targets=GovWest,GovEast`, or every target
 * marked `default: true`.
 */
export function selectTargets(config: StatehouseConfig, selection?: string): Array<[string, TargetConfig]> {
  const all = Object.entries(config.targets);
  if (selection === undefined || selection.trim() === '') return all.filter(([, t]) => t.default);
  const names = selection.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const unknown = names.filter((n) => !(n in config.targets));
  if (unknown.length > 0) {
    throw new ConfigError(
      unknown.map((n) => ({
        path: 'targets (context)',
        message: `no target named "${n}"; declared targets are ${Object.keys(config.targets).join(', ')}.`,
      })),
    );
  }
  return names.map((n) => [n, config.targets[n]] as [string, TargetConfig]);
}
