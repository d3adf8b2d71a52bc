import { ApplyGuardrailCommand, BedrockRuntimeClient, type ApplyGuardrailResponse } from '@aws-sdk/client-bedrock-runtime';
import type { GuardrailBinding } from '../../../../lib/contract/agent';
import type { GuardOutcome, Guardrail, GuardSource } from '../../ports/guardrail';
import { modelClientConfig, type ModelClientConfig, type ModelClientOptions } from '../model/client-settings';
import { toModelError } from '../model/model-errors';
import { guardOutcomeOf } from './guardrail-assessment';

/**
 * Time from sending an ApplyGuardrail request until its answer starts, per
 * attempt. A check evaluates policies on a few text units and answers in
 * well under a second when healthy; a turn behind API Gateway's 29 s cannot
 * wait the model calls' 60 s for each of its checks.
 */
export const GUARDRAIL_REQUEST_TIMEOUT_MS = 10_000;

/** The bedrock-runtime client settings of a guardrail: the model services' (FIPS host, retries), with the guardrail's timeout. */
export function guardrailClientConfig(options: ModelClientOptions): ModelClientConfig {
  return modelClientConfig('bedrock-runtime', { ...options, requestTimeoutMs: options.requestTimeoutMs ?? GUARDRAIL_REQUEST_TIMEOUT_MS });
}

/** A bedrock-runtime client with the guardrail's settings (guardrailClientConfig). */
export function guardrailClient(options: ModelClientOptions): BedrockRuntimeClient {
  return new BedrockRuntimeClient(guardrailClientConfig(options));
}

export interface BedrockGuardrailProps {
  readonly client: BedrockRuntimeClient;
  /** The guardrail's id or ARN and the published version to apply (never DRAFT in production: a draft changes under the turn). */
  readonly binding: GuardrailBinding;
}

/** The guardrail port on Bedrock's ApplyGuardrail, one text content block per check. */
export class BedrockGuardrail implements Guardrail {
  public readonly binding: GuardrailBinding;
  private readonly client: BedrockRuntimeClient;
  private readonly operation: string;

  constructor(props: BedrockGuardrailProps) {
    this.client = props.client;
    this.binding = props.binding;
    this.operation = `Bedrock ApplyGuardrail with ${props.binding.guardrailIdentifier} version ${props.binding.guardrailVersion}`;
  }

  /** @throws ModelError when the guardrail cannot be asked or answers something unusable (the turn fails closed). */
  async check(text: string, source: GuardSource): Promise<GuardOutcome> {
    let response: ApplyGuardrailResponse;
    try {
      response = await this.client.send(
        new ApplyGuardrailCommand({
          guardrailIdentifier: this.binding.guardrailIdentifier,
          guardrailVersion: this.binding.guardrailVersion,
          source,
          content: [{ text: { text } }],
        }),
      );
    } catch (error) {
      throw toModelError(this.operation, error);
    }
    return guardOutcomeOf(this.operation, response);
  }
}
