import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  type StackResource,
} from '@aws-sdk/client-cloudformation';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';

/**
 * Answers the CloudFormation custom resources of a stack that moto is
 * creating, by running the provider's REAL handler in this process.
 *
 * moto creates a custom resource by invoking its provider function, which it
 * can only do in Docker; without Docker the stack stays in progress for ever,
 * waiting for the response a handler posts to
 * `/cloudformation_<region>/cfnresponse` (moto/cloudformation/custom_model.py).
 * This responder waits until the CLI's CreateStack call for a stack has
 * returned (`stackCreated`), then does what Lambda would: it builds the Create event from the
 * deployed template (properties resolved against the deployed resources),
 * loads the provider's code from the cloud assembly asset the function was
 * deployed from (its S3 key is the asset hash), runs it with the environment
 * Lambda would give it (region and keys, aimed at moto: `lambdaEnvironment`,
 * set on this process, whose SDK clients read it), and lets the code post its
 * own response.
 *
 * Supported providers: CDK's `CustomResourceProvider` framework
 * (`__entrypoint__.handler`, whose `external.sendHttpRequest` is the
 * framework's own seam: Lambda's https PUT becomes an http PUT to moto).
 * Anything else stops the deploy with a message naming it, rather than hang.
 */
export interface CustomResourceResponderOptions {
  /** moto's endpoint, `http://localhost:<port>`. */
  readonly endpoint: string;
  readonly region: string;
  /** The cloud assembly the stacks were deployed from (the CLI's `--output`). */
  readonly assemblyDir: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** What Lambda's runtime would set for the provider (AWS_REGION, keys, AWS_ENDPOINT_URL); set on process.env before its code loads. */
  readonly lambdaEnvironment: Readonly<Record<string, string>>;
  /** A line per resource answered. */
  readonly log: (line: string) => void;
  /** @default 500 */
  readonly pollMs?: number;
}

/** One custom resource this responder created. */
export interface AnsweredResource {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly status: 'SUCCESS' | 'FAILED';
  readonly reason?: string;
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/** Consecutive failed polls of moto's CloudFormation before the responder gives up (about 10 s). */
const MAX_UNREADABLE_POLLS = 20;

/** A custom resource this responder cannot answer, or whose provider failed: the deploy cannot finish. */
class UnanswerableResource extends Error {}

const CUSTOM_TYPE = /^(Custom::|AWS::CloudFormation::CustomResource$)/;
const IN_PROGRESS = new Set(['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS']);

/** What a CDK CustomResourceProvider entrypoint exports (aws-cdk-lib/core/lib/custom-resource-provider/nodejs-entrypoint). */
interface ProviderEntrypoint {
  handler(event: unknown, context: unknown): Promise<void>;
  external?: {
    sendHttpRequest: (options: { path: string; method: string; headers: Record<string, unknown> }, body: string) => Promise<void>;
    log: (...args: unknown[]) => void;
    includeStackTraces: boolean;
  };
}

export class CustomResourceResponder {
  readonly answered: AnsweredResource[] = [];
  private readonly cfn: CloudFormationClient;
  private readonly lambda: LambdaClient;
  private readonly ec2: EC2Client;
  private readonly seen = new Set<string>();
  private readonly created = new Set<string>();
  private running = false;
  private loop?: Promise<void>;
  private failure?: Error;

  constructor(private readonly options: CustomResourceResponderOptions) {
    const config = { region: options.region, endpoint: options.endpoint, credentials: options.credentials };
    this.cfn = new CloudFormationClient(config);
    this.lambda = new LambdaClient(config);
    this.ec2 = new EC2Client(config);
  }

  /** Poll until `stop()`; a resource that cannot be answered ends the loop, and `error` tells why. */
  start(): void {
    this.running = true;
    this.loop = (async () => {
      let unreadable = 0;
      while (this.running && !this.failure) {
        try {
          await this.answerPending();
          unreadable = 0;
        } catch (error) {
          if (error instanceof UnanswerableResource) this.failure = error;
          // moto sometimes answers a Describe* with a body the SDK cannot parse while another
          // thread is creating a stack; that is worth another poll, not a failed deploy.
          else {
            const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
            this.options.log(`moto answered a poll with HTTP ${status ?? '?'} (${(error as Error).message.split('\n')[0]}); polling again`);
            if (++unreadable >= MAX_UNREADABLE_POLLS) this.failure = new Error(`moto's CloudFormation failed ${unreadable} polls in a row: ${(error as Error).message}`);
          }
        }
        await sleep(this.options.pollMs ?? 500);
      }
    })();
  }

  /** Why a resource could not be answered (the deploy will not finish), or undefined. */
  get error(): Error | undefined {
    return this.failure;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.cfn.destroy();
    this.lambda.destroy();
    this.ec2.destroy();
  }

