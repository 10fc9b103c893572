/**
 * The policy's JSON Schema, for editors (YAML language server, VS Code): completion, hover docs
 * and type errors while writing a policy. Cross-field rules (steps ascending, references) are
 * not expressible in JSON Schema; the controller checks them when it loads a policy (parsePolicy).
 */
import { z } from 'zod';
import { policySchema } from './schema';

export function policyJsonSchema(): Record<string, unknown> {
  // io: 'input' = what a person writes: fields with defaults are optional.
  const schema = z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
  const strategy = properties?.strategy;
  if (strategy) {
    // Exactly one strategy block: expressible here, so say it to the editor too.
    strategy.minProperties = 1;
    strategy.maxProperties = 1;
  }
  return schema;
}
