"""The architecture: import contracts and where SQL may live."""
