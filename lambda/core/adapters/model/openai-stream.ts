import * as z from 'zod';
import type { ToolCall } from '../../ports/model-backend';
import { malformedReply } from './model-errors';
import { parseJson, toolArgumentsSchema, toToolCall, toTokenUsage, usageSchema } from './openai-chat';
import type { ParsedReply } from './reply-usage';
import { describeZodIssues } from './zod-issues';

/**
 * Assembles a streamed chat completion from the bytes of
 * InvokeEndpointWithResponseStream's PayloadParts. Parts split lines (and
 * UTF-8 characters) anywhere, so bytes are buffered up to each newline.
 *
 * Each line is one chunk: `data: {chat.completion.chunk}` (server-sent events,
 * as TGI and LMI's OpenAI-compatible output send them) or a bare JSON line
 * (LMI's jsonlines output). `data: [DONE]`, comments (`:`) and other SSE
 * fields are skipped. Text deltas are concatenated; tool-call deltas are
 * merged by `index`, their `arguments` pieces concatenated.
 */

const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int().nonnegative(),
                  id: z.string().nullish(),
                  function: z.object({ name: z.string().nullish(), arguments: toolArgumentsSchema }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
      }),
    )
    .nullish(),
  usage: usageSchema.nullish(),
  /** TGI reports a failure after the stream has started as a chunk with an error. */
  error: z.unknown().optional(),
});

interface PartialToolCall {
  id?: string;
  name?: string;
  /** Concatenated argument pieces, or the object TGI sends whole. */
  arguments: string | Record<string, unknown>;
}

export class ChatCompletionStreamAssembler {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private pending = '';
  private text = '';
  private usage: z.infer<typeof usageSchema> | undefined;
  private readonly toolCalls = new Map<number, PartialToolCall>();

  constructor(
    private readonly operation: string,
    /** Each text delta as it is assembled (ChatOptions.onText). */
    private readonly onText?: (delta: string) => void,
  ) {}

  /** Feeds the bytes of one PayloadPart. */
  push(bytes: Uint8Array): void {
    this.pending += this.decoder.decode(bytes, { stream: true });
    let newline = this.pending.indexOf('\n');
    while (newline >= 0) {
      this.line(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf('\n');
    }
  }

  /** Ends the stream (a last line needs no newline) and returns the whole reply. */
  finish(): ParsedReply {
    this.pending += this.decoder.decode();
    this.line(this.pending);
    this.pending = '';
    const toolCalls: ToolCall[] = [...this.toolCalls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call], position) => {
        if (!call.id || !call.name) {
          throw malformedReply(this.operation, `streamed tool call at index ${index} has no id or no name`);
        }
        return toToolCall(this.operation, position, call.id, call.name, call.arguments);
      });
    return { text: this.text, toolCalls, usage: toTokenUsage(this.usage) };
  }

  private line(raw: string): void {
    const line = raw.trim();
    if (line === '' || line.startsWith(':')) return;
    let payload: string;
    if (line.startsWith('data:')) payload = line.slice('data:'.length).trim();
    else if (line.startsWith('{')) payload = line;
    else return; // event:, id:, retry: carry nothing the reply needs.
    if (payload === '[DONE]') return;

    const parsed = chunkSchema.safeParse(parseJson(this.operation, payload, 'a streamed chunk is not JSON'));
    if (!parsed.success) {
      throw malformedReply(this.operation, `a streamed chunk is not a chat.completion.chunk (${describeZodIssues(parsed.error)})`, parsed.error);
    }
    const chunk = parsed.data;
    if (chunk.error !== undefined && chunk.error !== null) {
      throw malformedReply(this.operation, 'the model reported an error in the stream');
    }
    if (chunk.usage) this.usage = chunk.usage;
    const delta = chunk.choices?.[0]?.delta;
    if (!delta) return;
    if (delta.content) {
      this.text += delta.content;
      this.onText?.(delta.content);
    }
    for (const piece of delta.tool_calls ?? []) this.mergeToolCall(piece);
  }

  private mergeToolCall(piece: {
    index: number;
    id?: string | null;
    function?: { name?: string | null; arguments?: string | Record<string, unknown> | null } | null;
  }): void {
    const call = this.toolCalls.get(piece.index) ?? { arguments: '' };
    if (piece.id) call.id = piece.id;
    if (piece.function?.name) call.name = piece.function.name;
    const args = piece.function?.arguments;
    if (typeof args === 'string') {
      if (typeof call.arguments !== 'string') {
        throw malformedReply(this.operation, `streamed tool call at index ${piece.index} mixes argument forms`);
      }
      call.arguments += args;
    } else if (args) {
      call.arguments = args;
    }
    this.toolCalls.set(piece.index, call);
  }
}
