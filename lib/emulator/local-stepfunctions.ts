import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
  type StateMachineOptions,
} from 'aws-local-stepfunctions';
import { listenOnLoopback } from './loopback-server';

/**
 * A local Step Functions endpoint, for `npm run deploy:local` and for the
 * handler and workflow tests.
 *
 * moto has no StartSyncExecution and cannot run Lambda tasks, so this server
 * speaks the AWS JSON 1.0 protocol for the operations the kit uses
 * (StartSyncExecution, StartExecution, DescribeExecution, StopExecution, SendTaskSuccess,
 * SendTaskFailure) and EXECUTES each registered Amazon States Language
 * definition with the `aws-local-stepfunctions` interpreter. The real SDK
 * client points at it with `clientConfig()`.
 *
 * Every Task state runs a local function instead of its service:
 * - `arn:<p>:states:::lambda:invoke[.waitForTaskToken]`: the handler
 *   registered for its `FunctionName` (or the resource) gets the `Payload`,
 *   as the function would; the result is wrapped as the integration wraps it
 *   (`{ ExecutedVersion, Payload, StatusCode }`); a thrown error fails the
 *   task with the error's name, its cause being `{ errorType, errorMessage }`.
 * - a Lambda function ARN as the resource: the handler gets the state input
 *   and its result is the task's result.
 * - any other resource (`arn:<p>:states:::dynamodb:getItem`, ...): the
 *   handler gets the resolved Parameters; its result is the task's result.
 * Handlers are keyed by an exact ARN (or function name) or by a prefix of
 * one; the longest match wins. A definition with a Task state no handler
 * matches is refused when it is registered, so nothing ever calls AWS.
 *
 * `.waitForTaskToken`: the interpreter has no task tokens. The server gives
 * the execution a Context Object whose `$$.Task.Token` mints a token, runs
 * the task's handler with the Parameters that carry it, and then waits until
 * SendTaskSuccess or SendTaskFailure answers that token (its output becomes
 * the task's result) or the state's TimeoutSeconds ends the wait with
 * `States.Timeout`. A token nobody waits on any more answers TaskTimedOut,
 * as Step Functions does.
 *
 * `TimeoutSecondsPath`: the service reads it from the state's input; the
 * interpreter reads it from the resolved Parameters, where it is not. So
 * `register` carries the value through the Parameters under a reserved field
 * (`TIMEOUT_FIELD`), which the server strips before any handler sees them.
 *
 * Deviations from the service, on purpose: Retry intervals and Wait states
 * take 0 ms unless `register` says otherwise; HeartbeatSeconds is ignored;
 * the interpreter's default task timeout is 60 s. A test that must see a
 * long timeout expire shortens it with `timeoutOverrides`.
 */

/** Where `register` carries a Task's TimeoutSecondsPath value through its Parameters. */
const TIMEOUT_FIELD = '__localStepFunctionsTimeoutSeconds';

/**
 * aws-local-stepfunctions 3 targets Node 22 and calls `Promise.withResolvers`
 * (Node 22+) in every Task state; these machines run Node 20. A faithful
 * polyfill, installed only where it is missing, by this endpoint alone.
 */
export function installPromiseWithResolvers(): void {
  const promise = Promise as unknown as { withResolvers?: unknown };
  if (typeof promise.withResolvers === 'function') return;
  promise.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const created = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise: created, resolve, reject };
  };
}

export type TaskHandler = (input: unknown) => unknown;

/** An Amazon States Language definition as JSON: the synthesized DefinitionString parsed, or a literal. */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

export interface RegisterOptions {
  /** StartSyncExecution needs EXPRESS, as in the service. @default 'STANDARD' */
  readonly type?: 'STANDARD' | 'EXPRESS';
  /** State name → TimeoutSeconds (a whole number ≥ 1) used instead of the state's own, e.g. to shorten a 3-day approval wait. */
  readonly timeoutOverrides?: Readonly<Record<string, number>>;
  /** Milliseconds between Retry attempts. @default 0 */
  readonly retryIntervalMs?: number;
  /** Milliseconds a Wait state waits. @default 0 */
  readonly waitMs?: number;
  /** Passed to the interpreter. @default ARN and JSONPath checks on */
  readonly validationOptions?: StateMachineOptions['validationOptions'];
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  stopDate?: Date;
}