  /**
   * The CLI's CreateStack call for this stack has returned. moto creates a
   * stack's resources inside that call and builds each one lazily on first
   * read, so describing the stack any earlier (its outputs or its resources)
   * builds resources in a second thread, racing the first: under load the
   * stack could end up half-built and never complete.
   */
  stackCreated(stackName: string): void {
    this.created.add(stackName);
  }

  private async answerPending(): Promise<void> {
    for (const stackName of this.created) await this.answerStack(stackName);
  }

  private async answerStack(stackName: string): Promise<void> {
    const { Stacks = [] } = await this.cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    for (const stack of Stacks) {
      if (!IN_PROGRESS.has(stack.StackStatus ?? '')) continue;
      const { StackResources = [] } = await this.cfn.send(new DescribeStackResourcesCommand({ StackName: stack.StackId }));
      const pending = StackResources.filter(
        (r) => CUSTOM_TYPE.test(r.ResourceType ?? '') && r.ResourceStatus === 'CREATE_IN_PROGRESS' && !this.seen.has(`${stack.StackId}/${r.LogicalResourceId}`),
      );
      if (pending.length === 0) continue;
      const { TemplateBody } = await this.cfn.send(new GetTemplateCommand({ StackName: stack.StackId }));
      const template = JSON.parse(TemplateBody ?? '{}') as Template;
      const resolver = new DeployedValues(stack.StackId!, stack.StackName!, template, StackResources, this.lambda, this.ec2);
      for (const resource of pending) {
        this.seen.add(`${stack.StackId}/${resource.LogicalResourceId}`);
        try {
          await this.create(stack.StackName!, resource, template, resolver);
        } catch (error) {
          throw error instanceof UnanswerableResource ? error : new UnanswerableResource((error as Error).message);
        }
      }
    }
  }

  private async create(stackName: string, resource: StackResource, template: Template, values: DeployedValues): Promise<void> {
    const logicalId = resource.LogicalResourceId!;
    const type = resource.ResourceType!;
    const properties = template.Resources[logicalId]?.Properties ?? {};
    Object.assign(process.env, this.options.lambdaEnvironment);
    const entrypoint = this.providerCode(stackName, logicalId, properties.ServiceToken, template);
    const resolved = (await values.resolve(properties)) as Record<string, unknown>;
    const { region, endpoint } = this.options;
    let response: { Status: 'SUCCESS' | 'FAILED'; Reason?: string } | undefined;
    entrypoint.external!.log = () => undefined; // the event and response go to moto, not to this console
    entrypoint.external!.includeStackTraces = false;
    entrypoint.external!.sendHttpRequest = async (request, body) => {
      response = JSON.parse(body) as typeof response;
      // An empty content type, as the framework sends. moto picks the stack's region from a signature's
      // credential scope (not from the URL's path) and falls back to us-east-1, so the answer carries one.
      const headers = { 'content-type': '', authorization: `AWS4-HMAC-SHA256 Credential=${this.options.credentials.accessKeyId}/20260101/${region}/cloudformation/aws4_request, SignedHeaders=host, Signature=0` };
      const answer = await fetch(`${endpoint}${request.path}`, { method: request.method, body, headers });
      if (!answer.ok) throw new Error(`moto refused the custom resource response: HTTP ${answer.status} ${(await answer.text()).slice(0, 500)}`);
    };
    await entrypoint.handler(
      {
        RequestType: 'Create',
        ServiceToken: resolved.ServiceToken,
        ResponseURL: `${endpoint}/cloudformation_${region}/cfnresponse?stack=${encodeURIComponent(resource.StackId!)}`,
        StackId: resource.StackId,
        RequestId: randomUUID(),
        LogicalResourceId: logicalId,
        ResourceType: type,
        ResourceProperties: resolved,
      },
      { functionName: String(resolved.ServiceToken), getRemainingTimeInMillis: () => 900_000 },
    );
    if (!response) throw new Error(`${stackName}/${logicalId} (${type}): the provider returned without answering CloudFormation`);
    this.answered.push({ stackName, logicalId, type, status: response.Status, reason: response.Status === 'FAILED' ? response.Reason : undefined });
    this.options.log(`${stackName}/${logicalId} (${type}): ${response.Status}${response.Status === 'FAILED' ? `: ${response.Reason}` : ''}`);
    if (response.Status === 'FAILED') {
      // moto ignores a FAILED response, so the stack would wait for ever: stop the deploy here.
      throw new Error(`${stackName}/${logicalId} (${type}) failed: ${response.Reason}`);
    }
  }

