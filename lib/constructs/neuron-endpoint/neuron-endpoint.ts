import { Annotations, ArnFormat, Duration, Stack, Token, type RemovalPolicy } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge, acknowledgeWildcardResource } from '../../compliance/acknowledge';
import { SAGEMAKER_ENDPOINT_NAME as ENDPOINT_NAME } from '../../contract/model-backend-config';
import { requireCapability } from '../../residency/capability-gate';
import { RESIDENCY_GUARD_NAME } from '../../residency/residency-guard';
import { servicePrincipalName } from '../../residency/region-facts';
import { ScalingMetric, ScalingSchedule } from './endpoint-scaling';
import {
  ALARM_PERIOD,
  CAPTURE_WRITE_ACTIONS,
  CONTAINER_STARTUP_HEALTH_CHECK_TIMEOUT,
  DATA_CAPTURE_SAMPLING_PERCENTAGE,
  DATA_KEY_ACTIONS,
  ECR_AUTH_ACTIONS,
  ECR_PULL_ACTIONS,
  ENABLE_NETWORK_ISOLATION,
  ENDPOINT_LOG_REMOVAL_POLICY,
  ENDPOINT_LOG_RETENTION,
  ENDPOINT_METRICS_NAMESPACE,
  ERRORS_ALARM_THRESHOLD,
  INITIAL_INSTANCE_COUNT,
  INVOKE_ACTIONS,
  LATENCY_ALARM_EVALUATION_PERIODS,
  LATENCY_ALARM_STATISTIC,
  LATENCY_ALARM_THRESHOLD,
  LOG_ACTIONS,
  LOWEST_VARIANT_CAPACITY,
  MAX_CAPACITY,
  MAX_STARTUP_TIMEOUT,
  METRIC_ACTIONS,
  MIN_CAPACITY,
  MIN_STARTUP_TIMEOUT,
  MODEL_DATA_DOWNLOAD_TIMEOUT,
  SCALE_IN_COOLDOWN,
  SCALE_OUT_COOLDOWN,
  TRN2_MIN_NEURON_SDK,
  VARIANT_NAME,
  VPC_ENI_ACTIONS,
  WEIGHTS_LIST_ACTIONS,
  WEIGHTS_READ_ACTIONS,
} from './neuron-endpoint-defaults';
import type { NeuronInstanceType } from './neuron-instance-type';
import type { ServingImage, ServingImageConfig } from './serving-image';
import { resolveServingSettings, servingEnvironment, type ServingOptions, type ServingSettings } from './serving-settings';

/** An S3 prefix: the bucket and the key prefix under it (no leading `/`). */
export interface S3Location {
  readonly bucket: s3.IBucket;
  readonly prefix: string;
}

export interface DataCaptureOptions extends S3Location {
  /** @default DATA_CAPTURE_SAMPLING_PERCENTAGE (100) */
  readonly samplingPercentage?: number;
}

export interface NeuronEndpointProps extends ServingOptions {
  /** Fixed endpoint name, so the orchestrator can be granted it by name from another stack. */
  readonly endpointName: string;
  readonly instanceType: NeuronInstanceType;
  /** The Neuron serving container (LMI or TGI). */
  readonly image: ServingImage;
  /**
   * The model weights, already staged (uncompressed) under this S3 prefix.
   * Nothing is pulled from a public hub at run time.
   */
  readonly weights: S3Location;
  /** The isolated VPC; SageMaker needs subnets in at least two zones. */
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /**
   * SC-28: encrypts the instance's EBS volume and captured data. Instance
   * types with NVMe instance store (trn1, trn2) take no volume key: their
   * store is hardware-encrypted and SageMaker refuses a KmsKeyId for them.
   */
  readonly dataKey: kms.IKey;
  /** AU-9: encrypts the endpoint's log group. */
  readonly logsKey: kms.IKey;
  /** AU-11. @default ENDPOINT_LOG_RETENTION (one year) */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The log group has the fixed name SageMaker writes to, so a retained group
   * must be deleted or imported before the stack is deployed again.
   * @default ENDPOINT_LOG_REMOVAL_POLICY (RETAIN)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default INITIAL_INSTANCE_COUNT (1) */
  readonly initialInstanceCount?: number;
  /** @default CONTAINER_STARTUP_HEALTH_CHECK_TIMEOUT (3600 s); 60 to 3600 s */
  readonly containerStartupHealthCheckTimeout?: Duration;
  /** @default MODEL_DATA_DOWNLOAD_TIMEOUT (3600 s); 60 to 3600 s */
  readonly modelDataDownloadTimeout?: Duration;
  /** Capture requests and responses to S3 under the data key. @default no capture */
  readonly dataCapture?: DataCaptureOptions;
  /** Instances during working hours (all week with `ScalingSchedule.alwaysOn()`). @default MIN_CAPACITY (1) */
  readonly minCapacity?: number;
  /** @default MAX_CAPACITY (2) */
  readonly maxCapacity?: number;
  /** @default ScalingMetric.invocationsPerInstance() */
  readonly scalingMetric?: ScalingMetric;
  /** @default ScalingSchedule.workingHours(): Monday to Friday 08:00-18:00 America/New_York, one instance otherwise */
  readonly scalingSchedule?: ScalingSchedule;
  /** Where the alarms notify (e.g. the agency's operations topic). @default none: the alarms only change state */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
}

