"""The analysts' studio: drafts and their workspace, diffs between versions, the sandbox."""
