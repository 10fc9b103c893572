import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, toApiRequest } from '../../src/api/functions-host';
import { errorResponse, RequestTooLargeError } from '../../src/api/http';

function post(body: string, headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({ method: 'POST', url: 'http://ctl.example/api/rollouts', body: { string: body }, headers });
}

describe('toApiRequest body limit', () => {
  it('reads bodies up to the limit, byte-exact (multi-byte characters count as bytes)', async () => {
    const atLimit = 'é'.repeat(MAX_BODY_BYTES / 2);
    expect((await toApiRequest(post(atLimit))).bodyText).toBe(atLimit);
    await expect(toApiRequest(post(`${atLimit}x`))).rejects.toBeInstanceOf(RequestTooLargeError);
  });

  it('refuses on the declared length before reading, and measures a body sent without one', async () => {
    await expect(toApiRequest(post('{}', { 'content-length': String(MAX_BODY_BYTES + 1) }))).rejects.toBeInstanceOf(RequestTooLargeError);
    await expect(toApiRequest(post('x'.repeat(MAX_BODY_BYTES + 1)))).rejects.toBeInstanceOf(RequestTooLargeError);
  });

  it('answers 413 naming the limit and the size', () => {
    const response = errorResponse(new RequestTooLargeError(MAX_BODY_BYTES, 2_000_000));
    expect(response.status).toBe(413);
    expect(response.jsonBody).toEqual({
      error: {
        code: 'PayloadTooLarge',
        field: 'body',
        message: "body: is 2000000 bytes; this API accepts at most 1048576 bytes (1 MB, Event Grid's own limit for a batch of events)",
      },
    });
  });
});
