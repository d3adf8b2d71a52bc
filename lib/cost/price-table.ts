import { partitionOf } from '../residency/region-facts';

/**
 * Prices, as data with their sources. They are commercial list prices;
 * GovCloud prices are not confirmed here, so a GovCloud estimate uses the
 * commercial figure and marks it `unconfirmed`. A price without a source is
 * `undefined` (unknown), never guessed.
 */

/** One price: `usd` per `unitSize` of `unit` (e.g. 0.625 per 1,000,000 write request units). */
export interface Price {
  readonly usd: number | undefined;
  readonly unit: string;
  readonly unitSize: number;
  readonly source: string;
}

/**
 * `commercial`: a commercial list price with its source;
 * `unconfirmed`: the commercial price used for a GovCloud region (GovCloud prices are not confirmed);
 * `unknown`: no sourced price, left out of the total.
 */
export type PriceStatus = 'commercial' | 'unconfirmed' | 'unknown';

/** Sources of the commercial list prices. */
const FMBENCH = 'SageMaker on-demand $/h as sampled by AWS FMBench (aws-samples/foundation-model-benchmarking-tool); aws.amazon.com/sagemaker/pricing';
const NO_PRICE = 'no sourced price in lib/cost/price-table.ts';
const DYNAMODB_PRICING = 'aws.amazon.com/dynamodb/pricing/on-demand';
const STEP_FUNCTIONS_PRICING = 'aws.amazon.com/step-functions/pricing';
const LAMBDA_PRICING = 'aws.amazon.com/lambda/pricing';

const instanceHour = (usd: number | undefined): Price => ({ usd, unit: 'instance-hour', unitSize: 1, source: usd === undefined ? NO_PRICE : FMBENCH });

/** SageMaker real-time inference, on demand, per instance-hour. */
export const SAGEMAKER_INSTANCE_HOUR: Readonly<Record<string, Price>> = {
  'ml.inf2.xlarge': instanceHour(0.99),
  'ml.inf2.8xlarge': instanceHour(2.36),
  'ml.inf2.24xlarge': instanceHour(7.79),
  'ml.inf2.48xlarge': instanceHour(15.58),
  'ml.trn1.32xlarge': instanceHour(28.497),
  // No sourced price: unknown rather than invented.
  'ml.trn1.2xlarge': instanceHour(undefined),
  'ml.trn2.48xlarge': instanceHour(undefined),
};

export const DYNAMODB_WRITE_UNITS: Price = { usd: 0.625, unit: 'write request units', unitSize: 1_000_000, source: `${DYNAMODB_PRICING} (write request units)` };
export const DYNAMODB_READ_UNITS: Price = { usd: 0.125, unit: 'read request units', unitSize: 1_000_000, source: `${DYNAMODB_PRICING} (read request units)` };
export const STANDARD_TRANSITIONS: Price = { usd: 0.025, unit: 'state transitions', unitSize: 1_000, source: `${STEP_FUNCTIONS_PRICING} (Standard workflows)` };
export const EXPRESS_REQUESTS: Price = { usd: 1.0, unit: 'requests', unitSize: 1_000_000, source: `${STEP_FUNCTIONS_PRICING} (Express workflows, requests)` };
export const LAMBDA_REQUESTS: Price = { usd: 0.2, unit: 'requests', unitSize: 1_000_000, source: `${LAMBDA_PRICING} (requests)` };
export const LAMBDA_GB_SECONDS: Readonly<Record<'x86_64' | 'arm64', Price>> = {
  x86_64: { usd: 0.0000166667, unit: 'GB-seconds', unitSize: 1, source: `${LAMBDA_PRICING} (x86 duration)` },
  arm64: { usd: 0.0000133334, unit: 'GB-seconds', unitSize: 1, source: `${LAMBDA_PRICING} (Arm duration)` },
};

/** The status of a price in a region: unknown without a figure, unconfirmed outside the commercial partition. */
export function priceStatus(price: Price, region: string): PriceStatus {
  if (price.usd === undefined) return 'unknown';
  return partitionOf(region)?.id === 'aws' ? 'commercial' : 'unconfirmed';
}