  /** The provider's code, from the asset its function was deployed from. */
  private providerCode(stackName: string, logicalId: string, serviceToken: unknown, template: Template): ProviderEntrypoint {
    const where = `${stackName}/${logicalId}`;
    const target = getAttTarget(serviceToken, 'Arn');
    const fn = target ? template.Resources[target] : undefined;
    if (!target || fn?.Type !== 'AWS::Lambda::Function') {
      throw new Error(`${where}: ServiceToken is not the Arn of a function in the same stack; deploy:local answers only CDK CustomResourceProvider functions`);
    }
    const { Code, Handler } = (fn.Properties ?? {}) as { Code?: { S3Key?: unknown }; Handler?: unknown };
    const key = typeof Code?.S3Key === 'string' ? Code.S3Key : undefined;
    const assetDir = key?.endsWith('.zip') ? path.resolve(this.options.assemblyDir, `asset.${key.slice(0, -'.zip'.length)}`) : undefined;
    if (!assetDir || !fs.existsSync(assetDir)) {
      throw new Error(`${where}: the code of ${target} (S3 key ${String(Code?.S3Key)}) is not an asset of ${this.options.assemblyDir}`);
    }
    if (Handler !== '__entrypoint__.handler') {
      throw new Error(`${where}: ${target} has handler ${String(Handler)}; deploy:local runs only CDK CustomResourceProvider entrypoints (__entrypoint__.handler)`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the deployed asset is plain CommonJS
    const entrypoint = require(path.join(assetDir, '__entrypoint__.js')) as ProviderEntrypoint;
    if (typeof entrypoint.external?.sendHttpRequest !== 'function') {
      throw new Error(`${where}: ${assetDir}/__entrypoint__.js has no external.sendHttpRequest; not a CDK provider entrypoint this version understands`);
    }
    return entrypoint;
  }
}

function getAttTarget(value: unknown, attribute: string): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === attribute && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

/**
 * Intrinsic functions of a deployed stack's template, resolved against what
 * moto created: Ref (resources and pseudo parameters), Fn::GetAtt for the
 * attributes the kit's custom resources read, Fn::Sub and Fn::Join. Any other
 * is refused by name, so a fork that adds one learns where to add it.
 */
class DeployedValues {
  private readonly physical: Map<string, string>;
  private readonly pseudo: Record<string, string>;

  constructor(
    stackId: string,
    stackName: string,
    private readonly template: Template,
    resources: StackResource[],
    private readonly lambda: LambdaClient,
    private readonly ec2: EC2Client,
  ) {
    this.physical = new Map(resources.map((r) => [r.LogicalResourceId!, r.PhysicalResourceId ?? '']));
    // arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>
    const [, partition, , region, account] = stackId.split(':');
    this.pseudo = {
      'AWS::Partition': partition,
      'AWS::Region': region,
      'AWS::AccountId': account,
      'AWS::StackId': stackId,
      'AWS::StackName': stackName,
    };
  }

  async resolve(value: unknown): Promise<unknown> {
    if (Array.isArray(value)) return Promise.all(value.map((item) => this.resolve(item)));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      return this.intrinsic(entries[0][0], entries[0][1]);
    }
    return Object.fromEntries(await Promise.all(entries.map(async ([k, v]) => [k, await this.resolve(v)])));
  }

  private async intrinsic(name: string, argument: unknown): Promise<unknown> {
    switch (name) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        return this.getAtt(String(logicalId), String(attribute));
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return ((await this.resolve(parts)) as unknown[]).join(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? (argument as [string, Record<string, unknown>]) : [String(argument), {}];
        const given = (await this.resolve(variables)) as Record<string, unknown>;
        let result = text;
        for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const expression = match[1];
          const [logicalId, attribute] = expression.split('.');
          const replacement = expression in given ? given[expression] : attribute ? await this.getAtt(logicalId, attribute) : this.ref(logicalId);
          result = result.replace(match[0], String(replacement));
        }
        return result;
      }
      default:
        throw new Error(`deploy:local cannot resolve ${name} in a custom resource's properties (lib/emulator/custom-resources.ts DeployedValues)`);
    }
  }

  private ref(name: string): string {
    if (name in this.pseudo) return this.pseudo[name];
    const id = this.physical.get(name);
    if (!id) throw new Error(`Ref ${name}: no such resource in the deployed stack`);
    return id;
  }

  private async getAtt(logicalId: string, attribute: string): Promise<string> {
    const type = this.template.Resources[logicalId]?.Type;
    const id = this.ref(logicalId);
    if (type === 'AWS::Lambda::Function' && attribute === 'Arn') {
      const config = await this.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: id }));
      return config.FunctionArn!;
    }
    if (type === 'AWS::EC2::VPC' && attribute === 'DefaultSecurityGroup') {
      const { SecurityGroups = [] } = await this.ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [id] }, { Name: 'group-name', Values: ['default'] }] }),
      );
      if (SecurityGroups.length !== 1) throw new Error(`VPC ${id} has ${SecurityGroups.length} default security groups in moto`);
      return SecurityGroups[0].GroupId!;
    }
    throw new Error(`deploy:local cannot resolve Fn::GetAtt ${logicalId}.${attribute} (${type}) (lib/emulator/custom-resources.ts DeployedValues)`);
  }
}
