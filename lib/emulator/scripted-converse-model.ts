import { createServer } from 'node:http';
import { listenOnLoopback } from './loopback-server';

/**
 * The language model of `npm run deploy:local`: a Bedrock Converse endpoint
 * on 127.0.0.1 that answers from rules, not a model. It is the kit's one
 * test double; everything it talks to is real. The deployed orchestrator's
 * own Bedrock runtime client reaches it through AWS_ENDPOINT_URL_BEDROCK_RUNTIME.
 *
 * Rules, on the last message of the request and the tools it offers:
 * - a tool result: a sentence that quotes it;
 * - a user message that mentions a deadline: a `compute_deadline` call;
 * - a user message that asks to release records: a `release_records` call;
 * - a user message that asks which records exist, with a delegate offered
 *   (`ask_<agent>`): a call of that delegate with the message as its request;
 * - a user message that names a case id, with `lookup_case` offered: a `lookup_case` call;
 * - anything else: an answer that repeats the message.
 */
export interface ScriptedConverseModel {
  readonly endpoint: string;
  /** Converse requests answered so far. */
  readonly calls: number;
  /** The system prompt and the tool names of each request, in order. */
  readonly requests: readonly { readonly system: unknown; readonly tools: readonly string[] }[];
  stop(): Promise<void>;
}

interface ConverseMessage {
  role: string;
  content: { text?: string; toolResult?: { toolUseId: string; content: { text?: string }[] } }[];
}

/** The tool inputs the rules ask for; valid against lib/tools/catalog.ts. */
export const SCRIPTED_TOOL_INPUTS = {
  compute_deadline: { startDate: '2026-11-20', businessDays: 10 },
  release_records: { caseId: 'FOIA-4411', recordIds: ['REC-1', 'REC-2'], justification: 'The requester asked for their own case file.' },
} as const;

const CASE_ID = /[A-Z]{2,6}-\d{1,10}/;

function answer(messages: ConverseMessage[], offered: readonly string[], serial: number): unknown {
  const last = messages.at(-1)?.content ?? [];
  const result = last.find((block) => block.toolResult)?.toolResult;
  const text = last.map((block) => block.text ?? '').join('');
  // About four characters a token, as budgets estimate; enough for the session's token accounting.
  const inputTokens = 40 + Math.round(JSON.stringify(messages).length / 4);
  const usage = { inputTokens, outputTokens: 20, totalTokens: inputTokens + 20 };
  const reply = (content: unknown[], stopReason: string) => ({ output: { message: { role: 'assistant', content } }, stopReason, usage, metrics: { latencyMs: 1 } });
  if (result) return reply([{ text: `The tool answered: ${result.content.map((c) => c.text ?? '').join('')}` }], 'end_turn');
  const tool = /deadline/i.test(text) ? 'compute_deadline' : /release/i.test(text) ? 'release_records' : undefined;
  if (tool) {
    return reply(
      [{ text: `Calling ${tool}.` }, { toolUse: { toolUseId: `call-${serial}`, name: tool, input: SCRIPTED_TOOL_INPUTS[tool] } }],
      'tool_use',
    );
  }
  const delegate = offered.find((name) => name.startsWith('ask_'));
  if (delegate && /which records/i.test(text)) {
    return reply([{ text: `Asking ${delegate}.` }, { toolUse: { toolUseId: `call-${serial}`, name: delegate, input: { request: text } } }], 'tool_use');
  }
  const caseId = CASE_ID.exec(text)?.[0];
  if (caseId && offered.includes('lookup_case')) {
    return reply([{ text: 'Looking the case up.' }, { toolUse: { toolUseId: `call-${serial}`, name: 'lookup_case', input: { caseId } } }], 'tool_use');
  }
  return reply([{ text: `You said: ${text}` }], 'end_turn');
}

export async function startScriptedConverseModel(): Promise<ScriptedConverseModel> {
  let calls = 0;
  const requests: { system: unknown; tools: string[] }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = decodeURIComponent((request.url ?? '').split('?')[0]);
      if (request.method !== 'POST' || !/^\/model\/[^/]+\/converse$/.test(path)) {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `the scripted model answers only Converse, not ${request.method} ${path}` }));
        return;
      }
      calls++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: ConverseMessage[]; system?: unknown; toolConfig?: { tools?: { toolSpec?: { name?: string } }[] } };
      const offered = (body.toolConfig?.tools ?? []).flatMap((tool) => (tool.toolSpec?.name ? [tool.toolSpec.name] : []));
      requests.push({ system: body.system, tools: offered });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(body.messages, offered, calls)));
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    endpoint: listening.endpoint,
    get calls() {
      return calls;
    },
    requests,
    stop: listening.close,
  };
}
