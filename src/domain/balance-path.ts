/**
 * A balance's path from today to a later date, as the ledger will post it if nothing else changes: accruals
 * due, entries already dated in the future, pending requests and the simulated one as if approved, the
 * year-end rollover (the excess over the carry-over cap expires on 31 December, the rest is carried into
 * 1 January) and the expiry of carried-over days less what was used of them, by the rules of
 * app.year_end_rollover and app.post_accruals. Pure: the facts come from app.simulate_request.
 */
export interface PathFacts {
  today: string;
  until: string;
  /** The posted balance as of today. */
  opening: number;
  entries: { date: string; kind: string; amount: number }[];
  /** What pending requests would use per day once approved, negative. */
  pendingDays: { date: string; amount: number }[];
  accruals: { date: string; amount: number }[];
  /** The simulated request's cost per day, negative. */
  request: { date: string; amount: number }[];
  carryovers: { carried_on: string; amount: number; expires_on: string; used: number }[];
  /** Each 31 December to come: the carry-over cap then, 1 January, and when days carried into it expire (null: never). */
  yearEnds: { date: string; next_day: string; cap: number | null; carried_expires_on: string | null; rolled_over: boolean }[];
}

export interface PathStep {
  date: string;
  kind: string;
  amount: number;
  balance: number;
  /** Not in the ledger (yet): what the accrual run, the rollover or an approval would post. */
  projected: boolean;
}

interface Change {
  date: string;
  kind: string;
  amount: number;
  projected: boolean;
}

/** Kinds that use carried-over days (app.post_accruals counts usage and reversals before the expiry date). */
const USING = new Set(["usage", "reversal", "pending", "request"]);
/** Amounts are kept to the ledger's 4 decimals, so sums do not drift in binary floating point. */
const exact = (n: number) => Math.round(n * 10_000) / 10_000;

export function balancePath(facts: PathFacts): PathStep[] {
  const onOrAfterToday = (date: string) => (date < facts.today ? facts.today : date);
  const changes: Change[] = [
    ...facts.accruals.map((a) => ({ date: onOrAfterToday(a.date), kind: "accrual", amount: a.amount, projected: true })),
    ...facts.entries.map((e) => ({ ...e, projected: false })),
    ...facts.pendingDays.map((d) => ({ date: onOrAfterToday(d.date), kind: "pending", amount: d.amount, projected: true })),
    ...facts.request.map((r) => ({ date: onOrAfterToday(r.date), kind: "request", amount: r.amount, projected: true })),
  ];
  const byDay = new Map<string, Change[]>();
  const addChange = (c: Change) => byDay.set(c.date, [...(byDay.get(c.date) ?? []), c]);
  for (const c of changes) addChange(c);
  const carried = facts.carryovers.map((c) => ({ ...c, expiresOn: onOrAfterToday(c.expires_on) }));
  const yearEnds = facts.yearEnds.filter((y) => !y.rolled_over);
  const days = new Set([facts.today, ...changes.map((c) => c.date), ...carried.map((c) => c.expiresOn)]);
  for (const y of yearEnds) for (const day of [y.date, y.next_day, y.carried_expires_on]) if (day) days.add(day);

  const steps: PathStep[] = [{ date: facts.today, kind: "opening", amount: facts.opening, balance: facts.opening, projected: false }];
  let balance = facts.opening;
  const post = (date: string, kind: string, amount: number, projected: boolean) => {
    if (amount === 0) return;
    balance = exact(balance + amount);
    steps.push({ date, kind, amount: exact(amount), balance, projected });
  };
  /** What carried-over days were used for between the day they were carried in and the day before `day`. */
  const usedSince = (from: string, day: string) =>
    changes
      .filter((c) => USING.has(c.kind) && c.date > facts.today && c.date >= from && c.date < day)
      .reduce((sum, c) => sum + c.amount, 0);

  for (const day of [...days].filter((d) => d <= facts.until).sort()) {
    // Carried-over days expire first: usage on the expiry date itself no longer draws on them.
    for (const c of carried.filter((c) => c.expiresOn === day)) {
      post(day, "expiry", -Math.max(0, Math.min(c.amount + c.used + usedSince(c.carried_on, day), balance)), true);
    }
    // Credits before debits: the day's lowest point is its end, not an artefact of the order.
    for (const c of (byDay.get(day) ?? []).sort((a, b) => b.amount - a.amount)) post(day, c.kind, c.amount, c.projected);
    for (const y of yearEnds.filter((y) => y.date === day)) {
      const carry = balance <= 0 ? 0 : y.cap === null ? balance : Math.min(balance, y.cap);
      post(day, "expiry", -Math.max(balance - carry, 0), true);
      post(day, "carryover_out", -carry, true);
      // Carried into 1 January; it expires by the rules in force at the year's end, less what is used by then.
      addChange({ date: y.next_day, kind: "carryover_in", amount: carry, projected: true });
      if (y.carried_expires_on && carry > 0)
        carried.push({ carried_on: y.next_day, amount: carry, used: 0, expires_on: y.carried_expires_on, expiresOn: y.carried_expires_on });
    }
  }
  return steps;
}

/** The lowest balance on the path (the first day it is reached). */
export function lowestPoint(steps: PathStep[]): { date: string; balance: number } {
  const lowest = steps.reduce((low, s) => (s.balance < low.balance ? s : low), steps[0]!);
  return { date: lowest.date, balance: lowest.balance };
}
