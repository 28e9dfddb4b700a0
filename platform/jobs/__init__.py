"""Jobs: work that happens later, kept in database rows and run by dramatiq actors.

* :mod:`~pawpay.platform.jobs.broker` — the broker from ``PAWPAY_BROKER_URL`` and actor declaration;
* :mod:`~pawpay.platform.jobs.scheduler` — the one active scheduler: claim, lease, enqueue after commit;
* :mod:`~pawpay.platform.jobs.services` — per-tenant test clocks and the helpers other components
  use to declare due work (``LeasedRowWork``, ``PeriodicJob``, ``run_periodic_job``);
* :mod:`~pawpay.platform.jobs.runner` — ``pawpay worker``, ``pawpay scheduler`` and the embedded mode.

See ``docs/jobs.md``.
"""
