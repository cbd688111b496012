"""`aurastream-obs demo` (what `make demo` runs): the reference service in local mode, seeded
traffic over real HTTP, and a report computed from the exported OTLP/JSON files.

    runner.py      orchestration: configure, serve, send, flush, report (`run_demo`)
    traffic.py     the seeded traffic plan; reviews.py its texts
    client.py      keep-alive HTTP clients sending the plan
    progress.py    the stderr progress bar
    otlp_files.py  the telemetry files read back as plain records
    stats.py       bucket quantiles, merging, exact percentiles (pure)
    report.py      the report and its consistency checks; render.py its text form

Nothing here is imported by `import aurastream_obs`.
"""
