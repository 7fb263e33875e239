/**
 * The round lifecycle of DOMAIN.md, in one place: the states, the
 * transitions, the phases other modules ask about, and the guards named for
 * the operation they protect. Every module asks this file; none restates it.
 */
import { conflict, invalidState } from '../http/problem.js';

export const ROUND_STATES = ['draft', 'demand', 'bidding', 'opened', 'awarded', 'closed', 'cancelled'] as const;
export type RoundState = (typeof ROUND_STATES)[number];

/** Which states each action leaves from, and where it leads. */
export const TRANSITIONS = {
  publish: { from: ['draft'], to: 'demand' },
  'start-bidding': { from: ['demand'], to: 'bidding' },
  open: { from: ['bidding'], to: 'opened' },
  award: { from: ['opened'], to: 'awarded' },
  close: { from: ['awarded'], to: 'closed' },
  cancel: { from: ['draft', 'demand', 'bidding', 'opened'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly RoundState[]; to: RoundState }>;
export type Action = keyof typeof TRANSITIONS;
/** The transitions that need nothing but the state change (opening and award do their own work around it). */
export const PLAIN_ACTIONS = ['publish', 'start-bidding', 'close', 'cancel'] as const satisfies readonly Action[];

/** The facts of a round the phases depend on. */
export interface Phase { state: RoundState; openedAt: Date | null }

const OPENED: readonly RoundState[] = ['opened', 'awarded', 'closed'];
const AWARDED: readonly RoundState[] = ['awarded', 'closed'];

/** Bids exist but nobody may learn about them: before opening, and for ever in a round cancelled before opening. */
export const isSealed = (r: Phase): boolean => !OPENED.includes(r.state) && r.openedAt === null;
/** Bids have been opened and the results are published (a cancelled round publishes none). */
export const isOpened = (r: Phase): boolean => OPENED.includes(r.state);
/** Winners, supply regions and agreements are final. */
export const isAwarded = (r: Phase): boolean => AWARDED.includes(r.state);
/** The round's export may be read by anyone, without a token. */
export const isPublic = isAwarded;
/** Only the round's alliance and the operator see it. */
export const isDraft = (r: Phase): boolean => r.state === 'draft';

const need = (r: Phase, states: readonly RoundState[]) => {
  if (!states.includes(r.state)) throw invalidState(`The round is ${r.state}; this needs ${states.join(' or ')}`);
};

/** The state an action leaves from (409 invalid-state otherwise). */
export function guardTransition(r: Phase, action: Action): RoundState {
  need(r, TRANSITIONS[action].from);
  return TRANSITIONS[action].to;
}

export const guardEditRound = (r: Phase) => need(r, ['draft']);
export const guardAddItem = (r: Phase) => need(r, ['draft', 'demand']);
export const guardDemand = (r: Phase) => need(r, ['demand']);
export const guardPreferences = (r: Phase) => need(r, ['opened']);
export const guardContractPeriod = (r: Phase) => need(r, ['awarded']);
export function guardResults(r: Phase) {
  if (!isOpened(r)) throw invalidState(`Results exist once the round is opened; it is ${r.state}`);
}
export function guardAgreements(r: Phase) {
  if (!isAwarded(r)) throw invalidState(`Allocations and agreements exist once the round is awarded; it is ${r.state}`);
}
export function guardMonitoring(r: Phase) {
  if (!isAwarded(r)) throw invalidState(`Monitoring starts once the round is awarded; it is ${r.state}`);
}

/** The bid window on the server clock (409 outside it): DOMAIN.md "bidding". */
export function guardBidWindow(r: Phase & { bidOpensAt: Date; bidClosesAt: Date }, now: Date): void {
  if (r.state === 'draft' || r.state === 'demand') throw conflict('bidding-not-open', 'Bidding not open', 'Bidding has not started for this round');
  if (r.state === 'cancelled') throw invalidState('The round is cancelled');
  if (r.state !== 'bidding') throw conflict('bidding-closed', 'Bidding closed', 'Bidding for this round is over');
  if (now < r.bidOpensAt) throw conflict('bidding-not-open', 'Bidding not open', `Bidding opens at ${r.bidOpensAt.toISOString()}`);
  if (now >= r.bidClosesAt) throw conflict('bidding-closed', 'Bidding closed', `Bidding closed at ${r.bidClosesAt.toISOString()}`);
}

/** start-bidding is refused once the window has closed. */
export function guardStartBidding(r: { bidClosesAt: Date }, now: Date): void {
  if (now >= r.bidClosesAt) {
    throw conflict('bidding-closed', 'Bidding closed', 'The bid window has already closed; move bidClosesAt (in draft) or cancel the round');
  }
}

/** Opening only at or after bidClosesAt. */
export function guardOpening(r: Phase & { bidClosesAt: Date }, now: Date): void {
  need(r, TRANSITIONS.open.from);
  if (now < r.bidClosesAt) {
    throw conflict('bidding-not-closed', 'Bidding not closed', `Bids can be opened from ${r.bidClosesAt.toISOString()}`);
  }
}

/* ---------- notice period, objections, enquiries, simulations ---------- */

/** The notice period runs while the round is opened and now < noticeEndsAt (DOMAIN.md "Notice period and objections"). */
export const inNoticePeriod = (r: Phase & { noticeEndsAt: Date | null }, now: Date): boolean =>
  r.state === 'opened' && r.noticeEndsAt !== null && now < r.noticeEndsAt;

/** Objections are filed during the notice period only (409 notice-closed outside it). */
export function guardObjection(r: Phase & { noticeEndsAt: Date | null }, now: Date): void {
  if (!inNoticePeriod(r, now)) {
    throw conflict('notice-closed', 'Notice period closed', r.noticeEndsAt && r.state === 'opened'
      ? `The notice period ended at ${r.noticeEndsAt.toISOString()}`
      : `Objections are filed during the notice period after opening; the round is ${r.state} and has ${r.noticeEndsAt ? 'none running' : 'no notice period'}`);
  }
}

/** The alliance decides objections while the round is opened (also after noticeEndsAt), each once. */
export function guardObjectionDecision(r: Phase, objection: { state: string }): void {
  need(r, ['opened']);
  if (objection.state !== 'pending') throw invalidState(`The objection was already decided: ${objection.state}`);
}

/** Award waits for the notice period and for every objection's decision (409 notice-period). */
export function guardAward(r: Phase & { noticeEndsAt: Date | null }, now: Date, undecidedObjections: number): void {
  if (inNoticePeriod(r, now)) {
    throw conflict('notice-period', 'Notice period', `The notice period runs until ${r.noticeEndsAt!.toISOString()}; award after it`);
  }
  if (undecidedObjections > 0) {
    throw conflict('notice-period', 'Notice period', `${undecidedObjections} objection(s) of the round are undecided; decide them before award`);
  }
}

/** Enquiries are asked, answered and corrected while the round is in demand or bidding, before bidClosesAt. */
export function guardEnquiry(r: Phase & { bidClosesAt: Date }, now: Date): void {
  need(r, ['demand', 'bidding']);
  if (now >= r.bidClosesAt) throw invalidState(`Enquiries close with the bid window, at ${r.bidClosesAt.toISOString()}`);
}

/** Simulations run over opened bids: opened, awarded or closed. */
export function guardSimulation(r: Phase): void {
  need(r, ['opened', 'awarded', 'closed']);
}
