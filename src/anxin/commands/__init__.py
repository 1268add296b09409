"""The CLI's sub-applications: edges that parse arguments and call the use cases."""
