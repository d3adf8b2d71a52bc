import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { NeuronInstanceType } from '../../../lib/constructs/neuron-endpoint/neuron-instance-type';
import { ServingImage } from '../../../lib/constructs/neuron-endpoint/serving-image';
import { NeuronDtype } from '../../../lib/constructs/neuron-endpoint/serving-settings';
import { COMMERCIAL, ENDPOINT_NAME, endpointIn, GOV_WEST, logicalIdOf, WEIGHTS_PREFIX, type EndpointFixture } from './neuron-test-stack';

/**
 * The synthesized model, endpoint configuration and endpoint, for every
 * accelerator family and both serving images, in a commercial and a GovCloud
 * region. Expected values are written out, not computed by the code under test.
 */

const REGIONS = [
  // region, DLC registry account (aws/sagemaker-python-sdk image_uri_config/djl-neuronx.json)
  [COMMERCIAL, '763104351884'],
  [GOV_WEST, '442386744353'],
] as const;

const FAMILIES = [
  // family, instance type, expected defaults: TP, sequence, batch, TGI prompt; volume on EBS (a KMS key) or NVMe instance store (none allowed)
  ['inf2', NeuronInstanceType.INF2_XLARGE, { tp: '2', sequence: '1024', batch: '1', input: '768', ebs: true }],
  ['trn1', NeuronInstanceType.TRN1_32XLARGE, { tp: '32', sequence: '4096', batch: '8', input: '3072', ebs: false }],
  ['trn2', NeuronInstanceType.TRN2_48XLARGE, { tp: '64', sequence: '4096', batch: '8', input: '3072', ebs: false }],
] as const;

const IMAGES = [
  ['LMI', () => ServingImage.lmiNeuronx(), 'djl-inference:0.29.0-neuronx-sdk2.19.1'],
  ['TGI', () => ServingImage.tgiNeuronx(), 'huggingface-pytorch-tgi-inference:2.7.0-optimum3.3.6-neuronx-py310-ubuntu22.04'],
] as const;

const CASES = REGIONS.flatMap(([region, account]) =>
  FAMILIES.flatMap(([family, instanceType, defaults]) => IMAGES.map(([server, image, repoTag]) => ({ region, account, family, instanceType, defaults, server, image, repoTag }))),
);

describe.each(CASES)('NeuronEndpoint, $family with $server in $region', ({ region, account, instanceType, defaults, server, image, repoTag }) => {
  let f: EndpointFixture;
  let template: Template;
  beforeAll(() => {
    // GIVEN an endpoint with only the required props on this instance type and image
    f = endpointIn(region, { instanceType, image: image() });
    template = Template.fromStack(f.stack);
  });

  test('the model runs the regional Neuron image with the server environment of the instance size defaults', () => {
    const lmi = {
      OPTION_MODEL_ID: '/opt/ml/model',
      OPTION_TENSOR_PARALLEL_DEGREE: defaults.tp,
      OPTION_N_POSITIONS: defaults.sequence,
      OPTION_DTYPE: 'bf16',
      OPTION_ROLLING_BATCH: 'auto',
      OPTION_MAX_ROLLING_BATCH_SIZE: defaults.batch,
    };
    const tgi = {
      HF_MODEL_ID: '/opt/ml/model',
      HF_NUM_CORES: defaults.tp,
      HF_AUTO_CAST_TYPE: 'bf16',
      MAX_BATCH_SIZE: defaults.batch,
      MAX_INPUT_TOKENS: defaults.input,
      MAX_TOTAL_TOKENS: defaults.sequence,
    };
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: `${account}.dkr.ecr.${region}.amazonaws.com/${repoTag}`,
        Environment: server === 'LMI' ? lmi : tgi,
      },
    });
  });

  test('weights come only from the S3 prefix (uncompressed), the container is network-isolated, in the VPC with its own security group', () => {
    const model = Object.values(template.findResources('AWS::SageMaker::Model'))[0].Properties;
    expect(model.PrimaryContainer.ModelDataSource).toEqual({
      S3DataSource: {
        S3Uri: { 'Fn::Join': ['', ['s3://', { Ref: logicalIdOf(f.weights) }, `/${WEIGHTS_PREFIX}`]] },
        S3DataType: 'S3Prefix',
        CompressionType: 'None',
      },
    });
    expect(model.PrimaryContainer.ModelDataUrl).toBeUndefined();
    expect(JSON.stringify(model.PrimaryContainer.Environment)).not.toMatch(/huggingface\.co|HF_TOKEN|HUGGING_FACE_HUB_TOKEN/);
    expect(model.EnableNetworkIsolation).toBe(true);
    const subnets = f.vpc.isolatedSubnets.map((s) => ({ Ref: logicalIdOf(s) }));
    expect(model.VpcConfig).toEqual({
      Subnets: subnets,
      SecurityGroupIds: [{ 'Fn::GetAtt': [logicalIdOf(f.endpoint.securityGroup), 'GroupId'] }],
    });
    expect(model.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(f.endpoint.role), 'Arn'] });
  });

  test('the endpoint configuration: one variant on the instance type, the data key on an EBS volume (none on NVMe instance store), the longest startup timeouts', () => {
    template.resourceCountIs('AWS::SageMaker::EndpointConfig', 1);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      // SageMaker refuses a KmsKeyId for instance types with NVMe instance store (CreateEndpointConfig API reference).
      KmsKeyId: defaults.ebs ? { 'Fn::GetAtt': [logicalIdOf(f.dataKey), 'Arn'] } : Match.absent(),
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: { 'Fn::GetAtt': [f.stack.resolve(f.endpoint.model.logicalId), 'ModelName'] },
          InstanceType: instanceType.name,
          InitialInstanceCount: 1,
          ContainerStartupHealthCheckTimeoutInSeconds: 3600,
          ModelDataDownloadTimeoutInSeconds: 3600,
        },
      ],
      DataCaptureConfig: Match.absent(),
    });
  });

  test('the endpoint has the fixed name the orchestrator is granted by', () => {
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      EndpointName: ENDPOINT_NAME,
      EndpointConfigName: { 'Fn::GetAtt': [f.stack.resolve(f.endpoint.endpointConfig.logicalId), 'EndpointConfigName'] },
    });
  });
});

