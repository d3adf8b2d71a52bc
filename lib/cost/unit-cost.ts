import type { TargetConfig } from '../config/schema';
import { FUNCTION_MEMORY_MB } from '../constructs/platform-function/platform-function-defaults';
import { AVERAGE_EVENT_KB, LAMBDA_ARCHITECTURE, LAMBDA_INVOCATIONS_PER_TURN, ORCHESTRATOR_SECONDS_PER_TURN, turnUsage } from './cost-inputs';
import { costLine, estimateMonthlyCost, type CostLineItem } from './estimate';
import {
  API_GATEWAY_REST_REQUESTS,
  CLOUDTRAIL_DATA_EVENTS,
  DYNAMODB_WRITE_UNITS,
  INTERFACE_ENDPOINT_GB,
  LAMBDA_GB_SECONDS,
  LOGS_INGESTION_GB,
  XRAY_TRACES,
  type Price,
} from './price-table';
import { estimateRoundCost, ROUND_FUNCTION_SECONDS, TRANSITIONS_PER_ROUND, TRANSITIONS_PER_SLOW_CALL } from './round-cost';

/**
 * What one turn, one background round and one delegated call cost, model
 * tokens apart: the serverless parts the monthly estimate and round-cost.ts
 * price, plus what the platform around them bills per use (the API request,
 * the trail's DynamoDB data events, log ingestion, the X-Ray trace, data
 * through the model's interface endpoint). Each figure is a named assumption.
 */

/** Log lines a function invocation writes (START / END / REPORT and the kit's structured lines). */
export const LOG_KB_PER_INVOCATION = 2;
/** One access-log line per API request. */
export const LOG_KB_PER_API_REQUEST = 1;
/** The trail delivers each data event to its CloudWatch log group too. */
export const LOG_KB_PER_TRAIL_EVENT = 1.5;
/** DynamoDB calls per turn or round (one Query, one TransactWriteItems): each a CloudTrail data event on the trail's table selector. */
export const DYNAMODB_CALLS_PER_COMMIT = 2;
/** The model request (context and tool specs) and its reply through the model's interface endpoint. */
export const MODEL_CALL_KB = 60;
/**
 * A delegated call runs in its caller's invocation (lambda/core/domain/turn-step.ts): the delegate's
 * model call, its request, its reply and its answer as the caller's tool result, written in the caller's commit.
 */
export const EVENTS_WRITTEN_PER_DELEGATED_CALL = 3;
const WRITE_UNITS_PER_KB_IN_TRANSACTION = 2;
const KB_PER_GB = 1024 * 1024;

export interface UnitCost {
  readonly name: string;
  readonly lineItems: readonly CostLineItem[];
  /** Sum of the lines with a known price, USD per unit. */
  readonly totalUsd: number;
  /** The part of `totalUsd` the platform around the work bills (API, trail, logs, endpoint data): what the usage estimate does not hold. */
  readonly platformUsd: number;
  readonly unconfirmed: boolean;
  readonly assumptions: string;
}

interface PlatformUse {
  readonly apiRequests: number;
  readonly dynamoCalls: number;
  readonly invocations: number;
  readonly modelCalls: number;
}

/** The platform's per-use charges around one unit of work. */
function platformLines(region: string, use: PlatformUse): CostLineItem[] {
  const logKb = use.invocations * LOG_KB_PER_INVOCATION + use.apiRequests * LOG_KB_PER_API_REQUEST + use.dynamoCalls * LOG_KB_PER_TRAIL_EVENT;
  const lines: Array<[string, number, Price]> = [
    ['API Gateway requests', use.apiRequests, API_GATEWAY_REST_REQUESTS],
    ['X-Ray traces (API stage tracing)', use.apiRequests, XRAY_TRACES],
    ['CloudTrail data events (DynamoDB)', use.dynamoCalls, CLOUDTRAIL_DATA_EVENTS],
    ['CloudWatch Logs ingestion', logKb / KB_PER_GB, LOGS_INGESTION_GB],
    ['Interface endpoint data (model calls)', (use.modelCalls * MODEL_CALL_KB) / KB_PER_GB, INTERFACE_ENDPOINT_GB],
  ];
  return lines.filter(([, quantity]) => quantity > 0).map(([item, quantity, price]) => costLine(item, quantity, price, region));
}

