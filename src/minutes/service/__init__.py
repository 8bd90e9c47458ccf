"""The HTTP service (``minutes serve``, extra ``[service]``) and its workers (``minutes
worker``, extra ``[worker]``).

- ``app``: ``create_app(settings)`` builds the FastAPI application: routes per resource under
  ``routes/``, errors mapped to HTTP in ``errors``, the caller's tenant from its key in
  ``auth``, body limits in ``limits``;
- ``state``: what one running service holds (its store, its job runner, its rate limits);
- ``runners``: where a submitted job runs: in this process, or on Celery workers (``tasks``);
- ``schemas``: the request and response bodies.

Every route is scoped to the caller's tenant; a job is a ``minutes.runs.run_job``.
"""
