"""The deadline sweep: every minute, apply the expiry action of each deadline that has passed
and remind the addressees of those about to pass.

One module per job, in the order a sweep runs them:

- `claim`: which deadlines are due, taken with one statement so that two sweeps at once never
  take the same one (and given back when their case is left alone);
- `apply`: the claimed expiries applied in batches — the engine's own `perform` on an
  in-memory record per case that shares the `Case` rules (`app.models.case.CaseRules`), its
  effects written in bulk under the cases' optimistic lock;
- `notify`: the jobs that tell the participants afterwards (case updates, reminders);
- `run`: the sweep itself (batches until none is left, helpers forked for a backlog on
  PostgreSQL, the ORM path through `take_action` for an expiry with a domain handler), and
  the periodic job.
"""
