/**
 * Where a workflow's time goes, from its history's event timestamps (server clock): time tasks
 * waited to be picked up by a worker (dispatch), time the worker held workflow tasks, time
 * activities ran, and the rest (server-side handling between events). Averaged over a sample of
 * the measured workflows of a phase; also counts events, workflow tasks and activities, so the
 * baseline can be checked to have the same shape as a paid checkout.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export interface HistoryShape {
  sampled: number;
  events: number;
  workflowTasks: number;
  activities: number;
  timers: number;
  /** ms per workflow, averages */
  totalMs: number;
  /** update accepted → update completed */
  updateMs: number;
  taskDispatchMs: number;
  /** the part of taskDispatchMs that activity tasks waited */
  activityDispatchMs: number;
  workflowTaskMs: number;
  activityRunMs: number;
  activityNames: string[];
  /** mean run time (started → completed) per activity type */
  activityRunByName: Record<string, number>;
}

type Event = temporal.api.history.v1.IHistoryEvent;

function ms(event: Event | undefined): number {
  const t = event?.eventTime;
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;
}

function analyse(events: Event[]) {
  const byId = new Map<number, Event>();
  for (const e of events) byId.set(Number(e.eventId), e);
  let workflowTasks = 0;
  let activities = 0;
  let timers = 0;
  let taskDispatchMs = 0;
  let activityDispatchMs = 0;
  let workflowTaskMs = 0;
  let activityRunMs = 0;
  let updateAccepted = NaN;
  let updateCompleted = NaN;
  const names: string[] = [];
  const runByName: Record<string, number> = {};
  for (const e of events) {
    if (e.workflowTaskStartedEventAttributes) {
      const scheduled = byId.get(Number(e.workflowTaskStartedEventAttributes.scheduledEventId));
      taskDispatchMs += ms(e) - ms(scheduled);
    } else if (e.workflowTaskCompletedEventAttributes) {
      workflowTasks += 1;
      workflowTaskMs += ms(e) - ms(byId.get(Number(e.workflowTaskCompletedEventAttributes.startedEventId)));
    } else if (e.activityTaskScheduledEventAttributes) {
      activities += 1;
      names.push(e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    } else if (e.activityTaskCompletedEventAttributes) {
      const a = e.activityTaskCompletedEventAttributes;
      const scheduled = byId.get(Number(a.scheduledEventId));
      const started = byId.get(Number(a.startedEventId));
      taskDispatchMs += ms(started) - ms(scheduled);
      activityDispatchMs += ms(started) - ms(scheduled);
      activityRunMs += ms(e) - ms(started);
      const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      runByName[name] = (runByName[name] ?? 0) + ms(e) - ms(started);
    } else if (e.timerStartedEventAttributes) {
      timers += 1;
    } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      updateAccepted = ms(e);
    } else if (e.workflowExecutionUpdateCompletedEventAttributes) {
      updateCompleted = ms(e);
    }
  }
  return {
    events: events.length,
    workflowTasks,
    activities,
    timers,
    totalMs: ms(events[events.length - 1]) - ms(events[0]),
    updateMs: updateCompleted - updateAccepted,
    taskDispatchMs,
    activityDispatchMs,
    workflowTaskMs,
    activityRunMs,
    names,
    runByName,
  };
}

/** Fetches up to `sample` histories (spread over the ids given) and averages them. */
export async function historyShape(
  client: Client,
  workflowIds: string[],
  sample = 20,
): Promise<HistoryShape> {
  const step = Math.max(1, Math.floor(workflowIds.length / sample));
  const picked = workflowIds.filter((_, i) => i % step === 0).slice(0, sample);
  const shapes = await Promise.all(
    picked.map(async (id) => analyse((await client.workflow.getHandle(id).fetchHistory()).events ?? [])),
  );
  const avg = (f: (s: (typeof shapes)[number]) => number): number =>
    shapes.length ? shapes.reduce((sum, s) => sum + f(s), 0) / shapes.length : NaN;
  return {
    sampled: shapes.length,
    events: avg((s) => s.events),
    workflowTasks: avg((s) => s.workflowTasks),
    activities: avg((s) => s.activities),
    timers: avg((s) => s.timers),
    totalMs: avg((s) => s.totalMs),
    updateMs: avg((s) => s.updateMs),
    taskDispatchMs: avg((s) => s.taskDispatchMs),
    activityDispatchMs: avg((s) => s.activityDispatchMs),
    workflowTaskMs: avg((s) => s.workflowTaskMs),
    activityRunMs: avg((s) => s.activityRunMs),
    activityNames: shapes[0]?.names ?? [],
    activityRunByName: Object.fromEntries(
      [...new Set(shapes.flatMap((s) => Object.keys(s.runByName)))].map((name) => [
        name,
        avg((s) => s.runByName[name] ?? 0),
      ]),
    ),
  };
}
