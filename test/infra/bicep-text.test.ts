/** The Bicep text reader the infra checks stand on: if it misreads, the checks mean nothing. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appSettingNames,
  objectKeys,
  paramDefault,
  parseBicep,
  propertyBlock,
  registeredEventGridFunctions,
  stripComments,
} from './bicep-text';

describe('stripComments', () => {
  it('removes line and block comments but keeps strings that contain // and /*', () => {
    const text = ["var url = 'https://example.com/a' // the url", '/* block', "   comment */ var glob = 'a/*b'"].join('\n');
    const stripped = stripComments(text);
    expect(stripped).toContain("var url = 'https://example.com/a'");
    expect(stripped).not.toContain('the url');
    expect(stripped).not.toContain('block');
    expect(stripped).toContain("var glob = 'a/*b'");
    // Offsets and line breaks are kept.
    expect(stripped).toHaveLength(text.length);
    expect(stripped.split('\n')).toHaveLength(3);
  });

  it('follows ${} interpolation, including braces and strings inside it', () => {
    const text = "var s = 'x${union({ a: '}' }, {}).a}y' // gone\nvar t = 1";
    const stripped = stripComments(text);
    expect(stripped).toContain("var s = 'x${union({ a: '}' }, {}).a}y'");
    expect(stripped).not.toContain('gone');
  });

  it('skips escaped quotes and triple-quoted strings', () => {
    const text = "var a = 'it\\'s // not a comment'\nvar b = '''\n// kept\n'''\n// removed";
    const stripped = stripComments(text);
    expect(stripped).toContain("it\\'s // not a comment");
    expect(stripped).toContain('// kept');
    expect(stripped).not.toContain('removed');
  });
});

describe('parseBicep', () => {
  const bicep = `
@description('x = y')
param name string
param count int = 3
param label string = 'blue'
param shape {
  a: string
}

var settings = cond ? {
  A: 1
  'B.C': '\${name}}'
} : {
  D: 2
}

resource store 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: name

  resource blobs 'blobServices' existing = {
    name: 'default'
  }
}

resource loop 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in roles: {
    name: guid(role.id)
    scope: store
  }
]

module child 'modules/child.bicep' = if (count > 1) {
  name: 'child'
}

output out string = 'done'
`;
  const declarations = parseBicep(bicep);

  it('finds every declaration with its kind, symbol, type and api-version', () => {
    expect(declarations.map((d) => [d.kind, d.symbol, d.target, d.apiVersion, d.existing, d.nested])).toEqual([
      ['param', 'name', 'string', '', false, false],
      ['param', 'count', 'int', '', false, false],
      ['param', 'label', 'string', '', false, false],
      ['param', 'shape', '{', '', false, false],
      ['var', 'settings', '', '', false, false],
      ['resource', 'store', 'Microsoft.Storage/storageAccounts', '2023-05-01', true, false],
      ['resource', 'blobs', 'blobServices', '', true, true],
      ['resource', 'loop', 'Microsoft.Authorization/roleAssignments', '2022-04-01', false, false],
      ['module', 'child', 'modules/child.bicep', '', false, false],
      ['output', 'out', 'string', '', false, false],
    ]);
  });

  it('reads multi-line bodies whole, through ternaries, loops and conditions', () => {
    const settings = declarations.find((d) => d.symbol === 'settings');
    expect(settings?.body.startsWith('cond ? {')).toBe(true);
    expect(settings?.body.endsWith('D: 2\n}')).toBe(true);
    expect(objectKeys(settings?.body ?? '')).toEqual(['A', 'B.C', 'D']);
    expect(declarations.find((d) => d.symbol === 'loop')?.body).toMatch(/^\[\n {2}for role in roles: \{[\s\S]*scope: store\n {2}\}\n\]$/);
    expect(declarations.find((d) => d.symbol === 'child')?.body).toMatch(/^if \(count > 1\) \{\n {2}name: 'child'\n\}$/);
    expect(paramDefault(declarations, 'label')).toBe('blue');
    expect(paramDefault(declarations, 'count')).toBeUndefined();
  });

  it('finds a property block at the depth asked for', () => {
    const body = "{\n  outer: {\n    inner: { x: 1 }\n  }\n  inner: {\n    y: '}'\n  }\n}";
    expect(propertyBlock(body, 'inner')).toBe('{ x: 1 }');
    expect(propertyBlock(body, 'inner', 1)).toBe("{\n    y: '}'\n  }");
    expect(propertyBlock(body, 'missing')).toBeUndefined();
  });

  it('reports app settings that come from an unknown variable', () => {
    const text =
      "resource s 'Microsoft.Web/sites/config@2024-04-01' = {\n  name: 'appsettings'\n  properties: union(known, unknown)\n}\nvar known = {\n  A: 'a'\n}\n";
    expect(appSettingNames(text)).toEqual({ names: ['A'], problems: ["app settings use 'unknown', which is not a var of this file"] });
  });
});

describe('registeredEventGridFunctions', () => {
  const temps: string[] = [];
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('resolves literal names and names held in constants, in nested folders', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aml-rollout-functions-'));
    temps.push(dir);
    mkdirSync(path.join(dir, 'functions'));
    mkdirSync(path.join(dir, 'src', 'api'), { recursive: true });
    writeFileSync(path.join(dir, 'functions', 'a.ts'), "app.eventGrid('literalName', { handler });\n");
    writeFileSync(path.join(dir, 'src', 'api', 'names.ts'), "export const EVENT_FUNCTION = 'fromConstant';\n");
    writeFileSync(
      path.join(dir, 'src', 'api', 'register.ts'),
      'app.eventGrid(EVENT_FUNCTION, { handler });\napp.eventGrid(MISSING, {});\n',
    );
    writeFileSync(path.join(dir, 'src', 'api', 'other.ts'), "app.http('notEventGrid', {});\n");
    const found = registeredEventGridFunctions([path.join(dir, 'functions'), path.join(dir, 'src')])
      .map((r) => r.name)
      .sort();
    expect(found).toEqual(['<unresolved MISSING>', 'fromConstant', 'literalName']);
  });
});
