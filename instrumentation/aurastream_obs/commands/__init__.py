"""CLI subcommands, one small module each: `register(sub)` adds the parser and points
`handler` at a `run(args) -> int`; heavy imports happen inside `run` only."""