describe('NeuronEndpoint serving settings', () => {
  test('explicit settings replace the instance-size defaults (LMI on inf2.48xlarge, fp16)', () => {
    // GIVEN TP 8 (divides 24), 8192 positions, batch 2, fp16
    const f = endpointIn(COMMERCIAL, {
      instanceType: NeuronInstanceType.INF2_48XLARGE,
      tensorParallelDegree: 8,
      maxSequenceLength: 8192,
      maxBatchSize: 2,
      dtype: NeuronDtype.FP16,
    });
    // THEN the environment carries them
    Template.fromStack(f.stack).hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Environment: Match.objectLike({ OPTION_TENSOR_PARALLEL_DEGREE: '8', OPTION_N_POSITIONS: '8192', OPTION_MAX_ROLLING_BATCH_SIZE: '2', OPTION_DTYPE: 'fp16' }),
      },
    });
  });

  test('TGI on inf2.24xlarge: 12 cores, 4096 total tokens, the prompt limit given', () => {
    const f = endpointIn(GOV_WEST, { instanceType: NeuronInstanceType.INF2_24XLARGE, image: ServingImage.tgiNeuronx(), maxInputTokens: 3500 });
    Template.fromStack(f.stack).hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Environment: Match.objectLike({ HF_NUM_CORES: '12', MAX_TOTAL_TOKENS: '4096', MAX_INPUT_TOKENS: '3500', MAX_BATCH_SIZE: '4' }) },
    });
  });

  test('the other inf2 and trn1 sizes take the defaults documented for them', () => {
    const cases = [
      [NeuronInstanceType.INF2_8XLARGE, '2', '2048', '4'],
      [NeuronInstanceType.INF2_24XLARGE, '12', '4096', '4'],
      [NeuronInstanceType.INF2_48XLARGE, '24', '4096', '4'],
      [NeuronInstanceType.TRN1_2XLARGE, '2', '4096', '4'],
    ] as const;
    for (const [instanceType, tp, positions, batch] of cases) {
      const f = endpointIn(COMMERCIAL, { instanceType });
      Template.fromStack(f.stack).hasResourceProperties('AWS::SageMaker::Model', {
        PrimaryContainer: {
          Environment: Match.objectLike({ OPTION_TENSOR_PARALLEL_DEGREE: tp, OPTION_N_POSITIONS: positions, OPTION_MAX_ROLLING_BATCH_SIZE: batch }),
        },
      });
    }
  });

  test('an of() instance type defaults to TP across all its cores', () => {
    const f = endpointIn(COMMERCIAL, { instanceType: NeuronInstanceType.of('ml.trn1n.32xlarge', 32, 512) });
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Environment: Match.objectLike({ OPTION_TENSOR_PARALLEL_DEGREE: '32', OPTION_N_POSITIONS: '4096', OPTION_MAX_ROLLING_BATCH_SIZE: '4' }) },
    });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ InstanceType: 'ml.trn1n.32xlarge' })] });
  });

  test('shorter timeouts, more initial instances, and data capture of requests and responses under the data key', () => {
    // GIVEN the optional endpoint settings
    const f = endpointIn(COMMERCIAL, ({ weights }) => ({
      containerStartupHealthCheckTimeout: Duration.minutes(20),
      modelDataDownloadTimeout: Duration.seconds(60),
      initialInstanceCount: 2,
      dataCapture: { bucket: weights, prefix: 'capture/llm', samplingPercentage: 25 },
    }));
    // THEN the endpoint configuration carries them
    const dataKeyArn = { 'Fn::GetAtt': [logicalIdOf(f.dataKey), 'Arn'] };
    Template.fromStack(f.stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [
        Match.objectLike({ InitialInstanceCount: 2, ContainerStartupHealthCheckTimeoutInSeconds: 1200, ModelDataDownloadTimeoutInSeconds: 60 }),
      ],
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 25,
        DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: logicalIdOf(f.weights) }, '/capture/llm/']] },
        KmsKeyId: dataKeyArn,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { JsonContentTypes: ['application/json'] },
      },
    });
  });
});

