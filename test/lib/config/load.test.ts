import { ConfigError, parseConfig, selectTargets } from '../../../lib/config/load';

function problemsOf(overrides: unknown): string[] {
  try {
    parseConfig(overrides);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  test('the defaults declare Commercial and GovWest as default targets and GovEast on request', () => {
    // GIVEN no overrides WHEN parsed
    const config = parseConfig();
    // THEN
    expect(selectTargets(config).map(([n]) => n)).toEqual(['Commercial', 'GovWest']);
    expect(config.targets.GovEast.region).toBe('us-gov-east-1');
    expect(config.targets.GovWest.residency).toEqual({ regions: ['us-gov-west-1'], crossRegionInference: 'deny', fips: true });
  });

  test('overrides deep-merge over the defaults; arrays replace', () => {
    const config = parseConfig({ targets: { GovWest: { account: '123456789012', interfaceEndpoints: ['kms'] } } });
    expect(config.targets.GovWest.account).toBe('123456789012');
    expect(config.targets.GovWest.interfaceEndpoints).toEqual(['kms']);
    expect(config.targets.GovWest.region).toBe('us-gov-west-1');
  });

  test('a new target takes the per-target defaults and must say only where it lives', () => {
    // GIVEN a target with no residency WHEN parsed THEN residency is the one missing field
    expect(problemsOf({ targets: { Lab: { region: 'us-west-2' } } })).toEqual([expect.stringMatching(/^targets\.Lab\.residency: /)]);
    // GIVEN region and residency THEN the rest comes from the defaults, and it is not synthesized by default
    const config = parseConfig({
      targets: { Lab: { region: 'us-west-2', residency: { regions: ['us-west-2'], crossRegionInference: 'deny', fips: true } } },
    });
    expect(config.targets.Lab).toMatchObject({ default: false, maxAzs: 2, logRetentionDays: 365 });
    expect(selectTargets(config).map(([n]) => n)).not.toContain('Lab');
  });

  test('a bad configuration lists every problem at once, each with its field and the fix', () => {
    // GIVEN a configuration with five unrelated mistakes
    const problems = problemsOf({
      targets: {
        GovWest: {
          account: '12345',
          residency: { crossRegionInference: 'anywhere', fips: 'yes' },
          logRetentionDays: 17,
          maxAzs: 1,
          colour: 'blue',
        },
      },
    });
    // THEN all five are reported together
    expect(problems).toEqual(
      expect.arrayContaining([
        'targets.GovWest.account: must be a 12-digit AWS account id',
        'targets.GovWest.residency.crossRegionInference: must be one of "deny", "within-partition"',
        'targets.GovWest.residency.fips: must be true or false',
        expect.stringMatching(/^targets\.GovWest\.logRetentionDays: must be a retention CloudWatch Logs offers: 1, 3, 5/),
        'targets.GovWest.maxAzs: must be at least 2 (CP-10: survive the loss of one zone)',
        expect.stringMatching(/^targets\.GovWest: unknown field "colour"; remove it/),
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  test('residency rules that need the region facts: partition, own region, within-partition', () => {
    const problems = problemsOf({
      targets: {
        GovWest: { residency: { regions: ['us-east-1'], crossRegionInference: 'within-partition' } },
        Commercial: { region: 'eu-west-9' },
      },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^targets\.Commercial\.region: "eu-west-9" is not a region this kit has facts for/),
        expect.stringMatching(/^targets\.GovWest\.residency\.regions: must include the target region "us-gov-west-1"/),
        expect.stringMatching(/^targets\.GovWest\.residency\.regions\[0\]: "us-east-1" is not in the AWS GovCloud \(US\) partition/),
        expect.stringMatching(/^targets\.GovWest\.residency\.crossRegionInference: "within-partition" lets Bedrock route/),
      ]),
    );
  });

  test('the CDK way of picking targets: -c targets=GovEast,GovWest', () => {
    const config = parseConfig();
    expect(selectTargets(config, 'GovEast, GovWest').map(([n]) => n)).toEqual(['GovEast', 'GovWest']);
    expect(() => selectTargets(config, 'GovNorth')).toThrow(/no target named "GovNorth"; declared targets are Commercial, GovWest, GovEast/);
  });

  test('switching the model kind replaces the default model instead of merging into it', () => {
    const config = parseConfig({ targets: { GovWest: { model: { kind: 'sagemaker', endpointName: 'llm' } } } });
    expect(config.targets.GovWest.model).toEqual({ kind: 'sagemaker', endpointName: 'llm' });
    // The same kind still merges: only the model id changes.
    expect(parseConfig({ targets: { GovWest: { model: { modelId: 'meta.llama3-8b-instruct-v1:0' } } } }).targets.GovWest.model).toEqual({
      kind: 'bedrock-converse',
      modelId: 'meta.llama3-8b-instruct-v1:0',
    });
  });

  test('a non-object configuration is refused', () => {
    expect(problemsOf([1, 2])).toEqual(['(root): must be a JSON object such as {"targets": {...}}']);
  });
});
