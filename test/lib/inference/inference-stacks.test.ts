import * as fs from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../lib/app';
import { readValidationReport } from '../../../lib/compliance/validation-report';
import { ConfigError } from '../../../lib/config/load';
import { parseModelBackendConfig } from '../../../lambda/core/adapters/model/backend-config';
import { ENV } from '../../../lib/contract/env-names';
import { cfnLint, cfnLintAvailable, cfnLintOptedOut } from '../../helpers/cfn-lint';
import { cdkJsonContext, normaliseTemplate, readTemplate, stacksOf, synthStatehouse, templatePath, type Synthesized } from '../../helpers/synth';
import { listOf, logicalIdOf, roleStatements } from '../constructs/construct-test-stacks';

/**
 * Targets that choose Neuron: the Inference stack, the weights bucket in the
 * State stack, the orchestrator wired to the endpoint, and the same
 * compliance gates as every target (cdk-nag, residency guard, cfn-lint).
 */

const CONFIGURED = {
  targets: {
    // Commercial: Inferentia2, the orchestrator streaming from the endpoint.
    Commercial: { neuron: { instanceType: 'ml.inf2.xlarge', weightsPrefix: 'llama-3-8b/' }, model: { kind: 'neuron', stream: true } },
    // GovWest: Trainium (unverified there: synth warns), the command of the README.
    GovWest: { neuron: { instanceType: 'ml.trn1.32xlarge', weightsPrefix: 'llama-3-8b/' }, model: { kind: 'neuron' } },
  },
};
const PARTITION = { Commercial: 'aws', GovWest: 'aws-us-gov' } as const;
const REGION = { Commercial: 'us-east-1', GovWest: 'us-gov-west-1' } as const;
type Target = keyof typeof REGION;

let synth: Synthesized;
beforeAll(() => {
  // GIVEN Commercial with an inf2 endpoint and GovWest with a trn1.32xlarge endpoint
  // WHEN both are synthesized as `cdk synth` does
  synth = synthStatehouse({ targets: 'Commercial,GovWest', overrides: CONFIGURED, cfnValidation: true });
});

