import { partitionOf } from '../residency/region-facts';
import { throughputFigure, type ModelSize } from './neuron-throughput';
import {
  DYNAMODB_READ_UNITS,
  DYNAMODB_WRITE_UNITS,
  EXPRESS_REQUESTS,
  LAMBDA_GB_SECONDS,
  LAMBDA_REQUESTS,
  priceStatus,
  SAGEMAKER_INSTANCE_HOUR,
  STANDARD_TRANSITIONS,
  type Price,
  type PriceStatus,
} from './price-table';

/**
 * Average weeks in a month: 365.25 days a year (leap years included) / 12
 * months / 7 days = 4.348214... weeks, so 168 h a week give 730.5 h a month.
 */
export const WEEKS_PER_MONTH = 365.25 / 12 / 7;
export const HOURS_PER_WEEK = 168;

/** The endpoint's instance count over a week: working hours at one count, the rest of the week at another. */
export interface EndpointUsage {
  readonly instanceType: string;
  readonly workingHoursInstances: number;
  readonly offHoursInstances: number;
  /** 0 to 168. */
  readonly workingHoursPerWeek: number;
}

/** What the serverless parts do per month. */
export interface TurnUsage {
  readonly turnsPerMonth: number;
  readonly dynamoReadUnitsPerTurn: number;
  readonly dynamoWriteUnitsPerTurn: number;
  readonly lambdaGbSecondsPerTurn: number;
  readonly lambdaInvocationsPerTurn: number;
  readonly expressRequestsPerTurn: number;
  readonly standardTransitionsPerMonth: number;
}

export interface CostInput {
  readonly region: string;
  readonly endpoint?: EndpointUsage;
  readonly usage: TurnUsage;
  /** For the cost per million output tokens, when a benchmark exists for (instance, size). */
  readonly modelSize?: ModelSize;
  /** @default 'x86_64' (the kit's Lambda architecture) */
  readonly lambdaArchitecture?: 'x86_64' | 'arm64';
}

export interface CostLineItem {
  readonly item: string;
  /** In `unit`s (instance-hours, read request units, ...). */
  readonly quantity: number;
  readonly unit: string;
  /** USD per `unitSize` units; undefined when the price is unknown. */
  readonly unitPriceUsd: number | undefined;
  readonly unitSize: number;
  /** undefined when the price is unknown. */
  readonly monthlyUsd: number | undefined;
  readonly status: PriceStatus;
  readonly source: string;
}

export interface TokenCost {
  readonly instanceType: string;
  readonly model: string;
  readonly outputTokensPerSecond: { readonly low: number; readonly high: number };
  /** USD per million output tokens at the high and at the low throughput figure. */
  readonly usdPerMillion: { readonly atHighThroughput: number; readonly atLowThroughput: number };
  readonly status: PriceStatus;
  readonly source: string;
}

export interface CostEstimate {
  readonly region: string;
  readonly lineItems: readonly CostLineItem[];
  /** Sum of the items with a known price. */
  readonly totalUsd: number;
  /** False when an item's price is unknown (the total leaves it out). */
  readonly complete: boolean;
  /** True when any price is the commercial figure standing in for GovCloud. */
  readonly unconfirmed: boolean;
  readonly costPerMillionOutputTokens?: TokenCost;
  readonly notes: readonly string[];
}

/** A problem with the estimate's input. */
export class CostInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CostInputError';
  }
}

function requireCount(name: string, value: number, max = Infinity): void {
  if (!Number.isFinite(value) || value < 0 || value > max) {
    throw new CostInputError(`${name} is ${value}; it must be a number from 0${max === Infinity ? '' : ` to ${max}`}.`);
  }
}

/** Instance-hours a month: working hours at one count, the rest of the week at the other. */
export function endpointInstanceHours(endpoint: EndpointUsage): number {
  const offHoursPerWeek = HOURS_PER_WEEK - endpoint.workingHoursPerWeek;
  return (endpoint.workingHoursPerWeek * endpoint.workingHoursInstances + offHoursPerWeek * endpoint.offHoursInstances) * WEEKS_PER_MONTH;
}

/** One priced quantity in a region: what it costs (per month, or per whatever the quantity counts), and how sure the price is. */
export function costLine(item: string, quantity: number, price: Price, region: string): CostLineItem {
  return {
    item,
    quantity,
    unit: price.unit,
    unitPriceUsd: price.usd,
    unitSize: price.unitSize,
    monthlyUsd: price.usd === undefined ? undefined : (quantity / price.unitSize) * price.usd,
    status: priceStatus(price, region),
    source: price.source,
  };
}

/**
 * A month's cost: one line item per priced quantity, the total of the known
 * prices, and the cost per million output tokens where a Neuron benchmark
 * exists. Pure: no AWS call, no clock.
 */
