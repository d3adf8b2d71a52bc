import { parseConfig, selectTargets } from '../../../lib/config/load';
import { problemsOf } from '../../helpers/config-problems';
import { synthStatehouse } from '../../helpers/synth';

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
    const config = parseConfig({ targets: { GovWest: { account: '123456789012', interfaceEndpoints: ['kms', 'execute-api'] } } });
    expect(config.targets.GovWest.account).toBe('123456789012');
    expect(config.targets.GovWest.interfaceEndpoints).toEqual(['kms', 'execute-api']);
    expect(config.targets.GovWest.region).toBe('us-gov-west-1');
  });

  test('a new target takes the per-target defaults and must say only where it lives', () => {
    // GIVEN a target with no residency, or none of its regions WHEN parsed THEN that is the one problem, saying what to write
    expect(problemsOf({ targets: { Lab: { region: 'us-west-2' } } })).toEqual([
      'targets.Lab.residency: must say where the target\'s data may be stored and processed, e.g. {"regions": ["us-gov-west-1"]} (crossRegionInference and fips have defaults)',
    ]);
    expect(problemsOf({ targets: { Lab: { region: 'us-west-2', residency: {} } } })).toEqual([
      'targets.Lab.residency.regions: must list the regions where the data may be stored and processed, the target region among them (e.g. ["us-gov-west-1"])',
    ]);
    // GIVEN region and residency.regions THEN the rest comes from the defaults, and it is not synthesized by default
    const config = parseConfig({ targets: { Lab: { region: 'us-west-2', residency: { regions: ['us-west-2'] } } } });
    expect(config.targets.Lab).toMatchObject({ default: false, maxAzs: 2, logRetentionDays: 365 });
    expect(selectTargets(config).map(([n]) => n)).not.toContain('Lab');
  });

  test('residency.crossRegionInference defaults to "deny" and residency.fips to the partition\'s: on in GovCloud, off in commercial', () => {
    // GIVEN new targets that give only their regions, in each partition
    const config = parseConfig({
      targets: {
        Lab: { region: 'us-west-2', residency: { regions: ['us-west-2'] } },
        GovLab: { region: 'us-gov-east-1', residency: { regions: ['us-gov-east-1'] } },
      },
    });
    // THEN each gets the documented defaults
    expect(config.targets.Lab.residency).toEqual({ regions: ['us-west-2'], crossRegionInference: 'deny', fips: false });
    expect(config.targets.GovLab.residency).toEqual({ regions: ['us-gov-east-1'], crossRegionInference: 'deny', fips: true });
    // WHEN a target sets them THEN its values stand, and a default target's overridden residency keeps the defaults it does not name
    const set = parseConfig({
      targets: {
        Lab: { region: 'us-west-2', residency: { regions: ['us-west-2'], fips: true } },
        GovWest: { residency: { regions: ['us-gov-west-1', 'us-gov-east-1'], crossRegionInference: 'within-partition' } },
      },
    });
    expect(set.targets.Lab.residency).toEqual({ regions: ['us-west-2'], crossRegionInference: 'deny', fips: true });
    expect(set.targets.GovWest.residency).toEqual({ regions: ['us-gov-west-1', 'us-gov-east-1'], crossRegionInference: 'within-partition', fips: true });
  });

  test('the residency rules read the defaults: a us-gov. profile is refused under the default "deny"', () => {
    const problems = problemsOf({
      targets: { GovLab: { region: 'us-gov-west-1', residency: { regions: ['us-gov-west-1'] }, model: { kind: 'bedrock-converse', modelId: 'us-gov.anthropic.claude-3-haiku-20240307-v1:0' } } },
    });
    expect(problems).toEqual([expect.stringMatching(/^targets\.GovLab\.model\.modelId: .*residency\.crossRegionInference is "deny", so requests must stay in us-gov-west-1/)]);
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

describe('the neuron field and the neuron model kind', () => {
  const NEURON = { instanceType: 'ml.trn1.32xlarge', weightsPrefix: 'llama-3-8b/' };

  test('no target has a Neuron endpoint by default: Bedrock only', () => {
    const config = parseConfig();
    for (const target of Object.values(config.targets)) {
      expect(target.neuron).toBeUndefined();
      expect(target.summarizerModel).toBeUndefined();
      expect(target.model.kind).toBe('bedrock-converse');
    }
  });

  test('a neuron object needs only instanceType and weightsPrefix; name, server and schedule take their defaults', () => {
    // GIVEN the smallest neuron object and a model of kind neuron WHEN parsed
    const target = parseConfig({ targets: { GovWest: { neuron: NEURON, model: { kind: 'neuron' } } } }).targets.GovWest;
    // THEN the endpoint is named after the target, serves LMI, scales down outside working hours
    expect(target.neuron).toEqual({ ...NEURON, endpointName: 'statehouse-govwest-llm', server: 'lmi', schedule: 'working-hours' });
    // AND the kind switch replaced the default Bedrock model instead of merging into it
    expect(target.model).toEqual({ kind: 'neuron' });
  });

  test('every field of the neuron object as written, and a summarizer on another backend ("both")', () => {
    const neuron = {
      ...NEURON,
      endpointName: 'Agency-Llm',
      server: 'tgi',
      imageTag: '2.7.0-optimum3.3.6-neuronx-py310-ubuntu22.04',
      modelSize: '70B',
      tensorParallelDegree: 16,
      maxSequenceLength: 8192,
      maxBatchSize: 2,
      minCapacity: 1,
      maxCapacity: 3,
      schedule: 'working-hours',
      workingHours: { timeZone: 'America/Denver', startHour: 7, endHour: 19, workdays: 'MON-SAT', offHoursMinCapacity: 1, offHoursMaxCapacity: 2 },
    };
    const target = parseConfig({
      targets: { Commercial: { neuron, model: { kind: 'neuron', stream: true, maxTokens: 1024 }, summarizerModel: { kind: 'bedrock-converse', modelId: 'meta.llama3-8b-instruct-v1:0' } } },
    }).targets.Commercial;
    expect(target.neuron).toEqual(neuron);
    expect(target.model).toEqual({ kind: 'neuron', stream: true, maxTokens: 1024 });
    expect(target.summarizerModel).toEqual({ kind: 'bedrock-converse', modelId: 'meta.llama3-8b-instruct-v1:0' });
  });

  test('a bad neuron object lists every problem at once, each with its field and the fix', () => {
    const problems = problemsOf({
      targets: {
        GovWest: {
          neuron: {
            instanceType: 'ml.g5.2xlarge',
            server: 'vllm',
            weightsPrefix: '/models/llama',
            imageTag: '0.29.0-lmi11.0.0-cu124',
            modelSize: '13B',
            tensorParallelDegree: 0,
            maxCapacity: 1.5,
            schedule: 'nights',
            workingHours: { timeZone: 'Mars/Olympus_Mons', startHour: 'eight' },
            endpointName: 'llm_1',
            colour: 'blue',
          },
        },
      },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^targets\.GovWest\.neuron\.instanceType: must be one of "ml\.trn1\.2xlarge", "ml\.trn1\.32xlarge", "ml\.trn2\.48xlarge", "ml\.inf2\.xlarge", .* \(lib\/residency\/region-facts\.ts NEURON_INSTANCE_TYPES\)$/),
        'targets.GovWest.neuron.server: must be one of "lmi", "tgi" (DJL LMI or Hugging Face TGI, both for Neuron)',
        expect.stringMatching(/^targets\.GovWest\.neuron\.weightsPrefix: must be an S3 key prefix without a leading "\/"/),
        expect.stringMatching(/^targets\.GovWest\.neuron\.imageTag: must be a Neuron image tag \(it contains "neuronx"/),
        'targets.GovWest.neuron.modelSize: must be one of "8B", "70B" (the Llama 3 sizes with Neuron benchmarks)',
        'targets.GovWest.neuron.tensorParallelDegree: must be positive',
        'targets.GovWest.neuron.maxCapacity: must be a whole number',
        'targets.GovWest.neuron.schedule: must be one of "working-hours", "always-on"',
        'targets.GovWest.neuron.workingHours.timeZone: must be an IANA time zone such as "America/New_York" or "America/Denver"',
        'targets.GovWest.neuron.workingHours.startHour: must be a number (an hour of the day)',
        expect.stringMatching(/^targets\.GovWest\.neuron\.endpointName: must be a SageMaker endpoint name: 1 to 63 letters, digits and single hyphens/),
        expect.stringMatching(/^targets\.GovWest\.neuron: unknown field "colour"; remove it/),
      ]),
    );
    expect(problems).toHaveLength(12);
  });

  test('instanceType and weightsPrefix are required, and say what to give', () => {
    expect(problemsOf({ targets: { GovWest: { neuron: {} } } })).toEqual([
      expect.stringMatching(/^targets\.GovWest\.neuron\.instanceType: must be one of "ml\.trn1\.2xlarge"/),
      'targets.GovWest.neuron.weightsPrefix: must be the S3 key prefix of the staged weights in the weights bucket, e.g. "llama-3-8b/"',
    ]);
  });

  test('kind "neuron" without a neuron object is refused, for the model and for the summarizer', () => {
    const problems = problemsOf({ targets: { GovWest: { model: { kind: 'neuron' }, summarizerModel: { kind: 'neuron', maxTokens: 512 } } } });
    expect(problems).toEqual([
      expect.stringMatching(/^targets\.GovWest\.model\.kind: "neuron" means this target's own Neuron endpoint, but targets\.GovWest\.neuron is not set\. Add it \(e\.g\. "neuron": \{"instanceType": "ml\.inf2\.xlarge", "weightsPrefix": "llama-3-8b\/"\}\), or use kind "bedrock-converse"/),
      expect.stringMatching(/^targets\.GovWest\.summarizerModel\.kind: "neuron" means this target's own Neuron endpoint, but targets\.GovWest\.neuron is not set/),
    ]);
  });

  test('a model on a SageMaker endpoint needs the sagemaker.runtime interface endpoint', () => {
    const problems = problemsOf({ targets: { GovWest: { neuron: NEURON, summarizerModel: { kind: 'neuron' }, interfaceEndpoints: ['kms', 'logs', 'execute-api'] } } });
    expect(problems).toEqual([
      'targets.GovWest.interfaceEndpoints: summarizerModel calls a SageMaker endpoint, which the isolated subnets reach only through the "sagemaker.runtime" interface endpoint; add "sagemaker.runtime" to interfaceEndpoints.',
    ]);
  });

  test('workingHours with an always-on schedule is refused', () => {
    expect(problemsOf({ targets: { GovWest: { neuron: { ...NEURON, schedule: 'always-on', workingHours: { startHour: 7 } } } } })).toEqual([
      'targets.GovWest.neuron.workingHours: is set, but schedule is "always-on", which keeps one set of bounds all week; remove workingHours, or set schedule to "working-hours".',
    ]);
  });

  test('the model kind union names the kinds there are', () => {
    expect(problemsOf({ targets: { GovWest: { model: { kind: 'openai' } } } })).toEqual([
      'targets.GovWest.model.kind: kind must be one of "bedrock-converse", "sagemaker", "neuron"',
    ]);
  });
});

describe('the removed bedrock-agent kind', () => {
  const AGENT = { kind: 'bedrock-agent', foundationModel: 'anthropic.claude-3-haiku-20240307-v1:0', instruction: 'You are the agency assistant. Answer from the session context.' };

  test('is refused, naming the kind, why it is gone and what to use instead', () => {
    expect(problemsOf({ targets: { GovWest: { model: AGENT } } })).toEqual([
      expect.stringMatching(
        /^targets\.GovWest\.model\.kind: "bedrock-agent" is no longer a model kind: Amazon Bedrock Agents \(now "Agents Classic"\) no longer takes new customers from 2026-07-30 and runs only in us-gov-west-1 within GovCloud .*Use \{"kind": "bedrock-converse", "modelId": "<the foundationModel you had>"\}/,
      ),
    ]);
  });

  test('synthesizing an app with it fails before any stack is built, with the same message', () => {
    expect(() => synthStatehouse({ targets: 'GovWest', overrides: { targets: { GovWest: { summarizerModel: AGENT } } } })).toThrow(
      /targets\.GovWest\.summarizerModel\.kind: "bedrock-agent" is no longer a model kind/,
    );
  });
});

describe('inference profiles: allowed only when every region they route to is in residency.regions', () => {
  const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
  const US_ROUTES = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'];
  const commercial = (regions: string[], modelId: string, crossRegionInference = 'within-partition') => ({
    targets: { Commercial: { residency: { regions, crossRegionInference }, model: { modelId } } },
  });
  const modelProblem = (problems: string[]) => problems.filter((p) => p.startsWith('targets.Commercial.model.modelId: '));

  test('a global. profile is refused even with every US region listed: it routes to any commercial region worldwide', () => {
    const [problem, ...others] = modelProblem(problemsOf(commercial(US_ROUTES, `global.${HAIKU}`)));
    expect(others).toEqual([]);
    expect(problem).toMatch(/"global\.anthropic\.claude-3-haiku-20240307-v1:0" is a cross-region inference profile: Bedrock may process its requests in any commercial region worldwide/);
    expect(problem).toMatch(/No residency\.regions list can hold every commercial region\. Instead, use the in-region model id "anthropic\.claude-3-haiku-20240307-v1:0", or a geographic profile .*"us\.anthropic/);
  });

  test('a us. profile with only us-east-1 in residency.regions is refused, naming the missing regions', () => {
    expect(modelProblem(problemsOf(commercial(['us-east-1'], `us.${HAIKU}`)))).toEqual([
      expect.stringMatching(/residency\.regions \(us-east-1\) does not list us-east-2, us-west-1, us-west-2, so prompts and replies could be processed outside the allowed regions\. Instead, .* or add us-east-2, us-west-1, us-west-2 to residency\.regions/),
    ]);
  });

  test('a us. profile with two of its four route regions listed is refused, naming the other two', () => {
    expect(modelProblem(problemsOf(commercial(['us-east-1', 'us-east-2'], `us.${HAIKU}`)))).toEqual([expect.stringMatching(/does not list us-west-1, us-west-2,/)]);
  });

  test('a us. profile with every region it routes to listed is accepted', () => {
    expect(parseConfig(commercial(US_ROUTES, `us.${HAIKU}`)).targets.Commercial.model).toEqual({ kind: 'bedrock-converse', modelId: `us.${HAIKU}` });
  });

  test('a us-gov. profile in GovWest with only us-gov-west-1 listed is refused, naming us-gov-east-1', () => {
    const problems = problemsOf({ targets: { GovWest: { residency: { crossRegionInference: 'within-partition' }, summarizerModel: { kind: 'bedrock-converse', modelId: `us-gov.${HAIKU}` } } } });
    expect(problems).toContainEqual(expect.stringMatching(/^targets\.GovWest\.summarizerModel\.modelId: .* residency\.regions \(us-gov-west-1\) does not list us-gov-east-1,/));
  });

  test('any profile is refused with crossRegionInference "deny", with both ways out', () => {
    expect(modelProblem(problemsOf(commercial(US_ROUTES, `us.${HAIKU}`, 'deny')))).toEqual([
      expect.stringMatching(/residency\.crossRegionInference is "deny", so requests must stay in us-east-1\. Instead, use the in-region model id .* or set crossRegionInference to "within-partition" and list every region the profile routes to/),
    ]);
  });

  test('a geography outside the partition (eu.) can never be listed, so it is refused', () => {
    expect(modelProblem(problemsOf(commercial(US_ROUTES, `eu.${HAIKU}`)))).toEqual([expect.stringMatching(/does not list eu-central-1, eu-central-2, /)]);
  });
});