export interface LocalStepFunctions {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Client settings for `new SFNClient(...)`: this endpoint, dummy credentials, no `sync-` host prefix. */
  clientConfig(): {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    disableHostPrefix: true;
  };
  register(
    stateMachineArn: string,
    definition: string | AslDefinition,
    taskHandlers: Readonly<Record<string, TaskHandler>>,
    options?: RegisterOptions,
  ): void;
  /** Every execution started so far (of one state machine, if given), oldest first. */
  executions(stateMachineArn?: string): readonly ExecutionRecord[];
  /** The execution once it has ended (it may not have started yet when asked). */
  finished(executionArn: string): Promise<ExecutionRecord>;
  /** The token a `.waitForTaskToken` task of the execution waits on, once its handler has returned. */
  waitingTaskToken(executionArn: string): Promise<string>;
  /** Aborts what still runs and closes the server. */
  stop(): Promise<void>;
}

// ----- errors of the service's API -----

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** A task failure as the interpreter's Retry and Catch see it: `name` is the error, `message` the cause. */
function taskFailure(error: string, cause: string): Error {
  const failure = new Error(cause);
  failure.name = error;
  return failure;
}

// ----- definitions -----

interface TaskState {
  readonly Type: 'Task';
  readonly Resource: string;
  Parameters?: Record<string, unknown>;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
}

type AnyState = { readonly Type: string } & Record<string, unknown>;

/** Every state of a definition, nested Parallel branches and Map iterators included. */
function* statesOf(definition: { readonly States: Record<string, unknown> }): Generator<[string, AnyState]> {
  for (const [name, state] of Object.entries(definition.States) as [string, AnyState][]) {
    yield [name, state];
    if (state.Type === 'Parallel') for (const branch of state.Branches as StateMachineDefinition[]) yield* statesOf(branch);
    if (state.Type === 'Map') {
      const inner = (state.ItemProcessor ?? state.Iterator) as StateMachineDefinition | undefined;
      if (inner) yield* statesOf(inner);
    }
  }
}

const LAMBDA_INVOKE = /^arn:[a-z0-9-]+:states:::lambda:invoke(\.waitForTaskToken)?$/;
const LAMBDA_FUNCTION = /^arn:[a-z0-9-]+:lambda:/;
const WAIT_FOR_TOKEN = '.waitForTaskToken';

function handlerFor(handlers: Readonly<Record<string, TaskHandler>>, candidates: readonly (string | undefined)[]): TaskHandler | undefined {
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    if (Object.hasOwn(handlers, candidate)) return handlers[candidate];
    const prefix = Object.keys(handlers)
      .filter((key) => candidate.startsWith(key))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix !== undefined) return handlers[prefix];
  }
  return undefined;
}

function staticFunctionName(state: TaskState): string | undefined {
  const name = state.Parameters?.FunctionName;
  return typeof name === 'string' ? name : undefined;
}

/** The interpreter's timeout of a Task: TimeoutSeconds, the value carried for TimeoutSecondsPath, or its default of 60 s. */
function timeoutSecondsOf(state: TaskState, resolved: unknown): number {
  if (state.TimeoutSeconds) return state.TimeoutSeconds;
  const carried = (resolved as Record<string, unknown> | null)?.[TIMEOUT_FIELD];
  return typeof carried === 'number' ? carried : 60;
}

function withoutTimeoutField(resolved: unknown): unknown {
  if (typeof resolved !== 'object' || resolved === null || !Object.hasOwn(resolved, TIMEOUT_FIELD)) return resolved;
  const { [TIMEOUT_FIELD]: _carried, ...rest } = resolved as Record<string, unknown>;
  return rest;
}

// ----- task tokens -----

interface TokenEntry {
  readonly executionArn: string;
  state: 'minted' | 'open' | 'closed';
  settle?: { resolve(output: unknown): void; reject(error: Error): void };
  timer?: NodeJS.Timeout;
}

