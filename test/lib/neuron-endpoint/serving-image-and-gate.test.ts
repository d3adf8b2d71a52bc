import { App, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { NeuronInstanceType } from '../../../lib/constructs/neuron-endpoint/neuron-instance-type';
import { ServingImage } from '../../../lib/constructs/neuron-endpoint/serving-image';
import { cdkJsonContext } from '../../helpers/synth';
import {
  COMMERCIAL,
  endpointIn,
  endpointWarnings,
  GOV_EAST,
  GOV_WEST,
  logicalIdOf,
  roleStatements,
  synthFailure,
  TEST_ACCOUNT,
} from './neuron-test-stack';

/** A bare stack in `region`, to resolve an image outside an endpoint. */
function stackIn(region: string): { app: App; stack: Stack } {
  const app = new App({ context: cdkJsonContext() });
  const stack = new Stack(new Stage(app, 'Target', { env: { account: TEST_ACCOUNT, region } }), 'Images');
  return { app, stack };
}

describe('ServingImage per region', () => {
  // Written out from aws/sagemaker-python-sdk image_uri_config (djl-neuronx.json, huggingface-llm-neuronx.json): the GovCloud regions have their own registry accounts.
  test.each([
    ['us-east-1', '763104351884.dkr.ecr.us-east-1.amazonaws.com', 'arn:aws:ecr:us-east-1:763104351884:repository'],
    ['us-east-2', '763104351884.dkr.ecr.us-east-2.amazonaws.com', 'arn:aws:ecr:us-east-2:763104351884:repository'],
    ['us-west-2', '763104351884.dkr.ecr.us-west-2.amazonaws.com', 'arn:aws:ecr:us-west-2:763104351884:repository'],
    ['us-gov-west-1', '442386744353.dkr.ecr.us-gov-west-1.amazonaws.com', 'arn:aws-us-gov:ecr:us-gov-west-1:442386744353:repository'],
    ['us-gov-east-1', '446045086412.dkr.ecr.us-gov-east-1.amazonaws.com', 'arn:aws-us-gov:ecr:us-gov-east-1:446045086412:repository'],
  ])('%s: LMI and TGI from %s', (region, registry, repositoryArn) => {
    const { stack } = stackIn(region);
    const lmi = ServingImage.lmiNeuronx().bind(stack);
    const tgi = ServingImage.tgiNeuronx('2.1.2-optimum0.0.28-neuronx-py310-ubuntu22.04').bind(stack);
    expect(stack.resolve(lmi)).toEqual({
      imageUri: `${registry}/djl-inference:0.29.0-neuronx-sdk2.19.1`,
      repositoryArn: `${repositoryArn}/djl-inference`,
      server: 'lmi',
      neuronSdkVersion: '2.19.1',
    });
    expect(stack.resolve(tgi)).toEqual({
      imageUri: `${registry}/huggingface-pytorch-tgi-inference:2.1.2-optimum0.0.28-neuronx-py310-ubuntu22.04`,
      repositoryArn: `${repositoryArn}/huggingface-pytorch-tgi-inference`,
      server: 'tgi',
      neuronSdkVersion: undefined,
    });
  });

  test('a region with no registry account fails synth, saying where to add it or how to mirror the image', () => {
    // GIVEN an LMI image resolved in a region the registry table does not list
    const { app, stack } = stackIn('eu-west-1');
    ServingImage.lmiNeuronx().bind(stack);
    // WHEN synthesized THEN synth fails with the table to extend and the alternative
    expect(synthFailure(app)).toMatch(
      /ServingImage\.lmiNeuronx\(\) has no AWS Deep Learning Containers registry account for region "eu-west-1" in lib\/residency\/region-facts\.ts \(DLC_REGISTRY_ACCOUNTS\)\. Add the region's account with its source .*or mirror the image into your own ECR repository and use ServingImage\.fromEcrRepository\(repository, tag, 'lmi'\)/,
    );
  });

  test('tags are checked: a GPU tag is not a Neuron image; an invalid tag is refused', () => {
    expect(() => ServingImage.lmiNeuronx('0.29.0-lmi11.0.0-cu124')).toThrow(/tag "0\.29\.0-lmi11\.0\.0-cu124" is not a Neuron image .*GPU images cannot run on Trainium or Inferentia/);
    expect(() => ServingImage.tgiNeuronx('-bad tag')).toThrow(/tag "-bad tag" is not a valid image tag/);
    expect(() => ServingImage.fromEcrRepository(undefined as never, 'a:b', 'tgi')).toThrow(/tag "a:b" is not a valid image tag/);
  });
});

describe('ServingImage.fromEcrRepository (the agency mirror)', () => {
  test('the model runs the mirrored image with the server environment given, and the role pulls from that repository only', () => {
    // GIVEN a TGI image mirrored into the agency's own repository
    const f = endpointIn(GOV_WEST, ({ stack }) => ({
      image: ServingImage.fromEcrRepository(new ecr.Repository(stack, 'Mirror'), '2.7.0-neuronx-scanned', 'tgi'),
    }));
    const template = Template.fromStack(f.stack);
    const repositoryId = logicalIdOf(f.stack.node.findChild('Mirror') as ecr.Repository);
    // THEN the image URI is the mirror's, in this account and partition, and the environment is TGI's
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: {
          'Fn::Join': [
            '',
            [
              { 'Fn::Select': [4, { 'Fn::Split': [':', { 'Fn::GetAtt': [repositoryId, 'Arn'] }] }] },
              '.dkr.ecr.',
              { 'Fn::Select': [3, { 'Fn::Split': [':', { 'Fn::GetAtt': [repositoryId, 'Arn'] }] }] },
              '.',
              { Ref: 'AWS::URLSuffix' },
              '/',
              { Ref: repositoryId },
              ':2.7.0-neuronx-scanned',
            ],
          ],
        },
        Environment: Match.objectLike({ HF_MODEL_ID: '/opt/ml/model', HF_NUM_CORES: '2' }),
      },
    });
    const pull = roleStatements(template, logicalIdOf(f.endpoint.role)).find((s) => JSON.stringify(s.Action).includes('ecr:BatchGetImage'));
    expect(pull?.Resource).toEqual({ 'Fn::GetAtt': [repositoryId, 'Arn'] });
  });
});

