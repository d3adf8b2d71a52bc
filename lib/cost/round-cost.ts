import type { TargetConfig } from '../config/schema';
import { FUNCTION_MEMORY_MB } from '../constructs/platform-function/platform-function-defaults';
import { partitionOf } from '../residency/region-facts';
import { costLine, CostInputError, type CostLineItem } from './estimate';
import { AVERAGE_EVENT_KB, AVERAGE_HEADER_KB, EXPRESS_REQUESTS_PER_TURN, LAMBDA_ARCHITECTURE } from './cost-inputs';
import { DYNAMODB_READ_UNITS, DYNAMODB_WRITE_UNITS, EXPRESS_REQUESTS, LAMBDA_GB_SECONDS, LAMBDA_REQUESTS, STANDARD_TRANSITIONS, type Price } from './price-table';

/**
 * What one round of a background turn costs (lib/contract/agent-loop.ts),
 * model tokens apart: the agent loop's state transitions, one invocation of
 * the round function waiting on the model, one Query of the header and the
 * newest events, one TransactWriteItems of the round's events and the
 * header, and the fast tool the round calls. Each figure is a named
 * assumption, as in cost-inputs.ts.
 */

/**
 * States a round enters in the synthesized loop: Round, Round committed,
 * Next step? (lib/constructs/agent-loop/agent-loop.ts); Step Functions
 * bills each state entered as a transition.
 */
export const TRANSITIONS_PER_ROUND = 3;
/** A round that waits on a slow call adds the Parallel, the approval states and Round after the slow call: about ten. */
export const TRANSITIONS_PER_SLOW_CALL = 10;
/** Seconds the round function runs, nearly all of it waiting on the model. */
export const ROUND_FUNCTION_SECONDS = 5;
/** A round writes the model's reply, one tool call and its result. */
export const EVENTS_WRITTEN_PER_ROUND = 3;

export interface RoundCost {
  readonly region: string;
  readonly lineItems: readonly CostLineItem[];
  /** USD per round, known prices only. */
  readonly totalUsd: number;
  readonly unconfirmed: boolean;
}

const KB_PER_READ_UNIT = 4;
const WRITE_UNITS_PER_KB_IN_TRANSACTION = 2;

export function estimateRoundCost(target: Pick<TargetConfig, 'region' | 'session'>): RoundCost {
  const { region } = target;
  if (!partitionOf(region)) throw new CostInputError(`region "${region}" is not in lib/residency/region-facts.ts; the estimate needs its partition.`);
  // `monthlyUsd` of each line is per round here.
  const line = (item: string, quantity: number, price: Price): CostLineItem => costLine(item, quantity, price, region);
  const readKb = AVERAGE_HEADER_KB + target.session.contextEvents * AVERAGE_EVENT_KB;
  const writeKb = AVERAGE_HEADER_KB + EVENTS_WRITTEN_PER_ROUND * AVERAGE_EVENT_KB;
  const architecture = LAMBDA_ARCHITECTURE;
  const lineItems = [
    line('Step Functions Standard transitions', TRANSITIONS_PER_ROUND, STANDARD_TRANSITIONS),
    line('Lambda requests', 1, LAMBDA_REQUESTS),
    line(`Lambda compute (${architecture})`, (FUNCTION_MEMORY_MB / 1024) * ROUND_FUNCTION_SECONDS, LAMBDA_GB_SECONDS[architecture]),
    line('DynamoDB reads (on demand)', Math.ceil(readKb / KB_PER_READ_UNIT), DYNAMODB_READ_UNITS),
    line('DynamoDB writes (on demand)', writeKb * WRITE_UNITS_PER_KB_IN_TRANSACTION, DYNAMODB_WRITE_UNITS),
    line('Step Functions Express requests (the fast tool)', EXPRESS_REQUESTS_PER_TURN, EXPRESS_REQUESTS),
  ];
  const unconfirmed = lineItems.some((l) => l.status === 'unconfirmed');
  return {
    region,
    lineItems,
    totalUsd: lineItems.reduce((sum, l) => sum + (l.monthlyUsd ?? 0), 0),
    unconfirmed,
  };
}
