"""`aurastream-obs demo` (what `make demo` runs): the reference service in local mode, seeded
traffic over real HTTP, and a report computed from the exported OTLP/JSON files.

    runner.py      orchestration: configure, serve, send, flush, report (`run_demo`)
    traffic.py     the seeded traffic plan; reviews.py its texts
    client.py      keep-alive HTTP clients sending the plan
    progress.py    the stderr progress bar
    summary.py     the report and its consistency checks (read with telemetry_files)
    text.py        the report's plain-text form
    operations.py  the closing KPI/SLO report and bottlenecks (ops tools on the same files)

Nothing here is imported by `import aurastream_obs`.
"""
