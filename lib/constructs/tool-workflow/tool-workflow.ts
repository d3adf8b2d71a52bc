import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ENV } from '../../contract/env-names';
import type { ToolDeclaration } from '../../contract/tool-declaration';
import { acknowledge, acknowledgeWildcardResource } from '../../compliance/acknowledge';
import { requireCapability } from '../../residency/capability-gate';
import { PlatformFunction } from '../platform-function/platform-function';
import type { ReferenceData } from '../reference-data/reference-data';
import type { SessionStore } from '../session-store/session-store';
import {
  APPROVAL_WAIT_HANDLER,
  APPROVAL_WAIT_TIMEOUT,
  FAST_TOOL_RETRY,
  fastToolsMachineName,
  KNOWLEDGE_BASE_HANDLER,
  RESUME_RETRY,
  SLOW_RETRY,
  slowToolsMachineName,
  TOOL_FUNCTION_MEMORY_MB,
  TOOL_FUNCTION_RESERVED_CONCURRENCY,
  TOOL_HANDLER_REFERENCE_ACCESS,
  WORKFLOW_INCLUDE_EXECUTION_DATA,
  WORKFLOW_LOG_LEVEL,
  WORKFLOW_TRACING,
} from './tool-workflow-defaults';
import { failureOutput, ToolFailureStates, toolTask, type ToolTarget } from './tool-states';

/** Where the tool handlers live. */
const TOOLS_DIR = path.join(__dirname, '..', '..', '..', 'lambda', 'tools');

export interface ToolWorkflowProps {
  /** The tools this target runs (declarations from lib/tools/catalog.ts). */
  readonly tools: readonly ToolDeclaration[];
  /** Tenant → the tools it may call; passed to the orchestrator, which enforces it. */
  readonly policy: Readonly<Record<string, readonly string[]>>;
  /** Prefix of the state machines' fixed names (`statehouse-govwest` → `statehouse-govwest-tools-fast`). */
  readonly namePrefix: string;
  /** The function the Standard workflow invokes with the ResumeTurnEvent when a slow tool is done. */
  readonly resumeTarget: lambda.IFunction;
  /** The session store, where the approval wait records the pending approval and its task token. */
  readonly sessions: SessionStore;
  /** The session functions' environment (table, bucket, limits): the approval wait reads the session store with it. */
  readonly sessionEnvironment: Readonly<Record<string, string>>;
  readonly referenceData: ReferenceData;
  /** Bedrock knowledge base of the knowledge-base tools; required when one is in `tools`. */
  readonly knowledgeBaseId?: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly logsKey: kms.IKey;
  /** SC-28: encrypts workflow state (execution data), the functions' environments and dead-letter queues. */
  readonly dataKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** Services whose SDK clients must use a separate -fips host (from the region facts). */
  readonly fipsServices: readonly string[];
}

/**
 * The tool port of the orchestrator (DESIGN.md, "Tools"):
 *
 * - an Express state machine, started synchronously by the orchestrator
 *   within a turn: one Task per fast tool (a Lambda, or a DynamoDB GetItem
 *   SDK integration), each with its timeout; every outcome is a ToolRunOutput;
 * - a Standard state machine for slow and approval-gated tools: it waits for
 *   an approver on a task token, runs the tool, and resumes the turn by
 *   invoking the orchestrator with a ResumeTurnEvent.
 *
 * No HTTP tasks: Step Functions in GovCloud has none. Both machines log ALL
 * execution data to an encrypted log group, trace with X-Ray and encrypt
 * their state under the data key.
 */
export class ToolWorkflow extends Construct {
  public readonly fastMachine: sfn.StateMachine;
  public readonly slowMachine: sfn.StateMachine;
  /** ARNs built from the machines' fixed names: no reference to the machines themselves. */
  public readonly fastMachineArn: string;
  public readonly slowMachineArn: string;
  /** The Lambda function of each Lambda-backed tool, by tool name. */
  public readonly toolFunctions: Readonly<Record<string, PlatformFunction>>;
  /** Stores the task token of a pending approval in the session. */
  public readonly approvalWait: PlatformFunction;

