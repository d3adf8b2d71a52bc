import type { ResidencyConfig } from '../../../lib/config/schema';
import { NeuronEndpoint } from '../../../lib/constructs/neuron-endpoint/neuron-endpoint';
import { modelBackendFor } from '../../../lib/stacks/target-props';
import { GOV_EAST, GOV_WEST, synthFailure, targetStack } from '../constructs/construct-test-stacks';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const deny: ResidencyConfig = { regions: [GOV_WEST], crossRegionInference: 'deny', fips: true };
const bothGovRegions: ResidencyConfig = { regions: [GOV_WEST, GOV_EAST], crossRegionInference: 'within-partition', fips: true };

describe('modelBackendFor: a target\'s model configuration as a ModelBackend', () => {
  test('"within-partition" lets a profile route to residency.regions', () => {
    const { stack } = targetStack(GOV_WEST);
    const binding = modelBackendFor({ kind: 'bedrock-converse', modelId: `us-gov.${HAIKU}` }, bothGovRegions).bind(stack);
    expect(binding.config).toEqual({ kind: 'bedrock-converse', modelId: `us-gov.${HAIKU}`, allowInferenceProfile: true });
  });

  test('"deny" allows the stack\'s region only, so the construct refuses a profile even without the config layer', () => {
    const { app, stack } = targetStack(GOV_WEST);
    modelBackendFor({ kind: 'bedrock-converse', modelId: `us-gov.${HAIKU}` }, { ...bothGovRegions, crossRegionInference: 'deny' }).bind(stack);
    expect(synthFailure(app)).toMatch(/us-gov-east-1 is not in allowedRegions, which is not set/);
  });

  test('sagemaker and neuron keep their settings; neuron is the endpoint given', () => {
    const { stack } = targetStack(GOV_WEST);
    const llm = NeuronEndpoint.fromEndpointAttributes(stack, 'Llm', { endpointName: 'statehouse-govwest-llm' });
    expect(modelBackendFor({ kind: 'sagemaker', endpointName: 'llm', stream: true }, deny).bind(stack).config).toEqual({ kind: 'sagemaker', endpointName: 'llm', stream: true });
    expect(modelBackendFor({ kind: 'neuron', maxTokens: 512 }, deny, llm).bind(stack).config).toEqual({ kind: 'sagemaker', endpointName: 'statehouse-govwest-llm', maxTokens: 512 });
  });

  test('kind "neuron" without the endpoint is an error that says what to pass', () => {
    expect(() => modelBackendFor({ kind: 'neuron' }, deny)).toThrow(/a model of kind "neuron" calls the target's Neuron endpoint, but none was given; pass the NeuronEndpoint/);
  });
});
