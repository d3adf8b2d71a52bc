import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  SAGEMAKER_ENDPOINT_NAME,
  SAGEMAKER_ENDPOINT_NAME_RULE,
  type BedrockConverseBackendConfig,
  type ModelBackendConfig,
  type SageMakerBackendConfig,
} from '../../contract/model-backend-config';
import { findFact } from '../../residency/region-facts';
import { requireCapability } from '../../residency/capability-gate';
import type { INeuronEndpoint } from '../neuron-endpoint/neuron-endpoint';
import { checkInferenceProfile, profileGrantRegions } from './inference-profile-check';

/** What a function needs to call its model: the JSON its adapter parses, and the IAM for exactly those calls. */
export interface ModelBackendBinding {
  /** Written to ENV.MODEL_BACKEND; lambda/core/adapters/model/backend-config.ts parses the same type. */
  readonly config: ModelBackendConfig;
  /** Grants exactly the model calls `config` makes, and nothing else. */
  grant(grantee: iam.IGrantable): iam.Grant;
}

export interface BedrockConverseModelProps {
  /** A foundation model id (`anthropic.claude-3-haiku-20240307-v1:0`) or a system-defined inference profile id (`us-gov.…`). */
  readonly modelId: string;
  /** @default the Lambda adapter's DEFAULT_MAX_OUTPUT_TOKENS */
  readonly maxTokens?: number;
  /**
   * Regions where Bedrock may process the requests. An inference profile is
   * accepted only when every region it can route to is listed (the routes
   * are region facts: lib/residency/region-facts.ts INFERENCE_PROFILE_ROUTES);
   * a `global.` profile never is.
   * @default - the stack's region only, so inference profiles are refused
   */
  readonly allowedRegions?: readonly string[];
}

export interface SageMakerEndpointModelProps {
  /** A real-time endpoint serving the OpenAI chat-completions body (LMI or TGI). */
  readonly endpointName: string;
  /** @default false (InvokeEndpoint; true uses InvokeEndpointWithResponseStream) */
  readonly stream?: boolean;
  /** @default the Lambda adapter's DEFAULT_MAX_OUTPUT_TOKENS */
  readonly maxTokens?: number;
}

export interface NeuronModelOptions {
  /** @default false */
  readonly stream?: boolean;
  /** @default the Lambda adapter's DEFAULT_MAX_OUTPUT_TOKENS */
  readonly maxTokens?: number;
}

/**
 * The model a function calls, the way aws-cdk-lib chooses `lambda.Code` or
 * `sfn.DefinitionBody`: pick one with a static method, and the construct
 * that runs the function calls `bind(scope)` for the configuration and the
 * grant. Each binding grants only its own model.
 */
export abstract class ModelBackend {
  /** A model on Bedrock's Converse API: InvokeModel on exactly that model (and, for a profile, on its routes). */
  public static bedrockConverse(props: BedrockConverseModelProps): ModelBackend {
    checkMaxTokens('ModelBackend.bedrockConverse', props.maxTokens);
    if (!Token.isUnresolved(props.modelId) && props.modelId.trim() === '') {
      throw new Error('ModelBackend.bedrockConverse: modelId is empty; give a Bedrock model id such as "anthropic.claude-3-haiku-20240307-v1:0".');
    }
    return new BedrockConverseModel(props);
  }

  /** A SageMaker endpoint deployed elsewhere, by name: sagemaker:InvokeEndpoint on exactly that endpoint. */
  public static sagemakerEndpoint(props: SageMakerEndpointModelProps): ModelBackend {
    checkMaxTokens('ModelBackend.sagemakerEndpoint', props.maxTokens);
    if (!Token.isUnresolved(props.endpointName) && !SAGEMAKER_ENDPOINT_NAME.test(props.endpointName)) {
      throw new Error(`ModelBackend.sagemakerEndpoint: endpointName is "${props.endpointName}"; use ${SAGEMAKER_ENDPOINT_NAME_RULE}.`);
    }
    return new SageMakerEndpointModel(props);
  }

  /**
   * A Neuron endpoint (NeuronEndpoint, or one imported with
   * NeuronEndpoint.fromEndpointAttributes): the Lambda adapter speaks to it
   * as to any SageMaker endpoint; the grant is the endpoint's own grantInvoke.
   */
  public static neuron(endpoint: INeuronEndpoint, options: NeuronModelOptions = {}): ModelBackend {
    checkMaxTokens('ModelBackend.neuron', options.maxTokens);
    return new NeuronModel(endpoint, options);
  }

