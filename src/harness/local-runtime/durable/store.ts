/**
 * The durable log: SQLite through better-sqlite3, in WAL mode. The engine keeps its working set
 * in memory and writes every state change here in one transaction ("append history + consume
 * inbox + record new work"), so a kill -9 at any point leaves either the state before or the
 * state after each step, never half of one.
 *
 * synchronous=NORMAL in WAL mode survives a process crash (kill -9) with no loss; only a power
 * failure may lose the last transactions, which is the same trade-off Azure Storage emulators make.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { HistoryEvent } from './history';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Terminated' | 'Suspended';

export const TERMINAL_STATUSES: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated']);

export interface InstanceRow {
  instanceId: string;
  name: string;
  executionId: string;
  status: RuntimeStatus;
  /** JSON text. */
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdMs: number;
  updatedMs: number;
  parentInstanceId: string | null;
  parentTaskId: number | null;
}

export interface InboxRow {
  id: number;
  instanceId: string;
  visibleMs: number;
  event: HistoryEvent;
}

export interface WorkRow {
  id: number;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** JSON text of the activity input. */
  input: string | null;
}

export interface EntityRow {
  entityId: string;
  name: string;
  key: string;
  state: string | null;
  exists: boolean;
  lockedBy: string | null;
  updatedMs: number;
}

export interface EntityMessageRow {
  id: number;
  entityId: string;
  message: EntityMessage;
}

export type EntityMessage =
  | { type: 'op'; id: string; operation: string; input: string | null; signal: boolean; parent: string | null }
  | { type: 'lock'; requestId: string; owner: string; lockSet: string[]; position: number }
  | { type: 'release'; owner: string };

/** One atomic change set. */
export interface Commit {
  upsertInstances?: InstanceRow[];
  deleteInstances?: string[];
  appendHistory?: { instanceId: string; fromSeq: number; events: HistoryEvent[] }[];
  /** Replace the whole history (continueAsNew, restart). */
  resetHistory?: { instanceId: string; events: HistoryEvent[] }[];
  deleteInbox?: number[];
  /** New inbox rows; ids are assigned and written back into the objects. */
  insertInbox?: Omit<InboxRow, 'id'>[] & { id?: number }[];
  deleteWork?: number[];
  insertWork?: (Omit<WorkRow, 'id'> & { id?: number })[];
  upsertEntities?: EntityRow[];
  deleteEntityMessages?: number[];
  insertEntityMessages?: (Omit<EntityMessageRow, 'id'> & { id?: number })[];
}

