import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { createRoundHandler } from '../../../lambda/agent-loop/handler';
import { StepFunctionsAgentLoop } from '../../../lambda/core/adapters/step-functions/agent-loop-starter';
import { executionArnOf } from '../../../lambda/core/adapters/step-functions/execution-errors';
import { agentLoopExecutionName, type BackgroundSettings } from '../../../lambda/core/domain/background-turn';
import { ToolPolicy } from '../../../lambda/core/domain/tool-policy';
import type { Clock } from '../../../lambda/core/ports/clock';
import type { ModelBackend } from '../../../lambda/core/ports/model-backend';
import { createHandler } from '../../../lambda/orchestrator/handler';
import { readToolEnv } from '../../../lambda/core/wiring/tool-wiring';
import type { OrchestratorDeps } from '../../../lambda/orchestrator/orchestrator-deps';
import { AGENT_LOOP_STATES } from '../../../lib/constructs/agent-loop/agent-loop';
import { ENV } from '../../../lib/contract/env-names';
import type { TaskHandler } from '../../helpers/local-stepfunctions';
import { stacksOf } from '../../helpers/synth';
import { functionEnvironment, machineNamed, synthesizedMachines, taskStates } from '../../lib/tool-workflow/synthesized-workflows';
import { soleAgent } from '../../lambda/core/support/agents';
import { parseResponse, quietTelemetry } from '../../lambda/orchestrator/support/orchestrator-harness';
import { startSynthesizedRuntime, type OrchestratorFunction, type SynthesizedRuntime } from './synthesized-runtime';

/**
 * The agent loop of one target exactly as synthesized (the Runtime
 * template's DefinitionString, resolved), registered on the local Step
 * Functions endpoint of `startSynthesizedRuntime` next to the two tool
 * workflows, every Task served by real code:
 *
 * - Round, Round after the slow call, RoundFailed: `createRoundHandler`
 *   (lambda/agent-loop/handler.ts) on the orchestrator's dependencies (moto,
 *   the fast tools through the synthesized Express workflow), with the real
 *   `StepFunctionsAgentLoop` and the target's `background` settings;
 * - Wait for approval and Run release_records (the slow call's branch): the
 *   approval-wait and release-records modules `startSynthesizedRuntime`
 *   loaded with their synthesized environments.
 *
 * The orchestrator's API handler gets the same dependencies, so a client's
 * `mode: "background"` starts the execution on the local endpoint. Only the
 * model is a double.
 */

/** One invocation of the round function by the loop: what it got, and what it answered or threw. */
export interface RoundCall {
  readonly event: { readonly kind: string; readonly round: number; readonly [field: string]: unknown };
  readonly outcome?: unknown;
  readonly error?: string;
}

export interface WireOptions {
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default the target's synthesized STATEHOUSE_BACKGROUND_* settings */
  readonly background?: BackgroundSettings;
}

export interface AgentLoopRuntime {
  readonly runtime: SynthesizedRuntime;
  readonly loopArn: string;
  /** The loop's definition as synthesized and resolved. */
  readonly definition: StateMachineDefinition;
  /** The target's background settings, read from the round function's synthesized environment. */
  readonly background: BackgroundSettings;
  /** Every invocation of the round function by the loop, oldest first. */
  readonly rounds: readonly RoundCall[];
  /** The orchestrator (API) and the round function on this model; the loop invokes the latest one wired. */
  wire(model: ModelBackend, options?: WireOptions): OrchestratorFunction;
  /** The loop's execution of a turn: the name enqueueTurn starts it under. */
  executionArn(tenant: string, session: string, requestId: string): string;
  stop(): Promise<void>;
}

/** The modules `startSynthesizedRuntime` loaded: Jest's registry holds one instance of each per test file. */
async function loadedHandler(modulePath: string): Promise<TaskHandler> {
  return ((await import(modulePath)) as { handler: TaskHandler }).handler;
}

