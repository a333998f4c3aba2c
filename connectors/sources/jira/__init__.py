"""Jira: incidents kept as issues (REST client in api, connector in streams)."""
