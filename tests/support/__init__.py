"""Test support: receivers, peers, harnesses and data builders shared by the test layers.

Importable as `support.<module>` from any test (pytest's `pythonpath = ["tests"]`), without
path hacks. One naming scheme:

- a module is named after what it provides, as a noun (`otlp_receiver`, `alert_peers`,
  `lambda_harness`, `otlp_data`), never `*_kit`/`*_rig`/`*_testkit`;
- a real server that records what a test sends it is a `*Receiver` (`OtlpReceiver`); a remote
  party that can be told to fail or stall is a `*Peer` (`AlertPeer`, `BlackHolePeer`); what runs
  the code under test and records what it did is a `*Harness`/environment
  (`RouterHarness`, `LambdaEnvironment`); a stand-in put in place of a part of the code is
  `Manual*` (driven by the test), `Recording*` (keeps what it got) or `Watched*` (wakes
  waiters): `ManualTimers`, `RecordingEvents`, `RecordingLogExporter`, `WatchedCounters`;
- a function that builds test data is named after what it returns (`span()`, `traces_line()`,
  `alarm_message()`); one that starts something and hands it back is `start_*`
  (`start_router`, `start_prometheus`, `start_python`); one that runs something to its end is
  `run_*` (`run_python`, `run_command`);
- waiting is on an Event or a Condition (`OtlpReceiver.wait_for`, `AlertPeer.wait_for`,
  `ManualTimers`), never a sleep; polling (`processes.wait_until`) only for state that another
  process holds; a time budget is asserted at budget + `budgets.MARGIN_S`.

Fixtures stay in conftest.py files; what they use lives here.
"""
