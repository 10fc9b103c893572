/**
 * The dashboard: static HTML/CSS/JS (no build step, no CDN) served by an anonymous HTTP function.
 * The page holds no secret; every API call it makes carries the operator's function key, which the
 * operator types once and the page keeps in sessionStorage.
 *
 * Route: `dashboard/{*path}` under the host's routePrefix (`api`), i.e. /api/dashboard/. The
 * Functions host reserves `/` for its own landing page and routePrefix applies to every HTTP
 * function, so serving at `/` in Azure would mean routePrefix "" for the whole API; instead `/`
 * redirects here where the host allows it (the local runtime, see docs/api.md).
 */
import { app, type HttpResponseInit } from '@azure/functions';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';

const DASHBOARD_ROUTE = 'dashboard/{*path}';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The static folder, from the sources (vitest) or from dist/src/dashboard (compiled). */
function staticFolder(): string {
  const candidates = [path.join(__dirname, 'static'), path.resolve(__dirname, '../../../src/dashboard/static')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[0]!;
}

export interface StaticFile {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Resolves a request path to a file of the static folder, refusing anything outside it. */
export async function readStatic(requestPath: string | undefined): Promise<StaticFile> {
  const name = !requestPath || requestPath === '/' ? 'index.html' : requestPath.replace(/^\/+/, '');
  const root = staticFolder();
  const file = path.resolve(root, name);
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()];
  if (!file.startsWith(root + path.sep) || type === undefined)
    return { status: 404, contentType: 'text/plain; charset=utf-8', body: 'not found' };
  try {
    return { status: 200, contentType: type, body: await readFile(file, 'utf8') };
  } catch {
    return { status: 404, contentType: 'text/plain; charset=utf-8', body: 'not found' };
  }
}

export function registerDashboard(): void {
  app.http('dashboard', {
    methods: ['GET'],
    route: DASHBOARD_ROUTE,
    authLevel: 'anonymous',
    handler: async (request): Promise<HttpResponseInit> => {
      const requested = request.params.path;
      // /api/dashboard (no slash) would resolve the page's relative URLs against /api/: redirect.
      if (!requested && !new URL(request.url).pathname.endsWith('/')) {
        return { status: 308, headers: { location: `${new URL(request.url).pathname}/` } };
      }
      const file = await readStatic(requested);
      return {
        status: file.status,
        headers: {
          'content-type': file.contentType,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          // Everything is same-origin: no CDN, no inline script.
          'content-security-policy':
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        },
        body: file.body,
      };
    },
  });
}
