import { ArnFormat, Duration, type Stack } from 'aws-cdk-lib';
import { ERRORS_ALARM_THRESHOLD, LATENCY_ALARM_EVALUATION_PERIODS, LATENCY_ALARM_THRESHOLD } from '../neuron-endpoint/neuron-endpoint-defaults';

/** Defaults of Operations (SI-4: monitor the system), named so a fork can audit them; each is a prop of `thresholds`. */

/** Every alarm looks at 5-minute periods: short enough to page during an incident, long enough to ignore a single retry. */
export const ALARM_PERIOD = Duration.minutes(5);
/** What the dashboard opens on: the last three hours, enough to see an incident's start. */
export const DASHBOARD_INTERVAL = Duration.hours(3);

export interface OperationsThresholds {
  /** Failed invocations of the functions that run turns (a 5xx reply is not one: the function answered). */
  readonly turnErrors: number;
  /** Invocations of turn functions refused at their reserved concurrency (SC-5): callers see throttling errors. */
  readonly turnThrottles: number;
  /** Turns refused with 409 because the session was busy (`TurnConflicts`), per period. */
  readonly turnConflicts: number;
  /** Model calls that failed (`ModelErrors`), per period. */
  readonly modelErrors: number;
  /** p90 run time of the session API's turn function; API Gateway stops waiting at 29 s. */
  readonly turnDuration: Duration;
  /** Consecutive periods the turn duration must breach. */
  readonly turnDurationPeriods: number;
  /** Throttled requests on the session table, per period. */
  readonly sessionThrottles: number;
  /** Messages waiting in a function's dead-letter queue: an event the platform failed to handle. */
  readonly deadLetters: number;
  /** Failed invocations of the memory extractor, per period (its stream batch is retried, then dead-lettered). */
  readonly memoryExtractorErrors: number;
  /** Throttled requests on the memory table, per period. */
  readonly memoryThrottles: number;
  /** Workflow executions that failed or timed out, per period. */
  readonly workflowFailures: number;
  /** 5XX answers from the Neuron endpoint's model container, per period. */
  readonly neuronErrors: number;
  /** p90 model latency of the Neuron endpoint; InvokeEndpoint gives up at 60 s. */
  readonly neuronLatency: Duration;
  readonly neuronLatencyPeriods: number;
}

export const OPERATIONS_THRESHOLDS: OperationsThresholds = {
  turnErrors: 1,
  turnThrottles: 1,
  // A client that retries a busy session a few times is normal; ten refusals in five minutes is a client sending concurrent turns.
  turnConflicts: 10,
  // A model call that fails once is retried by the turn; five in five minutes is the model, its quota or its guardrail.
  modelErrors: 5,
  turnDuration: Duration.seconds(20),
  turnDurationPeriods: 3,
  sessionThrottles: 1,
  deadLetters: 1,
  // A failed batch is retried (3 times, bisected); three failures in five minutes is the model, its access or the table.
  memoryExtractorErrors: 3,
  memoryThrottles: 1,
  workflowFailures: 1,
  // The endpoint's own alarms use the same figures (neuron-endpoint-defaults.ts).
  neuronErrors: ERRORS_ALARM_THRESHOLD,
  neuronLatency: LATENCY_ALARM_THRESHOLD,
  neuronLatencyPeriods: LATENCY_ALARM_EVALUATION_PERIODS,
};

/**
 * Every alarm of a target is named `<prefix>-<alarm>`. The key of the alarms
 * topic admits CloudWatch only for alarms matching this pattern
 * (PlatformKeys), so the names and the key policy cannot drift apart.
 */
export function operationsAlarmName(namePrefix: string, alarm: string): string {
  return `${namePrefix}-${alarm}`;
}

/** The ARNs of every alarm of the target in `stack`'s account and region: the `aws:SourceArn` CloudWatch is admitted for. */
export function operationsAlarmArnPattern(stack: Stack, namePrefix: string): string {
  return stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: operationsAlarmName(namePrefix, '*'), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}
