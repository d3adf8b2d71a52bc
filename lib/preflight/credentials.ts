import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { describeError } from './probes';

/**
 * Preflight asks the account with the caller's credentials, found by the
 * SDK's default chain (environment, SSO, profile files, process, container
 * and instance metadata: docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/setting-credentials-node.html).
 * Without them nothing can be asked, so preflight says so once and stops.
 */

export type FoundCredentials = { readonly provider: AwsCredentialIdentityProvider } | { readonly missing: string };

/** The chain resolved once, up front; its clients then reuse the one provider. */
export async function findCredentials(provider: AwsCredentialIdentityProvider = fromNodeProviderChain()): Promise<FoundCredentials> {
  try {
    await provider();
    return { provider };
  } catch (error) {
    return { missing: (error as Error).message.replace(/\s+/g, ' ').trim() };
  }
}

/** The one line preflight prints when the chain finds nothing: what is missing and how to give it. */
export function noCredentialsLine(reason: string): string {
  return (
    `Preflight has no AWS credentials (${reason}), so it asked nothing. ` +
    'Give it credentials of the target account as for the AWS CLI: AWS_PROFILE=<profile> after `aws configure` or `aws sso login`, ' +
    'or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); a GovCloud target needs GovCloud credentials.'
  );
}

/** Who the credentials are in a target's region, or why its STS refused them (e.g. commercial credentials in GovCloud). */
export type CallerIdentity = { readonly account: string; readonly arn: string } | { readonly refused: string };

export async function callerIdentity(sts: STSClient): Promise<CallerIdentity> {
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    return { account: identity.Account ?? 'unknown', arn: identity.Arn ?? 'unknown' };
  } catch (error) {
    return { refused: describeError(error) };
  }
}
