"""The headless reproduction: ``labor compare`` and its report (imports the orchestration and the jobs)."""
