"""A local git repository: tags or release branches as deployments, commits as changes (git runner
in api, history walks in history, connector in streams)."""
