import { createServer } from 'node:http';
import { EVENT_STREAM_CONTENT_TYPE, encodeEventStream, type StreamMessage } from './event-stream';
import { listenOnLoopback } from './loopback-server';

/**
 * The language model of `npm run deploy:local`: a Bedrock Converse endpoint
 * on 127.0.0.1 that answers from rules, not a model. It is the kit's one
 * test double; everything it talks to is real. The deployed orchestrator's
 * own Bedrock runtime client reaches it through AWS_ENDPOINT_URL_BEDROCK_RUNTIME.
 * It answers Converse, and ConverseStream (a streaming turn's call) with the
 * same answer as Bedrock's event stream, its text a few words an event.
 *
 * Rules, on the messages of the request and the tools it offers:
 * - a turn that asks to research a case in depth ("research FOIA-4411 in
 *   depth"): one fast-tool call a request (`compute_deadline` when offered,
 *   else `lookup_case`) until the turn holds RESEARCH_TOOL_CALLS tool results,
 *   then an answer that sums them up; in a background turn, one round each;
 * - a tool result: a sentence that quotes it;
 * - a user message that mentions a deadline: a `compute_deadline` call;
 * - a user message that asks to release records: a `release_records` call;
 * - a user message that asks which records exist, with a delegate offered
 *   (`ask_<agent>`): a call of that delegate with the message as its request;
 * - a user message that names a case id, with `lookup_case` offered: a `lookup_case` call;
 * - memory extraction (the system prompt of the memory extractor): a JSON
 *   array of a `fact` for each "remember: <text>" and a `preference` for
 *   each "I prefer <text>" in the new events' user lines;
 * - a turn whose context recalls memory (the recalled-records system
 *   message): an answer that says what it remembers, then repeats the message;
 * - anything else: an answer that repeats the message.
 */
export interface ScriptedConverseModel {
  readonly endpoint: string;
  /** Converse requests answered so far. */
  readonly calls: number;
  /** The system prompt and the tool names of each request, in order. */
  readonly requests: readonly { readonly system: unknown; readonly tools: readonly string[] }[];
  /**
   * Holds the answer to the `nth` Converse request from now until it is
   * released: a model still thinking, so that a step can run while a turn is
   * known to be in that model call. `stop` releases what is still held.
   */
  holdAnswer(nth: number): HeldAnswer;
  stop(): Promise<void>;
}

export interface HeldAnswer {
  /** The request has arrived and its answer waits. */
  readonly asked: boolean;
  release(): void;
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
const RESEARCH = /\bresearch\b.*\bin depth\b/i;
/** Tool results a research turn gathers before it answers: with the answer, RESEARCH_TOOL_CALLS + 1 model calls. */
export const RESEARCH_TOOL_CALLS = 5;

type Reply = (content: unknown[], stopReason: string) => unknown;
const textOf = (blocks: ConverseMessage['content']): string => blocks.map((block) => block.text ?? '').join('');

/**
 * The research rule: the turn's request is the last user message with text;
 * the tool results after it are the research so far. Undefined when the
 * request asks for no research, or no fast tool is offered.
 */
function research(messages: ConverseMessage[], offered: readonly string[], serial: number, reply: Reply): unknown {
  let at = messages.length - 1;
  while (at >= 0 && !(messages[at].role === 'user' && textOf(messages[at].content) !== '')) at--;
  const request = at < 0 ? '' : textOf(messages[at].content);
  const caseId = CASE_ID.exec(request)?.[0];
  const tool = ['compute_deadline', 'lookup_case'].find((name) => offered.includes(name));
  if (!RESEARCH.test(request) || caseId === undefined || tool === undefined) return undefined;
  const results = messages.slice(at).flatMap((message) => message.content.flatMap((block) => (block.toolResult ? [textOf(block.toolResult.content)] : [])));
  if (results.length < RESEARCH_TOOL_CALLS) {
    const step = results.length + 1;
    const input = tool === 'compute_deadline' ? { ...SCRIPTED_TOOL_INPUTS.compute_deadline, businessDays: 5 * step } : { caseId };
    return reply([{ text: `Research step ${step} of ${RESEARCH_TOOL_CALLS}: ${tool}.` }, { toolUse: { toolUseId: `call-${serial}`, name: tool, input } }], 'tool_use');
  }
  // A deadline where the tool computed one, else the result's opening.
  const found = results.map((result) => /"deadline":"([^"]+)"/.exec(result)?.[1] ?? result.slice(0, 40));
  return reply([{ text: `Research of ${caseId} done, ${results.length} tool results: ${found.join(', ')}.` }], 'end_turn');
}

/** The memory extractor's prompt (lambda/core/domain/memory-records.ts extractionPrompt) and the recalled records' (memory-recall.ts MEMORY_PREAMBLE). */
const EXTRACTION_PROMPT = 'You keep the long-term memory';
const RECALLED = 'What you remember of this person from earlier sessions';

function systemText(system: unknown): string {
  return Array.isArray(system) ? system.map((block: { text?: string }) => block.text ?? '').join('\n') : '';
}

/** The extraction's answer: what the new events' user lines asked to keep. */
function extracted(prompt: string): string {
  const events = prompt.split('New events, oldest first:\n')[1] ?? '';
  const items = events
    .split('\n')
    .filter((line) => /^\[\d+\] user: /.test(line))
    .flatMap((line) => [
      ...[...line.matchAll(/remember: ([^.]+)/gi)].map((match) => ({ kind: 'fact', text: match[1].trim() })),
      ...[...line.matchAll(/(I prefer [^.]+)/g)].map((match) => ({ kind: 'preference', text: match[1].trim() })),
    ]);
  return JSON.stringify(items);
}

