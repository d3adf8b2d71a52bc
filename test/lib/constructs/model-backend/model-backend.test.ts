import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ModelBackend, type ModelBackendBinding } from '../../../../lib/constructs/model-backend/model-backend';
import { NeuronEndpoint } from '../../../../lib/constructs/neuron-endpoint/neuron-endpoint';
import { ENV } from '../../../../lib/contract/env-names';
import { parseModelBackendConfig } from '../../../../lambda/core/adapters/model/backend-config';
import { synthStatehouse } from '../../../helpers/synth';
import { COMMERCIAL, GOV_EAST, GOV_WEST, listOf, logicalIdOf, roleStatements, synthFailure, targetStack, TEST_ACCOUNT } from '../construct-test-stacks';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const US_ROUTES = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'];

/** `backend` bound in a fresh `Target/Test` stack in `region`, with a role granted its model. */
function boundIn(region: string, backend: ModelBackend) {
  const fixture = targetStack(region);
  const binding = backend.bind(fixture.stack);
  const role = new iam.Role(fixture.stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
  binding.grant(role);
  return { ...fixture, binding, role };
}

/** The resources the role may invoke, sorted. */
function grantedResources(fixture: ReturnType<typeof boundIn>): string[] {
  const statements = roleStatements(Template.fromStack(fixture.stack), logicalIdOf(fixture.role));
  return statements.flatMap((s) => listOf(s.Resource as string | string[])).sort();
}

describe('ModelBackend.bedrockConverse: an inference profile only where every region it routes to is allowed', () => {
  test('a global. profile is refused whatever the list: it routes to any commercial region worldwide', () => {
    // GIVEN a global profile with every US region allowed
    const { app } = boundIn(COMMERCIAL, ModelBackend.bedrockConverse({ modelId: `global.${HAIKU}`, allowedRegions: US_ROUTES }));
    // WHEN synthesized THEN synth fails with what, why and instead
    const message = synthFailure(app);
    expect(message).toMatch(/modelId "global\.anthropic\.claude-3-haiku-20240307-v1:0" is a cross-region inference profile; Bedrock may process its requests in any commercial region worldwide/);
    expect(message).toMatch(/Why refused: no list of allowed regions can hold every commercial region/);
    expect(message).toMatch(/Instead: use the in-region model id "anthropic\.claude-3-haiku-20240307-v1:0", or a geographic profile/);
  });

  test('a us. profile with only us-east-1 allowed is refused, naming the regions outside', () => {
    const { app } = boundIn(COMMERCIAL, ModelBackend.bedrockConverse({ modelId: `us.${HAIKU}`, allowedRegions: [COMMERCIAL] }));
    expect(synthFailure(app)).toMatch(/Why refused: us-east-2, us-west-1, us-west-2 are not in allowedRegions \(us-east-1\), so prompts and replies could be processed there\. Instead: .* or add us-east-2, us-west-1, us-west-2 to allowedRegions/);
  });

  test('a us. profile with every region it routes to allowed is accepted: the profile, and the model in each of those regions', () => {
    // GIVEN a us. profile with the four US regions allowed
    const fixture = boundIn(COMMERCIAL, ModelBackend.bedrockConverse({ modelId: `us.${HAIKU}`, allowedRegions: US_ROUTES }));
    // THEN synth passes, the Lambda adapter is told the profile is allowed, and the grant names exactly those regions
    expect(() => fixture.app.synth()).not.toThrow();
    expect(fixture.binding.config).toEqual({ kind: 'bedrock-converse', modelId: `us.${HAIKU}`, allowInferenceProfile: true });
    expect(grantedResources(fixture)).toEqual(
      [`arn:aws:bedrock:${COMMERCIAL}:${TEST_ACCOUNT}:inference-profile/us.${HAIKU}`, ...US_ROUTES.map((r) => `arn:aws:bedrock:${r}::foundation-model/${HAIKU}`)].sort(),
    );
  });

  test('a us-gov. profile in GovWest with only us-gov-west-1 allowed is refused, naming us-gov-east-1', () => {
    const { app } = boundIn(GOV_WEST, ModelBackend.bedrockConverse({ modelId: `us-gov.${HAIKU}`, allowedRegions: [GOV_WEST] }));
    expect(synthFailure(app)).toMatch(/Why refused: us-gov-east-1 is not in allowedRegions \(us-gov-west-1\)/);
  });

  test('without allowedRegions only the stack\'s region is allowed, so every profile is refused', () => {
    const { app } = boundIn(GOV_WEST, ModelBackend.bedrockConverse({ modelId: `us-gov.${HAIKU}` }));
    expect(synthFailure(app)).toMatch(/us-gov-east-1 is not in allowedRegions, which is not set \(the stack's region us-gov-west-1 only\)/);
  });

  test('an inference-profile ARN is refused: its routes cannot be checked', () => {
    const arn = `arn:aws-us-gov:bedrock:${GOV_WEST}:${TEST_ACCOUNT}:application-inference-profile/abc123`;
    const { app } = boundIn(GOV_WEST, ModelBackend.bedrockConverse({ modelId: arn, allowedRegions: [GOV_WEST, GOV_EAST] }));
    expect(synthFailure(app)).toMatch(/is an inference-profile ARN, whose routes cannot be checked against allowedRegions.*Instead: give the system-defined profile id/);
  });

  test('an unverified route list (eu.) is accepted only when all of it is allowed, with a warning to verify it', () => {
    const EU = ['eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3'];
    // GIVEN the whole presumed list allowed THEN synth passes with a warning
    const accepted = boundIn(COMMERCIAL, ModelBackend.bedrockConverse({ modelId: `eu.${HAIKU}`, allowedRegions: EU }));
    Annotations.fromStack(accepted.stack).hasWarning('*', Match.stringLikeRegexp('the routes of "eu\\." profiles .* are unverified'));
    // GIVEN one region of it missing THEN synth fails naming it
    const refused = boundIn(COMMERCIAL, ModelBackend.bedrockConverse({ modelId: `eu.${HAIKU}`, allowedRegions: EU.slice(1) }));
    expect(synthFailure(refused.app)).toMatch(/Why refused: eu-central-1 is not in allowedRegions/);
  });

  test('an in-region model id: InvokeModel on that model in the stack\'s region only, through any grantee', () => {
    const fixture = boundIn(GOV_WEST, ModelBackend.bedrockConverse({ modelId: HAIKU, maxTokens: 512 }));
    expect(fixture.binding.config).toEqual({ kind: 'bedrock-converse', modelId: HAIKU, allowInferenceProfile: false, maxTokens: 512 });
    expect(grantedResources(fixture)).toEqual([`arn:aws-us-gov:bedrock:${GOV_WEST}::foundation-model/${HAIKU}`]);
  });

  test('a bad maxTokens names the prop, the value and the fix', () => {
    expect(() => ModelBackend.bedrockConverse({ modelId: HAIKU, maxTokens: 0.5 })).toThrow(
      'ModelBackend.bedrockConverse: maxTokens is 0.5; give a whole number of output tokens of at least 1, or leave it out for the adapter\'s default.',
    );
  });
});

describe('ModelBackend.sagemakerEndpoint and ModelBackend.neuron', () => {
  test('an endpoint name SageMaker would refuse is refused at once, with the rule', () => {
    expect(() => ModelBackend.sagemakerEndpoint({ endpointName: 'llm_1' })).toThrow(
      'ModelBackend.sagemakerEndpoint: endpointName is "llm_1"; use 1 to 63 letters, digits and single hyphens, starting and ending with a letter or digit.',
    );
  });

  test('a SageMaker endpoint in us-gov-east-1 fails synth: the region has no SageMaker hosting', () => {
    const { app } = boundIn(GOV_EAST, ModelBackend.sagemakerEndpoint({ endpointName: 'neuron-llm' }));
    expect(synthFailure(app)).toMatch(
      /Target \(us-gov-east-1\) cannot run "sagemaker:hosting", which SageMaker endpoint "neuron-llm" needs\..*Instead: Use the Bedrock backend in us-gov-east-1/,
    );
  });

  test('ModelBackend.neuron: the endpoint\'s name as a SageMaker backend, granted through the endpoint itself', () => {
    const fixture = targetStack(COMMERCIAL);
    const llm = NeuronEndpoint.fromEndpointAttributes(fixture.stack, 'Llm', { endpointName: 'Agency-Llm' });
    const binding = ModelBackend.neuron(llm, { stream: true }).bind(fixture.stack);
    expect(binding.config).toEqual({ kind: 'sagemaker', endpointName: 'Agency-Llm', stream: true });
    expect(parseModelBackendConfig(JSON.stringify(binding.config))).toEqual(binding.config);
  });
});

describe('ModelBackend.of: a fork\'s own backend', () => {
  test('bind runs in the scope that binds it; its configuration and grant are the fork\'s', () => {
    // GIVEN a fork's backend that records where it was bound
    const scopes: Construct[] = [];
    const backend = ModelBackend.of((scope) => {
      scopes.push(scope);
      const binding: ModelBackendBinding = {
        config: { kind: 'sagemaker', endpointName: 'fork-llm', temperature: 0.2 },
        grant: (grantee) => iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: ['*'] }),
      };
      return binding;
    });
    // WHEN bound THEN it ran in that scope, and the Lambda parser reads its configuration
    const fixture = boundIn(GOV_WEST, backend);
    expect(scopes).toEqual([fixture.stack]);
    expect(parseModelBackendConfig(JSON.stringify(fixture.binding.config))).toEqual({ kind: 'sagemaker', endpointName: 'fork-llm', temperature: 0.2 });
  });
});

describe('an inference profile in the real app', () => {
  test('Commercial with a us. profile and the four US regions in residency: synth passes, the orchestrator may use the profile', () => {
    // GIVEN the Commercial target on a us. profile, residency over every region it routes to
    const { stages } = synthStatehouse({
      targets: 'Commercial',
      overrides: { targets: { Commercial: { residency: { regions: US_ROUTES, crossRegionInference: 'within-partition' }, model: { modelId: `us.${HAIKU}` } } } },
    });
    // THEN the orchestrator's adapter is allowed the profile, and its role may invoke it and the model in those regions only
    const template = Template.fromStack(stages[0].runtime);
    const orchestrator = stages[0].runtime.agent.orchestrator;
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.[ENV.POWERTOOLS_SERVICE_NAME] === 'orchestrator',
    );
    expect(parseModelBackendConfig(JSON.stringify(JSON.parse(fn.Properties.Environment.Variables[ENV.AGENT_MODELS]).assistant))).toEqual({
      kind: 'bedrock-converse',
      modelId: `us.${HAIKU}`,
      allowInferenceProfile: true,
    });
    const resources = roleStatements(template, logicalIdOf(orchestrator.role))
      .filter((s) => listOf(s.Action).includes('bedrock:InvokeModel'))
      .flatMap((s) => listOf(s.Resource as string | string[]));
    // (No account in the defaults: the ARNs are joined from AWS::Partition and the route region.)
    const foundationModels = resources.map((r) => JSON.stringify(r)).filter((r) => r.includes('foundation-model'));
    expect(foundationModels).toHaveLength(US_ROUTES.length);
    for (const region of US_ROUTES) expect(foundationModels.filter((r) => r.includes(`:bedrock:${region}::foundation-model/${HAIKU}`))).toHaveLength(1);
  });
});