/** Strings of a JSON value, depth first. */
function* stringsOf(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* stringsOf(item);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) yield* stringsOf(item);
}

// ----- the server -----

interface Registration {
  readonly arn: string;
  readonly name: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly machine: StateMachine;
  readonly runOptions: (execution: RunningExecution) => RunOptions;
}

interface RunningExecution {
  readonly record: ExecutionRecord;
  abort?: () => void;
  /** Listeners for the next token this execution waits on. */
  readonly tokenListeners: { resolve(token: string): void; reject(error: Error): void }[];
  readonly waitingTokens: string[];
  /** Rejects a task still running when the execution ends (timed out, aborted), so the interpreter's timers are cleared. */
  readonly inflight: Set<(error: Error) => void>;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** How long `stop` lets executions run out before it aborts them. */
const STOP_GRACE_MS = 5_000;

const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export async function startLocalStepFunctions(): Promise<LocalStepFunctions> {
  installPromiseWithResolvers();
  const machines = new Map<string, Registration>();
  const executions = new Map<string, RunningExecution>();
  const ended = new Map<string, Deferred<ExecutionRecord>>();
  const tokens = new Map<string, TokenEntry>();
  let stopped = false;

  const endedOf = (arn: string): Deferred<ExecutionRecord> => {
    let entry = ended.get(arn);
    if (!entry) {
      entry = deferred<ExecutionRecord>();
      ended.set(arn, entry);
    }
    return entry;
  };

  function mintToken(executionArn: string): string {
    const token = `AQ${randomBytes(96).toString('base64')}`;
    tokens.set(token, { executionArn, state: 'minted' });
    return token;
  }

  function closeToken(token: string, error?: Error): void {
    const entry = tokens.get(token);
    if (!entry || entry.state === 'closed') return;
    entry.state = 'closed';
    if (entry.timer) clearTimeout(entry.timer);
    if (error) entry.settle?.reject(error);
    const waiting = executions.get(entry.executionArn)?.waitingTokens;
    const index = waiting?.indexOf(token) ?? -1;
    if (waiting && index >= 0) waiting.splice(index, 1);
  }

  /** Runs the task's handler, then waits for the token the Parameters carry to be answered, at most `timeoutSeconds`. */
  async function waitForToken(execution: RunningExecution, timeoutSeconds: number, input: unknown, invoke: () => Promise<unknown>): Promise<unknown> {
    const arn = execution.record.executionArn;
    const token = [...stringsOf(input)].find((text) => tokens.get(text)?.executionArn === arn && tokens.get(text)?.state === 'minted');
    if (token === undefined) {
      throw taskFailure('States.Runtime', 'a .waitForTaskToken task must pass $$.Task.Token in its Parameters');
    }
    const entry = tokens.get(token) as TokenEntry;
    entry.state = 'open';
    const answered = new Promise<unknown>((resolve, reject) => (entry.settle = { resolve, reject }));
    // Closes the token as the interpreter's own timer (same duration, started just after) fails the task.
    entry.timer = setTimeout(() => closeToken(token), timeoutSeconds * 1000);
    try {
      await invoke();
    } catch (error) {
      closeToken(token);
      throw error;
    }
    if (entry.state === 'open') {
      execution.waitingTokens.push(token);
      for (const listener of execution.tokenListeners.splice(0)) listener.resolve(token);
    }
    try {
      return await answered;
    } finally {
      closeToken(token);
    }
  }

  /**
   * A handler's result as a service returns it: serialized, so it is JSON and
   * a plain object of this realm (the interpreter tells objects by their
   * prototype, and Jest runs tests in a realm of their own).
   */
  async function resultOf(handler: TaskHandler, input: unknown): Promise<unknown> {
    const result = await handler(input);
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  }

  /** A function's error as Lambda reports it: the error type is the error, `{ errorType, errorMessage }` the cause. */
  async function asLambda(handler: TaskHandler, event: unknown): Promise<unknown> {
    try {
      return await resultOf(handler, event);
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      throw taskFailure(name, JSON.stringify({ errorType: name, errorMessage: message }));
    }
  }

  function taskOverride(execution: RunningExecution, state: TaskState, handlers: Readonly<Record<string, TaskHandler>>) {
    const lambdaInvoke = LAMBDA_INVOKE.test(state.Resource);
    const work = async (resolved: unknown): Promise<unknown> => {
      const input = withoutTimeoutField(resolved);
      const parameters = (input ?? {}) as Record<string, unknown>;
      const functionName = lambdaInvoke && typeof parameters.FunctionName === 'string' ? parameters.FunctionName : undefined;
      const handler = handlerFor(handlers, [functionName, state.Resource]);
      if (!handler) throw taskFailure('States.Runtime', `no local handler for ${functionName ?? state.Resource}`);
      const invoke = async (): Promise<unknown> => {
        if (lambdaInvoke) return { ExecutedVersion: '$LATEST', Payload: await asLambda(handler, parameters.Payload ?? null), StatusCode: 200 };
        if (LAMBDA_FUNCTION.test(state.Resource)) return asLambda(handler, input);
        return resultOf(handler, input);
      };
      return state.Resource.endsWith(WAIT_FOR_TOKEN) ? waitForToken(execution, timeoutSecondsOf(state, resolved), input, invoke) : invoke();
    };
    return (input: unknown): Promise<unknown> => {
      if (stopped || execution.record.status !== 'RUNNING') {
        return Promise.reject(taskFailure('States.Runtime', 'the execution has ended'));
      }
      return new Promise((resolve, reject) => {
        execution.inflight.add(reject);
        work(input)
          .then(resolve, reject)
          .finally(() => execution.inflight.delete(reject));
      });
    };
  }

  function register(
    stateMachineArn: string,
    definition: string | AslDefinition,
    taskHandlers: Readonly<Record<string, TaskHandler>>,
    options: RegisterOptions = {},
  ): void {
    const parts = stateMachineArn.split(':');
    if (parts.length !== 7 || parts[5] !== 'stateMachine') throw new Error(`${stateMachineArn} is not a state machine ARN`);
    const parsed = (typeof definition === 'string' ? JSON.parse(definition) : JSON.parse(JSON.stringify(definition))) as StateMachineDefinition;
    const tasks = new Map<string, TaskState>();
    const retrying: string[] = [];
    const waiting: string[] = [];
    for (const [name, state] of statesOf(parsed)) {
      const seconds = options.timeoutOverrides?.[name];
      if (seconds !== undefined) {
        if (!Number.isSafeInteger(seconds) || seconds < 1) throw new Error(`timeoutOverrides.${name} must be a whole number of seconds ≥ 1`);
        state.TimeoutSeconds = seconds;
        delete state.TimeoutSecondsPath;
      }
      if (Array.isArray(state.Retry)) retrying.push(name);
      if (state.Type === 'Wait') waiting.push(name);
      if (state.Type !== 'Task') continue;
      const task = state as unknown as TaskState;
      if (task.TimeoutSecondsPath !== undefined && task.Parameters !== undefined) {
        task.Parameters = { ...task.Parameters, [`${TIMEOUT_FIELD}.$`]: task.TimeoutSecondsPath };
        task.TimeoutSecondsPath = `$.${TIMEOUT_FIELD}`;
      }
      if (tasks.has(name) && JSON.stringify(tasks.get(name)) !== JSON.stringify(task)) {
        throw new Error(`two different Task states are named "${name}"; local handlers are bound by state name`);
      }
      tasks.set(name, task);
      const dynamicFunction = LAMBDA_INVOKE.test(task.Resource) && typeof task.Parameters?.['FunctionName.$'] === 'string';
      if (!dynamicFunction && !handlerFor(taskHandlers, [LAMBDA_INVOKE.test(task.Resource) ? staticFunctionName(task) : undefined, task.Resource])) {
        throw new Error(
          `Task state "${name}" (${staticFunctionName(task) ?? task.Resource}) has no local handler; ` +
            `register one under its ${LAMBDA_INVOKE.test(task.Resource) ? 'FunctionName' : LAMBDA_FUNCTION.test(task.Resource) ? 'function ARN' : 'resource ARN'} or a prefix of it`,
        );
      }
    }
    for (const name of Object.keys(options.timeoutOverrides ?? {})) {
      if (![...statesOf(parsed)].some(([stateName]) => stateName === name)) throw new Error(`timeoutOverrides names "${name}", which is not a state`);
    }
    const machine = new StateMachine(parsed, { validationOptions: options.validationOptions });
    machines.set(stateMachineArn, {
      arn: stateMachineArn,
      name: parts[6],
      type: options.type ?? 'STANDARD',
      machine,
      runOptions: (execution) => {
        const task: Record<string, unknown> = {};
        Object.defineProperty(task, 'Token', { enumerable: true, get: () => mintToken(execution.record.executionArn) });
        return {
          overrides: {
            taskResourceLocalHandlers: Object.fromEntries(
              [...tasks].map(([name, state]) => [name, taskOverride(execution, state, taskHandlers) as (input: unknown) => Promise<never>]),
            ),
            retryIntervalOverrides: Object.fromEntries(retrying.map((name) => [name, options.retryIntervalMs ?? 0])),
            waitTimeOverrides: Object.fromEntries(waiting.map((name) => [name, options.waitMs ?? 0])),
          },
          context: {
            Execution: { Id: execution.record.executionArn, Name: execution.record.name, StartTime: execution.record.startDate.toISOString() },
            StateMachine: { Id: stateMachineArn, Name: parts[6] },
            Task: task,
          },
        };
      },
    });
  }

  /** Starts an execution in the background; `done` settles when it ends. */
  function launch(machine: Registration, name: string, input: string): RunningExecution {
    const parts = machine.arn.split(':');
    const executionArn =
      machine.type === 'EXPRESS'
        ? [...parts.slice(0, 5), 'express', machine.name, name, randomUUID()].join(':')
        : [...parts.slice(0, 5), 'execution', machine.name, name].join(':');
    const record: ExecutionRecord = { executionArn, stateMachineArn: machine.arn, name, input, startDate: new Date(), status: 'RUNNING' };
    const execution: RunningExecution = { record, tokenListeners: [], waitingTokens: [], inflight: new Set() };
    executions.set(executionArn, execution);
    const run = machine.machine.run(JSON.parse(input), machine.runOptions(execution));
    execution.abort = run.abort;
    run.result.then(
      (output) => finish(execution, { status: 'SUCCEEDED', output: JSON.stringify(output) }),
      (error: unknown) => finish(execution, failureOf(error)),
    );
    return execution;
  }

  function failureOf(error: unknown): Pick<ExecutionRecord, 'status' | 'error' | 'cause'> {
    if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'the execution timed out' };
    if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
    const cause = error instanceof ExecutionError ? (error.cause as Error | undefined) : (error as Error | undefined);
    return { status: 'FAILED', error: cause?.name ?? 'States.Runtime', cause: cause?.message ?? String(error) };
  }

