import { partitionOf } from '../residency/region-facts';

/**
 * The session API's invoke URL. A private REST API answers at
 * `https://{apiId}.execute-api.{region}.{dnsSuffix}/{stage}/` through the
 * VPC endpoint's private DNS (or at the endpoint's own DNS name with an
 * `x-apigw-api-id` header); the partition's DNS suffix comes from the
 * region facts, never from a literal here.
 */
export function invokeUrlOf(apiId: string, region: string, stage = 'v1'): string {
  const partition = partitionOf(region);
  if (!partition) throw new Error(`region ${region} is not one this kit knows (lib/residency/region-facts.ts); pass the API's URL with --url instead`);
  if (!/^[a-z0-9]{10}$/.test(apiId)) throw new Error(`"${apiId}" is not an API Gateway REST API id (10 lowercase letters and digits)`);
  return `https://${apiId}.execute-api.${region}.${partition.dnsSuffix}/${stage}/`;
}

/** The region an execute-api host names (`{id}.execute-api.{region}.…`), if it is one. */
export function regionOfInvokeUrl(url: URL): string | undefined {
  return /^[^.]+\.execute-api\.([a-z0-9-]+)\./.exec(url.hostname)?.[1];
}

/**
 * The region to sign for: the one given, which must agree with the URL's
 * when the URL names one (a GovCloud API signed for a commercial region is
 * refused by API Gateway with a bare 403), else the URL's.
 */
export function signingRegionFor(url: URL, region: string | undefined): string {
  const named = regionOfInvokeUrl(url);
  if (region && named && region !== named) {
    throw new Error(`the API's URL is in ${named} but the region given is ${region}: a signature is valid only in the API's own region`);
  }
  const chosen = region ?? named;
  if (!chosen) throw new Error(`${url.host} names no region: give the API's region (--region, or AWS_REGION)`);
  return chosen;
}
