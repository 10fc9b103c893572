/**
 * Parsing a ModelRegistered event, in either delivery schema (Event Grid or CloudEvents 1.0).
 *
 * The envelope is validated with zod; `data` is parsed with case-insensitive keys because real
 * payloads and the documentation disagree on casing (`modelName` vs `ModelName`), and the version
 * is kept as a string (numeric versions are seen in the wild). The model and version may come from
 * `data` or from the subject `models/{name}:{version}`; when both are present they must agree.
 * Every problem is a ValidationError whose path names the offending field, so the HTTP answer and
 * the structured log line say exactly what was wrong.
 */
import { z } from 'zod';
import { ValidationError } from '../errors';
import { WORKSPACE_ID_PATTERN } from '../policy/schema';

export const MODEL_REGISTERED_EVENT_TYPE = 'Microsoft.MachineLearningServices.ModelRegistered';

export type EventSchemaKind = 'eventGrid' | 'cloudEvents';

export interface WorkspaceCoordinates {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
}

/** The registered model version an event names (and a manual start asks for). */
export interface RegisteredModelVersion {
  readonly name: string;
  readonly version: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, string>>;
}

export interface ModelRegisteredEvent {
  readonly schema: EventSchemaKind;
  readonly eventId: string;
  readonly eventType: string;
  readonly eventTimeMs: number | undefined;
  readonly workspace: WorkspaceCoordinates;
  readonly model: RegisteredModelVersion;
}

const nonEmpty = z.string().trim().min(1, 'must be a non-empty string');

const eventGridEnvelopeSchema = z.object({
  id: nonEmpty,
  topic: nonEmpty.optional(),
  subject: z.string().optional(),
  eventType: nonEmpty,
  eventTime: z.string().optional(),
  data: z.unknown(),
  dataVersion: z.string().optional(),
  metadataVersion: z.string().optional(),
});

const cloudEventEnvelopeSchema = z.object({
  id: nonEmpty,
  source: nonEmpty,
  subject: z.string().optional(),
  type: nonEmpty,
  time: z.string().optional(),
  data: z.unknown(),
  specversion: z.literal('1.0', { message: 'must be "1.0"' }),
});

/** Tag and property values: strings, though numbers and booleans are accepted and stringified. */
const stringMap = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]), { message: 'must be an object of string values' })
  .transform((record) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, String(v)])));

/** What a model version must look like, said whenever one is refused (not zod's bare "Invalid input"). */
const MODEL_VERSION_RULE =
  'must be a model version: a non-empty string of at most 64 characters (e.g. "2" or "2.5"), or a whole number >= 0 (e.g. 2); send other versions as strings';

/**
 * A model version as events and the API carry it. Azure ML versions are strings (numeric ones are
 * common, and arrive as JSON numbers from some producers), so a number must be a whole one >= 0,
 * and anything else is sent as a string.
 */
export const modelVersionSchema = z.union(
  [
    z.string().trim().min(1, MODEL_VERSION_RULE).max(64, MODEL_VERSION_RULE),
    z
      .number()
      .int(MODEL_VERSION_RULE)
      .nonnegative(MODEL_VERSION_RULE)
      .transform((n) => String(n)),
  ],
  { error: () => MODEL_VERSION_RULE },
);

/** `data` after its keys were lower-cased. */
const dataSchema = z.object({
  modelname: nonEmpty.optional(),
  modelversion: modelVersionSchema.optional(),
  modeltags: stringMap.nullish(),
  modelproperties: stringMap.nullish(),
});

/** The original spelling of each data field, for error messages. */
const DATA_FIELD_NAMES: Readonly<Record<string, string>> = {
  modelname: 'modelName',
  modelversion: 'modelVersion',
  modeltags: 'modelTags',
  modelproperties: 'modelProperties',
};

export function zodIssuePath(error: z.ZodError, prefix = ''): { path: string; message: string } {
  const issue = error.issues[0];
  if (issue === undefined) return { path: prefix, message: 'invalid' };
  const parts = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part)));
  const joined = parts.reduce<string>((acc, part) => (part.startsWith('[') ? acc + part : acc ? `${acc}.${part}` : part), '');
  const path = prefix && joined ? `${prefix}.${joined}` : prefix || joined;
  return { path, message: issue.message };
}

function lowerCaseKeys(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(path, 'must be a JSON object with modelName and modelVersion');
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const lower = key.toLowerCase();
    if (lower in out) throw new ValidationError(`${path}.${key}`, `appears twice with different casing`);
    out[lower] = v;
  }
  return out;
}

/** Workspace coordinates from an Event Grid topic or a CloudEvents source (ARM id of the workspace). */
function parseWorkspaceTopic(topic: string, field: string): WorkspaceCoordinates {
  // A system topic may be prefixed with the Event Grid topic path; the workspace id is what matters.
  const match = WORKSPACE_ID_PATTERN.exec(topic.trim());
  if (!match) {
    throw new ValidationError(
      field,
      `must be the ML workspace resource id /subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}, got "${topic}"`,
    );
  }
  const [, subscriptionId, resourceGroup, workspace] = match as unknown as [string, string, string, string];
  return { subscriptionId, resourceGroup, workspace };
}

