import { Duration, RemovalPolicy, TimeZone } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';

/** Defaults of NeuronEndpoint, named so a fork can audit them. */

// --- Serving images --------------------------------------------------------

const SAGEMAKER_SDK_CONFIG = 'aws/sagemaker-python-sdk image_uri_config/djl-neuronx.json, huggingface-llm-neuronx.json';

/** LMI (DJL Serving) for Neuron: the newest tag in the SageMaker SDK config, published in both GovCloud regions. */
export const LMI_NEURONX_REPOSITORY = 'djl-inference';
export const LMI_NEURONX_DEFAULT_TAG = '0.29.0-neuronx-sdk2.19.1';
/** TGI for Neuron (optimum-neuron), published in both GovCloud regions. */
export const TGI_NEURONX_REPOSITORY = 'huggingface-pytorch-tgi-inference';
export const TGI_NEURONX_DEFAULT_TAG = '2.7.0-optimum3.3.6-neuronx-py310-ubuntu22.04';
export const SERVING_IMAGE_SOURCE = SAGEMAKER_SDK_CONFIG;

/**
 * Trn2 support arrived in Neuron SDK 2.21.0 (release notes, 2024-12-20). An
 * image built on an older SDK cannot drive Trainium2: synth warns.
 */
export const TRN2_MIN_NEURON_SDK = { major: 2, minor: 21, source: 'awsdocs-neuron release notes, Neuron 2.21.0 (2024-12-20): Trn2 and Logical NeuronCore configuration added' };

// --- Model server settings --------------------------------------------------

/** Where SageMaker puts the S3 prefix of the weights inside the container (ModelDataSource, uncompressed). */
export const MODEL_DIRECTORY = '/opt/ml/model';
/** Lowest and highest sequence length (n_positions / MAX_TOTAL_TOKENS) the construct accepts. */
export const MIN_SEQUENCE_LENGTH = 128;
export const MAX_SEQUENCE_LENGTH = 32768;
/**
 * TGI: share of the sequence the prompt may take when `maxInputTokens` is not
 * set; the rest is left for the answer.
 */
export const TGI_INPUT_SHARE = 0.75;

/** Serving settings for one instance size: tensor-parallel degree, sequence length, batch. */
export interface NeuronServingDefaults {
  readonly tensorParallelDegree: number;
  readonly maxSequenceLength: number;
  readonly maxBatchSize: number;
  readonly source: string;
}

const JUMPSTART = 'Amazon SageMaker JumpStart LMI Neuron deployment defaults for Llama 3 (TP / n_positions / batch); recheck against the JumpStart model card';
const KIT_CHOICE = 'kit choice: TP = every NeuronCore of the instance, n_positions 4096';

/**
 * Defaults per instance size. inf2 rows are JumpStart's; trn1/trn2 rows are
 * this kit's choice (TP across every NeuronCore, 4096 positions; batch 4 on
 * the one-chip trn1.2xlarge, 8 on the 16-chip sizes). TP must also divide the
 * model's attention heads: lower it for a model with fewer heads.
 */
export const NEURON_SERVING_DEFAULTS: Readonly<Record<string, NeuronServingDefaults>> = {
  'ml.inf2.xlarge': { tensorParallelDegree: 2, maxSequenceLength: 1024, maxBatchSize: 1, source: JUMPSTART },
  'ml.inf2.8xlarge': { tensorParallelDegree: 2, maxSequenceLength: 2048, maxBatchSize: 4, source: JUMPSTART },
  'ml.inf2.24xlarge': { tensorParallelDegree: 12, maxSequenceLength: 4096, maxBatchSize: 4, source: JUMPSTART },
  'ml.inf2.48xlarge': { tensorParallelDegree: 24, maxSequenceLength: 4096, maxBatchSize: 4, source: JUMPSTART },
  'ml.trn1.2xlarge': { tensorParallelDegree: 2, maxSequenceLength: 4096, maxBatchSize: 4, source: KIT_CHOICE },
  'ml.trn1.32xlarge': { tensorParallelDegree: 32, maxSequenceLength: 4096, maxBatchSize: 8, source: KIT_CHOICE },
  'ml.trn2.48xlarge': { tensorParallelDegree: 64, maxSequenceLength: 4096, maxBatchSize: 8, source: `${KIT_CHOICE}; 64 logical NeuronCores at the default LNC=2` },
};

/** For an `of()` instance type with no row above: TP across every core, 4096 positions, batch 4. */
export const FALLBACK_MAX_SEQUENCE_LENGTH = 4096;
export const FALLBACK_MAX_BATCH_SIZE = 4;

// --- Endpoint -----------------------------------------------------------------

