/**
 * GET /api/approvals/{token}: a confirmation page (what is being decided, the evidence, a button).
 * POST /api/approvals/{token}: the decision itself.
 *
 * Why not act on GET: mail and chat clients (Outlook Safe Links, Teams and Slack unfurlers) fetch
 * links before a person clicks them; a GET that approved would approve on their behalf and burn the
 * single use. The page's form POSTs back to the same URL (no key needed: the signature is the
 * credential, limited to one rollout, one step, one decision, until its expiry, once).
 *
 * Refusals, each with a clear page (or JSON when asked): malformed 400, tampered 403, expired 410,
 * replayed / wrong step / rollout ended 409, links not configured 404, a signed-in caller who is not
 * an approver of the rollout 403 (checked before the link is spent, so the real approver's link
 * still works).
 */
import { randomUUID } from 'node:crypto';
import { RolloutError } from '../errors';
import { ORCHESTRATOR_NAME } from '../orchestration/events';
import type { RolloutStatus } from '../plan/types';
import { describeStepStatus, describeWait, formatTraffic, stepPosition } from '../plan/describe';
import { annotatedComment, authenticate, identityRecord, isAllowed, type Caller } from './auth';
import { APPROVAL_LEDGER_ENTITY, CLAIM_OPERATION, type LedgerState, type LinkClaim } from './approval-ledger';
import {
  ApprovalLinkError,
  dashboardUrl,
  verifyApprovalToken,
  type ApprovalLinkClaims,
  type ApprovalLinkProblem,
} from '../approvals/approval-links';
import type { ApiDeps } from './deps';
import { errorResponse, escapeHtml, html, json, type ApiRequest, type ApiResponse } from './http';
import { raiseApproval } from './rollouts';
import { approvalWait } from './approval-wait';
import { describeGate } from '../analysis/describe';
import { readRolloutStatus } from './status-view';