describe.each(['Commercial', 'GovWest'] as const)('target %s with a Neuron endpoint', (targetName: Target) => {
  const stage = () => synth.stages.find((s) => s.stageName === targetName)!;
  const partition = PARTITION[targetName];
  const region = REGION[targetName];
  const lower = targetName.toLowerCase();

  test('four stacks; the Inference stack deploys after State and before Runtime', () => {
    expect(stacksOf(stage()).map((s) => s.node.id)).toEqual(['Foundation', 'State', 'Inference', 'Runtime']);
    const { inference, runtime, state } = stage();
    expect(inference!.dependencies).toContain(state);
    expect(runtime.dependencies).toContain(inference);
    // The Inference stack is stateless: nothing in it is retained but the container log group (AU-9).
    const retained = Object.entries(readTemplate(inference!).Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .map(([, r]) => r.Type);
    expect(retained).toEqual(['AWS::Logs::LogGroup']);
  });

  test('the Inference stack matches its snapshot (asset hashes normalised)', () => {
    expect(normaliseTemplate(readTemplate(stage().inference!))).toMatchSnapshot();
  });

  test('the weights bucket is in the State stack under the data-resource prefix, so the trail records its object reads', () => {
    const state = Template.fromStack(stage().state);
    state.hasResource('AWS::S3::Bucket', {
      Properties: { BucketName: { 'Fn::Join': ['', [`statehouse-${lower}-data-weights-`, { Ref: 'AWS::AccountId' }]] } },
      DeletionPolicy: 'Retain',
    });
    const trail = Object.values(Template.fromStack(stage().foundation).findResources('AWS::CloudTrail::Trail'))[0];
    const objectSelector = trail.Properties.AdvancedEventSelectors.find((s: { Name: string }) => s.Name.startsWith('Payload buckets'));
    const arnPrefix = objectSelector.FieldSelectors.find((f: { Field: string }) => f.Field === 'resources.ARN').StartsWith[0];
    expect(arnPrefix).toBe(`arn:${partition}:s3:::statehouse-${lower}-data`);
  });

  test('the endpoint runs in the isolated subnets, reads the weights prefix of that bucket, logs under the logs key', () => {
    const inference = Template.fromStack(stage().inference!);
    const foundation = stage().foundation;
    const model = Object.values(inference.findResources('AWS::SageMaker::Model'))[0].Properties;
    expect(model.EnableNetworkIsolation).toBe(true);
    expect(model.PrimaryContainer.ModelDataSource.S3DataSource.S3Uri).toEqual({
      'Fn::Join': ['', [`s3://statehouse-${lower}-data-weights-`, { Ref: 'AWS::AccountId' }, '/llama-3-8b/']],
    });
    const subnets = JSON.stringify(model.VpcConfig.Subnets);
    for (const subnet of foundation.network.vpc.isolatedSubnets) expect(subnets).toContain(logicalIdOf(subnet));
    const logGroup = Object.values(inference.findResources('AWS::Logs::LogGroup'))[0].Properties;
    expect(logGroup.LogGroupName).toBe(`/aws/sagemaker/Endpoints/statehouse-${lower}-llm`);
    expect(JSON.stringify(logGroup.KmsKeyId)).toContain(logicalIdOf(foundation.keys.logs));
    inference.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: `statehouse-${lower}-llm` });
  });

  test('the orchestrator and the summarizer may invoke exactly this endpoint, and read it from their environment', () => {
    const runtime = Template.fromStack(stage().runtime);
    const agent = stage().runtime.agent;
    for (const fn of [agent.orchestrator, agent.summarizer]) {
      const sagemaker = roleStatements(runtime, logicalIdOf(fn.role)).filter((s) => listOf(s.Action).some((a) => a.startsWith('sagemaker:')));
      expect(sagemaker).toEqual([
        {
          Effect: 'Allow',
          Action: 'sagemaker:InvokeEndpoint',
          Resource: { 'Fn::Join': ['', [`arn:${partition}:sagemaker:${region}:`, { Ref: 'AWS::AccountId' }, `:endpoint/statehouse-${lower}-llm`]] },
        },
      ]);
      const variables = (runtime.toJSON().Resources[logicalIdOf(fn.function)] as any).Properties.Environment.Variables;
      expect(parseModelBackendConfig(modelVariable(variables))).toEqual({
        kind: 'sagemaker',
        endpointName: `statehouse-${lower}-llm`,
        ...(targetName === 'Commercial' ? { stream: true } : {}),
      });
    }
    // The grant is built from the name: the Runtime stack imports nothing from the Inference stack.
    expect(fs.readFileSync(templatePath(stage().runtime), 'utf8')).not.toContain(`${targetName}-Inference:`);
  });

  test('the Runtime\'s operations alarms watch the endpoint by name and notify the operations topic', () => {
    const runtime = Template.fromStack(stage().runtime);
    const topic = { Ref: logicalIdOf(stage().runtime.operations.topic) };
    const dimensions = [
      { Name: 'EndpointName', Value: `statehouse-${lower}-llm` },
      { Name: 'VariantName', Value: stage().inference!.endpoint.variantName },
    ];
    for (const [alarm, metricName] of [['neuron-errors', 'Invocation5XXErrors'], ['neuron-latency', 'ModelLatency']]) {
      runtime.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `statehouse-${lower}-${alarm}`,
        Metrics: [Match.objectLike({ MetricStat: Match.objectLike({ Metric: { Namespace: 'AWS/SageMaker', MetricName: metricName, Dimensions: dimensions } }) })],
        AlarmActions: [topic],
      });
    }
  });

  test('cdk-nag (AwsSolutions, NIST 800-53 R5) and the residency guard report zero unacknowledged findings', () => {
    const { errors } = readValidationReport(synth.assembly.directory);
    expect(errors.filter((e) => e.paths.some((p) => p.startsWith(`${targetName}/`)))).toEqual([]);
  });

  test('cfn-lint reports zero errors for the target region, on every stack', () => {
    if (!cfnLintAvailable()) {
      if (cfnLintOptedOut()) return;
      throw new Error('cfn-lint is not on PATH. Install it (pip install cfn-lint) or set STATEHOUSE_SKIP_CFN_LINT=1 outside CI.');
    }
    const templates = stacksOf(stage()).map(templatePath);
    expect(templates).toHaveLength(4);
    expect(cfnLint(templates, region).filter((f) => f.Level === 'Error')).toEqual([]);
  });
});

describe('the capability gate on the configured instance type', () => {
  const unverified = () =>
    readValidationReport(synth.assembly.directory).warnings.filter((w) => w.rule.includes('statehouse:unverified:sagemaker:instance:'));

  test('GovWest: Trainium hosting is unverified there, so synth warns at the endpoint and says how to verify', () => {
    const warning = unverified().find((w) => w.paths.includes('GovWest/Inference/Llm'))!;
    expect(warning.rule).toBe('Annotation::statehouse:unverified:sagemaker:instance:ml.trn1.32xlarge');
    expect(warning.description).toMatch(
      /"sagemaker:instance:ml\.trn1\.32xlarge" in GovWest \(us-gov-west-1\) is unverified .*the Neuron endpoint GovWest\/Inference\/Llm needs it\. Check by hand: aws ec2 describe-instance-type-offerings --region us-gov-west-1 --filters Name=instance-type,Values=trn1\.32xlarge/,
    );
  });

  test('Commercial: ml.inf2.xlarge is available in us-east-1, so no such warning', () => {
    expect(unverified().filter((w) => w.paths.some((p) => p.startsWith('Commercial/')))).toEqual([]);
  });
});

/** Build (not synthesize) the app for one target, as bin/ does. */
function build(targets: string, overrides: unknown): App {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  buildApp(app, { targets, overrides });
  return app;
}

