import { describe, expect, it } from 'vitest';
import { buildMaintenanceView, DEFAULT_MAINTENANCE_MESSAGE, maintenanceGate, type GateRequest } from '../../src/proxy/maintenance-gate.js';
import { bypassMatches, cookieValue, maintenanceBypass, withoutBypassCookie } from '../../src/proxy/maintenance-bypass.js';
import { maintenanceBody } from '../../src/proxy/maintenance-answer.js';
import type { MaintenanceRecord } from '../../src/state/state-types.js';

const record: MaintenanceRecord = { message: 'Back at 14:00', pageSha256: 'f'.repeat(64), pageBytes: 18, pageFile: 'down.html', retryAfterS: 120, since: '2026-01-01T00:00:00.000Z', actor: 'test' };
const PAGE = Buffer.from('<h1>Back soon</h1>');
const view = buildMaintenanceView(record, PAGE)!;
const bypass = maintenanceBypass('the-admin-token');
const get = (url: string, extra: Partial<GateRequest> = {}): GateRequest => ({ method: 'GET', url, cookie: undefined, bypassHeader: undefined, ...extra });
const gate = (request: GateRequest) => maintenanceGate(request, view, bypass, '/AppRun.json');

describe('maintenance gate, rule by rule', () => {
  it('lets every request through while maintenance is off', () => {
    expect(maintenanceGate(get('/orders'), null, bypass, '/AppRun.json')).toBeNull();
    expect(maintenanceGate(get('/orders'), undefined, bypass, '/AppRun.json')).toBeNull();
  });

  it('answers every other public request with the maintenance decision, the same object each time', () => {
    expect(gate(get('/'))).toBe(view.decision);
    expect(gate({ ...get('/echo'), method: 'POST' })).toBe(view.decision);
    expect(gate(get('/_slots/a/x'))).toBe(view.decision);
    expect(gate(get('/_app/1.0.0/files.json'))).toBe(view.decision);
  });

  it('lets GET and HEAD of the manifest through (it carries the notice), with or without a query, but not a POST', () => {
    expect(gate(get('/AppRun.json'))).toBeNull();
    expect(gate({ ...get('/AppRun.json?x=1'), method: 'HEAD' })).toBeNull();
    expect(gate({ ...get('/AppRun.json'), method: 'POST' })).toBe(view.decision);
  });

  it('lets a request with the bypass header through, and refuses a wrong or truncated value', () => {
    expect(gate(get('/', { bypassHeader: bypass }))).toBeNull();
    expect(gate(get('/', { bypassHeader: bypass.slice(1) }))).toBe(view.decision);
    expect(gate(get('/', { bypassHeader: maintenanceBypass('another-token') }))).toBe(view.decision);
  });

  it('lets a request with the bypass cookie through among other cookies', () => {
    expect(gate(get('/', { cookie: `theme=dark; slotswap_bypass=${bypass}; lang=en` }))).toBeNull();
    expect(gate(get('/', { cookie: `slotswap_bypass=nope` }))).toBe(view.decision);
    expect(gate(get('/', { cookie: `other_slotswap_bypass=${bypass}` }))).toBe(view.decision);
  });

  it('refuses a bypass value of the right length with a byte beyond ASCII, as any wrong value, without throwing', () => {
    // Node decodes header bytes as latin1: 0xE9 is one character here but two bytes in UTF-8.
    const accented = `\u00e9${bypass.slice(1)}`;
    expect(bypassMatches(accented, bypass)).toBe(false);
    expect(gate(get('/', { bypassHeader: accented }))).toBe(view.decision);
    expect(gate(get('/', { cookie: `slotswap_bypass=${accented}` }))).toBe(view.decision);
  });

  it('lets no request bypass when the proxy knows no bypass value', () => {
    expect(maintenanceGate(get('/', { bypassHeader: bypass }), view, null, '/AppRun.json')).toBe(view.decision);
  });
});

describe('maintenance view', () => {
  it('prepares the answers once per record: the JSON names the error and the message', () => {
    expect(buildMaintenanceView(record, PAGE)).toBe(view);
    expect(JSON.parse(view.json.toString())).toEqual({ error: 'maintenance', message: 'Back at 14:00', retryAfterS: 120 });
    expect(view.retryAfter).toBe('120');
    expect(view.page?.toString()).toBe('<h1>Back soon</h1>');
  });

  it('shows the default message when none was given', () => {
    const plain = buildMaintenanceView({ ...record, message: null, pageSha256: null, pageBytes: null }, null)!;
    expect(plain.message).toBe(DEFAULT_MAINTENANCE_MESSAGE);
    expect(plain.page).toBeNull();
  });
});

describe('maintenance bypass value', () => {
  it('is 64 hex characters derived from the token, the same for the same token, another for another', () => {
    expect(bypass).toMatch(/^[0-9a-f]{64}$/);
    expect(maintenanceBypass('the-admin-token')).toBe(bypass);
    expect(maintenanceBypass('the-admin-token2')).not.toBe(bypass);
    expect(bypass).not.toContain('the-admin-token');
  });

  it('matches only the exact value', () => {
    expect(bypassMatches(bypass, bypass)).toBe(true);
    expect(bypassMatches(undefined, bypass)).toBe(false);
    expect(bypassMatches(bypass, null)).toBe(false);
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(cookieValue('a=1; b=2', 'b')).toBe('2');
    expect(cookieValue('a=1', 'b')).toBeUndefined();
    expect(cookieValue(undefined, 'b')).toBeUndefined();
  });
});

describe('maintenance answer body', () => {
  it('gives the page to a browser that names HTML, when there is a page', () => {
    expect(maintenanceBody('text/html,application/xhtml+xml,*/*;q=0.8', true)).toBe('html');
    expect(maintenanceBody('text/html,application/xhtml+xml,*/*;q=0.8', false)).toBe('json');
  });

  it('gives JSON to a client that sends no Accept, JSON, or anything', () => {
    expect(maintenanceBody(undefined, true)).toBe('json');
    expect(maintenanceBody('application/json', true)).toBe('json');
    expect(maintenanceBody('*/*', true)).toBe('json');
    expect(maintenanceBody('application/problem+json', false)).toBe('json');
  });

  it('gives plain text to a client that takes neither, and honours q=0', () => {
    expect(maintenanceBody('text/plain', true)).toBe('text');
    expect(maintenanceBody('text/html;q=0, text/plain', true)).toBe('text');
    expect(maintenanceBody('image/png', false)).toBe('text');
  });
});

describe('the Cookie header an app is sent', () => {
  it('keeps every cookie but the bypass, in order, and is dropped when only the bypass was there', () => {
    expect(withoutBypassCookie('lang=en; slotswap_bypass=abc; theme=dark')).toBe('lang=en; theme=dark');
    expect(withoutBypassCookie('slotswap_bypass=abc')).toBeNull();
    expect(withoutBypassCookie('lang=en')).toBe('lang=en');
    expect(withoutBypassCookie('slotswap_bypass_other=1; lang=en')).toBe('slotswap_bypass_other=1; lang=en');
  });
});
