import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { ModelConfig, ResidencyConfig } from '../../config/schema';
import { requireCapability } from '../../residency/capability-gate';
import type { INeuronEndpoint } from '../neuron-endpoint/neuron-endpoint';
import type { ModelWiring } from './agent-orchestrator';

/** Geographic inference-profile prefixes: such an id routes between regions. */
const INFERENCE_PROFILE_PREFIX = /^(us|us-gov|eu|apac|jp|au|ca|global)\./;

export function isInferenceProfileId(modelId: string): boolean {
  return INFERENCE_PROFILE_PREFIX.test(modelId) || modelId.includes(':inference-profile/');
}

/**
 * Turn a target's model configuration into the orchestrator's wiring: the
 * capability checks, the JSON the Lambda adapter reads, and least-privilege
 * grants on exactly the model or endpoint configured. A `neuron` model is
 * `neuronEndpoint`, the target's own endpoint (its construct runs the
 * capability gate).
 */
export function modelWiring(scope: IConstruct, model: ModelConfig, residency: ResidencyConfig, neuronEndpoint?: INeuronEndpoint): ModelWiring {
  const stack = Stack.of(scope);
  const foundationModelArns = (modelId: string, regions: readonly string[]) =>
    regions.map((region) =>
      stack.formatArn({ service: 'bedrock', region, account: '', resource: 'foundation-model', resourceName: modelId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    );

  switch (model.kind) {
    case 'bedrock-converse': {
      requireCapability(scope, 'bedrock:runtime', 'the Bedrock Converse backend');
      requireCapability(scope, 'bedrock:model-list', `model "${model.modelId}"`);
      const profile = isInferenceProfileId(model.modelId);
      if (profile && residency.crossRegionInference !== 'within-partition') {
        scope.node.addValidation({
          validate: () => [
            `model.modelId "${model.modelId}" is a cross-region inference profile, but residency.crossRegionInference is "deny": requests could be served outside ${residency.regions.join(', ')}. ` +
              'Use an in-region model id (e.g. "anthropic.claude-3-haiku-20240307-v1:0"), or set crossRegionInference to "within-partition" and list every region the profile routes to in residency.regions.',
          ],
        });
      }
      // A profile is invoked through its own ARN and, in each destination region, the foundation model.
      const baseModel = model.modelId.replace(INFERENCE_PROFILE_PREFIX, '');
      const resources = profile
        ? [
            stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: model.modelId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
            ...foundationModelArns(baseModel, residency.regions),
          ]
        : foundationModelArns(model.modelId, [stack.region]);
      return {
        config: { kind: model.kind, modelId: model.modelId, allowInferenceProfile: profile, ...(model.maxTokens ? { maxTokens: model.maxTokens } : {}) },
        grant: (grantee) => {
          iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'], resourceArns: resources });
        },
      };
    }
    case 'sagemaker': {
      requireCapability(scope, 'sagemaker:hosting', `SageMaker endpoint "${model.endpointName}"`);
      const endpointArn = stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: model.endpointName.toLowerCase() });
      return {
        config: { ...model },
        grant: (grantee) => {
          // InvokeEndpointWithResponseStream is authorized by sagemaker:InvokeEndpoint.
          iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [endpointArn] });
        },
      };
    }
    case 'neuron': {
      if (!neuronEndpoint) {
        throw new Error(
          `${scope.node.path}: a model of kind "neuron" calls the target's Neuron endpoint, but none was given; ` +
            'pass the NeuronEndpoint (the target\'s `neuron` configuration creates it in the Inference stack), or use kind "sagemaker" with an endpoint name.',
        );
      }
      // The Lambda adapter speaks to it as any SageMaker endpoint: the OpenAI chat body LMI and TGI accept.
      return {
        // Unset settings are left out of the JSON (JSON.stringify drops undefined).
        config: { kind: 'sagemaker', endpointName: neuronEndpoint.endpointName, stream: model.stream, maxTokens: model.maxTokens },
        grant: (grantee) => {
          neuronEndpoint.grantInvoke(grantee);
        },
      };
    }
    case 'bedrock-agent': {
      requireCapability(scope, 'bedrock:agents', 'the Bedrock inline-agent backend');
      return {
        config: { ...model },
        grant: (grantee) => {
          iam.Grant.addToPrincipal({
            grantee,
            actions: ['bedrock:InvokeInlineAgent', 'bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
            resourceArns: [
              ...foundationModelArns(model.foundationModel, [stack.region]),
              stack.formatArn({ service: 'bedrock', resource: 'agent', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
            ],
          });
        },
      };
    }
  }
}
