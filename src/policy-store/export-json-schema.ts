/**
 * Writes the policy JSON Schema (for editors) to schema/policy.schema.json, or to the path given
 * as the first argument. Run with `npm run schema` after `npm run build`.
 * test/policy/json-schema.test.ts fails when the committed file is out of date.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { policyJsonSchema } from '../policy';

export function renderPolicyJsonSchema(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}

export async function exportPolicyJsonSchema(target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, renderPolicyJsonSchema(), 'utf8');
}

if (require.main === module) {
  const target = resolve(process.argv[2] ?? 'schema/policy.schema.json');
  exportPolicyJsonSchema(target).then(
    () => console.log(`wrote ${target}`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
