import { readValidationReport } from '../../../lib/compliance/validation-report';
import { normaliseTemplate, readTemplate, stacksOf, synthStatehouse, type Synthesized } from '../../helpers/synth';

/**
 * A target the defaults do not declare, given only `region` and
 * `residency.regions` (README "Configuration reference"), synthesizes: every
 * other field, residency's crossRegionInference and fips included, comes from
 * the defaults. Placed where GovWest is, its templates are GovWest's with the
 * name changed (GovWest's own are pinned by the snapshots in targets.test.ts).
 */
let synth: Synthesized;
beforeAll(() => {
  // GIVEN a new target with only a region and where its data may live
  synth = synthStatehouse({
    targets: 'GovWest,GovLab',
    overrides: { targets: { GovLab: { region: 'us-gov-west-1', residency: { regions: ['us-gov-west-1'] } } } },
    cfnValidation: true,
  });
});

const stage = (name: string) => synth.stages.find((s) => s.stageName === name)!;

/**
 * Hashes of construct paths, which hold the stage name: the 8 upper-case hex
 * digits of Names.uniqueId in names and logical ids, and the API deployment's
 * hash of its methods (whose permissions' ids hold the others).
 */
const PATH_HASH = /[0-9A-F]{8}|[0-9a-f]{32}/g;

/** A template with assets and path hashes normalised, and the target's name replaced as it appears in names, paths and descriptions. */
function comparable(template: Record<string, unknown>, from = 'GovWest', to = 'GovWest'): Record<string, unknown> {
  const text = JSON.stringify(normaliseTemplate(template)).replaceAll(from, to).replaceAll(from.toLowerCase(), to.toLowerCase());
  return JSON.parse(text.replace(PATH_HASH, '<path-hash>'));
}

test('it synthesizes with zero unacknowledged findings', () => {
  expect(stacksOf(stage('GovLab')).map((s) => s.node.id)).toEqual(['Foundation', 'State', 'Runtime']);
  const { errors } = readValidationReport(synth.assembly.directory);
  expect(errors.filter((e) => e.paths.some((p) => p.startsWith('GovLab/')))).toEqual([]);
});

test('its templates are GovWest\'s with the name changed: the residency defaults are the ones GovWest has (FIPS on, no cross-region inference)', () => {
  const govLab = stacksOf(stage('GovLab'));
  const govWest = stacksOf(stage('GovWest'));
  for (const [i, stack] of govLab.entries()) {
    expect(comparable(readTemplate(stack), 'GovLab', 'GovWest')).toEqual(comparable(readTemplate(govWest[i])));
  }
  // The comparison means something: the functions name the services whose -fips hosts they use.
  expect(JSON.stringify(readTemplate(govLab[2]))).toMatch(/STATEHOUSE_FIPS_SERVICES":"[a-z]/);
});
