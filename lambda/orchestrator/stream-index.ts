import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiDepsFromEnv } from './deps-from-env';
import { createStreamingHandler, type OpenResponse } from './stream-handler';

/**
 * The streaming orchestrator's entry: the orchestrator's code and
 * environment, wrapped in Lambda's response streaming
 * (docs.aws.amazon.com/lambda/latest/dg/response-streaming-tutorial.html).
 * `awslambda` is a global of Lambda's Node.js runtime; `HttpResponseStream.from`
 * writes the status and headers API Gateway reads before the body.
 */
interface LambdaStreamingRuntime {
  streamifyResponse(handler: (event: APIGatewayProxyEvent, responseStream: NodeJS.WritableStream) => Promise<void>): unknown;
  HttpResponseStream: { from(stream: NodeJS.WritableStream, metadata: { statusCode: number; headers: Record<string, string> }): NodeJS.WritableStream };
}

const awslambda = (globalThis as { awslambda?: LambdaStreamingRuntime }).awslambda;
if (!awslambda) throw new Error("the streaming orchestrator runs in Lambda's Node.js runtime, which provides awslambda.streamifyResponse; this process has none");

const stream = createStreamingHandler(apiDepsFromEnv());

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const open: OpenResponse = (metadata) => {
    const body = awslambda.HttpResponseStream.from(responseStream, { statusCode: metadata.statusCode, headers: { ...metadata.headers } });
    return { write: (chunk) => void body.write(chunk), end: () => void body.end() };
  };
  await stream(event, open);
});
