import type { ModelConfig, NeuronConfig, TargetConfig } from '../config/schema';
import { memoryInUse, neuronConfigError, neuronEndpointSettings, type NeuronEndpointSettings } from '../stacks/target-props';
import { MAX_CAPACITY } from '../constructs/neuron-endpoint/neuron-endpoint-defaults';
import { FUNCTION_ARCHITECTURE, FUNCTION_MEMORY_MB } from '../constructs/platform-function/platform-function-defaults';
import { checkCapability } from '../residency/capability-gate';
import { FactStatus } from '../residency/region-facts';
import type { CostInput, EndpointUsage, TurnUsage } from './estimate';
import type { ModelSize } from './neuron-throughput';

/**
 * Usage assumptions of the estimate, named so a reader can check each one.
 * They describe one turn as the session runtime makes it (README, "The session runtime"): one Query, one
 * TransactWriteItems, the orchestrator waiting on the model, one fast tool.
 */

export const DEFAULT_TURNS_PER_MONTH = 100_000;
/** Average stored event (a message or a tool result inlined under the 64 KB threshold). */
export const AVERAGE_EVENT_KB = 1;
/** The session header: versions, token totals, summary, recent request ids. */
export const AVERAGE_HEADER_KB = 2;
/** A user and an assistant event per turn. */
export const EVENTS_WRITTEN_PER_TURN = 2;
/** Strongly consistent reads: one read unit per 4 KB, the Query's items summed then rounded up. */
const KB_PER_READ_UNIT = 4;
/** Transactional writes: two write units per KB of each item. */
const WRITE_UNITS_PER_KB_IN_TRANSACTION = 2;
/** Seconds the orchestrator runs per turn, mostly waiting on the model; plus one tool or summarizer invocation. */
export const ORCHESTRATOR_SECONDS_PER_TURN = 3.5;
export const OTHER_FUNCTION_SECONDS_PER_TURN = 0.5;
export const LAMBDA_INVOCATIONS_PER_TURN = 2;
/** One fast tool call per turn on average (Express workflow, StartSyncExecution). */
export const EXPRESS_REQUESTS_PER_TURN = 1;
/** 1 % of turns start an approval-gated Standard workflow of about ten transitions. */
export const APPROVAL_WORKFLOW_SHARE = 0.01;
export const TRANSITIONS_PER_APPROVAL_WORKFLOW = 10;
/** Benchmarks exist for Llama-3 8B and 70B; 8B is what a one-chip inf2 size serves. */
export const DEFAULT_MODEL_SIZE: ModelSize = '8B';
/** The kit's function architecture, as the Lambda price table names it. */
export const LAMBDA_ARCHITECTURE: 'x86_64' | 'arm64' = FUNCTION_ARCHITECTURE.name === 'arm64' ? 'arm64' : 'x86_64';

/** Per-turn usage from what the target's configuration says (context size) and the assumptions above. */
export function turnUsage(target: Pick<TargetConfig, 'session'>, turnsPerMonth: number = DEFAULT_TURNS_PER_MONTH): TurnUsage {
  const readKb = AVERAGE_HEADER_KB + target.session.contextEvents * AVERAGE_EVENT_KB;
  const writeKb = AVERAGE_HEADER_KB + EVENTS_WRITTEN_PER_TURN * AVERAGE_EVENT_KB;
  const gb = FUNCTION_MEMORY_MB / 1024;
  return {
    turnsPerMonth,
    dynamoReadUnitsPerTurn: Math.ceil(readKb / KB_PER_READ_UNIT),
    dynamoWriteUnitsPerTurn: writeKb * WRITE_UNITS_PER_KB_IN_TRANSACTION,
    lambdaGbSecondsPerTurn: gb * (ORCHESTRATOR_SECONDS_PER_TURN + OTHER_FUNCTION_SECONDS_PER_TURN),
    lambdaInvocationsPerTurn: LAMBDA_INVOCATIONS_PER_TURN,
    expressRequestsPerTurn: EXPRESS_REQUESTS_PER_TURN,
    standardTransitionsPerMonth: turnsPerMonth * APPROVAL_WORKFLOW_SHARE * TRANSITIONS_PER_APPROVAL_WORKFLOW,
  };
}

/**
 * The endpoint's instances over a week, as the target's `neuron` configuration
 * schedules them: `maxCapacity` during working hours (an upper bound: target
 * tracking may run fewer), the schedule's off-hours maximum the rest of the
 * week; `always-on` runs `maxCapacity` all 168 hours. Unset fields take the
 * NeuronEndpoint defaults, as the Inference stack does.
 */
