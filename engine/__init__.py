"""motcua engine: definitions, dossiers, work items, calendar, clocks and decisions. No web code."""
