import { Duration, TimeZone } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { listAcknowledgments } from '../../../lib/compliance/acknowledgments';
import { ScalingMetric, ScalingSchedule } from '../../../lib/constructs/neuron-endpoint/endpoint-scaling';
import { COMMERCIAL, ENDPOINT_NAME, endpointIn, GOV_WEST, logicalIdOf, type EndpointFixture } from './neuron-test-stack';

describe('NeuronEndpoint scaling, defaults (us-gov-west-1)', () => {
  let f: EndpointFixture;
  let template: Template;
  beforeAll(() => {
    // GIVEN an endpoint with the default scaling
    f = endpointIn(GOV_WEST);
    template = Template.fromStack(f.stack);
  });

  test('one scalable target on the variant, 1 to 2 instances, through the SageMaker service-linked role, after the endpoint exists', () => {
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    template.hasResource('AWS::ApplicationAutoScaling::ScalableTarget', {
      Properties: Match.objectLike({
        ServiceNamespace: 'sagemaker',
        ResourceId: `endpoint/${ENDPOINT_NAME}/variant/AllTraffic`,
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: 1,
        MaxCapacity: 2,
        RoleARN:
          'arn:aws-us-gov:iam::123456789012:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
      }),
      DependsOn: [logicalIdOf(f.endpoint)],
    });
    // No role of our own for scaling: the service-linked role is AWS's.
    template.resourceCountIs('AWS::IAM::Role', 2); // the execution role and the test's caller
  });

  test('target tracking on invocations per instance, 10 a minute, scaling out after 10 min and in after 30 min', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      ScalingTargetId: { Ref: logicalIdOf(f.endpoint.scalableTarget) },
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        TargetValue: 10,
        ScaleOutCooldown: 600,
        ScaleInCooldown: 1800,
      },
    });
  });

  test('scheduled scale-down: working bounds at 08:00, one instance from 18:00, Monday to Friday, New York time', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScheduledActions: [
        {
          ScheduledActionName: 'WorkingHoursStart',
          Schedule: 'cron(0 8 ? * MON-FRI *)',
          Timezone: 'America/New_York',
          ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 2 },
        },
        {
          ScheduledActionName: 'WorkingHoursEnd',
          Schedule: 'cron(0 18 ? * MON-FRI *)',
          Timezone: 'America/New_York',
          ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 1 },
        },
      ],
    });
  });

  test('alarms: any 5XX in 5 minutes; p90 model latency above 30 s (in microseconds) for 15 minutes', () => {
    const dimensions = [
      { Name: 'EndpointName', Value: ENDPOINT_NAME },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ];
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      Dimensions: dimensions,
      ExtendedStatistic: 'p90',
      Period: 300,
      EvaluationPeriods: 3,
      Threshold: 30_000_000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('without alarmActions each alarm carries the NIST CloudWatchAlarmAction acknowledgment, with its reason', () => {
    const acks = listAcknowledgments(f.endpoint).filter((a) => a.rule.endsWith('NIST.800.53.R5-CloudWatchAlarmAction'));
    expect(acks.map((a) => a.path)).toEqual(['Target/Test/Llm/ErrorsAlarm', 'Target/Test/Llm/LatencyAlarm']);
    expect(acks[0].reason).toMatch(/No alarmActions were given/);
  });
});

describe('NeuronEndpoint scaling, options', () => {
  test('concurrency tracking, custom working hours and bounds, Chicago time', () => {
    // GIVEN 2 to 6 instances from 07:00 to 19:00 Monday to Saturday, 1 to 2 otherwise, tracking 3 requests in flight per model
    const f = endpointIn(COMMERCIAL, {
      minCapacity: 2,
      maxCapacity: 6,
      scalingMetric: ScalingMetric.concurrentRequestsPerModel(3),
      scalingSchedule: ScalingSchedule.workingHours({
        timeZone: TimeZone.AMERICA_CHICAGO,
        startHour: 7,
        endHour: 19,
        workdays: 'MON-SAT',
        offHoursMinCapacity: 1,
        offHoursMaxCapacity: 2,
      }),
    });
    const template = Template.fromStack(f.stack);
    // THEN the target, the schedule and the tracking policy say so
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 6,
      RoleARN: Match.stringLikeRegexp('^arn:aws:iam::123456789012:role/aws-service-role/'),
      ScheduledActions: [
        { ScheduledActionName: 'WorkingHoursStart', Schedule: 'cron(0 7 ? * MON-SAT *)', Timezone: 'America/Chicago', ScalableTargetAction: { MinCapacity: 2, MaxCapacity: 6 } },
        { ScheduledActionName: 'WorkingHoursEnd', Schedule: 'cron(0 19 ? * MON-SAT *)', Timezone: 'America/Chicago', ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 2 } },
      ],
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantConcurrentRequestsPerModelHighResolution' },
        TargetValue: 3,
      }),
    });
  });

  test('alwaysOn(): no scheduled actions', () => {
    const f = endpointIn(COMMERCIAL, { scalingSchedule: ScalingSchedule.alwaysOn(), minCapacity: 1, maxCapacity: 3 });
    Template.fromStack(f.stack).hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 3,
      ScheduledActions: Match.absent(),
    });
  });

  test('alarmActions notify on both alarms, and no acknowledgment is needed', () => {
    const f = endpointIn(COMMERCIAL, ({ stack }) => ({ alarmActions: [new cwActions.SnsAction(new sns.Topic(stack, 'Ops'))] }));
    const topic = { Ref: logicalIdOf(f.stack.node.findChild('Ops') as sns.Topic) };
    const alarms = Object.values(Template.fromStack(f.stack).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((a) => a.Properties.AlarmActions)).toEqual([[topic], [topic]]);
    expect(listAcknowledgments(f.endpoint).filter((a) => a.rule.endsWith('NIST.800.53.R5-CloudWatchAlarmAction'))).toEqual([]);
  });
});

describe('NeuronEndpoint metrics', () => {
  let f: EndpointFixture;
  beforeAll(() => {
    f = endpointIn(GOV_WEST);
  });

  test('metricInvocations: the variant\'s Invocations, summed per 5 minutes, with overrides', () => {
    const m = f.endpoint.metricInvocations();
    expect([m.namespace, m.metricName, m.statistic, m.period.toSeconds()]).toEqual(['AWS/SageMaker', 'Invocations', 'Sum', 300]);
    expect(m.dimensions).toEqual({ EndpointName: ENDPOINT_NAME, VariantName: 'AllTraffic' });
    expect(f.endpoint.metricInvocations({ period: Duration.minutes(1) }).period.toSeconds()).toBe(60);
  });

  test('metricModelLatency: p90 by default, any statistic on request', () => {
    const m = f.endpoint.metricModelLatency();
    expect([m.metricName, m.statistic]).toEqual(['ModelLatency', 'p90']);
    expect(f.endpoint.metricModelLatency({ statistic: 'p99' }).statistic).toBe('p99');
  });
});