  private readonly props: ToolWorkflowProps;

  constructor(scope: Construct, id: string, props: ToolWorkflowProps) {
    super(scope, id);
    this.props = props;
    const stack = Stack.of(this);
    const machineArn = (name: string) => stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const fastName = fastToolsMachineName(props.namePrefix);
    const slowName = slowToolsMachineName(props.namePrefix);
    this.fastMachineArn = machineArn(fastName);
    this.slowMachineArn = machineArn(slowName);

    for (const tool of props.tools) {
      // The Express workflow has no approval wait: an approval-gated tool there would run unapproved.
      if (tool.approval && tool.mode !== 'slow') {
        throw new Error(
          `${this.node.path}: tool "${tool.name}" has an approval rule but mode "${tool.mode}"; a tool that needs approval must be declared mode "slow" (lib/tools/catalog.ts).`,
        );
      }
      if (tool.requiresCapability) requireCapability(this, tool.requiresCapability, `tool "${tool.name}"`);
    }
    const functions: Record<string, PlatformFunction> = {};
    for (const tool of props.tools) {
      if (tool.implementation.kind !== 'dynamodb-get-item') functions[tool.name] = this.toolFunction(tool);
    }
    this.toolFunctions = functions;

    this.approvalWait = this.platformFunction('ApprovalWait', APPROVAL_WAIT_HANDLER, {
      description: 'Statehouse approval wait: records a pending approval and its task token in the session',
      serviceName: 'approval-wait',
      timeout: APPROVAL_WAIT_TIMEOUT,
      // AC-6: only what storing a token needs; no model settings, no payload bucket or key.
      environment: {
        [ENV.SESSION_TABLE]: props.sessionEnvironment[ENV.SESSION_TABLE],
        [ENV.FIPS_SERVICES]: props.sessionEnvironment[ENV.FIPS_SERVICES],
      },
    });
    // AC-6: one conditional UpdateItem on the header; no events, no payloads.
    props.sessions.grantUpdateSessionHeaders(this.approvalWait.grantPrincipal);

    const targetOf = (tool: ToolDeclaration): ToolTarget => ({ function: functions[tool.name]?.function, table: props.referenceData.table });

    requireCapability(this, 'states:express', 'the fast-tools workflow (Express state machine)');
    this.fastMachine = this.stateMachine('Fast', fastName, sfn.StateMachineType.EXPRESS, this.fastDefinition(targetOf));
    this.slowMachine = this.stateMachine('Slow', slowName, sfn.StateMachineType.STANDARD, this.slowDefinition(targetOf));
    // The GetItem integration needs the table key too, beyond the GetItem the task itself grants.
    for (const [machine, mode] of [[this.fastMachine, 'fast'], [this.slowMachine, 'slow']] as const) {
      if (props.tools.some((tool) => tool.mode === mode && tool.implementation.kind === 'dynamodb-get-item')) props.referenceData.grantReadItems(machine);
    }
  }

  /** What the orchestrator needs to call the tools (ENV names shared with lambda/core). */
  public get orchestratorEnvironment(): Record<string, string> {
    return {
      [ENV.FAST_TOOLS_STATE_MACHINE]: this.fastMachineArn,
      [ENV.SLOW_TOOLS_STATE_MACHINE]: this.slowMachineArn,
      [ENV.TOOLS]: JSON.stringify(this.props.tools.map((tool) => tool.name)),
      [ENV.TOOL_POLICY]: JSON.stringify(this.props.policy),
      [ENV.REFERENCE_TABLE]: this.props.referenceData.table.tableName,
      ...(this.props.knowledgeBaseId ? { [ENV.KNOWLEDGE_BASE_ID]: this.props.knowledgeBaseId } : {}),
    };
  }

