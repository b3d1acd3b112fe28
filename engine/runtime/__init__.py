"""The runtime: deployed definitions, dossiers (process instances), work items, timers and the scheduler,
forms and validation, and the dossier service whose commands are the platform's use cases."""
