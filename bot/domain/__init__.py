"""Pure domain: labels, errors, clock, text, settings, the rules file and routing decisions (no I/O)."""