export function estimateMonthlyCost(input: CostInput): CostEstimate {
  const { region, usage, endpoint } = input;
  if (!partitionOf(region)) throw new CostInputError(`region "${region}" is not in lib/residency/region-facts.ts; the estimate needs its partition.`);
  for (const [name, value] of Object.entries(usage)) requireCount(`usage.${name}`, value as number);
  if (endpoint) {
    requireCount('endpoint.workingHoursPerWeek', endpoint.workingHoursPerWeek, HOURS_PER_WEEK);
    requireCount('endpoint.workingHoursInstances', endpoint.workingHoursInstances);
    requireCount('endpoint.offHoursInstances', endpoint.offHoursInstances);
  }

  const line = (item: string, quantity: number, price: Price): CostLineItem => costLine(item, quantity, price, region);

  const turns = usage.turnsPerMonth;
  const lineItems: CostLineItem[] = [];
  const notes: string[] = [];
  if (endpoint) {
    const price = SAGEMAKER_INSTANCE_HOUR[endpoint.instanceType] ?? { usd: undefined, unit: 'instance-hour', unitSize: 1, source: 'not in the price table (lib/cost/price-table.ts)' };
    lineItems.push(line(`SageMaker ${endpoint.instanceType}`, endpointInstanceHours(endpoint), price));
  }
  const lambda = LAMBDA_GB_SECONDS[input.lambdaArchitecture ?? 'x86_64'];
  lineItems.push(
    line('DynamoDB reads (on demand)', turns * usage.dynamoReadUnitsPerTurn, DYNAMODB_READ_UNITS),
    line('DynamoDB writes (on demand)', turns * usage.dynamoWriteUnitsPerTurn, DYNAMODB_WRITE_UNITS),
    line('Lambda requests', turns * usage.lambdaInvocationsPerTurn, LAMBDA_REQUESTS),
    line(`Lambda compute (${input.lambdaArchitecture ?? 'x86_64'})`, turns * usage.lambdaGbSecondsPerTurn, lambda),
    line('Step Functions Express requests', turns * usage.expressRequestsPerTurn, EXPRESS_REQUESTS),
    line('Step Functions Standard transitions', usage.standardTransitionsPerMonth, STANDARD_TRANSITIONS),
  );

  const unknown = lineItems.filter((l) => l.status === 'unknown');
  const unconfirmed = lineItems.some((l) => l.status === 'unconfirmed');
  if (unconfirmed) {
    notes.push(
      `GovCloud prices are UNCONFIRMED: ${region} is priced with the commercial figures of lib/cost/price-table.ts; GovCloud list prices differ (usually higher). Confirm with the AWS Pricing API or calculator before budgeting.`,
    );
  }
  for (const l of unknown) notes.push(`${l.item}: no price in lib/cost/price-table.ts, so the total leaves it out (${l.quantity.toFixed(2)} ${l.unit}).`);
  notes.push(
    'Not in this table: the fixed cost of the resources (interface endpoints, keys: the fixed table), the per-use charges around each turn (API requests, traces, trail data events, logs, endpoint data: the one-turn figure), ' +
      'Step Functions Express duration (no price in lib/cost/price-table.ts), model charges other than the endpoint (e.g. Bedrock), storage by the GB, data transfer; no free tier applied.',
  );

  let costPerMillionOutputTokens: TokenCost | undefined;
  if (endpoint && input.modelSize) {
    const figure = throughputFigure(endpoint.instanceType, input.modelSize);
    const hourly = SAGEMAKER_INSTANCE_HOUR[endpoint.instanceType];
    if (figure && hourly?.usd !== undefined) {
      // One instance at full load: $/h over tokens/h, per million tokens.
      const perMillion = (tokensPerSecond: number) => (hourly.usd! / (tokensPerSecond * 3600)) * 1e6;
      costPerMillionOutputTokens = {
        instanceType: endpoint.instanceType,
        model: figure.model,
        outputTokensPerSecond: figure.outputTokensPerSecond,
        usdPerMillion: { atHighThroughput: perMillion(figure.outputTokensPerSecond.high), atLowThroughput: perMillion(figure.outputTokensPerSecond.low) },
        status: priceStatus(hourly, region),
        source: `${hourly.source}; ${figure.source}`,
      };
    } else {
      notes.push(
        `Cost per million output tokens: no ${figure ? `price for ${endpoint.instanceType}` : `benchmark figure for Llama-3 ${input.modelSize} on ${endpoint.instanceType}`} in lib/cost ` +
          '(benchmarks exist for Llama-3 8B and 70B on ml.inf2.48xlarge and ml.trn1.32xlarge).',
      );
    }
  }

  return {
    region,
    lineItems,
    totalUsd: lineItems.reduce((sum, l) => sum + (l.monthlyUsd ?? 0), 0),
    complete: unknown.length === 0,
    unconfirmed,
    costPerMillionOutputTokens,
    notes,
  };
}
