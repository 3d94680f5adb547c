import {
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  existsSync,
  openSync,
  fsyncSync,
  closeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { emptyState, type SimState } from './model';

/**
 * The simulator's durable state: charges, cards on file, refunds, idempotency records, the
 * ledger and the outbox of undelivered notifications. Single-use tokens (which carry CVCs) live in the TokenVault and are never part of this.
 * With a data file, the state is loaded at start and rewritten atomically after every mutation.
 */
export class SimStore {
  readonly state: SimState;

  constructor(private readonly dataFile?: string) {
    this.state = dataFile ? load(dataFile) : emptyState();
  }

  /** Call after every mutation. */
  commit(): void {
    if (!this.dataFile) return;
    const json = JSON.stringify(this.state);
    mkdirSync(dirname(this.dataFile), { recursive: true });
    const temp = `${this.dataFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeFileSync(fd, json);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.dataFile);
  }
}

function load(file: string): SimState {
  if (!existsSync(file)) return emptyState();
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SimState> | null;
  if (!parsed || typeof parsed !== 'object' || parsed.version !== 1) {
    throw new Error(`gateway simulator: unsupported data file format in ${file}`);
  }
  const state = emptyState();
  return {
    version: 1,
    charges: parsed.charges ?? state.charges,
    cards: parsed.cards ?? state.cards,
    refunds: parsed.refunds ?? state.refunds,
    idempotency: parsed.idempotency ?? state.idempotency,
    ledger: parsed.ledger ?? state.ledger,
    outbox: parsed.outbox ?? state.outbox,
  };
}
