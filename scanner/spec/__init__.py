"""The server-side mapping spec: inventory + catalog -> what the backend sends where."""
