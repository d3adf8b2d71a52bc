import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../../contract/env-names';
import { type ToolDeclaration } from '../../contract/tool-declaration';
import type { TenantToolMap } from '../../contract/tool-policy';
import { ToolPolicySet } from '../../policy/tool-policy-set';
import { requireCapability } from '../../residency/capability-gate';
import { ApprovalWorkflow } from '../approval-workflow/approval-workflow';
import type { SlowToolStatesProps } from '../approval-workflow/slow-tool-states';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { PlatformFunction } from '../platform-function/platform-function';
import type { IReferenceData } from '../reference-data/reference-data';
import type { ISessionStore } from '../session-store/session-store';
import { FastToolWorkflow } from './fast-tool-workflow';
import type { ToolMachineProps } from './tool-machine';
import {
  APPROVAL_WAIT_ENTRY,
  APPROVAL_WAIT_TIMEOUT,
  fastToolsMachineName,
  slowToolsMachineName,
  TOOL_FUNCTION_MEMORY_MB,
  TOOL_FUNCTION_RESERVED_CONCURRENCY,
} from './tool-workflow-defaults';

export interface ToolWorkflowProps {
  /** The tools this target runs. Each declaration carries its code (`implementation`) and its data access. */
  readonly tools: readonly ToolDeclaration[];
  /**
   * Who may call which tool, passed to the orchestrator, which enforces it:
   * a ToolPolicySet (Cedar policies validated for exactly `tools`), or a
   * tenant → tools map, shipped as the kit's default policy
   * (lib/policy/default.cedar) with a forbid per tenant listed.
   */
  readonly policy: ToolPolicySet | TenantToolMap;
  /** Prefix of the state machines' fixed names (`statehouse-govwest` → `statehouse-govwest-tools-fast`). */
  readonly namePrefix: string;
  /** The function the approval workflow invokes with the ResumeTurnEvent when a slow tool is done. */
  readonly resumeTarget: lambda.IFunction;
  /** The session store, where the approval wait records the pending approval and its task token. */
  readonly sessions: ISessionStore;
  /** The reference table of the `dynamodb-get-item` tools and of the tools whose `dataAccess` names it. */
  readonly referenceData: IReferenceData;
  /** Bedrock knowledge base of the tools whose `dataAccess` retrieves from one; required when one is in `tools`. */
  readonly knowledgeBaseId?: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly logsKey: kms.IKey;
  /** SC-28: encrypts workflow state (execution data), the functions' environments and dead-letter queues. */
  readonly dataKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** Services whose SDK clients must use a separate -fips host (from the region facts). */
  readonly fipsServices: readonly string[];
  /** Where a wait for approval is announced (the approval workflow's and the agent loop's `Notify approvers`). @default none */
  readonly approvalNotices?: sns.ITopic;
}

/**
 * The orchestrator's tool port, composed of:
 *
 * - a FastToolWorkflow (Express) for the `fast` tools, run within a turn;
 * - an ApprovalWorkflow (Standard) for the `slow` and approval-gated tools,
 *   which resumes the turn through `resumeTarget`;
 * - one PlatformFunction per Lambda tool, with exactly the data access its
 *   declaration names, and the approval wait.
 *
 * It owns the log groups and functions under the ids they have always had
 * (`FastLogs`, `SlowLogs`, `<ToolName>/Logs`, `ApprovalWait/Logs`), so a
 * stack that used it before keeps its retained log groups, and passes them
 * to the workflows.
 */
export class ToolWorkflow extends Construct {
  /** The tools it runs, as given. */
  public readonly declarations: readonly ToolDeclaration[];
  public readonly fast: FastToolWorkflow;
  public readonly approval: ApprovalWorkflow;
  /** The Lambda function of each Lambda tool, by tool name. */
  public readonly toolFunctions: Readonly<Record<string, PlatformFunction>>;
  /** Stores the task token of a pending approval in the session. */
  public readonly approvalWait: PlatformFunction;

  private readonly props: ToolWorkflowProps;

  constructor(scope: Construct, id: string, props: ToolWorkflowProps) {
    super(scope, id);
    this.props = props;
    this.declarations = props.tools;
    for (const tool of props.tools) {
      if (tool.approval && tool.mode !== 'slow') {
        throw new Error(
          `${this.node.path}: tool "${tool.name}" has an approval rule but mode "${tool.mode}"; a tool that needs approval must be declared mode "slow".`,
        );
      }
      if (tool.requiresCapability) requireCapability(this, tool.requiresCapability, `tool "${tool.name}"`);
    }
    const functions: Record<string, PlatformFunction> = {};
    for (const tool of props.tools) {
      if (tool.implementation.kind === 'lambda') functions[tool.name] = this.toolFunction(tool, tool.implementation.entry);
      else if (tool.dataAccess) {
        throw new Error(`${this.node.path}: tool "${tool.name}" (${tool.implementation.kind}) has dataAccess, which only a lambda tool's function gets; remove it.`);
      }
    }
    this.toolFunctions = functions;

    this.approvalWait = this.platformFunction('ApprovalWait', APPROVAL_WAIT_ENTRY, {
      description: 'Statehouse approval wait: records a pending approval and its task token in the session',
      serviceName: 'approval-wait',
      timeout: APPROVAL_WAIT_TIMEOUT,
    });

    const workflow = (mode: ToolDeclaration['mode'], logsId: string) => ({
      ...this.toolsOfMode(mode),
      encryptionKey: props.dataKey,
      // AU-9, AU-11: execution history under the logs key, kept the platform's retention.
      logGroup: new logs.LogGroup(this, logsId, { encryptionKey: props.logsKey, retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN }),
    });
    this.fast = new FastToolWorkflow(this, 'Fast', { ...workflow('fast', 'FastLogs'), stateMachineName: fastToolsMachineName(props.namePrefix) });
    this.approval = new ApprovalWorkflow(this, 'Slow', {
      ...workflow('slow', 'SlowLogs'),
      stateMachineName: slowToolsMachineName(props.namePrefix),
      resumeTarget: props.resumeTarget,
      approvalWait: this.approvalWait.function,
      sessions: props.sessions,
      approvalNotices: props.approvalNotices,
    });
  }

