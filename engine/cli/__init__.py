"""The `motcua` command line: the engine's commands (`main`), the calendar, tokens and the benchmark."""
