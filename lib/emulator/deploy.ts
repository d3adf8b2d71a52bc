import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { CloudFormationClient, DescribeStackResourcesCommand, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CustomResourceResponder, type AnsweredResource } from './custom-resources';
import type { MotoServer } from './moto-server';

/** The CDK CLI's whole output, next to the cloud assembly. */
export const CLI_LOG = 'cdk-cli.log';

/** moto accepts any keys; these never leave loopback. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

export interface EmulatedDeployOptions {
  readonly moto: MotoServer;
  /** The target to deploy, e.g. `GovWest`. */
  readonly target: string;
  readonly region: string;
  /** The `-c statehouse` overrides the stacks are synthesized with. */
  readonly overrides: unknown;
  /** The repository root (cdk.json, node_modules/.bin/cdk). */
  readonly repoRoot: string;
  /** The CLI's `--output`: a cloud assembly of its own, so the user's cdk.out is left alone. */
  readonly outputDir: string;
  /** Every line the CLI prints, and the responder's. */
  readonly log: (line: string) => void;
}

export interface DeployedStack {
  readonly stackName: string;
  readonly status: string;
  readonly outputs: Readonly<Record<string, string>>;
  /**
   * Resources of the template moto lists without a physical id, as `Type: count`:
   * types its CloudFormation has no model for (skipped, yet the stack says
   * CREATE_COMPLETE), and a few it models without one (Lambda permissions,
   * API Gateway methods and deployments).
   */
  readonly withoutPhysicalId: Readonly<Record<string, number>>;
}

export interface EmulatedDeployment {
  readonly account: string;
  /** The target's stacks in deploy order, as moto describes them. */
  readonly stacks: readonly DeployedStack[];
  readonly customResources: readonly AnsweredResource[];
  /** Seconds `cdk synth`, `cdk bootstrap` and `cdk deploy` took. */
  readonly seconds: { readonly synth: number; readonly bootstrap: number; readonly deploy: number };
}

/**
 * The environment of the CDK CLI and of every SDK client pointed at the
 * emulator: moto's endpoint for every service, dummy keys, the target region,
 * and nothing of the user's own AWS configuration (profile, SSO, metadata).
 * The host is `localhost` (what the CLI's S3 asset publishing needs).
 */
export function emulatorEnvironment(moto: MotoServer, region: string): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')));
  return {
    ...inherited,
    AWS_ENDPOINT_URL: `http://localhost:${moto.port}`,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

/**
 * CLI lines worth a line of the transcript: stack events, stack results and errors. The rest goes to
 * the log file, the stacks' outputs among them: the CLI prints `Stack ARN:` with its value lines
 * further on, and moto leaves the API's stage without a physical id, so the invoke URL outputs read
 * `.../None/` (DeployedStack.withoutPhysicalId counts what it left so).
 */
const PROGRESS_LINE = /\|\s*\d+(\/\d+)?\s*\|.*(_COMPLETE|_FAILED|_IN_PROGRESS)|deploying\.\.\.|bootstrapped|\u2705|\u274c|[Ee]rror|failed/;

/**
 * The first event the CLI prints for a stack it creates, once its CreateStack call has returned:
 * `GovWest-State |   0 | 8:34:28 AM | CREATE_IN_PROGRESS | AWS::CloudFormation::Stack | GovWest-State User Initiated`.
 */
const STACK_CREATED_LINE = /^\s*(\S+) \|.*\| CREATE_IN_PROGRESS\s+\| AWS::CloudFormation::Stack\s+\| \1 User Initiated/;

interface CdkWatch {
  /** Stops the CLI when it returns an error. */
  readonly stop?: () => Error | undefined;
  /** Every line the CLI prints. */
  readonly onLine?: (line: string) => void;
}

async function runCdk(args: readonly string[], options: EmulatedDeployOptions, env: NodeJS.ProcessEnv, watch: CdkWatch = {}): Promise<void> {
  const { stop } = watch;
  const cli = path.join(options.repoRoot, 'node_modules', '.bin', 'cdk');
  const child = spawn(cli, args, { cwd: options.repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const transcript = fs.createWriteStream(path.join(options.outputDir, CLI_LOG), { flags: 'a' });
  transcript.write(`$ cdk ${args.join(' ')}\n`);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      transcript.write(`${line}\n`);
      watch.onLine?.(line);
      if (PROGRESS_LINE.test(line)) options.log(`  ${line.trim()}`);
    });
  }
  const watchdog = stop
    ? setInterval(() => {
        if (stop()) child.kill('SIGTERM');
      }, 250)
    : undefined;
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  if (watchdog) clearInterval(watchdog);
  transcript.end();
  const failure = stop?.();
  if (failure) throw failure;
  if (code !== 0) throw new Error(`cdk ${args[0]} exited with ${code ?? signal}; its whole output is in ${path.join(options.outputDir, CLI_LOG)}`);
}