export function neuronEndpointUsage(targetName: string, neuron: NeuronConfig): EndpointUsage {
  let settings: NeuronEndpointSettings;
  try {
    settings = neuronEndpointSettings(neuron);
  } catch (e) {
    throw neuronConfigError(e, `targets.${targetName}.neuron`);
  }
  const workingHoursInstances = settings.maxCapacity ?? MAX_CAPACITY;
  const schedule = settings.scalingSchedule;
  return {
    instanceType: neuron.instanceType,
    workingHoursInstances,
    offHoursInstances: schedule.offHours?.maxCapacity ?? workingHoursInstances,
    workingHoursPerWeek: schedule.workingHoursPerWeek,
  };
}

const isBedrock = (model: ModelConfig | undefined) => model?.kind === 'bedrock-converse';

/** What the estimate leaves out about the target's models, in words. */
function modelNotes(targetName: string, target: TargetConfig): string[] {
  const at = `targets.${targetName}`;
  const models: Array<[string, ModelConfig | undefined]> = [
    ['model', target.model],
    ['summarizerModel', target.summarizerModel],
    // The memory extractor calls its model once per new stretch of a session's events, when some agent has memory on.
    ...(memoryInUse(target) ? ([['memory.model', target.memory?.model ?? target.model]] as Array<[string, ModelConfig]>) : []),
  ];
  const bedrock = models.filter(([, m]) => isBedrock(m)).map(([field, m]) => `${field}: ${m!.kind}`);
  const notes = [
    target.neuron === undefined
      ? `${at}: no Neuron endpoint configured${bedrock.length > 0 ? '; Bedrock is billed per token and not estimated' : ''}.`
      : bedrock.length > 0
        ? `Bedrock is billed per token and not estimated (${bedrock.join(', ')}).`
        : undefined,
  ];
  for (const [field, model] of models) {
    if (model?.kind === 'sagemaker') notes.push(`${at}.${field} calls SageMaker endpoint "${model.endpointName}", which this kit does not deploy: not estimated.`);
  }
  return notes.filter((n): n is string => n !== undefined);
}

/**
 * What the estimate needs for one target, read from its configuration: the
 * region, the `neuron` endpoint (none without it), the session settings, and
 * the named usage assumptions. Notes say what was assumed and left out.
 * @throws ConfigError when the `neuron` working hours cannot run.
 */
export function costInputsForTarget(targetName: string, target: TargetConfig, turnsPerMonth?: number): { input: CostInput; notes: string[] } {
  const notes = modelNotes(targetName, target);
  const neuron = target.neuron;
  let endpoint: EndpointUsage | undefined;
  let modelSize: ModelSize | undefined;
  if (neuron) {
    const hosting = checkCapability('sagemaker:hosting', target.region);
    if (hosting.status === FactStatus.UNAVAILABLE) {
      notes.unshift(`No endpoint line: SageMaker hosting is unavailable in ${target.region} (${hosting.fact?.source}), so synth of targets.${targetName}.neuron fails.`);
    } else {
      endpoint = neuronEndpointUsage(targetName, neuron);
      modelSize = neuron.modelSize ?? DEFAULT_MODEL_SIZE;
      const hours =
        neuron.schedule === 'always-on'
          ? `${endpoint.workingHoursInstances} (maxCapacity) all week (always-on)`
          : `${endpoint.workingHoursInstances} (maxCapacity) for ${endpoint.workingHoursPerWeek} working hours a week, ${endpoint.offHoursInstances} (off-hours maximum) otherwise`;
      notes.unshift(
        `Endpoint from targets.${targetName}.neuron: ${endpoint.instanceType}, ${hours}; an upper bound, target tracking may run fewer.` +
          (neuron.modelSize === undefined ? ` Cost per token for Llama 3 ${DEFAULT_MODEL_SIZE} (neuron.modelSize not set).` : ''),
      );
    }
  }
  const usage = turnUsage(target, turnsPerMonth);
  notes.push(
    `Usage: ${usage.turnsPerMonth.toLocaleString('en-US')} turns a month; per turn ${usage.dynamoReadUnitsPerTurn} read units (header + ${target.session.contextEvents} events), ` +
      `${usage.dynamoWriteUnitsPerTurn} write units, ${usage.lambdaInvocationsPerTurn} Lambda invocations and ${usage.lambdaGbSecondsPerTurn} GB-s, ${usage.expressRequestsPerTurn} Express request; ` +
      `${usage.standardTransitionsPerMonth.toLocaleString('en-US')} Standard transitions a month (assumptions in lib/cost/cost-inputs.ts).`,
  );
  return {
    input: {
      region: target.region,
      endpoint,
      usage,
      modelSize,
      lambdaArchitecture: LAMBDA_ARCHITECTURE,
    },
    notes,
  };
}
