import type { CfnResource } from '../report/cfn-types';
import { HOURS_PER_WEEK, WEEKS_PER_MONTH } from './estimate';
import {
  API_GATEWAY_REST_REQUESTS,
  BACKUP_DYNAMODB_GB_MONTHS,
  CLOUDTRAIL_DATA_EVENTS,
  CLOUDWATCH_ALARM_MONTHS,
  CLOUDWATCH_DASHBOARD_MONTHS,
  DYNAMODB_PITR_GB_MONTHS,
  DYNAMODB_STORAGE_GB_MONTHS,
  INTERFACE_ENDPOINT_AZ_HOURS,
  INTERFACE_ENDPOINT_GB,
  KMS_KEY_MONTHS,
  KMS_REQUESTS,
  LOGS_INGESTION_GB,
  LOGS_STORAGE_GB_MONTHS,
  PRICING_PAGES,
  S3_STANDARD_GB_MONTHS,
  SNS_PUBLISHES,
  SQS_REQUESTS,
  XRAY_TRACES,
  type Price,
} from './price-table';

/**
 * What each CloudFormation resource type of a synthesized template is billed
 * on: a fixed monthly quantity (billed while it exists, used or not), what it
 * bills per use, or nothing. A type missing here is reported as unpriced by
 * the caller, never left out: a fork's additions show up either way.
 */

export const HOURS_PER_MONTH = HOURS_PER_WEEK * WEEKS_PER_MONTH;

/** How one resource is billed. */
export type ResourceCharge =
  /** Billed while it exists: `quantity` `price.unit`s a month, plus `perUse` when used. */
  | { readonly kind: 'fixed'; readonly quantity: number; readonly price: Price; readonly perUse?: string }
  /** Nothing while idle; billed on what it does. */
  | { readonly kind: 'per-use'; readonly perUse: string; readonly source: string }
  /** The resource itself is not billed. */
  | { readonly kind: 'no-charge'; readonly why: string; readonly source: string }
  /** Known type, but its bill cannot be read from the template (e.g. subnets given by an import). */
  | { readonly kind: 'unpriced'; readonly why: string };

type ChargeRule = (resource: CfnResource) => ResourceCharge;

const perPrice = (p: Price) => `$${p.usd} / ${p.unitSize === 1 ? '' : `${p.unitSize.toLocaleString('en-US')} `}${p.unit}`;
const perUse = (perUse: string, source: string): ChargeRule => () => ({ kind: 'per-use', perUse, source });
const noCharge = (why: string, source: string): ChargeRule => () => ({ kind: 'no-charge', why, source });

const VPC_FREE = noCharge('VPC configuration is not billed', PRICING_PAGES.vpc);
const IAM_FREE = noCharge('IAM is offered at no additional charge', PRICING_PAGES.iam);
const API_CONFIG_FREE = noCharge('API configuration; the API bills requests', PRICING_PAGES.apiGateway);
const LAMBDA_CONFIG_FREE = noCharge('Lambda bills requests and duration of the function', PRICING_PAGES.lambda);

/** An interface endpoint: one network interface per subnet, each billed per hour; gateway endpoints are free. */
const vpcEndpoint: ChargeRule = (resource) => {
  const props = resource.Properties ?? {};
  if (props.VpcEndpointType !== 'Interface') return { kind: 'no-charge', why: 'gateway endpoints are not billed', source: PRICING_PAGES.privatelink };
  if (!Array.isArray(props.SubnetIds)) return { kind: 'unpriced', why: 'interface endpoint whose subnets are not listed in the template' };
  return {
    kind: 'fixed',
    quantity: props.SubnetIds.length * HOURS_PER_MONTH,
    price: INTERFACE_ENDPOINT_AZ_HOURS,
    perUse: `data processed ${perPrice(INTERFACE_ENDPOINT_GB)}`,
  };
};

