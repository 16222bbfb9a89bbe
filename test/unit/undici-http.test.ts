import { describe, expect, it } from 'vitest';
import { failureOf } from '../../src/proxy/engines/undici-http.js';
import { websocketFailureOf } from '../../src/proxy/engines/http-proxy-websocket.js';

const error = (code: string): Error => Object.assign(new Error(code), { code });

describe('the undici engine, mapping its errors onto our failure codes', () => {
  it('calls a refused connect, a connect timeout and a closed pool refused: nothing reached the instance', () => {
    for (const code of ['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED']) expect(failureOf(error(code), false), code).toEqual({ code: 'refused', detail: code });
  });

  it('calls a broken connection a reset before or after the response, by whether the answer had begun', () => {
    for (const code of ['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'HPE_INVALID_CONSTANT']) {
      expect(failureOf(error(code), false).code, code).toBe('reset-before-response');
      expect(failureOf(error(code), true).code, code).toBe('reset-after-response');
    }
  });

  it('calls missing headers a timeout, and a body gone silent mid-answer a reset after the response', () => {
    expect(failureOf(error('UND_ERR_HEADERS_TIMEOUT'), false)).toEqual({ code: 'timeout', detail: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(failureOf(error('UND_ERR_BODY_TIMEOUT'), true)).toEqual({ code: 'reset-after-response', detail: 'UND_ERR_BODY_TIMEOUT' });
  });

  it('names an error without a code by its message', () => {
    expect(failureOf(new Error('other side closed'), false)).toEqual({ code: 'reset-before-response', detail: 'other side closed' });
  });
});

describe('the WebSocket engine, mapping its errors onto our failure codes', () => {
  it('calls a refused connect refused, and any other error a reset before or after the 101', () => {
    expect(websocketFailureOf(error('ECONNREFUSED'), false).code).toBe('refused');
    expect(websocketFailureOf(error('ECONNRESET'), false).code).toBe('reset-before-response');
    expect(websocketFailureOf(error('ECONNRESET'), true).code).toBe('reset-after-response');
  });
});
