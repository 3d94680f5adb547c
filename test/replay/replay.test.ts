/**
 * The replay gate: every checked-in history (test/replay/histories/index.json) replays on this
 * workflow code with the production data converter. One test per history, so a failure names it
 * and says what to do (gate.ts).
 */
import { readIndex } from './histories';
import { replayFailureMessage, replayHistories, workflowCodeUnderTest, type ReplayOutcomes } from './gate';

const entries = readIndex();
let outcomes: ReplayOutcomes;

beforeAll(async () => {
  // One replay worker for all of them: the histories are replayed in a few seconds.
  outcomes = await replayHistories(await workflowCodeUnderTest(), entries);
});

test.each(entries.map((entry) => [entry.name, entry] as const))(
  '%s replays on this workflow code',
  (_, entry) => {
    expect(outcomes.has(entry.name)).toBe(true);
    const error = outcomes.get(entry.name);
    if (error) throw new Error(replayFailureMessage(entry, error));
  },
);
