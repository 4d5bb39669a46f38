/**
 * The HTTP load server of a site: where the root takes files by HTTP range requests
 * instead of TFTP (CUCM serves its TFTP files over HTTP on port 6970). Named by the
 * configuration's `<loadServerHttp>` or the board's `--http` / `http=` (docs/CONFIG.md).
 */
export interface HttpOrigin {
  /** Base URL the files are under, ending in `/`: `http://10.0.0.1:6970/`. */
  url: string;
  /** No byte for this long gives a connection up (then resumed by range), ms. Default 10 000. */
  timeoutMs?: number;
  /** Connections in a row without a new byte before HTTP is given up for TFTP. Default 3. */
  retries?: number;
  /** Wait before a resume, doubled per failure in a row, ms. Default 100. */
  retryDelayMs?: number;
}

/** CUCM's HTTP port for its TFTP files. */
export const CUCM_HTTP_PORT = 6970;

/**
 * `http://HOST[:PORT][/PATH]`, or `HOST[:PORT]` (port 6970, as CUCM), as the base URL
 * the files are under (always ending in `/`). Returns undefined for anything else
 * (the caller names the setting in its error).
 */
export function httpBaseUrl(text: string): string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(t);
  // HOST[:PORT] alone: a bare IPv6 address gets its brackets, a missing port is CUCM's.
  const bare = /^(\[[^\]]+\]|[^:/]+)(?::(\d+))?$/.exec(t);
  const v6 = !bare && /^[0-9a-f:.]+$/i.test(t) && t.includes('::') ? `[${t}]` : undefined;
  if (!scheme && !bare && !v6) return undefined;
  let u: URL;
  try {
    u = new URL(scheme ? t : `http://${v6 ?? `${bare![1]}:${bare![2] ?? CUCM_HTTP_PORT}`}${v6 ? `:${CUCM_HTTP_PORT}` : ''}/`);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' || u.username || u.password || u.search || u.hash || !u.hostname) return undefined;
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

/** The URL of `file` (a plain name, as every load file is) under the server's base. */
export function fileUrl(origin: HttpOrigin, file: string): string {
  return new URL(encodeURIComponent(file), origin.url).href;
}
