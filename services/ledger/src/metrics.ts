import type { CallCompleted } from '@switchyard/contracts';
import { Counter, Gauge, type Registry } from '@switchyard/telemetry';
import { LabelBudget } from './label-budget.js';

/** Distinct key aliases and teams the spend metric names before the rest become `other`. */
const MAX_LABEL_VALUES = 100;

export type LedgerMetrics = ReturnType<typeof createLedgerMetrics>;

export function createLedgerMetrics(registry: Registry) {
  const keyAliases = new LabelBudget(MAX_LABEL_VALUES);
  const teams = new LabelBudget(MAX_LABEL_VALUES);
  const spend = new Counter({
    name: 'switchyard_spend_usd_total',
    help: `Spend recorded by the ledger in USD, by key alias and team (the first ${MAX_LABEL_VALUES} of each by name, the rest as "other")`,
    labelNames: ['key_alias', 'team'],
    registers: [registry],
  });
  const events = new Counter({
    name: 'switchyard_ledger_events_total',
    help: 'Call-completed events handled by the ledger, by outcome (written, duplicate, malformed)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return {
    events,
    spend,
    writeFailures: new Counter({
      name: 'switchyard_ledger_write_failures_total',
      help: 'Ledger transactions that failed (Postgres away): the batch is held and retried',
      registers: [registry],
    }),
    held: new Gauge({
      name: 'switchyard_ledger_held_messages',
      help: 'JetStream messages the ledger holds (pulled, not yet written and acked): at most one batch',
      registers: [registry],
    }),
    /** Counted after the commit, for the rows written for the first time only: a redelivery adds nothing. */
    recordApplied(fresh: readonly CallCompleted[], duplicates: number): void {
      events.inc({ outcome: 'written' }, fresh.length);
      if (duplicates > 0) events.inc({ outcome: 'duplicate' }, duplicates);
      for (const event of fresh) {
        if (!event.cost) continue;
        spend.inc({ key_alias: keyAliases.label(event.caller?.keyAlias), team: teams.label(event.caller?.teamAlias ?? event.caller?.teamId) }, event.cost);
      }
    },
  };
}
