import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApprovalLinkError, type ApprovalLinkProblem } from '../../src/approvals/approval-links';
import { errorResponse, RequestTooLargeError } from '../../src/api/http';
import { RolloutError, ValidationError, type ErrorCode } from '../../src/errors';

/** docs/api.md's table of codes: `| \`Code\` | status |`. */
function documentedCodes(): Map<string, number> {
  const text = readFileSync(path.resolve(__dirname, '../../docs/api.md'), 'utf8');
  return new Map([...text.matchAll(/^\| `(\w+)` *\| (\d{3}) *\|$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

describe('error codes', () => {
  it('each code the API answers with has one status, the one docs/api.md lists', () => {
    const documented = documentedCodes();
    expect(documented.size).toBeGreaterThanOrEqual(12);
    for (const [code, status] of documented) {
      const response = errorResponse(new RolloutError(code as ErrorCode, 'x'));
      expect([code, response.status]).toEqual([code, status]);
      expect(response.jsonBody).toEqual({
        error: { code, message: status === 500 ? 'internal error; see the server log for details' : 'x' },
      });
    }
  });

  it('special errors keep the code that matches their status', () => {
    const tooLarge = errorResponse(new RequestTooLargeError(10, 11));
    expect([tooLarge.status, (tooLarge.jsonBody as { error: { code: string; field: string } }).error]).toEqual([
      413,
      expect.objectContaining({ code: 'PayloadTooLarge', field: 'body' }),
    ]);
    const invalid = errorResponse(new ValidationError('body.by', 'is not a string'));
    expect([invalid.status, (invalid.jsonBody as { error: { code: string } }).error.code]).toEqual([400, 'InvalidInput']);
    const documented = documentedCodes();
    const problems: Record<ApprovalLinkProblem, number> = {
      malformed: 400,
      identity: 400,
      tampered: 403,
      notAnApprover: 403,
      notConfigured: 404,
      expired: 410,
      replayed: 409,
      wrongStep: 409,
      ended: 409,
    };
    for (const [problem, status] of Object.entries(problems)) {
      const error = new ApprovalLinkError(problem as ApprovalLinkProblem, 'x');
      expect([problem, errorResponse(error).status, documented.get(error.code)]).toEqual([problem, status, status]);
    }
  });
});
