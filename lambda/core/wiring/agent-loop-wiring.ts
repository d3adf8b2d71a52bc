import { SFNClient } from '@aws-sdk/client-sfn';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { BACKGROUND_DEFAULTS, MAX_BACKGROUND_ROUNDS } from '../../../lib/contract/agent-loop';
import { ENV } from '../../../lib/contract/env-names';
import { StepFunctionsAgentLoop } from '../adapters/step-functions/agent-loop-starter';
import type { BackgroundSettings } from '../domain/background-turn';
import { ToolConfigError } from '../domain/tool-policy';
import type { AgentLoop } from '../ports/agent-loop';
import type { RuntimeEnv } from './runtime-env';

/** Background turns as the environment configures them: the loop (absent: background turns are off) and their limits. */
export interface BackgroundEnv {
  readonly loop?: AgentLoop;
  readonly background: BackgroundSettings;
}

function boundedInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new ToolConfigError(`${name} is "${text}", not an integer from 1 to ${max}`);
  return value;
}

/** Read once at cold start; a malformed value fails the cold start, naming the variable. */
export function backgroundFromEnv(env: NodeJS.ProcessEnv, runtime: Pick<RuntimeEnv, 'region' | 'fipsServices'>, tracer: Tracer): BackgroundEnv {
  const background = {
    deadlineSeconds: boundedInteger(env, ENV.BACKGROUND_DEADLINE_SECONDS, BACKGROUND_DEFAULTS.deadlineSeconds, BACKGROUND_DEFAULTS.maxDeadlineSeconds),
    maxRounds: boundedInteger(env, ENV.BACKGROUND_MAX_ROUNDS, BACKGROUND_DEFAULTS.maxRounds, MAX_BACKGROUND_ROUNDS),
  };
  const arn = env[ENV.AGENT_LOOP_STATE_MACHINE];
  if (arn === undefined || arn === '') return { background };
  if (!/^arn:[a-z0-9-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/.test(arn)) {
    throw new ToolConfigError(`${ENV.AGENT_LOOP_STATE_MACHINE} is "${arn}", not a state machine ARN`);
  }
  const client = tracer.captureAWSv3Client(new SFNClient({ region: runtime.region, useFipsEndpoint: runtime.fipsServices.has('states') }));
  return { loop: new StepFunctionsAgentLoop({ client, stateMachineArn: arn }), background };
}
