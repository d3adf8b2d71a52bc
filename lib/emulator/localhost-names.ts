import dns from 'node:dns';

/**
 * Resolve every `*.localhost` name to 127.0.0.1 in this process, as RFC 6761
 * (section 6.3) says such names resolve; glibc without systemd-resolved does
 * not. The deployed SDK clients need it against local endpoints: Step
 * Functions' StartSyncExecution prefixes its host with `sync-` (so
 * `sfn.localhost` becomes `sync-sfn.localhost`), and S3 addresses buckets as
 * `<bucket>.localhost`. Node's http, https and fetch all look names up through
 * `dns.lookup`. Returns the undo.
 */
export function resolveLocalhostNamesToLoopback(): () => void {
  const original = dns.lookup;
  const patched = function lookup(hostname: string, options: unknown, callback?: unknown): void {
    const [opts, done] = typeof options === 'function' ? [{}, options] : [options ?? {}, callback];
    if (/\.localhost\.?$/i.test(hostname)) {
      const all = typeof opts === 'object' && (opts as { all?: boolean }).all === true;
      const answer = done as (...args: unknown[]) => void;
      process.nextTick(() => (all ? answer(null, [{ address: '127.0.0.1', family: 4 }]) : answer(null, '127.0.0.1', 4)));
      return;
    }
    (original as (...args: unknown[]) => void).call(dns, hostname, opts, done);
  };
  (dns as { lookup: unknown }).lookup = patched;
  return () => {
    (dns as { lookup: unknown }).lookup = original;
  };
}
