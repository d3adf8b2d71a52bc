import { createServer } from 'node:http';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockGuardrail, guardrailClientConfig } from '../../../../lambda/core/adapters/guardrail/bedrock-guardrail';
import { listenOnLoopback } from '../../../../lib/emulator/loopback-server';
import type { GuardrailBinding } from '../../../../lib/contract/agent';
import { testClientOptions } from '../adapters/model/support/scripted-endpoint';

/**
 * A scripted Bedrock guardrail behind a real endpoint on 127.0.0.1: it
 * speaks bedrock-runtime's ApplyGuardrail wire format (POST
 * /guardrail/{id}/version/{version}/apply), so the REAL adapter and SDK
 * client call it. Like the scripted model, it is the one double: Bedrock is
 * not emulated by moto. It judges text by a few fixed rules, as a guardrail
 * with these policies would:
 *
 * - a phrase of BLOCKED_PHRASES: content filter VIOLENCE, BLOCKED;
 * - a US social security number: sensitive information, BLOCKED;
 * - an e-mail address: sensitive information, ANONYMIZED to `{EMAIL}`.
 */

export const BINDING: GuardrailBinding = { guardrailIdentifier: 'gr7example01', guardrailVersion: '3' };
export const BLOCKED_INPUT_MESSAGE = 'Sorry, this assistant cannot help with that request.';
export const BLOCKED_OUTPUT_MESSAGE = 'Sorry, the answer was withheld by policy.';
export const BLOCKED_PHRASES = ['smash the server room'];

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/g;
const SSN = /\b\d{3}-\d{2}-\d{4}\b/g;

export interface GuardrailRequest {
  readonly path: string;
  readonly source: 'INPUT' | 'OUTPUT';
  readonly text: string;
}

export interface ScriptedGuardrail {
  readonly endpoint: string;
  /** Every ApplyGuardrail request received, in order of arrival. */
  readonly requests: GuardrailRequest[];
  /** A real bedrock-runtime client (guardrailClientConfig) pointed at this endpoint. */
  readonly client: BedrockRuntimeClient;
  /** The real adapter on that client, bound to BINDING. */
  guardrail(): BedrockGuardrail;
  stop(): Promise<void>;
}

const USAGE = {
  topicPolicyUnits: 0,
  contentPolicyUnits: 1,
  wordPolicyUnits: 0,
  sensitiveInformationPolicyUnits: 1,
  sensitiveInformationPolicyFreeUnits: 0,
  contextualGroundingPolicyUnits: 0,
};

/** What a guardrail with the policies above answers for `text`. */
export function judge(source: 'INPUT' | 'OUTPUT', text: string): Record<string, unknown> {
  const blocked = source === 'INPUT' ? BLOCKED_INPUT_MESSAGE : BLOCKED_OUTPUT_MESSAGE;
  const violent = BLOCKED_PHRASES.some((phrase) => text.toLowerCase().includes(phrase));
  const ssns = text.match(SSN) ?? [];
  const emails = text.match(EMAIL) ?? [];
  if (!violent && ssns.length === 0 && emails.length === 0) return { action: 'NONE', outputs: [], assessments: [{}], usage: USAGE };
  const pii = [
    ...ssns.map((match) => ({ match, type: 'US_SOCIAL_SECURITY_NUMBER', action: 'BLOCKED', detected: true })),
    ...emails.map((match) => ({ match, type: 'EMAIL', action: 'ANONYMIZED', detected: true })),
  ];
  const assessment = {
    ...(violent ? { contentPolicy: { filters: [{ type: 'VIOLENCE', confidence: 'HIGH', filterStrength: 'HIGH', action: 'BLOCKED', detected: true }] } } : {}),
    ...(pii.length > 0 ? { sensitiveInformationPolicy: { piiEntities: pii, regexes: [] } } : {}),
  };
  const masked = !violent && ssns.length === 0;
  return {
    action: 'GUARDRAIL_INTERVENED',
    actionReason: 'Guardrail blocked.',
    outputs: [{ text: masked ? text.replace(EMAIL, '{EMAIL}') : blocked }],
    assessments: [assessment],
    usage: USAGE,
  };
}

/** `delayMs` holds every answer back that long, as a real service's latency would (the bench uses it). */
export async function startScriptedGuardrail(options: { readonly delayMs?: number } = {}): Promise<ScriptedGuardrail> {
  const requests: GuardrailRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = decodeURIComponent((request.url ?? '').split('?')[0]);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf-8')) as { source: 'INPUT' | 'OUTPUT'; content: { text: { text: string } }[] };
      const text = body.content.map((block) => block.text.text).join('');
      requests.push({ path, source: body.source, text });
      const answer = () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(judge(body.source, text)));
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  const listening = await listenOnLoopback(server);
  const client = new BedrockRuntimeClient(guardrailClientConfig(testClientOptions(listening.endpoint)));
  return {
    endpoint: listening.endpoint,
    requests,
    client,
    guardrail: () => new BedrockGuardrail({ client, binding: BINDING }),
    async stop() {
      client.destroy();
      await listening.close();
    },
  };
}
