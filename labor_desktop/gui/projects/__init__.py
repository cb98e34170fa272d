"""Opening and creating projects: New / Open / Open recent, the New-project dialog, the demo's first run."""
