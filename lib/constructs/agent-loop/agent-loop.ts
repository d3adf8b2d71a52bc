import { Duration, Token } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { BACKGROUND_DEFAULTS, type RoundStatus } from '../../contract/agent-loop';
import { ENV } from '../../contract/env-names';
import { grantApprovalNotices, requireSlowTools, slowToolStates } from '../approval-workflow/slow-tool-states';
import type * as sns from 'aws-cdk-lib/aws-sns';
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
import {
  AGENT_LOOP_TIMEOUT_MARGIN,
  MODEL_THROTTLED_RETRY,
  ROUND_FAILED_RETRY,
  ROUND_TASK_TIMEOUT,
  ROUND_UNAVAILABLE_RETRY,
  SESSION_BUSY_RETRY,
} from './agent-loop-defaults';

/** The agent loop, created here or imported with `AgentLoop.fromAgentLoopAttributes`. */
export interface IAgentLoop extends IToolMachine {
  /** What the orchestrator needs to start background turns: the loop's ARN (ENV.AGENT_LOOP_STATE_MACHINE). */
  readonly orchestratorEnvironment: Readonly<Record<string, string>>;
  /** Start a background turn: StartExecution (and the key of the execution data). */
  grantStart(grantee: iam.IGrantable): iam.Grant;
  /** Look up the loop's executions (a turn's status, a retried start). */
  grantDescribeExecutions(grantee: iam.IGrantable): iam.Grant;
  /** Cancel a background turn: StopExecution on the loop's executions. */
  grantStop(grantee: iam.IGrantable): iam.Grant;
  /** Answer a pending approval of a background turn: SendTaskSuccess and SendTaskFailure. */
  grantSendTaskResult(grantee: iam.IGrantable): iam.Grant;
}

abstract class AgentLoopBase extends ToolMachineBase implements IAgentLoop {
  public get orchestratorEnvironment(): Readonly<Record<string, string>> {
    return { [ENV.AGENT_LOOP_STATE_MACHINE]: this.stateMachineArn };
  }

  public grantStart(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnMachine(grantee, ['states:StartExecution']);
  }

  public grantDescribeExecutions(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnExecutions(grantee, ['states:DescribeExecution'], EXECUTIONS_REASON);
  }

  public grantStop(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnExecutions(grantee, ['states:StopExecution'], EXECUTIONS_REASON);
  }

  public grantSendTaskResult(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnMachine(grantee, ['states:SendTaskSuccess', 'states:SendTaskFailure']);
  }
}

const EXECUTIONS_REASON = 'Executions of this one state machine; each is named after the turn it runs, at run time.';

/** The loop's states by name, for tests, alarms and runbooks. */
export const AGENT_LOOP_STATES = {
  ROUND: 'Round',
  ROUND_COMMITTED: 'Round committed',
  NEXT_STEP: 'Next step?',
  RUN_SLOW_CALL: 'Run the slow call',
  ROUND_AFTER_SLOW_CALL: 'Round after the slow call',
  TURN_DONE: 'Turn done',
  UNKNOWN_OUTCOME: 'Unknown outcome',
  ROUND_FAILED: 'RoundFailed',
  TURN_FAILED: 'Turn failed',
} as const;

export interface AgentLoopProps extends ToolMachineProps {
  /**
   * The function that runs one round (lambda/agent-loop): it takes a
   * RoundEvent or a RoundFailedEvent and answers a RoundOutcome
   * (lib/contract/agent-loop.ts). AgentOrchestrator's `roundFunction`.
   */
  readonly roundFunction: lambda.IFunction;
  /**
   * Records a pending approval and its task token in the session
   * (lambda/tools/approval-wait). It must be bound to the session store for
   * header updates (SessionAccess.UPDATE_HEADERS), as the ApprovalWorkflow
   * binds ToolWorkflow's; the loop does not bind it again.
   */
  readonly approvalWait: lambda.IFunction;
  /**
   * A background turn's deadline, which the round function enforces; the
   * machine's timeout is a backstop AGENT_LOOP_TIMEOUT_MARGIN past it. Give
   * the orchestrator's `background.deadline`.
   * @default BACKGROUND_DEFAULTS.deadlineSeconds
   */
  readonly deadline?: Duration;
  /** Where a slow call's wait for approval is announced (ToolWorkflow's `slowCalls` carries it). @default none */
  readonly approvalNotices?: sns.ITopic;
}

