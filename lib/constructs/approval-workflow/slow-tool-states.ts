import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { ToolDeclaration } from '../../contract/tool-declaration';
import { failureOutput, notAllowed, ToolFailureStates, toolTask } from '../tool-workflow/tool-states';
import { targetOf, type ToolMachineProps } from '../tool-workflow/tool-machine';
import { SLOW_RETRY } from '../tool-workflow/tool-workflow-defaults';

/**
 * The states of one slow call, shared by the machines that run slow tools:
 * the ApprovalWorkflow (which then resumes the turn through the orchestrator)
 * and the AgentLoop (which then runs the next round with the result).
 */

/** What the slow-call states run: the slow tools, what runs each, and the approval wait. */
export interface SlowToolStatesProps extends Pick<ToolMachineProps, 'tools' | 'toolFunctions' | 'referenceData'> {
  /** Records the pending approval and its task token in the session (lambda/tools/approval-wait). */
  readonly approvalWait: lambda.IFunction;
  /**
   * Where a call that waits for approval is announced before the wait
   * begins (a message with its session, tool and requester, never its
   * input), for a team to route to email or chat. @default none: approvers
   * find it in GET /approvals only
   */
  readonly approvalNotices?: sns.ITopic;
}

/** The machine that runs these states may publish to the notices topic under its key (SC-28: the topic is encrypted). */
export function grantApprovalNotices(machine: iam.IGrantable, props: Pick<SlowToolStatesProps, 'approvalNotices'>): void {
  props.approvalNotices?.masterKey?.grant(machine, 'kms:GenerateDataKey', 'kms:Decrypt');
}

/**
 * Every tool of `tools` must be mode "slow": only these states wait for an
 * approver. `runner` names the machine in the message (`the approval workflow`).
 */
export function requireSlowTools(scope: Construct, tools: readonly ToolDeclaration[], runner: string): void {
  for (const tool of tools) {
    if (tool.mode !== 'slow') {
      throw new Error(`${scope.node.path}: tool "${tool.name}" is mode "${tool.mode}"; ${runner} runs only mode "slow" tools. Give it to the FastToolWorkflow.`);
    }
  }
}

/**
 * Approval required? → wait for approval (the approval wait, on a task
 * token, at most `$.approvalTimeoutSeconds`) → approved? → run the slow tool
 * → the ResumeTurnEvent at `$.resume`, then `next`. The input is a
 * SlowToolRunInput (lib/contract/workflow-contract.ts); every path builds
 * exactly one ResumeTurnEvent, whatever the approver or the tool did.
 * Without `next` the states end there (a Parallel branch, whose output
 * carries `$.resume`). The states are created in `scope`, named by their ids.
 */
export function slowToolStates(scope: Construct, props: SlowToolStatesProps, next?: sfn.IChainable): sfn.Choice {
  const atResult = { resultPath: '$.result' };
  const slowTools = props.tools;
  const then = (state: sfn.Pass): sfn.IChainable => (next ? state.next(next) : state);

  const resumeEvent = (id: string, withDecision: boolean) =>
    then(
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
      }),
    );
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

  const beforeWait: sfn.IChainable = props.approvalNotices ? approvalNotice(scope, props.approvalNotices, waitForApproval) : waitForApproval;

  // Defence in depth: a tool declared with an approval rule waits for one even if the input says otherwise.
  const needsApproval = [
    sfn.Condition.booleanEquals('$.approvalRequired', true),
    ...slowTools.filter((tool) => tool.approval).map((tool) => sfn.Condition.stringEquals('$.tool', tool.name)),
  ];
  return new sfn.Choice(scope, 'Approval required?')
    .when(needsApproval.length === 1 ? needsApproval[0] : sfn.Condition.or(...needsApproval), beforeWait)
    .otherwise(route);
}

/**
 * `Notify approvers`: one SNS message that a call waits for approval, then
 * the wait. The message names where the call lives and who asked; the tool's
 * input stays in the session (an email leaves the boundary; the inbox
 * GET /approvals shows the input to a signed approver). Message attributes
 * (tenant, tool) let a subscription filter what it receives. A failed
 * publish is retried, then the wait begins anyway: the inbox still lists
 * the call, and the workflow's timeout still ends it.
 */
function approvalNotice(scope: Construct, topic: sns.ITopic, wait: sfn.IChainable): sfn.IChainable {
  const notify = new tasks.SnsPublish(scope, 'Notify approvers', {
    topic,
    subject: 'Statehouse: a tool call waits for your approval',
    message: sfn.TaskInput.fromText(
      sfn.JsonPath.format(
        'Tool {} (call {}) in session {} of tenant {} waits for approval, asked by {}. See GET /approvals (statehouse approvals list) and decide with POST /sessions/{}/approvals. The call waits {} seconds.',
        sfn.JsonPath.stringAt('$.tool'),
        sfn.JsonPath.stringAt('$.toolCallId'),
        sfn.JsonPath.stringAt('$.session'),
        sfn.JsonPath.stringAt('$.tenant'),
        sfn.JsonPath.stringAt('$.requestedBy'),
        sfn.JsonPath.stringAt('$.session'),
        // A number: States.Format writes it as digits.
        sfn.JsonPath.stringAt('$.approvalTimeoutSeconds'),
      ),
    ),
    messageAttributes: {
      tenant: { value: sfn.JsonPath.stringAt('$.tenant') },
      tool: { value: sfn.JsonPath.stringAt('$.tool') },
      session: { value: sfn.JsonPath.stringAt('$.session') },
    },
    resultPath: sfn.JsonPath.DISCARD,
  })
    .addRetry(SLOW_RETRY)
    .addCatch(wait, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  return notify.next(wait);
}
