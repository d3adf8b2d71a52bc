import OpenAI from 'openai';
import { createSignedFetch } from '../client/signed-fetch';
import type { StatehouseClient } from '../client/statehouse-client';
import { exportTranscript, type Verdict } from '../client/transcript';
import type { AwsCredentialIdentity } from '@smithy/types';
import { expectThat } from './conversation-checks';
import type { GatewayLog } from './gateway-log';

/**
 * deploy:local's conversation with the official `openai` package, through
 * the local gateway with the kit's signedFetch: a conversation, a response
 * in it (a tool runs), one that follows it by previous_response_id, and a
 * streamed one whose `response.output_text.delta` events are printed as they
 * come; then the same session through the session API, its chain recomputed
 * here. Where the target does not stream, the streamed request's 400 is shown.
 */
export interface OpenAiConversationOptions {
  /** The API's invoke URL (the gateway's), stage included. */
  readonly invokeUrl: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity;
  /** The same caller's session API client: the conversation is a session. */
  readonly client: StatehouseClient;
  readonly tenant: string;
  /** Whether the deployed API streams `POST /v1/responses`. */
  readonly streams: boolean;
  readonly gateway: GatewayLog;
  readonly log: (line: string) => void;
}

export interface OpenAiConversationReport {
  readonly conversationId: string;
  readonly responses: readonly { readonly id: string; readonly status: string; readonly outputText: string }[];
  /** The streamed response: its text deltas in order and the event types; or the 400 of a target that does not stream. */
  readonly stream: { readonly deltas: readonly string[]; readonly eventTypes: readonly string[]; readonly outputText: string } | { readonly refused: { readonly status: number; readonly message: string } };
  /** The conversation's items as `conversations.items.list` lists them. */
  readonly items: number;
  readonly verdict: Verdict;
}

const quoted = (text: string, max = 90) => JSON.stringify(text.length > max ? `${text.slice(0, max - 1)}…` : text);

export async function runOpenAiConversation(options: OpenAiConversationOptions): Promise<OpenAiConversationReport> {
  const { gateway, log } = options;
  // The package's own retries are off: what each request did is what the gateway shows.
  const openai = new OpenAI({
    baseURL: `${options.invokeUrl}v1`,
    fetch: createSignedFetch({ region: options.region, credentials: options.credentials }),
    apiKey: 'unused',
    maxRetries: 0,
  });

  const conversation = await openai.conversations.create({});
  gateway.step(`  openai.conversations.create() → ${conversation.id}`);

  const first = await openai.responses.create({ conversation: conversation.id, input: 'What is the deadline 10 business days after 2026-11-20?' });
  expectThat(first.status === 'completed' && first.conversation?.id === conversation.id && /"deadline":"2026-12-07"/.test(first.output_text), 'a completed response with the tool\'s deadline', first);
  gateway.step(`  openai.responses.create({ conversation, input: "What is the deadline…" }) → ${first.status}: ${quoted(first.output_text)}`);

  const second = await openai.responses.create({ previous_response_id: first.id, input: 'Thank you. Who will answer the request?' });
  expectThat(second.status === 'completed' && second.conversation?.id === conversation.id, 'the response after previous_response_id in the same conversation', second);
  gateway.step(`  openai.responses.create({ previous_response_id, input: "Thank you…" }) → ${second.status}, same conversation: ${quoted(second.output_text)}`);

  const responses = [first, second].map((response) => ({ id: response.id, status: response.status ?? '', outputText: response.output_text }));
  let stream: OpenAiConversationReport['stream'];
  const streamed = { previous_response_id: second.id, input: 'Please sum up what we have done so far in one sentence.', stream: true } as const;
  if (options.streams) {
    const events = await openai.responses.create(streamed);
    const deltas: string[] = [];
    const eventTypes: string[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    log('  openai.responses.create({ previous_response_id, stream: true }) →');
    for await (const event of events) {
      eventTypes.push(event.type);
      if (event.type === 'response.output_text.delta') {
        deltas.push(event.delta);
        log(`    response.output_text.delta ${JSON.stringify(event.delta)}`);
      }
      if (event.type === 'response.completed') completed = event.response;
    }
    // What the response committed: its output messages' text (the package sets output_text on a created response, not on a streamed event's).
    const outputText = (completed?.output ?? []).flatMap((item) => (item.type === 'message' ? item.content : [])).map((part) => (part.type === 'output_text' ? part.text : '')).join('');
    expectThat(eventTypes[0] === 'response.created' && completed !== undefined && deltas.length > 1 && deltas.join('') === outputText, 'response.* events whose text deltas make the completed output', { eventTypes, deltas, outputText });
    gateway.step(`    response.completed: ${quoted(outputText)} (${eventTypes.length} events, ${deltas.length} of them text deltas)`);
    stream = { deltas, eventTypes, outputText };
  } else {
    const refused = await openai.responses.create(streamed).then(
      () => undefined,
      (error: unknown) => error,
    );
    expectThat(refused instanceof OpenAI.APIError && refused.status === 400, 'a 400 for stream: true where the target does not stream', refused);
    const { status, message } = refused as InstanceType<typeof OpenAI.APIError>;
    gateway.step(`  openai.responses.create({ stream: true }) → ${status} (this target does not stream): ${message}`);
    stream = { refused: { status: status!, message } };
  }

  const items = await openai.conversations.items.list(conversation.id, { limit: 100 });
  const session = conversation.id.replace(/^conv_/, '');
  const transcript = await exportTranscript(options.client, session, { tenant: options.tenant });
  expectThat(transcript.verification.verdict === 'verified', 'the conversation\'s session to verify, recomputed here', transcript.verification);
  if ('outputText' in stream) {
    // What was streamed is what was committed: the session's last event is the streamed reply.
    const last = transcript.events.at(-1);
    expectThat(last?.type === 'assistant' && last.content === stream.outputText, 'the streamed reply as the session\'s last event', last);
  }
  gateway.step(
    `  the conversation is session ${session}: openai lists ${items.data.length} items, the session API ${transcript.events.length} events; ${transcript.verification.statement}`,
  );
  return { conversationId: conversation.id, responses, stream, items: items.data.length, verdict: transcript.verification.verdict };
}
