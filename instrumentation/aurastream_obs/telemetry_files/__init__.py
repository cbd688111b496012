"""Reading what local mode wrote: OTLP/JSON files flattened into plain records
(`otlp_files`) and the histogram maths over them (`stats`). Shared by the demo report and the
operations tools (`ops.backends.local_files`, `ops.traces`), so neither imports the other."""
