import { Aws, Stack, Token } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type { IConstruct } from 'constructs';
import { DLC_REGISTRY_ACCOUNTS, partitionOf } from '../../residency/region-facts';
import {
  LMI_NEURONX_DEFAULT_TAG,
  LMI_NEURONX_REPOSITORY,
  SERVING_IMAGE_SOURCE,
  TGI_NEURONX_DEFAULT_TAG,
  TGI_NEURONX_REPOSITORY,
} from './neuron-endpoint-defaults';

/**
 * The model server inside the image; it decides which environment variables
 * configure the model. `lmi`: DJL Serving (LMI) with transformers-neuronx;
 * `tgi`: Hugging Face Text Generation Inference with optimum-neuron.
 */
export type ModelServer = 'lmi' | 'tgi';

/** What a serving image resolves to in one stack. */
export interface ServingImageConfig {
  /** The image URI for `PrimaryContainer.Image`. */
  readonly imageUri: string;
  /** The ECR repository the execution role pulls from (exact ARN, no wildcard). */
  readonly repositoryArn: string;
  readonly server: ModelServer;
  /** The Neuron SDK the image is built on, when its tag says (`...-sdk2.19.1`). */
  readonly neuronSdkVersion?: string;
}

/** ECR image tags: up to 128 letters, digits, `_`, `.`, `-`, not starting with `.` or `-`. */
const ECR_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SDK_IN_TAG = /-sdk(\d+\.\d+(?:\.\d+)?)/;

function checkTag(what: string, tag: string): void {
  if (Token.isUnresolved(tag)) return;
  if (!ECR_TAG.test(tag)) {
    throw new Error(`${what}: tag "${tag}" is not a valid image tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-").`);
  }
}

/**
 * The Neuron serving container. The AWS Deep Learning Containers are
 * resolved per region from the registry-account table in region facts
 * (GovCloud has its own accounts); an agency that mirrors the image into its
 * own ECR repository uses `fromEcrRepository`.
 */
export abstract class ServingImage {
  /** LMI (DJL Serving) for Neuron, from the AWS Deep Learning Containers registry of the stack's region. */
  public static lmiNeuronx(tag: string = LMI_NEURONX_DEFAULT_TAG): ServingImage {
    return new DeepLearningContainerImage('ServingImage.lmiNeuronx()', LMI_NEURONX_REPOSITORY, tag, 'lmi');
  }

  /** TGI for Neuron, from the AWS Deep Learning Containers registry of the stack's region. */
  public static tgiNeuronx(tag: string = TGI_NEURONX_DEFAULT_TAG): ServingImage {
    return new DeepLearningContainerImage('ServingImage.tgiNeuronx()', TGI_NEURONX_REPOSITORY, tag, 'tgi');
  }

  /**
   * The agency's own copy of a Neuron serving image (e.g. mirrored from the
   * DLC registry and scanned). `server` says which model server it runs, so
   * the endpoint sets the right environment.
   */
  public static fromEcrRepository(repository: ecr.IRepository, tag: string, server: ModelServer): ServingImage {
    checkTag('ServingImage.fromEcrRepository()', tag);
    return new RepositoryImage(repository, tag, server);
  }

  /** Which model server the image runs. */
  public abstract readonly server: ModelServer;

  /** Resolve the image for the stack of `scope`. */
  public abstract bind(scope: IConstruct): ServingImageConfig;
}

class DeepLearningContainerImage extends ServingImage {
  constructor(
    private readonly what: string,
    private readonly repositoryName: string,
    private readonly tag: string,
    public readonly server: ModelServer,
  ) {
    super();
    checkTag(what, tag);
    if (!Token.isUnresolved(tag) && !tag.includes('neuronx')) {
      throw new Error(
        `${what}: tag "${tag}" is not a Neuron image (Neuron tags contain "neuronx", e.g. "${server === 'lmi' ? LMI_NEURONX_DEFAULT_TAG : TGI_NEURONX_DEFAULT_TAG}"). ` +
          'GPU images cannot run on Trainium or Inferentia.',
      );
    }
  }

  public bind(scope: IConstruct): ServingImageConfig {
    const stack = Stack.of(scope);
    const region = stack.region;
    const registry = DLC_REGISTRY_ACCOUNTS[region];
    if (!registry) {
      scope.node.addValidation({
        validate: () => [
          `${this.what} has no AWS Deep Learning Containers registry account for region "${region}" in lib/residency/region-facts.ts (DLC_REGISTRY_ACCOUNTS). ` +
            `Add the region's account with its source (${SERVING_IMAGE_SOURCE}), ` +
            `or mirror the image into your own ECR repository and use ServingImage.fromEcrRepository(repository, tag, '${this.server}').`,
        ],
      });
    }
    const account = registry?.account ?? 'no-registry-account';
    const dnsSuffix = partitionOf(region)?.dnsSuffix ?? Aws.URL_SUFFIX;
    return {
      imageUri: `${account}.dkr.ecr.${region}.${dnsSuffix}/${this.repositoryName}:${this.tag}`,
      repositoryArn: stack.formatArn({ service: 'ecr', account, region, resource: 'repository', resourceName: this.repositoryName }),
      server: this.server,
      neuronSdkVersion: SDK_IN_TAG.exec(this.tag)?.[1],
    };
  }
}

class RepositoryImage extends ServingImage {
  constructor(
    private readonly repository: ecr.IRepository,
    private readonly tag: string,
    public readonly server: ModelServer,
  ) {
    super();
  }

  public bind(): ServingImageConfig {
    return {
      imageUri: this.repository.repositoryUriForTag(this.tag),
      repositoryArn: this.repository.repositoryArn,
      server: this.server,
      neuronSdkVersion: SDK_IN_TAG.exec(this.tag)?.[1],
    };
  }
}