  /**
   * A backend of a fork's own: `bind` returns the configuration (a kind the
   * Lambda adapter parses, see lib/contract/model-backend-config.ts) and a
   * grant on exactly the model it names.
   */
  public static of(bind: (scope: Construct) => ModelBackendBinding): ModelBackend {
    return new (class extends ModelBackend {
      public bind(scope: Construct): ModelBackendBinding {
        return bind(scope);
      }
    })();
  }

  /** Runs the model's checks in `scope` (capability gate, residency) and returns its configuration and grant. */
  public abstract bind(scope: Construct): ModelBackendBinding;
}

function checkMaxTokens(method: string, maxTokens: number | undefined): void {
  if (maxTokens === undefined || Token.isUnresolved(maxTokens)) return;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new Error(`${method}: maxTokens is ${maxTokens}; give a whole number of output tokens of at least 1, or leave it out for the adapter's default.`);
  }
}

/** Optional settings as JSON keys: an unset one is left out. */
function defined<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)) as Partial<T>;
}

class BedrockConverseModel extends ModelBackend {
  constructor(private readonly props: BedrockConverseModelProps) {
    super();
  }

  public bind(scope: Construct): ModelBackendBinding {
    const { modelId } = this.props;
    const stack = Stack.of(scope);
    requireCapability(scope, 'bedrock:runtime', 'the Bedrock Converse backend');
    // The kit's model catalog has rows for the models it ships; any other model is unverified (preflight asks).
    requireCapability(scope, findFact(`bedrock:model:${modelId}`, stack.region) ? `bedrock:model:${modelId}` : 'bedrock:model-list', `model "${modelId}"`);
    const profile = checkInferenceProfile(scope, modelId, this.props.allowedRegions, stack.region);
    const foundationModel = (id: string, region: string) =>
      stack.formatArn({ service: 'bedrock', region, account: '', resource: 'foundation-model', resourceName: id, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    // A profile is invoked through its own ARN and, in the source region and each destination, the foundation model.
    const resourceArns = profile
      ? [
          stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: modelId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
          ...profileGrantRegions(profile, stack.region).map((region) => foundationModel(profile.baseModelId, region)),
        ]
      : [foundationModel(modelId, stack.region)];
    const config: BedrockConverseBackendConfig = {
      kind: 'bedrock-converse',
      modelId,
      allowInferenceProfile: profile?.allowed ?? false,
      ...defined({ maxTokens: this.props.maxTokens }),
    };
    return {
      config,
      grant: (grantee) => iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'], resourceArns }),
    };
  }
}

class SageMakerEndpointModel extends ModelBackend {
  constructor(private readonly props: SageMakerEndpointModelProps) {
    super();
  }

  public bind(scope: Construct): ModelBackendBinding {
    const { endpointName } = this.props;
    requireCapability(scope, 'sagemaker:hosting', `SageMaker endpoint "${endpointName}"`);
    // SageMaker endpoint ARNs carry the name in lower case.
    const endpointArn = Stack.of(scope).formatArn({
      service: 'sagemaker',
      resource: 'endpoint',
      resourceName: Token.isUnresolved(endpointName) ? endpointName : endpointName.toLowerCase(),
    });
    const config: SageMakerBackendConfig = { kind: 'sagemaker', endpointName, ...defined({ stream: this.props.stream, maxTokens: this.props.maxTokens }) };
    return {
      config,
      // InvokeEndpointWithResponseStream is authorized by sagemaker:InvokeEndpoint.
      grant: (grantee) => iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [endpointArn] }),
    };
  }
}

class NeuronModel extends ModelBackend {
  constructor(
    private readonly endpoint: INeuronEndpoint,
    private readonly options: NeuronModelOptions,
  ) {
    super();
  }

  public bind(_scope: Construct): ModelBackendBinding {
    // A NeuronEndpoint runs the capability gate itself (SageMaker hosting, its instance type).
    const config: SageMakerBackendConfig = {
      kind: 'sagemaker',
      endpointName: this.endpoint.endpointName,
      ...defined({ stream: this.options.stream, maxTokens: this.options.maxTokens }),
    };
    return { config, grant: (grantee) => this.endpoint.grantInvoke(grantee) };
  }
}
