import { ConfigError } from '../config/load';
import type { TargetConfig } from '../config/schema';
import { ScalingSchedule } from '../constructs/neuron-endpoint/endpoint-scaling';
import { MAX_CAPACITY, OFF_HOURS_MAX_CAPACITY } from '../constructs/neuron-endpoint/neuron-endpoint-defaults';
import { NeuronInstanceType } from '../constructs/neuron-endpoint/neuron-instance-type';
import { FUNCTION_ARCHITECTURE, FUNCTION_MEMORY_MB } from '../constructs/platform-function/platform-function-defaults';
import { checkCapability } from '../residency/capability-gate';
import { FactStatus } from '../residency/region-facts';
import type { CostInput, EndpointUsage, TurnUsage } from './estimate';
import { MODEL_SIZES, type ModelSize } from './neuron-throughput';

/**
 * Usage assumptions of the estimate, named so a reader can check each one.
 * They describe one turn as DESIGN.md draws it: one Query, one
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

/**
 * The endpoint the kit plans for a target that does not configure one: the
 * smallest Inferentia2 size under NeuronEndpoint's default scaling, at its
 * working-hours maximum (an upper bound) and its off-hours instance count.
 */
export const DEFAULT_ENDPOINT: EndpointUsage = {
  instanceType: NeuronInstanceType.INF2_XLARGE.name,
  workingHoursInstances: MAX_CAPACITY,
  offHoursInstances: OFF_HOURS_MAX_CAPACITY,
  workingHoursPerWeek: ScalingSchedule.workingHours().workingHoursPerWeek,
};

/**
 * The `neuron` field a target may carry once the configuration has one. The
 * config schema does not declare it yet; this is what the estimate reads.
 */
export interface NeuronCostFields {
  readonly instanceType?: string;
  readonly workingHoursInstances?: number;
  readonly offHoursInstances?: number;
  readonly workingHoursPerWeek?: number;
  readonly modelSize?: ModelSize;
}

/** Per-turn usage from what the target's configuration says (context size) and the assumptions above. */
export function turnUsage(target: TargetConfig, turnsPerMonth: number = DEFAULT_TURNS_PER_MONTH): TurnUsage {
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

function neuronFields(targetName: string, target: TargetConfig): NeuronCostFields | undefined {
  const raw = (target as TargetConfig & { neuron?: unknown }).neuron;
  if (raw === undefined) return undefined;
  const at = `targets.${targetName}.neuron`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError([{ path: at, message: 'must be an object' }]);
  const fields = raw as Record<string, unknown>;
  const problems: Array<{ path: string; message: string }> = [];
  if (fields.instanceType !== undefined && typeof fields.instanceType !== 'string') problems.push({ path: `${at}.instanceType`, message: 'must be a SageMaker instance type such as "ml.inf2.xlarge"' });
  for (const key of ['workingHoursInstances', 'offHoursInstances', 'workingHoursPerWeek'] as const) {
    if (fields[key] !== undefined && typeof fields[key] !== 'number') problems.push({ path: `${at}.${key}`, message: 'must be a number' });
  }
  if (fields.modelSize !== undefined && !MODEL_SIZES.includes(fields.modelSize as ModelSize)) {
    problems.push({ path: `${at}.modelSize`, message: `must be one of ${MODEL_SIZES.map((s) => `"${s}"`).join(', ')}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return fields as NeuronCostFields;
}

/**
 * What the estimate needs for one target, read from its configuration as it
 * is today: the region, an optional `neuron` field, the session settings, and
 * the named usage assumptions. Notes say what was assumed.
 */
export function costInputsForTarget(targetName: string, target: TargetConfig, turnsPerMonth?: number): { input: CostInput; notes: string[] } {
  const notes: string[] = [];
  const neuron = neuronFields(targetName, target);
  const hosting = checkCapability('sagemaker:hosting', target.region);
  let endpoint: EndpointUsage | undefined;
  if (hosting.status === FactStatus.UNAVAILABLE) {
    notes.push(`No endpoint: SageMaker hosting is unavailable in ${target.region} (${hosting.fact?.source}).`);
  } else if (neuron) {
    endpoint = {
      instanceType: neuron.instanceType ?? DEFAULT_ENDPOINT.instanceType,
      workingHoursInstances: neuron.workingHoursInstances ?? DEFAULT_ENDPOINT.workingHoursInstances,
      offHoursInstances: neuron.offHoursInstances ?? DEFAULT_ENDPOINT.offHoursInstances,
      workingHoursPerWeek: neuron.workingHoursPerWeek ?? DEFAULT_ENDPOINT.workingHoursPerWeek,
    };
    notes.push(`Endpoint from targets.${targetName}.neuron, the rest from the kit's defaults.`);
  } else {
    endpoint = DEFAULT_ENDPOINT;
    notes.push(
      `targets.${targetName} configures no Neuron endpoint: the endpoint line plans the kit's default (${DEFAULT_ENDPOINT.instanceType}, ` +
        `${DEFAULT_ENDPOINT.workingHoursInstances} instances for ${DEFAULT_ENDPOINT.workingHoursPerWeek} working hours a week, ${DEFAULT_ENDPOINT.offHoursInstances} otherwise).`,
    );
  }
  if (target.model.kind !== 'sagemaker') notes.push(`The target's model backend is ${target.model.kind}: its model charges are not in this estimate (no price in FACTS.md).`);
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
      modelSize: neuron?.modelSize ?? DEFAULT_MODEL_SIZE,
      lambdaArchitecture: FUNCTION_ARCHITECTURE.name === 'arm64' ? 'arm64' : 'x86_64',
    },
    notes,
  };
}