/** A SageMaker real-time endpoint that the orchestrator can be granted and watched by. */
export interface INeuronEndpoint extends IConstruct {
  readonly endpointName: string;
  /** Built from the name: needs no cross-stack export. */
  readonly endpointArn: string;
  readonly variantName: string;
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

export interface NeuronEndpointAttributes {
  readonly endpointName: string;
  /** @default VARIANT_NAME */
  readonly variantName?: string;
}

abstract class NeuronEndpointBase extends Construct implements INeuronEndpoint {
  public abstract readonly endpointName: string;
  public abstract readonly variantName: string;

  /** SageMaker endpoint ARNs carry the name in lower case. */
  public get endpointArn(): string {
    return Stack.of(this).formatArn({
      service: 'sagemaker',
      resource: 'endpoint',
      resourceName: Token.isUnresolved(this.endpointName) ? this.endpointName : this.endpointName.toLowerCase(),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /**
   * `sagemaker:InvokeEndpoint` on exactly this endpoint; it also authorizes
   * InvokeEndpointWithResponseStream.
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: INVOKE_ACTIONS, resourceArns: [this.endpointArn] });
  }

  /** A metric of this endpoint's variant in `AWS/SageMaker`. */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker',
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: this.variantName },
      period: ALARM_PERIOD,
      ...props,
    });
  }

  /** Requests sent to the model, summed. */
  public metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', { statistic: 'Sum', ...props });
  }

  /** Time the model took to answer, in microseconds; p90 by default. */
  public metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: LATENCY_ALARM_STATISTIC, ...props });
  }

  /** Requests the model container answered with a 5XX, summed. */
  public metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', { statistic: 'Sum', ...props });
  }
}

