import type { GatewayAccessEntry } from './local-gateway';

/**
 * The local gateway's access log in a transcript: each step's line, then
 * the requests the step made as the gateway saw them (status, method,
 * resource, and the caller whose SigV4 signature it verified, or why it
 * refused the request before any function ran). Identical requests of a step
 * (a poll, a retry) show once, counted.
 */
export class GatewayLog {
  /** Every request, in the order the gateway answered them. */
  readonly entries: GatewayAccessEntry[] = [];
  private pending: GatewayAccessEntry[] = [];

  constructor(private readonly log: (line: string) => void) {}

  /** The gateway's `onRequest`. */
  readonly record = (entry: GatewayAccessEntry): void => {
    this.entries.push(entry);
    this.pending.push(entry);
  };

  /** A step's line, then the requests since the last step. */
  step(line: string): void {
    this.log(line);
    const counts = new Map<string, number>();
    for (const entry of this.pending) {
      const line = `${entry.status} ${entry.method} ${entry.resource ?? entry.path} · ${
        entry.caller ? `SigV4 verified: ${entry.caller}` : `refused by the gateway (${entry.errorType}): no function ran`
      }`;
      counts.set(line, (counts.get(line) ?? 0) + 1);
    }
    for (const [request, count] of counts) this.log(`      gateway ${count > 1 ? `${count} × ` : ''}${request}`);
    this.pending = [];
  }
}