const kmsKey: ChargeRule = (resource) => ({
  kind: 'fixed',
  quantity: 1,
  price: KMS_KEY_MONTHS,
  perUse: `requests ${perPrice(KMS_REQUESTS)}${resource.Properties?.EnableKeyRotation ? '; each of the first two yearly rotations adds a key-month' : ''}`,
});

/** A trail's first copy of management events is free; its data event selectors bill each event. */
const trail: ChargeRule = (resource) => {
  const selectors = JSON.stringify(resource.Properties?.AdvancedEventSelectors ?? resource.Properties?.EventSelectors ?? []);
  const dataEvents = selectors.includes('"Data"') || selectors.includes('DataResources');
  return {
    kind: 'per-use',
    perUse: `${dataEvents ? `data events ${perPrice(CLOUDTRAIL_DATA_EVENTS)}; ` : ''}first copy of management events free; delivery to its bucket and log group billed there`,
    source: PRICING_PAGES.cloudtrail,
  };
};

const stage: ChargeRule = (resource) =>
  resource.Properties?.CacheClusterEnabled
    ? { kind: 'unpriced', why: 'stage with a cache cluster (billed per hour by size; no price in lib/cost/price-table.ts)' }
    : { kind: 'no-charge', why: `no cache cluster; the API bills requests${resource.Properties?.TracingEnabled ? `; X-Ray tracing ${perPrice(XRAY_TRACES)}` : ''}`, source: PRICING_PAGES.apiGateway };

const alarm: ChargeRule = () => ({ kind: 'fixed', quantity: 1, price: CLOUDWATCH_ALARM_MONTHS });

/** Target tracking creates and manages two CloudWatch alarms (scale out, scale in) that are in no template; other policies are free. */
const TARGET_TRACKING_ALARMS = 2;
const scalingPolicy: ChargeRule = (resource) =>
  resource.Properties?.PolicyType === 'TargetTrackingScaling'
    ? { kind: 'fixed', quantity: TARGET_TRACKING_ALARMS, price: CLOUDWATCH_ALARM_MONTHS, perUse: 'the two alarms target tracking creates; the policy itself is not billed' }
    : { kind: 'no-charge', why: 'Application Auto Scaling is not billed', source: 'https://aws.amazon.com/autoscaling/pricing/' };