const sum = (lines: readonly CostLineItem[]) => lines.reduce((total, l) => total + (l.monthlyUsd ?? 0), 0);

function unitCost(name: string, work: CostLineItem[], platform: CostLineItem[], assumptions: string): UnitCost {
  const lineItems = [...work, ...platform];
  return {
    name,
    lineItems,
    totalUsd: sum(lineItems),
    platformUsd: sum(platform),
    unconfirmed: lineItems.some((l) => l.status === 'unconfirmed'),
    assumptions,
  };
}

/** One synchronous turn: the monthly estimate's per-turn usage for a single turn, and the platform around it. */
export function turnCost(target: Pick<TargetConfig, 'region' | 'session'>): UnitCost {
  const serverless = estimateMonthlyCost({ region: target.region, usage: turnUsage(target, 1), lambdaArchitecture: LAMBDA_ARCHITECTURE }).lineItems;
  return unitCost(
    'one turn',
    [...serverless],
    platformLines(target.region, { apiRequests: 1, dynamoCalls: DYNAMODB_CALLS_PER_COMMIT, invocations: LAMBDA_INVOCATIONS_PER_TURN, modelCalls: 1 }),
    `the per-turn usage of lib/cost/cost-inputs.ts, 1 API request, ${DYNAMODB_CALLS_PER_COMMIT} DynamoDB data events, ${LOG_KB_PER_INVOCATION} KB of logs per invocation, 1 model call of ${MODEL_CALL_KB} KB`,
  );
}

/** One round of a background turn: round-cost.ts's lines, and the platform around them (no API request: the loop runs it). */
export function backgroundRoundCost(target: Pick<TargetConfig, 'region' | 'session'>): UnitCost {
  return unitCost(
    'one background round',
    [...estimateRoundCost(target).lineItems],
    platformLines(target.region, { apiRequests: 0, dynamoCalls: DYNAMODB_CALLS_PER_COMMIT, invocations: 1, modelCalls: 1 }),
    `${TRANSITIONS_PER_ROUND} transitions (about ${TRANSITIONS_PER_SLOW_CALL} more when it waits on a slow call), 1 invocation of ${ROUND_FUNCTION_SECONDS} s, 1 Query, 1 TransactWriteItems, 1 fast tool (lib/cost/round-cost.ts), ${DYNAMODB_CALLS_PER_COMMIT} DynamoDB data events, ${LOG_KB_PER_INVOCATION} KB of logs, 1 model call of ${MODEL_CALL_KB} KB`,
  );
}

/** One delegated call, on top of the turn or round that makes it: the delegate's model wait in the caller's invocation and its events in the caller's commit. */
export function delegatedCallCost(target: Pick<TargetConfig, 'region'>): UnitCost {
  const { region } = target;
  const writeKb = EVENTS_WRITTEN_PER_DELEGATED_CALL * AVERAGE_EVENT_KB;
  return unitCost(
    'one delegated call',
    [
      costLine(`Lambda compute (${LAMBDA_ARCHITECTURE})`, (FUNCTION_MEMORY_MB / 1024) * ORCHESTRATOR_SECONDS_PER_TURN, LAMBDA_GB_SECONDS[LAMBDA_ARCHITECTURE], region),
      costLine('DynamoDB writes (on demand)', writeKb * WRITE_UNITS_PER_KB_IN_TRANSACTION, DYNAMODB_WRITE_UNITS, region),
    ],
    platformLines(region, { apiRequests: 0, dynamoCalls: 0, invocations: 0, modelCalls: 1 }),
    `${ORCHESTRATOR_SECONDS_PER_TURN} s more of the caller's invocation at ${FUNCTION_MEMORY_MB} MB (the delegate's model call), ${EVENTS_WRITTEN_PER_DELEGATED_CALL} events more in the caller's commit, 1 model call of ${MODEL_CALL_KB} KB; no extra request, read or DynamoDB call`,
  );
}
