/**
 * What the local HTTP server and MQTT over WebSocket accept from a browser. Neither has authentication:
 * binding to loopback is the boundary (DESIGN.md §7). A browser on this machine crosses it on behalf of
 * any web page it shows, two ways:
 *
 * - DNS rebinding: a page of evil.example re-resolves its own name to 127.0.0.1 and then reads the API as
 *   its own origin. While bound to loopback, only loopback host names are served (the Host header).
 * - Cross-site requests: any page may POST to http://127.0.0.1:5000 without a preflight (a text/plain
 *   body acknowledges an alarm) and open a WebSocket to /mqtt (WebSockets know no CORS) to publish
 *   readings or read every topic. A request that changes something, and every WebSocket, is refused when
 *   its Origin is another site's: not this origin, not a loopback page, not a configured CORS origin.
 *
 * Clients that are not browsers (curl, SDKs, devices) send no Origin and are not affected.
 */
import type { Duplex } from 'node:stream';

/** A host name or address that is this machine (RFC 6761 reserves *.localhost for loopback). */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return (
    name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^(?:::ffff:)?127\./.test(name)
  );
}

/** host, host:port, [v6] or [v6]:port, as a Host header carries it. */
const HOST_HEADER = /^(?<name>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?<port>\d{1,5}))?$/;

/**
 * Why a request's Host header is refused, if it is: 400 when it is not a host at all (the function would
 * fail building its URL), 403 when the server is bound to loopback and the name is not loopback.
 */
export function hostRefusal(host: string | undefined, boundHost: string): 400 | 403 | undefined {
  if (host === undefined) return undefined;
  const match = HOST_HEADER.exec(host);
  if (match === null || Number(match.groups?.port ?? 0) > 65_535) return 400;
  if (isLoopback(boundHost) && !isLoopback(match.groups?.name as string)) return 403;
  return undefined;
}

/** Whether a browser's Origin is another site's (see the module comment); no Origin is no browser. */
export function isCrossSite(
  origin: string | undefined,
  host: string | undefined,
  allowedOrigins: readonly string[] = [],
): boolean {
  if (origin === undefined) return false;
  if (allowedOrigins.includes('*') || allowedOrigins.includes(origin)) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    // "null" (a sandboxed frame, a file: page) or garbage.
    return true;
  }
  return url.host.toLowerCase() !== host?.toLowerCase() && !isLoopback(url.hostname);
}

/** Methods that change nothing: a cross-site one is harmless (CORS keeps its answer from the page). */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Refuses a WebSocket upgrade with a 403 on the raw socket. */
export function refuseUpgrade(socket: Duplex): void {
  const body = JSON.stringify({ message: 'Forbidden' });
  socket.end(
    `HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
