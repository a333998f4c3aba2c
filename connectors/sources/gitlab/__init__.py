"""GitLab: deployments, merge requests and what each deployment shipped (REST client in api,
connector in streams)."""