export interface LoadedState {
  instances: InstanceRow[];
  history: Map<string, HistoryEvent[]>;
  inbox: InboxRow[];
  work: WorkRow[];
  entities: EntityRow[];
  entityMessages: EntityMessageRow[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS instances (
  instance_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT,
  output TEXT,
  custom_status TEXT,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  parent_instance_id TEXT,
  parent_task_id INTEGER
);
CREATE INDEX IF NOT EXISTS instances_by_created ON instances(created_ms, instance_id);
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  visible_ms INTEGER NOT NULL,
  event TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS work (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  task_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  input TEXT
);
CREATE TABLE IF NOT EXISTS entities (
  entity_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key TEXT NOT NULL,
  state TEXT,
  exists_flag INTEGER NOT NULL,
  locked_by TEXT,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entity_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  entity_id TEXT NOT NULL,
  message TEXT NOT NULL
);
`;

interface InstanceDbRow {
  instance_id: string;
  name: string;
  execution_id: string;
  status: RuntimeStatus;
  input: string | null;
  output: string | null;
  custom_status: string | null;
  created_ms: number;
  updated_ms: number;
  parent_instance_id: string | null;
  parent_task_id: number | null;
}

function fromInstanceDb(row: InstanceDbRow): InstanceRow {
  return {
    instanceId: row.instance_id,
    name: row.name,
    executionId: row.execution_id,
    status: row.status,
    input: row.input,
    output: row.output,
    customStatus: row.custom_status,
    createdMs: row.created_ms,
    updatedMs: row.updated_ms,
    parentInstanceId: row.parent_instance_id,
    parentTaskId: row.parent_task_id,
  };
}

export interface InstanceQuery {
  createdFromMs?: number;
  createdToMs?: number;
  /** Only these statuses (an empty list matches nothing); absent means any status. */
  statuses?: readonly RuntimeStatus[];
  instanceIdPrefix?: string;
  /** Page size; absent means all. */
  top?: number;
  /** Opaque position from a previous page. */
  continuation?: string;
}

export class DurableStore {
  readonly db: Database.Database;
  readonly #statements;
  readonly #commitTx: (commit: Commit) => void;
  readonly #begin: Database.Statement;
  readonly #end: Database.Statement;
  #flushScheduled = false;

  /** `location` is ':memory:' or a folder (the database file is <folder>/runtime.sqlite). */
  constructor(readonly location: string) {
    let file = location;
    if (location !== ':memory:') {
      mkdirSync(location, { recursive: true });
      file = path.join(location, 'runtime.sqlite');
    }
    this.db = new Database(file, { timeout: 1000 });
    if (location !== ':memory:') {
      // One runtime per store: a second process writing the same log would corrupt its work queue.
      this.db.pragma('locking_mode = EXCLUSIVE');
      try {
        this.db.pragma('journal_mode = WAL');
        this.db.exec('BEGIN IMMEDIATE; COMMIT');
      } catch (error) {
        this.db.close();
        const code = (error as { code?: string }).code;
        if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
          throw new Error(`the store ${location} is in use by another runtime (one runtime per --store folder)`);
        throw error;
      }
      this.db.pragma('synchronous = NORMAL');
      // Fewer, larger checkpoints and a bigger page cache: the engine writes small rows often.
      this.db.pragma('wal_autocheckpoint = 10000');
      this.db.pragma('cache_size = -65536');
    }
    this.db.pragma('foreign_keys = OFF');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.#statements = {
      upsertInstance: db.prepare(
        `INSERT INTO instances (instance_id, name, execution_id, status, input, output, custom_status, created_ms, updated_ms, parent_instance_id, parent_task_id)
         VALUES (@instanceId, @name, @executionId, @status, @input, @output, @customStatus, @createdMs, @updatedMs, @parentInstanceId, @parentTaskId)
         ON CONFLICT(instance_id) DO UPDATE SET name=excluded.name, execution_id=excluded.execution_id, status=excluded.status, input=excluded.input,
           output=excluded.output, custom_status=excluded.custom_status, created_ms=excluded.created_ms, updated_ms=excluded.updated_ms,
           parent_instance_id=excluded.parent_instance_id, parent_task_id=excluded.parent_task_id`,
      ),
      deleteInstance: db.prepare('DELETE FROM instances WHERE instance_id = ?'),
      deleteHistory: db.prepare('DELETE FROM history WHERE instance_id = ?'),
      deleteInboxOf: db.prepare('DELETE FROM inbox WHERE instance_id = ?'),
      deleteWorkOf: db.prepare('DELETE FROM work WHERE instance_id = ?'),
      insertHistory: db.prepare('INSERT INTO history (instance_id, seq, event) VALUES (?, ?, ?)'),
      deleteInbox: db.prepare('DELETE FROM inbox WHERE id = ?'),
      insertInbox: db.prepare('INSERT INTO inbox (instance_id, visible_ms, event) VALUES (?, ?, ?)'),
      deleteWork: db.prepare('DELETE FROM work WHERE id = ?'),
      insertWork: db.prepare('INSERT INTO work (instance_id, execution_id, task_id, name, input) VALUES (?, ?, ?, ?, ?)'),
      upsertEntity: db.prepare(
        `INSERT INTO entities (entity_id, name, key, state, exists_flag, locked_by, updated_ms) VALUES (@entityId, @name, @key, @state, @exists, @lockedBy, @updatedMs)
         ON CONFLICT(entity_id) DO UPDATE SET state=excluded.state, exists_flag=excluded.exists_flag, locked_by=excluded.locked_by, updated_ms=excluded.updated_ms`,
      ),
      deleteEntityMessage: db.prepare('DELETE FROM entity_queue WHERE id = ?'),
      insertEntityMessage: db.prepare('INSERT INTO entity_queue (entity_id, message) VALUES (?, ?)'),
      getInstance: db.prepare('SELECT * FROM instances WHERE instance_id = ?'),
      getHistory: db.prepare('SELECT event FROM history WHERE instance_id = ? ORDER BY seq'),
    };
    this.#begin = db.prepare('BEGIN');
    this.#end = db.prepare('COMMIT');
    const s = this.#statements;
    this.#commitTx = db.transaction((commit: Commit) => {
      for (const id of commit.deleteInstances ?? []) {
        s.deleteInstance.run(id);
        s.deleteHistory.run(id);
        s.deleteInboxOf.run(id);
        s.deleteWorkOf.run(id);
      }
      for (const row of commit.upsertInstances ?? []) s.upsertInstance.run(row);
      for (const reset of commit.resetHistory ?? []) {
        s.deleteHistory.run(reset.instanceId);
        reset.events.forEach((e, seq) => s.insertHistory.run(reset.instanceId, seq, JSON.stringify(e)));
      }
      for (const append of commit.appendHistory ?? []) {
        append.events.forEach((e, index) => s.insertHistory.run(append.instanceId, append.fromSeq + index, JSON.stringify(e)));
      }
      for (const id of commit.deleteInbox ?? []) s.deleteInbox.run(id);
      for (const row of commit.insertInbox ?? []) {
        const inbox = row as Omit<InboxRow, 'id'> & { id?: number };
        inbox.id = Number(s.insertInbox.run(inbox.instanceId, inbox.visibleMs, JSON.stringify(inbox.event)).lastInsertRowid);
      }
      for (const id of commit.deleteWork ?? []) s.deleteWork.run(id);
      for (const row of commit.insertWork ?? [])
        row.id = Number(s.insertWork.run(row.instanceId, row.executionId, row.taskId, row.name, row.input).lastInsertRowid);
      for (const row of commit.upsertEntities ?? []) s.upsertEntity.run({ ...row, exists: row.exists ? 1 : 0 });
      for (const id of commit.deleteEntityMessages ?? []) s.deleteEntityMessage.run(id);
      for (const row of commit.insertEntityMessages ?? [])
        row.id = Number(s.insertEntityMessage.run(row.entityId, JSON.stringify(row.message)).lastInsertRowid);
    });
  }

  /**
   * Applies one change set atomically. Change sets made during one turn of the event loop are
   * grouped into one SQLite transaction (group commit), made durable at the end of the turn or by
   * flush(): a crash before that loses the whole group, which is safe because nothing outside
   * the process has been told about it (flush() runs before any HTTP answer that promises
   * durability), and work started meanwhile (activities) simply runs again after the restart.
   */
  commit(commit: Commit): void {
    if (!this.db.inTransaction) {
      this.#begin.run();
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => {
          this.#flushScheduled = false;
          this.flush();
        });
      }
    }
    // Nested in the group's transaction, db.transaction() is a savepoint: one failing change set
    // rolls back alone.
    this.#commitTx(commit);
  }

  /** Makes every change committed so far durable now. */
  flush(): void {
    if (this.db.open && this.db.inTransaction) this.#end.run();
  }

  /** Everything that is not finished: the engine's working set after a (re)start. */
  loadActive(): LoadedState {
    const instances = (
      this.db.prepare(`SELECT * FROM instances WHERE status NOT IN ('Completed','Failed','Terminated')`).all() as InstanceDbRow[]
    ).map(fromInstanceDb);
    const history = new Map<string, HistoryEvent[]>();
    const historyStatement = this.#statements.getHistory;
    for (const instance of instances) {
      history.set(
        instance.instanceId,
        (historyStatement.all(instance.instanceId) as { event: string }[]).map((row) => JSON.parse(row.event) as HistoryEvent),
      );
    }
    const inbox = (
      this.db.prepare('SELECT id, instance_id, visible_ms, event FROM inbox ORDER BY id').all() as {
        id: number;
        instance_id: string;
        visible_ms: number;
        event: string;
      }[]
    ).map((row) => ({ id: row.id, instanceId: row.instance_id, visibleMs: row.visible_ms, event: JSON.parse(row.event) as HistoryEvent }));
    const work = (
      this.db.prepare('SELECT * FROM work ORDER BY id').all() as {
        id: number;
        instance_id: string;
        execution_id: string;
        task_id: number;
        name: string;
        input: string | null;
      }[]
    ).map((row) => ({
      id: row.id,
      instanceId: row.instance_id,
      executionId: row.execution_id,
      taskId: row.task_id,
      name: row.name,
      input: row.input,
    }));
    const entities = (
      this.db.prepare('SELECT * FROM entities').all() as {
        entity_id: string;
        name: string;
        key: string;
        state: string | null;
        exists_flag: number;
        locked_by: string | null;
        updated_ms: number;
      }[]
    ).map((row) => ({
      entityId: row.entity_id,
      name: row.name,
      key: row.key,
      state: row.state,
      exists: row.exists_flag === 1,
      lockedBy: row.locked_by,
      updatedMs: row.updated_ms,
    }));
    const entityMessages = (
      this.db.prepare('SELECT * FROM entity_queue ORDER BY id').all() as { id: number; entity_id: string; message: string }[]
    ).map((row) => ({
      id: row.id,
      entityId: row.entity_id,
      message: JSON.parse(row.message) as EntityMessage,
    }));
    return { instances, history, inbox, work, entities, entityMessages };
  }

  getInstance(instanceId: string): InstanceRow | undefined {
    const row = this.#statements.getInstance.get(instanceId) as InstanceDbRow | undefined;
    return row ? fromInstanceDb(row) : undefined;
  }

  getHistory(instanceId: string): HistoryEvent[] {
    return (this.#statements.getHistory.all(instanceId) as { event: string }[]).map((row) => JSON.parse(row.event) as HistoryEvent);
  }

  /** Instances by creation time (then id), filtered, one page at a time. */
  queryInstances(query: InstanceQuery): { rows: InstanceRow[]; continuation: string | undefined } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.createdFromMs !== undefined) {
      where.push('created_ms >= ?');
      params.push(query.createdFromMs);
    }
    if (query.createdToMs !== undefined) {
      where.push('created_ms <= ?');
      params.push(query.createdToMs);
    }
    if (query.statuses && query.statuses.length === 0) where.push('0'); // a status filter no instance can match
    if (query.statuses && query.statuses.length > 0) {
      where.push(`status IN (${query.statuses.map(() => '?').join(',')})`);
      params.push(...query.statuses);
    }
    if (query.instanceIdPrefix) {
      where.push('substr(instance_id, 1, ?) = ?');
      params.push(query.instanceIdPrefix.length, query.instanceIdPrefix);
    }
    if (query.continuation) {
      const [createdText, ...idParts] = Buffer.from(query.continuation, 'base64url').toString('utf8').split('|');
      where.push('(created_ms > ? OR (created_ms = ? AND instance_id > ?))');
      const created = Number(createdText);
      params.push(created, created, idParts.join('|'));
    }
    const limit = query.top !== undefined ? query.top + 1 : -1;
    const sql = `SELECT * FROM instances ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_ms, instance_id LIMIT ${limit}`;
    const rows = (this.db.prepare(sql).all(...params) as InstanceDbRow[]).map(fromInstanceDb);
    let continuation: string | undefined;
    if (query.top !== undefined && rows.length > query.top) {
      rows.length = query.top;
      const last = rows[rows.length - 1] as InstanceRow;
      continuation = Buffer.from(`${last.createdMs}|${last.instanceId}`, 'utf8').toString('base64url');
    }
    return { rows, continuation };
  }

  getEntity(entityId: string): EntityRow | undefined {
    const row = this.db.prepare('SELECT * FROM entities WHERE entity_id = ?').get(entityId) as
      | {
          entity_id: string;
          name: string;
          key: string;
          state: string | null;
          exists_flag: number;
          locked_by: string | null;
          updated_ms: number;
        }
      | undefined;
    return row
      ? {
          entityId: row.entity_id,
          name: row.name,
          key: row.key,
          state: row.state,
          exists: row.exists_flag === 1,
          lockedBy: row.locked_by,
          updatedMs: row.updated_ms,
        }
      : undefined;
  }

  close(): void {
    this.flush();
    if (this.db.open) this.db.close();
  }
}