  function finish(execution: RunningExecution, result: Pick<ExecutionRecord, 'status' | 'output' | 'error' | 'cause'>): void {
    Object.assign(execution.record, result, { stopDate: new Date() });
    for (const abandon of execution.inflight) abandon(taskFailure('States.Runtime', 'the execution has ended'));
    for (const [token, entry] of tokens) if (entry.executionArn === execution.record.executionArn) closeToken(token, taskFailure('States.Runtime', 'the execution ended'));
    for (const listener of execution.tokenListeners.splice(0)) {
      listener.reject(new Error(`${execution.record.executionArn} ended (${execution.record.status}) without waiting on a task token`));
    }
    endedOf(execution.record.executionArn).resolve(execution.record);
  }

  // ----- the API -----

  function machineOf(arn: unknown): Registration {
    const machine = typeof arn === 'string' ? machines.get(arn) : undefined;
    if (!machine) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
    return machine;
  }

  function inputOf(body: Record<string, unknown>): string {
    const input = body.input === undefined ? '{}' : body.input;
    if (typeof input !== 'string') throw new ApiError('InvalidExecutionInput', 'input must be a JSON string');
    try {
      JSON.parse(input);
    } catch {
      throw new ApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input is not JSON');
    }
    return input;
  }

  function describe(record: ExecutionRecord): Record<string, unknown> {
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate.getTime() / 1000,
      ...(record.stopDate ? { stopDate: record.stopDate.getTime() / 1000 } : {}),
      input: record.input,
      inputDetails: { included: true },
      ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
      ...(record.error !== undefined ? { error: record.error } : {}),
      ...(record.cause !== undefined ? { cause: record.cause } : {}),
    };
  }

  function answerToken(body: Record<string, unknown>, settle: (entry: TokenEntry) => void): Record<string, never> {
    const token = body.taskToken;
    const entry = typeof token === 'string' ? tokens.get(token) : undefined;
    if (!entry || entry.state === 'minted') throw new ApiError('TaskDoesNotExist', 'Task does not exist');
    if (entry.state === 'closed') throw new ApiError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    settle(entry);
    closeToken(token as string);
    return {};
  }

  const operations: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    async StartExecution(body) {
      const machine = machineOf(body.stateMachineArn);
      const input = inputOf(body);
      const name = body.name === undefined ? randomUUID() : body.name;
      if (typeof name !== 'string' || !EXECUTION_NAME.test(name)) throw new ApiError('InvalidName', `Invalid Name: '${String(name)}'`);
      if (machine.type === 'STANDARD') {
        const existing = executions.get([...machine.arn.split(':').slice(0, 5), 'execution', machine.name, name].join(':'));
        if (existing) {
          // Idempotent for a running Standard execution with the same input; otherwise the name is taken.
          if (existing.record.status === 'RUNNING' && existing.record.input === input) {
            return { executionArn: existing.record.executionArn, startDate: existing.record.startDate.getTime() / 1000 };
          }
          throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.record.executionArn}'`);
        }
      }
      const { record } = launch(machine, name, input);
      return { executionArn: record.executionArn, startDate: record.startDate.getTime() / 1000 };
    },
    async StartSyncExecution(body) {
      const machine = machineOf(body.stateMachineArn);
      if (machine.type !== 'EXPRESS') {
        throw new ApiError('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
      }
      const input = inputOf(body);
      const { record } = launch(machine, typeof body.name === 'string' ? body.name : randomUUID(), input);
      await endedOf(record.executionArn).promise;
      const { executionArn, stateMachineArn, name, status, startDate, stopDate, output, error, cause } = record;
      return {
        executionArn,
        stateMachineArn,
        name,
        status,
        startDate: startDate.getTime() / 1000,
        stopDate: (stopDate ?? new Date()).getTime() / 1000,
        input,
        inputDetails: { included: true },
        ...(output !== undefined ? { output, outputDetails: { included: true } } : {}),
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      };
    },
    async DescribeExecution(body) {
      const execution = typeof body.executionArn === 'string' ? executions.get(body.executionArn) : undefined;
      if (!execution) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(body.executionArn)}'`);
      return describe(execution.record);
    },
    /** As the service: a running execution ends ABORTED with the error and cause given; an ended one is left as it is. */
    async StopExecution(body) {
      const execution = typeof body.executionArn === 'string' ? executions.get(body.executionArn) : undefined;
      if (!execution) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(body.executionArn)}'`);
      if (execution.record.status === 'RUNNING') {
        if (typeof body.error === 'string') execution.record.error = body.error;
        if (typeof body.cause === 'string') execution.record.cause = body.cause;
        execution.abort?.();
      }
      return { stopDate: (execution.record.stopDate ?? new Date()).getTime() / 1000 };
    },
    async SendTaskSuccess(body) {
      let output: unknown;
      try {
        output = JSON.parse(typeof body.output === 'string' ? body.output : '');
      } catch {
        throw new ApiError('InvalidOutput', 'Invalid Output: output is not JSON');
      }
      return answerToken(body, (entry) => entry.settle?.resolve(output));
    },
    async SendTaskFailure(body) {
      const error = typeof body.error === 'string' ? body.error : '';
      const cause = typeof body.cause === 'string' ? body.cause : '';
      return answerToken(body, (entry) => entry.settle?.reject(taskFailure(error, cause)));
    },
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const name = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
    const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
    let status = 200;
    let answer: unknown;
    try {
      if (!operation) {
        throw new ApiError('UnknownOperationException', `${target} is not served by the local Step Functions endpoint`);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      answer = await operation(text === '' ? {} : (JSON.parse(text) as Record<string, unknown>));
    } catch (error) {
      status = error instanceof ApiError ? 400 : 500;
      answer = error instanceof ApiError ? { __type: error.type, message: error.message } : { __type: 'InternalFailure', message: String(error) };
    }
    const body = JSON.stringify(answer);
    response.writeHead(status, {
      'Content-Type': 'application/x-amz-json-1.0',
      'Content-Length': Buffer.byteLength(body),
      'x-amzn-RequestId': randomUUID(),
    });
    response.end(body);
  }

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  const listening = await listenOnLoopback(server);
  const { endpoint } = listening;

  return {
    endpoint,
    clientConfig: () => ({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      // StartSyncExecution would otherwise go to `sync-127.0.0.1`.
      disableHostPrefix: true,
    }),
    register,
    executions: (stateMachineArn) =>
      [...executions.values()].map(({ record }) => record).filter((record) => stateMachineArn === undefined || record.stateMachineArn === stateMachineArn),
    finished: (executionArn) => endedOf(executionArn).promise,
    waitingTaskToken: (executionArn) =>
      new Promise<string>((resolve, reject) => {
        const execution = executions.get(executionArn);
        if (execution?.waitingTokens[0] !== undefined) return resolve(execution.waitingTokens[0]);
        if (execution && execution.record.status !== 'RUNNING') return reject(new Error(`${executionArn} has ended (${execution.record.status})`));
        if (!execution) return reject(new Error(`${executionArn} was never started`));
        execution.tokenListeners.push({ resolve, reject });
      }),
    async stop() {
      // Every task still running or waiting fails at once, and so does every task after it, so each
      // execution runs out through its Catch and Retry paths and ends on its own. Aborting instead
      // would leave the interpreter's own promise of the run rejected with nobody listening.
      stopped = true;
      const running = [...executions.values()].filter((execution) => execution.record.status === 'RUNNING');
      for (const token of tokens.keys()) closeToken(token, taskFailure('States.Runtime', 'the local endpoint stopped'));
      for (const execution of running) for (const abandon of execution.inflight) abandon(taskFailure('States.Runtime', 'the local endpoint stopped'));
      const ended = Promise.all(running.map((execution) => endedOf(execution.record.executionArn).promise));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)));
      if ((await Promise.race([ended, late])) === 'late') for (const execution of running) execution.abort?.();
      clearTimeout(timer);
      await listening.close();
    },
  };
}

/**
 * An AWS SDK integration task as Step Functions runs it: the API response
 * without the SDK's `$metadata` is the task result; an error is named
 * `<Service>.<ExceptionName>` (e.g. `DynamoDb.ResourceNotFoundException`).
 */
export function asSdkTask(service: string, call: (parameters: any) => Promise<Record<string, unknown>>): (parameters: any) => Promise<any> {
  return async (parameters) => {
    try {
      const { $metadata: _metadata, ...response } = await call(parameters);
      return response;
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const failure = new Error(e.message);
      failure.name = `${service}.${e.name}`;
      throw failure;
    }
  };
}

/**
 * The SNS Publish integration (`arn:<p>:states:::sns:publish`) on an SNS
 * endpoint such as moto's: its resolved Parameters are the Publish request
 * (TopicArn, Message, Subject, MessageAttributes), as the service sends them.
 */
export function snsPublishTask(client: SNSClient): (parameters: any) => Promise<any> {
  return asSdkTask('SNS', (parameters) => client.send(new PublishCommand(parameters)) as never);
}
