import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { NeuronEndpoint } from '../constructs/neuron-endpoint/neuron-endpoint';
import type { FoundationStack } from './foundation-stack';
import { neuronConfigError, type InferenceSettings } from './target-props';

export interface InferenceStackProps extends StackProps {
  readonly settings: InferenceSettings;
  readonly foundation: FoundationStack;
  /**
   * Physical name of the State stack's weights bucket (ModelWeights.bucketName).
   * A name, not the bucket: the State stack exports nothing for this stack, so
   * removing `neuron` later never blocks on an export still in use.
   */
  readonly weightsBucketName: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The Neuron endpoint of one target: SageMaker model, endpoint configuration, endpoint and
 * autoscaling in the isolated subnets, under the data and logs keys
 * (DESTROY: the weights live in the State stack, the container logs in a
 * retained log group). The capability gate fails synth where the target
 * cannot host it.
 */
export class InferenceStack extends Stack {
  public readonly endpoint: NeuronEndpoint;

  constructor(scope: Construct, id: string, props: InferenceStackProps) {
    super(scope, id, props);
    const { foundation, settings } = props;
    // SC-28: the weights rest under the data key; the endpoint's role may decrypt with it.
    const weights = s3.Bucket.fromBucketAttributes(this, 'Weights', { bucketName: props.weightsBucketName, encryptionKey: foundation.keys.data });
    try {
      this.endpoint = new NeuronEndpoint(this, 'Llm', {
        ...settings.endpoint,
        weights: { bucket: weights, prefix: settings.weightsPrefix },
        vpc: foundation.network.vpc,
        subnets: foundation.network.subnets,
        dataKey: foundation.keys.data,
        logsKey: foundation.keys.logs,
        logRetention: props.logRetention,
      });
    } catch (e) {
      // The construct names the prop, which is the configuration field: report it as a configuration problem.
      throw neuronConfigError(e, settings.configPath);
    }
  }
}
