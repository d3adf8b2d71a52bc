import type { ModelConfig, ResidencyConfig } from '../config/schema';
import { ModelBackend } from '../constructs/model-backend/model-backend';
import type { INeuronEndpoint } from '../constructs/neuron-endpoint/neuron-endpoint';

/**
 * A target's model configuration as the ModelBackend the orchestrator binds.
 * `neuron` is `neuronEndpoint`, the target's own endpoint (the Inference
 * stack's). With crossRegionInference "within-partition" an inference
 * profile may route to residency.regions; with "deny", to the stack's region
 * only, which refuses every profile.
 */
export function modelBackendFor(model: ModelConfig, residency: ResidencyConfig, neuronEndpoint?: INeuronEndpoint): ModelBackend {
  switch (model.kind) {
    case 'bedrock-converse':
      return ModelBackend.bedrockConverse({
        modelId: model.modelId,
        maxTokens: model.maxTokens,
        allowedRegions: residency.crossRegionInference === 'within-partition' ? residency.regions : undefined,
      });
    case 'sagemaker':
      return ModelBackend.sagemakerEndpoint({ endpointName: model.endpointName, stream: model.stream, maxTokens: model.maxTokens });
    case 'neuron':
      if (!neuronEndpoint) {
        throw new Error(
          'a model of kind "neuron" calls the target\'s Neuron endpoint, but none was given; ' +
            'pass the NeuronEndpoint (the target\'s `neuron` configuration creates it in the Inference stack), or use kind "sagemaker" with an endpoint name.',
        );
      }
      return ModelBackend.neuron(neuronEndpoint, { stream: model.stream, maxTokens: model.maxTokens });
  }
}
