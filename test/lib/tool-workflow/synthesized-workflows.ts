import * as fs from 'node:fs';
import type { Stack } from 'aws-cdk-lib';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { partitionOf } from '../../../lib/residency/region-facts';
import { readTemplate, templatePath } from '../../helpers/synth';

/**
 * The tool workflows exactly as synthesized: each state machine's
 * DefinitionString read from its stack's template, with the template's
 * intrinsics (Fn::Join, Ref, Fn::GetAtt, Fn::ImportValue) resolved to the
 * concrete strings CloudFormation would put there in `account`.
 */

export const TEST_ACCOUNT = '123456789012';

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, any> }>; Outputs?: Record<string, any> };

export interface SynthesizedMachine {
  readonly logicalId: string;
  readonly name: string;
  readonly type: string;
  readonly definition: StateMachineDefinition;
}

interface ResolveEnv {
  readonly template: Template;
  readonly region: string;
  readonly partition: string;
  readonly account: string;
  /** Every template of the stage, to follow Fn::ImportValue to its export. */
  readonly stageTemplates: Template[];
}

/** The concrete value of a template expression. */
function resolveValue(value: unknown, env: ResolveEnv): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, env));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== 1 || !entries[0][0].match(/^(Ref|Fn::)/)) {
    return Object.fromEntries(entries.map(([k, v]) => [k, resolveValue(v, env)]));
  }
  const [fn, arg] = entries[0];
  switch (fn) {
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((p) => resolveValue(p, env)).join(separator);
    }
    case 'Ref':
      return refOf(arg as string, env);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = arg as [string, string];
      return getAttOf(logicalId, attribute, env);
    }
    case 'Fn::ImportValue':
      return importOf(arg as string, env);
    default:
      throw new Error(`resolveValue: ${fn} is not supported`);
  }
}

function resourceOf(logicalId: string, env: ResolveEnv) {
  const resource = env.template.Resources[logicalId];
  if (!resource) throw new Error(`resolveValue: no resource ${logicalId}`);
  return resource;
}

function refOf(name: string, env: ResolveEnv): string {
  const pseudo: Record<string, string> = { 'AWS::Partition': env.partition, 'AWS::Region': env.region, 'AWS::AccountId': env.account, 'AWS::URLSuffix': partitionOf(env.region)!.dnsSuffix };
  if (name in pseudo) return pseudo[name];
  const resource = resourceOf(name, env);
  if (resource.Type === 'AWS::DynamoDB::Table') return resource.Properties!.TableName;
  if (resource.Type === 'AWS::Lambda::Function') return name;
  if (resource.Type === 'AWS::S3::Bucket') return resolveValue(resource.Properties!.BucketName, env) as string;
  if (resource.Type === 'AWS::KMS::Key') return name;
  // A topic's Ref is its ARN.
  if (resource.Type === 'AWS::SNS::Topic') return `arn:${env.partition}:sns:${env.region}:${env.account}:${resource.Properties!.TopicName}`;
  throw new Error(`resolveValue: Ref to ${resource.Type} ${name} is not supported`);
}

function getAttOf(logicalId: string, attribute: string, env: ResolveEnv): string {
  const resource = resourceOf(logicalId, env);
  const arn = (service: string, resourcePart: string) => `arn:${env.partition}:${service}:${env.region}:${env.account}:${resourcePart}`;
  if (resource.Type === 'AWS::Lambda::Function' && attribute === 'Arn') return arn('lambda', `function:${logicalId}`);
  if (resource.Type === 'AWS::DynamoDB::Table' && attribute === 'Arn') return arn('dynamodb', `table/${resource.Properties!.TableName}`);
  if (resource.Type === 'AWS::KMS::Key' && attribute === 'Arn') return arn('kms', `key/${logicalId}`);
  throw new Error(`resolveValue: Fn::GetAtt ${resource.Type}.${attribute} is not supported`);
}

function importOf(exportName: string, env: ResolveEnv): unknown {
  for (const template of env.stageTemplates) {
    const output = Object.values(template.Outputs ?? {}).find((o) => o.Export?.Name === exportName);
    if (output) return resolveValue(output.Value, { ...env, template });
  }
  throw new Error(`resolveValue: no stack of the stage exports ${exportName}`);
}

/** Resolves expressions of `stack`'s template as CloudFormation would in `account`. */
export function templateResolver(stack: Stack, stageStacks: Stack[], account = TEST_ACCOUNT): { template: Template; resolve: (value: unknown) => unknown } {
  const template = readTemplate(stack) as Template;
  const env: ResolveEnv = {
    template,
    region: stack.region,
    partition: partitionOf(stack.region)!.id,
    account,
    stageTemplates: stageStacks.map((s) => JSON.parse(fs.readFileSync(templatePath(s), 'utf8')) as Template),
  };
  return { template, resolve: (value) => resolveValue(value, env) };
}

/** The state machines of `stack`, their definitions resolved as CloudFormation would in `account`. */
export function synthesizedMachines(stack: Stack, stageStacks: Stack[], account = TEST_ACCOUNT): SynthesizedMachine[] {
  const { template, resolve } = templateResolver(stack, stageStacks, account);
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId, r]) => ({
      logicalId,
      name: r.Properties!.StateMachineName,
      type: r.Properties!.StateMachineType,
      definition: JSON.parse(resolve(r.Properties!.DefinitionString) as string) as StateMachineDefinition,
    }));
}

/** The environment of the function whose Powertools service name is `service`, resolved. */
export function functionEnvironment(stack: Stack, stageStacks: Stack[], service: string, account = TEST_ACCOUNT): Record<string, string> {
  const { template, resolve } = templateResolver(stack, stageStacks, account);
  const functions = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties!.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
  );
  if (functions.length !== 1) throw new Error(`expected one function of service ${service}, found ${functions.length}`);
  return resolve(functions[0].Properties!.Environment.Variables) as Record<string, string>;
}

export function machineNamed(machines: SynthesizedMachine[], suffix: string): SynthesizedMachine {
  const found = machines.filter((m) => m.name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one state machine named *${suffix}, found ${found.map((m) => m.name).join(', ') || 'none'}`);
  return found[0];
}

/** Every Task state of a definition, those in Parallel branches (the agent loop's slow call) included; the kit has no Map. */
export function taskStates(definition: StateMachineDefinition): Array<[string, Record<string, any>]> {
  return Object.entries(definition.States).flatMap(([name, s]): Array<[string, Record<string, any>]> => {
    if (s.Type === 'Task') return [[name, s as Record<string, any>]];
    if (s.Type === 'Parallel') return (s as { Branches: StateMachineDefinition[] }).Branches.flatMap(taskStates);
    return [];
  });
}