/** `models/{name}:{version}` (the name itself has no colon; the last colon separates). */
function parseModelSubject(subject: string): { name: string; version: string } {
  const match = /^\/?models\/(.+):([^:/]+)$/i.exec(subject.trim());
  if (!match || !match[1] || !match[2]) {
    throw new ValidationError('subject', `must look like "models/{name}:{version}", got "${subject}"`);
  }
  return { name: match[1], version: match[2] };
}

function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ValidationError(field, `must be an RFC 3339 timestamp, got "${value}"`);
  return ms;
}

/** Which schema a raw event uses: CloudEvents carry `specversion`, Event Grid events `eventType`. */
function detectSchema(raw: unknown): EventSchemaKind {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'specversion' in raw) return 'cloudEvents';
  return 'eventGrid';
}

/** The event's type, if the envelope has one (to ignore other event types before validating data). */
export function eventTypeOf(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const record = raw as Record<string, unknown>;
  const type = record.eventType ?? record.type;
  return typeof type === 'string' ? type : undefined;
}

/**
 * Validates one ModelRegistered event (envelope + data). Throws ValidationError naming the field.
 * `schema` defaults to detection from the payload.
 */
export function parseModelRegisteredEvent(raw: unknown, schema: EventSchemaKind = detectSchema(raw)): ModelRegisteredEvent {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ValidationError('event', 'must be a JSON object');
  }
  let envelope: {
    id: string;
    topic: string | undefined;
    subject: string | undefined;
    type: string;
    time: string | undefined;
    data: unknown;
  };
  if (schema === 'cloudEvents') {
    const parsed = cloudEventEnvelopeSchema.safeParse(raw);
    if (!parsed.success) {
      const { path, message } = zodIssuePath(parsed.error);
      throw new ValidationError(path, message);
    }
    const e = parsed.data;
    envelope = { id: e.id, topic: e.source, subject: e.subject, type: e.type, time: e.time, data: e.data };
  } else {
    const parsed = eventGridEnvelopeSchema.safeParse(raw);
    if (!parsed.success) {
      const { path, message } = zodIssuePath(parsed.error);
      throw new ValidationError(path, message);
    }
    const e = parsed.data;
    envelope = { id: e.id, topic: e.topic, subject: e.subject, type: e.eventType, time: e.eventTime, data: e.data };
  }
  const typeField = schema === 'cloudEvents' ? 'type' : 'eventType';
  const topicField = schema === 'cloudEvents' ? 'source' : 'topic';
  const timeField = schema === 'cloudEvents' ? 'time' : 'eventTime';
  if (envelope.type.toLowerCase() !== MODEL_REGISTERED_EVENT_TYPE.toLowerCase()) {
    throw new ValidationError(typeField, `must be ${MODEL_REGISTERED_EVENT_TYPE}, got "${envelope.type}"`);
  }
  if (envelope.topic === undefined) throw new ValidationError(topicField, 'is required (the ML workspace resource id)');
  const workspace = parseWorkspaceTopic(envelope.topic, topicField);
  const eventTimeMs = parseTime(envelope.time, timeField);

  const lowered = lowerCaseKeys(envelope.data, 'data');
  const parsedData = dataSchema.safeParse(lowered);
  if (!parsedData.success) {
    const issue = parsedData.error.issues[0];
    const first = issue?.path[0];
    const field = typeof first === 'string' ? (DATA_FIELD_NAMES[first] ?? first) : '';
    const rest = issue?.path.slice(1).map(String).join('.') ?? '';
    throw new ValidationError(['data', field, rest].filter(Boolean).join('.'), issue?.message ?? 'invalid');
  }
  const data = parsedData.data;

  const fromSubject = envelope.subject ? parseModelSubject(envelope.subject) : undefined;
  const name = data.modelname ?? fromSubject?.name;
  const version = data.modelversion ?? fromSubject?.version;
  if (name === undefined) throw new ValidationError('data.modelName', 'is required (or a subject "models/{name}:{version}")');
  if (version === undefined) throw new ValidationError('data.modelVersion', 'is required (or a subject "models/{name}:{version}")');
  if (fromSubject && fromSubject.name !== name) {
    throw new ValidationError('data.modelName', `"${name}" disagrees with the subject's model "${fromSubject.name}"`);
  }
  if (fromSubject && fromSubject.version !== version) {
    throw new ValidationError('data.modelVersion', `"${version}" disagrees with the subject's version "${fromSubject.version}"`);
  }
  return {
    schema,
    eventId: envelope.id,
    eventType: envelope.type,
    eventTimeMs,
    workspace,
    model: { name, version, tags: data.modeltags ?? {}, properties: data.modelproperties ?? {} },
  };
}
