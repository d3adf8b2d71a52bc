import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../../compliance/acknowledge';
import { SessionAccess, type ISessionStore } from '../session-store/session-store';
import { failureOutput, notAllowed, ToolFailureStates, toolTask } from '../tool-workflow/tool-states';
import {
  createdMachine,
  importedMachine,
  targetOf,
  ToolMachineBase,
  toolStateMachine,
  validateTools,
  type IToolMachine,
  type ToolMachineAttributes,
  type ToolMachineIdentity,
  type ToolMachineProps,
} from '../tool-workflow/tool-machine';
import { RESUME_RETRY, SLOW_RETRY } from '../tool-workflow/tool-workflow-defaults';

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
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const grant = this.grantOnMachine(grantee, ['states:DescribeExecution'], [executions]);
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledgeWildcardResource(grantee.grantPrincipal, executions, 'Executions of this one state machine; their names are made per tool call at run time.');
    }
    return grant;
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
    for (const tool of props.tools) {
      if (tool.mode !== 'slow') {
        throw new Error(`${this.node.path}: tool "${tool.name}" is mode "${tool.mode}"; the approval workflow runs only mode "slow" tools. Give it to the FastToolWorkflow.`);
      }
    }
    validateTools(this, props);
    // AC-6: the approval wait may update session headers only.
    props.sessions.bind(props.approvalWait, SessionAccess.UPDATE_HEADERS);
    const functions = [...props.tools.flatMap((tool) => props.toolFunctions?.[tool.name] ?? []), props.approvalWait, props.resumeTarget];
    this.stateMachine = toolStateMachine(this, props, sfn.StateMachineType.STANDARD, this.definition(props), functions);
  }

  /**
   * Wait for approval when the input or the tool's declaration asks for it,
   * run the slow tool, then invoke the resume target with the
   * ResumeTurnEvent. Every path ends in exactly one resume call.
   */
  private definition(props: ApprovalWorkflowProps): sfn.IChainable {
    const scope = new Construct(this, 'States');
    const atResult = { resultPath: '$.result' };
    const slowTools = props.tools;

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
        const task = toolTask(scope, tool, targetOf(props, tool), atResult, SLOW_RETRY);
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
      lambdaFunction: props.approvalWait,
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
}

class ImportedApprovalWorkflow extends ApprovalWorkflowBase {
  public constructor(scope: Construct, id: string, identity: ToolMachineIdentity) {
    super(scope, id, identity);
  }
}
