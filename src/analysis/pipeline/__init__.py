"""Stage 7: orchestration. Incremental build steps, notebook execution, hashing, CLI."""