  /**
   * What the orchestrator does with the workflows: run fast tools
   * synchronously, start slow ones, and answer a pending approval's task token.
   * Exact actions on the two machines, named by ARN (no reference, no cycle).
   */
  public grantOrchestration(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['states:StartSyncExecution'], resourceArns: [this.fastMachineArn] });
    iam.Grant.addToPrincipal({ grantee, actions: ['states:StartExecution'], resourceArns: [this.slowMachineArn] });
    // A retried turn asks whether its execution already ran.
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${slowToolsMachineName(this.props.namePrefix)}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['states:DescribeExecution'], resourceArns: [executions] });
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledgeWildcardResource(grantee.grantPrincipal, executions, 'Executions of this one state machine; their names are made per tool call at run time.');
    }
    iam.Grant.addToPrincipal({ grantee, actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resourceArns: [this.slowMachineArn] });
    // SC-28: starting or answering an execution of a machine under a customer-managed key uses that key, for that machine only.
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resourceArns: [this.props.dataKey.keyArn],
      conditions: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': [this.fastMachineArn, this.slowMachineArn] } },
    });
  }

  /** Express: route on `$.tool` to the fast tool's Task; the execution's output is the ToolRunOutput. */
  private fastDefinition(targetOf: (tool: ToolDeclaration) => ToolTarget): sfn.IChainable {
    const scope = new Construct(this, 'FastStates');
    const fastTools = this.props.tools.filter((t) => t.mode === 'fast');
    // A Choice needs at least one rule: with no fast tool, every call is refused.
    if (fastTools.length === 0) return notAllowed(scope, {});
    const failures = new ToolFailureStates(scope, {});
    const route = new sfn.Choice(scope, 'Which tool?');
    for (const tool of fastTools) {
      const task = toolTask(scope, tool, targetOf(tool), {}, FAST_TOOL_RETRY);
      failures.catchFailuresOf(task);
      route.when(sfn.Condition.stringEquals('$.tool', tool.name), task);
    }
    return route.otherwise(notAllowed(scope, {}));
  }

  /**
   * Standard: wait for approval when the input or the tool's declaration asks
   * for it, run the slow tool, then invoke the resume target with the
   * ResumeTurnEvent. Every path ends in exactly one resume call.
   */
  private slowDefinition(targetOf: (tool: ToolDeclaration) => ToolTarget): sfn.IChainable {
    const scope = new Construct(this, 'SlowStates');
    const atResult = { resultPath: '$.result' };
    const slowTools = this.props.tools.filter((t) => t.mode === 'slow');

    const resume = new tasks.LambdaInvoke(scope, 'Resume the turn', {
      lambdaFunction: this.props.resumeTarget,
      // The payload is the ResumeTurnEvent built by the state before; `decision` is in it only when an approver decided.
      inputPath: '$.resume',
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      // The execution's output is the event it delivered (the raw input's `resume`), not the orchestrator's answer.
      resultPath: sfn.JsonPath.DISCARD,
      outputPath: '$.resume',
    })
      .addRetry(SLOW_RETRY)
      // The orchestrator's transient failures (model down, a concurrent writer, the tool
      // workflow API) are retried for hours, so a session never stays awaiting for good.
      .addRetry(RESUME_RETRY);
    const resumeEvent = (id: string, withDecision: boolean) =>
      new sfn.Pass(scope, id, {
        parameters: {
          kind: 'statehouse.resume',
          tenant: sfn.JsonPath.stringAt('$.tenant'),
          session: sfn.JsonPath.stringAt('$.session'),
          toolCallId: sfn.JsonPath.stringAt('$.toolCallId'),
          result: sfn.JsonPath.objectAt('$.result'),
          ...(withDecision ? { decision: sfn.JsonPath.objectAt('$.decision') } : {}),
        },
        resultPath: '$.resume',
      }).next(resume);
    // ResumeTurnEvent.decision is present exactly when an approver decided.
    const toResume = new sfn.Choice(scope, 'Approver decided?')
      .when(sfn.Condition.isPresent('$.decision'), resumeEvent('Resume event with decision', true))
      .otherwise(resumeEvent('Resume event', false));

    const refused = notAllowed(scope, atResult).next(toResume);
    let route: sfn.IChainable = refused;
    // A Choice needs at least one rule: with no slow tool, every call is refused (and still resumes the turn).
    if (slowTools.length > 0) {
      const failures = new ToolFailureStates(scope, atResult, toResume);
      const choice = new sfn.Choice(scope, 'Which slow tool?');
      for (const tool of slowTools) {
        const task = toolTask(scope, tool, targetOf(tool), atResult, SLOW_RETRY);
        failures.catchFailuresOf(task);
        choice.when(sfn.Condition.stringEquals('$.tool', tool.name), task.next(toResume));
      }
      route = choice.otherwise(refused);
    }

    const outcome = (id: string, error: Parameters<typeof failureOutput>[0], message: string) =>
      new sfn.Pass(scope, id, { parameters: failureOutput(error, message), ...atResult }).next(toResume);

    const decided = new sfn.Choice(scope, 'Approved?')
      // AC-5: the caller who asked for the tool never approves it, whatever the approvals API let through.
      .when(
        sfn.Condition.and(sfn.Condition.isPresent('$.decision.approver'), sfn.Condition.stringEqualsJsonPath('$.decision.approver', '$.requestedBy')),
        outcome('Self-approval refused', 'denied', 'The caller who asked for the tool cannot approve it.'),
      )
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.decision.approved'), sfn.Condition.booleanEquals('$.decision.approved', true)), route)
      .otherwise(outcome('Denied', 'denied', "States.Format('{} denied the call: {}', $.decision.approver, $.decision.reason)"));

    const waitForApproval = new tasks.LambdaInvoke(scope, 'Wait for approval', {
      lambdaFunction: this.approvalWait.function,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        taskToken: sfn.JsonPath.taskToken,
        tenant: sfn.JsonPath.stringAt('$.tenant'),
        session: sfn.JsonPath.stringAt('$.session'),
        toolCallId: sfn.JsonPath.stringAt('$.toolCallId'),
      }),
      taskTimeout: sfn.Timeout.at('$.approvalTimeoutSeconds'),
      // The approver's ApprovalDecision, as the orchestrator sent it with SendTaskSuccess.
      resultPath: '$.decision',
      retryOnServiceExceptions: false,
    })
      .addRetry(SLOW_RETRY)
      .addCatch(outcome('Approval timed out', 'approval_timeout', "States.Format('No approver decided within {} seconds.', $.approvalTimeoutSeconds)"), {
        errors: [sfn.Errors.TIMEOUT],
        resultPath: '$.failure',
      })
      .addCatch(outcome('Approval not recorded', 'tool_failed', "States.Format('The approval request could not be recorded ({}).', $.failure.Error)"), {
        errors: [sfn.Errors.ALL],
        resultPath: '$.failure',
      })
      .next(decided);

    // Defence in depth: a tool declared with an approval rule waits for one even if the input says otherwise.
    const needsApproval = [
      sfn.Condition.booleanEquals('$.approvalRequired', true),
      ...slowTools.filter((tool) => tool.approval).map((tool) => sfn.Condition.stringEquals('$.tool', tool.name)),
    ];
    return new sfn.Choice(scope, 'Approval required?')
      .when(needsApproval.length === 1 ? needsApproval[0] : sfn.Condition.or(...needsApproval), waitForApproval)
      .otherwise(route);
  }

  private stateMachine(id: string, name: string, type: sfn.StateMachineType, definition: sfn.IChainable): sfn.StateMachine {
    // AU-9, AU-11: execution history under the logs key, kept the platform's retention.
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      encryptionKey: this.props.logsKey,
      retention: this.props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const machine = new sfn.StateMachine(this, id, {
      stateMachineName: name,
      stateMachineType: type,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      logs: { destination: logGroup, level: WORKFLOW_LOG_LEVEL, includeExecutionData: WORKFLOW_INCLUDE_EXECUTION_DATA },
      tracingEnabled: WORKFLOW_TRACING,
      // SC-28: execution input, output and state data under the agency's data key.
      encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(this.props.dataKey),
    });
    const role = machine.role;
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'CloudWatch Logs delivery actions (CreateLogDelivery, PutResourcePolicy, ...) and X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions (Step Functions logging and tracing docs).',
    );
    acknowledge(
      role,
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'AWS::IAM::Policy attached to this one state machine role, written by CDK from the states it runs, with exact actions and resources; the role carries the permissions boundary.',
    );
    for (const fn of this.invokedFunctions(type)) {
      acknowledgeWildcardResource(
        role,
        `${fn.functionArn}:*`,
        'Step Functions Lambda tasks are granted the function and its versions/aliases (`:*`) of this one function; the workflow invokes no other function.',
      );
    }
    return machine;
  }

  /** The functions a machine of `type` invokes (for its acknowledgments). */
  private invokedFunctions(type: sfn.StateMachineType): lambda.IFunction[] {
    const mode = type === sfn.StateMachineType.EXPRESS ? 'fast' : 'slow';
    const tools = this.props.tools.filter((tool) => tool.mode === mode && this.toolFunctions[tool.name]);
    const functions = tools.map((tool) => this.toolFunctions[tool.name].function as lambda.IFunction);
    return mode === 'slow' ? [...functions, this.approvalWait.function, this.props.resumeTarget] : functions;
  }

  /** The PlatformFunction of a Lambda or knowledge-base tool, with exactly the access its handler needs. */
  private toolFunction(tool: ToolDeclaration): PlatformFunction {
    const handler = tool.implementation.kind === 'lambda' ? tool.implementation.handler : KNOWLEDGE_BASE_HANDLER;
    const environment: Record<string, string> = {};
    const access = TOOL_HANDLER_REFERENCE_ACCESS[handler];
    if (access) environment[ENV.REFERENCE_TABLE] = this.props.referenceData.table.tableName;
    if (tool.implementation.kind === 'knowledge-base') {
      if (!this.props.knowledgeBaseId) {
        throw new Error(`${this.node.path}: tool "${tool.name}" retrieves from a Bedrock knowledge base; set tools.knowledgeBaseId (got none).`);
      }
      environment[ENV.KNOWLEDGE_BASE_ID] = this.props.knowledgeBaseId;
    }
    const fn = this.platformFunction(pascalCase(tool.name), handler, {
      description: `Statehouse tool ${tool.name}`,
      serviceName: `tool-${tool.name.replace(/_/g, '-')}`,
      // The function stops when the workflow stops waiting for it.
      timeout: Duration.seconds(tool.timeoutSeconds),
      environment,
    });
    if (access === 'record') this.props.referenceData.grantRecordItems(fn.grantPrincipal);
    if (access === 'read') this.props.referenceData.grantReadItems(fn.grantPrincipal);
    if (tool.implementation.kind === 'knowledge-base') {
      iam.Grant.addToPrincipal({
        grantee: fn.grantPrincipal,
        actions: ['bedrock:Retrieve'],
        resourceArns: [
          Stack.of(this).formatArn({ service: 'bedrock', resource: 'knowledge-base', resourceName: this.props.knowledgeBaseId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
        ],
      });
    }
    return fn;
  }

  private platformFunction(
    id: string,
    handler: string,
    options: { description: string; serviceName: string; environment: Record<string, string>; timeout: Duration },
  ): PlatformFunction {
    const { vpc, subnets, logsKey, dataKey, logRetention, fipsServices } = this.props;
    return new PlatformFunction(this, id, {
      entry: path.join(TOOLS_DIR, handler, 'index.ts'),
      description: options.description,
      serviceName: options.serviceName,
      vpc,
      subnets,
      logsKey,
      dataKey,
      logRetention,
      memorySize: TOOL_FUNCTION_MEMORY_MB,
      reservedConcurrentExecutions: TOOL_FUNCTION_RESERVED_CONCURRENCY,
      timeout: options.timeout,
      environment: { [ENV.FIPS_SERVICES]: fipsServices.join(','), ...options.environment },
    });
  }
}

/** Not a tool this workflow runs: `{ ok: false, error: 'not_allowed' }`. */
function notAllowed(scope: Construct, placement: { resultPath?: string }): sfn.Pass {
  return new sfn.Pass(scope, 'Not allowed', {
    parameters: failureOutput('not_allowed', "States.Format('The tool {} does not run in this workflow.', $.tool)"),
    resultPath: placement.resultPath,
  });
}

function pascalCase(name: string): string {
  return name.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
