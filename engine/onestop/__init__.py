"""The one-stop domain: reception at the desk and online, dossier codes, official papers and their numbers,
the registry of issued results, tracking for applicants, notifications and the official statistics."""
