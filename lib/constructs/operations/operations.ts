import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { servicePrincipalName } from '../../residency/region-facts';
import type { IMemoryStore } from '../memory-store/memory-store';
import type { INeuronEndpoint } from '../neuron-endpoint/neuron-endpoint';
import { METRICS_NAMESPACE } from '../platform-function/platform-function';
import type { ISessionStore } from '../session-store/session-store';
import type { IToolMachine } from '../tool-workflow/tool-machine';
import { ALARM_PERIOD, DASHBOARD_INTERVAL, OPERATIONS_THRESHOLDS, operationsAlarmArnPattern, operationsAlarmName, type OperationsThresholds } from './operations-defaults';

/** A function to watch: a PlatformFunction is one. */
export interface WatchedFunction {
  readonly function: lambda.IFunction;
  /** Its Powertools service name: the `service` dimension of the metrics it publishes. */
  readonly serviceName: string;
  readonly deadLetterQueue: sqs.IQueue;
}

/** A workflow to watch: a tool workflow or the agent loop. */
export type WatchedWorkflow = Pick<IToolMachine, 'metricFailed' | 'metricTimedOut'>;

export interface OperationsProps {
  /** Prefix of the topic, dashboard and alarm names, e.g. `statehouse-govwest`. */
  readonly namePrefix: string;
  /**
   * SC-28: encrypts the alarms topic. Its policy must let CloudWatch use it for
   * alarms named `<namePrefix>-*` (PlatformKeys' logs key does).
   */
  readonly encryptionKey: kms.IKey;
  /** Subscribed to the alarms topic; each confirms its subscription first. @default none */
  readonly alarmEmails?: readonly string[];
  readonly sessions: ISessionStore;
  /** The function behind the session API: its p90 run time is the turn latency callers see. */
  readonly apiFunction: WatchedFunction;
  /** Every function that runs turns (the API's, streaming, background rounds): errors, throttles and the turn metrics they publish. */
  readonly turnFunctions: readonly WatchedFunction[];
  /** Every function whose dead-letter queue is watched (one alarm each). */
  readonly functions: readonly WatchedFunction[];
  /** Workflows by the name the dashboard and alarms give them (`fast-tools`, `agent-loop`). */
  readonly workflows: Readonly<Record<string, WatchedWorkflow>>;
  /** @default none: no endpoint alarms or widget */
  readonly neuronEndpoint?: INeuronEndpoint;
  /**
   * Memory across sessions: the extractor's errors and the memory table's
   * throttles (list the extractor in `functions` too, for its dead-letter alarm).
   * @default none: no memory alarms or widget
   */
  readonly memory?: { readonly extractor: WatchedFunction; readonly store: IMemoryStore };
  /** @default OPERATIONS_THRESHOLDS */
  readonly thresholds?: Partial<OperationsThresholds>;
}

interface AlarmSpec {
  readonly threshold: number;
  readonly description: string;
  readonly evaluationPeriods?: number;
}

/**
 * A target's operations view (SI-4, IR-6): a CloudWatch dashboard with a
 * widget per watched thing and alarms that notify an encrypted SNS topic.
 * Alarms treat missing data as not breaching: a quiet platform is healthy.
 */
export class Operations extends Construct {
  /** Where every alarm notifies (email, chat or a ticketing queue subscribe to it). */
  public readonly topic: sns.Topic;
  public readonly dashboard: cloudwatch.Dashboard;
  /** The alarms by their name without the prefix (`turn-errors`, `dead-letters-summarizer`). */
  public readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  private readonly namePrefix: string;
  private readonly thresholds: OperationsThresholds;
  private readonly created: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    if (props.turnFunctions.length === 0) {
      throw new Error(`${this.node.path}: turnFunctions is empty; give the functions that run turns (at least apiFunction), so their errors and turn metrics are watched.`);
    }
    this.namePrefix = props.namePrefix;
    this.thresholds = { ...OPERATIONS_THRESHOLDS, ...props.thresholds };
    this.topic = this.alarmsTopic(props);
    this.alarms = this.created;

