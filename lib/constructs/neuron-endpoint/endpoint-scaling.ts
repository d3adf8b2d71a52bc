import { Token, type TimeZone } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import {
  CONCURRENT_REQUESTS_PER_MODEL_TARGET,
  INVOCATIONS_PER_INSTANCE_TARGET,
  LOWEST_VARIANT_CAPACITY,
  OFF_HOURS_MAX_CAPACITY,
  OFF_HOURS_MIN_CAPACITY,
  WORKDAY_END_HOUR,
  WORKDAY_START_HOUR,
  WORKDAYS,
  WORKING_HOURS_TIME_ZONE,
} from './neuron-endpoint-defaults';

/** The metric target tracking holds at its target value. */
export class ScalingMetric {
  /**
   * `SageMakerVariantInvocationsPerInstance`: invocations per instance per
   * minute. Available wherever SageMaker hosting is.
   */
  public static invocationsPerInstance(targetPerMinute: number = INVOCATIONS_PER_INSTANCE_TARGET): ScalingMetric {
    return new ScalingMetric(appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE, targetPerMinute, 'invocationsPerInstance');
  }

  /**
   * `SageMakerVariantConcurrentRequestsPerModelHighResolution`: requests in
   * flight per model copy, sampled every 10 s. Follows LLM load better than
   * invocation counts (a turn lasts seconds). Its availability in GovCloud is
   * not in the region facts: check with the preflight command.
   */
  public static concurrentRequestsPerModel(target: number = CONCURRENT_REQUESTS_PER_MODEL_TARGET): ScalingMetric {
    return new ScalingMetric(
      appscaling.PredefinedMetric.SAGEMAKER_VARIANT_CONCURRENT_REQUESTS_PER_MODEL_HIGH_RESOLUTION,
      target,
      'concurrentRequestsPerModel',
    );
  }

  private constructor(
    public readonly predefinedMetric: appscaling.PredefinedMetric,
    public readonly targetValue: number,
    /** The factory that made it, for error messages. */
    public readonly kind: string,
  ) {
    if (!Token.isUnresolved(targetValue) && !(targetValue > 0)) {
      throw new Error(`ScalingMetric.${kind}: the target value is ${targetValue}; it must be above 0.`);
    }
  }
}

const DAY = '(MON|TUE|WED|THU|FRI|SAT|SUN)';
const DAY_LIST = new RegExp(`^${DAY}(-${DAY})?(,${DAY}(-${DAY})?)*$`);
const DAY_INDEX: Record<string, number> = { MON: 0, TUE: 1, WED: 2, THU: 3, FRI: 4, SAT: 5, SUN: 6 };

/** How many distinct days a cron day-of-week list (`MON-FRI`, `MON,WED,FRI`, `SAT-SUN`) names. */
function dayCount(days: string): number {
  const seen = new Set<number>();
  for (const part of days.split(',')) {
    const [from, to = from] = part.split('-');
    for (let d = DAY_INDEX[from]; ; d = (d + 1) % 7) {
      seen.add(d);
      if (d === DAY_INDEX[to]) break;
    }
  }
  return seen.size;
}

export interface WorkingHoursOptions {
  /** @default WORKING_HOURS_TIME_ZONE (America/New_York) */
  readonly timeZone?: TimeZone;
  /** Hour (0-23) the working-hours capacity starts. @default WORKDAY_START_HOUR (8) */
  readonly startHour?: number;
  /** Hour (1-23) the off-hours capacity starts. @default WORKDAY_END_HOUR (18) */
  readonly endHour?: number;
  /** Working days, as cron day-of-week names (`MON-FRI`, `MON,WED,FRI`). @default WORKDAYS (MON-FRI) */
  readonly workdays?: string;
  /** @default OFF_HOURS_MIN_CAPACITY (1) */
  readonly offHoursMinCapacity?: number;
  /** @default OFF_HOURS_MAX_CAPACITY (1) */
  readonly offHoursMaxCapacity?: number;
}

/** Working-hours options the schedule cannot run; lists every problem at once, each naming its option. */
export class ScalingScheduleError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(`ScalingSchedule.workingHours: ${problems.join(' ')}`);
    this.name = 'ScalingScheduleError';
  }
}

/** One scheduled change of the capacity bounds. */
export interface ScheduledBounds {
  readonly id: string;
  readonly schedule: appscaling.Schedule;
  readonly timeZone: TimeZone;
  /** `working` applies the endpoint's minCapacity/maxCapacity; `off` the off-hours bounds. */
  readonly bounds: 'working' | 'off';
}

