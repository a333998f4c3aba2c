"""SonarQube Server and Cloud: quality snapshots (REST client in api, connector in streams)."""
