/**
 * US federal holidays and business days: pure date arithmetic on ISO dates
 * (`YYYY-MM-DD`), in UTC so the answer does not depend on the machine's zone.
 *
 * Holidays are the eleven of 5 U.S.C. 6103(a). When one falls on a Saturday
 * it is observed the Friday before, on a Sunday the Monday after (5 U.S.C.
 * 6103(b); Executive Order 11582), so New Year's Day of the next year can be
 * observed on December 31. Inauguration Day is left out: it is a holiday only
 * for employees in the Washington, DC area.
 */

export interface Holiday {
  /** The observed date, `YYYY-MM-DD`. */
  readonly date: string;
  readonly name: string;
}

/** Years these rules hold for: Martin Luther King Jr. Day was first observed in 1986. */
export const FIRST_SUPPORTED_YEAR = 1986;
export const LAST_SUPPORTED_YEAR = 2199;

const DAY_MS = 24 * 60 * 60 * 1000;
const SUNDAY = 0;
const MONDAY = 1;
const THURSDAY = 4;
const SATURDAY = 6;

/** A date that is not a real `YYYY-MM-DD` day, or outside the supported years. */
export class CalendarDateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalendarDateError';
  }
}

/** Milliseconds since the epoch of a UTC calendar day. */
function day(year: number, month: number, dayOfMonth: number): number {
  return Date.UTC(year, month - 1, dayOfMonth);
}

export function toIsoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Parse `YYYY-MM-DD`; rejects impossible days (2026-02-30) and unsupported years. */
export function parseIsoDate(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) throw new CalendarDateError(`"${text}" is not an ISO date (YYYY-MM-DD)`);
  const [year, month, dayOfMonth] = match.slice(1).map(Number);
  const ms = day(year, month, dayOfMonth);
  if (toIsoDate(ms) !== text) throw new CalendarDateError(`"${text}" is not a day of the calendar`);
  if (year < FIRST_SUPPORTED_YEAR || year > LAST_SUPPORTED_YEAR) {
    throw new CalendarDateError(`${year} is outside the years these holiday rules hold for (${FIRST_SUPPORTED_YEAR} to ${LAST_SUPPORTED_YEAR})`);
  }
  return ms;
}

function weekday(ms: number): number {
  return new Date(ms).getUTCDay();
}

/** The `n`th `dayOfWeek` of a month (n = 1 for the first). */
function nthWeekday(year: number, month: number, dayOfWeek: number, n: number): number {
  const first = day(year, month, 1);
  const offset = (dayOfWeek - weekday(first) + 7) % 7;
  return first + (offset + 7 * (n - 1)) * DAY_MS;
}

function lastWeekday(year: number, month: number, dayOfWeek: number): number {
  const last = day(year, month + 1, 0);
  return last - ((weekday(last) - dayOfWeek + 7) % 7) * DAY_MS;
}

/** Saturday → the Friday before, Sunday → the Monday after. */
function observed(ms: number): number {
  const dow = weekday(ms);
  if (dow === SATURDAY) return ms - DAY_MS;
  if (dow === SUNDAY) return ms + DAY_MS;
  return ms;
}

interface HolidayRule {
  readonly name: string;
  /** The legal date in `year`, or undefined before the holiday existed. */
  readonly date: (year: number) => number | undefined;
}

const fixed = (month: number, dayOfMonth: number, since = FIRST_SUPPORTED_YEAR) => (year: number) =>
  year >= since ? observed(day(year, month, dayOfMonth)) : undefined;

export const FEDERAL_HOLIDAY_RULES: readonly HolidayRule[] = [
  { name: "New Year's Day", date: fixed(1, 1) },
  { name: 'Birthday of Martin Luther King, Jr.', date: (y) => nthWeekday(y, 1, MONDAY, 3) },
  { name: "Washington's Birthday", date: (y) => nthWeekday(y, 2, MONDAY, 3) },
  { name: 'Memorial Day', date: (y) => lastWeekday(y, 5, MONDAY) },
  // Juneteenth National Independence Day Act, Pub. L. 117-17 (June 17, 2021).
  { name: 'Juneteenth National Independence Day', date: fixed(6, 19, 2021) },
  { name: 'Independence Day', date: fixed(7, 4) },
  { name: 'Labor Day', date: (y) => nthWeekday(y, 9, MONDAY, 1) },
  { name: 'Columbus Day', date: (y) => nthWeekday(y, 10, MONDAY, 2) },
  { name: 'Veterans Day', date: fixed(11, 11) },
  { name: 'Thanksgiving Day', date: (y) => nthWeekday(y, 11, THURSDAY, 4) },
  { name: 'Christmas Day', date: fixed(12, 25) },
];

/** The observed federal holidays that fall in `year`, in date order. */
export function federalHolidays(year: number): Holiday[] {
  // Next year's New Year's Day is observed on December 31 when January 1 is a Saturday.
  return [year, year + 1]
    .flatMap((y) => FEDERAL_HOLIDAY_RULES.map((rule) => ({ name: rule.name, ms: rule.date(y) })))
    .filter((h): h is { name: string; ms: number } => h.ms !== undefined && new Date(h.ms).getUTCFullYear() === year)
    .sort((a, b) => a.ms - b.ms)
    .map((h) => ({ date: toIsoDate(h.ms), name: h.name }));
}

export interface Deadline {
  readonly deadline: string;
  /** Holidays on weekdays between the start and the deadline that did not count. */
  readonly holidaysSkipped: Holiday[];
}

/**
 * The date `businessDays` federal business days after `startDate`. The start
 * day itself never counts (day one is the next business day), as in FOIA's
 * "20 days (excepting Saturdays, Sundays, and legal public holidays)".
 */
export function addBusinessDays(startDate: string, businessDays: number): Deadline {
  if (!Number.isInteger(businessDays) || businessDays < 1) {
    throw new CalendarDateError(`businessDays must be a whole number of at least 1 (got ${businessDays})`);
  }
  let ms = parseIsoDate(startDate);
  const holidaysByYear = new Map<number, Map<string, string>>();
  const holidayOn = (date: string, year: number): string | undefined => {
    if (!holidaysByYear.has(year)) holidaysByYear.set(year, new Map(federalHolidays(year).map((h) => [h.date, h.name])));
    return holidaysByYear.get(year)!.get(date);
  };
  const holidaysSkipped: Holiday[] = [];
  let counted = 0;
  while (counted < businessDays) {
    ms += DAY_MS;
    const year = new Date(ms).getUTCFullYear();
    if (year > LAST_SUPPORTED_YEAR) throw new CalendarDateError(`the deadline falls after ${LAST_SUPPORTED_YEAR}, past the years these rules hold for`);
    const dow = weekday(ms);
    if (dow === SATURDAY || dow === SUNDAY) continue;
    const date = toIsoDate(ms);
    const holiday = holidayOn(date, year);
    if (holiday !== undefined) {
      holidaysSkipped.push({ date, name: holiday });
      continue;
    }
    counted += 1;
  }
  return { deadline: toIsoDate(ms), holidaysSkipped };
}