describe('what a target cannot run, or the endpoint refuses, fails with the reason', () => {
  test('GovEast: SageMaker hosting is unavailable in us-gov-east-1, and synth fails through the endpoint\'s capability gate', () => {
    // GIVEN GovEast with a Neuron endpoint WHEN synthesized THEN synth fails with the gate's what, why and instead
    const app = build('GovEast', { targets: { GovEast: { neuron: { instanceType: 'ml.inf2.xlarge', weightsPrefix: 'm/' }, model: { kind: 'neuron' } } } });
    expect(() => app.synth()).toThrow(
      /GovEast \(us-gov-east-1\) cannot run "sagemaker:hosting", which the Neuron endpoint GovEast\/Inference\/Llm needs\. Why: SageMaker models, endpoint configurations and endpoints cannot be created in us-gov-east-1\. \(source: .*\)\. Instead: Use the Bedrock backend in us-gov-east-1, or host the Neuron endpoint in us-gov-west-1/,
    );
  });

  test('serving settings the instance cannot run are configuration errors at targets.<name>.neuron', () => {
    const attempt = () =>
      build('GovWest', { targets: { GovWest: { neuron: { instanceType: 'ml.trn1.32xlarge', weightsPrefix: 'm/', tensorParallelDegree: 3, minCapacity: 3, maxCapacity: 2 } } } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/targets\.GovWest\.neuron: tensorParallelDegree is 3, which does not divide the 32 NeuronCores of ml\.trn1\.32xlarge/);
    expect(attempt).toThrow(/targets\.GovWest\.neuron: maxCapacity \(2\) is below minCapacity \(3\); raise maxCapacity to at least 3\./);
  });

  test('working hours the schedule cannot run are configuration errors at targets.<name>.neuron.workingHours', () => {
    const attempt = () => build('GovWest', { targets: { GovWest: { neuron: { instanceType: 'ml.inf2.xlarge', weightsPrefix: 'm/', workingHours: { endHour: 24, workdays: 'weekdays' } } } } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/targets\.GovWest\.neuron\.workingHours: endHour is 24; it must be a whole hour from 1 to 23\./);
    expect(attempt).toThrow(/targets\.GovWest\.neuron\.workingHours: workdays is "weekdays"; use cron day names and ranges such as "MON-FRI"/);
  });

  test('Neuron for the summarizer only, Bedrock for the orchestrator ("both"): one endpoint, each function its own grant', () => {
    const app = build('GovWest', {
      targets: { GovWest: { neuron: { instanceType: 'ml.inf2.xlarge', weightsPrefix: 'm/', schedule: 'always-on' }, summarizerModel: { kind: 'neuron', maxTokens: 512 } } },
    });
    const stage = app.node.findChild('GovWest');
    const runtime = Template.fromStack(stage.node.findChild('Runtime') as never);
    const envOf = (service: string) =>
      modelVariable(Object.values(runtime.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment.Variables[ENV.POWERTOOLS_SERVICE_NAME] === service)!.Properties.Environment.Variables);
    expect(parseModelBackendConfig(envOf('orchestrator')).kind).toBe('bedrock-converse');
    expect(parseModelBackendConfig(envOf('summarizer'))).toEqual({ kind: 'sagemaker', endpointName: 'statehouse-govwest-llm', maxTokens: 512 });
    // always-on: no scheduled actions on the endpoint's scaling
    const inference = Template.fromStack(stage.node.findChild('Inference') as never);
    expect(Object.values(inference.findResources('AWS::ApplicationAutoScaling::ScalableTarget'))[0].Properties.ScheduledActions).toBeUndefined();
  });
});

describe('an endpoint nothing calls', () => {
  test('warns that it would run and bill unused; used endpoints do not warn', () => {
    // GIVEN a Neuron endpoint while both models stay on Bedrock
    const unused = synthStatehouse({
      targets: 'Commercial',
      overrides: { targets: { Commercial: { neuron: { instanceType: 'ml.inf2.xlarge', weightsPrefix: 'llama-3-8b/' } } } },
    });
    const rule = 'Annotation::statehouse:neuron-endpoint-unused';
    // THEN synth warns at the Inference stack, naming the fix
    const warning = readValidationReport(unused.assembly.directory).warnings.find((w) => w.rule === rule);
    expect(warning?.paths).toEqual(['Commercial/Inference']);
    expect(warning?.description).toMatch(/neither model nor summarizerModel has kind "neuron".*Set model or summarizerModel to \{"kind":"neuron"\}/);
    // AND the configured targets above, which use their endpoints, do not
    expect(readValidationReport(synth.assembly.directory).warnings.filter((w) => w.rule === rule)).toEqual([]);
  });
});

/** The model a function's variables name: the summarizer's ENV.MODEL_BACKEND, or the orchestrator's default agent in ENV.AGENT_MODELS. */
function modelVariable(variables: Record<string, unknown>): string {
  if (typeof variables[ENV.MODEL_BACKEND] === 'string') return variables[ENV.MODEL_BACKEND] as string;
  const models = JSON.parse(variables[ENV.AGENT_MODELS] as string) as Record<string, unknown>;
  return JSON.stringify(models.assistant);
}