describe('NeuronInstanceType', () => {
  test('NeuronCores, accelerator memory and instance storage of every member, with a source', () => {
    expect(NeuronInstanceType.KNOWN.map((t) => [t.name, t.neuronCores, t.acceleratorMemoryGiB, t.instanceStorage, t.family])).toEqual([
      ['ml.trn1.2xlarge', 2, 32, true, 'trn1'],
      ['ml.trn1.32xlarge', 32, 512, true, 'trn1'],
      ['ml.trn2.48xlarge', 64, 1536, true, 'trn2'],
      ['ml.inf2.xlarge', 2, 32, false, 'inf2'],
      ['ml.inf2.8xlarge', 2, 32, false, 'inf2'],
      ['ml.inf2.24xlarge', 12, 192, false, 'inf2'],
      ['ml.inf2.48xlarge', 24, 384, false, 'inf2'],
    ]);
    for (const t of NeuronInstanceType.KNOWN) expect(t.source).toMatch(/awsdocs-neuron/);
    expect(NeuronInstanceType.TRN2_48XLARGE.source).toMatch(/LNC=2 exposes 64 logical NeuronCores/);
  });

  test('of() accepts a Neuron name it has no member for', () => {
    const t = NeuronInstanceType.of('ml.inf3.xlarge', 4);
    expect([t.name, t.neuronCores, t.acceleratorMemoryGiB, t.instanceStorage, t.family, `${t}`]).toEqual(['ml.inf3.xlarge', 4, undefined, false, 'inf3', 'ml.inf3.xlarge']);
    expect(NeuronInstanceType.of('ml.trn1n.32xlarge', 32, 512, true).instanceStorage).toBe(true);
  });

  test.each([
    ['ml.g5.2xlarge', /not a SageMaker Neuron instance type.*ml\.<inf\|trn><generation>\.<size>/],
    ['inf2.xlarge', /not a SageMaker Neuron instance type/],
    ['ml.inf2', /not a SageMaker Neuron instance type/],
    ['ml.trn1.32XLARGE', /not a SageMaker Neuron instance type/],
  ])('of("%s") is refused with the expected format', (name, message) => {
    expect(() => NeuronInstanceType.of(name, 2)).toThrow(message);
  });

  test('of() refuses a core count that is not a whole positive number, or contradicts a member', () => {
    expect(() => NeuronInstanceType.of('ml.inf3.xlarge', 0)).toThrow(/neuronCores must be a whole number of at least 1 \(got 0\)/);
    expect(() => NeuronInstanceType.of('ml.inf3.xlarge', 1.5)).toThrow(/got 1\.5/);
    expect(() => NeuronInstanceType.of('ml.trn2.48xlarge', 128)).toThrow(/ml\.trn2\.48xlarge has 64 NeuronCores .* not 128\. Use NeuronInstanceType\.TRN2_48XLARGE instead/);
    // A name with a member returns the member, with its storage fact.
    expect(NeuronInstanceType.of('ml.trn2.48xlarge', 64)).toBe(NeuronInstanceType.TRN2_48XLARGE);
  });
});
