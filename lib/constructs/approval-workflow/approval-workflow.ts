import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { SessionAccess, type ISessionStore } from '../session-store/session-store';
import {
  createdMachine,
  importedMachine,
  ToolMachineBase,
  toolStateMachine,
  validateTools,
  type IToolMachine,
  type ToolMachineAttributes,
  type ToolMachineIdentity,
  type ToolMachineProps,
} from '../tool-workflow/tool-machine';
import { RESUME_RETRY, SLOW_RETRY } from '../tool-workflow/tool-workflow-defaults';
import { grantApprovalNotices, requireSlowTools, slowToolStates } from './slow-tool-states';
import type * as sns from 'aws-cdk-lib/aws-sns';

/** The approval workflow, created here or imported with `ApprovalWorkflow.fromApprovalWorkflowAttributes`. */
export interface IApprovalWorkflow extends IToolMachine {
  /** Start a slow tool after the turn answered 202: StartExecution (and the key of the execution data). */
  grantStart(grantee: iam.IGrantable): iam.Grant;
  /** Answer a pending approval's task token: SendTaskSuccess and SendTaskFailure. */
  grantSendTaskResult(grantee: iam.IGrantable): iam.Grant;
  /** Look up this machine's executions (a retried turn asks whether its execution already ran). */
  grantDescribeExecutions(grantee: iam.IGrantable): iam.Grant;
}

abstract class ApprovalWorkflowBase extends ToolMachineBase implements IApprovalWorkflow {

  public grantStart(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnMachine(grantee, ['states:StartExecution']);
  }

  public grantSendTaskResult(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnMachine(grantee, ['states:SendTaskSuccess', 'states:SendTaskFailure']);
  }

  public grantDescribeExecutions(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnExecutions(grantee, ['states:DescribeExecution'], 'Executions of this one state machine; their names are made per tool call at run time.');
  }
}

export interface ApprovalWorkflowProps extends ToolMachineProps {
  /** The function the workflow invokes with the ResumeTurnEvent when a slow tool is done (the orchestrator). */
  readonly resumeTarget: lambda.IFunction;
  /**
   * The function that records a pending approval and its task token on the
   * session header (lambda/tools/approval-wait). The workflow binds it to
   * `sessions` with SessionAccess.UPDATE_HEADERS: the table's name and one
   * conditional UpdateItem, nothing more.
   */
  readonly approvalWait: lambda.Function;
  /** The session store, where the approval wait records the pending approval. */
  readonly sessions: ISessionStore;
  /** Where a wait for approval is announced before it begins. @default none: approvers find it in GET /approvals */
  readonly approvalNotices?: sns.ITopic;
}

/**
 * The slow half of the tool port: a Standard state
 * machine for slow and approval-gated tools. It waits for an approver on a
 * task token (the approval wait stores the token in the session), runs the
 * tool, and resumes the turn by invoking `resumeTarget` with a
 * ResumeTurnEvent. Every path ends in exactly one resume call.
 *
 * No HTTP tasks: Step Functions in GovCloud has none. It logs ALL execution
 * data to an encrypted log group, traces with X-Ray and encrypts its state
 * under `encryptionKey`.
 */
export class ApprovalWorkflow extends ApprovalWorkflowBase {
  /** An approval workflow deployed elsewhere: its grants and metrics work as on one created here. */
  public static fromApprovalWorkflowAttributes(scope: Construct, id: string, attrs: ToolMachineAttributes): IApprovalWorkflow {
    return new ImportedApprovalWorkflow(scope, id, importedMachine(attrs));
  }

  public readonly stateMachine: sfn.StateMachine;
  public declare readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: ApprovalWorkflowProps) {
    super(scope, id, createdMachine(scope, props));
    requireSlowTools(this, props.tools, 'the approval workflow');
    validateTools(this, props);
    // AC-6: the approval wait may update session headers only.
    props.sessions.bind(props.approvalWait, SessionAccess.UPDATE_HEADERS);
    const functions = [...props.tools.flatMap((tool) => props.toolFunctions?.[tool.name] ?? []), props.approvalWait, props.resumeTarget];
    this.stateMachine = toolStateMachine(this, props, sfn.StateMachineType.STANDARD, this.definition(props), functions);
    grantApprovalNotices(this.stateMachine, props);
  }

  /**
   * Wait for approval when the input or the tool's declaration asks for it,
   * run the slow tool, then invoke the resume target with the
   * ResumeTurnEvent. Every path ends in exactly one resume call.
   */
  private definition(props: ApprovalWorkflowProps): sfn.IChainable {
    const scope = new Construct(this, 'States');
    const resume = new tasks.LambdaInvoke(scope, 'Resume the turn', {
      lambdaFunction: props.resumeTarget,
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
    return slowToolStates(scope, props, resume);
  }
}

class ImportedApprovalWorkflow extends ApprovalWorkflowBase {
  public constructor(scope: Construct, id: string, identity: ToolMachineIdentity) {
    super(scope, id, identity);
  }
}