/**
 * When the endpoint runs at full capacity. `workingHours()` (the default)
 * lowers the bounds outside working hours, in the agency's time zone;
 * `alwaysOn()` keeps one set of bounds all week.
 */
export class ScalingSchedule {
  public static workingHours(options: WorkingHoursOptions = {}): ScalingSchedule {
    const startHour = options.startHour ?? WORKDAY_START_HOUR;
    const endHour = options.endHour ?? WORKDAY_END_HOUR;
    const workdays = options.workdays ?? WORKDAYS;
    const problems: string[] = [];
    const hour = (name: string, v: number, min: number) =>
      !Token.isUnresolved(v) && (!Number.isInteger(v) || v < min || v > 23) ? [`${name} is ${v}; it must be a whole hour from ${min} to 23.`] : [];
    problems.push(...hour('startHour', startHour, 0), ...hour('endHour', endHour, 1));
    if (problems.length === 0 && !Token.isUnresolved(startHour) && !Token.isUnresolved(endHour) && startHour >= endHour) {
      problems.push(`startHour (${startHour}) must be before endHour (${endHour}); a schedule across midnight is not supported, use alwaysOn() or two targets.`);
    }
    if (!DAY_LIST.test(workdays)) {
      problems.push(`workdays is "${workdays}"; use cron day names and ranges such as "MON-FRI" or "MON,WED,FRI".`);
    }
    const offMin = options.offHoursMinCapacity ?? OFF_HOURS_MIN_CAPACITY;
    const offMax = options.offHoursMaxCapacity ?? OFF_HOURS_MAX_CAPACITY;
    if (!Token.isUnresolved(offMin) && (!Number.isInteger(offMin) || offMin < LOWEST_VARIANT_CAPACITY)) {
      problems.push(
        `offHoursMinCapacity is ${offMin}; it must be a whole number of at least ${LOWEST_VARIANT_CAPACITY}: a real-time endpoint variant cannot scale to zero. ` +
          'To stop paying at night, delete the Inference stack on a schedule instead.',
      );
    }
    if (!Token.isUnresolved(offMin) && !Token.isUnresolved(offMax) && offMax < offMin) {
      problems.push(`offHoursMaxCapacity (${offMax}) is below offHoursMinCapacity (${offMin}); raise it to at least ${offMin}.`);
    }
    if (problems.length > 0) throw new ScalingScheduleError(problems);
    return new ScalingSchedule({
      timeZone: options.timeZone ?? WORKING_HOURS_TIME_ZONE,
      startHour,
      endHour,
      workdays,
      offHoursMinCapacity: offMin,
      offHoursMaxCapacity: offMax,
    });
  }

  /** No scheduled change: minCapacity/maxCapacity hold all week. */
  public static alwaysOn(): ScalingSchedule {
    return new ScalingSchedule(undefined);
  }

  private constructor(
    private readonly hours:
      | { timeZone: TimeZone; startHour: number; endHour: number; workdays: string; offHoursMinCapacity: number; offHoursMaxCapacity: number }
      | undefined,
  ) {}

  /** Bounds outside working hours; undefined for `alwaysOn()`. */
  public get offHours(): { minCapacity: number; maxCapacity: number } | undefined {
    return this.hours && { minCapacity: this.hours.offHoursMinCapacity, maxCapacity: this.hours.offHoursMaxCapacity };
  }

  /** Working hours a week (168 for `alwaysOn()`): what the cost estimate needs. */
  public get workingHoursPerWeek(): number {
    return this.hours ? (this.hours.endHour - this.hours.startHour) * dayCount(this.hours.workdays) : 168;
  }

  /** The scheduled actions: working bounds at the start of each workday, off-hours bounds at its end. */
  public scheduledBounds(): ScheduledBounds[] {
    if (!this.hours) return [];
    const { timeZone, startHour, endHour, workdays } = this.hours;
    const at = (hour: number) => appscaling.Schedule.cron({ minute: '0', hour: String(hour), weekDay: workdays });
    return [
      { id: 'WorkingHoursStart', schedule: at(startHour), timeZone, bounds: 'working' },
      { id: 'WorkingHoursEnd', schedule: at(endHour), timeZone, bounds: 'off' },
    ];
  }
}