function answer(messages: ConverseMessage[], offered: readonly string[], serial: number, system: unknown = []): unknown {
  const last = messages.at(-1)?.content ?? [];
  const result = last.find((block) => block.toolResult)?.toolResult;
  const text = textOf(last);
  // About four characters a token, as budgets estimate; enough for the session's token accounting.
  const inputTokens = 40 + Math.round(JSON.stringify(messages).length / 4);
  const usage = { inputTokens, outputTokens: 20, totalTokens: inputTokens + 20 };
  const reply: Reply = (content, stopReason) => ({ output: { message: { role: 'assistant', content } }, stopReason, usage, metrics: { latencyMs: 1 } });
  const instructions = systemText(system);
  if (instructions.startsWith(EXTRACTION_PROMPT)) return reply([{ text: extracted(text) }], 'end_turn');
  const researched = research(messages, offered, serial, reply);
  if (researched !== undefined) return researched;
  if (result) return reply([{ text: `The tool answered: ${textOf(result.content)}` }], 'end_turn');
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
  const recalled = instructions.split('\n').find((_line, i, lines) => i > 0 && lines[i - 1].startsWith(RECALLED));
  if (recalled) return reply([{ text: `From an earlier session I remember: ${recalled.replace(/^- /, '')}. You said: ${text}` }], 'end_turn');
  return reply([{ text: `You said: ${text}` }], 'end_turn');
}

type ConverseAnswer = {
  output: { message: { role: string; content: ({ text: string } | { toolUse: { toolUseId: string; name: string; input: unknown } })[] } };
  stopReason: string;
  usage: unknown;
  metrics: unknown;
};

/** Words an event of a streamed text. */
const WORDS_PER_DELTA = 3;

/**
 * The answer as ConverseStream sends it
 * (docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html):
 * message start, each content block (text in pieces, a tool use's input as JSON), message stop, metadata.
 */
function converseStreamEvents(answer: ConverseAnswer): StreamMessage[] {
  const event = (name: string, body: object): StreamMessage => ({ event: name, body: JSON.stringify(body) });
  const events = [event('messageStart', { role: 'assistant' })];
  answer.output.message.content.forEach((block, contentBlockIndex) => {
    if ('text' in block) {
      const words = block.text.split(/(?<= )/);
      for (let at = 0; at < words.length; at += WORDS_PER_DELTA) {
        events.push(event('contentBlockDelta', { contentBlockIndex, delta: { text: words.slice(at, at + WORDS_PER_DELTA).join('') } }));
      }
    } else {
      const { toolUseId, name, input } = block.toolUse;
      events.push(event('contentBlockStart', { contentBlockIndex, start: { toolUse: { toolUseId, name } } }));
      events.push(event('contentBlockDelta', { contentBlockIndex, delta: { toolUse: { input: JSON.stringify(input) } } }));
    }
    events.push(event('contentBlockStop', { contentBlockIndex }));
  });
  events.push(event('messageStop', { stopReason: answer.stopReason }), event('metadata', { usage: answer.usage, metrics: answer.metrics }));
  return events;
}

interface Hold {
  readonly call: number;
  asked: boolean;
  readonly released: Promise<void>;
  release(): void;
}

export async function startScriptedConverseModel(): Promise<ScriptedConverseModel> {
  let calls = 0;
  const requests: { system: unknown; tools: string[] }[] = [];
  const holds: Hold[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = decodeURIComponent((request.url ?? '').split('?')[0]);
      const operation = request.method === 'POST' ? /^\/model\/[^/]+\/(converse|converse-stream)$/.exec(path)?.[1] : undefined;
      if (operation === undefined) {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `the scripted model answers only Converse and ConverseStream, not ${request.method} ${path}` }));
        return;
      }
      calls++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: ConverseMessage[]; system?: unknown; toolConfig?: { tools?: { toolSpec?: { name?: string } }[] } };
      const offered = (body.toolConfig?.tools ?? []).flatMap((tool) => (tool.toolSpec?.name ? [tool.toolSpec.name] : []));
      requests.push({ system: body.system, tools: offered });
      const answered = answer(body.messages, offered, calls, body.system) as ConverseAnswer;
      const hold = holds.find((held) => held.call === calls);
      if (hold) hold.asked = true;
      void (hold?.released ?? Promise.resolve()).then(() =>
        operation === 'converse'
          ? response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answered))
          : response.writeHead(200, { 'content-type': EVENT_STREAM_CONTENT_TYPE }).end(encodeEventStream(converseStreamEvents(answered))),
      );
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    endpoint: listening.endpoint,
    get calls() {
      return calls;
    },
    requests,
    holdAnswer(nth) {
      if (!Number.isSafeInteger(nth) || nth < 1) throw new Error(`holdAnswer: nth must be a whole number ≥ 1, got ${nth}`);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const hold: Hold = { call: calls + nth, asked: false, released, release };
      holds.push(hold);
      return {
        get asked() {
          return hold.asked;
        },
        release,
      };
    },
    async stop() {
      for (const hold of holds) hold.release();
      await listening.close();
    },
  };
}
