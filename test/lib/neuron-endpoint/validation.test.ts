import { Duration, Lazy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ScalingSchedule, ScalingMetric } from '../../../lib/constructs/neuron-endpoint/endpoint-scaling';
import { NeuronEndpointPropsError } from '../../../lib/constructs/neuron-endpoint/neuron-endpoint';
import { NeuronInstanceType } from '../../../lib/constructs/neuron-endpoint/neuron-instance-type';
import { ServingImage } from '../../../lib/constructs/neuron-endpoint/serving-image';
import { COMMERCIAL, endpointIn, type EndpointOverrides } from './neuron-test-stack';

/** The props error a construction throws (fails the test when it does not throw one). */
function propsError(overrides: EndpointOverrides): NeuronEndpointPropsError {
  try {
    endpointIn(COMMERCIAL, overrides);
  } catch (e) {
    if (e instanceof NeuronEndpointPropsError) return e;
    throw e;
  }
  throw new Error('expected the endpoint to refuse its props');
}

describe('NeuronEndpoint refuses impossible settings, naming the prop, the value, what is allowed and the fix', () => {
  test.each<[string, EndpointOverrides, RegExp]>([
    [
      'TP above the NeuronCores',
      { instanceType: NeuronInstanceType.INF2_XLARGE, tensorParallelDegree: 4 },
      /tensorParallelDegree is 4, but ml\.inf2\.xlarge has 2 NeuronCores; allowed: 1, 2\. Lower the degree, or choose a larger instance type/,
    ],
    [
      'TP that does not divide the NeuronCores',
      { instanceType: NeuronInstanceType.INF2_24XLARGE, tensorParallelDegree: 8 },
      /tensorParallelDegree is 8, which does not divide the 12 NeuronCores of ml\.inf2\.24xlarge .*allowed: 1, 2, 3, 4, 6, 12\. Pick one of those\./,
    ],
    ['TP of zero', { tensorParallelDegree: 0 }, /tensorParallelDegree is 0; it must be a whole number of at least 1\. Use one of 1, 2 on ml\.inf2\.xlarge/],
    ['batch below 1', { maxBatchSize: 0 }, /maxBatchSize is 0; it must be a whole number of at least 1\./],
    ['sequence below 128', { maxSequenceLength: 64 }, /maxSequenceLength is 64; it must be a whole number from 128 to 32768\. The default for ml\.inf2\.xlarge is 1024\./],
    ['sequence above 32768', { maxSequenceLength: 65536 }, /maxSequenceLength is 65536; it must be a whole number from 128 to 32768/],
    [
      'TGI prompt limit not below the total',
      { image: ServingImage.tgiNeuronx(), maxSequenceLength: 4096, maxInputTokens: 4096 },
      /maxInputTokens is 4096, but it must be a whole number of at least 1 and below maxSequenceLength \(MAX_TOTAL_TOKENS, 4096\), or TGI has no room to answer\. Lower it, e\.g\. to 3072/,
    ],
    [
      'a prompt limit for LMI, which does not read it',
      { maxInputTokens: 512 },
      /maxInputTokens is 512, but only the TGI server reads it; .*Remove maxInputTokens, or serve with ServingImage\.tgiNeuronx\(\)/,
    ],
    [
      'a startup timeout above 3600 s',
      { containerStartupHealthCheckTimeout: Duration.hours(2) },
      /containerStartupHealthCheckTimeout is 7200 s; SageMaker accepts 60 to 3600 s\./,
    ],
    ['a download timeout below 60 s', { modelDataDownloadTimeout: Duration.seconds(30) }, /modelDataDownloadTimeout is 30 s; SageMaker accepts 60 to 3600 s\./],
    ['no initial instance', { initialInstanceCount: 0 }, /initialInstanceCount is 0; it must be a whole number of at least 1\./],
    ['scale to zero', { minCapacity: 0 }, /minCapacity is 0; it must be a whole number of at least 1: a real-time endpoint variant cannot scale to zero\./],
    ['max below min', { minCapacity: 3, maxCapacity: 2 }, /maxCapacity \(2\) is below minCapacity \(3\); raise maxCapacity to at least 3\./],
    [
      'off hours above working hours',
      { maxCapacity: 2, scalingSchedule: ScalingSchedule.workingHours({ offHoursMinCapacity: 1, offHoursMaxCapacity: 4 }) },
      /scalingSchedule offHoursMaxCapacity \(4\) is above maxCapacity \(2\)/,
    ],
    [
      'subnets in one zone',
      ({ stack }) => ({ subnets: { availabilityZones: [`${stack.region}a`] } }),
      /subnets select subnets in 1 Availability Zone \(us-east-1a\); SageMaker needs subnets in at least two zones, even for one instance\./,
    ],
    ['an invalid endpoint name', { endpointName: 'llm_endpoint' }, /endpointName is "llm_endpoint"; use 1 to 63 letters, digits and single hyphens/],
    ['a weights prefix with a leading slash', ({ weights }) => ({ weights: { bucket: weights, prefix: '/models/x' } }), /weights\.prefix is "\/models\/x"; give a key prefix without a leading "\/"/],
    [
      'a capture sampling above 100',
      ({ weights }) => ({ dataCapture: { bucket: weights, prefix: 'capture', samplingPercentage: 150 } }),
      /dataCapture\.samplingPercentage is 150; it must be a whole number from 0 to 100\./,
    ],
  ])('%s', (_, overrides, message) => {
    const error = propsError(overrides);
    expect(error.message).toMatch(/^NeuronEndpoint Target\/Test\/Llm: invalid props \(1\):/);
    expect(error.problems).toHaveLength(1);
    expect(error.message).toMatch(message);
  });

  test('every problem is listed at once', () => {
    const error = propsError({ tensorParallelDegree: 3, maxBatchSize: 0, maxSequenceLength: 100 });
    expect(error.problems).toHaveLength(3);
    expect(error.message).toMatch(/invalid props \(3\)/);
  });

  test('unresolved tokens are not judged', () => {
    // GIVEN settings only known at deploy time
    const f = endpointIn(COMMERCIAL, {
      tensorParallelDegree: Lazy.number({ produce: () => 2 }),
      maxBatchSize: Lazy.number({ produce: () => 1 }),
      minCapacity: Lazy.number({ produce: () => 1 }),
    });
    // THEN the construct accepts them and the template carries the resolved values
    const model = Object.values(Template.fromStack(f.stack).findResources('AWS::SageMaker::Model'))[0].Properties;
    expect(model.PrimaryContainer.Environment).toMatchObject({ OPTION_TENSOR_PARALLEL_DEGREE: '2', OPTION_MAX_ROLLING_BATCH_SIZE: '1' });
  });
});