/** A settings combination the construct refuses; lists every problem at once. */
export class NeuronEndpointPropsError extends Error {
  constructor(
    path: string,
    public readonly problems: readonly string[],
  ) {
    super(`NeuronEndpoint ${path}: invalid props (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'NeuronEndpointPropsError';
  }
}

/**
 * Inference on Trainium / Inferentia: a SageMaker model, endpoint
 * configuration and endpoint running a Neuron serving image (LMI or TGI).
 *
 * - Weights come only from S3 (ModelDataSource, uncompressed prefix); the
 *   container runs with network isolation in the isolated VPC (SC-7).
 * - The instance volume (EBS; NVMe instance store is hardware-encrypted) and
 *   captured data are under the data key (SC-28);
 *   the container logs go to a log group under the logs key (AU-9, AU-11).
 * - The execution role holds exact actions on exact resources (AC-6).
 * - The capability gate fails synth where SageMaker hosting or the instance
 *   type is unavailable, and warns where it is unverified.
 * - Target tracking, scheduled scale-down outside working hours, and alarms
 *   on 5XX errors and p90 model latency (SI-4).
 */
export class NeuronEndpoint extends NeuronEndpointBase {
  /** An endpoint deployed elsewhere (another stack or app), by name. */
  public static fromEndpointAttributes(scope: Construct, id: string, attrs: NeuronEndpointAttributes): INeuronEndpoint {
    class Import extends NeuronEndpointBase {
      public readonly endpointName = attrs.endpointName;
      public readonly variantName = attrs.variantName ?? VARIANT_NAME;
    }
    return new Import(scope, id);
  }

  public readonly endpointName: string;
  public readonly variantName = VARIANT_NAME;
  public readonly instanceType: NeuronInstanceType;
  /** Serving settings after the instance size's defaults. */
  public readonly settings: ServingSettings;
  public readonly image: ServingImageConfig;
  public readonly role: iam.Role;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly logGroup: logs.LogGroup;
  public readonly model: sagemaker.CfnModel;
  public readonly endpointConfig: sagemaker.CfnEndpointConfig;
  public readonly endpoint: sagemaker.CfnEndpoint;
  public readonly scalableTarget: appscaling.ScalableTarget;
  public readonly errorsAlarm: cloudwatch.Alarm;
  public readonly latencyAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: NeuronEndpointProps) {
    super(scope, id);
    this.endpointName = props.endpointName;
    this.instanceType = props.instanceType;

    // The gate first: an impossible target fails with its alternative before anything else.
    requireCapability(this, 'sagemaker:hosting', `the Neuron endpoint ${this.node.path}`);
    requireCapability(this, `sagemaker:instance:${props.instanceType.name}`, `the Neuron endpoint ${this.node.path}`);

    const { settings, problems } = resolveServingSettings(props.instanceType, props.image.server, props);
    const minCapacity = props.minCapacity ?? MIN_CAPACITY;
    const maxCapacity = props.maxCapacity ?? MAX_CAPACITY;
    const schedule = props.scalingSchedule ?? ScalingSchedule.workingHours();
    problems.push(...this.propsProblems(props, minCapacity, maxCapacity, schedule));
    if (problems.length > 0) throw new NeuronEndpointPropsError(this.node.path, problems);
    this.settings = settings;

    this.image = props.image.bind(this);
    this.warnOnTrn2Sdk(this.image);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // SageMaker writes the container logs to this fixed name; created here so it has a key and a retention.
      logGroupName: `/aws/sagemaker/Endpoints/${props.endpointName}`,
      encryptionKey: props.logsKey,
      retention: props.logRetention ?? ENDPOINT_LOG_RETENTION,
      removalPolicy: props.logRemovalPolicy ?? ENDPOINT_LOG_REMOVAL_POLICY,
    });

    this.role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal(servicePrincipalName('sagemaker')),
      description: `Execution role of SageMaker endpoint ${props.endpointName}: weights, image, data key, logs, VPC interfaces`,
    });
    this.grantExecution(props);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `SageMaker endpoint ${props.endpointName}: no inbound; HTTPS out to the VPC endpoints only`,
      allowAllOutbound: false,
    });
    // SC-7: the isolated subnets have no route to the internet; 443 reaches only the S3 gateway and interface endpoints.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to VPC endpoints (S3 gateway for the weights)');

    const weightsUri = `s3://${props.weights.bucket.bucketName}/${normalisePrefix(props.weights.prefix)}`;
    this.model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: this.role.roleArn,
      enableNetworkIsolation: ENABLE_NETWORK_ISOLATION,
      primaryContainer: {
        image: this.image.imageUri,
        modelDataSource: { s3DataSource: { s3Uri: weightsUri, s3DataType: 'S3Prefix', compressionType: 'None' } },
        environment: servingEnvironment(this.image.server, settings),
      },
      vpcConfig: {
        subnets: props.vpc.selectSubnets(props.subnets).subnetIds,
        securityGroupIds: [this.securityGroup.securityGroupId],
      },
    });
    // SageMaker checks the role's access when it creates the model: the policy must exist first.
    this.model.node.addDependency(this.role);

    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'Config', {
      // SC-28: an EBS volume under the data key; NVMe instance store is hardware-encrypted and takes no key (see below).
      kmsKeyId: props.instanceType.instanceStorage ? undefined : props.dataKey.keyArn,
      productionVariants: [
        {
          variantName: this.variantName,
          modelName: this.model.attrModelName,
          instanceType: props.instanceType.name,
          initialInstanceCount: props.initialInstanceCount ?? INITIAL_INSTANCE_COUNT,
          containerStartupHealthCheckTimeoutInSeconds: (props.containerStartupHealthCheckTimeout ?? CONTAINER_STARTUP_HEALTH_CHECK_TIMEOUT).toSeconds(),
          modelDataDownloadTimeoutInSeconds: (props.modelDataDownloadTimeout ?? MODEL_DATA_DOWNLOAD_TIMEOUT).toSeconds(),
        },
      ],
      dataCaptureConfig: props.dataCapture && {
        enableCapture: true,
        initialSamplingPercentage: props.dataCapture.samplingPercentage ?? DATA_CAPTURE_SAMPLING_PERCENTAGE,
        destinationS3Uri: `s3://${props.dataCapture.bucket.bucketName}/${normalisePrefix(props.dataCapture.prefix)}`,
        kmsKeyId: props.dataKey.keyArn,
        captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
        captureContentTypeHeader: { jsonContentTypes: ['application/json'] },
      },
    });

    if (props.instanceType.instanceStorage) this.acknowledgeInstanceStorage(props.instanceType);

    this.endpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: props.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
    });
    // The container writes to the group from its first start.
    this.endpoint.node.addDependency(this.logGroup);

    this.scalableTarget = this.addScaling(props, minCapacity, maxCapacity, schedule);
    const alarms = this.addAlarms(props.alarmActions ?? []);
    this.errorsAlarm = alarms.errors;
    this.latencyAlarm = alarms.latency;
  }

  /** Everything the props get wrong that the serving settings do not cover. */
  private propsProblems(props: NeuronEndpointProps, minCapacity: number, maxCapacity: number, schedule: ScalingSchedule): string[] {
    const problems: string[] = [];
    const known = (v: number | undefined): v is number => v !== undefined && !Token.isUnresolved(v);
    if (!Token.isUnresolved(props.endpointName) && !ENDPOINT_NAME.test(props.endpointName)) {
      problems.push(`endpointName is "${props.endpointName}"; use 1 to 63 letters, digits and single hyphens, starting and ending with a letter or digit.`);
    }
    for (const [name, value] of [
      ['containerStartupHealthCheckTimeout', props.containerStartupHealthCheckTimeout],
      ['modelDataDownloadTimeout', props.modelDataDownloadTimeout],
    ] as const) {
      if (value && !Token.isUnresolved(value.toSeconds())) {
        const s = value.toSeconds();
        if (s < MIN_STARTUP_TIMEOUT.toSeconds() || s > MAX_STARTUP_TIMEOUT.toSeconds()) {
          problems.push(
            `${name} is ${s} s; SageMaker accepts ${MIN_STARTUP_TIMEOUT.toSeconds()} to ${MAX_STARTUP_TIMEOUT.toSeconds()} s. ` +
              'Neuron models compile or load for many minutes: leave the default (3600 s) unless the model is small.',
          );
        }
      }
    }
    if (known(props.initialInstanceCount) && (!Number.isInteger(props.initialInstanceCount) || props.initialInstanceCount < 1)) {
      problems.push(`initialInstanceCount is ${props.initialInstanceCount}; it must be a whole number of at least 1.`);
    }
    if (known(minCapacity) && (!Number.isInteger(minCapacity) || minCapacity < LOWEST_VARIANT_CAPACITY)) {
      problems.push(`minCapacity is ${minCapacity}; it must be a whole number of at least ${LOWEST_VARIANT_CAPACITY}: a real-time endpoint variant cannot scale to zero.`);
    }
    if (known(minCapacity) && known(maxCapacity) && maxCapacity < minCapacity) {
      problems.push(`maxCapacity (${maxCapacity}) is below minCapacity (${minCapacity}); raise maxCapacity to at least ${minCapacity}.`);
    }
    const off = schedule.offHours;
    if (off && known(maxCapacity) && known(off.maxCapacity) && off.maxCapacity > maxCapacity) {
      problems.push(`scalingSchedule offHoursMaxCapacity (${off.maxCapacity}) is above maxCapacity (${maxCapacity}); off hours should not allow more than working hours.`);
    }
    const zones = props.vpc.selectSubnets(props.subnets).availabilityZones;
    if (zones.length > 0 && !zones.some((z) => Token.isUnresolved(z)) && new Set(zones).size < 2) {
      problems.push(
        `subnets select subnets in ${new Set(zones).size} Availability Zone (${[...new Set(zones)].join(', ')}); SageMaker needs subnets in at least two zones, even for one instance. ` +
          'Select the isolated subnets of two or more zones.',
      );
    }
    const sampling = props.dataCapture?.samplingPercentage;
    if (known(sampling) && (!Number.isInteger(sampling) || sampling < 0 || sampling > 100)) {
      problems.push(`dataCapture.samplingPercentage is ${sampling}; it must be a whole number from 0 to 100.`);
    }
    for (const [name, location] of [
      ['weights', props.weights],
      ['dataCapture', props.dataCapture],
    ] as const) {
      if (location && !Token.isUnresolved(location.prefix) && (location.prefix.trim() === '' || location.prefix.startsWith('/'))) {
        problems.push(`${name}.prefix is "${location.prefix}"; give a key prefix without a leading "/", such as "models/llama-3-8b/".`);
      }
    }
    return problems;
  }

  /**
   * SageMaker refuses a KmsKeyId for instance types with NVMe instance store
   * (CreateEndpointConfig fails); their store is encrypted by the instance.
   */
  private acknowledgeInstanceStorage(instanceType: NeuronInstanceType): void {
    const reason =
      `${instanceType.name} keeps its volume on NVMe instance store, encrypted at rest by a hardware module on the instance (AES-256). ` +
      'SageMaker rejects a KmsKeyId for such instance types (CreateEndpointConfig API reference: "If you specify a value for KmsKeyId when using any nitro-based instances with local storage, the call to CreateEndpointConfig fails"). ' +
      'The weights stay under the agency key in S3, and captured data is written under the data key.';
    acknowledge(this.endpointConfig, 'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured', reason);
    acknowledge(this.endpointConfig, `${RESIDENCY_GUARD_NAME}::UnencryptedDataStore`, reason);
  }

  /** Trainium2 needs a Neuron SDK from 2.21 on; warn when the image says it is older, or does not say. */
  private warnOnTrn2Sdk(image: ServingImageConfig): void {
    if (!this.instanceType.family.startsWith('trn2')) return;
    const [major, minor] = (image.neuronSdkVersion ?? '').split('.').map(Number);
    const min = TRN2_MIN_NEURON_SDK;
    if (image.neuronSdkVersion && (major > min.major || (major === min.major && minor >= min.minor))) return;
    Annotations.of(this).addWarningV2(
      'statehouse:neuron-sdk-trn2',
      `${this.instanceType.name} needs a serving image built on Neuron SDK ${min.major}.${min.minor} or later (${min.source}); ` +
        (image.neuronSdkVersion ? `this image's tag says SDK ${image.neuronSdkVersion}` : 'this image\'s tag does not say its SDK version') +
        '. Pass a newer tag to ServingImage.lmiNeuronx()/tgiNeuronx() or mirror one with fromEcrRepository().',
    );
  }

  /**
   * The execution role: exact actions on exact resources (AC-6). Wildcard
   * resources are only what IAM cannot scope, each acknowledged with why.
   */
  private grantExecution(props: NeuronEndpointProps): void {
    const role = this.role;
    const add = (actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));

    // Weights: read the one prefix, list only under it.
    const weightsPrefix = normalisePrefix(props.weights.prefix);
    const weightObjects = props.weights.bucket.arnForObjects(`${weightsPrefix}*`);
    add(WEIGHTS_READ_ACTIONS, [weightObjects]);
    add(WEIGHTS_LIST_ACTIONS, [props.weights.bucket.bucketArn], { StringLike: { 's3:prefix': [`${weightsPrefix}*`] } });
    acknowledgeWhenResolved(role, weightObjects, 'The model weights are many files under one staged S3 prefix; the role reads only that prefix of that bucket.');
    if (props.weights.bucket.encryptionKey) add(['kms:Decrypt'], [props.weights.bucket.encryptionKey.keyArn]);

    // SC-28: the instance volume (EBS) and captured data under the data key.
    if (!props.instanceType.instanceStorage || props.dataCapture) add(DATA_KEY_ACTIONS, [props.dataKey.keyArn]);

    if (props.dataCapture) {
      const captured = props.dataCapture.bucket.arnForObjects(`${normalisePrefix(props.dataCapture.prefix)}*`);
      add(CAPTURE_WRITE_ACTIONS, [captured]);
      acknowledgeWhenResolved(role, captured, 'Captured requests are written as new objects with generated keys under one prefix of the capture bucket.');
    }

    // The serving image: pull from its one repository (in the registry account for DLC images).
    add(ECR_PULL_ACTIONS, [this.image.repositoryArn]);
    add(ECR_AUTH_ACTIONS, ['*']);

    // Container logs into the endpoint's own group; instance metrics in SageMaker's namespace only.
    add(LOG_ACTIONS, [this.logGroup.logGroupArn]);
    add(METRIC_ACTIONS, ['*'], { StringEquals: { 'cloudwatch:namespace': ENDPOINT_METRICS_NAMESPACE } });

    // Network interfaces for the VpcConfig.
    add(VPC_ENI_ACTIONS, ['*']);

    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Only actions IAM cannot scope to a resource use "*": ecr:GetAuthorizationToken (registry-wide token), cloudwatch:PutMetricData ' +
        '(limited by the cloudwatch:namespace condition), and the EC2 network-interface actions SageMaker needs for VpcConfig (AWS docs: SageMaker CreateModel execution role).',
    );
    acknowledge(
      role,
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'AWS::IAM::Policy attached to this one role, written by the construct with exact actions and resources; the role carries the permissions boundary.',
    );
  }

  private addScaling(props: NeuronEndpointProps, minCapacity: number, maxCapacity: number, schedule: ScalingSchedule): appscaling.ScalableTarget {
    const stack = Stack.of(this);
    // Application Auto Scaling acts through its SageMaker service-linked role (created on first use), not a role of ours.
    const serviceLinkedRole = iam.Role.fromRoleArn(
      this,
      'ScalingServiceLinkedRole',
      stack.formatArn({
        service: 'iam',
        region: '',
        resource: 'role',
        resourceName: `aws-service-role/${servicePrincipalName('sagemaker.application-autoscaling')}/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
      }),
      { mutable: false },
    );
    const target = new appscaling.ScalableTarget(this, 'Scaling', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `endpoint/${props.endpointName}/variant/${this.variantName}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity,
      maxCapacity,
      role: serviceLinkedRole,
    });
    target.node.addDependency(this.endpoint);

    const metric = props.scalingMetric ?? ScalingMetric.invocationsPerInstance();
    target.scaleToTrackMetric('Tracking', {
      predefinedMetric: metric.predefinedMetric,
      targetValue: metric.targetValue,
      scaleOutCooldown: SCALE_OUT_COOLDOWN,
      scaleInCooldown: SCALE_IN_COOLDOWN,
    });

    const off = schedule.offHours;
    for (const action of schedule.scheduledBounds()) {
      const bounds = action.bounds === 'working' || !off ? { minCapacity, maxCapacity } : off;
      target.scaleOnSchedule(action.id, { schedule: action.schedule, timeZone: action.timeZone, ...bounds });
    }
    return target;
  }

  private addAlarms(actions: cloudwatch.IAlarmAction[]): { errors: cloudwatch.Alarm; latency: cloudwatch.Alarm } {
    const errors = this.metricInvocation5XXErrors().createAlarm(this, 'ErrorsAlarm', {
      alarmDescription: `SageMaker endpoint ${this.endpointName}: the model container answered with 5XX errors.`,
      threshold: ERRORS_ALARM_THRESHOLD,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const latency = this.metricModelLatency().createAlarm(this, 'LatencyAlarm', {
      alarmDescription: `SageMaker endpoint ${this.endpointName}: p90 model latency above ${LATENCY_ALARM_THRESHOLD.toSeconds()} s; InvokeEndpoint gives up at 60 s.`,
      // ModelLatency is reported in microseconds.
      threshold: LATENCY_ALARM_THRESHOLD.toMilliseconds() * 1000,
      evaluationPeriods: LATENCY_ALARM_EVALUATION_PERIODS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [errors, latency]) {
      alarm.addAlarmAction(...actions);
      if (actions.length === 0) {
        acknowledge(
          alarm,
          'NIST.800.53.R5-CloudWatchAlarmAction',
          'No alarmActions were given to this NeuronEndpoint: the alarm records state for the dashboard and evidence; the stack that owns the operations topic wires it through alarmActions.',
        );
      }
    }
    return { errors, latency };
  }
}

/** `models/llama` and `models/llama/` both mean the prefix `models/llama/`. */
function normalisePrefix(prefix: string): string {
  return Token.isUnresolved(prefix) || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/**
 * Acknowledge a wildcard resource once references are final. A bucket from
 * another stack resolves to an import only after the app is prepared, and
 * cdk-nag names the finding by what it sees then; construct validation runs
 * after that and before the compliance plugins.
 */
function acknowledgeWhenResolved(scope: IConstruct, resourceArn: string, reason: string): void {
  let done = false;
  scope.node.addValidation({
    validate: () => {
      if (!done) acknowledgeWildcardResource(scope, resourceArn, reason);
      done = true;
      return [];
    },
  });
}
