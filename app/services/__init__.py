"""Services used across areas: access rules, storage, PDF rendering, notifications, jobs."""