describe('ScalingSchedule and ScalingMetric refuse impossible values', () => {
  test.each<[string, () => unknown, RegExp]>([
    ['start after end', () => ScalingSchedule.workingHours({ startHour: 18, endHour: 8 }), /startHour \(18\) must be before endHour \(8\)/],
    ['an hour out of range', () => ScalingSchedule.workingHours({ endHour: 24 }), /endHour is 24; it must be a whole hour from 1 to 23\./],
    ['unknown day names', () => ScalingSchedule.workingHours({ workdays: 'Monday-Friday' }), /workdays is "Monday-Friday"; use cron day names and ranges such as "MON-FRI"/],
    ['off hours at zero', () => ScalingSchedule.workingHours({ offHoursMinCapacity: 0 }), /offHoursMinCapacity is 0; .*cannot scale to zero\. To stop paying at night, delete the Inference stack on a schedule instead\./],
    ['off-hours max below min', () => ScalingSchedule.workingHours({ offHoursMinCapacity: 2, offHoursMaxCapacity: 1 }), /offHoursMaxCapacity \(1\) is below offHoursMinCapacity \(2\)/],
    ['a target of zero', () => ScalingMetric.invocationsPerInstance(0), /ScalingMetric\.invocationsPerInstance: the target value is 0; it must be above 0\./],
  ])('%s', (_, build, message) => {
    expect(build).toThrow(message);
  });

  test('working hours a week: 10 h x 5 days by default, day lists and ranges counted, 168 always on', () => {
    expect(ScalingSchedule.workingHours().workingHoursPerWeek).toBe(50);
    expect(ScalingSchedule.workingHours({ startHour: 7, endHour: 19, workdays: 'MON,WED,FRI-SAT' }).workingHoursPerWeek).toBe(48);
    expect(ScalingSchedule.workingHours({ workdays: 'SAT-MON' }).workingHoursPerWeek).toBe(30);
    expect(ScalingSchedule.alwaysOn().workingHoursPerWeek).toBe(168);
  });
});
