"""A project's life and its data: making one (demo, experiment data, a person's folders), checking the New-project choices, exporting (imports only the engine's base)."""