function wantsJson(request: ApiRequest): boolean {
  const accept = request.header('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

function page(title: string, bodyHtml: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}h1{font-size:1.4rem}
.facts td{padding:.2rem .8rem .2rem 0;vertical-align:top}.ok{color:#1a7f37}.bad{color:#cf222e}
button{font-size:1rem;padding:.5rem 1.2rem;border-radius:6px;border:1px solid #888;cursor:pointer}
.approve{background:#1a7f37;color:#fff}.reject{background:#cf222e;color:#fff}textarea,input{width:100%;box-sizing:border-box;margin:.3rem 0 1rem}
.identity{padding:.5rem;border-radius:6px}.claimed{background:#fff8c5;border:1px solid #d4a72c}.verified{background:#dafbe1;border:1px solid #1a7f37}
.evidence{font-family:ui-monospace,monospace;font-size:.85rem;white-space:pre-wrap;background:#f6f8fa;padding:.6rem;border-radius:6px}</style></head>
<body>${bodyHtml}</body></html>`;
}

/** What a person sees for each refusal: what happened, in one heading. */
const REFUSAL_HEADING: Readonly<Record<ApprovalLinkProblem, string>> = {
  malformed: 'This is not an approval link',
  tampered: 'This approval link is not valid',
  expired: 'This approval link has expired',
  replayed: 'This approval request was already answered',
  wrongStep: 'This approval link is out of date',
  ended: 'This rollout has ended',
  notConfigured: 'Approval links are turned off',
  identity: 'Say who you are',
  notAnApprover: 'You are not an approver of this rollout',
};

function dashboardLink(deps: ApiDeps, rolloutId: string | undefined): string {
  return dashboardUrl(deps.links.publicBaseUrl, rolloutId);
}

/**
 * The rollout as it is now, for a refused link's page (best effort: the refusal stands without it).
 * It says what the rollout really does next, read from its status, not promised by the page.
 */
async function rolloutNow(deps: ApiDeps, claims: ApprovalLinkClaims): Promise<{ line: string; waitsForThis: boolean; people: string[] }> {
  try {
    const instance = await deps.client.getStatus(claims.rolloutId);
    if (!instance || instance.name !== ORCHESTRATOR_NAME)
      return { line: `Rollout ${claims.rolloutId} no longer exists.`, waitsForThis: false, people: [] };
    const status = readRolloutStatus(instance);
    const access = status ? await deps.policies.getAccess(status.policy) : undefined;
    const people = [...new Set([...(access?.approvers ?? []), ...(access?.operators ?? [])])];
    const wait = approvalWait(instance, status);
    switch (wait.kind) {
      case 'ended':
        return {
          line: `Rollout ${claims.rolloutId} has ended: ${wait.phase}${wait.reason ? ` (${wait.reason})` : ''}.`,
          waitsForThis: false,
          people,
        };
      case 'waits':
        if (wait.step === claims.step) {
          const untilMs = wait.status.waitingFor?.untilMs;
          const until = untilMs !== undefined ? ` until ${new Date(untilMs).toISOString()}` : '';
          return {
            line: `Rollout ${claims.rolloutId} still waits for this approval (${describeStepStatus(wait.status.step)})${until}.`,
            waitsForThis: true,
            people,
          };
        }
        break;
    }
    if (!wait.status) return { line: `Rollout ${claims.rolloutId} has not published its status yet.`, waitsForThis: false, people };
    return {
      line: `Rollout ${claims.rolloutId} is now at ${describeStepStatus(wait.status.step)} (${wait.status.phase}).`,
      waitsForThis: false,
      people,
    };
  } catch {
    return { line: `The state of rollout ${claims.rolloutId} could not be read just now.`, waitsForThis: false, people: [] };
  }
}

async function refusal(
  request: ApiRequest,
  deps: ApiDeps,
  error: ApprovalLinkError,
  known: ApprovalLinkClaims | undefined,
): Promise<ApiResponse> {
  // The status follows the error's code, as for every other error of the API.
  const status = errorResponse(error).status;
  if (wantsJson(request)) return json(status, { error: { code: error.code, problem: error.problem, message: error.message } });
  const claims = error.claims ?? known;
  const parts = [`<h1 class="bad">${escapeHtml(REFUSAL_HEADING[error.problem])}</h1>`, `<p>${escapeHtml(error.message)}.</p>`];
  if (claims && error.problem !== 'identity') {
    const now = await rolloutNow(deps, claims);
    const todo = now.waitsForThis
      ? `To decide, open the rollout in the <a href="${escapeHtml(dashboardLink(deps, claims.rolloutId))}">dashboard</a> or run <code>aml-rollout ${claims.decision} ${escapeHtml(claims.rolloutId)}</code>; or ask for a new link.`
      : `There is nothing to decide through this link any more. The <a href="${escapeHtml(dashboardLink(deps, claims.rolloutId))}">dashboard</a> shows what happened.`;
    parts.push('<h2>Now</h2>', `<p>${escapeHtml(now.line)}</p>`, '<h2>What you can do</h2>', `<p>${todo}</p>`);
    if (now.people.length > 0)
      parts.push(
        '<h2>Who to ask</h2>',
        `<p>The approvers and operators of this rollout's policy: ${escapeHtml(now.people.join(', '))}.</p>`,
      );
  } else if (error.problem !== 'identity') {
    parts.push(
      '<h2>What you can do</h2>',
      `<p>Use the link exactly as it was sent, or open the <a href="${escapeHtml(dashboardLink(deps, undefined))}">dashboard</a>. The team that runs aml-rollout can send a new one.</p>`,
    );
  } else {
    parts.push('<p>Go back, fill in the form and send it again; the link has not been used.</p>');
  }
  return html(status, page(REFUSAL_HEADING[error.problem], parts.join('\n')));
}

function secretOf(deps: ApiDeps): string {
  if (!deps.links.secret)
    throw new ApprovalLinkError('notConfigured', 'approval links are not enabled on this controller (APPROVAL_LINK_SECRET is not set)');
  return deps.links.secret;
}

/**
 * The rollout, when the link's approval is the one waiting now. approvalWait (the API's rule)
 * answers whether an approval waits; the link adds only its own comparison, "this link is for
 * step K".
 */
async function loadForLink(deps: ApiDeps, claims: ApprovalLinkClaims): Promise<RolloutStatus> {
  const instance = await deps.client.getStatus(claims.rolloutId);
  if (!instance || instance.name !== ORCHESTRATOR_NAME)
    throw new ApprovalLinkError('ended', `rollout ${claims.rolloutId} no longer exists`);
  const wait = approvalWait(instance, readRolloutStatus(instance));
  if (wait.kind === 'ended')
    throw new ApprovalLinkError('ended', `rollout ${claims.rolloutId} has ended (${wait.phase}); this link no longer applies`);
  if (wait.kind === 'waits' && wait.step === claims.step) return wait.status;
  const now =
    wait.kind === 'waits'
      ? `it now waits for the approval at ${stepPosition(wait.status.step)}`
      : wait.status
        ? `it is now at ${stepPosition(wait.status.step)} (${wait.status.phase}) and waits for no approval`
        : 'it has not published its status yet and waits for no approval';
  throw new ApprovalLinkError(
    'wrongStep',
    `this link is for the approval at step ${claims.step + 1} of rollout ${claims.rolloutId}, but ${now}`,
  );
}

async function readLedger(deps: ApiDeps, rolloutId: string): Promise<LedgerState | undefined> {
  return deps.client.readEntityState<LedgerState>(APPROVAL_LEDGER_ENTITY, rolloutId);
}

function usedMessage(claim: LinkClaim): string {
  return `this approval request was already answered (${claim.decision} by ${claim.by} at ${new Date(claim.atMs).toISOString()}); each link works once`;
}

export async function showApprovalLink(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  let claims: ApprovalLinkClaims | undefined;
  try {
    claims = verifyApprovalToken(request.params.token ?? '', secretOf(deps), deps.clock.now());
    const used = (await readLedger(deps, claims.rolloutId))?.claims[claims.nonce];
    if (used) throw new ApprovalLinkError('replayed', usedMessage(used));
    const status = await loadForLink(deps, claims);
    if (wantsJson(request)) {
      return json(200, {
        rolloutId: claims.rolloutId,
        step: claims.step,
        decision: claims.decision,
        expiresAt: new Date(claims.expiresAtMs).toISOString(),
        status,
      });
    }
    const facts: [string, string][] = [
      ['Rollout', status.rolloutId],
      ['Model', `${status.model} version ${status.version}`],
      ['Endpoint', status.endpoint],
      ['Step', describeStepStatus(status.step)],
      ['Traffic', formatTraffic(status.traffic, status.mirror)],
      ['Waiting', describeWait(status) ?? ''],
      ['Link expires', new Date(claims.expiresAtMs).toISOString()],
    ];
    const evidence = status.gates.map(describeGate).join('\n') || 'no gate verdicts yet';
    const people = personApprovers((await deps.policies.getAccess(status.policy))?.approvers ?? []);
    const caller = authenticate(request, { apiKey: undefined, trustClientPrincipal: deps.auth.trustClientPrincipal });
    const verb = claims.decision === 'approve' ? 'Approve' : 'Reject';
    return html(
      200,
      page(
        `${verb} ${status.model} ${status.version}`,
        `<h1>${verb} rollout of ${escapeHtml(status.model)} version ${escapeHtml(status.version)}?</h1>
<table class="facts">${facts.map(([k, v]) => `<tr><td><b>${escapeHtml(k)}</b></td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<h2>Gate evidence</h2><div class="evidence">${escapeHtml(evidence)}</div>
<form method="post">${identityField(people, caller)}
<label>Comment<textarea name="comment" maxlength="2000" rows="3"></textarea></label>
<button class="${claims.decision}" type="submit">${verb}</button></form>`,
      ),
    );
  } catch (error) {
    if (error instanceof ApprovalLinkError) return refusal(request, deps, error, claims);
    throw error;
  }
}

function formField(request: ApiRequest, name: string): string | undefined {
  const type = request.header('content-type') ?? '';
  if (type.includes('application/json')) {
    try {
      const value = (JSON.parse(request.bodyText || '{}') as Record<string, unknown>)[name];
      return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, name === 'comment' ? 2000 : 256) : undefined;
    } catch {
      return undefined;
    }
  }
  const value = new URLSearchParams(request.bodyText).get(name);
  return value && value.trim() !== '' ? value.trim().slice(0, name === 'comment' ? 2000 : 256) : undefined;
}

/** The approvers that are people (UPNs); groups cannot be typed into a form. */
function personApprovers(approvers: readonly string[]): string[] {
  return approvers.filter((a) => !a.toLowerCase().startsWith('group:'));
}

/**
 * Who decides: a signed-in approver is shown as verified; anyone else picks or types a name, and
 * the page says plainly that the name is claimed (the link proves who received it, not who uses it).
 */
function identityField(people: readonly string[], caller: Caller): string {
  if (caller.kind === 'principal') {
    return `<p class="identity verified">You are signed in as <b>${escapeHtml(caller.id)}</b> (verified by App Service authentication); the decision is recorded with this identity.</p>`;
  }
  const claimed =
    '<p class="identity claimed"><b>Claimed, not verified:</b> nobody is signed in, so the name below is recorded as a claim, marked as such in the rollout\'s history.</p>';
  if (people.length > 0) {
    const options = people.map((p) => `<option value="${escapeHtml(p)}">${escapeHtml(p)}</option>`).join('');
    return `${claimed}<label>You are (claimed)<select name="by" required><option value="">choose…</option>${options}</select></label>`;
  }
  return `${claimed}<label>Your user principal name (claimed, recorded with the decision)<input name="by" maxlength="256" required></label>`;
}

/**
 * Who decides through a link. A signed-in caller (App Service authentication) is who they are, and
 * must be one of the approvers: a forwarded link is not a licence for whoever holds it. Without an
 * identity, the approver picked on the page: the link is a bearer credential sent to the approvers'
 * channel, so the name is a statement, not a proof; when the policy lists people only it must be
 * one of them (the orchestrator would otherwise record the decision without acting on it), so a
 * mistyped name is refused here, visibly. Both checks run before the ledger spends the link.
 */
async function linkIdentity(deps: ApiDeps, policyName: string, caller: Caller, named: string | undefined): Promise<string> {
  const access = await deps.policies.getAccess(policyName);
  if (caller.kind === 'principal') {
    // A policy removed since the rollout started has no approvers to check against: nobody identified passes.
    if (!access || !isAllowed(caller, access.approvers)) {
      throw new ApprovalLinkError(
        'notAnApprover',
        `${caller.id} is not an approver of this rollout${access ? ` (approvers: ${access.approvers.join(', ')})` : ` (its policy "${policyName}" is no longer loaded)`}; the link was not used and still works for an approver`,
      );
    }
    return caller.id;
  }
  if (!named) throw new ApprovalLinkError('identity', 'say who you are: choose your name on the page (the decision is recorded with it)');
  const approvers = access?.approvers ?? [];
  const people = personApprovers(approvers);
  const groupsAllowed = approvers.length > people.length;
  if (!groupsAllowed && people.length > 0 && !people.some((p) => p.toLowerCase() === named.toLowerCase())) {
    throw new ApprovalLinkError('identity', `${named} is not an approver of this rollout (approvers: ${people.join(', ')})`);
  }
  return named;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Claims the link's nonce in the ledger entity and waits until the entity has processed the claim.
 * Returns the winning claim (ours or an earlier one). Polling uses real time on purpose: it waits
 * for the Durable backend, not for rollout time (which may be virtual in tests and simulations).
 */
async function claimNonce(deps: ApiDeps, claims: ApprovalLinkClaims, claim: LinkClaim): Promise<LinkClaim> {
  await deps.client.signalEntity(APPROVAL_LEDGER_ENTITY, claims.rolloutId, CLAIM_OPERATION, claim);
  const deadline = Date.now() + (deps.ledgerTimeoutMs ?? 15_000);
  let delayMs = 10;
  for (;;) {
    const recorded = (await readLedger(deps, claims.rolloutId))?.claims[claims.nonce];
    if (recorded) return recorded;
    if (Date.now() >= deadline)
      throw new RolloutError(
        'Transient',
        'the approval ledger did not confirm in time; reload the link to see whether the decision was recorded',
        { retryable: true },
      );
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 250);
  }
}

export async function useApprovalLink(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  let claims: ApprovalLinkClaims | undefined;
  try {
    claims = verifyApprovalToken(request.params.token ?? '', secretOf(deps), deps.clock.now());
    const earlier = (await readLedger(deps, claims.rolloutId))?.claims[claims.nonce];
    if (earlier) throw new ApprovalLinkError('replayed', usedMessage(earlier));
    const status = await loadForLink(deps, claims);
    // The link itself is the credential; an identity from App Service auth, when present, is what we record.
    const caller = authenticate(request, { apiKey: undefined, trustClientPrincipal: deps.auth.trustClientPrincipal });
    const by = await linkIdentity(deps, status.policy, caller, formField(request, 'by'));
    const identity = identityRecord(caller, by, 'signedLink');
    // The record says how the decision came in and whether its name is proven (the orchestrator keeps the comment with it).
    const comment = annotatedComment(identity, formField(request, 'comment'));
    const claim: LinkClaim = {
      nonce: claims.nonce,
      requestId: randomUUID(),
      decision: claims.decision,
      step: claims.step,
      by,
      atMs: deps.clock.now(),
    };
    const winner = await claimNonce(deps, claims, claim);
    if (winner.requestId !== claim.requestId) throw new ApprovalLinkError('replayed', usedMessage(winner));
    const instance = await deps.client.getStatus(claims.rolloutId);
    if (!instance) throw new ApprovalLinkError('ended', `rollout ${claims.rolloutId} no longer exists`);
    await raiseApproval(deps, instance, claims.step, claims.decision, by, comment);
    deps.log.info('approvalLink.used', { rolloutId: claims.rolloutId, step: claims.step, decision: claims.decision, by });
    if (wantsJson(request))
      return json(202, { rolloutId: claims.rolloutId, action: claims.decision, by, identity, step: claims.step, accepted: true });
    const verb = claims.decision === 'approve' ? 'approved' : 'rejected';
    const recorded = identity.verified
      ? `Recorded as ${escapeHtml(by)} (signed in).`
      : `Recorded as ${escapeHtml(by)}, a claimed name (nobody was signed in); the history shows it as claimed.`;
    return html(
      200,
      page(
        'Decision recorded',
        `<h1 class="ok">Step ${claims.step + 1} of ${escapeHtml(claims.rolloutId)} ${verb}</h1><p>${recorded} You can close this page.</p>`,
      ),
    );
  } catch (error) {
    if (error instanceof ApprovalLinkError) return refusal(request, deps, error, claims);
    throw error;
  }
}
