import { BACKGROUND_TURN_DEFAULTS } from '../../../lib/config/defaults';
import { parseConfig } from '../../../lib/config/load';
import { BACKGROUND_DEFAULTS, MAX_BACKGROUND_ROUNDS } from '../../../lib/contract/agent-loop';
import { targetStacksProps } from '../../../lib/stacks/target-props';
import { problemsOf } from '../../helpers/config-problems';

/** A target's `background` block: its defaults, what the stacks get from it, and the values it refuses. */
const runtimeOf = (overrides: unknown = {}) => targetStacksProps('GovWest', parseConfig(overrides).targets.GovWest).runtime;
const govWest = (background: unknown) => ({ targets: { GovWest: { background } } });

describe('background turns in the configuration', () => {
  test('on by default, with the contract\'s limits: a one-hour deadline and 50 rounds', () => {
    // GIVEN no background block WHEN turned into stack props
    const { background } = runtimeOf();
    // THEN
    expect(BACKGROUND_TURN_DEFAULTS).toEqual({ enabled: true, deadlineSeconds: BACKGROUND_DEFAULTS.deadlineSeconds, maxRounds: BACKGROUND_DEFAULTS.maxRounds });
    expect([background?.deadline.toSeconds(), background?.maxRounds]).toEqual([3600, 50]);
  });

  test('a field given replaces only that default', () => {
    expect(runtimeOf(govWest({ maxRounds: 12 })).background).toMatchObject({ maxRounds: 12 });
    expect(runtimeOf(govWest({ maxRounds: 12 })).background?.deadline.toSeconds()).toBe(3600);
    expect(runtimeOf(govWest({ deadlineSeconds: BACKGROUND_DEFAULTS.maxDeadlineSeconds, maxRounds: MAX_BACKGROUND_ROUNDS })).background?.deadline.toSeconds()).toBe(86400);
  });

  test('enabled: false gives the stacks no background turns, whatever the limits say', () => {
    expect(runtimeOf(govWest({ enabled: false, maxRounds: 10 })).background).toBeUndefined();
  });

  test.each<[string, unknown, RegExp]>([
    ['enabled as a string', { enabled: 'yes' }, /^targets\.GovWest\.background\.enabled: must be true or false$/],
    ['a deadline of zero', { deadlineSeconds: 0 }, /^targets\.GovWest\.background\.deadlineSeconds: must be at least 1 second$/],
    ['a deadline past a day', { deadlineSeconds: 86401 }, /^targets\.GovWest\.background\.deadlineSeconds: must be at most 86400 \(a day: .*\); split longer work into several turns$/],
    ['a deadline in part seconds', { deadlineSeconds: 90.5 }, /^targets\.GovWest\.background\.deadlineSeconds: must be a whole number of seconds$/],
    ['a deadline as text', { deadlineSeconds: '1h' }, /^targets\.GovWest\.background\.deadlineSeconds: must be a number of seconds$/],
    ['no rounds', { maxRounds: 0 }, /^targets\.GovWest\.background\.maxRounds: must be at least 1 \(a turn asks the model at least once\)$/],
    ['more rounds than an execution\'s history holds', { maxRounds: 501 }, /^targets\.GovWest\.background\.maxRounds: must be at most 500 \(.*history.*\); split longer work into several turns$/],
    ['an unknown field', { timeoutSeconds: 60 }, /^targets\.GovWest\.background: unknown field "timeoutSeconds"; remove it or check the spelling/],
  ])('refuses %s, naming the field, why and what instead', (_case, background, message) => {
    expect(problemsOf(govWest(background))).toEqual([expect.stringMatching(message)]);
  });
});
