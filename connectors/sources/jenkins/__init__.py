"""Jenkins: builds of deployment jobs and their change sets (REST client in api, connector in
streams)."""
