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

/*
 * What the templates' resources cost whether or not a turn runs, and what the
 * platform services around a turn bill per use: us-east-1 list prices from
 * each service's pricing page (no free tier applied).
 */
const PRIVATELINK_PRICING = 'https://aws.amazon.com/privatelink/pricing/';
const KMS_PRICING = 'https://aws.amazon.com/kms/pricing/';
const CLOUDTRAIL_PRICING = 'https://aws.amazon.com/cloudtrail/pricing/';
const CLOUDWATCH_PRICING = 'https://aws.amazon.com/cloudwatch/pricing/';
const BACKUP_PRICING = 'https://aws.amazon.com/backup/pricing/';
const API_GATEWAY_PRICING = 'https://aws.amazon.com/api-gateway/pricing/';
const SNS_PRICING = 'https://aws.amazon.com/sns/pricing/';
const SQS_PRICING = 'https://aws.amazon.com/sqs/pricing/';
const S3_PRICING = 'https://aws.amazon.com/s3/pricing/';
const XRAY_PRICING = 'https://aws.amazon.com/xray/pricing/';
export const PRICING_PAGES = {
  privatelink: PRIVATELINK_PRICING,
  kms: KMS_PRICING,
  cloudtrail: CLOUDTRAIL_PRICING,
  cloudwatch: CLOUDWATCH_PRICING,
  backup: BACKUP_PRICING,
  apiGateway: API_GATEWAY_PRICING,
  dynamodb: `https://${DYNAMODB_PRICING}/`,
  sns: SNS_PRICING,
  sqs: SQS_PRICING,
  s3: S3_PRICING,
  stepFunctions: `https://${STEP_FUNCTIONS_PRICING}/`,
  lambda: `https://${LAMBDA_PRICING}/`,
  sagemaker: 'https://aws.amazon.com/sagemaker/pricing/',
  xray: XRAY_PRICING,
  vpc: 'https://aws.amazon.com/vpc/pricing/',
  iam: 'https://aws.amazon.com/iam/faqs/',
} as const;

/** An interface endpoint bills each hour in each Availability Zone (subnet) it has a network interface in. */
export const INTERFACE_ENDPOINT_AZ_HOURS: Price = { usd: 0.01, unit: 'endpoint AZ-hours', unitSize: 1, source: `${PRIVATELINK_PRICING} (interface endpoint, per AZ-hour)` };
export const INTERFACE_ENDPOINT_GB: Price = { usd: 0.01, unit: 'GB processed', unitSize: 1, source: `${PRIVATELINK_PRICING} (interface endpoint data processed, first PB)` };
export const KMS_KEY_MONTHS: Price = { usd: 1.0, unit: 'key-months', unitSize: 1, source: `${KMS_PRICING} (customer managed key)` };
export const KMS_REQUESTS: Price = { usd: 0.03, unit: 'requests', unitSize: 10_000, source: `${KMS_PRICING} (symmetric requests)` };
export const CLOUDTRAIL_DATA_EVENTS: Price = { usd: 0.1, unit: 'data events', unitSize: 100_000, source: `${CLOUDTRAIL_PRICING} (data events delivered)` };
export const LOGS_INGESTION_GB: Price = { usd: 0.5, unit: 'GB ingested', unitSize: 1, source: `${CLOUDWATCH_PRICING} (Logs, standard ingestion)` };
export const LOGS_STORAGE_GB_MONTHS: Price = { usd: 0.03, unit: 'GB-months', unitSize: 1, source: `${CLOUDWATCH_PRICING} (Logs, archived storage)` };
export const CLOUDWATCH_ALARM_MONTHS: Price = { usd: 0.1, unit: 'alarm-months', unitSize: 1, source: `${CLOUDWATCH_PRICING} (standard-resolution alarm metric)` };
/** The free tier's 3 dashboards are not subtracted: an account's other dashboards use them. */
export const CLOUDWATCH_DASHBOARD_MONTHS: Price = { usd: 3.0, unit: 'dashboard-months', unitSize: 1, source: `${CLOUDWATCH_PRICING} (dashboard)` };
export const BACKUP_DYNAMODB_GB_MONTHS: Price = { usd: 0.1, unit: 'GB-months', unitSize: 1, source: `${BACKUP_PRICING} (DynamoDB warm backup storage)` };
export const API_GATEWAY_REST_REQUESTS: Price = { usd: 3.5, unit: 'requests', unitSize: 1_000_000, source: `${API_GATEWAY_PRICING} (REST API, first 333 million)` };
export const DYNAMODB_STORAGE_GB_MONTHS: Price = { usd: 0.25, unit: 'GB-months', unitSize: 1, source: `${DYNAMODB_PRICING} (table storage)` };
export const DYNAMODB_PITR_GB_MONTHS: Price = { usd: 0.2, unit: 'GB-months', unitSize: 1, source: `${DYNAMODB_PRICING} (continuous backups, PITR)` };
export const SNS_PUBLISHES: Price = { usd: 0.5, unit: 'requests', unitSize: 1_000_000, source: `${SNS_PRICING} (standard topic requests)` };
export const SQS_REQUESTS: Price = { usd: 0.4, unit: 'requests', unitSize: 1_000_000, source: `${SQS_PRICING} (standard queue requests)` };
export const S3_STANDARD_GB_MONTHS: Price = { usd: 0.023, unit: 'GB-months', unitSize: 1, source: `${S3_PRICING} (S3 Standard, first 50 TB)` };
export const XRAY_TRACES: Price = { usd: 5.0, unit: 'traces recorded', unitSize: 1_000_000, source: `${XRAY_PRICING} (traces recorded)` };