/** The one production variant's name (also the scaling and metric dimension). */
export const VARIANT_NAME = 'AllTraffic';
export const INITIAL_INSTANCE_COUNT = 1;
/**
 * Neuron models compile or load for many minutes: the longest timeouts
 * SageMaker allows (60 to 3600 s: docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html).
 */
export const CONTAINER_STARTUP_HEALTH_CHECK_TIMEOUT = Duration.seconds(3600);
export const MODEL_DATA_DOWNLOAD_TIMEOUT = Duration.seconds(3600);
export const MIN_STARTUP_TIMEOUT = Duration.seconds(60);
export const MAX_STARTUP_TIMEOUT = Duration.seconds(3600);
/** SC-7: the container has no network; weights come from S3 through SageMaker, never a public hub. */
export const ENABLE_NETWORK_ISOLATION = true;
/** Data capture, when enabled, samples every request unless told otherwise (AU-12). */
export const DATA_CAPTURE_SAMPLING_PERCENTAGE = 100;

// --- Logs ---------------------------------------------------------------------

/** AU-11: endpoint container logs are kept a year. */
export const ENDPOINT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;
/** AU-9: the logs outlive the (stateless) Inference stack. */
export const ENDPOINT_LOG_REMOVAL_POLICY = RemovalPolicy.RETAIN;

// --- Scaling and cost controls ------------------------------------------------

/** Instances during working hours (or always, with `ScalingSchedule.alwaysOn()`). */
export const MIN_CAPACITY = 1;
export const MAX_CAPACITY = 2;
/**
 * Target of `SageMakerVariantInvocationsPerInstance` (invocations per instance
 * per minute). An LLM turn takes seconds: measure with a load test and adjust.
 */
export const INVOCATIONS_PER_INSTANCE_TARGET = 10;
/** Target of `SageMakerVariantConcurrentRequestsPerModelHighResolution` (requests in flight per model copy). */
export const CONCURRENT_REQUESTS_PER_MODEL_TARGET = 4;
/** A new Neuron instance takes minutes to load the model: scale out calmly, scale in slower still. */
export const SCALE_OUT_COOLDOWN = Duration.minutes(10);
export const SCALE_IN_COOLDOWN = Duration.minutes(30);

/**
 * Scheduled scale-down outside working hours: Monday to Friday, 08:00 to
 * 18:00 in the agency's time zone (50 hours a week); one instance at night
 * and at weekends. SageMaker real-time variants cannot scale to zero.
 */
export const WORKING_HOURS_TIME_ZONE = TimeZone.AMERICA_NEW_YORK;
export const WORKDAY_START_HOUR = 8;
export const WORKDAY_END_HOUR = 18;
export const WORKDAYS = 'MON-FRI';
export const OFF_HOURS_MIN_CAPACITY = 1;
export const OFF_HOURS_MAX_CAPACITY = 1;
/** Application Auto Scaling cannot take a real-time endpoint variant below one instance. */
export const LOWEST_VARIANT_CAPACITY = 1;

// --- Alarms (SI-4) --------------------------------------------------------------

/** Any 5XX from the model container in a 5-minute period. */
export const ERRORS_ALARM_THRESHOLD = 1;
export const ALARM_PERIOD = Duration.minutes(5);
/** p90 model latency above 30 s for three periods: InvokeEndpoint must answer within 60 s. */
export const LATENCY_ALARM_THRESHOLD = Duration.seconds(30);
export const LATENCY_ALARM_STATISTIC = 'p90';
export const LATENCY_ALARM_EVALUATION_PERIODS = 3;

// --- IAM (AC-6: exact actions) ---------------------------------------------------

export const WEIGHTS_READ_ACTIONS = ['s3:GetObject'];
export const WEIGHTS_LIST_ACTIONS = ['s3:ListBucket'];
export const CAPTURE_WRITE_ACTIONS = ['s3:PutObject'];
export const DATA_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];
export const ECR_PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
export const ECR_AUTH_ACTIONS = ['ecr:GetAuthorizationToken'];
export const LOG_ACTIONS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'];
export const METRIC_ACTIONS = ['cloudwatch:PutMetricData'];
/** Instance metrics SageMaker publishes with the execution role (CPU, memory, disk). */
export const ENDPOINT_METRICS_NAMESPACE = '/aws/sagemaker/Endpoints';
/** What SageMaker needs to attach the model's network interfaces in the VPC (SageMaker docs: CreateModel execution role). */
export const VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:CreateNetworkInterfacePermission',
  'ec2:DeleteNetworkInterface',
  'ec2:DeleteNetworkInterfacePermission',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
];
export const INVOKE_ACTIONS = ['sagemaker:InvokeEndpoint'];
