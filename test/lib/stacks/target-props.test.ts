import { parseConfig } from '../../../lib/config/load';
import { MEMORY_DEFAULTS } from '../../../lib/contract/memory-table';
import { TARGET_DEFAULTS } from '../../../lib/config/defaults';
import { CONFIGURABLE_SESSION_LIMITS, DEFAULT_SESSION_LIMITS } from '../../../lib/contract/session-limits';
import { fipsHostServices } from '../../../lib/residency/region-facts';
import { targetStacksProps } from '../../../lib/stacks/target-props';
import { problemsOf } from '../../helpers/config-problems';

/** lib/stacks/target-props.ts: the one place a validated target becomes construct props. */
describe('target props', () => {
  test('GovWest: named zones, FIPS services from the region facts, names from the target name', () => {
    // GIVEN the default GovWest target WHEN turned into stack props
    const props = targetStacksProps('GovWest', parseConfig().targets.GovWest);
    // THEN
    expect(props.env).toEqual({ account: undefined, region: 'us-gov-west-1' });
    expect(props.foundation.availabilityZones).toEqual(['us-gov-west-1a', 'us-gov-west-1b']);
    expect(props.fipsServices).toEqual(fipsHostServices('us-gov-west-1'));
    expect(props.fipsServices.length).toBeGreaterThan(0);
    expect(props.foundation).toMatchObject({
      permissionsBoundaryName: 'statehouse-govwest-permissions-boundary',
      trailName: 'statehouse-govwest-audit',
      dataResourcePrefix: 'statehouse-govwest-data',
    });
    expect(props.state).toEqual({ namePrefix: 'statehouse-govwest-data', modelWeights: false, memorySettings: MEMORY_DEFAULTS });
    expect(props.inference).toBeUndefined();
    expect(props.serviceControlPolicy.account).toBe('*');
  });

  test('Commercial without FIPS lists no -fips services', () => {
    expect(targetStacksProps('Commercial', parseConfig().targets.Commercial).fipsServices).toEqual([]);
  });

  test('a Neuron endpoint that no model calls is flagged unused; one that a model calls is not', () => {
    const neuron = { instanceType: 'ml.inf2.xlarge', weightsPrefix: 'llama-3-8b/' };
    const unused = parseConfig({ targets: { Commercial: { neuron, interfaceEndpoints: [...TARGET_DEFAULTS.interfaceEndpoints] } } });
    expect(targetStacksProps('Commercial', unused.targets.Commercial).inference).toMatchObject({ unused: true, configPath: 'targets.Commercial.neuron' });
    const used = parseConfig({ targets: { Commercial: { neuron, model: { kind: 'neuron' } } } });
    expect(targetStacksProps('Commercial', used.targets.Commercial).inference?.unused).toBe(false);
  });

  test('operations.alarmEmails reach the Runtime settings; none by default; a bad address is a configuration error', () => {
    // GIVEN a target with an on-call address WHEN turned into stack props THEN the Runtime subscribes it
    const configured = parseConfig({ targets: { Commercial: { operations: { alarmEmails: ['oncall@example.gov'] } } } });
    expect(targetStacksProps('Commercial', configured.targets.Commercial).runtime.alarmEmails).toEqual(['oncall@example.gov']);
    expect(targetStacksProps('Commercial', parseConfig().targets.Commercial).runtime.alarmEmails).toEqual([]);
    expect(problemsOf({ targets: { Commercial: { operations: { alarmEmails: ['oncall'] } } } })).toEqual([expect.stringMatching(/^targets\.Commercial\.operations\.alarmEmails\.0: must be an email address/)]);
    expect(problemsOf({ targets: { Commercial: { operations: { pager: 'x' } } } })).toEqual([expect.stringContaining('targets.Commercial.operations')]);
  });
});

describe('one set of session defaults', () => {
  test('the configuration defaults are DEFAULT_SESSION_LIMITS (contextEvents 50, ttlDays 90)', () => {
    const session = parseConfig().targets.GovWest.session;
    expect(session).toEqual(Object.fromEntries(CONFIGURABLE_SESSION_LIMITS.map((limit) => [limit, DEFAULT_SESSION_LIMITS[limit]])));
    expect([session.contextEvents, session.ttlDays]).toEqual([50, 90]);
  });

  test('the bounds of the contract are the configuration\'s', () => {
    expect(problemsOf({ targets: { GovWest: { session: { contextEvents: 501 } } } })).toEqual([
      expect.stringMatching(/^targets\.GovWest\.session\.contextEvents: must be at most 500/),
    ]);
    expect(problemsOf({ targets: { GovWest: { session: { inlineThresholdBytes: 200 * 1024 } } } })).toEqual([
      expect.stringMatching(/^targets\.GovWest\.session\.inlineThresholdBytes: must be at most 131072/),
    ]);
  });
});

describe('configuration rules are configuration errors', () => {
  test('a target without the execute-api endpoint is refused with the other problems, not thrown at synth', () => {
    // GIVEN a target without the session API's endpoint and with a second mistake
    const residency = { regions: ['us-gov-east-1'], crossRegionInference: 'deny', fips: true };
    const problems = problemsOf({ targets: { GovWest: { interfaceEndpoints: ['kms', 'logs'], residency } } });
    // THEN both are listed at once, each with its field
    expect(problems).toEqual([
      expect.stringMatching(/^targets\.GovWest\.residency\.regions: must include the target region/),
      expect.stringMatching(/^targets\.GovWest\.interfaceEndpoints: must include "execute-api": the session API is private/),
    ]);
  });
});