export async function startAgentLoopRuntime(target = 'GovWest'): Promise<AgentLoopRuntime> {
  const runtime = await startSynthesizedRuntime(target);
  try {
    const { stage } = runtime;
    const stacks = stacksOf(stage);
    const loop = machineNamed(synthesizedMachines(stage.runtime, stacks), '-agent-loop');
    const roundEnv = functionEnvironment(stage.runtime, stacks, 'agent-loop');
    const loopArn = roundEnv[ENV.AGENT_LOOP_STATE_MACHINE];
    if (!loopArn.endsWith(`:stateMachine:${loop.name}`)) throw new Error(`the round function's loop ARN ${loopArn} does not name ${loop.name}`);
    // The tools' declarations ship in the turn functions' bundle (ENV.TOOLS), not in their environment: read as the bundle has them.
    const tools = readToolEnv({ ...roundEnv, [ENV.TOOLS]: JSON.stringify(stage.runtime.agent.toolDeclarations) });
    const background: BackgroundSettings = {
      deadlineSeconds: Number(roundEnv[ENV.BACKGROUND_DEADLINE_SECONDS]),
      maxRounds: Number(roundEnv[ENV.BACKGROUND_MAX_ROUNDS]),
    };

    const rounds: RoundCall[] = [];
    let current: TaskHandler | undefined;
    const roundFunction: TaskHandler = async (event) => {
      if (!current) throw new Error('no round function is wired');
      try {
        const outcome = await current(event);
        rounds.push({ event: event as RoundCall['event'], outcome });
        return outcome;
      } catch (error) {
        rounds.push({ event: event as RoundCall['event'], error: error instanceof Error ? error.name : String(error) });
        throw error;
      }
    };
    // Each Task's function as the definition names it; register() refuses a Task left without one.
    const states = new Map(taskStates(loop.definition));
    const functionOf = (name: string): string => {
      const state = states.get(name);
      if (!state) throw new Error(`the agent loop has no Task state "${name}"`);
      return (state.Parameters?.FunctionName as string | undefined) ?? state.Resource;
    };
    runtime.sfn.register(
      loopArn,
      loop.definition as never,
      {
        [functionOf(AGENT_LOOP_STATES.ROUND)]: roundFunction,
        [functionOf('Wait for approval')]: await loadedHandler('../../../lambda/tools/approval-wait/index'),
        [functionOf('Notify approvers')]: runtime.publishApprovalNotice,
        [functionOf('Run release_records')]: await loadedHandler('../../../lambda/tools/release-records/index'),
      },
      { type: 'STANDARD' },
    );

    return {
      runtime,
      loopArn,
      definition: loop.definition,
      background,
      rounds,
      wire(model, options = {}) {
        // Two functions built by the same code from the same configuration, as AgentOrchestrator deploys them.
        const { deps } = runtime.orchestrator(model);
        if (!deps.tools) throw new Error('the synthesized runtime wired the orchestrator without its tool workflows');
        const workflows = deps.tools;
        const withLoop = (base: OrchestratorDeps): OrchestratorDeps => ({
          ...base,
          ...soleAgent(model, tools.enabled.map((tool) => tool.name)),
          tools: { ...workflows, policy: ToolPolicy.of(tools.enabled, tools.policy) },
          clock: options.clock ?? base.clock,
          loop: new StepFunctionsAgentLoop({ client: runtime.sfnClient, stateMachineArn: loopArn }),
          background: options.background ?? background,
        });
        const apiDeps = withLoop(deps);
        current = createRoundHandler(withLoop({ ...deps, ...quietTelemetry() }));
        const api = createHandler(apiDeps);
        return { deps: apiDeps, send: async (event) => parseResponse(await api(event)) };
      },
      executionArn: (tenant, session, requestId) => executionArnOf(loopArn, agentLoopExecutionName(tenant, session, requestId)),
      stop: () => runtime.stop(),
    };
  } catch (error) {
    await runtime.stop();
    throw error;
  }
}

/** The states one execution entered and its event log's size. */
export interface StatePath {
  readonly entered: readonly string[];
  readonly events: number;
}

/**
 * The local endpoint does not expose the interpreter's event log, so a
 * finished execution is replayed: its input through the same definition,
 * each round-function Task answering what the recorded invocation answered,
 * in order. Only for executions whose Tasks are all the round function's.
 */
export async function replayStatePath(definition: StateMachineDefinition, input: string, outcomes: readonly unknown[]): Promise<StatePath> {
  const answers = outcomes.map((outcome) => JSON.parse(JSON.stringify(outcome)) as never);
  const answer = async () => {
    const next = answers.shift();
    if (next === undefined) throw new Error('the replay asked for more rounds than the execution ran');
    return next;
  };
  const execution = new StateMachine(definition).run(JSON.parse(input), {
    overrides: {
      taskResourceLocalHandlers: {
        [AGENT_LOOP_STATES.ROUND]: answer,
        [AGENT_LOOP_STATES.ROUND_AFTER_SLOW_CALL]: answer,
        [AGENT_LOOP_STATES.ROUND_FAILED]: answer,
      },
    },
  });
  const entered: string[] = [];
  let events = 0;
  for await (const event of execution.eventLogs) {
    events += 1;
    if (event.type === 'StateEntered') entered.push(event.state.name);
  }
  await execution.result;
  if (answers.length > 0) throw new Error(`the replay left ${answers.length} recorded rounds unused`);
  return { entered, events };
}