  /**
   * What another machine needs to run the slow calls exactly as the approval
   * workflow does (the AgentLoop, with slowToolStates): the slow tools, their
   * functions, the reference data and the approval wait.
   */
  public get slowCalls(): SlowToolStatesProps {
    return { ...this.toolsOfMode('slow'), approvalWait: this.approvalWait.function, approvalNotices: this.props.approvalNotices };
  }

  /** The Express workflow's ARN, built from its name. */
  public get fastMachineArn(): string {
    return this.fast.stateMachineArn;
  }

  /** The Standard workflow's ARN, built from its name. */
  public get slowMachineArn(): string {
    return this.approval.stateMachineArn;
  }

  /**
   * What the orchestrator's environment needs to call the tools (ENV names
   * shared with lambda/core): the workflows' ARNs and the policy. The tools'
   * model-facing declarations go into its bundle instead: give the same
   * `tools` to AgentOrchestrator (`tools`), as RuntimeStack does.
   */
  public get orchestratorEnvironment(): Record<string, string> {
    return {
      [ENV.FAST_TOOLS_STATE_MACHINE]: this.fastMachineArn,
      [ENV.SLOW_TOOLS_STATE_MACHINE]: this.slowMachineArn,
      [ENV.TOOL_POLICY]: JSON.stringify(ToolPolicySet.for(this.props.policy, this.props.tools).document),
    };
  }

  /**
   * What the orchestrator does with the workflows: run fast tools
   * synchronously, start slow ones, look up their executions, and answer a
   * pending approval's task token. Exact actions on the two machines, named
   * by ARN (no reference, no cycle).
   */
  public grantOrchestration(grantee: iam.IGrantable): void {
    this.fast.grantStartSync(grantee);
    this.approval.grantStart(grantee);
    this.approval.grantDescribeExecutions(grantee);
    this.approval.grantSendTaskResult(grantee);
  }

  /** The tools of one mode, with their functions and the reference data. */
  private toolsOfMode(mode: ToolDeclaration['mode']): Pick<ToolMachineProps, 'tools' | 'toolFunctions' | 'referenceData'> {
    const tools = this.props.tools.filter((tool) => tool.mode === mode);
    return {
      tools,
      toolFunctions: Object.fromEntries(tools.flatMap((tool) => (this.toolFunctions[tool.name] ? [[tool.name, this.toolFunctions[tool.name].function]] : []))),
      referenceData: this.props.referenceData,
    };
  }

  /** The PlatformFunction of a Lambda tool, with exactly the data access its declaration names (AC-6). */
  private toolFunction(tool: ToolDeclaration, entry: string): PlatformFunction {
    if (!path.isAbsolute(entry)) {
      throw new Error(`${this.node.path}: tool "${tool.name}" has implementation.entry ${JSON.stringify(entry)}; give the absolute path of its handler file (e.g. path.join(__dirname, ...)).`);
    }
    const fn = this.platformFunction(pascalCase(tool.name), entry, {
      description: `Statehouse tool ${tool.name}`,
      serviceName: `tool-${tool.name.replace(/_/g, '-')}`,
      // The function stops when the workflow stops waiting for it.
      timeout: Duration.seconds(tool.timeoutSeconds),
    });
    const access = tool.dataAccess ?? {};
    if (access.referenceTable) this.props.referenceData.bind(fn.function, access.referenceTable);
    if (access.knowledgeBase) {
      const knowledgeBaseId = this.props.knowledgeBaseId;
      if (!knowledgeBaseId) {
        throw new Error(`${this.node.path}: tool "${tool.name}" retrieves from a Bedrock knowledge base; set knowledgeBaseId (tools.knowledgeBaseId in the configuration), got none.`);
      }
      fn.function.addEnvironment(ENV.KNOWLEDGE_BASE_ID, knowledgeBaseId);
      iam.Grant.addToPrincipal({
        grantee: fn.grantPrincipal,
        actions: ['bedrock:Retrieve'],
        resourceArns: [Stack.of(this).formatArn({ service: 'bedrock', resource: 'knowledge-base', resourceName: knowledgeBaseId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
      });
    }
    return fn;
  }

  private platformFunction(id: string, entry: string, options: { description: string; serviceName: string; timeout: Duration }): PlatformFunction {
    const { vpc, subnets, logsKey, dataKey, logRetention, fipsServices } = this.props;
    return new PlatformFunction(this, id, {
      entry,
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
      environment: { [ENV.FIPS_SERVICES]: fipsServices.join(',') },
    });
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
