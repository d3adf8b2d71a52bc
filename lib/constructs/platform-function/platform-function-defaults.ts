import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/** Secure defaults of PlatformFunction, named so a fork can audit them. */

/** Newest Node.js runtime in both partitions (aws-cdk-lib LATEST_NODE_RUNTIME for aws-us-gov). */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** x86_64: arm64 Lambda in GovCloud is unverified (region facts). */
export const FUNCTION_ARCHITECTURE = lambda.Architecture.X86_64;
/** SI-4/AU-12: X-Ray traces every invocation. */
export const FUNCTION_TRACING = lambda.Tracing.ACTIVE;
/** TEXT: JSON log format is unavailable in GovCloud; Powertools writes one JSON object per line anyway. */
export const FUNCTION_LOG_FORMAT = lambda.LoggingFormat.TEXT;
export const FUNCTION_MEMORY_MB = 1024;
export const FUNCTION_TIMEOUT = Duration.seconds(30);
/** SC-5: a function cannot take the account's whole concurrency. */
export const FUNCTION_RESERVED_CONCURRENCY = 50;

/**
 * esbuild: one CommonJS file with the SDK inside (versions pinned by our
 * lockfile, not the runtime's), targeting Node 20 so it runs on the build
 * machines and on nodejs22.x/24.x. `mainFields` puts a package's ES module
 * build (`module`) before its CommonJS one (`main`): esbuild drops what a
 * function does not import from an ES module, so the SDK clients weigh about
 * a third less and their modules initialize faster (bench:bundle). Packages
 * with an `exports` map resolve through it whatever this says.
 */
export const FUNCTION_BUNDLING: nodejs.BundlingOptions = {
  target: 'node20',
  format: nodejs.OutputFormat.CJS,
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Typed errors are matched by class name in logs; keep names through minification.
  keepNames: true,
  externalModules: [],
  logLevel: nodejs.LogLevel.ERROR,
};

/** What Lambda needs to attach a function to the VPC; none supports resource-level permissions. */
export const FUNCTION_VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];