/**
 * The agent loop: a Standard state machine that runs a background turn
 * round by round (lib/contract/agent-loop.ts). Each `Round` invokes the round
 * function, which commits one model call and its fast tools; a slow call the
 * model asked for runs here, with the approval workflow's own states (wait
 * for approval on a task token, run the slow tool), and its result opens the
 * next round. A round that fails past its retries is recorded by the round
 * function (`RoundFailed`), which frees the session, and the execution fails.
 *
 * No HTTP tasks: Step Functions in GovCloud has none. It logs ALL execution
 * data to an encrypted log group, traces with X-Ray and encrypts its state
 * under `encryptionKey`.
 */
export class AgentLoop extends AgentLoopBase {
  /** An agent loop deployed elsewhere: its grants and metrics work as on one created here. */
  public static fromAgentLoopAttributes(scope: Construct, id: string, attrs: ToolMachineAttributes): IAgentLoop {
    return new ImportedAgentLoop(scope, id, importedMachine(attrs));
  }

  public readonly stateMachine: sfn.StateMachine;
  public declare readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: AgentLoopProps) {
    super(scope, id, createdMachine(scope, props));
    requireSlowTools(this, props.tools, 'the agent loop');
    validateTools(this, props);
    const deadline = props.deadline ?? Duration.seconds(BACKGROUND_DEFAULTS.deadlineSeconds);
    checkBackgroundDeadline(this, 'deadline', deadline);
    const functions = [props.roundFunction, props.approvalWait, ...props.tools.flatMap((tool) => props.toolFunctions?.[tool.name] ?? [])];
    this.stateMachine = toolStateMachine(
      this,
      // The backstop is a default: `stateMachineProps.timeout` overrides it.
      { ...props, stateMachineProps: { timeout: deadline.plus(AGENT_LOOP_TIMEOUT_MARGIN), ...props.stateMachineProps } },
      sfn.StateMachineType.STANDARD,
      this.definition(props),
      functions,
      'Resource',
    );
    grantApprovalNotices(this.stateMachine, props);
  }

  /**
   * Round → Round committed → Next step?: `continue` asks the next round,
   * `awaiting_approval` and `awaiting_tool` run the slow call and then the
   * round after it, `done` ends the turn. Every Round's failure past its
   * retries, and an outcome the loop does not know, go to RoundFailed.
   */
  private definition(props: AgentLoopProps): sfn.IChainable {
    const scope = new Construct(this, 'States');
    const S = AGENT_LOOP_STATES;
    const turn = {
      tenant: sfn.JsonPath.stringAt('$.tenant'),
      session: sfn.JsonPath.stringAt('$.session'),
      requestId: sfn.JsonPath.stringAt('$.requestId'),
    };

    const roundFailed = new tasks.LambdaInvoke(scope, S.ROUND_FAILED, {
      lambdaFunction: props.roundFunction,
      // RoundFailedEvent: `$.failure` is what the Catch (or Unknown status) wrote.
      payload: sfn.TaskInput.fromObject({ kind: 'statehouse.round-failed', ...turn, round: sfn.JsonPath.numberAt('$.round'), failure: sfn.JsonPath.objectAt('$.failure') }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(ROUND_TASK_TIMEOUT),
      resultPath: sfn.JsonPath.DISCARD,
    })
      .addRetry(ROUND_FAILED_RETRY)
      // The execution fails with the round's own error, so its history and metrics say what went wrong.
      .next(new sfn.Fail(scope, S.TURN_FAILED, { errorPath: '$.failure.Error', causePath: '$.failure.Cause' }));

    // `resume` is sent only after a slow call ran: two Round states, one without it and one
    // with it, rather than `resume: null` (RoundEvent.resume is absent when there is none).
    const round = (id: string, resumePath?: string) =>
      new tasks.LambdaInvoke(scope, id, {
        lambdaFunction: props.roundFunction,
        payload: sfn.TaskInput.fromObject({
          kind: 'statehouse.round',
          ...turn,
          round: sfn.JsonPath.numberAt('$.round'),
          ...(resumePath ? { resume: sfn.JsonPath.objectAt(resumePath) } : {}),
        }),
        payloadResponseOnly: true,
        // Lambda's own errors are retried below, with the round's other transient errors.
        retryOnServiceExceptions: false,
        taskTimeout: sfn.Timeout.duration(ROUND_TASK_TIMEOUT),
        // The RoundOutcome; `Round committed` takes the round count from it.
        resultPath: '$.outcome',
      })
        .addRetry(MODEL_THROTTLED_RETRY)
        .addRetry(ROUND_UNAVAILABLE_RETRY)
        .addRetry(SESSION_BUSY_RETRY)
        .addCatch(roundFailed, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });

    // The loop's own fields, `round` now the rounds committed, and the outcome (its `slowTool` is optional, so it stays inside).
    const committed = new sfn.Pass(scope, S.ROUND_COMMITTED, {
      parameters: { ...turn, round: sfn.JsonPath.numberAt('$.outcome.round'), outcome: sfn.JsonPath.objectAt('$.outcome') },
    });
    const first = round(S.ROUND);
    first.next(committed);

    // The approval workflow's states, on the SlowToolRunInput the round returned; the branch ends with `$.resume` built.
    const slowCall = new sfn.Parallel(scope, S.RUN_SLOW_CALL, {
      inputPath: '$.outcome.slowTool',
      resultSelector: { 'resume.$': '$[0].resume' },
      resultPath: '$.slowCall',
    })
      .branch(slowToolStates(new Construct(scope, 'SlowCall'), props))
      .addCatch(roundFailed, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
    slowCall.next(round(S.ROUND_AFTER_SLOW_CALL, '$.slowCall.resume').next(committed));

    // A malformed outcome would otherwise fail the execution with States.Runtime, which no Catch takes, and leave the session busy.
    const unknown = new sfn.Pass(scope, S.UNKNOWN_OUTCOME, {
      result: sfn.Result.fromObject({
        Error: sfn.Errors.NO_CHOICE_MATCHED,
        Cause: 'The round function answered a status the agent loop does not know, or a slow call without its slowTool.',
      }),
      resultPath: '$.failure',
    }).next(roundFailed);

    const status = (value: RoundStatus) => sfn.Condition.stringEquals('$.outcome.status', value);
    committed.next(
      new sfn.Choice(scope, S.NEXT_STEP)
        .when(status('continue'), first)
        .when(sfn.Condition.and(sfn.Condition.or(status('awaiting_approval'), status('awaiting_tool')), sfn.Condition.isPresent('$.outcome.slowTool')), slowCall)
        .when(status('done'), new sfn.Succeed(scope, S.TURN_DONE))
        .otherwise(unknown),
    );
    return first;
  }
}

class ImportedAgentLoop extends AgentLoopBase {
  public constructor(scope: Construct, id: string, identity: ToolMachineIdentity) {
    super(scope, id, identity);
  }
}

/** A background turn's deadline: whole seconds, 1 to BACKGROUND_DEFAULTS.maxDeadlineSeconds. Tokens are not checked. */
export function checkBackgroundDeadline(scope: Construct, prop: string, deadline: Duration): void {
  const seconds = deadline.toSeconds({ integral: false });
  if (Token.isUnresolved(seconds)) return;
  const max = BACKGROUND_DEFAULTS.maxDeadlineSeconds;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > max) {
    throw new Error(
      `${scope.node.path}: ${prop} is ${seconds} s; a background turn's deadline is a whole number of seconds from 1 to ${max} (a day). ` +
        'Give e.g. Duration.hours(1); a longer job is several turns.',
    );
  }
}
