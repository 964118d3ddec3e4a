/**
 * Responses the load balancer makes itself (errors, redirects), in ALB's style: a small HTML page
 * naming the status, `Server: awselb/2.0`, and a Content-Length so keep-alive carries on.
 */
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';

/** ALB's reason phrases where they differ from node's (ALB's pages use nginx's wording). */
const ALB_REASONS: Record<number, string> = {
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Large',
};

/** The reason phrase ALB uses for `status`. */
export function reasonPhrase(status: number): string {
  return ALB_REASONS[status] ?? STATUS_CODES[status] ?? '';
}

/** ALB's HTML body for `status` (e.g. "502 Bad Gateway"). */
export function errorPage(status: number): string {
  const title = `${status} ${reasonPhrase(status)}`.trim();
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`;
}

/** Writes an LB-made response unless headers were already sent (then the connection is cut). */
export function sendElbResponse(
  res: ServerResponse,
  status: number,
  options: { body?: string; contentType?: string; headers?: Record<string, string>; close?: boolean } = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = options.body ?? errorPage(status);
  const headers: Record<string, string | number> = {
    Server: 'awselb/2.0',
    'Content-Type': options.contentType ?? 'text/html',
    'Content-Length': Buffer.byteLength(body),
    ...options.headers,
  };
  if (options.close) headers.Connection = 'close';
  res.writeHead(status, reasonPhrase(status), headers);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** A raw HTTP/1.1 response that closes the connection, for when node has no response object (parse errors, timeouts). */
export function rawResponse(status: number): string {
  const body = errorPage(status);
  return (
    `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nServer: awselb/2.0\r\nContent-Type: text/html\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
