import { addBusinessDays, CalendarDateError, federalHolidays } from '../../../../lambda/tools/compute-deadline/federal-calendar';

/** The compute_deadline tool's domain: US federal holidays (5 U.S.C. 6103) and business days. */

describe('federal holidays', () => {
  test('2026: the eleven holidays, Independence Day (a Saturday) observed on Friday July 3', () => {
    expect(federalHolidays(2026)).toEqual([
      { date: '2026-01-01', name: "New Year's Day" },
      { date: '2026-01-19', name: 'Birthday of Martin Luther King, Jr.' },
      { date: '2026-02-16', name: "Washington's Birthday" },
      { date: '2026-05-25', name: 'Memorial Day' },
      { date: '2026-06-19', name: 'Juneteenth National Independence Day' },
      { date: '2026-07-03', name: 'Independence Day' },
      { date: '2026-09-07', name: 'Labor Day' },
      { date: '2026-10-12', name: 'Columbus Day' },
      { date: '2026-11-11', name: 'Veterans Day' },
      { date: '2026-11-26', name: 'Thanksgiving Day' },
      { date: '2026-12-25', name: 'Christmas Day' },
    ]);
  });

  test('2021: Sunday and Saturday holidays move to Monday and Friday; New Year\'s Day 2022 is observed on December 31, 2021', () => {
    const dates = federalHolidays(2021).map((h) => h.date);
    expect(dates).toEqual(expect.arrayContaining(['2021-06-18', '2021-07-05', '2021-12-24', '2021-12-31']));
    expect(federalHolidays(2022).map((h) => h.date)).not.toContain('2022-01-01');
  });

  test('Juneteenth is a holiday from 2021 on only', () => {
    expect(federalHolidays(2020).map((h) => h.name)).not.toContain('Juneteenth National Independence Day');
    expect(federalHolidays(2020)).toHaveLength(10);
  });
});

describe('business days', () => {
  test('five business days after the Friday before Thanksgiving skip the weekend and Thanksgiving Day', () => {
    expect(addBusinessDays('2026-11-20', 5)).toEqual({
      deadline: '2026-11-30',
      holidaysSkipped: [{ date: '2026-11-26', name: 'Thanksgiving Day' }],
    });
  });

  test('a FOIA response (20 business days) across Christmas, New Year\'s Day and Martin Luther King Jr. Day', () => {
    expect(addBusinessDays('2026-12-18', 20)).toEqual({
      deadline: '2027-01-20',
      holidaysSkipped: [
        { date: '2026-12-25', name: 'Christmas Day' },
        { date: '2027-01-01', name: "New Year's Day" },
        { date: '2027-01-18', name: 'Birthday of Martin Luther King, Jr.' },
      ],
    });
  });

  test('the start day never counts, even on a weekend', () => {
    expect(addBusinessDays('2026-07-04', 1).deadline).toBe('2026-07-06');
  });

  test.each([
    ['2026-02-30', 5, /"2026-02-30" is not a day of the calendar/],
    ['20 Nov 2026', 5, /is not an ISO date/],
    ['1980-01-02', 5, /1980 is outside the years these holiday rules hold for/],
    ['2026-11-20', 0, /businessDays must be a whole number of at least 1/],
    ['2199-12-30', 30, /the deadline falls after 2199/],
  ])('%s + %s business days is refused with a reason', (start, days, reason) => {
    expect(() => addBusinessDays(start, days)).toThrow(CalendarDateError);
    expect(() => addBusinessDays(start, days)).toThrow(reason);
  });
});