describe('NeuronEndpoint and the capability gate', () => {
  test.each([NeuronInstanceType.INF2_XLARGE, NeuronInstanceType.TRN1_32XLARGE])('us-gov-east-1 (%s) fails synth: no SageMaker hosting there, with the alternatives', (instanceType) => {
    // GIVEN an endpoint in us-gov-east-1
    const { app } = endpointIn(GOV_EAST, { instanceType });
    // WHEN synthesized THEN synth fails for hosting and the instance type, naming the alternatives
    const message = synthFailure(app);
    expect(message).toMatch(
      /Target \(us-gov-east-1\) cannot run "sagemaker:hosting", which the Neuron endpoint Target\/Test\/Llm needs\. Why: SageMaker models, endpoint configurations and endpoints cannot be created in us-gov-east-1\..*Instead: Use the Bedrock backend in us-gov-east-1, or host the Neuron endpoint in us-gov-west-1/,
    );
    expect(message).toContain(`cannot run "sagemaker:instance:${instanceType.name}"`);
    expect(message).toMatch(/Instead: Host the endpoint in us-gov-west-1 or use the Bedrock backend\./);
  });

  test('us-gov-west-1 trn1 synthesizes with a warning that the instance type is unverified there, and how to verify it', () => {
    // GIVEN a trn1 endpoint in us-gov-west-1
    const f = endpointIn(GOV_WEST, { instanceType: NeuronInstanceType.TRN1_32XLARGE });
    // THEN the template exists, and the only warning says how to check the account
    Template.fromStack(f.stack).resourceCountIs('AWS::SageMaker::Endpoint', 1);
    const warnings = endpointWarnings(f);
    expect(warnings.map((w) => w.id)).toEqual(['statehouse:unverified:sagemaker:instance:ml.trn1.32xlarge']);
    expect(warnings[0].text).toMatch(
      /"sagemaker:instance:ml\.trn1\.32xlarge" in Target \(us-gov-west-1\) is unverified .*Check by hand: aws ec2 describe-instance-type-offerings --region us-gov-west-1 --filters Name=instance-type,Values=trn1\.32xlarge; aws service-quotas list-service-quotas --service-code sagemaker --region us-gov-west-1/,
    );
  });

  test('us-east-1 inf2 and trn1: available, no warning', () => {
    for (const instanceType of [NeuronInstanceType.INF2_XLARGE, NeuronInstanceType.TRN1_2XLARGE]) {
      expect(endpointWarnings(endpointIn(COMMERCIAL, { instanceType }))).toEqual([]);
    }
  });

  test('trn2 with the default LMI image: unverified in us-east-1, and the image is built on a Neuron SDK older than 2.21', () => {
    const warnings = endpointWarnings(endpointIn(COMMERCIAL, { instanceType: NeuronInstanceType.TRN2_48XLARGE }));
    expect(warnings.map((w) => w.id)).toEqual(['statehouse:unverified:sagemaker:instance:ml.trn2.48xlarge', 'statehouse:neuron-sdk-trn2']);
    expect(warnings[1].text).toMatch(/ml\.trn2\.48xlarge needs a serving image built on Neuron SDK 2\.21 or later .*this image's tag says SDK 2\.19\.1/);
  });

  test('trn2 with an image whose tag does not say its SDK warns too; a tag with SDK 2.21 or later does not', () => {
    const tgi = endpointWarnings(endpointIn(COMMERCIAL, { instanceType: NeuronInstanceType.TRN2_48XLARGE, image: ServingImage.tgiNeuronx() }));
    expect(tgi.find((w) => w.id === 'statehouse:neuron-sdk-trn2')?.text).toMatch(/this image's tag does not say its SDK version/);
    const newer = endpointWarnings(endpointIn(COMMERCIAL, { instanceType: NeuronInstanceType.TRN2_48XLARGE, image: ServingImage.lmiNeuronx('0.33.0-neuronx-sdk2.21.0') }));
    expect(newer.map((w) => w.id)).toEqual(['statehouse:unverified:sagemaker:instance:ml.trn2.48xlarge']);
  });

  test('an of() instance type has no row in the facts: unverified, with a warning', () => {
    const warnings = endpointWarnings(endpointIn(COMMERCIAL, { instanceType: NeuronInstanceType.of('ml.trn1n.32xlarge', 32) }));
    expect(warnings.map((w) => w.id)).toEqual(['statehouse:unverified:sagemaker:instance:ml.trn1n.32xlarge']);
  });
});
