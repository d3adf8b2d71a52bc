import * as path from 'node:path';
import { Stack, Validations, type App, type Stage } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { ValidationSummary } from '../../../lib/compliance/validation-report';
import { NeuronEndpoint, type NeuronEndpointProps } from '../../../lib/constructs/neuron-endpoint/neuron-endpoint';
import { NeuronInstanceType } from '../../../lib/constructs/neuron-endpoint/neuron-instance-type';
import { ServingImage } from '../../../lib/constructs/neuron-endpoint/serving-image';
import { ResidencyGuard } from '../../../lib/residency/residency-guard';
import { synthReport as synthAppReport, targetStack, testFoundation } from '../constructs/construct-test-stacks';

export { COMMERCIAL, GOV_EAST, GOV_WEST, listOf, logicalIdOf, roleStatements, synthFailure, TEST_ACCOUNT, type Statement } from '../constructs/construct-test-stacks';

/**
 * One NeuronEndpoint in the construct tests' target stack (`Target/Test`, a
 * concrete account and region, cdk.json's feature flags), with the test
 * foundation's VPC and keys and a weights bucket made here.
 */

export const ENDPOINT_NAME = 'Statehouse-Test-LLM';
export const WEIGHTS_PREFIX = 'models/llama-3-8b/';
/** The construct's path: compliance findings of the test's own VPC, keys and bucket are not the construct's. */
export const ENDPOINT_PATH = 'Target/Test/Llm';

export interface FixtureOptions {
  /** Put the weights bucket in another stack of the stage (a cross-stack reference, as the real stages have). */
  readonly weightsInOtherStack?: boolean;
  /** Add the cdk-nag packs to the app and the residency guard to the stage, as bin/ and the stages do. */
  readonly compliancePacks?: boolean;
}

export interface EndpointFixture {
  readonly app: App;
  readonly stage: Stage;
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
  readonly dataKey: kms.Key;
  readonly logsKey: kms.Key;
  readonly weights: s3.Bucket;
  /** A role granted invoke on the endpoint (the orchestrator's stand-in). */
  readonly caller: iam.Role;
  readonly endpoint: NeuronEndpoint;
}

/** What the test stack holds before the endpoint is added, for overrides that need a resource. */
export interface FixtureResources {
  readonly stack: Stack;
  readonly weights: s3.Bucket;
  readonly dataKey: kms.Key;
}

/** The endpoint's props over the fixture's: LMI on ml.inf2.xlarge unless overridden. */
export type EndpointOverrides = Partial<NeuronEndpointProps> | ((resources: FixtureResources) => Partial<NeuronEndpointProps>);

/** A fresh app with the endpoint `Llm` in stack `Target/Test` in `region`. */
export function endpointIn(region: string, props: EndpointOverrides = {}, options: FixtureOptions = {}): EndpointFixture {
  const { app, stage, stack } = targetStack(region, 'Target', { cfnValidation: options.compliancePacks });
  const { vpc, subnets, dataKey, logsKey } = testFoundation(stack);
  const weightsStack = options.weightsInOtherStack ? new Stack(stage, 'State') : stack;
  const weights = new s3.Bucket(weightsStack, 'Weights', { encryption: s3.BucketEncryption.S3_MANAGED, enforceSSL: true });
  const endpoint = new NeuronEndpoint(stack, 'Llm', {
    endpointName: ENDPOINT_NAME,
    instanceType: NeuronInstanceType.INF2_XLARGE,
    image: ServingImage.lmiNeuronx(),
    weights: { bucket: weights, prefix: WEIGHTS_PREFIX },
    vpc,
    subnets,
    dataKey,
    logsKey,
    ...(typeof props === 'function' ? props({ stack, weights, dataKey }) : props),
  });
  const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
  endpoint.grantInvoke(caller);
  if (options.compliancePacks) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
    // The residency guard, as each StatehouseStage adds it.
    Validations.of(stage).addPlugins(new ResidencyGuard({ regions: [region], crossRegionInference: 'deny', fips: true }));
  }
  return { app, stage, stack, vpc, dataKey, logsKey, weights, caller, endpoint };
}

/** Synthesize the fixture's app and read the validation report, whether or not synth failed on findings. */
export function synthReport(fixture: EndpointFixture): ValidationSummary {
  return synthAppReport(fixture.app);
}

/** The synthesized template files of the stage's stacks (after `app.synth()`). */
export function templateFiles(fixture: EndpointFixture): string[] {
  return fixture.stage.node.children.filter((c): c is Stack => c instanceof Stack).map((s) => path.join(fixture.stage.outdir, s.templateFile));
}

/** Warnings on the endpoint, by id (`statehouse:unverified:...`, `statehouse:neuron-sdk-trn2`), with their text. */
export function endpointWarnings(fixture: EndpointFixture): Array<{ id: string; text: string }> {
  return Annotations.fromStack(fixture.stack)
    .findWarning(`/${ENDPOINT_PATH}`, Match.anyValue())
    .map((w) => {
      const text = String(w.entry.data);
      return { id: /\[ack: (statehouse:[\w:.-]+)\]/.exec(text)?.[1] ?? text, text };
    });
}
