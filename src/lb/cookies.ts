/**
 * ALB's stickiness cookies: AWSALB (lb_cookie, names the target), AWSALBAPP-0 (app_cookie, names
 * the target next to the application's own cookie) and AWSALBTG (target group stickiness, names
 * the group). Their values are opaque to clients: base64url of what they name and when they
 * expire, with an HMAC so a client cannot steer itself to an arbitrary target.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Parses a Cookie header (or several) into name -> value (first occurrence wins). */
export function parseCookies(header: string | string[] | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const line of Array.isArray(header) ? header : [header]) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const name = part.slice(0, eq).trim();
      if (name && !cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
    }
  }
  return cookies;
}

/** Seals `payload` until `expiresAtMs` (wall clock). */
export function sealCookie(secret: Buffer, payload: string, expiresAtMs: number): string {
  const body = Buffer.from(`${Math.round(expiresAtMs)}\n${payload}`).toString('base64url');
  return `${body}.${sign(secret, body)}`;
}

/** The payload of a sealed value when its signature holds and it has not expired; otherwise undefined. */
export function openCookie(secret: Buffer, value: string | undefined, nowMs: number): string | undefined {
  if (!value) return undefined;
  const dot = value.lastIndexOf('.');
  if (dot < 0) return undefined;
  const body = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(sign(secret, body));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const text = Buffer.from(body, 'base64url').toString();
  const nl = text.indexOf('\n');
  if (nl < 0 || Number(text.slice(0, nl)) < nowMs) return undefined;
  return text.slice(nl + 1);
}

/** A Set-Cookie header value with ALB's attributes. */
export function setCookieHeader(name: string, value: string, expiresAtMs: number, sameSiteNone = false): string {
  const expires = new Date(expiresAtMs).toUTCString();
  return `${name}=${value}; Expires=${expires}; Path=/${sameSiteNone ? '; SameSite=None; Secure' : ''}`;
}

function sign(secret: Buffer, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url').slice(0, 22);
}