    const widgets = [
      this.turnWidgets(props),
      this.sessionWidget(props.sessions),
      this.deadLetterWidget(props.functions),
      Object.entries(props.workflows).map(([name, workflow]) => this.workflowWidget(name, workflow)),
      props.neuronEndpoint ? [this.neuronWidget(props.neuronEndpoint)] : [],
      props.memory ? [this.memoryWidget(props.memory.extractor, props.memory.store)] : [],
    ].flat();
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.namePrefix}-operations`,
      defaultInterval: DASHBOARD_INTERVAL,
    });
    // The widget names each alarm by the ARN its fixed name gives (Alarm.fromAlarmName), not by Fn::GetAtt:
    // the same ARN, and a dashboard that does not wait on its alarms' attributes. (moto's CloudFormation has
    // no AWS::CloudWatch::Alarm model, so a GetAtt of one fails the emulated deploy.)
    const statusScope = new Construct(this, 'AlarmStatus');
    const named = Object.keys(this.created).map((name) => cloudwatch.Alarm.fromAlarmName(statusScope, name, operationsAlarmName(this.namePrefix, name)));
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: named, width: 24 }));
    this.dashboard.addWidgets(...widgets);
  }

  private alarmsTopic(props: OperationsProps): sns.Topic {
    const topic = new sns.Topic(this, 'Alarms', {
      topicName: `${props.namePrefix}-operations-alarms`,
      displayName: 'Statehouse operations alarms',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one: admit CloudWatch for this account's alarms of this target only (confused deputy).
    const stack = Stack.of(this);
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisTarget',
        principals: [new iam.ServicePrincipal(servicePrincipalName('cloudwatch'))],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': operationsAlarmArnPattern(stack, props.namePrefix) },
        },
      }),
    );
    for (const email of props.alarmEmails ?? []) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }

  private turnWidgets(props: OperationsProps): cloudwatch.IWidget[] {
    const { turnFunctions: fns, apiFunction } = props;
    const t = this.thresholds;
    const errors = sum('Turn function errors', fns.map((f) => f.function.metricErrors({ period: ALARM_PERIOD })));
    const throttles = sum('Turn function throttles', fns.map((f) => f.function.metricThrottles({ period: ALARM_PERIOD })));
    const conflicts = sum('Turn conflicts (409)', fns.map((f) => turnMetric(f, 'TurnConflicts')));
    const modelErrors = sum('Model errors', fns.map((f) => turnMetric(f, 'ModelErrors')));
    const duration = apiFunction.function.metricDuration({ period: ALARM_PERIOD, statistic: 'p90', label: 'Turn duration p90 (ms)' });
    this.alarm('turn-errors', errors, { threshold: t.turnErrors, description: 'Functions that run turns failed invocations (not 5xx replies): a crash, a timeout or an out-of-memory.' });
    this.alarm('turn-throttles', throttles, { threshold: t.turnThrottles, description: 'Turn functions were throttled at their reserved concurrency: callers were refused.' });
    this.alarm('turn-conflicts', conflicts, { threshold: t.turnConflicts, description: 'Turns were refused with 409 because the session was busy: a client sends concurrent turns to one session.' });
    this.alarm('model-errors', modelErrors, { threshold: t.modelErrors, description: 'Model calls failed: the model, its quota, its access or its guardrail.' });
    this.alarm('turn-duration', duration, {
      threshold: t.turnDuration.toMilliseconds(),
      evaluationPeriods: t.turnDurationPeriods,
      description: `p90 turn duration above ${t.turnDuration.toSeconds()} s: API Gateway stops waiting at 29 s.`,
    });
    return [
      graph('Turns', [sum('Turns completed', fns.map((f) => turnMetric(f, 'TurnsCompleted'))), conflicts, modelErrors, sum('Tool workflow errors', fns.map((f) => turnMetric(f, 'ToolWorkflowErrors')))]),
      graph('Tokens', [sum('Tokens in', fns.map((f) => turnMetric(f, 'TokensIn'))), sum('Tokens out', fns.map((f) => turnMetric(f, 'TokensOut')))]),
      graph('Turn functions', [errors, throttles], [duration]),
    ];
  }

  private sessionWidget(sessions: ISessionStore): cloudwatch.IWidget {
    const throttles = sessions.metricThrottles({ period: ALARM_PERIOD, label: 'Session table throttles' });
    this.alarm('session-throttles', throttles, { threshold: this.thresholds.sessionThrottles, description: 'The session table throttled requests: turns slow down or fail.' });
    return graph('Session store', [throttles, sessions.metricConflicts({ period: ALARM_PERIOD, label: 'Conditional check failures' })]);
  }

  private deadLetterWidget(functions: readonly WatchedFunction[]): cloudwatch.IWidget {
    const depths = functions.map((f) => {
      const depth = f.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum', label: f.serviceName });
      this.alarm(`dead-letters-${f.serviceName}`, depth, { threshold: this.thresholds.deadLetters, description: `The dead-letter queue of ${f.serviceName} holds messages: events the function failed to handle.` });
      return depth;
    });
    return graph('Dead-letter queues', depths);
  }

  private workflowWidget(name: string, workflow: WatchedWorkflow): cloudwatch.IWidget {
    const failed = workflow.metricFailed({ period: ALARM_PERIOD });
    const timedOut = workflow.metricTimedOut({ period: ALARM_PERIOD });
    const failures = new cloudwatch.MathExpression({ expression: 'failed + timedOut', usingMetrics: { failed, timedOut }, period: ALARM_PERIOD, label: `${name} failed or timed out` });
    this.alarm(`workflow-failures-${name}`, failures, { threshold: this.thresholds.workflowFailures, description: `Executions of the ${name} workflow failed or timed out.` });
    return graph(`Workflow ${name}`, [failures]);
  }

  private memoryWidget(extractor: WatchedFunction, store: IMemoryStore): cloudwatch.IWidget {
    const t = this.thresholds;
    const errors = extractor.function.metricErrors({ period: ALARM_PERIOD, label: 'Memory extractor errors' });
    const throttles = store.metricThrottles({ period: ALARM_PERIOD, label: 'Memory table throttles' });
    this.alarm('memory-extractor-errors', errors, {
      threshold: t.memoryExtractorErrors,
      description: 'The memory extractor failed invocations: new session events are not becoming memory (turns are unaffected).',
    });
    this.alarm('memory-throttles', throttles, { threshold: t.memoryThrottles, description: 'The memory table throttled requests: recall or extraction slows down or fails.' });
    return graph('Memory', [errors, throttles]);
  }

  private neuronWidget(endpoint: INeuronEndpoint): cloudwatch.IWidget {
    const t = this.thresholds;
    const errors = endpoint.metricInvocation5XXErrors({ period: ALARM_PERIOD, label: 'Neuron 5XX errors' });
    // ModelLatency is reported in microseconds.
    const latency = endpoint.metricModelLatency({ period: ALARM_PERIOD, label: 'Neuron model latency p90 (µs)' });
    this.alarm('neuron-errors', errors, { threshold: t.neuronErrors, description: `Neuron endpoint ${endpoint.endpointName}: the model container answered with 5XX errors.` });
    this.alarm('neuron-latency', latency, {
      threshold: t.neuronLatency.toMilliseconds() * 1000,
      evaluationPeriods: t.neuronLatencyPeriods,
      description: `Neuron endpoint ${endpoint.endpointName}: p90 model latency above ${t.neuronLatency.toSeconds()} s; InvokeEndpoint gives up at 60 s.`,
    });
    return graph('Neuron endpoint', [endpoint.metricInvocations({ period: ALARM_PERIOD, label: 'Invocations' }), errors], [latency]);
  }

  /** An alarm named `<prefix>-<name>` (the key policy admits only those) that notifies the topic. */
  private alarm(name: string, metric: cloudwatch.IMetric, spec: AlarmSpec): void {
    const alarm = new cloudwatch.Alarm(this, pascal(name), {
      alarmName: operationsAlarmName(this.namePrefix, name),
      alarmDescription: `${spec.description} Runbook: README, Operations, ${name}.`,
      metric,
      threshold: spec.threshold,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.created[name] = alarm;
  }
}

/** A metric the turn functions publish through Powertools (namespace `Statehouse`, dimension `service`). */
function turnMetric(fn: WatchedFunction, metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: fn.serviceName }, statistic: 'Sum', period: ALARM_PERIOD });
}

/** One line for the sum over functions; its metric ids come from the label, so two sums can share a graph. */
function sum(label: string, metrics: readonly cloudwatch.IMetric[]): cloudwatch.IMetric {
  const idPrefix = label.toLowerCase().replace(/[^a-z]/g, '');
  const usingMetrics = Object.fromEntries(metrics.map((m, i) => [`${idPrefix}${i}`, m]));
  return new cloudwatch.MathExpression({ expression: Object.keys(usingMetrics).join(' + '), usingMetrics, period: ALARM_PERIOD, label });
}

function graph(title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, right, width: 12 });
}

/** `dead-letters-tool-x` → `DeadLettersToolX`: the alarm's construct id. */
function pascal(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
