import { describe, expect, it } from 'vitest';
import { readStatic } from '../../src/dashboard/register';

describe('dashboard static files', () => {
  it('serves the page, its script and style with their types', async () => {
    expect(await readStatic(undefined)).toMatchObject({ status: 200, contentType: 'text/html; charset=utf-8' });
    expect((await readStatic('app.js')).contentType).toBe('text/javascript; charset=utf-8');
    expect((await readStatic('style.css')).status).toBe(200);
  });

  it('refuses anything outside the static folder, unknown types and missing files', async () => {
    for (const name of ['../register.ts', '..%2Fregister.ts', '/etc/passwd', 'nope.html', 'index.ts', '../../../package.json']) {
      expect((await readStatic(name)).status).toBe(404);
    }
  });

  it('references nothing outside the app (no CDN, no inline script)', async () => {
    const page = (await readStatic('index.html')).body;
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).not.toMatch(/<script>(?!<\/script>)/);
    const script = (await readStatic('app.js')).body;
    expect(script).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });
});