export const RESOURCE_CHARGES: Readonly<Record<string, ChargeRule>> = {
  'AWS::EC2::VPCEndpoint': vpcEndpoint,
  'AWS::KMS::Key': kmsKey,
  'AWS::KMS::Alias': noCharge('aliases are not billed', PRICING_PAGES.kms),
  'AWS::CloudTrail::Trail': trail,
  'AWS::Logs::LogGroup': perUse(`ingestion ${perPrice(LOGS_INGESTION_GB)}, storage ${perPrice(LOGS_STORAGE_GB_MONTHS)}`, PRICING_PAGES.cloudwatch),
  'AWS::EC2::FlowLog': perUse(`vended log ingestion ${perPrice(LOGS_INGESTION_GB)} into its log group`, PRICING_PAGES.cloudwatch),
  'AWS::CloudWatch::Alarm': alarm,
  'AWS::CloudWatch::Dashboard': () => ({ kind: 'fixed', quantity: 1, price: CLOUDWATCH_DASHBOARD_MONTHS }),
  'AWS::Backup::BackupVault': perUse(`recovery points: DynamoDB warm storage ${perPrice(BACKUP_DYNAMODB_GB_MONTHS)}`, PRICING_PAGES.backup),
  'AWS::Backup::BackupPlan': noCharge('the plan is not billed; its recovery points are, in the vault', PRICING_PAGES.backup),
  'AWS::Backup::BackupSelection': noCharge('the selection is not billed; its recovery points are, in the vault', PRICING_PAGES.backup),
  'AWS::DynamoDB::Table': (resource) =>
    ({
      kind: 'per-use',
      perUse: `on-demand requests, storage ${perPrice(DYNAMODB_STORAGE_GB_MONTHS)}${resource.Properties?.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled ? `, PITR ${perPrice(DYNAMODB_PITR_GB_MONTHS)}` : ''}`,
      source: PRICING_PAGES.dynamodb,
    }),
  'AWS::S3::Bucket': perUse(`storage ${perPrice(S3_STANDARD_GB_MONTHS)}, requests`, PRICING_PAGES.s3),
  'AWS::S3::BucketPolicy': noCharge('bucket policies are not billed', PRICING_PAGES.s3),
  'AWS::SQS::Queue': perUse(`requests ${perPrice(SQS_REQUESTS)} (a Lambda event source mapping long-polls its queue while idle)`, PRICING_PAGES.sqs),
  'AWS::SQS::QueuePolicy': noCharge('queue policies are not billed', PRICING_PAGES.sqs),
  'AWS::SNS::Topic': perUse(`publishes ${perPrice(SNS_PUBLISHES)}, plus each delivery`, PRICING_PAGES.sns),
  'AWS::SNS::TopicPolicy': noCharge('topic policies are not billed', PRICING_PAGES.sns),
  'AWS::SNS::Subscription': noCharge('subscriptions are not billed; deliveries are, per topic', PRICING_PAGES.sns),
  'AWS::StepFunctions::StateMachine': perUse('Standard: state transitions; Express: requests and duration', PRICING_PAGES.stepFunctions),
  'AWS::Lambda::Function': perUse('requests and GB-seconds', PRICING_PAGES.lambda),
  'AWS::Lambda::Permission': LAMBDA_CONFIG_FREE,
  'AWS::Lambda::EventSourceMapping': LAMBDA_CONFIG_FREE,
  'AWS::ApiGateway::RestApi': perUse(`requests ${perPrice(API_GATEWAY_REST_REQUESTS)}`, PRICING_PAGES.apiGateway),
  'AWS::ApiGateway::Stage': stage,
  'AWS::ApiGateway::Account': API_CONFIG_FREE,
  'AWS::ApiGateway::Deployment': API_CONFIG_FREE,
  'AWS::ApiGateway::Resource': API_CONFIG_FREE,
  'AWS::ApiGateway::Method': API_CONFIG_FREE,
  'AWS::ApiGateway::RequestValidator': API_CONFIG_FREE,
  'AWS::EC2::VPC': VPC_FREE,
  'AWS::EC2::Subnet': VPC_FREE,
  'AWS::EC2::RouteTable': VPC_FREE,
  'AWS::EC2::SubnetRouteTableAssociation': VPC_FREE,
  'AWS::EC2::SecurityGroup': VPC_FREE,
  'AWS::EC2::SecurityGroupIngress': VPC_FREE,
  'AWS::EC2::SecurityGroupEgress': VPC_FREE,
  'AWS::IAM::Role': IAM_FREE,
  'AWS::IAM::Policy': IAM_FREE,
  'AWS::IAM::ManagedPolicy': IAM_FREE,
  // CDK's provider function of this custom resource runs only when the stack deploys.
  'Custom::VpcRestrictDefaultSG': noCharge('runs its provider function (a Lambda row) only when deployed', PRICING_PAGES.lambda),
  // The Neuron endpoint is priced per instance-hour from the configuration's schedule (the usage table).
  'AWS::SageMaker::Endpoint': perUse('instance-hours: the SageMaker line of the usage table', PRICING_PAGES.sagemaker),
  'AWS::SageMaker::EndpointConfig': noCharge('configuration; the endpoint bills instance-hours', PRICING_PAGES.sagemaker),
  'AWS::SageMaker::Model': noCharge('configuration; the endpoint bills instance-hours', PRICING_PAGES.sagemaker),
  'AWS::ApplicationAutoScaling::ScalableTarget': noCharge('Application Auto Scaling is not billed', 'https://aws.amazon.com/autoscaling/pricing/'),
  'AWS::ApplicationAutoScaling::ScalingPolicy': scalingPolicy,
};
