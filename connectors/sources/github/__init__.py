"""GitHub: deployments, pull requests and the commits each deployment shipped (REST client in api,
connector in streams)."""