/**
 * `cdk synth`, then `cdk bootstrap` and `cdk deploy` of every stack of one
 * target into moto from that cloud assembly (`--app <dir>`, so the app is
 * synthesized once, not once per command), with the real CDK CLI. Two CLI
 * options differ from a deploy to AWS, both because of the emulator and
 * neither touching a template:
 * - `--method=direct` (CreateStack): moto's change sets create no stack
 *   Outputs, so the next stack's Fn::ImportValue would fail;
 * - termination protection off (`overrides`): moto has no
 *   UpdateTerminationProtection.
 * While the deploy runs, a CustomResourceResponder runs the custom resources'
 * real handlers, which moto could only run in Docker.
 */
/** moto now and then answers a Describe* with a body the SDK cannot parse (see CustomResourceResponder): try again. */
async function withRetries<T>(call: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** The template's resources that moto lists without a physical id (DeployedStack.withoutPhysicalId). */
async function withoutPhysicalId(cfn: CloudFormationClient, stackName: string): Promise<Record<string, number>> {
  const { TemplateBody } = await cfn.send(new GetTemplateCommand({ StackName: stackName }));
  const resources = (JSON.parse(TemplateBody ?? '{}') as { Resources?: Record<string, { Type: string }> }).Resources ?? {};
  const { StackResources = [] } = await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  const created = new Set(StackResources.filter((r) => r.PhysicalResourceId && r.PhysicalResourceId !== 'None').map((r) => r.LogicalResourceId));
  const counts: Record<string, number> = {};
  for (const [logicalId, { Type }] of Object.entries(resources)) {
    if (!created.has(logicalId)) counts[Type] = (counts[Type] ?? 0) + 1;
  }
  return counts;
}

/** The account moto emulates (its default, 123456789012, unless moto was told otherwise). */
export async function emulatedAccount(moto: MotoServer, region: string): Promise<string> {
  const sts = new STSClient({ region, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS });
  try {
    const { Account } = await sts.send(new GetCallerIdentityCommand({}));
    if (!Account) throw new Error('moto did not say which account it emulates');
    return Account;
  } finally {
    sts.destroy();
  }
}

export async function deployToEmulator(options: EmulatedDeployOptions): Promise<EmulatedDeployment> {
  const env = emulatorEnvironment(options.moto, options.region);
  const clientConfig = { region: options.region, endpoint: env.AWS_ENDPOINT_URL, credentials: EMULATOR_CREDENTIALS };
  const account = await emulatedAccount(options.moto, options.region);
  fs.mkdirSync(options.outputDir, { recursive: true });
  fs.rmSync(path.join(options.outputDir, CLI_LOG), { force: true });
  const context = ['-c', `targets=${options.target}`, '-c', `statehouse=${JSON.stringify(options.overrides)}`];
  // Notices are off in cdk.json too; --no-notices keeps the CLI off the internet whatever the user's ~/.cdk.json says.
  const assembly = ['--no-notices', '--app', options.outputDir, '--output', options.outputDir];
  const started = process.hrtime.bigint();
  await runCdk(['synth', '--no-notices', '--quiet', '--output', options.outputDir, ...context], options, env);
  const synthesized = process.hrtime.bigint();
  await runCdk(['bootstrap', `aws://${account}/${options.region}`, ...assembly], options, env);
  const bootstrapped = process.hrtime.bigint();

  const responder = new CustomResourceResponder({
    endpoint: env.AWS_ENDPOINT_URL!,
    region: options.region,
    assemblyDir: options.outputDir,
    credentials: EMULATOR_CREDENTIALS,
    lambdaEnvironment: {
      AWS_REGION: options.region,
      AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL!,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    },
    log: (line) => options.log(`  [custom resource] ${line}`),
  });
  responder.start();
  try {
    await runCdk(
      ['deploy', `${options.target}/*`, '--method=direct', '--require-approval', 'never', '--progress', 'events', ...assembly],
      options,
      env,
      {
        stop: () => responder.error,
        onLine: (line) => {
          const created = STACK_CREATED_LINE.exec(line);
          if (created) responder.stackCreated(created[1]);
        },
      },
    );
  } finally {
    await responder.stop();
  }
  const deployed = process.hrtime.bigint();

  const cfn = new CloudFormationClient(clientConfig);
  try {
    const { Stacks = [] } = await withRetries(() => cfn.send(new DescribeStacksCommand({})));
    const stacks: DeployedStack[] = [];
    const ours = Stacks.filter((s) => s.StackName?.startsWith(`${options.target}-`)).sort((a, b) => (a.CreationTime?.getTime() ?? 0) - (b.CreationTime?.getTime() ?? 0));
    for (const stack of ours) {
      stacks.push({
        stackName: stack.StackName!,
        status: stack.StackStatus!,
        outputs: Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue ?? ''])),
        withoutPhysicalId: await withRetries(() => withoutPhysicalId(cfn, stack.StackName!)),
      });
    }
    return {
      account,
      stacks,
      customResources: responder.answered,
      seconds: { synth: Number(synthesized - started) / 1e9, bootstrap: Number(bootstrapped - synthesized) / 1e9, deploy: Number(deployed - bootstrapped) / 1e9 },
    };
  } finally {
    cfn.destroy();
  }
}
