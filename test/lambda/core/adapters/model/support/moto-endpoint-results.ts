import type { MotoServer } from '../../../../../helpers/moto';

/**
 * moto's SageMaker runtime answers InvokeEndpoint from a queue of results,
 * filled through its API (moto/moto_api/_internal/responses.py
 * `set_sagemaker_result`; moto/sagemakerruntime/models.py `invoke_endpoint`).
 * No endpoint needs to exist. moto remembers the result per endpoint and
 * request (headers and body): the same request gets the same answer, a new
 * one takes the next result from the queue.
 */
export interface EndpointResult {
  readonly Body: string;
  readonly ContentType?: string;
  readonly InvokedProductionVariant?: string;
  readonly CustomAttributes?: string;
}

export async function queueEndpointResults(moto: Pick<MotoServer, 'endpoint'>, results: readonly EndpointResult[]): Promise<void> {
  const response = await fetch(`${moto.endpoint}/moto-api/static/sagemaker/endpoint-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      account_id: '123456789012',
      region: 'us-east-1',
      results: results.map((result) => ({ ContentType: 'application/json', ...result })),
    }),
  });
  if (response.status !== 201) throw new Error(`moto refused the endpoint results: HTTP ${response.status}`);
}
