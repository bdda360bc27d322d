/** HTTP routes of the plan runner: GET /plan (state, next slot, counts) and GET /plan/slots (the slot journal). */
import type { PlanSlots } from '../db/plan-slots.js';
import { PlanSlotsQuery, type PlanSlotsResponse } from '../protocol/autonomy.js';
import { sendJson, validate, type Router } from '../http/router.js';
import type { PlanRunner } from './runner.js';

export function planRoutes(runner: PlanRunner, slots: PlanSlots): (router: Router) => void {
  return (router) => {
    router
      .on('GET', '/plan', ({ res }) => {
        sendJson(res, 200, runner.status());
      })
      .on('GET', '/plan/slots', ({ res, url }) => {
        const q = validate(PlanSlotsQuery, Object.fromEntries(url.searchParams), 'query');
        const after = q.after === undefined ? Number.MIN_SAFE_INTEGER : Date.parse(q.after);
        const body: PlanSlotsResponse = { items: slots.list(after, q.limit, q.status) };
        sendJson(res, 200, body);
      });
  };
}
