"""The service layer: every use case as one command (commands.py), over the runtime and the one-stop domain."""
